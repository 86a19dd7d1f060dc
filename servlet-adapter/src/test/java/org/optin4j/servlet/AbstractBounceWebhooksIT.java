package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.lists.SnsSettings;
import org.optin4j.testing.TestClock;

/**
 * The bounce webhooks over real HTTP ({@code POST {prefix}/bounces/relay} and {@code /bounces/sns}), the same suite on
 * every container: a report signed with the shared secret is acted on, a bad signature is refused (403) and changes
 * and keeps nothing, a verified malformed body is set aside (202), a wrong content type is 415, an oversized body 413,
 * and an endpoint not configured is not there.
 */
abstract class AbstractBounceWebhooksIT {
  @RegisterExtension
  static final GreenMailExtension MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort()).withPerMethodLifecycle(false);

  static final String APP = "/app";
  static final String RELAY = APP + "/optin/bounces/relay";
  static final String SNS = APP + "/optin/bounces/sns";
  static final String DOMAIN = "bounces.bakery.example";

  private final WebhookSecret secret = WebhookSecret.generate(new SecureRandom());
  private TestClock clock;
  private OptIn optIn;
  private Container container;
  private Http http;

  abstract Container newContainer() throws Exception;

  @BeforeEach
  void start() throws Exception {
    clock = TestClock.at(Instant.now()).ticking(Duration.ofMillis(1));
    container = newContainer();
    http = new Http(container.port());
    optIn =
        AbstractHostedFlowIT.service(http, clock, MAIL.getSmtp().getPort())
            .bounceAddress("bounces", DOMAIN)
            .build();
    OptInFilter filter =
        OptInFilter.builder(optIn)
            .relayedBounces(secret)
            .snsBounces(
                new SnsSettings(
                    Set.of("arn:aws:sns:eu-west-1:123456789012:ses-bounces"),
                    url -> {
                      throw new IllegalStateException("no certificate in this test");
                    }))
            .build();
    assertTrue(container.deploy(APP, AbstractHostedFlowIT.app(filter)), "web app did not start");
  }

  @AfterEach
  void stop() throws Exception {
    container.close();
    optIn.close();
    MAIL.purgeEmailFromAllMailboxes();
  }

  /** Signs up an address and returns the VERP envelope sender of its confirmation mail. */
  private String verpOf(String email) throws Exception {
    optIn.request(ConsentRequest.of(email, Locale.ENGLISH, PurposeId.of("newsletter")));
    optIn.operations().dispatchNow();
    MimeMessage[] got = MAIL.getReceivedMessages();
    String returnPath = got[got.length - 1].getHeader("Return-Path", null);
    return returnPath.substring(1, returnPath.length() - 1);
  }

  private Http.Response relay(String body, WebhookSecret by, String contentType) throws Exception {
    long now = clock.instant().getEpochSecond();
    return http.request(
        "POST",
        RELAY,
        body,
        "Content-Type",
        contentType,
        "webhook-id",
        "msg_1",
        "webhook-timestamp",
        String.valueOf(now),
        "webhook-signature",
        by.sign("msg_1", now, body.getBytes(StandardCharsets.UTF_8)));
  }

  private static String bounce(String verp) {
    return "{\"type\":\"bounce\",\"returnPath\":\""
        + verp
        + "\",\"permanent\":true,\"status\":\"5.1.1\"}";
  }

  @Test
  void relayWhenSignedWithTheSecretThenActedOn() throws Exception {
    String verp = verpOf("ann@example.org");

    Http.Response r = relay(bounce(verp), secret, "application/json");

    assertEquals(200, r.status(), r.body());
    assertEquals("no-store", r.header("Cache-Control"));
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void relayWhenSignedWithAnotherSecretThenForbiddenAndNothingKept() throws Exception {
    String verp = verpOf("ann@example.org");

    Http.Response r =
        relay(bounce(verp), WebhookSecret.generate(new SecureRandom()), "application/json");
    Http.Response unsigned =
        http.request("POST", RELAY, bounce(verp), "Content-Type", "application/json");

    assertEquals(403, r.status(), r.body());
    assertEquals(403, unsigned.status(), unsigned.body());
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void relayWhenVerifiedButMalformedThenSetAsideAnswered202() throws Exception {
    Http.Response r = relay("{\"type\":\"bounce\"}", secret, "application/json");

    assertEquals(202, r.status(), r.body());
    assertEquals(1, optIn.bounces().setAside(10).size());
  }

  @Test
  void relayWhenWrongContentTypeOrMethodOrOversizedThenRefusedBeforeReading() throws Exception {
    String verp = verpOf("ann@example.org");

    assertEquals(415, relay(bounce(verp), secret, "text/plain").status());
    assertEquals(405, http.get(RELAY).status());
    String big = "{\"pad\":\"" + "x".repeat(BounceWebhooks.MAX_BODY) + "\"}";
    assertEquals(413, relay(big, secret, "application/json").status());
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void snsWhenSignatureDoesNotVerifyThenForbiddenAndTextPlainAccepted() throws Exception {
    // SNS posts text/plain; an unsigned message is refused by the core before any certificate
    // fetch.
    Http.Response r =
        http.request(
            "POST",
            SNS,
            "{\"Type\":\"Notification\",\"TopicArn\":\"arn:aws:sns:eu-west-1:123456789012:ses-bounces\"}",
            "Content-Type",
            "text/plain; charset=UTF-8");

    assertEquals(403, r.status(), r.body());
    assertEquals(415, http.request("POST", SNS, "{}", "Content-Type", "text/html").status());
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }
}
