package org.optin4j.internal;

import java.util.List;
import java.util.Optional;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.proof.HistoryVerification.Reason;
import org.optin4j.spi.HistoryHead;

/**
 * Walks one subject's hash-chained history and reports the first link that does not verify (see
 * {@link ConsentEvent} for what is hashed). Stateless and thread-safe.
 */
public final class HistoryVerifier {
  private HistoryVerifier() {}

  /**
   * Verifies a history.
   *
   * @param subjectId whose history
   * @param events the events, oldest first, as the store returns them
   * @param head the recorded chain head, if any
   * @return intact, or the first broken link
   */
  public static HistoryVerification verify(
      SubjectId subjectId, List<ConsentEvent> events, Optional<HistoryHead> head) {
    boolean erased = events.stream().anyMatch(e -> e.type() == ConsentEvent.Type.ERASED);
    String previous = ConsentEvent.Seal.GENESIS;
    for (int i = 0; i < events.size(); i++) {
      ConsentEvent e = events.get(i);
      int expected = i + 1;
      ConsentEvent.Seal seal = e.seal();
      if (seal == null) {
        return broken(subjectId, expected, e.sequence(), Reason.UNSEALED);
      }
      if (seal.position() != expected) {
        return broken(
            subjectId,
            expected,
            seal.position() > expected ? 0 : e.sequence(),
            Reason.MISSING_EVENT);
      }
      if (!seal.previousHash().equals(previous)) {
        return broken(subjectId, expected, e.sequence(), Reason.LINK_MISMATCH);
      }
      if (!e.chainHash(seal.position(), seal.previousHash(), seal.detailsDigest())
          .equals(seal.hash())) {
        return broken(subjectId, expected, e.sequence(), Reason.CONTENT_ALTERED);
      }
      if (seal.detailsSalt() != null) {
        if (!e.detailsDigest(seal.detailsSalt()).equals(seal.detailsDigest())) {
          return broken(subjectId, expected, e.sequence(), Reason.EVIDENCE_ALTERED);
        }
      } else if (!e.hasNoDetails()) {
        return broken(subjectId, expected, e.sequence(), Reason.EVIDENCE_ALTERED);
      } else if (!erased) {
        return broken(subjectId, expected, e.sequence(), Reason.EVIDENCE_REMOVED);
      }
      previous = seal.hash();
    }
    int last = events.size();
    if (head.isEmpty()) {
      return last == 0
          ? new HistoryVerification.Intact(subjectId, 0, previous)
          : broken(subjectId, last + 1, 0, Reason.HEAD_MISSING);
    }
    if (head.get().position() > last) {
      return broken(subjectId, last + 1, 0, Reason.TRUNCATED);
    }
    if (head.get().position() < last || !head.get().hash().equals(previous)) {
      return broken(subjectId, last, events.get(last - 1).sequence(), Reason.HEAD_MISMATCH);
    }
    return new HistoryVerification.Intact(subjectId, last, previous);
  }

  private static HistoryVerification broken(
      SubjectId id, int position, long sequence, Reason reason) {
    return new HistoryVerification.Broken(id, position, sequence, reason);
  }
}
