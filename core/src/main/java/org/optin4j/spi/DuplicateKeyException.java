package org.optin4j.spi;

import org.optin4j.StoreException;

/**
 * A unique constraint refused an insert, typically because a concurrent transaction created the same subject first.
 * The transaction is rolled back; the caller may retry it.
 */
public final class DuplicateKeyException extends StoreException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message which constraint, free of personal data
   * @param cause the driver's exception, or {@code null}
   */
  public DuplicateKeyException(String message, Throwable cause) {
    super(message, cause);
  }
}
