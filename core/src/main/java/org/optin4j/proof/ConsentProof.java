package org.optin4j.proof;

import java.time.Instant;
import java.util.List;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * The proof of consent (GDPR Art. 7(1): the controller shall be able to demonstrate that the data subject has
 * consented): each subject's consent history, its tamper-evident hash chain and its verification, and answers about
 * the past from that history rather than from the current state. Obtain it from {@link OptIn#proof()}.
 *
 * <p>Immutable and thread-safe.
 */
public interface ConsentProof {

  /**
   * Returns a subject's consent history, oldest first: the proof (GDPR Art. 7(1)).
   *
   * @param id the subject
   * @return the events
   */
  List<ConsentEvent> history(SubjectId id);

  /**
   * Verifies a subject's tamper-evident history: walks its hash chain from the first event to the recorded chain
   * head and reports the first link that does not verify. A de-identified stub left by erasure verifies too (the
   * erased details are covered by a salted digest that erasure keeps). Changes nothing; when the chain head looks
   * out of step, the check is repeated once under the subject's history lock, since an append may have committed
   * between the two reads.
   *
   * @param subjectId the subject, existing or erased
   * @return intact (also for a subject without history), or the first broken link
   */
  HistoryVerification verifyHistory(SubjectId subjectId);

  /**
   * Verifies every history in the store, erased subjects' stubs included, in batches of 200 subjects with one short
   * read per subject; for a nightly audit job. Safe to run while the service works.
   *
   * @return how much was checked and every broken history
   */
  HistoryAudit verifyAllHistories();

  /**
   * Answers "was processing for this purpose covered by consent at that instant?" from the recorded history, not
   * from the current state (GDPR Art. 7(1)): consent was confirmed at or before {@code at}, and not withdrawn,
   * expired, erased or restricted since, nor past a fixed retention period. Works on an erased subject's
   * de-identified history too.
   *
   * @param subjectId the subject
   * @param purpose the purpose
   * @param at the instant asked about
   * @return whether consent was valid then
   */
  boolean wasValidAt(SubjectId subjectId, PurposeId purpose, Instant at);

  /**
   * Like {@link #wasValidAt(SubjectId, PurposeId, Instant)}, for the subject that has the address <em>now</em>
   * (the library keeps no history of addresses: after a change of address, ask with the new one).
   *
   * @param email the address, as typed or normalised
   * @param purpose the purpose
   * @param at the instant asked about
   * @return whether consent was valid then; {@code false} for an unknown or invalid address
   */
  boolean wasValidAt(String email, PurposeId purpose, Instant at);
}
