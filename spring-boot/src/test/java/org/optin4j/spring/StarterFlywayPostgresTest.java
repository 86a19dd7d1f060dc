package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.jdbc.JdbcConsentStore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * optin4j's Flyway next to the application's own on PostgreSQL (127.0.0.1:5432, database {@code test}, a schema of
 * its own): both have a {@code V1}, each in its own history table, the application's first. An unreachable server
 * fails the class; it never skips.
 */
@ExtendWith(StarterFlywayPostgresTest.DropSchema.class)
@SpringBootTest(
    classes = StarterApps.DefaultSecurity.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "spring.flyway.enabled=true",
      "spring.flyway.locations=classpath:db/app-migration",
      "optin4j.jdbc.flyway.enabled=true",
      "optin4j.jdbc.create-schema=false"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class StarterFlywayPostgresTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String USER = System.getProperty("optin4j.pg.user", "postgres");
  private static final String SCHEMA =
      "optin4j_flyway_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  @Autowired DataSource dataSource;
  @Autowired OptIn optIn;

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, "");
        Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA " + SCHEMA);
    }
    registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + SCHEMA);
    registry.add("spring.datasource.username", () -> USER);
  }

  @Test
  void theAppsV1AndOptin4jsV1EachInItsOwnHistoryTheAppsFirst() throws SQLException {
    assertEquals(List.of("1"), column("SELECT version FROM flyway_schema_history"));
    // Baseline 0: the schema already held the application's migration when optin4j's Flyway
    // started.
    assertEquals(
        java.util.stream.IntStream.rangeClosed(0, JdbcConsentStore.SCHEMA_VERSION)
            .mapToObj(String::valueOf)
            .toList(),
        column("SELECT version FROM optin4j_flyway_history ORDER BY installed_rank"));
    assertEquals(
        List.of(String.valueOf(JdbcConsentStore.SCHEMA_VERSION)),
        column("SELECT MAX(version) FROM optin4j_schema_version"));
    assertEquals(List.of("0"), column("SELECT COUNT(*) FROM orders"));
  }

  @Test
  void theStoreWorksOnTheTablesFlywayMade() throws SQLException {
    String email = "flyway@example.org";
    RequestResult result =
        optIn.request(ConsentRequest.of(email, Locale.ENGLISH, new PurposeId("newsletter")));

    assertInstanceOf(RequestResult.Accepted.class, result);
    assertTrue(optIn.findSubject(email).isPresent());
    assertEquals(List.of("1"), column("SELECT COUNT(*) FROM optin4j_subjects"));
  }

  private List<String> column(String sql) throws SQLException {
    List<String> values = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        values.add(rs.getString(1));
      }
    }
    return values;
  }

  /** Drops the class's schema once the Spring context is closed. */
  static final class DropSchema implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
      try (Connection c = DriverManager.getConnection(URL, USER, "");
          Statement st = c.createStatement()) {
        st.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
      }
    }
  }
}
