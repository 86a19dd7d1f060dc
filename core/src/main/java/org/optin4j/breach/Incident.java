package org.optin4j.breach;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.optin4j.PurposeId;

/**
 * A personal data breach in the register the controller must keep (GDPR Art. 33(5)): when it was discovered, what
 * happened, which categories of data and of data subjects it concerns, which purposes' subjects are affected, and
 * where the controller stands with notifying the supervisory authority (Art. 33(1): within 72 hours of becoming
 * aware, calendar hours, weekends and holidays included) and the data subjects (Art. 34).
 *
 * <p>Record one with {@link BreachRegister#recordIncident}; the store keeps it. Immutable and thread-safe.
 *
 * @param id the incident id (random, opaque)
 * @param discoveredAt when the controller became aware of the breach (starts the 72 hours)
 * @param recordedAt when it was entered in the register
 * @param nature what happened (Art. 33(3)(a)), one or more lines
 * @param dataCategories the categories of personal data concerned, for example {@code email address}
 * @param subjectCategories the categories of data subjects concerned, for example {@code newsletter subscribers}
 * @param affectedPurposes the purposes whose subjects are affected; empty means every subject on file
 * @param status where the incident stands
 * @param authorityNotifiedAt when the supervisory authority was notified, or {@code null}
 * @param closedAt when the incident was closed, or {@code null}
 * @param subjectNotice the notification mailed to the affected subjects, or {@code null} before one was sent
 */
public record Incident(
    String id,
    Instant discoveredAt,
    Instant recordedAt,
    String nature,
    List<String> dataCategories,
    List<String> subjectCategories,
    Set<PurposeId> affectedPurposes,
    Status status,
    Instant authorityNotifiedAt,
    Instant closedAt,
    SubjectNotice subjectNotice) {

  /** The Art. 33(1) deadline: 72 calendar hours after discovery. */
  public static final Duration NOTIFICATION_WINDOW = Duration.ofHours(72);

  /** Validates and copies the components. */
  public Incident {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(discoveredAt, "discoveredAt");
    Objects.requireNonNull(recordedAt, "recordedAt");
    Objects.requireNonNull(nature, "nature");
    if (nature.isBlank()) {
      throw new IllegalArgumentException("the nature of the breach must be described");
    }
    dataCategories = lines(dataCategories, "dataCategories");
    subjectCategories = lines(subjectCategories, "subjectCategories");
    affectedPurposes = java.util.Collections.unmodifiableSet(new TreeSet<>(affectedPurposes));
    Objects.requireNonNull(status, "status");
    if (status == Status.AUTHORITY_NOTIFIED && authorityNotifiedAt == null) {
      throw new IllegalArgumentException("a notified incident needs authorityNotifiedAt");
    }
    if (status == Status.CLOSED && closedAt == null) {
      throw new IllegalArgumentException("a closed incident needs closedAt");
    }
  }

  private static List<String> lines(List<String> values, String name) {
    List<String> copy = List.copyOf(Objects.requireNonNull(values, name));
    for (String v : copy) {
      if (!isLine(v)) {
        throw new IllegalArgumentException(
            name + ": each entry is one line of 1 to 200 characters");
      }
    }
    return copy;
  }

  /** One line of 1 to 200 characters: what a register entry and a notice subject may be. */
  private static boolean isLine(String s) {
    return !s.isBlank() && s.length() <= 200 && s.chars().noneMatch(Character::isISOControl);
  }

  /** Returns the Art. 33(1) notification deadline: discovery plus 72 hours. */
  public Instant notificationDeadline() {
    return discoveredAt.plus(NOTIFICATION_WINDOW);
  }

  /**
   * Tells whether the authority should have been notified by now and was not.
   *
   * @param now the current time
   * @return whether the deadline passed without a recorded notification (closed incidents are never overdue)
   */
  public boolean isOverdue(Instant now) {
    return status == Status.OPEN && !now.isBefore(notificationDeadline());
  }

  /** Returns whether every subject on file is affected. */
  public boolean affectsEverySubject() {
    return affectedPurposes.isEmpty();
  }

  /**
   * Returns this incident marked as notified to the supervisory authority.
   *
   * @param at when
   * @return the incident
   */
  public Incident authorityNotified(Instant at) {
    return withProgress(
        status == Status.CLOSED ? Status.CLOSED : Status.AUTHORITY_NOTIFIED,
        at,
        closedAt,
        subjectNotice);
  }

  /**
   * Returns this incident closed.
   *
   * @param at when
   * @return the incident
   */
  public Incident closed(Instant at) {
    return withProgress(Status.CLOSED, authorityNotifiedAt, at, subjectNotice);
  }

  /**
   * Returns this incident with the notification that goes to its subjects.
   *
   * @param notice the notification
   * @return the incident
   */
  public Incident withSubjectNotice(SubjectNotice notice) {
    return withProgress(status, authorityNotifiedAt, closedAt, notice);
  }

  /** This incident with its handling replaced: what it records of the breach itself never changes. */
  private Incident withProgress(
      Status status, Instant authorityNotifiedAt, Instant closedAt, SubjectNotice subjectNotice) {
    return new Incident(
        id,
        discoveredAt,
        recordedAt,
        nature,
        dataCategories,
        subjectCategories,
        affectedPurposes,
        status,
        authorityNotifiedAt,
        closedAt,
        subjectNotice);
  }

  /** Where an incident stands. */
  public enum Status {
    /** Recorded; the authority has not been notified yet. */
    OPEN,
    /** The supervisory authority was notified (Art. 33). */
    AUTHORITY_NOTIFIED,
    /** Handled; no further action. */
    CLOSED
  }

  /**
   * The notification mailed to affected subjects (Art. 34(2): in clear and plain language, the nature of the breach,
   * a contact point, the likely consequences and the measures taken). The controller writes it; optin4j mails it as
   * written, with the controller's name and contact address as footer.
   *
   * @param subject the subject line
   * @param text the plain-text body
   * @param queuedAt when the mails were queued
   */
  public record SubjectNotice(String subject, String text, Instant queuedAt) {
    /** Validates the components. */
    public SubjectNotice {
      Objects.requireNonNull(subject, "subject");
      if (!isLine(subject)) {
        throw new IllegalArgumentException("the notice subject is one line of 1 to 200 characters");
      }
      Objects.requireNonNull(text, "text");
      if (text.isBlank()) {
        throw new IllegalArgumentException("the notice text must not be blank");
      }
      Objects.requireNonNull(queuedAt, "queuedAt");
    }
  }
}
