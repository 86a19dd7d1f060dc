package org.optin4j.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.ConsentStoreContract;

/** Runs the store contract and the JDBC behaviour on H2 in-memory database (a uniquely named one per class). Each test gets its own table prefix. */
class JdbcConsentStoreH2Test extends ConsentStoreContract implements JdbcStoreBehaviour {
  private static TestDatabase database;

  @BeforeAll
  static void openDatabase() throws Exception {
    database = new TestDatabase.H2();
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
