package org.optin4j.spring;

import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import java.io.UnsupportedEncodingException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.optin4j.ConfigurationException;
import org.optin4j.mail.SmtpReply;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.SendOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.mail.MailAuthenticationException;
import org.springframework.mail.MailException;
import org.springframework.mail.MailSendException;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.MimeMessageHelper;

/**
 * A {@link Mailer} that sends through the application's Spring {@link JavaMailSender}, so that optin4j's mails use
 * the connection settings the application already has ({@code spring.mail.*}).
 *
 * <p>A batch goes to {@link JavaMailSender#send(MimeMessage...)}, which Spring's {@code JavaMailSenderImpl} sends over
 * one connection. Spring's mail exceptions become the outcomes the dispatcher retries or gives up on (GDPR Art. 7(1)
 * asks for the confirmation mail to be sent reliably, not to be lost on an outage):
 * <ul>
 *   <li>a message the SMTP server refused with a 5xx reply (RFC 5321 section 4.2.1) is a
 *       {@link SendOutcome.PermanentFailure}, except 552 to {@code RCPT}, which RFC 5321 section 4.5.3.1.10 says to
 *       treat as 452;</li>
 *   <li>a 4xx reply, a failed connect, an authentication failure or an I/O error is a
 *       {@link SendOutcome.TransientFailure} (an authentication failure is the operator's to fix, not the mail's);</li>
 *   <li>a mail that cannot be composed (an invalid address) is a permanent failure of that mail only.</li>
 * </ul>
 * Reasons name SMTP codes and exception classes, never an address or the server's reply text. Nothing here logs an
 * address or a link (links in mails are credentials).
 *
 * <p>A mail with a {@link MailMessage#returnPath() return path} (its VERP address, so that a bounce names the mail it
 * answers) is sent with that envelope sender (RFC 5321 {@code MAIL FROM}): the Angus SMTP transport takes it from the
 * message when the message is its {@code SMTPMessage}, which this mailer creates in the session of Spring's {@code
 * JavaMailSenderImpl}. Another {@code JavaMailSender} whose {@code createMimeMessage()} does not give an {@code
 * SMTPMessage} sends with its configured envelope sender (a warning is logged once): bounces then reach the mailbox
 * without their mail's VERP address.
 *
 * <p>Thread-safe when the {@code JavaMailSender} is (Spring's {@code JavaMailSenderImpl} is).
 */
public final class JavaMailSenderMailer implements Mailer {
  private static final Logger LOG = LoggerFactory.getLogger(JavaMailSenderMailer.class);

  /** Headers the mailer writes itself; a template may not set them. */
  private static final Set<String> OWN_HEADERS =
      Set.of(
          "from",
          "to",
          "cc",
          "bcc",
          "reply-to",
          "subject",
          "date",
          "message-id",
          "mime-version",
          "sender");

  private final JavaMailSender sender;

  /** Warned once that this sender cannot set a per-mail envelope sender (the warning is per mailer, not static). */
  private final java.util.concurrent.atomic.AtomicBoolean warnedNoEnvelope =
      new java.util.concurrent.atomic.AtomicBoolean();

  private final InternetAddress from;
  private final InternetAddress replyTo;

  private JavaMailSenderMailer(
      JavaMailSender sender, InternetAddress from, InternetAddress replyTo) {
    this.sender = sender;
    this.from = from;
    this.replyTo = replyTo;
  }

