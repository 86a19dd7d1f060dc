package org.optin4j.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A borrowed connection's autocommit and isolation settings, saved when a unit of work begins and restored before the
 * connection goes back to the pool, so that the store does not leak its settings into the application's connections.
 */
final class ConnectionState {
  private final boolean autoCommit;
  private final int isolation;

  private ConnectionState(boolean autoCommit, int isolation) {
    this.autoCommit = autoCommit;
    this.isolation = isolation;
  }

  /**
   * Saves the settings, then turns autocommit off and selects {@code READ COMMITTED}: the store relies on row locks
   * and unique constraints, and a retry after a unique-key clash must see rows committed meanwhile (MariaDB's default
   * {@code REPEATABLE READ} would hide them and take gap locks that block concurrent inserts).
   */
  static ConnectionState begin(Connection c) throws SQLException {
    ConnectionState saved = new ConnectionState(c.getAutoCommit(), c.getTransactionIsolation());
    if (saved.isolation != Connection.TRANSACTION_READ_COMMITTED) {
      c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
    }
    if (saved.autoCommit) {
      c.setAutoCommit(false);
    }
    return saved;
  }

  /** Restores the saved settings, ignoring failures (the connection is about to be closed anyway). */
  void restore(Connection c) {
    try {
      if (autoCommit) {
        c.setAutoCommit(true);
      }
      if (isolation != Connection.TRANSACTION_READ_COMMITTED
          && isolation != Connection.TRANSACTION_NONE) {
        c.setTransactionIsolation(isolation);
      }
    } catch (SQLException e) {
      // A broken connection is the pool's to discard.
    }
  }
}
