package org.optin4j.mail;

import jakarta.activation.DataHandler;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.NoSuchProviderException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import jakarta.mail.internet.MimePart;
import jakarta.mail.internet.MimeUtility;
import jakarta.mail.util.ByteArrayDataSource;
import java.io.UnsupportedEncodingException;
import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.optin4j.ConfigurationException;
import org.optin4j.EmailAddress;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.MailerSession;
import org.optin4j.spi.SendOutcome;

/**
 * A {@link Mailer} that submits mails to an SMTP server with Jakarta Mail 2.1 (Eclipse Angus at run time).
 *
 * <pre>{@code
 * Mailer mailer = SmtpMailer.builder()
 *     .host("smtp.example.org")
 *     .security(SmtpMailer.Security.STARTTLS)   // the default; port 587 unless set
 *     .username("apikey").password(System.getenv("SMTP_PASSWORD"))
 *     .from("no-reply@bakery.example", "Bakery de Gouden Korst")
 *     .build();
 * }</pre>
 *
 * <p><b>Protocol.</b> Each {@link #send(List)} call opens <em>one</em> SMTP connection (RFC 5321) for the whole batch
 * and sends the mails one transaction after another; if the connection drops mid-batch it reconnects once and retries
 * the mail that was in flight. A {@link #openSession() session} keeps that connection open across batches (the
 * dispatcher uses one per dispatch round), and {@link MailerSession#sendEach sendEach} reports each mail's outcome as
 * soon as the server answered it. Each mail is an RFC 5322 message with a {@code Message-ID} on the sender's domain
 * (derived from the mail's {@link MailMessage#messageKey() message key} where it has one, so the same on every
 * attempt; random otherwise), a
 * {@code Date}, the subject and display name encoded per RFC 2047 where they are not ASCII, and a MIME body (RFC
 * 2045-2046): {@code multipart/alternative} with a UTF-8 plain-text part before the HTML part (quoted-printable or
 * base64, whichever Jakarta Mail finds shorter), wrapped in {@code multipart/mixed} when there are attachments. The
 * extra headers of a {@link MailMessage} (for example RFC 2369 / RFC 8058 {@code List-Unsubscribe} and
 * {@code List-Unsubscribe-Post}) pass through unchanged; headers the mailer owns ({@code From}, {@code To},
 * {@code Subject}, {@code Message-ID}, {@code Content-*}, ...) are refused. The recipient is parsed strictly and is
 * the only envelope recipient.
 *
 * <p><b>Internationalised addresses.</b> The envelope always carries the recipient's canonical address, its domain as
 * an A-label ({@code RCPT TO:<idn@xn--bcher-kva.example>}), which every server accepts. With {@link
 * Builder#smtpUtf8(boolean) smtpUtf8} on, the {@code To} header shows the address as the person typed it
 * ({@code idn@bücher.example}, RFC 6532), mails are sent with the {@code SMTPUTF8} parameter (RFC 6531), and addresses
 * with a non-ASCII local part can be mailed; if the server does not offer {@code SMTPUTF8} in its EHLO reply after
 * all, a mail to such an address is a permanent failure and other mails fall back to an ASCII {@code To} header.
 * With it off (the default), headers stay ASCII (the A-label) and {@link #sendsSmtpUtf8()} tells {@code OptIn} to
 * refuse non-ASCII local parts at signup. The local part is never rewritten.
 *
 * <p><b>Outcomes.</b> An SMTP 5xx reply to a mail is a {@link SendOutcome.PermanentFailure} for that mail only (except
 * 552 to {@code RCPT}, which RFC 5321 section 4.5.3.1.10 says to treat as 452); a 4xx reply is a
 * {@link SendOutcome.TransientFailure}. A failed connect, an I/O error or a timeout is a transient failure for the mail
 * in flight and every remaining one. Reasons name only the reply code (and enhanced status code, RFC 3463) or the
 * exception class, never the address, the server's reply text or the content. Nothing here logs an address.
 *
 * <p><b>Security.</b> {@link Security#STARTTLS} (the default) requires the upgrade (RFC 3207) and
 * {@link Security#SMTPS} uses implicit TLS (RFC 8314); both check the server's host name against its certificate. A
 * password is refused with {@link Security#NONE}. {@link #toString()} never shows the password.
 *
 * <p>No Jakarta Mail type appears in this class's API, so callers depend only on optin4j. Immutable and thread-safe:
 * the mailer holds one {@code Session}; each {@code send} call uses its own connection, and each
 * {@link #openSession() session} its own.
 */
