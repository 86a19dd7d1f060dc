package org.optin4j.jdbc;

/**
 * Units of work joining a caller's transaction, on PostgreSQL on 127.0.0.1:5432 (where a failed statement aborts the
 * whole transaction until a savepoint is rolled back to); fails, never skips, when the server is down.
 */
class JdbcJoinedTransactionPostgresTest extends JdbcJoinedTransaction {
  @Override
  TestDatabase open() throws Exception {
    return new TestDatabase.Postgres();
  }
}
