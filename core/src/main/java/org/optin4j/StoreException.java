package org.optin4j;

/**
 * The consent store failed (database unreachable, constraint violated unexpectedly, schema mismatch). The
 * transaction that failed left no partial change.
 */
public class StoreException extends OptInException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what failed, free of personal data
   * @param cause the underlying failure, or {@code null}
   */
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Creates the exception.
   *
   * @param message what failed, free of personal data
   */
  public StoreException(String message) {
    super(message);
  }
}
