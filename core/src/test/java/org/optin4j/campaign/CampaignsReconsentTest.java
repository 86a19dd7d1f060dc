package org.optin4j.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.ResendResult;
import org.optin4j.Retention;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.PendingRequest;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** A material change of a purpose: list who consented under the old version, ask them again, expire the silent. */
class CampaignsReconsentTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();

  private static PurposeCatalog catalog(Purpose newsletter) {
    return PurposeCatalog.builder()
        .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
        .add(newsletter)
        .add(Fixtures.events())
        .build();
  }

  private static Purpose newsletterV2(boolean material) {
    return Purpose.builder("newsletter")
        .version(2)
        .materialChange(material)
        .text(
            Locale.ENGLISH,
            "Monthly newsletter",
            "Our bread of the month, recipes and now also offers of our" + " partner mills.",
            "your email address")
        .text(
            Locale.forLanguageTag("nl"),
            "Maandelijkse nieuwsbrief",
            "Ons brood van de maand, recepten en" + " aanbiedingen van partnermolens.",
            "je e-mailadres")
        .noRecipients()
        .noAutomatedDecisions()
        .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
        .build();
  }

  private OptIn version1() {
    return Fixtures.builder(store, mailer, clock).build();
  }

  private OptIn version2(boolean material) {
    return Fixtures.builder(store, mailer, clock).catalog(catalog(newsletterV2(material))).build();
  }

  private SubjectId confirmed(OptIn o, String email) {
    return OptInFlow.of(o, mailer).confirmed(email, NEWSLETTER);
  }

  @Test
  void materialChangeThenOldConsentsListedAskedAgainValidUntilAnswerOrDeadline() {
    SubjectId ann;
    SubjectId bob;
    try (OptIn v1 = version1()) {
      ann = confirmed(v1, "ann@example.org");
      bob = confirmed(v1, "bob@example.org");
    }
    clock.advance(Duration.ofDays(10));
    try (OptIn v2 = version2(true)) {
      assertEquals(
          Set.of(ann, bob), Set.copyOf(v2.campaigns().reconsentCandidates(NEWSLETTER, null, 10)));
      mailer.clear();

      assertEquals(
          new ReconsentResult(2, 0, 0),
          v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(30)));
      assertEquals(
          new ReconsentResult(0, 2, 0),
          v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(30)));
      v2.operations().dispatchNow();
      assertEquals(2, mailer.sent().size());
      assertTrue(
          v2.mayMail("ann@example.org", NEWSLETTER), "the old consent stays valid meanwhile");
      assertTrue(v2.mayMail("bob@example.org", NEWSLETTER));

      // Ann confirms under the new version.
      String annLink =
          mailer.sent().stream()
              .filter(m -> m.to().value().equals("ann@example.org"))
              .findFirst()
              .orElseThrow()
              .text();
      ConfirmationPreview.Ready preview =
          assertInstanceOf(
              ConfirmationPreview.Ready.class, v2.preview(Fixtures.token(annLink, "confirm")));
      assertTrue(preview.notice().text().contains("partner mills"), preview.notice().text());
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          v2.confirm(
              Fixtures.token(annLink, "confirm"),
              ConfirmationChoice.all(),
              Evidence.of("203.0.113.5", "Firefox")));
      Consent annNow = v2.consents(ann).get(0);
      assertEquals(2, annNow.purposeVersion());
      assertEquals(preview.notice().hash(), annNow.notice().hash());
      assertEquals(clock.instant(), annNow.confirmedAt());
      assertEquals(List.of(bob), v2.campaigns().reconsentCandidates(NEWSLETTER, null, 10));

      // Bob's link runs out; a fresh one keeps the deadline.
      clock.advance(Duration.ofDays(5));
      String bobLink =
          mailer.sent().stream()
              .filter(m -> m.to().value().equals("bob@example.org"))
              .findFirst()
              .orElseThrow()
              .text();
      assertInstanceOf(
          ConfirmationResult.Expired.class,
          v2.confirm(Fixtures.token(bobLink, "confirm"), ConfirmationChoice.all(), Evidence.NONE));
      assertInstanceOf(
          ResendResult.Resent.class, v2.resendConfirmation(Fixtures.token(bobLink, "confirm")));
      PendingRequest open = store.inTransaction(tx -> tx.requests().openRequests(bob)).get(0);
      assertEquals(Instant.parse("2026-04-11T10:00:00Z"), open.expiresAt(), "deadline unchanged");

      // He never answers: at the deadline the purge ends his consent.
      clock.set(Instant.parse("2026-04-11T10:00:01Z"));
      v2.operations().purge();
      assertFalse(v2.mayMail("bob@example.org", NEWSLETTER));
      assertTrue(v2.mayMail("ann@example.org", NEWSLETTER));
      assertEquals(ConsentState.EXPIRED, v2.consents(bob).get(0).state());
      assertTrue(v2.proof().wasValidAt(bob, NEWSLETTER, Instant.parse("2026-04-11T09:00:00Z")));
      assertFalse(v2.proof().wasValidAt(bob, NEWSLETTER, Instant.parse("2026-04-11T10:00:01Z")));
      assertInstanceOf(HistoryVerification.Intact.class, v2.proof().verifyHistory(bob));
      assertInstanceOf(HistoryVerification.Intact.class, v2.proof().verifyHistory(ann));
    }
  }

  @Test
  void declineOfAReconfirmationWithdrawsTheConsent() {
    SubjectId ann;
    try (OptIn v1 = version1()) {
      ann = confirmed(v1, "ann@example.org");
    }
    clock.advance(
        Duration.ofMinutes(3)); // past the minimum interval since the first confirmation mail
    try (OptIn v2 = version2(true)) {
      mailer.clear();
      v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(14));
      v2.operations().dispatchNow();

      v2.decline(Fixtures.token(mailer.last().text(), "confirm"), Evidence.NONE);

      assertEquals(ConsentState.WITHDRAWN, v2.consents(ann).get(0).state());
      assertFalse(v2.mayMail("ann@example.org", NEWSLETTER));
    }
  }

  @Test
  void editorialChangeThenNobodyIsAskedAgain() {
    try (OptIn v1 = version1()) {
      confirmed(v1, "ann@example.org");
    }
    try (OptIn v2 = version2(false)) {
      assertEquals(List.of(), v2.campaigns().reconsentCandidates(NEWSLETTER, null, 10));
      assertThrows(
          IllegalArgumentException.class,
          () -> v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(30)));
      assertTrue(v2.mayMail("ann@example.org", NEWSLETTER));
    }
  }

  @Test
  void materialVersionIsValidatedAndDefaultsToOne() {
    assertEquals(1, Fixtures.newsletter().materialVersion());
    assertEquals(2, newsletterV2(true).materialVersion());
    assertTrue(newsletterV2(true).needsReconsent(1));
    assertFalse(newsletterV2(true).needsReconsent(2));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            Purpose.builder("x")
                .version(2)
                .materialVersion(3)
                .text(Locale.ENGLISH, "t", "d", "e")
                .noRecipients()
                .noAutomatedDecisions()
                .retention(Retention.untilWithdrawn(Duration.ZERO))
                .build());
    assertNotEquals(newsletterV2(true), newsletterV2(false));
  }
}
