package org.optin4j;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;

/**
 * The register of personal data breaches (GDPR Art. 33-34): records each incident with its 72-hour notification
 * clock (Art. 33(1), 33(5)), notes when the supervisory authority was told and when the incident was closed, lists
 * the subjects it affects, and mails them the controller's notification (Art. 34). Obtain it from
 * {@link OptIn#breaches()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class BreachRegister {
  private final ServiceCore core;

  BreachRegister(ServiceCore core) {
    this.core = core;
  }

  /**
   * Records a personal data breach in the register (GDPR Art. 33(5)). The 72-hour clock of Art. 33(1) runs from
   * {@code discoveredAt}: see {@link Incident#notificationDeadline()}.
   *
   * @param discoveredAt when the controller became aware of it; not in the future
   * @param nature what happened
   * @param dataCategories the categories of personal data concerned
   * @param subjectCategories the categories of data subjects concerned
   * @param affectedPurposes the purposes whose subjects are affected, or empty for every subject on file
   * @return the recorded incident
   * @throws IllegalArgumentException if a purpose is not in the catalog, the time is in the future, or a text is
   *     invalid
   */
  public Incident recordIncident(Instant discoveredAt, String nature, List<String> dataCategories,
      List<String> subjectCategories, Set<PurposeId> affectedPurposes) {
    Objects.requireNonNull(discoveredAt, "discoveredAt");
    Objects.requireNonNull(affectedPurposes, "affectedPurposes");
    Instant now = core.clock().instant();
    if (discoveredAt.isAfter(now.plusSeconds(60))) {
      throw new IllegalArgumentException("discoveredAt lies in the future: " + discoveredAt);
    }
    for (PurposeId p : affectedPurposes) {
      core.catalog().require(p);
    }
    Incident incident = new Incident(core.randomId(), discoveredAt, now, nature, dataCategories, subjectCategories,
        affectedPurposes, Incident.Status.OPEN, null, null, null);
    core.store().inTransaction(tx -> {
      tx.saveIncident(incident);
      return null;
    });
    return incident;
  }

  /**
   * Finds an incident.
   *
   * @param id the incident id
   * @return the incident, or empty
   */
  public Optional<Incident> incident(String id) {
    return core.store().read(tx -> tx.incident(Objects.requireNonNull(id, "id")));
  }

  /**
   * Returns the breach register, latest discovery first.
   *
   * @return every incident
   */
  public List<Incident> incidents() {
    return core.store().read(ConsentStore.Transaction::incidents);
  }

  /**
   * Records that the supervisory authority was notified of an incident (Art. 33(1)).
   *
   * @param id the incident id
   * @param at when it was notified
   * @return the updated incident, or empty if there is no such incident
   */
  public Optional<Incident> markAuthorityNotified(String id, Instant at) {
    Objects.requireNonNull(at, "at");
    return updateIncident(id, i -> i.authorityNotified(at));
  }

  /**
   * Closes an incident (handled, or found not to need notification: record why in your own register notes).
   *
   * @param id the incident id
   * @return the updated incident, or empty if there is no such incident
   */
  public Optional<Incident> closeIncident(String id) {
    return updateIncident(id, i -> i.closed(core.clock().instant()));
  }

  private Optional<Incident> updateIncident(String id, java.util.function.UnaryOperator<Incident> change) {
    Objects.requireNonNull(id, "id");
    return core.store().inTransaction(tx -> tx.incident(id).map(i -> {
      Incident updated = change.apply(i);
      tx.saveIncident(updated);
      return updated;
    }));
  }

  /**
   * Lists the subjects an incident affects, a page at a time: every subject on file with a consent (in any state:
   * withdrawn ones too, as long as they were not erased) for an affected purpose, or every subject if the incident
   * affects all.
   *
   * @param incidentId the incident
   * @param after continue after this subject, or {@code null} to start
   * @param limit the page size, 1 to 10000
   * @return the subject ids
   * @throws IllegalArgumentException if there is no such incident
   */
  public List<SubjectId> affectedSubjects(String incidentId, SubjectId after, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    return core.store().inTransaction(tx -> {
      Incident incident = tx.incident(Objects.requireNonNull(incidentId, "incidentId"))
          .orElseThrow(() -> new IllegalArgumentException("unknown incident " + incidentId));
      return tx.subjects(incident.affectedPurposes(), Set.of(), after, limit);
    });
  }

  /**
   * Mails every affected subject the controller's breach notification (Art. 34) at the address on file, through the
   * outbox, whatever the state of their consent. The text is stored once with the incident. Safe to call again
   * with the same text after a crash: subjects already queued are not mailed twice.
   *
   * @param incidentId the incident
   * @param subject the subject line
   * @param text the notification in clear and plain language (Art. 34(2))
   * @return how many mails were queued by this call
   * @throws IllegalArgumentException if there is no such incident
   * @throws IllegalStateException if the incident's subjects were already notified with another text
   */
  public int notifyAffectedSubjects(String incidentId, String subject, String text) {
    Objects.requireNonNull(incidentId, "incidentId");
    Incident incident = core.store().inTransaction(tx -> {
      Incident i = tx.incident(incidentId)
          .orElseThrow(() -> new IllegalArgumentException("unknown incident " + incidentId));
      Incident.SubjectNotice notice = new Incident.SubjectNotice(subject, text, core.clock().instant());
      if (i.subjectNotice() == null) {
        i = i.withSubjectNotice(notice);
        tx.saveIncident(i);
      } else if (!i.subjectNotice().subject().equals(subject) || !i.subjectNotice().text().equals(text)) {
        throw new IllegalStateException("the subjects of incident " + incidentId + " were notified already");
      }
      return i;
    });
    int queued = 0;
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = core.store().read(tx -> tx.subjects(incident.affectedPurposes(), Set.of(), from,
          500));
      int n = core.store().inTransaction(tx -> {
        int count = 0;
        Instant now = core.clock().instant();
        for (SubjectId id : page) {
          Optional<Subject> s = tx.subject(id);
          if (s.isPresent() && tx.enqueue(OutboxMail.queued(core.randomId(), MailKind.BREACH_NOTICE, id,
              s.get().email(), incidentId, 0, core.catalog().defaultLocale(), List.of(),
              "breach:" + incidentId + ':' + id.value(), now))) {
            count++;
          }
        }
        return count;
      });
      queued += n;
      if (page.size() < 500) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    core.dispatcher().wake();
    return queued;
  }
}
