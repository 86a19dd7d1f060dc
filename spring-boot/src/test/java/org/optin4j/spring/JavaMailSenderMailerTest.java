package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.SendOutcome;
import org.springframework.mail.javamail.JavaMailSenderImpl;

/** The JavaMailSender adapter against GreenMail, and how Spring's mail exceptions become send outcomes. */
class JavaMailSenderMailerTest {
  private GreenMail mail;
  private JavaMailSenderImpl sender;

  @BeforeEach
  void start() {
    mail = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
    mail.start();
    sender = new JavaMailSenderImpl();
    sender.setHost("127.0.0.1");
    sender.setPort(mail.getSmtp().getPort());
  }

  @AfterEach
  void stop() {
    mail.stop();
  }

  private static MailMessage message(
      String to, Map<String, String> headers, List<MailMessage.Attachment> files) {
    return new MailMessage(
        EmailAddress.parse(to),
        "Please confirm",
        "Confirm: https://shop.example/optin/confirm",
        "<p>Confirm</p>",
        headers,
        files);
  }

  @Test
  void sendWhenMailHasReturnPathThenItIsTheEnvelopeSender() throws Exception {
    JavaMailSenderMailer mailer =
        JavaMailSenderMailer.create(sender, "news@bakery.example", "Bakery", null);
    EmailAddress verp =
        EmailAddress.parse("bounces+abcdefghijklmnopqrstuvwxyz234567abcd@bounces.example");

    List<SendOutcome> outcomes =
        mailer.send(
            List.of(
                message("ann@example.org", Map.of(), List.of()).withReturnPath(verp),
                message("bob@example.org", Map.of(), List.of())));

    assertEquals(List.of(new SendOutcome.Sent(), new SendOutcome.Sent()), outcomes);
    MimeMessage[] received = mail.getReceivedMessages();
    assertEquals(2, received.length);
    for (MimeMessage m : received) {
      // GreenMail records the SMTP MAIL FROM of each message as its Return-Path.
      String returnPath = m.getHeader("Return-Path", null);
      if (m.getAllRecipients()[0].toString().startsWith("ann@")) {
        assertEquals("<" + verp.value() + ">", returnPath);
        assertEquals("Bakery <news@bakery.example>", m.getFrom()[0].toString());
      } else {
        assertEquals("<news@bakery.example>", returnPath);
      }
    }
  }

  @Test
  void sendWhenBatchThenEveryMailArrivesWithSenderHeadersAndAttachment() throws Exception {
    JavaMailSenderMailer mailer =
        JavaMailSenderMailer.create(sender, "news@bakery.example", "Bakery", null);
    List<SendOutcome> outcomes =
        mailer.send(
            List.of(
                message(
                    "ann@example.org",
                    Map.of("List-Unsubscribe", "<https://shop.example/optin/unsubscribe?token=t>"),
                    List.of()),
                message(
                    "bob@example.org",
                    Map.of(),
                    List.of(
                        new MailMessage.Attachment(
                            "my-data.json",
                            "application/json",
                            "{}".getBytes(StandardCharsets.UTF_8))))));
    assertEquals(List.of(new SendOutcome.Sent(), new SendOutcome.Sent()), outcomes);
    MimeMessage[] received = mail.getReceivedMessages();
    assertEquals(2, received.length);
    assertEquals("Bakery <news@bakery.example>", received[0].getFrom()[0].toString());
    assertEquals(
        "<https://shop.example/optin/unsubscribe?token=t>",
        received[0].getHeader("List-Unsubscribe", null));
    assertTrue(GreenMailUtil.getWholeMessage(received[1]).contains("my-data.json"));
  }

  @Test
  void sendWhenTemplateSetsAHeaderTheMailerOwnsThenOnlyThatMailFailsPermanently() {
    JavaMailSenderMailer mailer =
        JavaMailSenderMailer.create(sender, "news@bakery.example", null, null);
    List<SendOutcome> outcomes =
        mailer.send(
            List.of(
                message("ann@example.org", Map.of("From", "evil@example.org"), List.of()),
                message("bob@example.org", Map.of(), List.of())));
    assertInstanceOf(SendOutcome.PermanentFailure.class, outcomes.get(0));
    assertEquals(new SendOutcome.Sent(), outcomes.get(1));
    assertEquals(1, mail.getReceivedMessages().length);
  }

  @Test
  void sendWhenServerUnreachableThenEveryMailIsTransient() throws IOException {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    sender.setPort(closed);
    JavaMailSenderMailer mailer =
        JavaMailSenderMailer.create(sender, "news@bakery.example", null, null);
    List<SendOutcome> outcomes =
        mailer.send(
            List.of(
                message("ann@example.org", Map.of(), List.of()),
                message("bob@example.org", Map.of(), List.of())));
    assertEquals(2, outcomes.size());
    outcomes.forEach(o -> assertInstanceOf(SendOutcome.TransientFailure.class, o));
  }

  /** Stands in for Angus Mail's SMTPAddressFailedException: a reply code and the refused address. */
  static final class RecipientRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;

    RecipientRefused(int code) {
      this.code = code;
    }

    public int getReturnCode() {
      return code;
    }

    public String getAddress() {
      return "ann@example.org";
    }
  }

  /** Stands in for Angus Mail's SMTPSendFailedException: a reply code to the message, no address. */
  static final class MessageRefused extends Exception {
    private static final long serialVersionUID = 1L;
    private final int code;

    MessageRefused(int code) {
      this.code = code;
    }

    public int getReturnCode() {
      return code;
    }
  }

  @Test
  void outcomeWhen5xxThenPermanentAnd4xxThenTransient() {
    assertEquals(
        new SendOutcome.PermanentFailure("SMTP 550"),
        JavaMailSenderMailer.outcome(new RecipientRefused(550)));
    assertEquals(
        new SendOutcome.PermanentFailure("SMTP 554"),
        JavaMailSenderMailer.outcome(new MessageRefused(554)));
    assertEquals(
        new SendOutcome.TransientFailure("SMTP 451"),
        JavaMailSenderMailer.outcome(new MessageRefused(451)));
  }

  @Test
  void outcomeWhen552ToRecipientThenTransientAsRfc5321Says() {
    assertEquals(
        new SendOutcome.TransientFailure("SMTP 552"),
        JavaMailSenderMailer.outcome(new RecipientRefused(552)));
    assertEquals(
        new SendOutcome.PermanentFailure("SMTP 552"),
        JavaMailSenderMailer.outcome(new MessageRefused(552)));
  }

  @Test
  void outcomeWhenCodeIsInTheCauseChainThenFoundAndWithoutCodeThenTransient() {
    assertEquals(
        new SendOutcome.PermanentFailure("SMTP 550"),
        JavaMailSenderMailer.outcome(
            new jakarta.mail.MessagingException("refused", new RecipientRefused(550))));
    assertEquals(
        new SendOutcome.TransientFailure("I/O error: IOException"),
        JavaMailSenderMailer.outcome(
            new jakarta.mail.MessagingException("lost", new IOException("reset"))));
  }

  @Test
  void createWhenSenderAddressesInvalidThenNamesEach() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> JavaMailSenderMailer.create(sender, "not an address", null, "also not"));
    assertEquals(
        List.of("from address is invalid: not an address", "reply-to address is invalid: also not"),
        e.problems());
  }
}
