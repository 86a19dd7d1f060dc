package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.ConfigurationException;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * A GreenMail mailbox (IMAP and POP3) holding real-shaped reports drives the outcomes: the reader handles each, deletes
 * what it handled, sets the malformed one aside and never throws for a bad message.
 */
class MailboxReportsTest {
  @RegisterExtension
  static final GreenMailExtension GREEN_MAIL =
      new GreenMailExtension(
          new com.icegreen.greenmail.util.ServerSetup[] {
            ServerSetupTest.POP3.dynamicPort(), ServerSetupTest.IMAP.dynamicPort()
          });

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .bounceAddress("bounces", BouncesTest.DOMAIN)
          .build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private String confirmedVerp(String email) {
    return ReportMessages.confirmedVerp(optIn, mailer, email);
  }

  private GreenMailUser mailboxWithReports() throws Exception {
    GreenMailUser user = GREEN_MAIL.setUser("bounces@" + BouncesTest.DOMAIN, "bounces", "secret");
    Session session = Session.getInstance(new Properties());
    byte[][] reports = {
      ReportMessages.postfix(confirmedVerp("ann@example.org"), "ann@example.org"),
      ReportMessages.exim(confirmedVerp("bob@example.org"), "bob@example.org"),
      ReportMessages.gmail(confirmedVerp("cat@example.org"), "cat@example.org"),
      ReportMessages.microsoft365(confirmedVerp("dan@example.org"), "dan@example.org"),
      ReportMessages.arf(confirmedVerp("eve@example.org"), "eve@example.org", "abuse"),
      ReportMessages.malformed()
    };
    for (byte[] r : reports) {
      user.deliver(new MimeMessage(session, new ByteArrayInputStream(r)));
    }
    return user;
  }

  private static MailboxReports reader(MailboxReports.Protocol protocol, int port) {
    return MailboxReports.builder()
        .server(protocol, "127.0.0.1", port)
        .login("bounces", "secret")
        .build();
  }

  private void assertOutcomes(MailboxReports.PollResult result) {
    assertEquals(new MailboxReports.PollResult(6, 5, 1, 0, 0), result);
    for (String who : new String[] {"ann", "bob", "cat", "dan", "eve"}) {
      assertFalse(optIn.mayMail(who + "@example.org", NEWSLETTER), who);
    }
    assertEquals(1, optIn.bounces().setAside(10).size());
    assertEquals(0, GREEN_MAIL.getReceivedMessages().length, "handled messages are deleted");
  }

  @Test
  void imapMailboxDrivesTheOutcomesAndDeletesWhatItHandled() throws Exception {
    mailboxWithReports();
    MailboxReports reader = reader(MailboxReports.Protocol.IMAP, GREEN_MAIL.getImap().getPort());

    assertOutcomes(reader.poll(optIn.bounces()));
    assertEquals(new MailboxReports.PollResult(0, 0, 0, 0, 0), reader.poll(optIn.bounces()));
  }

  @Test
  void pop3MailboxDrivesTheOutcomesAndDeletesWhatItHandled() throws Exception {
    mailboxWithReports();
    MailboxReports reader = reader(MailboxReports.Protocol.POP3, GREEN_MAIL.getPop3().getPort());

    assertOutcomes(reader.poll(optIn.bounces()));
  }

  @Test
  void whenHandlingFailsThenTheMessageStaysForTheNextPoll() throws Exception {
    mailboxWithReports();
    MailboxReports reader = reader(MailboxReports.Protocol.IMAP, GREEN_MAIL.getImap().getPort());
    Bounces failing =
        new Bounces() {
          @Override
          public ReportOutcome report(byte[] message) {
            throw new org.optin4j.StoreException("database down");
          }

          @Override
          public java.util.List<org.optin4j.spi.ReportStore.AsideReport> setAside(int limit) {
            return java.util.List.of();
          }

          @Override
          public ReportOutcome sns(String body, SnsSettings settings) {
            throw new org.optin4j.StoreException("database down");
          }

          @Override
          public ReportOutcome relayed(
              String body,
              java.util.Map<String, String> headers,
              org.optin4j.feed.WebhookVerifier verifier) {
            throw new org.optin4j.StoreException("database down");
          }

          @Override
          public int purge() {
            return 0;
          }
        };

    assertEquals(new MailboxReports.PollResult(6, 0, 0, 0, 6), reader.poll(failing));
    assertEquals(6, GREEN_MAIL.getReceivedMessages().length);
    assertOutcomes(reader.poll(optIn.bounces()));
  }

  @Test
  void unreachableMailboxIsAnOptInExceptionAndBuilderChecksSettings() {
    MailboxReports reader =
        MailboxReports.builder()
            .server(MailboxReports.Protocol.IMAP, "127.0.0.1", 1)
            .login("bounces", "secret")
            .limits(10, Duration.ofSeconds(2))
            .build();
    assertThrows(MailboxReports.MailboxException.class, () -> reader.poll(optIn.bounces()));
    assertThrows(ConfigurationException.class, () -> MailboxReports.builder().build());
    assertThrows(
        ConfigurationException.class,
        () ->
            MailboxReports.builder()
                .server(MailboxReports.Protocol.IMAPS, "h", 993)
                .login("u", "p")
                .startTls(true)
                .build());
  }
}
