package org.optin4j;

/**
 * The one unchecked root of every failure optin4j reports.
 *
 * <p>Expected outcomes of a consent operation (an expired link, a cap reached, an address already confirmed) are
 * values, never exceptions; an {@code OptInException} means a programming error, a misconfiguration, or an
 * infrastructure failure (the store or the mail server is unreachable). Messages never carry tokens, keys or
 * addresses.
 *
 * <p>Instances are immutable and thread-safe.
 */
public class OptInException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with a message.
   *
   * @param message what went wrong, free of personal data and secrets
   */
  public OptInException(String message) {
    super(message);
  }

  /**
   * Creates an exception with a message and a cause.
   *
   * @param message what went wrong, free of personal data and secrets
   * @param cause the underlying failure
   */
  public OptInException(String message, Throwable cause) {
    super(message, cause);
  }
}
