package org.optin4j.jdbc;

/** Concurrent changes of one subject's history on several nodes: on an H2 in-memory database. */
class JdbcHistoryConcurrencyH2Test extends JdbcHistoryConcurrency {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.H2();
  }
}
