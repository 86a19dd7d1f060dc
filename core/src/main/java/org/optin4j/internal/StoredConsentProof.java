package org.optin4j.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.Retention;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.ConsentProof;
import org.optin4j.proof.HistoryAudit;
import org.optin4j.proof.HistoryVerification;

/**
 * The implementation of {@link ConsentProof} over the consent store; see there. Not API.
 */
public final class StoredConsentProof implements ConsentProof {
  private final ServiceCore core;

  public StoredConsentProof(ServiceCore core) {
    this.core = core;
  }

  @Override
  public List<ConsentEvent> history(SubjectId id) {
    return core.store().read(tx -> tx.history().events(id));
  }

  @Override
  public HistoryVerification verifyHistory(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    HistoryVerification result =
        core.store()
            .read(
                tx ->
                    HistoryVerifier.verify(
                        subjectId, tx.history().events(subjectId), tx.history().head(subjectId)));
    if (result instanceof HistoryVerification.Broken b
        && (b.reason() == HistoryVerification.Reason.TRUNCATED
            || b.reason() == HistoryVerification.Reason.HEAD_MISMATCH)) {
      // An append may have committed between reading the events and the head: check again under the
      // history lock.
      result =
          core.store()
              .inTransaction(
                  tx -> {
                    tx.history().lock(subjectId);
                    return HistoryVerifier.verify(
                        subjectId, tx.history().events(subjectId), tx.history().head(subjectId));
                  });
    }
    return result;
  }

  @Override
  public HistoryAudit verifyAllHistories() {
    int subjects = 0;
    long events = 0;
    List<HistoryVerification.Broken> broken = new ArrayList<>();
    for (List<SubjectId> page :
        KeysetPages.<SubjectId>of(
            200, from -> core.store().read(tx -> tx.history().subjects(from, 200)))) {
      for (SubjectId id : page) {
        HistoryVerification v = verifyHistory(id);
        subjects++;
        if (v instanceof HistoryVerification.Intact i) {
          events += i.events();
        } else {
          broken.add((HistoryVerification.Broken) v);
        }
      }
    }
    return new HistoryAudit(subjects, events, broken);
  }

  @Override
  public boolean wasValidAt(SubjectId subjectId, PurposeId purpose, Instant at) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(at, "at");
    Retention retention = core.catalog().purpose(purpose).map(Purpose::retention).orElse(null);
    return ConsentTimeline.validAt(
        core.store().read(tx -> tx.history().events(subjectId)), purpose, retention, at);
  }

  @Override
  public boolean wasValidAt(String email, PurposeId purpose, Instant at) {
    return core.findSubject(email).map(s -> wasValidAt(s.id(), purpose, at)).orElse(false);
  }
}
