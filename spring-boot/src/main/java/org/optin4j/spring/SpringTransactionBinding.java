package org.optin4j.spring;

import java.sql.Connection;
import javax.sql.DataSource;
import org.optin4j.StoreException;
import org.optin4j.jdbc.TransactionBinding;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Lets {@code JdbcConsentStore} join the Spring transaction of the calling thread ({@code @Transactional},
 * {@code TransactionTemplate}) on the store's {@link DataSource}: the connection the transaction manager bound to the
 * thread, after-commit actions as {@link TransactionSynchronization#afterCommit()}, and a failed unit of work marks the
 * transaction rollback-only.
 *
 * <p>Joins only an actual transaction that holds a connection of the very same {@code DataSource} (as
 * {@code DataSourceTransactionManager}, {@code JdbcTransactionManager} and {@code JpaTransactionManager} on a JDBC
 * DataSource bind one); with none, or with a transaction on another resource only, the store works on a connection of
 * its own, as without this binding. Loaded only when spring-jdbc is on the class path. Stateless and thread-safe.
 */
final class SpringTransactionBinding implements TransactionBinding {

  /** Whether spring-jdbc (and with it spring-tx) is on the class path, so that this class can be loaded. */
  static boolean available(ClassLoader loader) {
    try {
      Class.forName("org.springframework.jdbc.datasource.ConnectionHolder", false, loader);
      Class.forName(
          "org.springframework.transaction.support.TransactionSynchronizationManager",
          false,
          loader);
      return true;
    } catch (ClassNotFoundException | LinkageError e) {
      return false;
    }
  }

  @Override
  public Active active(DataSource dataSource) {
    if (!TransactionSynchronizationManager.isActualTransactionActive()
        || !TransactionSynchronizationManager.isSynchronizationActive()) {
      return null;
    }
    return TransactionSynchronizationManager.getResource(dataSource) instanceof ConnectionHolder h
        ? new Joined(h)
        : null;
  }

  /** The thread's transaction on the store's data source. */
  private record Joined(ConnectionHolder holder) implements Active {

    @Override
    public Connection connection() {
      return holder.getConnection();
    }

    @Override
    public void afterCommit(Runnable action) {
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void afterCommit() {
              action.run();
            }
          });
    }

    /**
     * Marks the connection holder rollback-only, which {@code DataSourceTransactionManager} turns into a rollback and an
     * {@code UnexpectedRollbackException} at commit; and, for transaction managers that do not look at the holder, fails
     * the commit before it happens.
     */
    @Override
    public void setRollbackOnly(RuntimeException cause) {
      if (holder.isRollbackOnly()) {
        return; // marked by an earlier failure of this transaction
      }
      holder.setRollbackOnly();
      TransactionSynchronizationManager.registerSynchronization(
          new TransactionSynchronization() {
            @Override
            public void beforeCommit(boolean readOnly) {
              throw new StoreException(
                  "optin4j: a unit of work failed inside this transaction, which therefore rolls back",
                  cause);
            }
          });
    }
  }
}