public final class SmtpMailer implements Mailer {
  private static final System.Logger LOG = System.getLogger(SmtpMailer.class.getName());

  /** Header names this mailer sets itself; a {@link MailMessage} may not override them (compared in lower case). */
  private static final Set<String> OWN_HEADERS =
      Set.of(
          "from",
          "sender",
          "to",
          "cc",
          "bcc",
          "reply-to",
          "subject",
          "date",
          "message-id",
          "mime-version",
          "return-path",
          "received",
          "resent-from",
          "resent-sender",
          "resent-to",
          "resent-cc",
          "resent-bcc",
          "resent-date",
          "resent-message-id");

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:\\[\\]_-]{1,253}");
  private static final Duration MAX_TIMEOUT = Duration.ofHours(1);

  private final String host;
  private final int port;
  private final Security security;
  private final String username;
  private final String password;
  private final String fromAddress;
  private final String fromName;
  private final String replyTo;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Duration writeTimeout;
  private final Clock clock;
  private final String protocol;
  private final String messageIdDomain;
  private final boolean smtpUtf8;
  private final Session session;

  private SmtpMailer(Builder b, int port, Session session) {
    this.host = b.host;
    this.port = port;
    this.security = b.security;
    this.username = b.username;
    this.password = b.password;
    this.fromAddress = EmailAddress.parse(b.from).value();
    this.fromName = b.fromName;
    this.replyTo = b.replyTo == null ? null : EmailAddress.parse(b.replyTo).value();
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.writeTimeout = b.writeTimeout;
    this.clock = b.clock;
    this.protocol = b.security.protocol;
    this.messageIdDomain = EmailAddress.parse(b.from).domain();
    this.smtpUtf8 = b.smtpUtf8;
    this.session = session;
  }

  /**
   * Starts a builder.
   *
   * @return a new builder with the defaults: {@link Security#STARTTLS}, the port of the security mode, timeouts of
   *     10 s (connect) and 30 s (read, write), the system UTC clock
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sends the batch over one connection.
   *
   * @param batch the mails
   * @return one outcome per mail, in the same order
   */
  @Override
  public List<SendOutcome> send(List<MailMessage> batch) {
    Objects.requireNonNull(batch, "batch");
    if (batch.isEmpty()) {
      return List.of();
    }
    try (SmtpSession session = new SmtpSession()) {
      return session.send(batch);
    }
  }

  /**
   * Opens a session that keeps one SMTP connection open across the batches sent through it, until it is closed
   * ({@code QUIT}). Before a batch goes over a connection that was already open, the session checks it with
   * {@code NOOP} and, if the server has closed it meanwhile (an idle timeout, a restart), opens a new one, so that
   * this costs none of the batch's mails an attempt. Within a batch the rules of {@link #send(List)} hold: no
   * connection is opened for an empty batch, and a connection lost mid-batch is re-opened once.
   *
   * @return a session for one thread at a time
   */
  @Override
  public MailerSession openSession() {
    return new SmtpSession();
  }

  /**
   * Tells whether this mailer sends to non-ASCII local parts: as configured by {@link Builder#smtpUtf8(boolean)}.
   *
   * @return whether SMTPUTF8 is on
   */
  @Override
  public boolean sendsSmtpUtf8() {
    return smtpUtf8;
  }

  /** One connection, opened at the first mail and kept until {@link #close()}. Not thread-safe. */
  private final class SmtpSession implements MailerSession {
    private Transport transport;
    private boolean open;

    @Override
    public List<SendOutcome> send(List<MailMessage> batch) {
      Objects.requireNonNull(batch, "batch");
      List<SendOutcome> outcomes = new ArrayList<>(batch.size());
      sendEach(batch, (index, outcome) -> outcomes.add(outcome));
      return Collections.unmodifiableList(outcomes);
    }

    /**
     * Sends the batch over this session's connection, telling {@code listener} each outcome as soon as the server
     * answered (its {@code 250}, a 4xx or 5xx reply) and before the next mail goes out.
     */
    @Override
    public void sendEach(List<MailMessage> batch, OutcomeListener listener) {
      Objects.requireNonNull(batch, "batch");
      Objects.requireNonNull(listener, "listener");
      if (batch.isEmpty()) {
        return;
      }
      if (transport == null) {
        try {
          transport = session.getTransport(protocol);
        } catch (NoSuchProviderException e) {
          // build() checked the provider; losing it afterwards is a broken deployment, not a mail
          // failure.
          throw new IllegalStateException("no Jakarta Mail provider for " + protocol, e);
        }
      }
      if (open && !transport.isConnected()) { // NOOP: the server may have closed an idle connection
        open = false;
        closeQuietly(transport);
      }
      // A connection kept from an earlier batch counts as this batch's first one: one reconnect
      // after a loss, as for
      // a fresh connection.
      int connects = open ? 1 : 0;
      try {
        int i = 0;
        while (i < batch.size()) {
          MailMessage mail = batch.get(i);
          MimeMessage mime;
          InternetAddress recipient;
          try {
            if (mail.to().needsSmtpUtf8() && !smtpUtf8) {
              throw new InvalidMailException(
                  "the recipient's local part is not ASCII and SMTPUTF8 is off (RFC 6531)");
            }
            recipient = new InternetAddress(mail.to().value(), true);
            mime = compose(mail, recipient, smtpUtf8);
          } catch (InvalidMailException e) {
            if (!listener.answered(i++, new SendOutcome.PermanentFailure(e.getMessage()))) {
              return;
            }
            continue;
          } catch (MessagingException | RuntimeException e) {
            if (!listener.answered(i++, invalidMessage(e))) {
              return;
            }
            continue;
          }
          if (!open) {
            if (connects >= 2) {
              failRest(listener, i, batch.size(), "connection lost, reconnect already used");
              return;
            }
            try {
              connects++;
              transport.connect(host, port, username, password);
              open = true;
            } catch (MessagingException | RuntimeException e) {
              logConnection("SMTP connect to {0}:{1} failed: {2}", e);
              failRest(listener, i, batch.size(), "connect failed: " + SmtpReply.rootName(e));
              return;
            }
          }
          boolean utf8Mail =
              mail.to().needsSmtpUtf8() || !mail.to().unicode().equals(mail.to().value());
          if (smtpUtf8 && utf8Mail && !offersSmtpUtf8(transport)) {
            // RFC 6531 section 3.4: a server that did not offer SMTPUTF8 must not get UTF-8 headers
            // or addresses.
            if (mail.to().needsSmtpUtf8()) {
              if (!listener.answered(
                  i++,
                  new SendOutcome.PermanentFailure(
                      "the SMTP server does not offer SMTPUTF8 (RFC 6531)"))) {
                return;
              }
              continue;
            }
            try {
              mime = compose(mail, recipient, false);
            } catch (InvalidMailException | MessagingException | RuntimeException e) {
              if (!listener.answered(i++, invalidMessage(e))) {
                return;
              }
              continue;
            }
          }
          SendOutcome outcome;
          try {
            transport.sendMessage(mime, new Address[] {recipient});
            outcome = new SendOutcome.Sent();
          } catch (MessagingException e) {
            java.util.Optional<SmtpReply> reply = SmtpReply.in(e);
            if (reply.isPresent()) {
              outcome = reply.get().outcome();
              if (!transport
                  .isConnected()) { // sends NOOP; only after a failure, e.g. a 421 that closed the
                // session
                open = false;
                closeQuietly(transport);
              }
            } else {
              // No SMTP reply: I/O error, timeout or a dropped connection. Retry this mail once on
              // a new connection
              // (with the same Message-ID: the server may have taken it before the connection
              // dropped).
              logConnection("SMTP connection to {0}:{1} lost: {2}", e);
              open = false;
              closeQuietly(transport);
              if (connects >= 2) {
                failRest(listener, i, batch.size(), "I/O error: " + SmtpReply.rootName(e));
                return;
              }
              continue;
            }
          }
          if (!listener.answered(i++, outcome)) {
            return;
          }
        }
      } catch (RuntimeException | Error e) {
        open = false;
        closeQuietly(transport);
        throw e;
      }
    }

    @Override
    public void close() {
      if (transport != null) {
        open = false;
        closeQuietly(transport);
      }
    }
  }

  /** Logs a connection failure at DEBUG with the server ({0}:{1}) and the root cause's name ({2}). */
  private void logConnection(String pattern, Exception e) {
    LOG.log(System.Logger.Level.DEBUG, pattern, host, String.valueOf(port), SmtpReply.rootName(e));
  }

  /** A message that could not be built: refused for good, naming only the kind of failure. */
  private static SendOutcome.PermanentFailure invalidMessage(Exception e) {
    return new SendOutcome.PermanentFailure("invalid message: " + e.getClass().getSimpleName());
  }

  /** Reports a transient failure for the mail at {@code from} and each after it, until the listener stops. */
  private static void failRest(
      MailerSession.OutcomeListener listener, int from, int size, String reason) {
    for (int i = from; i < size; i++) {
      if (!listener.answered(i, new SendOutcome.TransientFailure(reason))) {
        return;
      }
    }
  }

  /**
   * Whether the server listed SMTPUTF8 in its EHLO reply. {@code supportsExtension} belongs to Angus's
   * {@code SMTPTransport}, not the API, so it is called reflectively, like {@code getReturnCode} in {@link #reply};
   * without it (another provider) the answer is no: the safe side.
   */
  private static boolean offersSmtpUtf8(Transport transport) {
    try {
      Method m = transport.getClass().getMethod("supportsExtension", String.class);
      return Boolean.TRUE.equals(m.invoke(transport, "SMTPUTF8"));
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }

  /**
   * Builds the message; with {@code unicodeTo} the {@code To} header carries the address as typed (U-label domain,
   * RFC 6532), else its ASCII envelope form.
   */
  private MimeMessage compose(MailMessage mail, InternetAddress recipient, boolean unicodeTo)
      throws MessagingException, InvalidMailException {
    IdentifiedMessage msg = new IdentifiedMessage(session, mail.messageKey(), messageIdDomain);
    if (mail.returnPath() != null) {
      // The mail's own envelope sender (its VERP address): bounces of this mail come back to it.
      msg.setEnvelopeFrom(mail.returnPath().value());
    }
    try {
      msg.setFrom(new InternetAddress(fromAddress, fromName, "UTF-8"));
    } catch (UnsupportedEncodingException e) {
      throw new IllegalStateException("UTF-8 is always supported", e);
    }
    msg.setRecipient(
        Message.RecipientType.TO,
        unicodeTo ? new InternetAddress(mail.to().unicode(), true) : recipient);
    if (replyTo != null) {
      msg.setReplyTo(new Address[] {new InternetAddress(replyTo, true)});
    }
    msg.setSubject(mail.subject(), "UTF-8");
    msg.setSentDate(Date.from(clock.instant()));
    for (Map.Entry<String, String> header : mail.headers().entrySet()) {
      String lower = header.getKey().toLowerCase(Locale.ROOT);
      if (OWN_HEADERS.contains(lower) || lower.startsWith("content-")) {
        throw new InvalidMailException("header " + header.getKey() + " is set by the mailer");
      }
      String value;
      try {
        value = MimeUtility.encodeText(header.getValue(), "UTF-8", null);
      } catch (UnsupportedEncodingException e) {
        throw new IllegalStateException("UTF-8 is always supported", e);
      }
      msg.addHeader(header.getKey(), MimeUtility.fold(header.getKey().length() + 2, value));
    }

    if (mail.attachments().isEmpty()) {
      fillBody(msg, mail);
    } else {
      MimeMultipart mixed = new MimeMultipart("mixed");
      MimeBodyPart body = new MimeBodyPart();
      fillBody(body, mail);
      mixed.addBodyPart(body);
      for (MailMessage.Attachment a : mail.attachments()) {
        MimeBodyPart part = new MimeBodyPart();
        part.setDataHandler(new DataHandler(new ByteArrayDataSource(a.content(), a.contentType())));
        part.setFileName(a.fileName());
        part.setDisposition(MimePart.ATTACHMENT);
        mixed.addBodyPart(part);
      }
      msg.setContent(mixed);
    }
    msg.saveChanges(); // sets MIME-Version, Content-Transfer-Encoding and our Message-ID; may
    // reject a content type
    return msg;
  }

  /** Text only, or text and HTML as {@code multipart/alternative}, plainest first (RFC 2046 section 5.1.4). */
  private static void fillBody(MimePart target, MailMessage mail) throws MessagingException {
    if (mail.html() == null) {
      target.setText(mail.text(), "UTF-8", "plain");
      return;
    }
    MimeMultipart alternative = new MimeMultipart("alternative");
    MimeBodyPart text = new MimeBodyPart();
    text.setText(mail.text(), "UTF-8", "plain");
    alternative.addBodyPart(text);
    MimeBodyPart html = new MimeBodyPart();
    html.setText(mail.html(), "UTF-8", "html");
    alternative.addBodyPart(html);
    target.setContent(alternative);
  }

  private static void closeQuietly(Transport transport) {
    try {
      transport.close();
    } catch (MessagingException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "SMTP close failed: {0}", e.getClass().getSimpleName());
    }
  }

  /** A mail this mailer refuses to send; its message is a reason free of personal data. */
  private static final class InvalidMailException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidMailException(String reason) {
      super(reason, null, false, false);
    }
  }

  /**
   * A message whose {@code Message-ID} (RFC 5322 section 3.6.4) is the mail's stable key on the sender's domain, so
   * that every attempt to send one outbox mail carries the same id; a random UUID where the mail has no key.
   */
  private static final class IdentifiedMessage extends org.eclipse.angus.mail.smtp.SMTPMessage {
    private final String key;
    private final String domain;

    IdentifiedMessage(Session session, String key, String domain) {
      super(session);
      this.key = key;
      this.domain = domain;
    }

    @Override
    protected void updateMessageID() throws MessagingException {
      String left = key != null ? key : UUID.randomUUID().toString().replace("-", "");
      setHeader("Message-ID", "<" + left + "@" + domain + ">");
    }
  }

  @Override
  public String toString() {
    return "SmtpMailer[host="
        + host
        + ", port="
        + port
        + ", security="
        + security
        + ", username="
        + (username == null ? "(none)" : username)
        + ", password="
        + (password == null ? "(none)" : "****")
        + ", from="
        + fromAddress
        + (replyTo == null ? "" : ", replyTo=" + replyTo)
        + ", timeouts="
        + connectTimeout.toMillis()
        + "/"
        + readTimeout.toMillis()
        + "/"
        + writeTimeout.toMillis()
        + " ms]";
  }

  /** How the connection to the SMTP server is protected. */
  public enum Security {
    /** Plain SMTP, no TLS: only for a relay on the same host or in tests. Refuses a password. Default port 25. */
    NONE("smtp", 25),
    /** SMTP upgraded with STARTTLS (RFC 3207), which is required: no fallback to plain text. Default port 587. */
    STARTTLS("smtp", 587),
    /** SMTP over implicit TLS, "submissions" (RFC 8314 section 3.3). Default port 465. */
    SMTPS("smtps", 465);

    private final String protocol;
    private final int defaultPort;

    Security(String protocol, int defaultPort) {
      this.protocol = protocol;
      this.defaultPort = defaultPort;
    }

    /** Returns the port used when none is set. */
    public int defaultPort() {
      return defaultPort;
    }
  }

  /**
   * Builds an {@link SmtpMailer}. Setters only record; {@link #build()} checks every setting and names each bad one.
   * Not thread-safe.
   */
  public static final class Builder {
    private String host;
    private Integer port;
    private Security security = Security.STARTTLS;
    private String username;
    private String password;
    private String from;
    private String fromName;
    private String replyTo;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(30);
    private Duration writeTimeout = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private boolean smtpUtf8;
    private final Map<String, String> properties = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Sets the SMTP server's host name or IP address. Required.
     *
     * @param host for example {@code smtp.example.org}
     * @return this builder
     */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /**
     * Sets the port; by default that of the {@link Security} mode (25, 587 or 465).
     *
     * @param port 1 to 65535
     * @return this builder
     */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /**
     * Sets how the connection is protected; {@link Security#STARTTLS} by default.
     *
     * @param security the mode
     * @return this builder
     */
    public Builder security(Security security) {
      this.security = security;
      return this;
    }

    /**
     * Sets the user name for SMTP AUTH (RFC 4954); set together with {@link #password(String)} or not at all.
     *
     * @param username the user name
     * @return this builder
     */
    public Builder username(String username) {
      this.username = username;
      return this;
    }

    /**
     * Sets the password for SMTP AUTH; set together with {@link #username(String)} or not at all.
     *
     * @param password the password
     * @return this builder
     */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /**
     * Sets the sender address, without a display name. The address, also the domain of every {@code Message-ID}, is
     * normalised as {@link EmailAddress#parse(String)} does. This or {@link #from(String, String)} is required.
     *
     * @param address a plain address such as {@code no-reply@bakery.example}
     * @return this builder
     */
    public Builder from(String address) {
      this.from = address;
      this.fromName = null;
      return this;
    }

    /**
     * Sets the sender address and its display name.
     *
     * @param address a plain address such as {@code no-reply@bakery.example}
     * @param displayName the name shown to readers, for example the controller's name; encoded per RFC 2047
     * @return this builder
     */
    public Builder from(String address, String displayName) {
      this.from = address;
      this.fromName = displayName;
      return this;
    }

    /**
     * Sets a {@code Reply-To} address, for example the controller's contact address.
     *
     * @param address a plain address, or {@code null} for none
     * @return this builder
     */
    public Builder replyTo(String address) {
      this.replyTo = address;
      return this;
    }

    /**
     * Sets how long to wait for a connection; 10 s by default.
     *
     * @param timeout positive, at most one hour
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = timeout;
      return this;
    }

    /**
     * Sets how long to wait for each server reply; 30 s by default.
     *
     * @param timeout positive, at most one hour
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = timeout;
      return this;
    }

    /**
     * Sets how long a write to the server may block; 30 s by default.
     *
     * @param timeout positive, at most one hour
     * @return this builder
     */
    public Builder writeTimeout(Duration timeout) {
      this.writeTimeout = timeout;
      return this;
    }

    /**
     * Sets the clock for the {@code Date} header; the system UTC clock by default.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Turns on SMTPUTF8 (RFC 6531, RFC 6532); off by default. Turn it on when the SMTP server offers {@code SMTPUTF8}
     * in its EHLO reply (Postfix 3 with {@code smtputf8_enable}, Exim 4.9x, the large mailbox providers' submission
     * servers do): then addresses with a non-ASCII local part ({@code zoë@example.org}) can sign up and be mailed, and
     * the {@code To} header shows internationalised domains as typed. Off, such addresses are refused at signup with a
     * message saying why, and headers stay ASCII. The server's EHLO reply is checked again for every connection.
     *
     * @param on whether to send SMTPUTF8
     * @return this builder
     */
    public Builder smtpUtf8(boolean on) {
      this.smtpUtf8 = on;
      return this;
    }

    /**
     * Adds Jakarta Mail session properties, for experts: for example {@code mail.smtp.ssl.trust},
     * {@code mail.smtp.localhost} (the EHLO name) or {@code mail.smtp.from} (the envelope sender for bounces). Keys
     * must start with {@code mail.}; those that the typed settings above control (host, port, authentication,
     * timeouts, TLS mode and host name check) are refused. Note that {@code mail.debug} logs whole sessions, addresses
     * included.
     *
     * @param properties the properties; added to those given before
     * @return this builder
     */
    public Builder properties(Map<String, String> properties) {
      this.properties.putAll(Objects.requireNonNull(properties, "properties"));
      return this;
    }

    /**
     * Checks every setting and builds the mailer.
     *
     * @return the mailer
     * @throws ConfigurationException naming every missing or invalid setting
     */
    public SmtpMailer build() {
      List<String> problems = new ArrayList<>();
      if (host == null || host.isBlank()) {
        problems.add("smtp host is required");
      } else if (!HOST.matcher(host).matches()) {
        problems.add("smtp host is not a valid host name or IP address");
      }
      if (security == null) {
        problems.add("smtp security is required (NONE, STARTTLS or SMTPS)");
      }
      int effectivePort = port != null ? port : security == null ? 0 : security.defaultPort;
      if (port != null && (port < 1 || port > 65535)) {
        problems.add("smtp port must be 1 to 65535, was " + port);
      }
      boolean hasUser = username != null;
      boolean hasPassword = password != null;
      if (hasUser != hasPassword) {
        problems.add("smtp username and password must be set together or not at all");
      }
      if (hasUser && (username.isBlank() || hasControl(username))) {
        problems.add("smtp username must not be blank or contain control characters");
      }
      if (hasPassword && password.isEmpty()) {
        problems.add("smtp password must not be empty");
      }
      if (hasPassword && security == Security.NONE) {
        problems.add(
            "smtp password over an unencrypted connection is refused; use security STARTTLS or SMTPS");
      }
      if (from == null) {
        problems.add("smtp from address is required");
      } else {
        checkAddress(from, "smtp from address", problems);
      }
      for (String address : new String[] {from, replyTo}) {
        if (!smtpUtf8
            && address != null
            && EmailAddress.tryParse(address).filter(EmailAddress::needsSmtpUtf8).isPresent()) {
          problems.add(
              "smtp from and reply-to addresses with a non-ASCII local part need smtpUtf8(true)");
        }
      }
      if (fromName != null && (fromName.isBlank() || hasControl(fromName))) {
        problems.add(
            "smtp from display name must not be blank or contain CR, LF or other control characters");
      }
      if (replyTo != null) {
        checkAddress(replyTo, "smtp reply-to address", problems);
      }
      checkTimeout(connectTimeout, "smtp connect timeout", problems);
      checkTimeout(readTimeout, "smtp read timeout", problems);
      checkTimeout(writeTimeout, "smtp write timeout", problems);
      if (clock == null) {
        problems.add("smtp clock is required");
      }
      if (security != null) {
        checkProperties(security.protocol, problems);
      }
      if (!problems.isEmpty()) {
        throw new ConfigurationException(problems);
      }

      Session session = Session.getInstance(sessionProperties(effectivePort));
      try {
        session.getProvider(security.protocol);
      } catch (NoSuchProviderException e) {
        throw new ConfigurationException(
            "smtp: no Jakarta Mail provider for \""
                + security.protocol
                + "\"; add org.eclipse.angus:angus-mail to the runtime class path");
      }
      return new SmtpMailer(this, effectivePort, session);
    }

    private Properties sessionProperties(int effectivePort) {
      String p = "mail." + security.protocol + ".";
      Properties props = new Properties();
      props.setProperty(p + "host", host);
      props.setProperty(p + "port", Integer.toString(effectivePort));
      props.setProperty(p + "auth", Boolean.toString(username != null));
      props.setProperty(p + "connectiontimeout", Long.toString(connectTimeout.toMillis()));
      props.setProperty(p + "timeout", Long.toString(readTimeout.toMillis()));
      props.setProperty(p + "writetimeout", Long.toString(writeTimeout.toMillis()));
      props.setProperty(p + "starttls.enable", Boolean.toString(security == Security.STARTTLS));
      props.setProperty(p + "starttls.required", Boolean.toString(security == Security.STARTTLS));
      props.setProperty(p + "ssl.enable", Boolean.toString(security == Security.SMTPS));
      props.setProperty(p + "ssl.checkserveridentity", "true");
      // Angus then adds SMTPUTF8 to MAIL FROM when the server offers it, and writes UTF-8 headers
      // unencoded.
      props.setProperty("mail.mime.allowutf8", Boolean.toString(smtpUtf8));
      properties.forEach(props::setProperty);
      return props;
    }

    private void checkProperties(String protocol, List<String> problems) {
      if (properties.containsKey("mail.mime.allowutf8")) {
        problems.add("smtp property mail.mime.allowutf8 is controlled by smtpUtf8(...)");
      }
      List<String> reserved =
          List.of(
              "host",
              "port",
              "auth",
              "user",
              "connectiontimeout",
              "timeout",
              "writetimeout",
              "starttls.enable",
              "starttls.required",
              "ssl.enable",
              "ssl.checkserveridentity");
      properties.forEach(
          (key, value) -> {
            if (key == null || !key.startsWith("mail.")) {
              problems.add("smtp property " + key + " must start with \"mail.\"");
              return;
            }
            if (value == null || hasControl(value)) {
              problems.add(
                  "smtp property " + key + " must have a value without control characters");
            }
            for (String suffix : reserved) {
              if (key.equals("mail.smtp." + suffix) || key.equals("mail.smtps." + suffix)) {
                problems.add("smtp property " + key + " is controlled by a typed builder setting");
              }
            }
            if (key.equals("mail.transport.protocol")) {
              problems.add("smtp property " + key + " is controlled by security(...)");
            }
          });
    }

    private static void checkAddress(String address, String what, List<String> problems) {
      if (EmailAddress.tryParse(address).isEmpty()) {
        problems.add(what + " is not a valid address");
        return;
      }
      try {
        new InternetAddress(address.strip(), true);
      } catch (AddressException e) {
        problems.add(what + " is not a valid address");
      }
    }

    private static void checkTimeout(Duration timeout, String what, List<String> problems) {
      if (timeout == null) {
        problems.add(what + " is required");
      } else if (timeout.isNegative()
          || timeout.isZero()
          || timeout.compareTo(MAX_TIMEOUT) > 0
          || timeout.toMillis() == 0) {
        problems.add(what + " must be between 1 ms and 1 hour, was " + timeout);
      }
    }

    private static boolean hasControl(String s) {
      return s.chars().anyMatch(Character::isISOControl);
    }
  }
}
