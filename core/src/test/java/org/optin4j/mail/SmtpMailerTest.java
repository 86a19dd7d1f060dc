package org.optin4j.mail;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.BodyPart;
import jakarta.mail.Part;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.ConfigurationException;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.MailerSession;
import org.optin4j.spi.SendOutcome;

class SmtpMailerTest {
  private static final Instant NOW = Instant.parse("2025-03-14T10:00:00Z");
  private static final String UNSUBSCRIBE =
      "<https://bakery.example/optin/unsubscribe?t=eyJhbGciOiJIUzI1NiJ9.x.y>";

  @RegisterExtension
  static final GreenMailExtension GREEN_MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort());

  private static SmtpMailer.Builder plain(int port) {
    return SmtpMailer.builder()
        .host("127.0.0.1")
        .port(port)
        .security(SmtpMailer.Security.NONE)
        .from("no-reply@bakery.example", "Bäckerei Goldene Kruste")
        .replyTo("privacy@bakery.example")
        .connectTimeout(Duration.ofSeconds(2))
        .readTimeout(Duration.ofSeconds(5))
        .writeTimeout(Duration.ofSeconds(5))
        .clock(Clock.fixed(NOW, ZoneOffset.UTC));
  }

  private static MailMessage mail(
      String to, String subject, List<MailMessage.Attachment> attachments) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("List-Unsubscribe", UNSUBSCRIBE);
    headers.put("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    return new MailMessage(
        EmailAddress.parse(to),
        subject,
        "Hallo,\n\nBevestig via deze link:\nhttps://bakery.example/optin/confirm?t=abc\n",
        "<!DOCTYPE html><html lang=\"nl\"><body><p>Hallo, bevestig "
            + "<a href=\"https://bakery.example/optin/confirm?t=abc\">hier</a>. Één klik.</p></body></html>",
        headers,
        attachments);
  }

  private static MailMessage mail(String to) {
    return mail(to, "Bevestig je inschrijving", List.of());
  }

  private static int greenMailPort() {
    return GREEN_MAIL.getSmtp().getPort();
  }

  @Test
  void sendWhenBatchThenEachArrivesAsMultipartAlternativeWithHeaders() throws Exception {
    SmtpMailer mailer = plain(greenMailPort()).build();
    String subject = "Bevestig je inschrijving — Bäckerei";

    List<SendOutcome> outcomes =
        mailer.send(
            List.of(
                mail("ann@example.org", subject, List.of()),
                mail("bob@example.net", subject, List.of())));

    assertEquals(List.of(new SendOutcome.Sent(), new SendOutcome.Sent()), outcomes);
    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertEquals(2, received.length);
    for (MimeMessage m : received) {
      assertEquals(subject, m.getSubject());
      assertTrue(m.getHeader("Subject", null).startsWith("=?UTF-8?"), "RFC 2047 encoded subject");
      assertEquals(UNSUBSCRIBE, m.getHeader("List-Unsubscribe", null));
      assertEquals("List-Unsubscribe=One-Click", m.getHeader("List-Unsubscribe-Post", null));
      String messageId = m.getMessageID();
      assertNotNull(messageId);
      assertTrue(messageId.matches("<[0-9a-f]{32}@bakery\\.example>"), messageId);
      assertEquals(NOW, m.getSentDate().toInstant());
      InternetAddress from = (InternetAddress) m.getFrom()[0];
      assertEquals("no-reply@bakery.example", from.getAddress());
      assertEquals("Bäckerei Goldene Kruste", from.getPersonal());
      assertEquals("privacy@bakery.example", ((InternetAddress) m.getReplyTo()[0]).getAddress());
      assertTrue(m.isMimeType("multipart/alternative"), m.getContentType());
      MimeMultipart alternative = (MimeMultipart) m.getContent();
      assertEquals(2, alternative.getCount());
      BodyPart text = alternative.getBodyPart(0);
      BodyPart html = alternative.getBodyPart(1);
      assertTrue(text.isMimeType("text/plain"));
      assertTrue(
          text.getContentType().toLowerCase().contains("charset=utf-8"), text.getContentType());
      assertTrue(html.isMimeType("text/html"));
      assertTrue(
          ((String) text.getContent()).contains("https://bakery.example/optin/confirm?t=abc"));
      assertTrue(((String) html.getContent()).contains("Één klik"));
    }
    List<String> recipients = new ArrayList<>();
    for (MimeMessage m : received) {
      recipients.add(
          ((InternetAddress) m.getRecipients(MimeMessage.RecipientType.TO)[0]).getAddress());
    }
    Collections.sort(recipients);
    assertEquals(List.of("ann@example.org", "bob@example.net"), recipients);
  }

  @Test
  void sendWhenMailHasMessageKeyThenEveryAttemptCarriesTheSameMessageIdOnTheSenderDomain()
      throws Exception {
    SmtpMailer mailer = plain(greenMailPort()).build();
    MailMessage keyed = mail("ann@example.org").withMessageKey("0123456789abcdef0123456789abcdef");

    assertEquals(List.of(new SendOutcome.Sent()), mailer.send(List.of(keyed)));
    try (MailerSession session = mailer.openSession()) {
      assertEquals(
          List.of(new SendOutcome.Sent(), new SendOutcome.Sent()),
          session.send(List.of(keyed, mail("bob@example.net"))));
    }

    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertEquals(3, received.length);
    assertEquals("<0123456789abcdef0123456789abcdef@bakery.example>", received[0].getMessageID());
    assertEquals(
        received[0].getMessageID(), received[1].getMessageID(), "the copy has the first one's id");
    assertNotEquals(received[0].getMessageID(), received[2].getMessageID());
  }

  @Test
  void sendWhenMailHasReturnPathThenItIsTheEnvelopeSender() throws Exception {
    SmtpMailer mailer = plain(greenMailPort()).build();
    org.optin4j.EmailAddress verp =
        org.optin4j.EmailAddress.parse(
            "bounces+abcdefghijklmnopqrstuvwxyz234567abcd@bounces.example");

    assertEquals(
        List.of(new SendOutcome.Sent(), new SendOutcome.Sent()),
        mailer.send(
            List.of(mail("ann@example.org").withReturnPath(verp), mail("bob@example.net"))));

    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertEquals(2, received.length);
    for (MimeMessage m : received) {
      String to = m.getAllRecipients()[0].toString();
      String returnPath = m.getHeader("Return-Path", null);
      if (to.contains("ann@")) {
        assertEquals("<" + verp.value() + ">", returnPath);
      } else {
        assertFalse(returnPath != null && returnPath.contains("bounces+"), returnPath);
      }
    }
  }

  @Test
  void sessionSendEachThenEachOutcomeReportedBeforeTheNextMailReachesTheServer()
      throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.rcptReply("bad@example.org", "550 5.1.1 no such user");
      List<String> seen = new ArrayList<>();
      try (MailerSession session = plain(server.port()).build().openSession()) {
        session.sendEach(
            List.of(mail("a@example.org"), mail("bad@example.org"), mail("c@example.org")),
            (index, outcome) -> {
              seen.add(index + " " + outcome + " after " + server.messages());
              return true;
            });
      }
      assertEquals(
          List.of(
              "0 Sent[] after 1",
              "1 PermanentFailure[reason=SMTP 550 5.1.1] after 1",
              "2 Sent[] after 2"),
          seen);
      assertEquals(1, server.connections());
    }
  }

  @Test
  void sessionSendEachWhenListenerStopsThenNoFurtherMailIsSent() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      List<Integer> seen = new ArrayList<>();
      try (MailerSession session = plain(server.port()).build().openSession()) {
        session.sendEach(
            List.of(mail("a@example.org"), mail("b@example.org"), mail("c@example.org")),
            (index, outcome) -> {
              seen.add(index);
              return index < 1;
            });
      }
      assertEquals(List.of(0, 1), seen);
      assertEquals(2, server.messages());
    }
  }

  @Test
  void sessionSendEachWhenListenerThrowsThenBatchEndsAndExceptionPropagates() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      try (MailerSession session = plain(server.port()).build().openSession()) {
        IllegalStateException e =
            assertThrows(
                IllegalStateException.class,
                () ->
                    session.sendEach(
                        List.of(mail("a@example.org"), mail("b@example.org")),
                        (index, outcome) -> {
                          throw new IllegalStateException("store down");
                        }));
        assertEquals("store down", e.getMessage());
      }
      assertEquals(1, server.messages());
    }
  }

  @Test
  void sendWhenIdnDomainAndSmtpUtf8OffThenEnvelopeAndToHeaderCarryTheALabel() throws Exception {
    SmtpMailer mailer = plain(greenMailPort()).build();

    assertEquals(List.of(new SendOutcome.Sent()), mailer.send(List.of(mail("idn@bücher.example"))));

    MimeMessage[] received = GREEN_MAIL.getReceivedMessagesForDomain("xn--bcher-kva.example");
    assertEquals(1, received.length);
    assertEquals("idn@xn--bcher-kva.example", received[0].getHeader("To", null));
    assertFalse(mailer.sendsSmtpUtf8());
  }

  @Test
  void sendWhenSmtpUtf8AndServerOffersItThenUnicodeLocalPartArrivesAndToHeaderIsAsTyped()
      throws Exception {
    // GreenMail 2.1 lists SMTPUTF8 in its EHLO reply and takes MAIL FROM:<...> SMTPUTF8.
    SmtpMailer mailer = plain(greenMailPort()).smtpUtf8(true).build();

    List<SendOutcome> outcomes =
        mailer.send(List.of(mail("Zoë@Bücher.example"), mail("idn@bücher.example")));

    assertEquals(List.of(new SendOutcome.Sent(), new SendOutcome.Sent()), outcomes);
    MimeMessage[] received = GREEN_MAIL.getReceivedMessages();
    assertEquals(2, received.length);
    List<String> to = new ArrayList<>();
    for (MimeMessage m : received) {
      to.add(m.getHeader("To", null));
    }
    Collections.sort(to);
    assertEquals(List.of("idn@bücher.example", "zoë@bücher.example"), to);
    // GreenMail makes a mailbox per envelope recipient: the A-label domain, the local part as raw
    // UTF-8.
    assertNotNull(GREEN_MAIL.getUserManager().getUserByEmail("zoë@xn--bcher-kva.example"));
    assertNotNull(GREEN_MAIL.getUserManager().getUserByEmail("idn@xn--bcher-kva.example"));
    assertTrue(mailer.sendsSmtpUtf8());
  }

  @Test
  void sendWhenSmtpUtf8OffAndLocalPartNotAsciiThenPermanentFailureAndNothingSent()
      throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      SmtpMailer mailer = plain(server.port()).build();

      List<SendOutcome> outcomes =
          mailer.send(List.of(mail("zoë@example.org"), mail("ann@example.org")));

      assertEquals(
          new SendOutcome.PermanentFailure(
              "the recipient's local part is not ASCII and SMTPUTF8 is off (RFC 6531)"),
          outcomes.get(0));
      assertEquals(new SendOutcome.Sent(), outcomes.get(1));
      assertEquals(1, server.messages());
    }
  }

  @Test
  void sendWhenSmtpUtf8OnButServerDoesNotOfferItThenLocalPartFailsAndIdnFallsBackToALabelHeader()
      throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) { // its EHLO reply lists no extension
      SmtpMailer mailer = plain(server.port()).smtpUtf8(true).build();

      List<SendOutcome> outcomes =
          mailer.send(List.of(mail("zoë@example.org"), mail("idn@bücher.example")));

      assertEquals(
          List.of(
              new SendOutcome.PermanentFailure(
                  "the SMTP server does not offer SMTPUTF8 (RFC 6531)"),
              new SendOutcome.Sent()),
          outcomes);
      assertEquals(List.of("idn@xn--bcher-kva.example"), server.recipients());
      assertEquals(List.of("To: idn@xn--bcher-kva.example"), server.toHeaders());
    }
  }

  @Test
  void buildWhenSenderLocalPartNotAsciiWithoutSmtpUtf8ThenRefused() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> plain(25).from("zoë@bakery.example").build());

    assertTrue(e.getMessage().contains("non-ASCII local part need smtpUtf8(true)"), e.getMessage());
    plain(25).from("zoë@bakery.example").smtpUtf8(true).build();
  }

  @Test
  void buildWhenAllowUtf8PropertySetDirectlyThenRefused() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> plain(25).properties(Map.of("mail.mime.allowutf8", "true")).build());

    assertTrue(
        e.getMessage().contains("mail.mime.allowutf8 is controlled by smtpUtf8(...)"),
        e.getMessage());
  }

  @Test
  void sendWhenCalledFromSeveralThreadsThenEveryMailArrives() throws Exception {
    SmtpMailer mailer = plain(greenMailPort()).build();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<SendOutcome>>> results = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        results.add(
            pool.submit(
                () -> {
                  List<MailMessage> batch = new ArrayList<>();
                  for (int i = 0; i < 5; i++) {
                    batch.add(mail("t" + thread + "m" + i + "@example.org"));
                  }
                  return mailer.send(batch);
                }));
      }
      for (Future<List<SendOutcome>> r : results) {
        assertEquals(Collections.nCopies(5, new SendOutcome.Sent()), r.get(30, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(20, GREEN_MAIL.getReceivedMessages().length);
  }

  @Test
  void sendWhenAttachmentsThenMultipartMixedWithContentTypeAndBytes() throws Exception {
    byte[] json =
        "{\"email\":\"ann@example.org\",\"consents\":[]}".getBytes(StandardCharsets.UTF_8);
    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) i;
    }
    MailMessage message =
        mail(
            "ann@example.org",
            "Je gegevens",
            List.of(
                new MailMessage.Attachment("my-data.json", "application/json", json),
                new MailMessage.Attachment("proof.bin", "application/octet-stream", binary)));

    assertEquals(
        List.of(new SendOutcome.Sent()), plain(greenMailPort()).build().send(List.of(message)));

    MimeMessage m = GREEN_MAIL.getReceivedMessages()[0];
    assertTrue(m.isMimeType("multipart/mixed"), m.getContentType());
    MimeMultipart mixed = (MimeMultipart) m.getContent();
    assertEquals(3, mixed.getCount());
    assertTrue(mixed.getBodyPart(0).isMimeType("multipart/alternative"));
    BodyPart first = mixed.getBodyPart(1);
    assertTrue(first.isMimeType("application/json"), first.getContentType());
    assertEquals("my-data.json", first.getFileName());
    assertEquals(Part.ATTACHMENT, first.getDisposition());
    assertArrayEquals(json, first.getInputStream().readAllBytes());
    BodyPart second = mixed.getBodyPart(2);
    assertTrue(second.isMimeType("application/octet-stream"), second.getContentType());
    assertArrayEquals(binary, second.getInputStream().readAllBytes());
  }

  @Test
  void sendWhenNoHtmlThenPlainTextOnly() throws Exception {
    MailMessage message =
        new MailMessage(
            EmailAddress.parse("ann@example.org"),
            "Hello",
            "Just text.\n",
            null,
            Map.of(),
            List.of());

    assertEquals(
        List.of(new SendOutcome.Sent()), plain(greenMailPort()).build().send(List.of(message)));

    MimeMessage m = GREEN_MAIL.getReceivedMessages()[0];
    assertTrue(m.isMimeType("text/plain"), m.getContentType());
    assertEquals("Just text.", ((String) m.getContent()).strip());
  }

  @Test
  void sendWhenHeaderOwnedByMailerThenPermanentFailureForThatMailOnly() {
    MailMessage forged =
        new MailMessage(
            EmailAddress.parse("ann@example.org"),
            "Hi",
            "x",
            null,
            Map.of("Bcc", "mallory@evil.example"),
            List.of());

    List<SendOutcome> outcomes =
        plain(greenMailPort()).build().send(List.of(forged, mail("bob@example.net")));

    assertEquals(
        new SendOutcome.PermanentFailure("header Bcc is set by the mailer"), outcomes.get(0));
    assertEquals(new SendOutcome.Sent(), outcomes.get(1));
    assertEquals(1, GREEN_MAIL.getReceivedMessages().length);
  }

  @Test
  void sendWhenServerDownThenTransientFailureForAll() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    List<SendOutcome> outcomes =
        plain(port)
            .build()
            .send(
                List.of(mail("ann@example.org"), mail("bob@example.net"), mail("cy@example.com")));

    assertEquals(3, outcomes.size());
    for (SendOutcome o : outcomes) {
      SendOutcome.TransientFailure failure =
          assertInstanceOf(SendOutcome.TransientFailure.class, o);
      assertEquals("connect failed: ConnectException", failure.reason());
    }
  }

  @Test
  void sendWhenEmptyBatchThenNoConnection() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      assertEquals(List.of(), plain(server.port()).build().send(List.of()));
      assertEquals(0, server.connections());
    }
  }

  @Test
  void sendWhenTwentyMailsThenExactlyOneConnection() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      List<MailMessage> batch = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        batch.add(mail("user" + i + "@example.org"));
      }

      List<SendOutcome> outcomes = plain(server.port()).build().send(batch);

      assertEquals(Collections.nCopies(20, new SendOutcome.Sent()), outcomes);
      assertEquals(1, server.connections());
      assertEquals(20, server.messages());
    }
  }

  @Test
  void sendWhen5xxForOneRecipientThenPermanentFailureForThatMailOnly() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.rcptReply("gone@example.org", "550 5.1.1 <gone@example.org>: user unknown");

      List<SendOutcome> outcomes =
          plain(server.port())
              .build()
              .send(
                  List.of(
                      mail("ann@example.org"), mail("gone@example.org"), mail("bob@example.net")));

      assertEquals(new SendOutcome.Sent(), outcomes.get(0));
      SendOutcome.PermanentFailure failure =
          assertInstanceOf(SendOutcome.PermanentFailure.class, outcomes.get(1));
      assertEquals("SMTP 550 5.1.1", failure.reason());
      assertFalse(failure.reason().contains("gone"), "no address in the reason");
      assertEquals(new SendOutcome.Sent(), outcomes.get(2));
      assertEquals(1, server.connections());
      assertEquals(2, server.messages());
    }
  }

  @Test
  void sendWhen4xxForOneRecipientThenTransientFailure() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.rcptReply("busy@example.org", "451 4.7.1 greylisted, try again later");

      List<SendOutcome> outcomes =
          plain(server.port())
              .build()
              .send(List.of(mail("busy@example.org"), mail("ann@example.org")));

      assertEquals(new SendOutcome.TransientFailure("SMTP 451 4.7.1"), outcomes.get(0));
      assertEquals(new SendOutcome.Sent(), outcomes.get(1));
      assertEquals(1, server.connections());
    }
  }

  @Test
  void sendWhen552ToRcptThenTransientAsRfc5321Says() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.rcptReply("full@example.org", "552 mailbox full");

      List<SendOutcome> outcomes =
          plain(server.port()).build().send(List.of(mail("full@example.org")));

      assertEquals(List.of(new SendOutcome.TransientFailure("SMTP 552")), outcomes);
    }
  }

  @Test
  void sendWhen5xxAfterDataThenPermanentFailure() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.dataReply("554 5.7.1 message rejected as spam");

      List<SendOutcome> outcomes =
          plain(server.port()).build().send(List.of(mail("ann@example.org")));

      assertEquals(List.of(new SendOutcome.PermanentFailure("SMTP 554 5.7.1")), outcomes);
    }
  }

  @Test
  void sendWhenConnectionDropsMidBatchThenReconnectsOnceAndSendsAll() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.dropAfterMessages(4, 1);
      List<MailMessage> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(mail("user" + i + "@example.org"));
      }

      List<SendOutcome> outcomes = plain(server.port()).build().send(batch);

      assertEquals(Collections.nCopies(10, new SendOutcome.Sent()), outcomes);
      assertEquals(2, server.connections());
      assertEquals(10, server.messages());
    }
  }

  @Test
  void sessionWhenSeveralBatchesThenOneConnectionAndEachMailOnce() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      SmtpMailer mailer = plain(server.port()).build();
      try (MailerSession session = mailer.openSession()) {
        assertEquals(List.of(), session.send(List.of()));
        for (int b = 0; b < 3; b++) {
          List<MailMessage> batch =
              List.of(mail("a" + b + "@example.org"), mail("b" + b + "@example.org"));
          assertEquals(Collections.nCopies(2, new SendOutcome.Sent()), session.send(batch));
        }
      }
      assertEquals(1, server.connections());
      assertEquals(6, server.messages());
    }
  }

  @Test
  void sessionWhenServerClosedTheConnectionBetweenBatchesThenReopensWithoutFailingOrRepeatingAMail()
      throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.dropAfterMessages(
          2, 2); // the first two connections are closed by the server after two mails each
      SmtpMailer mailer = plain(server.port()).build();
      try (MailerSession session = mailer.openSession()) {
        for (int b = 0; b < 3; b++) {
          List<MailMessage> batch =
              List.of(mail("a" + b + "@example.org"), mail("b" + b + "@example.org"));
          assertEquals(
              Collections.nCopies(2, new SendOutcome.Sent()), session.send(batch), "batch " + b);
        }
      }
      assertEquals(3, server.connections());
      assertEquals(6, server.messages(), "every mail exactly once");
    }
  }

  @Test
  void sendWhenConnectionDropsTwiceThenRestIsTransient() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      server.dropAfterMessages(3, Integer.MAX_VALUE);
      List<MailMessage> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(mail("user" + i + "@example.org"));
      }

      List<SendOutcome> outcomes = plain(server.port()).build().send(batch);

      assertEquals(Collections.nCopies(6, new SendOutcome.Sent()), outcomes.subList(0, 6));
      for (SendOutcome o : outcomes.subList(6, 10)) {
        SendOutcome.TransientFailure failure =
            assertInstanceOf(SendOutcome.TransientFailure.class, o);
        assertTrue(failure.reason().startsWith("I/O error: "), failure.reason());
      }
      assertEquals(2, server.connections());
    }
  }

  @Test
  void sendWhenServerSilentThenTimeoutIsTransient() throws IOException {
    try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      SmtpMailer mailer = plain(silent.getLocalPort()).readTimeout(Duration.ofMillis(300)).build();

      List<SendOutcome> outcomes =
          mailer.send(List.of(mail("ann@example.org"), mail("bob@example.net")));

      for (SendOutcome o : outcomes) {
        SendOutcome.TransientFailure failure =
            assertInstanceOf(SendOutcome.TransientFailure.class, o);
        assertTrue(failure.reason().startsWith("connect failed: "), failure.reason());
      }
    }
  }

  @Test
  void buildWhenSettingsInvalidThenNamesEachOne() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                SmtpMailer.builder()
                    .port(70000)
                    .security(SmtpMailer.Security.NONE)
                    .username("apikey")
                    .password("secret")
                    .from("not an address")
                    .replyTo("also@bad@example")
                    .connectTimeout(Duration.ZERO)
                    .readTimeout(Duration.ofSeconds(-1))
                    .properties(Map.of("mail.smtp.host", "evil.example", "smtp.foo", "x"))
                    .build());

    List<String> problems = e.problems();
    assertTrue(problems.contains("smtp host is required"), problems.toString());
    assertTrue(problems.contains("smtp port must be 1 to 65535, was 70000"), problems.toString());
    assertTrue(
        problems.stream()
            .anyMatch(p -> p.startsWith("smtp password over an unencrypted connection")));
    assertTrue(problems.contains("smtp from address is not a valid address"), problems.toString());
    assertTrue(
        problems.contains("smtp reply-to address is not a valid address"), problems.toString());
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("smtp connect timeout must be")));
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("smtp read timeout must be")));
    assertTrue(
        problems.contains("smtp property mail.smtp.host is controlled by a typed builder setting"));
    assertTrue(problems.contains("smtp property smtp.foo must start with \"mail.\""));
    assertFalse(e.getMessage().contains("secret"));
  }

  @Test
  void buildWhenOnlyUsernameThenRefused() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                SmtpMailer.builder()
                    .host("smtp.example.org")
                    .username("apikey")
                    .from("a@example.org")
                    .build());

    assertEquals(
        List.of("smtp username and password must be set together or not at all"), e.problems());
  }

  @Test
  void buildWhenFromNameHasNewlineThenRefused() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                SmtpMailer.builder()
                    .host("smtp.example.org")
                    .from("a@example.org", "Bakery\r\nBcc: x@evil.example")
                    .build());

    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).startsWith("smtp from display name"));
  }

  @Test
  void buildWhenDefaultsThenStartTlsOn587AndPasswordHidden() {
    SmtpMailer mailer =
        SmtpMailer.builder()
            .host("smtp.example.org")
            .username("apikey")
            .password("s3cr3t-Pa55")
            .from("no-reply@bakery.example")
            .build();

    String s = mailer.toString();
    assertFalse(s.contains("s3cr3t-Pa55"), s);
    assertTrue(s.contains("port=587"), s);
    assertTrue(s.contains("security=STARTTLS"), s);
    assertTrue(s.contains("password=****"), s);
    assertEquals(465, SmtpMailer.Security.SMTPS.defaultPort());
  }

  @Test
  void sendWhenStartTlsRequiredButNotOfferedThenTransientFailure() throws IOException {
    try (FakeSmtpServer server = new FakeSmtpServer()) {
      SmtpMailer mailer = plain(server.port()).security(SmtpMailer.Security.STARTTLS).build();

      List<SendOutcome> outcomes = mailer.send(List.of(mail("ann@example.org")));

      SendOutcome.TransientFailure failure =
          assertInstanceOf(SendOutcome.TransientFailure.class, outcomes.get(0));
      assertTrue(failure.reason().startsWith("connect failed: "), failure.reason());
      assertEquals(0, server.messages());
    }
  }

  /**
   * Just enough SMTP (RFC 5321) to script replies: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT. Handles one
   * connection at a time and counts them.
   */
  private static final class FakeSmtpServer implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger messages = new AtomicInteger();
    private final Map<String, String> rcptReplies = new ConcurrentHashMap<>();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<String> recipients = new CopyOnWriteArrayList<>();
    private final List<String> toHeaders = new CopyOnWriteArrayList<>();
    private volatile String dataReply = "250 2.0.0 OK queued";
    private volatile int dropAfter = Integer.MAX_VALUE;
    private volatile int dropConnections;

    FakeSmtpServer() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      thread = new Thread(this::serve, "fake-smtp");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int connections() {
      return connections.get();
    }

    int messages() {
      return messages.get();
    }

    /** The RCPT TO addresses, in order. */
    List<String> recipients() {
      return recipients;
    }

    /** The {@code To:} header lines of the messages, in order. */
    List<String> toHeaders() {
      return toHeaders;
    }

    void rcptReply(String address, String reply) {
      rcptReplies.put(address, reply);
    }

    void dataReply(String reply) {
      this.dataReply = reply;
    }

    /** Closes each of the first {@code times} connections right after it has accepted {@code count} messages. */
    void dropAfterMessages(int count, int times) {
      this.dropAfter = count;
      this.dropConnections = times;
    }

    private void serve() {
      while (!server.isClosed()) {
        try (Socket socket = server.accept()) {
          int n = connections.incrementAndGet();
          socket.setSoTimeout(10_000);
          converse(socket, n <= dropConnections ? dropAfter : Integer.MAX_VALUE);
        } catch (IOException e) {
          if (!server.isClosed()) {
            log.add("error: " + e);
          }
        }
      }
    }

    private void converse(Socket socket, int dropAfterCount) throws IOException {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = socket.getOutputStream();
      reply(out, "220 fake.test ESMTP ready");
      int accepted = 0;
      boolean inTransaction = false;
      String line;
      while ((line = in.readLine()) != null) {
        String upper = line.toUpperCase(java.util.Locale.ROOT);
        if (upper.startsWith("EHLO") || upper.startsWith("HELO")) {
          reply(out, "250 fake.test");
        } else if (upper.startsWith("MAIL FROM:")) {
          if (inTransaction) { // as real servers do: the client must RSET after a failed
            // transaction
            reply(out, "503 5.5.1 nested MAIL command");
            continue;
          }
          inTransaction = true;
          reply(out, "250 2.1.0 OK");
        } else if (upper.startsWith("RCPT TO:")) {
          String address = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
          recipients.add(address);
          reply(out, rcptReplies.getOrDefault(address, "250 2.1.5 OK"));
        } else if (upper.equals("DATA")) {
          reply(out, "354 end with <CRLF>.<CRLF>");
          while ((line = in.readLine()) != null && !line.equals(".")) {
            if (line.startsWith("To: ")) {
              toHeaders.add(line);
            }
          }
          // Counted before the reply: once the client has read the 250, the message is the server's
          // (a test reading
          // messages() from the client's outcome listener must not race this thread).
          if (dataReply.startsWith("250")) {
            messages.incrementAndGet();
          }
          reply(out, dataReply);
          inTransaction = false;
          if (dataReply.startsWith("250")) {
            if (++accepted >= dropAfterCount) {
              return; // drop the connection without a word
            }
          }
        } else if (upper.equals("RSET")) {
          inTransaction = false;
          reply(out, "250 2.0.0 OK");
        } else if (upper.equals("NOOP")) {
          reply(out, "250 2.0.0 OK");
        } else if (upper.equals("QUIT")) {
          reply(out, "221 2.0.0 bye");
          return;
        } else {
          reply(out, "502 5.5.1 not implemented");
        }
      }
    }

    private static void reply(OutputStream out, String line) throws IOException {
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }

    @Override
    public void close() {
      try {
        server.close();
        thread.join(5_000);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      assertEquals(List.of(), log, "fake server errors");
    }
  }
}
