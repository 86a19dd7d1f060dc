package org.optin4j.feed;

import java.util.Objects;
import org.optin4j.OptInException;

/**
 * A webhook message that {@link WebhookVerifier} refused: answer it with 400 (or 401) and do not act on it. The
 * {@link #reason()} says why; the message never contains a secret or a signature.
 *
 * <p>Immutable and thread-safe.
 */
public final class WebhookVerificationException extends OptInException {
  private static final long serialVersionUID = 1L;

  /** Why a message was refused. */
  public enum Reason {
    /** {@code webhook-id}, {@code webhook-timestamp} or {@code webhook-signature} is absent or empty. */
    MISSING_HEADER,
    /** {@code webhook-timestamp} is not a number of seconds. */
    MALFORMED_TIMESTAMP,
    /** The timestamp is further from now than the tolerance (a replay, or a clock far off). */
    TIMESTAMP_OUT_OF_TOLERANCE,
    /** No {@code v1} signature in the header matches any of the secrets. */
    NO_MATCHING_SIGNATURE
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason why
   * @param message what, free of secrets
   */
  public WebhookVerificationException(Reason reason, String message) {
    super(message);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Returns why the message was refused.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
