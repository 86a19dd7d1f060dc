package org.optin4j.testing.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.NodeRegistration;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * Builders of deterministic test data for store tests: fixed instants, readable ids, valid records. Everything here is
 * a pure function of its arguments, so tests of different stores (in memory, JDBC on H2, PostgreSQL, MariaDB) build
 * the same rows.
 *
 * <p>This class has no state and is thread-safe.
 */
public final class StoreFixtures {

  /** The instant every test starts from: 2030-01-01T00:00:00Z (whole seconds, as a database keeps them). */
  public static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  /** The purpose {@code newsletter}. */
  public static final PurposeId NEWSLETTER = PurposeId.of("newsletter");

  /** The purpose {@code offers}. */
  public static final PurposeId OFFERS = PurposeId.of("offers");

  /** The purpose {@code surveys}. */
  public static final PurposeId SURVEYS = PurposeId.of("surveys");

  private StoreFixtures() {}

  /**
   * Returns {@link #T0} plus some seconds.
   *
   * @param seconds the offset
   * @return the instant
   */
  public static Instant at(long seconds) {
    return T0.plusSeconds(seconds);
  }

  /**
   * Returns {@link #T0} plus a duration.
   *
   * @param offset the offset
   * @return the instant
   */
  public static Instant at(Duration offset) {
    return T0.plus(offset);
  }

  /**
   * Returns a valid subject id derived from a short name ({@code "ann"} becomes {@code "ann-------------------"}).
   *
   * @param name letters, digits, {@code -} or {@code _}, at most 22
   * @return the id
   */
  public static SubjectId subjectId(String name) {
    if (name.length() > 22) {
      throw new IllegalArgumentException("name longer than 22 characters");
    }
    return new SubjectId(name + "-".repeat(22 - name.length()));
  }

  /**
   * Returns the address {@code name@example.org}.
   *
   * @param name the local part
   * @return the address
   */
  public static EmailAddress email(String name) {
    return EmailAddress.parse(name + "@example.org");
  }

  /**
   * Returns a subject with {@code subjectId(name)}, {@code email(name)} and creation time {@link #T0}.
   *
   * @param name the name
   * @return the subject
   */
  public static Subject subject(String name) {
    return new Subject(subjectId(name), email(name), T0);
  }

  /**
   * Returns a notice candidate (version 1; stores assign the real one), created at {@link #T0}.
   *
   * @param locale the language
   * @param text the text
   * @param purposes the purposes
   * @return the candidate
   */
  public static Notice notice(Locale locale, String text, PurposeId... purposes) {
    return new Notice(1, Notice.sha256(text), locale, Arrays.asList(purposes), text, T0);
  }

  /**
   * Returns a reference to version 1 of an English notice with the given text (the notice need not be stored).
   *
   * @param text the text
   * @return the reference
   */
  public static Consent.NoticeRef noticeRef(String text) {
    return new Consent.NoticeRef(1, Notice.sha256(text), Locale.ENGLISH);
  }

  /**
   * Returns a pending consent (purpose version 1) requested at {@code at}.
   *
   * @param subject whose
   * @param purpose which purpose
   * @param requestId the request
   * @param at when
   * @return the consent
   */
  public static Consent pendingConsent(
      SubjectId subject, PurposeId purpose, String requestId, Instant at) {
    return new Consent(
        subject,
        purpose,
        1,
        ConsentState.PENDING,
        requestId,
        noticeRef("notice text"),
        at,
        null,
        null,
        false);
  }

  /**
   * Returns an unsequenced event carrying request, notice, source, evidence and token id.
   *
   * @param subject whose
   * @param purpose which purpose
   * @param type what happened
   * @param at when
   * @return the event with sequence 0
   */
  public static ConsentEvent event(
      SubjectId subject, PurposeId purpose, ConsentEvent.Type type, Instant at) {
    return new ConsentEvent(
        0,
        subject,
        purpose,
        type,
        at,
        "req-1",
        noticeRef("notice text"),
        "https://shop.example.org/signup",
        Channel.FORM,
        Evidence.of("203.0.113.7", "Mozilla/5.0 (X11)"),
        "jti-" + type.name().toLowerCase(Locale.ROOT));
  }

  /**
   * Returns an open request for the newsletter and offers, requested at {@code at}, expiring 48 hours later,
   * generation 1.
   *
   * @param id the request id
   * @param subject who asked
   * @param at when
   * @return the request
   */
  public static PendingRequest openRequest(String id, SubjectId subject, Instant at) {
    return new PendingRequest(
        id,
        subject,
        Set.of(NEWSLETTER, OFFERS),
        noticeRef("notice text"),
        "signup-form",
        Evidence.of("198.51.100.1", "Mozilla/5.0"),
        at,
        at.plus(Duration.ofHours(48)),
        1,
        PendingRequest.Status.OPEN,
        null);
  }

  /**
   * Returns a queued confirmation mail with dedupe key {@code "dedupe-" + id}, due at {@code createdAt}.
   *
   * @param id the mail id
   * @param subject to whom
   * @param recipient the address
   * @param createdAt when enqueued (and due)
   * @return the mail
   */
  public static OutboxMail mail(
      String id, SubjectId subject, EmailAddress recipient, Instant createdAt) {
    return mail(id, MailKind.CONFIRMATION, subject, recipient, "dedupe-" + id, createdAt);
  }

  /**
   * Returns a queued mail, due at {@code createdAt}.
   *
   * @param id the mail id
   * @param kind the kind
   * @param subject to whom
   * @param recipient the address
   * @param dedupeKey the dedupe key
   * @param createdAt when enqueued (and due)
   * @return the mail
   */
  public static OutboxMail mail(
      String id,
      MailKind kind,
      SubjectId subject,
      EmailAddress recipient,
      String dedupeKey,
      Instant createdAt) {
    return OutboxMail.queued(
        id,
        kind,
        subject,
        recipient,
        "req-1",
        kind == MailKind.CONFIRMATION ? 1 : 0,
        Locale.ENGLISH,
        List.of(NEWSLETTER, OFFERS),
        dedupeKey,
        createdAt);
  }

  /**
   * Returns a node registration with two redirect origins (one an IDN) and two signing keys, {@code k2} current,
   * registered at {@link #T0}.
   *
   * @param id the node id
   * @param issuer the issuer
   * @param seenAt when the node was last seen
   * @return the registration
   */
  public static NodeRegistration node(String id, String issuer, Instant seenAt) {
    return new NodeRegistration(
        id,
        issuer,
        Set.of("https://shop.example/optin", "https://b\u00e4cker.example"),
        "k2",
        Map.of("k1", "00112233445566778899aabbccddeeff", "k2", "ffeeddccbbaa99887766554433221100"),
        T0,
        seenAt);
  }
}
