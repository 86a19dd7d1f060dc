package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.optin4j.EmailAddress;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * A mail waiting in, or done with, the transactional outbox (security rule 25): written in the same transaction as the
 * consent change it belongs to, and sent afterwards by the dispatcher.
 *
 * <p>The row holds no token and no rendered text: links are signed when the mail is rendered for sending, so a copy
 * of the database does not hold working links. The {@code dedupeKey} (unique per store) makes a duplicate enqueue a
 * no-op (rule 27). Immutable and thread-safe.
 *
 * @param id the mail id (random, opaque)
 * @param kind which mail
 * @param subjectId to whom
 * @param recipient the address to send to
 * @param requestId the request it belongs to, or {@code null}
 * @param generation the confirmation link generation; for step-up mails and address-changed notices the subject's
 *     address generation their link is signed for; else 0
 * @param locale the language to render in
 * @param purposes the purposes it concerns
 * @param dedupeKey unique key of this mail
 * @param status where it stands
 * @param attempts how many sends were tried
 * @param nextAttemptAt when it is due (next)
 * @param leaseUntil until when a dispatcher holds its claim, or {@code null}
 * @param createdAt when it was enqueued
 * @param sentAt when it was sent, or {@code null}
 * @param lastError the last failure, free of personal data, or {@code null}
 */
public record OutboxMail(
    String id,
    MailKind kind,
    SubjectId subjectId,
    EmailAddress recipient,
    String requestId,
    int generation,
    Locale locale,
    List<PurposeId> purposes,
    String dedupeKey,
    Status status,
    int attempts,
    Instant nextAttemptAt,
    Instant leaseUntil,
    Instant createdAt,
    Instant sentAt,
    String lastError) {

  /** Validates the components. */
  public OutboxMail {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(locale, "locale");
    purposes = List.copyOf(purposes);
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    Objects.requireNonNull(createdAt, "createdAt");
    if (attempts < 0 || generation < 0) {
      throw new IllegalArgumentException("attempts and generation must not be negative");
    }
  }

  /**
   * Returns a new queued mail.
   *
   * @param id the id
   * @param kind the kind
   * @param subjectId to whom
   * @param recipient the address
   * @param requestId the request, or {@code null}
   * @param generation the link generation (see the record's description), or 0
   * @param locale the language
   * @param purposes the purposes
   * @param dedupeKey the unique key
   * @param now when
   * @return the queued mail
   */
  public static OutboxMail queued(
      String id,
      MailKind kind,
      SubjectId subjectId,
      EmailAddress recipient,
      String requestId,
      int generation,
      Locale locale,
      List<PurposeId> purposes,
      String dedupeKey,
      Instant now) {
    return new OutboxMail(
        id,
        kind,
        subjectId,
        recipient,
        requestId,
        generation,
        locale,
        purposes,
        dedupeKey,
        Status.QUEUED,
        0,
        now,
        null,
        now,
        null,
        null);
  }

  /**
   * Returns this mail claimed by a dispatcher until {@code until}.
   *
   * @param until the lease end
   * @return the claimed mail
   */
  public OutboxMail claimed(Instant until) {
    return withDispatch(
        Status.CLAIMED, attempts, nextAttemptAt, until, createdAt, sentAt, lastError);
  }

  /**
   * Returns this mail given back unsent by the dispatcher that claimed it: queued again, without lease, its attempts,
   * due time and last error unchanged (nothing was tried).
   *
   * @return the released mail
   */
  public OutboxMail released() {
    return withDispatch(Status.QUEUED, attempts, nextAttemptAt, null, createdAt, sentAt, lastError);
  }

  /**
   * Returns this mail marked sent.
   *
   * @param at when
   * @return the sent mail
   */
  public OutboxMail sent(Instant at) {
    return withDispatch(Status.SENT, attempts + 1, nextAttemptAt, null, createdAt, at, null);
  }

  /**
   * Returns this mail queued again after a transient failure.
   *
   * @param next when to try again
   * @param error the failure, free of personal data
   * @return the mail
   */
  public OutboxMail retryAt(Instant next, String error) {
    return withDispatch(Status.QUEUED, attempts + 1, next, null, createdAt, null, error);
  }

  /**
   * Returns this mail marked permanently failed.
   *
   * @param error the failure, free of personal data
   * @return the mail
   */
  public OutboxMail failed(String error) {
    return withDispatch(Status.FAILED, attempts + 1, nextAttemptAt, null, createdAt, null, error);
  }

  /**
   * Returns this mail marked skipped: no longer needed (superseded by a resend, the request confirmed or expired
   * before it went out).
   *
   * @param reason why, free of personal data
   * @return the mail
   */
  public OutboxMail skipped(String reason) {
    return withDispatch(Status.SKIPPED, attempts, nextAttemptAt, null, createdAt, null, reason);
  }

  /** Where an outbox mail stands. */
  public enum Status {
    /** Waiting to be sent (at {@code nextAttemptAt}). */
    QUEUED,
    /** Held by a dispatcher until {@code leaseUntil}; reclaimable after. */
    CLAIMED,
    /** Handed to the mail server. */
    SENT,
    /** Failed permanently; visible to the operator. */
    FAILED,
    /** Not sent because it was no longer needed; not a failure. */
    SKIPPED
  }

  /** This mail with its dispatch state replaced: what every state change keeps is its identity and content. */
  private OutboxMail withDispatch(
      Status status,
      int attempts,
      Instant nextAttemptAt,
      Instant leaseUntil,
      Instant createdAt,
      Instant sentAt,
      String lastError) {
    return new OutboxMail(
        id,
        kind,
        subjectId,
        recipient,
        requestId,
        generation,
        locale,
        purposes,
        dedupeKey,
        status,
        attempts,
        nextAttemptAt,
        leaseUntil,
        createdAt,
        sentAt,
        lastError);
  }
}
