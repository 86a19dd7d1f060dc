package org.optin4j.jdbc;

/** The upgrade from a V1 database with data, on H2. */
class JdbcUpgradeFromV1H2Test extends JdbcUpgradeFromV1 {
  JdbcUpgradeFromV1H2Test() {
    super(TestDatabase.H2::new);
  }
}
