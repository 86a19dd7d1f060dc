package org.optin4j.proof;

import java.util.List;

/**
 * The outcome of {@link ConsentProof#verifyAllHistories()}: how many subject histories (erased subjects'
 * de-identified stubs included) and events were checked, and every history that is broken, at its first broken link.
 *
 * <p>Immutable and thread-safe.
 *
 * @param subjects how many histories were checked
 * @param events how many events were checked in all
 * @param broken the broken histories, by subject id
 */
public record HistoryAudit(int subjects, long events, List<HistoryVerification.Broken> broken) {
  /** Copies the list. */
  public HistoryAudit {
    broken = List.copyOf(broken);
  }

  /** Returns whether every history checked is intact. */
  public boolean intact() {
    return broken.isEmpty();
  }
}
