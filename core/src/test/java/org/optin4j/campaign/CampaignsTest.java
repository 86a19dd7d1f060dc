package org.optin4j.campaign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.Channel;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.UnsubscribeResult;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The app's own mail goes only where consent is, with list headers, in batches, re-checked at dispatch. */
class CampaignsTest {
  @RegisterExtension
  static final GreenMailExtension GREEN_MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .dispatch(Duration.ofSeconds(2), 50, Duration.ofMinutes(2))
          .build();
  private final Campaigns campaigns = optIn.campaigns();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(OptIn o, RecordingMailer m, String email, PurposeId... purposes) {
    return OptInFlow.of(o, m).confirmed(email, purposes);
  }

  @Test
  void sendThenOnlyConfirmedUnrestrictedUnsuppressedAddressesGetItWithListHeaders() {
    confirmed(optIn, mailer, "ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed(optIn, mailer, "bob@example.org", NEWSLETTER);
    optIn.rights().restrict(bob, NEWSLETTER, true, Channel.OPERATOR);
    SubjectId cy = confirmed(optIn, mailer, "cy@example.org", NEWSLETTER);
    optIn.rights().erase(cy, Channel.OPERATOR);
    confirmed(optIn, mailer, "dee@example.org", EVENTS);
    optIn.request(ConsentRequest.of("eve@example.org", Locale.ENGLISH, NEWSLETTER)); // pending only
    optIn.operations().dispatchNow();
    mailer.clear();

    CampaignResult result =
        campaigns.send(
            NEWSLETTER,
            "Bread of the month: rye",
            "Our rye is back.",
            null,
            List.of(
                "ann@example.org",
                "ANN@example.org",
                "bob@example.org",
                "cy@example.org",
                "dee@example.org",
                "eve@example.org",
                "stranger@example.org",
                "not an address"));

    assertEquals(new CampaignResult(result.campaignId(), 1, 4, 1, 1), result);
    optIn.operations().dispatchNow();
    assertEquals(1, mailer.sent().size());
    MailMessage m = mailer.last();
    assertEquals("ann@example.org", m.to().value());
    assertEquals("Bread of the month: rye", m.subject());
    assertEquals("\"Monthly newsletter\" <newsletter.bakery.example>", m.headers().get("List-Id"));
    assertEquals("List-Unsubscribe=One-Click", m.headers().get("List-Unsubscribe-Post"));
    String unsubscribe = m.headers().get("List-Unsubscribe");
    assertTrue(
        unsubscribe.startsWith("<" + Fixtures.BASE_URL + "/unsubscribe?token="), unsubscribe);
    assertTrue(
        m.text().contains("Unsubscribe: " + Fixtures.BASE_URL + "/unsubscribe?token="), m.text());
    // The signed link works: one click withdraws.
    String token = Fixtures.token(unsubscribe, "unsubscribe");
    assertInstanceOf(
        UnsubscribeResult.Unsubscribed.class,
        optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
    assertTrue(!optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void sendToAllConfirmedThenWhoeverLostConsentSinceQueuingIsSkippedAndCounted() {
    List<SubjectId> ids = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      clock.advance(Duration.ofMinutes(3));
      ids.add(confirmed(optIn, mailer, "reader" + i + "@example.org", NEWSLETTER));
    }
    mailer.clear();

    CampaignResult result =
        campaigns.sendToAllConfirmed(
            NEWSLETTER, "Issue 12", "Text.", "<html><body><p>Html" + "</p></body></html>");
    assertEquals(7, result.queued());
    optIn.withdraw(ids.get(2), Set.of(), Channel.PREFERENCE_CENTER, Evidence.NONE);
    optIn.rights().restrict(ids.get(4), NEWSLETTER, true, Channel.OPERATOR);
    optIn.rights().erase(ids.get(6), Channel.OPERATOR);
    optIn.operations().dispatchNow();

    assertEquals(4, mailer.sent().size());
    assertEquals(List.of(4), mailer.batchSizes(), "one batch, one connection");
    CampaignReport report = campaigns.report(result.campaignId()).orElseThrow();
    assertEquals(0, report.waiting());
    assertEquals(4, report.sent());
    assertEquals(
        2, report.skipped(), "the erased subject's mail is gone with it; two were skipped");
    assertEquals("Issue 12", report.campaign().subject());
    assertTrue(mailer.last().html().contains("Unsubscribe</a>"), mailer.last().html());
    assertTrue(
        mailer.last().html().indexOf("Unsubscribe</a>") < mailer.last().html().indexOf("</body>"));
  }

  @Test
  void sendRefusesUnknownPurposeAndInvalidContent() {
    assertThrows(
        IllegalArgumentException.class,
        () -> campaigns.send(PurposeId.of("unknown"), "s", "t", null, List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> campaigns.send(NEWSLETTER, "two\nlines", "t", null, List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> campaigns.sendToAllConfirmed(NEWSLETTER, "s", " ", null));
  }

  @Test
  void sendThroughSmtpThenGreenMailReceivesListHeadersForConfirmedOnly() throws Exception {
    SmtpMailer smtp =
        SmtpMailer.builder()
            .host("127.0.0.1")
            .port(GREEN_MAIL.getSmtp().getPort())
            .security(SmtpMailer.Security.NONE)
            .from("news@bakery.example")
            .build();
    RecordingMailer confirmations = new RecordingMailer();
    InMemoryConsentStore shared = InMemoryConsentStore.create();
    try (OptIn o = Fixtures.builder(shared, confirmations, clock).build()) {
      confirmed(o, confirmations, "ann@example.org", NEWSLETTER);
      confirmed(o, confirmations, "bob@example.org", NEWSLETTER);
      o.request(ConsentRequest.of("eve@example.org", Locale.ENGLISH, NEWSLETTER));
      o.operations().dispatchNow();
      CampaignResult result =
          o.campaigns()
              .send(
                  NEWSLETTER,
                  "Rye is back",
                  "Our rye is back.",
                  null,
                  List.of("ann@example.org", "bob@example.org", "eve@example.org"));
      assertEquals(2, result.queued());
    }
    // Another node on the same store, with the real SMTP mailer, sends the campaign.
    try (OptIn viaSmtp = Fixtures.builder(shared, smtp, clock).build()) {
      assertEquals(2, viaSmtp.operations().dispatchNow().sent());
    }

    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertEquals(2, received.length);
    for (MimeMessage m : received) {
      assertEquals("Rye is back", m.getSubject());
      assertTrue(m.getHeader("List-Id")[0].contains("<newsletter.bakery.example>"));
      assertTrue(
          m.getHeader("List-Unsubscribe")[0].startsWith(
              "<https://bakery.example/optin/unsubscribe?token="));
      assertEquals("List-Unsubscribe=One-Click", m.getHeader("List-Unsubscribe-Post")[0]);
    }
  }
}
