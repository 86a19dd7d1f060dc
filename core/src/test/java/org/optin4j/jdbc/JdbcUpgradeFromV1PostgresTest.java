package org.optin4j.jdbc;

/** The upgrade from a V1 database with data, on PostgreSQL. */
class JdbcUpgradeFromV1PostgresTest extends JdbcUpgradeFromV1 {
  JdbcUpgradeFromV1PostgresTest() {
    super(TestDatabase.Postgres::new);
  }
}
