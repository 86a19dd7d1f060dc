package org.optin4j.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.optin4j.ConfigurationException;
import org.optin4j.StoreException;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;

/**
 * A {@link ConsentStore} in a relational database through plain JDBC: H2 2.2+, PostgreSQL 12+ and MariaDB 10.6+.
 *
 * <p>Build it once at start-up and share it:
 *
 * <pre>{@code
 * ConsentStore store = JdbcConsentStore.builder(dataSource)   // your pool (HikariCP, the container's, ...)
 *     .tablePrefix("optin4j_")                                // the default
 *     .createSchema(false)                                    // the default: DBAs apply the shipped DDL
 *     .build();                                               // checks the schema version, fails fast
 * }</pre>
 *
 * <p><b>Schema.</b> The DDL ships in the jar as readable SQL, one folder per dialect:
 * {@code org/optin4j/jdbc/postgresql/V1__schema.sql}, {@code org/optin4j/jdbc/mariadb/...},
 * {@code org/optin4j/jdbc/h2/...}. Scripts are numbered {@code V<n>__<what>.sql} and applied in order; each one
 * records its number in the table {@code optin4j_schema_version}. {@link Builder#build()} reads that table and refuses
 * to start, with a {@link StoreException} saying what to run, when the schema is missing, older or newer than
 * {@link #SCHEMA_VERSION}. With {@link Builder#createSchema(boolean) createSchema(true)} a missing schema is created;
 * an existing one is never changed. See {@code docs/jdbc.md} for the tables and the upgrade convention.
 *
 * <p><b>Transactions.</b> {@link #inTransaction(Function)} takes one connection from the {@link DataSource}, turns
 * autocommit off and runs the work at {@code READ COMMITTED} (the connection's previous settings are restored before it
 * goes back to the pool). It commits when the work returns and rolls back when it throws; whatever the work threw is
 * rethrown unchanged, and a {@link SQLException} becomes a {@link StoreException} whose message is free of personal
 * data (driver messages of constraint and data errors, which quote the offending values, are withheld: rule 13). A
 * unique-key clash on a subject's id or address is a {@link DuplicateKeyException}. Any {@link StoreException} dooms
 * the unit on every dialect: later calls in it throw, and it is rolled back even if the work swallows the exception
 * ({@code inTransaction} then throws a {@link StoreException} with the first failure as cause). Nested calls on one
 * thread are refused.
 *
 * <p><b>Joining the caller's transaction.</b> With a {@link TransactionBinding}
 * ({@link Builder#joinTransactions(TransactionBinding)}; the Spring Boot starter sets one), a unit of work started on a
 * thread that holds a transaction on this store's {@link DataSource} joins it: its statements run on the caller's
 * connection, at the caller's isolation, behind a savepoint, with no commit, rollback or close of the store's own. Its
 * writes become visible when the caller commits and vanish if the caller rolls back; {@link #afterCommit(Runnable)}
 * then waits for the caller's commit. If the unit throws, the store rolls back to the savepoint (nothing of the unit is
 * kept) and rethrows; if it failed in the store (a {@link StoreException}, a {@link DuplicateKeyException} included),
 * the caller's transaction is also made rollback-only, so that it cannot commit even if the caller catches the
 * exception. A joined unit is never run again by the library (a signup that meets a concurrent one fails instead of
 * retrying): retry the caller's transaction. The store is written for {@code READ COMMITTED}: the default of
 * PostgreSQL and H2; on MariaDB ask for it on the caller's transaction.
 *
 * <p><b>Several nodes</b> may share the database (security rule 26): token single use rests on the primary key of
 * {@code optin4j_used_tokens}, mail de-duplication on a unique key (rule 27), outbox claims on
 * {@code SELECT ... FOR UPDATE SKIP LOCKED} plus a lease, notice versions on a unique (key, version) constraint, and
 * consent and request reads for change on {@code SELECT ... FOR UPDATE}. Proof of consent (rule 16) is append-only: the
 * store changes rows of {@code optin4j_events} only in {@code eraseSubject} (clearing evidence, source and token id, or
 * deleting them, as the SPI asks for erasure under GDPR Art. 17 and rule 20).
 *
 * <p>No JDBC driver is a dependency of optin4j; the application brings its own. This class is immutable and
 * thread-safe; each transaction uses its own connection.
 */
