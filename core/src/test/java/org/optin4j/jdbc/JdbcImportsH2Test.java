package org.optin4j.jdbc;

/** Imports on H2. */
class JdbcImportsH2Test extends JdbcImports {
  JdbcImportsH2Test() {
    super(TestDatabase.H2::new);
  }
}
