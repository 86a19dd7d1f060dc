package org.optin4j.breach;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * The register of personal data breaches (GDPR Art. 33-34): records each incident with its 72-hour notification
 * clock (Art. 33(1), 33(5)), notes when the supervisory authority was told and when the incident was closed, lists
 * the subjects it affects, and mails them the controller's notification (Art. 34). Obtain it from
 * {@link OptIn#breaches()}.
 *
 * <p>Immutable and thread-safe.
 */
public interface BreachRegister {

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
  Incident recordIncident(
      Instant discoveredAt,
      String nature,
      List<String> dataCategories,
      List<String> subjectCategories,
      Set<PurposeId> affectedPurposes);

  /**
   * Finds an incident.
   *
   * @param id the incident id
   * @return the incident, or empty
   */
  Optional<Incident> incident(String id);

  /**
   * Returns the breach register, latest discovery first.
   *
   * @return every incident
   */
  List<Incident> incidents();

  /**
   * Records that the supervisory authority was notified of an incident (Art. 33(1)).
   *
   * @param id the incident id
   * @param at when it was notified
   * @return the updated incident, or empty if there is no such incident
   */
  Optional<Incident> markAuthorityNotified(String id, Instant at);

  /**
   * Closes an incident (handled, or found not to need notification: record why in your own register notes).
   *
   * @param id the incident id
   * @return the updated incident, or empty if there is no such incident
   */
  Optional<Incident> closeIncident(String id);

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
  List<SubjectId> affectedSubjects(String incidentId, SubjectId after, int limit);

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
  int notifyAffectedSubjects(String incidentId, String subject, String text);
}
