package org.optin4j.jdbc;

import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.optin4j.lists.ImportsContract;
import org.optin4j.spi.ConsentStore;

/**
 * Imports on one kind of database: the database is opened once per class (an unreachable server fails the class, it
 * never skips) and each test gets a store with its own table prefix in it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcImports extends ImportsContract {
  private final Callable<TestDatabase> opener;
  private TestDatabase database;

  JdbcImports(Callable<TestDatabase> opener) {
    this.opener = opener;
  }

  @BeforeAll
  void open() throws Exception {
    database = opener.call();
  }

  @AfterAll
  void drop() throws Exception {
    if (database != null) {
      database.close();
    }
  }

  @Override
  protected ConsentStore newStore() {
    return JdbcConsentStore.builder(database.dataSource())
        .tablePrefix(database.nextPrefix())
        .createSchema(true)
        .build();
  }
}
