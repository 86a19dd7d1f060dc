package org.optin4j.spring;

import java.sql.SQLException;
import org.junit.jupiter.api.extension.ExtendWith;
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
@ExtendWith(PostgresSchema.class)
@SpringBootTest(
    classes = StarterApps.DocumentedSecurity.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class StarterFlowPostgresTest extends AbstractStarterFlowTest {

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) throws SQLException {
    PostgresSchema.use(StarterFlowPostgresTest.class, registry);
  }
}
