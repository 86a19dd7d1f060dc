package org.optin4j.jdbc;

/** Units of work joining a caller's transaction, on H2. */
class JdbcJoinedTransactionH2Test extends JdbcJoinedTransaction {
  @Override
  TestDatabase open() {
    return new TestDatabase.H2();
  }
}
