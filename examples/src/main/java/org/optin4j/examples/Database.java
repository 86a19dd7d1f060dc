package org.optin4j.examples;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcConnectionPool;

/**
 * The app's database: by default an H2 file in the data folder (kept between runs), or PostgreSQL / MariaDB given by
 * {@code OPTIN4J_JDBC_URL}. Also the two read-only queries the admin page needs that {@code OptIn} has no method for
 * (a list of subjects and the outbox totals); they read the tables documented in {@code docs/jdbc.md}.
 *
 * <p>Thread-safe.
 */
final class Database implements AutoCloseable {
  private final DataSource dataSource;
  private final Runnable closer;
  private final String description;

  private Database(DataSource dataSource, Runnable closer, String description) {
    this.dataSource = dataSource;
    this.closer = closer;
    this.description = description;
  }

  /** The H2 file {@code optin4j.mv.db} in the data folder, with a small built-in pool. */
  static Database h2File(Path dataDir) {
    // TRACE_LEVEL_FILE=0: no optin4j.trace.db (the store probes for its schema table on first
    // start).
    String url =
        "jdbc:h2:file:"
            + dataDir.resolve("optin4j").toAbsolutePath()
            + ";TRACE_LEVEL_FILE=0;QUERY_CACHE_SIZE=64";
    JdbcConnectionPool pool = JdbcConnectionPool.create(url, "sa", "");
    pool.setMaxConnections(16);
    return new Database(pool, pool::dispose, "H2 file " + dataDir.resolve("optin4j.mv.db"));
  }

  /**
   * A database given by URL. The driver is found on the class path (PostgreSQL and MariaDB ship with the app) and
   * used directly, one connection per unit of work: fine for a sample, use a pool (HikariCP) in production.
   */
  static Database external(Settings.Jdbc jdbc) {
    Driver driver = null;
    for (Driver d : ServiceLoader.load(Driver.class, Database.class.getClassLoader())) {
      try {
        if (d.acceptsURL(jdbc.url())) {
          driver = d;
          break;
        }
      } catch (SQLException e) {
        // not this one
      }
    }
    if (driver == null) {
      throw new IllegalStateException(
          "OPTIN4J_JDBC_URL: no JDBC driver on the class path accepts this URL");
    }
    Properties props = new Properties();
    if (jdbc.user() != null) {
      props.setProperty("user", jdbc.user());
    }
    if (jdbc.password() != null) {
      props.setProperty("password", jdbc.password());
    }
    String shown = jdbc.url().replaceAll("(?i)(password=)[^&;]*", "$1***");
    return new Database(new DriverDataSource(driver, jdbc.url(), props), () -> {}, shown);
  }

  DataSource dataSource() {
    return dataSource;
  }

  /** Says where the data lives, without passwords. */
  String description() {
    return description;
  }

  /** Closes the pool; H2 closes the file once its last connection is closed. */
  @Override
  public void close() {
    closer.run();
  }

  /** A {@link DataSource} over one driver, without a pool. */
  private static final class DriverDataSource implements DataSource {
    private final Driver driver;
    private final String url;
    private final Properties props;
    private int loginTimeout;
    private PrintWriter logWriter;

    DriverDataSource(Driver driver, String url, Properties props) {
      this.driver = driver;
      this.url = url;
      this.props = props;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = driver.connect(url, props);
      if (c == null) {
        throw new SQLException("driver refused the URL");
      }
      return c;
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
      Properties p = new Properties();
      p.putAll(props);
      p.setProperty("user", username);
      p.setProperty("password", password);
      return driver.connect(url, p);
    }

    @Override
    public PrintWriter getLogWriter() {
      return logWriter;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
      this.logWriter = out;
    }

    @Override
    public void setLoginTimeout(int seconds) {
      this.loginTimeout = seconds;
    }

    @Override
    public int getLoginTimeout() {
      return loginTimeout;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) {
        return iface.cast(this);
      }
      throw new SQLException("not a wrapper of " + iface.getName());
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(this);
    }
  }
}
