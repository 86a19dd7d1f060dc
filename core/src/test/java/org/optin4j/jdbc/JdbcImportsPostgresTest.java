package org.optin4j.jdbc;

/** Imports on Postgres. */
class JdbcImportsPostgresTest extends JdbcImports {
  JdbcImportsPostgresTest() {
    super(TestDatabase.Postgres::new);
  }
}
