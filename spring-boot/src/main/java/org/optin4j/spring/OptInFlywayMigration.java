package org.optin4j.spring;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.optin4j.ConfigurationException;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.springframework.beans.factory.InitializingBean;

/**
 * optin4j's own Flyway: the dialect's shipped scripts, recorded in a history table apart from the application's.
 * Migrates once, when Spring has made the bean.
 */
final class OptInFlywayMigration implements InitializingBean {
  private final Flyway flyway;

  private OptInFlywayMigration(Flyway flyway) {
    this.flyway = flyway;
  }

  static OptInFlywayMigration create(DataSource dataSource, OptInProperties.Jdbc jdbc) {
    if (!JdbcConsentStore.DEFAULT_TABLE_PREFIX.equals(jdbc.tablePrefix())) {
      throw new ConfigurationException(
          "optin4j.jdbc.flyway.enabled: the shipped scripts name their tables "
              + JdbcConsentStore.DEFAULT_TABLE_PREFIX
              + "*; with optin4j.jdbc.table-prefix="
              + jdbc.tablePrefix()
              + " apply them with your own migrations, the prefix replaced");
    }
    Dialect dialect;
    int existing;
    try (Connection c = dataSource.getConnection()) {
      dialect = dialect(c.getMetaData().getDatabaseProductName());
      existing = existingVersion(c);
    } catch (SQLException e) {
      throw new ConfigurationException(
          "optin4j.jdbc.flyway.enabled: cannot read the database: " + e.getMessage());
    }
    String folder = dialect.scriptFolder();
    Flyway flyway =
        Flyway.configure(OptInFlywayMigration.class.getClassLoader())
            .dataSource(dataSource)
            .locations("classpath:" + folder.substring(0, folder.length() - 1))
            .table(jdbc.flyway().table())
            .failOnMissingLocations(true)
            // The schema is not empty when it gets here (the application's tables and history, or
            // optin4j's
            // tables made before Flyway by createSchema or by hand): the baseline is the optin4j
            // version already
            // there, 0 if none, so that exactly the missing scripts run.
            .baselineOnMigrate(true)
            .baselineVersion(String.valueOf(existing))
            .baselineDescription("optin4j schema version " + existing + " before Flyway")
            .load();
    return new OptInFlywayMigration(flyway);
  }

  @Override
  public void afterPropertiesSet() {
    flyway.migrate();
  }

  private static Dialect dialect(String product) {
    String name = product == null ? "" : product.toLowerCase(Locale.ROOT);
    for (Dialect d : Dialect.values()) {
      if (name.contains(d.name().toLowerCase(Locale.ROOT))
          || (d == Dialect.MARIADB && name.contains("mysql"))) {
        return d;
      }
    }
    throw new ConfigurationException(
        "optin4j.jdbc.flyway.enabled: optin4j ships no scripts for " + product);
  }

  /** The optin4j schema version in the table the scripts fill, 0 if that table is absent. */
  private static int existingVersion(Connection c) {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT MAX(version) FROM "
                    + JdbcConsentStore.DEFAULT_TABLE_PREFIX
                    + "schema_version")) {
      return rs.next() ? rs.getInt(1) : 0;
    } catch (SQLException absent) {
      return 0;
    }
  }
}
