package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.optin4j.OptIn;
import org.optin4j.jdbc.JdbcConsentStore;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/** When optin4j's own Flyway runs, what it applies on a schema that already has optin4j's tables, and when it refuses. */
class OptInFlywayAutoConfigurationTest {
  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  OptInFlywayAutoConfiguration.class, OptInAutoConfiguration.class))
          .withUserConfiguration(
              OptInAutoConfigurationTest.MailSenderConfig.class, DataSourceConfig.class)
          // The valid settings of OptInAutoConfigurationTest, with the store on the DataSource.
          .withPropertyValues(OptInAutoConfigurationTest.properties())
          .withPropertyValues("optin4j.store=jdbc", "optin4j.for-tests-or-demos=false");

  @Configuration(proxyBeanMethods = false)
  static class DataSourceConfig {
    /** A fresh in-memory database per context, or the one named by {@code test.db}. */
    @Bean
    DataSource dataSource(Environment env) {
      JdbcDataSource ds = new JdbcDataSource();
      String name = env.getProperty("test.db", "flyway-" + System.nanoTime());
      ds.setURL("jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1");
      return ds;
    }
  }

  @Test
  void emptySchemaThenEveryScriptRunsBeforeTheStoreIsBuilt() {
    runner
        .withPropertyValues("optin4j.jdbc.flyway.enabled=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed().hasSingleBean(OptIn.class);
              assertThat(versions(context.getBean(DataSource.class), "optin4j_flyway_history"))
                  .containsExactlyElementsOf(
                      java.util.stream.IntStream.rangeClosed(1, JdbcConsentStore.SCHEMA_VERSION)
                          .mapToObj(String::valueOf)
                          .toList());
            });
  }

  @Test
  void schemaMadeBeforeFlywayThenBaselineAtItsVersionAndNoScriptRunsTwice() {
    String db = "test.db=flyway-existing";
    runner
        .withPropertyValues(db, "optin4j.jdbc.create-schema=true")
        .run(first -> assertThat(first).hasNotFailed());
    runner
        .withPropertyValues(db, "optin4j.jdbc.flyway.enabled=true")
        .run(
            second -> {
              assertThat(second).hasNotFailed().hasSingleBean(OptIn.class);
              assertThat(versions(second.getBean(DataSource.class), "optin4j_flyway_history"))
                  .containsExactly(String.valueOf(JdbcConsentStore.SCHEMA_VERSION));
            });
  }

  @Test
  void otherTablePrefixThenTheStartFailsNamingBothProperties() {
    runner
        .withPropertyValues("optin4j.jdbc.flyway.enabled=true", "optin4j.jdbc.table-prefix=shop_")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("optin4j.jdbc.flyway.enabled")
                  .hasMessageContaining("optin4j.jdbc.table-prefix=shop_");
            });
  }

  @Test
  void enabledWithoutFlywayOnTheClassPathThenTheStartFailsSayingWhatToAdd() {
    runner
        .withClassLoader(new FilteredClassLoader(Flyway.class))
        .withPropertyValues("optin4j.jdbc.flyway.enabled=true")
        .run(
            context -> {
              assertThat(context).hasFailed();
              assertThat(context.getStartupFailure())
                  .rootCause()
                  .hasMessageContaining("Flyway is not on the class path")
                  .hasMessageContaining("spring-boot-starter-flyway");
            });
  }

  @Test
  void notEnabledThenNoFlywayOfOptin4js() {
    runner
        .withPropertyValues("optin4j.jdbc.create-schema=true")
        .run(
            context -> {
              assertThat(context).hasNotFailed().doesNotHaveBean("optin4jFlywayMigration");
              assertThat(versions(context.getBean(DataSource.class), "optin4j_flyway_history"))
                  .isEmpty();
            });
  }

  /**
   * The successful versions in a Flyway history table, in order (without Flyway's own versionless rows); empty if
   * there is no such table.
   */
  private static List<String> versions(DataSource ds, String table) throws SQLException {
    List<String> versions = new ArrayList<>();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        // Flyway quotes the names it creates: lower case in H2.
        ResultSet tables = c.getMetaData().getTables(null, null, table, null)) {
      if (!tables.next()) {
        return versions;
      }
      try (ResultSet rs =
          st.executeQuery(
              "SELECT \"version\" FROM \""
                  + table
                  + "\" WHERE \"success\" AND \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
        while (rs.next()) {
          versions.add(rs.getString(1));
        }
      }
    }
    return versions;
  }
}
