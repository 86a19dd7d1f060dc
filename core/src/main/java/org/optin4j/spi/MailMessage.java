package org.optin4j.spi;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import org.optin4j.EmailAddress;

/**
 * A mail ready to send: recipient, subject, plain text and HTML bodies, extra headers and attachments. The sender
 * address is the {@link Mailer}'s own setting.
 *
 * <p>Header names and values, and the subject, are checked for CR, LF and NUL so that nothing can inject a header
 * (security rule 12). Immutable and thread-safe.
 *
 * @param to the recipient
 * @param subject the subject line
 * @param text the plain-text body
 * @param html the HTML body, or {@code null} for text only
 * @param headers extra headers in order, for example {@code List-Unsubscribe}
 * @param attachments attachments, possibly none
 * @param messageKey a stable key of this mail, the same on every attempt to send it, from which the mailer derives
 *     the RFC 5322 {@code Message-ID} ({@code SmtpMailer}: {@code <messageKey@sender-domain>}), so that a copy sent
 *     again after a crash carries the id of the first and receivers can drop it; {@code null} for a fresh random id.
 *     The dispatcher sets it to a keyed hash of the outbox id: opaque, no personal data, 8 to 64 letters, digits
 *     and hyphens
 * @param returnPath the SMTP envelope sender (RFC 5321 {@code MAIL FROM}, where bounces go), or {@code null} for
 *     the mailer's own; the dispatcher sets it to the mail's VERP address when bounce handling is configured
 */
public record MailMessage(
    EmailAddress to,
    String subject,
    String text,
    String html,
    Map<String, String> headers,
    List<Attachment> attachments,
    String messageKey,
    EmailAddress returnPath) {
  private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9-]{1,76}");
  private static final Pattern MESSAGE_KEY = Pattern.compile("[A-Za-z0-9-]{8,64}");

  /** Validates the components. */
  public MailMessage {
    Objects.requireNonNull(to, "to");
    requireSingleLine(Objects.requireNonNull(subject, "subject"), "subject");
    Objects.requireNonNull(text, "text");
    Map<String, String> copy = new LinkedHashMap<>();
    Objects.requireNonNull(headers, "headers")
        .forEach(
            (name, value) -> {
              if (!HEADER_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid header name: " + name);
              }
              requireSingleLine(Objects.requireNonNull(value, name), "header " + name);
              copy.put(name, value);
            });
    headers = java.util.Collections.unmodifiableMap(copy);
    attachments = List.copyOf(attachments);
    if (messageKey != null && !MESSAGE_KEY.matcher(messageKey).matches()) {
      throw new IllegalArgumentException("messageKey must be 8 to 64 letters, digits and hyphens");
    }
  }

  /**
   * A mail without a message key: the mailer gives it a fresh random {@code Message-ID}.
   *
   * @param to the recipient
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null} for text only
   * @param headers extra headers in order
   * @param attachments attachments, possibly none
   */
  public MailMessage(
      EmailAddress to,
      String subject,
      String text,
      String html,
      Map<String, String> headers,
      List<Attachment> attachments) {
    this(to, subject, text, html, headers, attachments, null, null);
  }

  /**
   * Creates a mail with a message key and the mailer's own envelope sender.
   *
   * @param to the recipient
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @param headers extra headers
   * @param attachments attachments
   * @param messageKey the stable key, or {@code null}
   */
  public MailMessage(
      EmailAddress to,
      String subject,
      String text,
      String html,
      Map<String, String> headers,
      List<Attachment> attachments,
      String messageKey) {
    this(to, subject, text, html, headers, attachments, messageKey, null);
  }

  /**
   * Returns this mail with a message key, from which the mailer derives a {@code Message-ID} that is the same on
   * every attempt.
   *
   * @param key 8 to 64 letters, digits and hyphens
   * @return the mail with that key
   */
  public MailMessage withMessageKey(String key) {
    return new MailMessage(
        to,
        subject,
        text,
        html,
        headers,
        attachments,
        Objects.requireNonNull(key, "key"),
        returnPath);
  }

  /**
   * Returns this mail with an envelope sender of its own (its VERP address), to which bounces go.
   *
   * @param address the envelope sender
   * @return the mail with that envelope sender
   */
  public MailMessage withReturnPath(EmailAddress address) {
    return new MailMessage(
        to,
        subject,
        text,
        html,
        headers,
        attachments,
        messageKey,
        Objects.requireNonNull(address, "address"));
  }

  private static void requireSingleLine(String value, String what) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '\r' || c == '\n' || c == '\0') {
        throw new IllegalArgumentException(what + " must not contain CR, LF or NUL");
      }
    }
  }

  /**
   * Names the masked recipient, the subject, the header names and the attachments, but neither the bodies nor the
   * header values: they carry signed links ({@code List-Unsubscribe}, confirmation and preference links), which are
   * credentials (security rule 13), so a mailer that logs a message it failed to send leaks nothing.
   */
  @Override
  public String toString() {
    return "MailMessage[to="
        + to
        + ", subject="
        + subject
        + ", text="
        + text.length()
        + " chars, html="
        + (html == null ? "none" : html.length() + " chars")
        + ", headers="
        + headers.keySet()
        + ", attachments="
        + attachments
        + (messageKey == null ? "" : ", messageKey=" + messageKey)
        + "]";
  }

  /**
   * A file attached to a mail.
   *
   * @param fileName the file name, for example {@code my-data.json}
   * @param contentType the media type, for example {@code application/json}
   * @param content the bytes
   */
  public record Attachment(String fileName, String contentType, byte[] content) {
    /** Validates and copies. */
    public Attachment {
      requireSingleLine(Objects.requireNonNull(fileName, "fileName"), "attachment file name");
      requireSingleLine(
          Objects.requireNonNull(contentType, "contentType"), "attachment content type");
      content = Objects.requireNonNull(content, "content").clone();
    }

    @Override
    public byte[] content() {
      return content.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Attachment a
          && a.fileName.equals(fileName)
          && a.contentType.equals(contentType)
          && Arrays.equals(a.content, content);
    }

    @Override
    public int hashCode() {
      return Objects.hash(fileName, contentType, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
      return "Attachment[" + fileName + ", " + contentType + ", " + content.length + " bytes]";
    }
  }
}
