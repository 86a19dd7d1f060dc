package org.optin4j.jdbc;

import java.sql.SQLException;
import org.optin4j.StoreException;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.TransactionConflictException;

/**
 * Turns driver exceptions into {@link StoreException}s whose messages, and whose causes' messages, hold no personal
 * data (security rule 13): drivers quote the offending values in constraint and data errors (PostgreSQL's
 * {@code Key (email)=(...) already exists}, MariaDB's {@code Duplicate entry '...'}), so those messages are replaced by
 * their SQLState and vendor code.
 */
final class SqlErrors {
  private SqlErrors() {}

  /**
   * Wraps a driver exception.
   *
   * @param what what the store was doing, as in "could not {@code what}"
   * @param e the driver's exception
   * @return the exception to throw
   */
  static StoreException wrap(String what, SQLException e) {
    String message = "database error: could not " + what + " (" + codes(e) + ")";
    return isConflict(e)
        ? new TransactionConflictException(message, safe(e))
        : new StoreException(message, safe(e));
  }

  /**
   * Tells whether the database rolled the transaction back for a conflict with a concurrent one: SQLState class 40
   * (40001 serialization failure or deadlock on MariaDB, H2 and PostgreSQL; 40P01 deadlock detected on PostgreSQL).
   */
  static boolean isConflict(SQLException e) {
    String state = e.getSQLState();
    return state != null && state.startsWith("40");
  }

  /**
   * Wraps a unique-key clash.
   *
   * @param what which key, free of personal data
   * @param e the driver's exception
   * @return the exception to throw
   */
  static DuplicateKeyException duplicate(String what, SQLException e) {
    return new DuplicateKeyException(what + " (" + codes(e) + ")", safe(e));
  }

  /** Tells whether the exception is a unique or primary key violation. */
  static boolean isUniqueViolation(SQLException e) {
    String state = e.getSQLState();
    if ("23505".equals(state)) { // PostgreSQL, H2
      return true;
    }
    // MariaDB/MySQL: 1062 duplicate entry, 1586 duplicate entry for key (partitioned tables).
    return state != null
        && state.startsWith("23")
        && (e.getErrorCode() == 1062 || e.getErrorCode() == 1586);
  }

  /** Tells whether the exception says that a table does not exist. */
  static boolean isMissingTable(SQLException e) {
    String state = e.getSQLState();
    return "42P01".equals(state) // PostgreSQL undefined_table
        || "42S02".equals(state) // H2, MariaDB table not found
        || "42S04".equals(state) // H2 table not found, database empty
        || e.getErrorCode() == 1146; // MariaDB ER_NO_SUCH_TABLE
  }

  private static String codes(SQLException e) {
    return "SQLState " + e.getSQLState() + ", vendor code " + e.getErrorCode();
  }

  /**
   * Returns the exception itself if its message is safe to log, else a copy without the message that keeps the
   * SQLState, vendor code and stack trace.
   */
  static SQLException safe(SQLException e) {
    String state = e.getSQLState();
    boolean quotesValues =
        state == null || state.startsWith("22") || state.startsWith("23") || state.startsWith("44");
    if (!quotesValues) {
      return e;
    }
    SQLException copy =
        new SQLException(
            "driver message withheld: it may quote personal data (" + e.getClass().getName() + ")",
            state,
            e.getErrorCode());
    copy.setStackTrace(e.getStackTrace());
    return copy;
  }
}
