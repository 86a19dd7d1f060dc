package org.optin4j.jdbc;

/** Several nodes on one database: On PostgreSQL on 127.0.0.1:5432; fails, never skips, when the server is down. */
class JdbcMultiNodePostgresTest extends JdbcMultiNode {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.Postgres();
  }
}
