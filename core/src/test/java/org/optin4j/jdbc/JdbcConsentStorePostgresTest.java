package org.optin4j.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.ConsentStoreContract;

/** Runs the store contract and the JDBC behaviour on PostgreSQL on 127.0.0.1:5432 (a schema per class, dropped afterwards); fails, never skips, when the server is down. Each test gets its own table prefix. */
class JdbcConsentStorePostgresTest extends ConsentStoreContract implements JdbcStoreBehaviour {
  private static TestDatabase database;

  @BeforeAll
  static void openDatabase() throws Exception {
    database = new TestDatabase.Postgres();
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    if (database != null) {
      database.close();
    }
  }

  @Override
  public TestDatabase database() {
    return database;
  }

  @Override
  protected ConsentStore newStore() {
    return JdbcConsentStore.builder(database.dataSource()).tablePrefix(database.nextPrefix()).createSchema(true)
        .build();
  }
}
