package org.optin4j.jdbc;

/** Concurrent changes of one subject's history on several nodes: on PostgreSQL on 127.0.0.1:5432; fails, never skips, when the server is down. */
class JdbcHistoryConcurrencyPostgresTest extends JdbcHistoryConcurrency {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.Postgres();
  }
}
