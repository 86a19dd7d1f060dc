package org.optin4j.spring;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The flow on PostgreSQL (127.0.0.1:5432, database {@code test}, a schema of its own) behind the README's
 * {@code SecurityFilterChain} lines. An unreachable server fails the class; it never skips.
 */
// Registered before SpringExtension, so that its afterAll runs after the context (and its pool) is
// closed.
@ExtendWith(StarterFlowPostgresTest.DropSchema.class)
@SpringBootTest(
    classes = StarterApps.DocumentedSecurity.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class StarterFlowPostgresTest extends AbstractStarterFlowTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String USER = System.getProperty("optin4j.pg.user", "postgres");
  private static final String SCHEMA =
      "optin4j_boot_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) throws SQLException {
    execute("CREATE SCHEMA " + SCHEMA);
    registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + SCHEMA);
    registry.add("spring.datasource.username", () -> USER);
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, "");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** Drops the class's schema once the Spring context is closed. */
  static final class DropSchema implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
      execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }
  }
}