public final class JdbcConsentStore implements ConsentStore {

  /** The schema version this library reads and writes. */
  public static final int SCHEMA_VERSION = 10;

  /** The default table prefix. */
  public static final String DEFAULT_TABLE_PREFIX = "optin4j_";

  private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,29}");

  private final DataSource dataSource;
  private final Dialect dialect;
  private final String tablePrefix;
  private final boolean createSchema;
  private final TransactionBinding binding;
  private final Statements sql;

  /** The unit running on each thread, to refuse nested calls (per instance; not static state). */
  private final ThreadLocal<JdbcTransaction> running = new ThreadLocal<>();

  private JdbcConsentStore(
      DataSource dataSource,
      Dialect dialect,
      String tablePrefix,
      boolean createSchema,
      TransactionBinding binding) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.tablePrefix = tablePrefix;
    this.createSchema = createSchema;
    this.binding = binding;
    this.sql = new Statements(dialect, tablePrefix);
  }

  /**
   * Starts a builder.
   *
   * @param dataSource where connections come from; a pool in production
   * @return the builder
   */
  public static Builder builder(DataSource dataSource) {
    return new Builder(dataSource);
  }

  /**
   * Builds a store with the defaults: dialect detected, prefix {@value #DEFAULT_TABLE_PREFIX}, schema not created.
   *
   * @param dataSource where connections come from
   * @return the store
   * @throws StoreException if the database is unreachable or its schema is missing or of another version
   * @throws ConfigurationException if the database product is not supported
   */
  public static JdbcConsentStore create(DataSource dataSource) {
    return builder(dataSource).build();
  }

  /**
   * Starts a builder on the {@link DataSource} bound under a JNDI name: typically a servlet container's pool, declared
   * as a resource of the web app and found as {@code java:comp/env/jdbc/optin4j}. The name is looked up now, on the
   * calling thread (a container binds a web app's {@code java:comp} to the threads that run it).
   *
   * @param name the JNDI name
   * @return the builder
   * @throws ConfigurationException if the name cannot be looked up or what is bound there is not a DataSource
   */
  public static Builder builderForJndiName(String name) {
    return new Builder(DriverDataSource.lookup(Objects.requireNonNull(name, "name")));
  }

  /**
   * Starts a builder on a JDBC URL, for applications without a pool: each unit of work opens its own connection through
   * the driver that accepts the URL, found on the calling thread's context class loader (a web app's, where a WAR ships
   * its driver), else on this library's. Under load, prefer a pool ({@link #builder(DataSource)}, or a container's
   * through {@link #builderForJndiName(String)}).
   *
   * @param url the JDBC URL, for example {@code jdbc:postgresql://db.example/shop}
   * @param user the user name, or null for none
   * @param password the password, or null for none
   * @return the builder
   * @throws ConfigurationException if no driver on the class path accepts the URL; the message never shows a password
   */
  public static Builder builderForUrl(String url, String user, String password) {
    return new Builder(DriverDataSource.forUrl(Objects.requireNonNull(url, "url"), user, password));
  }

  /**
   * Returns a builder holding this store's settings.
   *
   * @return the builder
   */
  public Builder newBuilder() {
    Builder b =
        new Builder(dataSource)
            .dialect(dialect)
            .tablePrefix(tablePrefix)
            .createSchema(createSchema);
    b.binding = binding;
    return b;
  }

  /**
   * Returns the SQL dialect in use.
   *
   * @return the dialect, detected or set
   */
  public Dialect dialect() {
    return dialect;
  }

  /**
   * Returns the table prefix in use.
   *
   * @return the prefix of every table and index name
   */
  public String tablePrefix() {
    return tablePrefix;
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if called from inside a unit of work of this store on the same thread: nested
   *     units are not joined (the inner caller would believe its writes committed) and would take a second connection
   *     that may wait forever on the outer unit's row locks; pass the {@code Transaction} down instead
   */
  @Override
  public <T> T inTransaction(Function<Transaction, T> work) {
    Objects.requireNonNull(work, "work");
    TransactionBinding.Active outer = joinable("inTransaction");
    if (outer != null) {
      return joined(outer, work);
    }
    Connection connection = borrow();
    ConnectionState saved;
    try {
      saved = ConnectionState.begin(connection);
    } catch (SQLException e) {
      close(connection);
      throw SqlErrors.wrap("begin a transaction", e);
    }
    JdbcTransaction tx = new JdbcTransaction(connection, sql, false);
    running.set(tx);
    try {
      T result = complete(tx, work);
      commit(connection);
      return result;
    } catch (
        Throwable
            t) { // everything, checked exceptions thrown sneakily included; rethrown unchanged
      rollback(connection, t);
      throw t;
    } finally {
      running.remove();
      tx.end();
      saved.restore(connection);
      close(connection);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: on a borrowed connection as the pool hands it out, each statement in autocommit (no begin, no commit,
   * and no isolation check, which costs PostgreSQL's driver a round trip): each read is its own transaction and sees
   * what was committed when it ran. If the pool hands out connections with autocommit off, the implicit transaction
   * is rolled back at the end. A store failure is a {@link StoreException} as in {@link #inTransaction}. In a caller's
   * transaction that units join, the reads run on its connection and see its uncommitted writes; a store failure then
   * makes that transaction rollback-only.
   */
  @Override
  public <T> T read(Function<Transaction, T> work) {
    Objects.requireNonNull(work, "work");
    TransactionBinding.Active outer = joinable("read");
    // In the caller's transaction: on its connection, so that the reads see its own writes.
    Connection connection = outer != null ? outer.connection() : borrow();
    JdbcTransaction tx = new JdbcTransaction(connection, sql, true);
    running.set(tx);
    try {
      T result = work.apply(tx);
      tx.end();
      if (tx.failure() != null) {
        throw new StoreException("the unit of work went on after a store failure", tx.failure());
      }
      return result;
    } finally {
      running.remove();
      tx.end();
      if (outer == null) {
        endRead(connection);
      } else if (tx.failure() != null) {
        // On PostgreSQL a failed statement has aborted the caller's transaction anyway.
        outer.setRollbackOnly(tx.failure());
      }
    }
  }

  /** Rolls back the implicit transaction of a pool that hands out connections with autocommit off, and closes. */
  private static void endRead(Connection connection) {
    try {
      if (!connection.getAutoCommit()) {
        connection.rollback();
      }
    } catch (SQLException e) {
      // A broken connection is the pool's to discard.
    }
    close(connection);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: at once, unless the calling thread holds a transaction on this store's {@link DataSource} that units of
   * work join ({@link Builder#joinTransactions(TransactionBinding)}): then once that transaction commits, and never if
   * it rolls back.
   */
  @Override
  public void afterCommit(Runnable action) {
    Objects.requireNonNull(action, "action");
    TransactionBinding.Active outer = binding == null ? null : binding.active(dataSource);
    if (outer == null) {
      action.run();
    } else {
      outer.afterCommit(action);
    }
  }

  /** {@inheritDoc} */
  @Override
  public boolean joinsCallerTransaction() {
    return binding != null && binding.active(dataSource) != null;
  }

  /**
   * Refuses a unit nested in another on this thread, and returns the caller's transaction that the unit joins, or
   * {@code null}.
   */
  private TransactionBinding.Active joinable(String unit) {
    if (running.get() != null) {
      throw new IllegalStateException(
          "nested "
              + unit
              + " is not supported by JdbcConsentStore; pass the Transaction down instead");
    }
    return binding == null ? null : binding.active(dataSource);
  }

  /**
   * Runs a unit of work in the caller's transaction, behind a savepoint: a unit that throws keeps nothing, and one that
   * failed in the store makes the caller's transaction rollback-only.
   */
  private <T> T joined(TransactionBinding.Active outer, Function<Transaction, T> work) {
    Connection connection = outer.connection();
    Savepoint start;
    try {
      start = connection.setSavepoint();
    } catch (SQLException e) {
      StoreException failure = SqlErrors.wrap("set a savepoint", e);
      outer.setRollbackOnly(failure);
      throw failure;
    }
    JdbcTransaction tx = new JdbcTransaction(connection, sql, false);
    running.set(tx);
    try {
      T result = complete(tx, work);
      try {
        connection.releaseSavepoint(start);
      } catch (SQLException e) {
        throw tx.failed(SqlErrors.wrap("release a savepoint", e));
      }
      return result;
    } catch (
        Throwable
            t) { // everything, checked exceptions thrown sneakily included; rethrown unchanged
      StoreException notUndone = rollbackTo(connection, start, t);
      StoreException doom = tx.failure() != null ? tx.failure() : notUndone;
      if (doom != null) {
        outer.setRollbackOnly(doom);
      }
      throw t;
    } finally {
      running.remove();
      tx.end();
    }
  }

  /**
   * Runs a unit's work and writes what the unit still holds back; a unit that went on after a store failure throws, to
   * be rolled back.
   */
  private static <T> T complete(JdbcTransaction tx, Function<Transaction, T> work) {
    T result = work.apply(tx);
    tx.flush();
    tx.end();
    if (tx.failure() != null) {
      throw new StoreException(
          "the unit of work went on after a store failure; the transaction was rolled back",
          tx.failure());
    }
    return result;
  }

  /** Rolls back to a savepoint; returns the failure to do so (also added to the cause), or {@code null}. */
  private static StoreException rollbackTo(
      Connection connection, Savepoint savepoint, Throwable cause) {
    try {
      connection.rollback(savepoint);
      return null;
    } catch (SQLException e) {
      StoreException failure = SqlErrors.wrap("roll back to a savepoint", e);
      cause.addSuppressed(failure);
      return failure;
    }
  }

  /** Takes a connection of the store's own for a unit of work. */
  private Connection borrow() {
    try {
      return dataSource.getConnection();
    } catch (SQLException e) {
      throw SqlErrors.wrap("get a database connection", e);
    }
  }

  private static void commit(Connection connection) {
    try {
      connection.commit();
    } catch (SQLException e) {
      throw SqlErrors.wrap("commit", e);
    }
  }

  private static void close(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // The unit's outcome is already decided; a failing close is the pool's business.
    }
  }

  private static void rollback(Connection connection, Throwable cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(SqlErrors.wrap("roll back", e));
    }
  }

  @Override
  public String toString() {
    return "JdbcConsentStore[dialect=" + dialect + ", tablePrefix=" + tablePrefix + "]";
  }

  /** The SQL dialects the store speaks. */
  public enum Dialect {
    /** H2 2.2 or later. */
    H2("h2"),
    /** PostgreSQL 12 or later. */
    POSTGRESQL("postgresql"),
    /** MariaDB 10.6 or later (also used for MySQL 8, which is not tested). */
    MARIADB("mariadb");

    private final String folder;

    Dialect(String folder) {
      this.folder = folder;
    }

    /**
     * Returns the folder of this dialect's DDL scripts on the class path, for example
     * {@code org/optin4j/jdbc/postgresql/}.
     *
     * @return the resource folder, ending with a slash
     */
    public String scriptFolder() {
      return "org/optin4j/jdbc/" + folder + "/";
    }

    /**
     * Picks the dialect for a {@link java.sql.DatabaseMetaData#getDatabaseProductName() product name}.
     *
     * @param productName the product name the driver reports
     * @return the dialect
     * @throws ConfigurationException if the product is not supported
     */
    static Dialect detect(String productName) {
      String name = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
      if (name.startsWith("h2")) {
        return H2;
      }
      if (name.contains("postgresql")) {
        return POSTGRESQL;
      }
      if (name.contains("mariadb") || name.contains("mysql")) {
        return MARIADB;
      }
      throw new ConfigurationException(
          "dialect: database product \""
              + productName
              + "\" is not supported; set dialect(...) explicitly if it is compatible with H2, POSTGRESQL or MARIADB");
    }
  }

  /**
   * Collects the settings of a {@link JdbcConsentStore}. Not thread-safe; {@link #build()} may be called more than
   * once.
   */
  public static final class Builder {
    private final DataSource dataSource;
    private Dialect dialect;
    private String tablePrefix = DEFAULT_TABLE_PREFIX;
    private boolean createSchema;
    private TransactionBinding binding;

    private Builder(DataSource dataSource) {
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Sets the dialect instead of detecting it from the database product name (the default).
     *
     * @param dialect the dialect
     * @return this builder
     */
    public Builder dialect(Dialect dialect) {
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      return this;
    }

    /**
     * Sets the prefix of every table and index name; default {@value #DEFAULT_TABLE_PREFIX}. Lowercase so that it
     * needs no quoting on any dialect.
     *
     * @param prefix a lowercase letter, then up to 29 lowercase letters, digits or underscores
     * @return this builder
     * @throws IllegalArgumentException if the prefix does not match
     */
    public Builder tablePrefix(String prefix) {
      Objects.requireNonNull(prefix, "tablePrefix");
      if (!PREFIX.matcher(prefix).matches()) {
        throw new IllegalArgumentException(
            "table prefix must match [a-z][a-z0-9_]{0,29}, was \""
                + prefix.replaceAll("\\p{Cntrl}", "?")
                + '"');
      }
      this.tablePrefix = prefix;
      return this;
    }

    /**
     * Sets whether {@link #build()} creates the schema when it is absent (default {@code false}: apply the shipped
     * DDL yourself). An existing schema is never changed either way.
     *
     * @param create whether to create a missing schema
     * @return this builder
     */
    public Builder createSchema(boolean create) {
      this.createSchema = create;
      return this;
    }

    /**
     * Lets units of work join the transaction that the calling thread holds on the data source, as a framework's
     * binding reports it, instead of taking a connection of their own and committing on it (see "Joining the caller's
     * transaction" on {@link JdbcConsentStore}). Without a binding (the default) every unit commits on its own.
     *
     * @param binding the framework's binding
     * @return this builder
     */
    public Builder joinTransactions(TransactionBinding binding) {
      this.binding = Objects.requireNonNull(binding, "binding");
      return this;
    }

    /**
     * Connects once, picks the dialect, creates the schema if asked and absent, and checks the schema version.
     *
     * @return the store
     * @throws StoreException if the database is unreachable, or the schema is missing (and not to be created),
     *     older or newer than {@link #SCHEMA_VERSION}; the message says which scripts to run
     * @throws ConfigurationException if the dialect cannot be detected
     */
    public JdbcConsentStore build() {
      Dialect chosen = dialect != null ? dialect : detectDialect();
      new Schema(dataSource, chosen, tablePrefix).check(createSchema);
      return new JdbcConsentStore(dataSource, chosen, tablePrefix, createSchema, binding);
    }

    private Dialect detectDialect() {
      try (Connection c = dataSource.getConnection()) {
        return Dialect.detect(c.getMetaData().getDatabaseProductName());
      } catch (SQLException e) {
        throw SqlErrors.wrap("read the database product name", e);
      }
    }
  }
}
