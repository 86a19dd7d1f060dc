package org.optin4j.proof;

import java.util.Objects;
import org.optin4j.SubjectId;

/**
 * The outcome of walking one subject's hash-chained consent history
 * ({@link ConsentProof#verifyHistory(SubjectId)}): intact, or broken at the first link that does not verify.
 *
 * <p>What "intact" proves: no stored event of the subject was changed, inserted, removed or reordered since it was
 * written, unless whoever did it also recomputed every later hash and the subject's chain head. Against someone with
 * write access to the whole database a hash chain alone proves nothing; what anchors it is an outside copy of a head
 * hash, such as the {@code historyHash} in a signed consent receipt the subject holds ({@link ConsentReceipts}). See
 * {@code docs/proof-and-rights.md}.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface HistoryVerification {

  /** Returns whose history was checked. */
  SubjectId subjectId();

  /**
   * Every link verifies, and the last event is the recorded chain head.
   *
   * @param subjectId whose history
   * @param events how many events were checked (0 for a subject without history)
   * @param headHash the hash of the last event, or {@link ConsentEvent.Seal#GENESIS} if there is none
   */
  record Intact(SubjectId subjectId, int events, String headHash) implements HistoryVerification {
    /** Validates the components. */
    public Intact {
      Objects.requireNonNull(subjectId, "subjectId");
      Objects.requireNonNull(headHash, "headHash");
    }
  }

  /**
   * The first link that does not verify.
   *
   * @param subjectId whose history
   * @param position the chain position (from 1) where the chain breaks
   * @param sequence the store sequence of the event found there, or 0 if the event is missing
   * @param reason what is wrong
   */
  record Broken(SubjectId subjectId, int position, long sequence, Reason reason)
      implements HistoryVerification {
    /** Validates the components. */
    public Broken {
      Objects.requireNonNull(subjectId, "subjectId");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Why a chain breaks at a link. */
  enum Reason {
    /** The event was stored without a seal (written around {@code HistoryStore.append}, which stores sealed events). */
    UNSEALED,
    /** The event at this position is missing (deleted), or events were reordered. */
    MISSING_EVENT,
    /** The event's previous hash is not the hash of the event before it (an event was replaced or re-hashed). */
    LINK_MISMATCH,
    /** The event's content no longer matches its hash (time, type, purpose, notice, ... changed). */
    CONTENT_ALTERED,
    /** Source, evidence or token id no longer match their salted digest. */
    EVIDENCE_ALTERED,
    /** Source, evidence or token id were removed although the subject was never erased. */
    EVIDENCE_REMOVED,
    /** Events after this position were removed: the recorded chain head is further on. */
    TRUNCATED,
    /** The recorded chain head is not the last event (events were appended around the store, or re-hashed). */
    HEAD_MISMATCH,
    /** The subject has events but no recorded chain head. */
    HEAD_MISSING
  }
}
