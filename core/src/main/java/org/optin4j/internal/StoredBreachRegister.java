package org.optin4j.internal;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.breach.BreachRegister;
import org.optin4j.breach.Incident;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;

/**
 * The implementation of {@link BreachRegister} over the consent store; see there. Not API.
 */
public final class StoredBreachRegister implements BreachRegister {
  private final ServiceCore core;

  public StoredBreachRegister(ServiceCore core) {
    this.core = core;
  }

  @Override
  public Incident recordIncident(
      Instant discoveredAt,
      String nature,
      List<String> dataCategories,
      List<String> subjectCategories,
      Set<PurposeId> affectedPurposes) {
    Objects.requireNonNull(discoveredAt, "discoveredAt");
    Objects.requireNonNull(affectedPurposes, "affectedPurposes");
    Instant now = core.clock().instant();
    if (discoveredAt.isAfter(now.plusSeconds(60))) {
      throw new IllegalArgumentException("discoveredAt lies in the future: " + discoveredAt);
    }
    for (PurposeId p : affectedPurposes) {
      core.catalog().require(p);
    }
    Incident incident =
        new Incident(
            core.randomId(),
            discoveredAt,
            now,
            nature,
            dataCategories,
            subjectCategories,
            affectedPurposes,
            Incident.Status.OPEN,
            null,
            null,
            null);
    core.write(tx -> tx.registers().saveIncident(incident));
    return incident;
  }

  @Override
  public Optional<Incident> incident(String id) {
    return core.store().read(tx -> tx.registers().incident(Objects.requireNonNull(id, "id")));
  }

  @Override
  public List<Incident> incidents() {
    return core.store().read((ConsentStore.Transaction unit) -> unit.registers().incidents());
  }

  @Override
  public Optional<Incident> markAuthorityNotified(String id, Instant at) {
    Objects.requireNonNull(at, "at");
    return updateIncident(id, i -> i.authorityNotified(at));
  }

  @Override
  public Optional<Incident> closeIncident(String id) {
    return updateIncident(id, i -> i.closed(core.clock().instant()));
  }

  private Optional<Incident> updateIncident(
      String id, java.util.function.UnaryOperator<Incident> change) {
    Objects.requireNonNull(id, "id");
    return core.store()
        .inTransaction(
            tx ->
                tx.registers()
                    .incident(id)
                    .map(
                        i -> {
                          Incident updated = change.apply(i);
                          tx.registers().saveIncident(updated);
                          return updated;
                        }));
  }

  @Override
  public List<SubjectId> affectedSubjects(String incidentId, SubjectId after, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    return core.store()
        .inTransaction(
            tx -> {
              Incident incident =
                  tx.registers()
                      .incident(Objects.requireNonNull(incidentId, "incidentId"))
                      .orElseThrow(
                          () -> new IllegalArgumentException("unknown incident " + incidentId));
              return tx.subjects().subjects(incident.affectedPurposes(), Set.of(), after, limit);
            });
  }

  @Override
  public int notifyAffectedSubjects(String incidentId, String subject, String text) {
    Objects.requireNonNull(incidentId, "incidentId");
    Incident incident =
        core.store()
            .inTransaction(
                tx -> {
                  Incident i =
                      tx.registers()
                          .incident(incidentId)
                          .orElseThrow(
                              () -> new IllegalArgumentException("unknown incident " + incidentId));
                  Incident.SubjectNotice notice =
                      new Incident.SubjectNotice(subject, text, core.clock().instant());
                  if (i.subjectNotice() == null) {
                    i = i.withSubjectNotice(notice);
                    tx.registers().saveIncident(i);
                  } else if (!i.subjectNotice().subject().equals(subject)
                      || !i.subjectNotice().text().equals(text)) {
                    throw new IllegalStateException(
                        "the subjects of incident " + incidentId + " were notified already");
                  }
                  return i;
                });
    int queued = 0;
    for (List<SubjectId> page :
        KeysetPages.subjects(core.store(), incident.affectedPurposes(), Set.of())) {
      queued +=
          core.enqueueToEach(
              page,
              (tx, s, now) ->
                  tx.outbox()
                      .enqueue(
                          OutboxMail.queued(
                              core.randomId(),
                              MailKind.BREACH_NOTICE,
                              s.id(),
                              s.email(),
                              incidentId,
                              0,
                              core.catalog().defaultLocale(),
                              List.of(),
                              "breach:" + incidentId + ':' + s.id().value(),
                              now)));
    }
    core.dispatcher().wake();
    return queued;
  }
}
