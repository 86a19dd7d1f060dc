package org.optin4j;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.optin4j.internal.ConsentTimeline;
import org.optin4j.internal.HistoryVerifier;

/**
 * The proof of consent (GDPR Art. 7(1): the controller shall be able to demonstrate that the data subject has
 * consented): each subject's consent history, its tamper-evident hash chain and its verification, and answers about
 * the past from that history rather than from the current state. Obtain it from {@link OptIn#proof()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class ConsentProof {
  private final ServiceCore core;

  ConsentProof(ServiceCore core) {
    this.core = core;
  }

  /**
   * Returns a subject's consent history, oldest first: the proof (GDPR Art. 7(1)).
   *
   * @param id the subject
   * @return the events
   */
  public List<ConsentEvent> history(SubjectId id) {
    return core.store().read(tx -> tx.events(id));
  }

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
  public HistoryVerification verifyHistory(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    HistoryVerification result = core.store().read(
        tx -> HistoryVerifier.verify(subjectId, tx.events(subjectId), tx.historyHead(subjectId)));
    if (result instanceof HistoryVerification.Broken b && (b.reason() == HistoryVerification.Reason.TRUNCATED
        || b.reason() == HistoryVerification.Reason.HEAD_MISMATCH)) {
      // An append may have committed between reading the events and the head: check again under the history lock.
      result = core.store().inTransaction(tx -> {
        tx.lockHistory(subjectId);
        return HistoryVerifier.verify(subjectId, tx.events(subjectId), tx.historyHead(subjectId));
      });
    }
    return result;
  }

  /**
   * Verifies every history in the store, erased subjects' stubs included, in batches of 200 subjects with one short
   * read per subject; for a nightly audit job. Safe to run while the service works.
   *
   * @return how much was checked and every broken history
   */
  public HistoryAudit verifyAllHistories() {
    int subjects = 0;
    long events = 0;
    List<HistoryVerification.Broken> broken = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = core.store().read(tx -> tx.historySubjects(from, 200));
      for (SubjectId id : page) {
        HistoryVerification v = verifyHistory(id);
        subjects++;
        if (v instanceof HistoryVerification.Intact i) {
          events += i.events();
        } else {
          broken.add((HistoryVerification.Broken) v);
        }
      }
      if (page.size() < 200) {
        return new HistoryAudit(subjects, events, broken);
      }
      after = page.get(page.size() - 1);
    }
  }

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
  public boolean wasValidAt(SubjectId subjectId, PurposeId purpose, Instant at) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(at, "at");
    Retention retention = core.catalog().purpose(purpose).map(Purpose::retention).orElse(null);
    return ConsentTimeline.validAt(core.store().read(tx -> tx.events(subjectId)), purpose, retention, at);
  }

  /**
   * Like {@link #wasValidAt(SubjectId, PurposeId, Instant)}, for the subject that has the address <em>now</em>
   * (the library keeps no history of addresses: after a change of address, ask with the new one).
   *
   * @param email the address, as typed or normalised
   * @param purpose the purpose
   * @param at the instant asked about
   * @return whether consent was valid then; {@code false} for an unknown or invalid address
   */
  public boolean wasValidAt(String email, PurposeId purpose, Instant at) {
    return core.findSubject(email).map(s -> wasValidAt(s.id(), purpose, at)).orElse(false);
  }
}
