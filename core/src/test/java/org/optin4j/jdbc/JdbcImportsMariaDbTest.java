package org.optin4j.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.optin4j.lists.ImportsContract;
import org.optin4j.spi.ConsentStore;

/** Imports on MariaDb; a database server that is down fails the class, never skips it. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JdbcImportsMariaDbTest extends ImportsContract {
  private TestDatabase database;

  @BeforeAll
  void open() throws Exception {
    database = new TestDatabase.MariaDb();
  }

  @AfterAll
  void drop() throws Exception {
    database.close();
  }

  @Override
  protected ConsentStore newStore() {
    return JdbcConsentStore.builder(database.dataSource())
        .tablePrefix(database.nextPrefix())
        .createSchema(true)
        .build();
  }
}
