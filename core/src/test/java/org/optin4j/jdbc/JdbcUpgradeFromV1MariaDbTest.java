package org.optin4j.jdbc;

/** The upgrade from a V1 database with data, on MariaDB. */
class JdbcUpgradeFromV1MariaDbTest extends JdbcUpgradeFromV1 {
  JdbcUpgradeFromV1MariaDbTest() {
    super(TestDatabase.MariaDb::new);
  }
}
