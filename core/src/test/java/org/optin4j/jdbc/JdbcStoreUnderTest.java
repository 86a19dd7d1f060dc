package org.optin4j.jdbc;

import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.store.StoreUnderTest;

/**
 * A {@link JdbcConsentStore} under test on one database: what the H2, PostgreSQL and MariaDB store tests share. The
 * database is opened once per test class, before any test (creating it for an unreachable server fails the class; it
 * never skips), and dropped after the last; each store gets its own table prefix in it. A subclass names the database
 * and runs the parts of the store contract as nested classes; the JDBC behaviour comes with {@link
 * JdbcStoreBehaviour}.
 *
 * <p>One instance serves all tests of the class ({@code PER_CLASS}), so that the nested parts share its database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcStoreUnderTest implements StoreUnderTest, JdbcStoreBehaviour {
  private final Callable<TestDatabase> opener;
  private TestDatabase database;

  /**
   * Creates the store test for one kind of database.
   *
   * @param opener creates the class's isolated database
   */
  JdbcStoreUnderTest(Callable<TestDatabase> opener) {
    this.opener = opener;
  }

  @BeforeAll
  void openDatabase() throws Exception {
    database = opener.call();
  }

  @AfterAll
  void dropDatabase() throws Exception {
    if (database != null) {
      database.close();
    }
  }

  @Override
  public TestDatabase database() {
    return database;
  }

  @Override
  public ConsentStore newStore() {
    return JdbcConsentStore.builder(database.dataSource())
        .tablePrefix(database.nextPrefix())
        .createSchema(true)
        .build();
  }
}
