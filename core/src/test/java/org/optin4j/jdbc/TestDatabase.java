package org.optin4j.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.mariadb.jdbc.MariaDbDataSource;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * An isolated database for one test class: an H2 in-memory database, a PostgreSQL schema or a MariaDB database, each
 * with a unique name, removed by {@link #close()}. Creating one for an unreachable server fails (it never skips).
 * Each test then uses its own table prefix inside it.
 */
abstract class TestDatabase implements AutoCloseable {
  protected final String name =
      "optin4j_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  private int prefixes;

  /** Returns a data source for the isolated database. */
  abstract DataSource dataSource();

  /** Returns the dialect the database speaks. */
  abstract Dialect dialect();

  /** Returns a table prefix not used before in this database. */
  final synchronized String nextPrefix() {
    return "t" + (++prefixes) + "_";
  }

  /** Runs one statement outside any store, as a DBA would. */
  final void execute(String sql) throws SQLException {
    try (Connection c = dataSource().getConnection();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  @Override
  public abstract void close() throws SQLException;

  /** H2: one in-memory database per test class. */
  static final class H2 extends TestDatabase {
    private final JdbcDataSource ds = new JdbcDataSource();

    H2() {
      ds.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
      ds.setUser("sa");
    }

    @Override
    DataSource dataSource() {
      return ds;
    }

    @Override
    Dialect dialect() {
      return Dialect.H2;
    }

    @Override
    public void close() throws SQLException {
      execute("SHUTDOWN");
    }
  }

  /** PostgreSQL on 127.0.0.1:5432, database {@code test}, user {@code postgres}, trust auth: one schema per class. */
  static final class Postgres extends TestDatabase {
    private final PGSimpleDataSource admin = source();
    private final PGSimpleDataSource ds = source();

    Postgres() throws SQLException {
      try (Connection c = admin.getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE SCHEMA " + name);
      }
      ds.setCurrentSchema(name);
    }

    private static PGSimpleDataSource source() {
      PGSimpleDataSource s = new PGSimpleDataSource();
      s.setServerNames(new String[] {System.getProperty("optin4j.pg.host", "127.0.0.1")});
      s.setPortNumbers(new int[] {Integer.getInteger("optin4j.pg.port", 5432)});
      s.setDatabaseName(System.getProperty("optin4j.pg.database", "test"));
      s.setUser(System.getProperty("optin4j.pg.user", "postgres"));
      s.setConnectTimeout(5);
      return s;
    }

    @Override
    DataSource dataSource() {
      return ds;
    }

    @Override
    Dialect dialect() {
      return Dialect.POSTGRESQL;
    }

    @Override
    public void close() throws SQLException {
      try (Connection c = admin.getConnection();
          Statement st = c.createStatement()) {
        // One table per transaction: dropping hundreds of test tables at once exceeds PostgreSQL's
        // lock table
        // ("out of shared memory", max_locks_per_transaction).
        java.util.List<String> tables = new java.util.ArrayList<>();
        try (java.sql.ResultSet rs =
            st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = '" + name + "'")) {
          while (rs.next()) {
            tables.add(rs.getString(1));
          }
        }
        for (String table : tables) {
          st.execute("DROP TABLE IF EXISTS " + name + "." + table + " CASCADE");
        }
        st.execute("DROP SCHEMA " + name + " CASCADE");
      }
    }
  }

  /** MariaDB on 127.0.0.1:3306 as root without password: one database per class. */
  static final class MariaDb extends TestDatabase {
    private static final String BASE =
        "jdbc:mariadb://"
            + System.getProperty("optin4j.mariadb.host", "127.0.0.1")
            + ":"
            + Integer.getInteger("optin4j.mariadb.port", 3306)
            + "/";
    private static final String OPTIONS =
        "?user=" + System.getProperty("optin4j.mariadb.user", "root") + "&connectTimeout=5000";
    private final MariaDbDataSource admin;
    private final MariaDbDataSource ds;

    MariaDb() throws SQLException {
      admin = new MariaDbDataSource(BASE + OPTIONS);
      try (Connection c = admin.getConnection();
          Statement st = c.createStatement()) {
        st.execute("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin");
      }
      ds = new MariaDbDataSource(BASE + name + OPTIONS);
    }

    @Override
    DataSource dataSource() {
      return ds;
    }

    @Override
    Dialect dialect() {
      return Dialect.MARIADB;
    }

    @Override
    public void close() throws SQLException {
      try (Connection c = admin.getConnection();
          Statement st = c.createStatement()) {
        st.execute("DROP DATABASE " + name);
      }
    }
  }
}
