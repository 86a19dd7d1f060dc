package org.optin4j.examples;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.BodyPart;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The built-in SMTP capture: GreenMail on a free loopback port, accepting mail for any address and keeping it in
 * memory until the app stops, so that the sample needs no mail server. {@code /dev/mailbox} shows what it caught.
 *
 * <p>Thread-safe.
 */
final class MailCapture implements AutoCloseable {
  private final GreenMail greenMail;

  /** Numbers mails in the order they are first seen, so that a mail keeps its address in the mailbox. */
  private final Map<String, Integer> numbers = new ConcurrentHashMap<>();

  private final AtomicInteger next = new AtomicInteger(1);

  private MailCapture(GreenMail greenMail) {
    this.greenMail = greenMail;
  }

  /** Starts GreenMail's SMTP server on 127.0.0.1 and a free port. */
  static MailCapture start() {
    GreenMail gm =
        new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    gm.start();
    return new MailCapture(gm);
  }

  int port() {
    return greenMail.getSmtp().getPort();
  }

  /** One captured mail, decoded for display. */
  record CapturedMail(
      int number,
      String subject,
      String from,
      String to,
      Instant date,
      List<Header> headers,
      String text,
      String html,
      List<String> attachments) {}

  /** Returns every mail caught so far, newest first. */
  synchronized List<CapturedMail> mails() {
    List<CapturedMail> out = new ArrayList<>();
    List<MimeMessage> fresh = new ArrayList<>();
    for (MimeMessage m : greenMail.getReceivedMessages()) {
      String key = key(m);
      if (!numbers.containsKey(key)) {
        fresh.add(m);
      }
    }
    fresh.sort(Comparator.comparing(MailCapture::sent));
    for (MimeMessage m : fresh) {
      numbers.put(key(m), next.getAndIncrement());
    }
    for (MimeMessage m : greenMail.getReceivedMessages()) {
      out.add(decode(numbers.get(key(m)), m));
    }
    out.sort(Comparator.comparingInt(CapturedMail::number).reversed());
    return out;
  }

  Optional<CapturedMail> mail(int number) {
    return mails().stream().filter(m -> m.number() == number).findFirst();
  }

  private static String key(MimeMessage m) {
    try {
      String id = m.getMessageID();
      return id != null ? id : Integer.toHexString(System.identityHashCode(m));
    } catch (MessagingException e) {
      return Integer.toHexString(System.identityHashCode(m));
    }
  }

  private static Instant sent(MimeMessage m) {
    try {
      return m.getSentDate() == null ? Instant.EPOCH : m.getSentDate().toInstant();
    } catch (MessagingException e) {
      return Instant.EPOCH;
    }
  }

  private static CapturedMail decode(int number, MimeMessage m) {
    try {
      List<Header> headers = Collections.list(m.getAllHeaders());
      String[] bodies = new String[2];
      List<String> attachments = new ArrayList<>();
      collect(m, bodies, attachments);
      return new CapturedMail(
          number,
          nullToEmpty(m.getSubject()),
          String.join(", ", addresses(m.getFrom())),
          String.join(", ", addresses(m.getAllRecipients())),
          sent(m),
          headers,
          nullToEmpty(bodies[0]),
          bodies[1],
          attachments);
    } catch (MessagingException | IOException e) {
      return new CapturedMail(
          number,
          "(cannot decode: " + e.getClass().getSimpleName() + ")",
          "",
          "",
          Instant.EPOCH,
          List.of(),
          "",
          null,
          List.of());
    }
  }

  /** Finds the first text/plain and text/html parts (multipart/alternative, possibly inside multipart/mixed). */
  private static void collect(Part part, String[] bodies, List<String> attachments)
      throws MessagingException, IOException {
    if (Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition())) {
      attachments.add(part.getFileName() + " (" + part.getContentType().split(";")[0] + ")");
    } else if (part.isMimeType("text/plain") && bodies[0] == null) {
      bodies[0] = (String) part.getContent();
    } else if (part.isMimeType("text/html") && bodies[1] == null) {
      bodies[1] = (String) part.getContent();
    } else if (part.isMimeType("multipart/*")) {
      Multipart mp = (Multipart) part.getContent();
      for (int i = 0; i < mp.getCount(); i++) {
        BodyPart bp = mp.getBodyPart(i);
        collect(bp, bodies, attachments);
      }
    }
  }

  private static List<String> addresses(jakarta.mail.Address[] list) {
    List<String> out = new ArrayList<>();
    if (list != null) {
      for (jakarta.mail.Address a : list) {
        out.add(a.toString());
      }
    }
    return out;
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  @Override
  public void close() {
    greenMail.stop();
  }
}
