package org.optin4j.jdbc;

/** Concurrent changes of one subject's history on several nodes: on MariaDB on 127.0.0.1:3306; fails, never skips, when the server is down. */
class JdbcHistoryConcurrencyMariaDbTest extends JdbcHistoryConcurrency {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.MariaDb();
  }
}
