package org.optin4j.jdbc;

import java.sql.Connection;
import javax.sql.DataSource;

/**
 * How a framework lets {@link JdbcConsentStore} join the database transaction that the calling thread already holds
 * (Spring's {@code @Transactional}, say) instead of taking a connection of its own and committing on it. Set it with
 * {@link JdbcConsentStore.Builder#joinTransactions(TransactionBinding)}; the Spring Boot starter does so.
 *
 * <p>A unit of work that joins runs its statements on the caller's connection behind a savepoint, and does nothing
 * else to it: no change of autocommit or isolation, no commit, no rollback, no close. Implementations must be
 * thread-safe; the store calls them on the thread that runs the unit of work.
 */
public interface TransactionBinding {

  /**
   * Returns the transaction that the calling thread holds on a data source, or {@code null} when it holds none there:
   * the store then takes a connection of its own, as without a binding. Asked at the start of every unit of work and
   * by {@link JdbcConsentStore#afterCommit(Runnable)}.
   *
   * @param dataSource the store's data source
   * @return the active transaction on it, or {@code null}
   */
  Active active(DataSource dataSource);

  /** A transaction that the caller began and will end: the store only runs statements on its connection. */
  interface Active {

    /**
     * Returns the transaction's connection, with autocommit off. The store sets and releases savepoints on it and
     * never changes its settings, commits, rolls back or closes it.
     *
     * @return the connection
     */
    Connection connection();

    /**
     * Registers an action to run once the transaction has committed, and never if it rolls back.
     *
     * @param action what to run; it does not throw
     */
    void afterCommit(Runnable action);

    /**
     * Makes sure that the transaction can only roll back: a unit of work failed in it, and the caller may have caught
     * the exception. Its commit must then fail.
     *
     * @param cause the store failure
     */
    void setRollbackOnly(RuntimeException cause);
  }
}
