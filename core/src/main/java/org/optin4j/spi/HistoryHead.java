package org.optin4j.spi;

import java.util.Objects;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.SubjectId;

/**
 * The recorded end of a subject's hash-chained history: the position and hash of its last event. Stores update it in
 * the same transaction as every {@link ConsentStore.Transaction#appendEvent append}, so removing events from the end
 * of a history is detected ({@link org.optin4j.proof.HistoryVerification.Reason#TRUNCATED}). It holds no personal data and
 * outlives erasure together with the de-identified history stub.
 *
 * <p>Immutable and thread-safe.
 *
 * @param subjectId whose history
 * @param position the position of the last event, 0 if none was appended yet
 * @param hash the hash of the last event, or {@link ConsentEvent.Seal#GENESIS}
 */
public record HistoryHead(SubjectId subjectId, int position, String hash) {
  /** Validates the components. */
  public HistoryHead {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(hash, "hash");
    if (position < 0) {
      throw new IllegalArgumentException("position must not be negative, was " + position);
    }
  }
}