  /**
   * Creates a mailer.
   *
   * @param sender the application's mail sender
   * @param from the sender address
   * @param fromName the sender's display name, or {@code null}
   * @param replyTo the reply-to address, or {@code null}
   * @return the mailer
   * @throws ConfigurationException naming each invalid address
   */
  public static JavaMailSenderMailer create(
      JavaMailSender sender, String from, String fromName, String replyTo) {
    Objects.requireNonNull(sender, "sender");
    List<String> problems = new ArrayList<>();
    InternetAddress fromAddress = null;
    if (from == null || from.isBlank()) {
      problems.add("from address is required");
    } else {
      try {
        fromAddress = new InternetAddress(from.strip(), true);
        if (fromName != null && !fromName.isBlank()) {
          fromAddress.setPersonal(fromName.strip(), "UTF-8");
        }
      } catch (AddressException | UnsupportedEncodingException e) {
        problems.add("from address is invalid: " + from);
      }
    }
    InternetAddress replyAddress = null;
    if (replyTo != null && !replyTo.isBlank()) {
      try {
        replyAddress = new InternetAddress(replyTo.strip(), true);
      } catch (AddressException e) {
        problems.add("reply-to address is invalid: " + replyTo);
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigurationException(problems);
    }
    return new JavaMailSenderMailer(sender, fromAddress, replyAddress);
  }

  @Override
  public List<SendOutcome> send(List<MailMessage> batch) {
    SendOutcome[] outcomes = new SendOutcome[batch.size()];
    List<MimeMessage> mimes = new ArrayList<>(batch.size());
    List<Integer> positions = new ArrayList<>(batch.size());
    for (int i = 0; i < batch.size(); i++) {
      try {
        mimes.add(compose(batch.get(i)));
        positions.add(i);
      } catch (MessagingException | MailException | IllegalArgumentException e) {
        outcomes[i] =
            new SendOutcome.PermanentFailure("invalid message: " + e.getClass().getSimpleName());
      }
    }
    if (!mimes.isEmpty()) {
      List<SendOutcome> sent = sendComposed(mimes);
      for (int j = 0; j < sent.size(); j++) {
        outcomes[positions.get(j)] = sent.get(j);
      }
    }
    return Collections.unmodifiableList(Arrays.asList(outcomes));
  }

  private List<SendOutcome> sendComposed(List<MimeMessage> mimes) {
    List<SendOutcome> outcomes = new ArrayList<>(mimes.size());
    try {
      sender.send(mimes.toArray(MimeMessage[]::new));
      mimes.forEach(m -> outcomes.add(new SendOutcome.Sent()));
    } catch (MailAuthenticationException e) {
      LOG.warn("optin4j: SMTP authentication failed; {} mails left for a retry", mimes.size());
      mimes.forEach(m -> outcomes.add(new SendOutcome.TransientFailure("authentication failed")));
    } catch (MailSendException e) {
      // Spring lists each message that failed with its exception, a failed connect as every message
      // of the batch.
      Map<Object, Exception> failed = e.getFailedMessages();
      for (MimeMessage m : mimes) {
        Exception cause = failed.get(m);
        outcomes.add(cause == null ? new SendOutcome.Sent() : outcome(cause));
      }
    } catch (MailException e) {
      LOG.debug("optin4j: mail batch failed: {}", SmtpReply.rootName(e));
      mimes.forEach(
          m ->
              outcomes.add(
                  new SendOutcome.TransientFailure("mail error: " + SmtpReply.rootName(e))));
    }
    return outcomes;
  }

  private MimeMessage compose(MailMessage mail) throws MessagingException {
    MimeMessage mime = mail.returnPath() == null ? sender.createMimeMessage() : withEnvelope(mail);
    boolean multipart = mail.html() != null || !mail.attachments().isEmpty();
    MimeMessageHelper helper = new MimeMessageHelper(mime, multipart, "UTF-8");
    helper.setFrom(from);
    helper.setTo(new InternetAddress(mail.to().value(), true));
    if (replyTo != null) {
      helper.setReplyTo(replyTo);
    }
    helper.setSubject(mail.subject());
    if (mail.html() == null) {
      helper.setText(mail.text());
    } else {
      helper.setText(mail.text(), mail.html());
    }
    for (MailMessage.Attachment a : mail.attachments()) {
      helper.addAttachment(a.fileName(), new ByteArrayResource(a.content()), a.contentType());
    }
    for (Map.Entry<String, String> header : mail.headers().entrySet()) {
      String lower = header.getKey().toLowerCase(Locale.ROOT);
      if (OWN_HEADERS.contains(lower) || lower.startsWith("content-")) {
        throw new IllegalArgumentException("header " + header.getKey() + " is set by the mailer");
      }
      String value;
      try {
        value = MimeUtility.encodeText(header.getValue(), "UTF-8", null);
      } catch (UnsupportedEncodingException e) {
        throw new IllegalStateException("UTF-8 is always supported", e);
      }
      mime.addHeader(header.getKey(), MimeUtility.fold(header.getKey().length() + 2, value));
    }
    return mime;
  }

  /**
   * A message whose SMTP envelope sender is the mail's return path: Angus's {@code SMTPTransport} reads {@code
   * MAIL FROM} from an {@code SMTPMessage} before the session's {@code mail.smtp.from}, and Spring's {@code
   * JavaMailSenderImpl} sends any {@code MimeMessage} it is given over its transport.
   */
  private MimeMessage withEnvelope(MailMessage mail) throws MessagingException {
    org.eclipse.angus.mail.smtp.SMTPMessage smtp;
    if (sender instanceof org.springframework.mail.javamail.JavaMailSenderImpl impl) {
      smtp = new org.eclipse.angus.mail.smtp.SMTPMessage(impl.getSession());
    } else if (sender.createMimeMessage() instanceof org.eclipse.angus.mail.smtp.SMTPMessage own) {
      smtp = own;
    } else {
      if (warnedNoEnvelope.compareAndSet(false, true)) {
        LOG.warn(
            "optin4j: {} cannot set a per-mail envelope sender; bounces will not carry VERP"
                + " addresses",
            sender.getClass().getSimpleName());
      }
      return sender.createMimeMessage();
    }
    smtp.setEnvelopeFrom(mail.returnPath().value());
    return smtp;
  }

  /**
   * The outcome of one refused message. Jakarta Mail's SMTP exceptions ({@code SMTPAddressFailedException},
   * {@code SMTPSendFailedException}) belong to the implementation, not the API, so their {@code getReturnCode()} is
   * read reflectively; an exception without a 4xx/5xx code is an I/O failure, which is retried: the safe side.
   */
  static SendOutcome outcome(Exception e) {
    return SmtpReply.in(e)
        .map(SmtpReply::outcome)
        .orElseGet(() -> new SendOutcome.TransientFailure("I/O error: " + SmtpReply.rootName(e)));
  }

  @Override
  public String toString() {
    return "JavaMailSenderMailer[" + sender.getClass().getSimpleName() + "]";
  }
}
