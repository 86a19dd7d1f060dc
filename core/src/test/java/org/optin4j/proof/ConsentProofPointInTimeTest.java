package org.optin4j.proof;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** "Was consent valid at T?" answered from the history, across a timeline. */
class ConsentProofPointInTimeTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).build();
  private final ConsentProof proof = optIn.proof();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId requestAndConfirm(String email, PurposeId purpose, Duration confirmAfter) {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of(email, Locale.ENGLISH, purpose)));
    optIn.operations().dispatchNow();
    clock.advance(confirmAfter);
    optIn.confirm(
        Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    return r.subjectId();
  }

  private Instant t(String instant) {
    return Instant.parse(instant);
  }

  @Test
  void wasValidAtFollowsRequestConfirmRestrictLiftWithdrawAndRenewedConsent() {
    Instant requested = clock.instant(); // 2026-03-02T10:00
    SubjectId ann =
        requestAndConfirm("ann@example.org", NEWSLETTER, Duration.ofHours(1)); // confirmed 11:00
    clock.set(t("2026-04-01T00:00:00Z"));
    optIn.rights().restrict(ann, NEWSLETTER, true, Channel.OPERATOR);
    clock.set(t("2026-04-10T00:00:00Z"));
    optIn.rights().restrict(ann, NEWSLETTER, false, Channel.OPERATOR);
    clock.set(t("2026-05-01T00:00:00Z"));
    optIn.withdraw(ann, Set.of(), Channel.PREFERENCE_CENTER, Evidence.NONE);
    clock.set(t("2026-06-01T00:00:00Z"));
    requestAndConfirm("ann@example.org", NEWSLETTER, Duration.ofDays(1)); // confirmed 06-02
    clock.set(t("2026-07-01T00:00:00Z"));

    assertFalse(proof.wasValidAt(ann, NEWSLETTER, requested.minusSeconds(1)), "before anything");
    assertFalse(proof.wasValidAt(ann, NEWSLETTER, requested), "requested is not consent");
    assertFalse(proof.wasValidAt(ann, NEWSLETTER, t("2026-03-02T10:59:59Z")), "pending");
    assertTrue(
        proof.wasValidAt(ann, NEWSLETTER, t("2026-03-02T11:00:00Z")), "confirmed, at the instant");
    assertTrue(proof.wasValidAt(ann, NEWSLETTER, t("2026-03-31T23:59:59Z")));
    assertFalse(proof.wasValidAt(ann, NEWSLETTER, t("2026-04-05T00:00:00Z")), "restricted");
    assertTrue(proof.wasValidAt(ann, NEWSLETTER, t("2026-04-20T00:00:00Z")), "restriction lifted");
    assertFalse(
        proof.wasValidAt(ann, NEWSLETTER, t("2026-05-01T00:00:00Z")), "withdrawn at that instant");
    assertFalse(
        proof.wasValidAt(ann, NEWSLETTER, t("2026-06-01T12:00:00Z")),
        "asked again, not yet confirmed");
    assertTrue(proof.wasValidAt(ann, NEWSLETTER, t("2026-06-02T00:00:00Z")), "confirmed again");
    assertTrue(
        proof.wasValidAt("ANN@example.org", NEWSLETTER, t("2026-06-15T00:00:00Z")), "by address");
    assertFalse(proof.wasValidAt(ann, EVENTS, t("2026-06-15T00:00:00Z")), "another purpose");
    assertFalse(proof.wasValidAt("nobody@example.org", NEWSLETTER, t("2026-06-15T00:00:00Z")));

    optIn.rights().erase(ann, Channel.OPERATOR);
    assertTrue(
        proof.wasValidAt(ann, NEWSLETTER, t("2026-06-15T00:00:00Z")),
        "the stub still proves the past");
    assertFalse(proof.wasValidAt(ann, NEWSLETTER, clock.instant()), "erased");
  }

  @Test
  void wasValidAtEndsWithAFixedRetentionPeriodEvenBeforeThePurgeRuns() {
    SubjectId bob =
        requestAndConfirm(
            "bob@example.org", EVENTS, Duration.ofMinutes(1)); // events: fixed 365 days
    Instant confirmed = clock.instant();

    assertTrue(proof.wasValidAt(bob, EVENTS, confirmed.plus(Duration.ofDays(364))));
    assertFalse(proof.wasValidAt(bob, EVENTS, confirmed.plus(Duration.ofDays(365))));
  }
}
