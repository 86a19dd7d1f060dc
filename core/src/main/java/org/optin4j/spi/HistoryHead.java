package org.optin4j.spi;

import java.util.Objects;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;

/**
 * The recorded end of a subject's hash-chained history: the position and hash of its last event. Stores update it in
 * the same transaction as every {@link HistoryStore#append append}, so removing events from the end of a history is
 * detected ({@link org.optin4j.proof.HistoryVerification.Reason#TRUNCATED}). It holds no personal data and outlives
 * erasure together with the de-identified history stub.
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

  /**
   * Returns the head after an event sealed onto this head, checking that the event continues it: the same subject, the
   * next position and this head's hash as its previous hash. Stores call it in {@link HistoryStore#append}; it computes
   * no hash.
   *
   * @param sealed the sealed event, not stored yet (sequence 0)
   * @return the head at the event
   * @throws IllegalArgumentException if the event is not sealed, has a sequence, or does not continue this head
   */
  public HistoryHead advance(ConsentEvent sealed) {
    Objects.requireNonNull(sealed, "sealed");
    ConsentEvent.Seal seal = sealed.seal();
    if (seal == null) {
      throw new IllegalArgumentException(
          "an event to append is sealed by the core first (HistoryStore.append)");
    }
    if (sealed.sequence() != 0) {
      throw new IllegalArgumentException(
          "an event to append has sequence 0, was " + sealed.sequence());
    }
    if (!sealed.subjectId().equals(subjectId)
        || seal.position() != position + 1
        || !seal.previousHash().equals(hash)) {
      throw new IllegalArgumentException(
          "the event ("
              + sealed.subjectId()
              + " at "
              + seal.position()
              + ") does not continue the head ("
              + subjectId
              + " at "
              + position
              + ")");
    }
    return new HistoryHead(subjectId, seal.position(), seal.hash());
  }
}
