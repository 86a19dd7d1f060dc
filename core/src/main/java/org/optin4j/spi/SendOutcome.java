package org.optin4j.spi;

/**
 * What became of one mail handed to a {@link Mailer}: the dispatcher retries transient failures with backoff and
 * marks permanent ones failed (security rule 25). Reasons are free of personal data.
 */
public sealed interface SendOutcome {

  /** The mail server accepted the mail. */
  record Sent() implements SendOutcome {}

  /**
   * A failure that may pass: SMTP 4xx, I/O error, timeout, server unreachable.
   *
   * @param reason what failed, free of personal data
   */
  record TransientFailure(String reason) implements SendOutcome {}

  /**
   * A failure that will not pass: SMTP 5xx (unknown mailbox, refused).
   *
   * @param reason what failed, free of personal data
   */
  record PermanentFailure(String reason) implements SendOutcome {}
}
