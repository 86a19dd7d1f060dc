package org.optin4j.spi;

import org.optin4j.StoreException;

/**
 * The database rolled a transaction back because it conflicted with a concurrent one: a deadlock or a serialization
 * failure (SQLState class 40, "try restarting transaction"). Nothing of the unit was kept; the caller may run the
 * whole unit again, and the service does so for signups. Stores raise it where their database reports such a
 * conflict; the in-memory store, which runs one unit at a time, never does.
 *
 * <p>Immutable.
 */
public final class TransactionConflictException extends StoreException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what the store was doing, free of personal data
   * @param cause the driver's exception, or {@code null}
   */
  public TransactionConflictException(String message, Throwable cause) {
    super(message, cause);
  }
}
