package org.optin4j.jdbc;

/** Imports on MariaDb. */
class JdbcImportsMariaDbTest extends JdbcImports {
  JdbcImportsMariaDbTest() {
    super(TestDatabase.MariaDb::new);
  }
}
