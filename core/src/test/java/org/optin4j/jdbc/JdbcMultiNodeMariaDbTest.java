package org.optin4j.jdbc;

/** Several nodes on one database: On MariaDB on 127.0.0.1:3306; fails, never skips, when the server is down. */
class JdbcMultiNodeMariaDbTest extends JdbcMultiNode {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.MariaDb();
  }
}
