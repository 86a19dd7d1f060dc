package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.feed.WebhookVerifier;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The generic JSON shape posted by a relay holding the shared secret, signed as Standard Webhooks signs: a valid
 * signature drives the same outcomes as a mail report; a bad one is refused and changes and keeps nothing; a verified
 * body of another shape is set aside, never dropped.
 */
class RelayedReportsTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .bounceAddress("bounces", BouncesTest.DOMAIN)
          .build();
  private final WebhookSecret secret = WebhookSecret.generate(new SecureRandom());
  private final WebhookVerifier verifier = WebhookVerifier.of(clock, secret);

  @AfterEach
  void close() {
    optIn.close();
  }

  private Map<String, String> signed(String body, WebhookSecret by, long timestamp) {
    return Map.of(
        "Webhook-Id",
        "msg_1",
        "Webhook-Timestamp",
        String.valueOf(timestamp),
        "Webhook-Signature",
        by.sign("msg_1", timestamp, body.getBytes(StandardCharsets.UTF_8)));
  }

  private ReportOutcome post(String body) {
    return optIn
        .bounces()
        .relayed(body, signed(body, secret, clock.instant().getEpochSecond()), verifier);
  }

  @Test
  void relayedWhenPermanentBounceSignedThenAddressUndeliverable() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");

    ReportOutcome outcome =
        post(
            "{\"type\":\"bounce\",\"returnPath\":\""
                + verp
                + "\",\"permanent\":true,\"status\":\"5.1.1\",\"diagnostic\":\"550 5.1.1 no such"
                + " user\",\"time\":\"2026-03-02T09:59:00Z\"}");

    assertEquals("5.1.1", assertInstanceOf(ReportOutcome.Undeliverable.class, outcome).status());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void relayedWhenTemporaryBounceWithoutStatusThenCountedAs400() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");

    ReportOutcome outcome =
        post("{\"type\":\"bounce\",\"returnPath\":\"" + verp + "\",\"permanent\":false}");

    ReportOutcome.SoftBounce soft = assertInstanceOf(ReportOutcome.SoftBounce.class, outcome);
    assertEquals("4.0.0", soft.status());
    assertEquals(1, soft.count());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void relayedWhenTemporaryBounceReplayedWithinTheFiveMinutesThenCountedOnce() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");
    String body = "{\"type\":\"bounce\",\"returnPath\":\"" + verp + "\",\"permanent\":false}";

    post(body);
    ReportOutcome replayed = post(body);

    assertEquals(1, assertInstanceOf(ReportOutcome.SoftBounce.class, replayed).count());
  }

  @Test
  void relayedWhenComplaintThenEveryPurposeWithdrawn() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");

    ReportOutcome outcome =
        post("{\"type\":\"complaint\",\"returnPath\":\"" + verp + "\",\"feedbackType\":\"abuse\"}");

    assertEquals(
        Set.of(NEWSLETTER), assertInstanceOf(ReportOutcome.Complaint.class, outcome).withdrawn());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void relayedWhenSignedByAnotherSecretOrStaleThenRefusedAndNothingKeptOrChanged() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");
    String body = "{\"type\":\"bounce\",\"returnPath\":\"" + verp + "\",\"permanent\":true}";
    long now = clock.instant().getEpochSecond();

    ReportOutcome foreign =
        optIn
            .bounces()
            .relayed(body, signed(body, WebhookSecret.generate(new SecureRandom()), now), verifier);
    ReportOutcome stale = optIn.bounces().relayed(body, signed(body, secret, now - 3600), verifier);
    ReportOutcome unsigned = optIn.bounces().relayed(body, Map.of(), verifier);
    ReportOutcome changed =
        optIn.bounces().relayed(body.replace("true", "false"), signed(body, secret, now), verifier);

    for (ReportOutcome o : new ReportOutcome[] {foreign, stale, unsigned, changed}) {
      assertTrue(
          assertInstanceOf(ReportOutcome.Refused.class, o).reason().contains("does not verify"),
          o.toString());
    }
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void relayedWhenVerifiedButMalformedThenSetAsideWithTheReason() {
    String verp = ReportMessages.confirmedVerp(optIn, mailer, "ann@example.org");
    String[] bodies = {
      "not json",
      "{\"type\":\"bounce\",\"permanent\":true}",
      "{\"type\":\"bounce\",\"returnPath\":\"" + verp + "\"}",
      "{\"type\":\"bounce\",\"returnPath\":\""
          + verp
          + "\",\"permanent\":true,\"status\":\"4.2.2\"}",
      "{\"type\":\"delivery\",\"returnPath\":\"" + verp + "\"}",
      "{\"type\":\"complaint\",\"returnPath\":\"" + verp + "\",\"time\":\"yesterday\"}",
      "{\"type\":\"bounce\",\"returnPath\":\"bounces+forged@"
          + BouncesTest.DOMAIN
          + "\",\"permanent\":true}"
    };

    for (String body : bodies) {
      assertInstanceOf(ReportOutcome.SetAside.class, post(body), body);
    }

    assertEquals(bodies.length, optIn.bounces().setAside(100).size());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }
}
