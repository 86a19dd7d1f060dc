package org.optin4j.jdbc;

/** Several nodes on one database: On H2. */
class JdbcMultiNodeH2Test extends JdbcMultiNode {
  @Override
  TestDatabase open() {
    return new TestDatabase.H2();
  }
}
