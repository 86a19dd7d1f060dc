package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.DispatchReport;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.testing.TestClock;

/** Request, real SMTP mail, link, confirm: the whole double opt-in against GreenMail. */
class DoubleOptInEndToEndTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private GreenMail greenMail;

  @AfterEach
  void stop() {
    if (greenMail != null) {
      greenMail.stop();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private GreenMail startGreenMail(int port) {
    GreenMail g = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    g.start();
    return g;
  }

  private static SmtpMailer mailer(int port) {
    return SmtpMailer.builder()
        .host("127.0.0.1")
        .port(port)
        .security(SmtpMailer.Security.NONE)
        .from("news@bakery.example", "De Gouden Korst")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static String body(MimeMessage m) {
    return GreenMailUtil.getBody(m).replace("=\r\n", "").replace("=3D", "=");
  }

  @Test
  void requestMailLinkConfirmRecordsRequestAndConfirmationEvidence() throws Exception {
    int port = freePort();
    greenMail = startGreenMail(port);
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), mailer(port), clock)
            .evidencePolicy(EvidencePolicy.FULL)
            .build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              optIn.request(
                  ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                      .withSource("signup-form")
                      .withEvidence(Evidence.of("203.0.113.7", "Firefox"))));

      assertEquals(1, optIn.operations().dispatchNow().sent());
      assertTrue(greenMail.waitForIncomingEmail(5_000, 1));
      MimeMessage mail = greenMail.getReceivedMessages()[0];
      assertEquals("ann@example.org", mail.getAllRecipients()[0].toString());
      String token = Fixtures.token(body(mail), "confirm");

      clock.advance(Duration.ofMinutes(7));
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          optIn.confirm(
              token, ConfirmationChoice.all(), Evidence.of("198.51.100.2", "Thunderbird")));

      assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
      List<ConsentEvent> history = optIn.proof().history(r.subjectId());
      assertEquals(
          List.of(ConsentEvent.Type.REQUESTED, ConsentEvent.Type.CONFIRMED),
          history.stream().map(ConsentEvent::type).toList());
      assertEquals(Evidence.of("203.0.113.7", "Firefox"), history.get(0).evidence());
      assertEquals("signup-form", history.get(0).source());
      assertEquals(Evidence.of("198.51.100.2", "Thunderbird"), history.get(1).evidence());
      assertEquals(history.get(0).notice(), history.get(1).notice());
      assertEquals(clock.instant(), history.get(1).at());

      assertEquals(1, optIn.operations().dispatchNow().sent());
      assertTrue(greenMail.waitForIncomingEmail(5_000, 2));
      MimeMessage receipt = greenMail.getReceivedMessages()[1];
      assertEquals("List-Unsubscribe=One-Click", receipt.getHeader("List-Unsubscribe-Post")[0]);
      assertTrue(
          receipt.getHeader("List-Unsubscribe")[0].startsWith(
              "<" + Fixtures.BASE_URL + "/unsubscribe?token="));
    }
  }

  @Test
  void smtpOutageLosesNothingAndMailArrivesExactlyOnceWhenServerIsBack() throws Exception {
    int port = freePort();
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), mailer(port), clock).build()) {
      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));

      DispatchReport down = optIn.operations().dispatchNow();
      assertEquals(1, down.retrying());
      clock.advance(Duration.ofSeconds(31));
      assertEquals(
          1, optIn.operations().dispatchNow().retrying(), "still down: retried later again");

      greenMail = startGreenMail(port);
      clock.advance(Duration.ofMinutes(2));
      assertEquals(1, optIn.operations().dispatchNow().sent());
      clock.advance(Duration.ofHours(3));
      assertEquals(0, optIn.operations().dispatchNow().total());

      assertTrue(greenMail.waitForIncomingEmail(5_000, 1));
      Thread.sleep(200);
      assertEquals(1, greenMail.getReceivedMessages().length);
      String token = Fixtures.token(body(greenMail.getReceivedMessages()[0]), "confirm");
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    }
  }
}
