package org.optin4j.spring;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * A PostgreSQL schema of its own for each Spring test class (127.0.0.1:5432, database {@code test}, user
 * {@code postgres}, trust), dropped once the class's Spring context is closed. An unreachable server fails the class;
 * it never skips. Register it with {@code @ExtendWith} before the Spring extension, so that its {@code afterAll} runs
 * after the context (and its pool) is closed, and call {@link #use} from a {@code @DynamicPropertySource} method.
 */
final class PostgresSchema implements AfterAllCallback {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String USER = System.getProperty("optin4j.pg.user", "postgres");

  /** The schema of each test class that runs now. */
  private static final Map<Class<?>, String> SCHEMAS = new ConcurrentHashMap<>();

  /** Creates the class's schema and points {@code spring.datasource.*} at it. */
  static void use(Class<?> testClass, DynamicPropertyRegistry registry) throws SQLException {
    String schema =
        "optin4j_boot_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    execute("CREATE SCHEMA " + schema);
    SCHEMAS.put(testClass, schema);
    registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + schema);
    registry.add("spring.datasource.username", () -> USER);
  }

  @Override
  public void afterAll(ExtensionContext context) throws SQLException {
    String schema = SCHEMAS.remove(context.getRequiredTestClass());
    if (schema != null) {
      execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, "");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }
}
