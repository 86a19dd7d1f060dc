package org.optin4j.spring;

import java.sql.SQLException;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * optin4j inside an app's {@code @Transactional} methods, on PostgreSQL (127.0.0.1:5432, database {@code test}, a
 * schema of its own) with a pool of one connection. An unreachable server fails the class; it never skips.
 */
@ExtendWith(PostgresSchema.class)
@SpringBootTest(
    classes = TransactionalCallerApp.class,
    webEnvironment = SpringBootTest.WebEnvironment.NONE,
    properties = {
      "spring.datasource.hikari.maximum-pool-size=1",
      "spring.datasource.hikari.connection-timeout=2000"
    })
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class TransactionalCallerPostgresTest extends AbstractTransactionalCallerTest {

  @DynamicPropertySource
  static void database(DynamicPropertyRegistry registry) throws SQLException {
    PostgresSchema.use(TransactionalCallerPostgresTest.class, registry);
  }
}
