package org.optin4j.jdbc;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.logging.Logger;
import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import org.optin4j.ConfigurationException;

/**
 * A {@link DataSource} over one JDBC driver, without a pool: each {@link #getConnection()} opens a new connection. The
 * driver is picked once, by asking each driver on the class path whether it accepts the URL, rather than through
 * {@code DriverManager}, which does not see a driver that a web app ships in {@code WEB-INF/lib} when the container
 * initialised {@code DriverManager} before the app started.
 *
 * <p>Immutable and thread-safe (the log writer and login timeout, which it does not use, apart).
 */
final class DriverDataSource implements DataSource {
  private final Driver driver;
  private final String url;
  private final Properties properties;
  private volatile PrintWriter logWriter;
  private volatile int loginTimeout;

  private DriverDataSource(Driver driver, String url, Properties properties) {
    this.driver = driver;
    this.url = url;
    this.properties = properties;
  }

  /** See {@link JdbcConsentStore#builderForJndiName(String)}. */
  static DataSource lookup(String name) {
    Object bound;
    try {
      bound = new InitialContext().lookup(name);
    } catch (NamingException e) {
      throw new ConfigurationException(
          "JNDI name " + name + ": cannot be looked up (" + e.getMessage() + ")");
    }
    if (bound instanceof DataSource ds) {
      return ds;
    }
    throw new ConfigurationException(
        "JNDI name "
            + name
            + ": bound to "
            + (bound == null ? "nothing" : bound.getClass().getName())
            + ", not a javax.sql.DataSource");
  }

  /** See {@link JdbcConsentStore#builderForUrl(String, String, String)}. */
  static DataSource forUrl(String url, String user, String password) {
    Driver driver = driverFor(url, Thread.currentThread().getContextClassLoader());
    if (driver == null) {
      driver = driverFor(url, DriverDataSource.class.getClassLoader());
    }
    if (driver == null) {
      throw new ConfigurationException(
          "JDBC URL "
              + shown(url)
              + ": no JDBC driver on the class path accepts it (add the database's driver jar to the app)");
    }
    Properties p = new Properties();
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      p.setProperty("password", password);
    }
    return new DriverDataSource(driver, url, p);
  }

  private static Driver driverFor(String url, ClassLoader loader) {
    if (loader == null) {
      return null;
    }
    for (Driver d : ServiceLoader.load(Driver.class, loader)) {
      try {
        if (d.acceptsURL(url)) {
          return d;
        }
      } catch (SQLException e) {
        // This driver cannot tell; ask the next one.
      }
    }
    return null;
  }

  /** The URL without a password it may carry ({@code password=...} in PostgreSQL's and others' parameters). */
  private static String shown(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***");
  }

  @Override
  public Connection getConnection() throws SQLException {
    return connect(properties);
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    Properties p = new Properties();
    p.putAll(properties);
    p.setProperty("user", username);
    p.setProperty("password", password);
    return connect(p);
  }

  private Connection connect(Properties p) throws SQLException {
    Connection c = driver.connect(url, p);
    if (c == null) {
      throw new SQLException("the JDBC driver refused the URL");
    }
    return c;
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

  @Override
  public String toString() {
    return "DriverDataSource[" + shown(url) + "]";
  }
}
