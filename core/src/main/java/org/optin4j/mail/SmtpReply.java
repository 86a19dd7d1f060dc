package org.optin4j.mail;

import jakarta.mail.MessagingException;
import java.lang.reflect.Method;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.spi.SendOutcome;

/**
 * The SMTP reply (RFC 5321 section 4.2) that refused one mail, as found in an exception chain, and what it means for
 * the outbox: a 5xx reply is a permanent failure, a 4xx reply a transient one, except that a 552 to {@code RCPT} is
 * treated as 452 (RFC 5321 section 4.5.3.1.10). Shared by every mailer that sends through Jakarta Mail, so that
 * {@link SmtpMailer} and mailers built on other Jakarta Mail front ends (Spring's {@code JavaMailSender}) classify a
 * refusal the same way.
 *
 * <p>Jakarta Mail's SMTP exceptions ({@code SMTPAddressFailedException}, {@code SMTPSendFailedException}) belong to
 * the implementation, not the API, so their {@code getReturnCode()} is read reflectively; an exception chain without
 * a 4xx/5xx code holds no reply at all (an I/O failure, which callers retry: the safe side).
 *
 * <p>Immutable and thread-safe.
 *
 * @param code the reply code, 400 to 599
 * @param enhancedStatus the enhanced status code (RFC 3463) the reply text starts with, or {@code null}
 * @param toRecipient whether the reply answered a recipient ({@code RCPT TO}) rather than the message
 */
public record SmtpReply(int code, String enhancedStatus, boolean toRecipient) {
  private static final Pattern ENHANCED_STATUS =
      Pattern.compile("^\\d{3}[ -]([245]\\.\\d{1,3}\\.\\d{1,3})(?:\\s|$)");
  private static final Pattern ENHANCED_ONLY = Pattern.compile("[245]\\.\\d{1,3}\\.\\d{1,3}");

  /**
   * Validates the reply.
   *
   * @throws IllegalArgumentException if the code is not a 4xx or 5xx reply or the enhanced status is malformed
   */
  public SmtpReply {
    if (code < 400 || code > 599) {
      throw new IllegalArgumentException("an SMTP refusal has a 4xx or 5xx code, was " + code);
    }
    if (enhancedStatus != null && !ENHANCED_ONLY.matcher(enhancedStatus).matches()) {
      throw new IllegalArgumentException(
          "enhanced status must look like 5.1.1, was " + enhancedStatus);
    }
  }

  /**
   * Finds the SMTP reply carried by an exception chain, following causes and Jakarta Mail's next exceptions.
   *
   * @param failure what sending threw
   * @return the first 4xx/5xx reply in the chain, or empty if there is none (an I/O failure)
   */
  public static Optional<SmtpReply> in(Throwable failure) {
    for (Throwable t = failure; t != null; t = next(t)) {
      int code = returnCode(t);
      if (code >= 400 && code < 600) {
        Matcher m = ENHANCED_STATUS.matcher(String.valueOf(t.getMessage()).strip());
        return Optional.of(
            new SmtpReply(code, m.find() ? m.group(1) : null, hasMethod(t, "getAddress")));
      }
    }
    return Optional.empty();
  }

  /**
   * Returns what the reply means for the mail: a permanent failure for 5xx (but a 552 to a recipient), otherwise a
   * transient one; the reason names the code and the enhanced status, never the address.
   *
   * @return the outcome
   */
  public SendOutcome outcome() {
    String reason = "SMTP " + code + (enhancedStatus == null ? "" : " " + enhancedStatus);
    boolean permanent = code >= 500 && !(toRecipient && code == 552);
    return permanent
        ? new SendOutcome.PermanentFailure(reason)
        : new SendOutcome.TransientFailure(reason);
  }

  /**
   * The simple name of the innermost exception of a chain, for log lines and reasons free of personal data.
   *
   * @param failure what sending threw
   * @return the innermost exception's simple class name
   */
  public static String rootName(Throwable failure) {
    Throwable t = failure;
    for (Throwable n = next(t); n != null; n = next(t)) {
      t = n;
    }
    return t.getClass().getSimpleName();
  }

  private static Throwable next(Throwable t) {
    Throwable n =
        t instanceof MessagingException m && m.getNextException() != null
            ? m.getNextException()
            : t.getCause();
    return n == t ? null : n;
  }

  private static int returnCode(Throwable t) {
    try {
      Method m = t.getClass().getMethod("getReturnCode");
      // A public method of a class that is not itself public (a wrapper of the app's) is not
      // invocable from here
      // without this; Angus's own exceptions are public and need no help.
      m.trySetAccessible();
      return m.getReturnType() == int.class ? (int) m.invoke(t) : -1;
    } catch (ReflectiveOperationException | RuntimeException ex) {
      return -1;
    }
  }

  private static boolean hasMethod(Throwable t, String name) {
    try {
      t.getClass().getMethod(name);
      return true;
    } catch (NoSuchMethodException ex) {
      return false;
    }
  }
}
