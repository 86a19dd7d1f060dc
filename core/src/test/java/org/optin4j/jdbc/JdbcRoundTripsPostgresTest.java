package org.optin4j.jdbc;

/** {@link JdbcRoundTrips} on Postgres (127.0.0.1:5432; fails, never skips, when the server is down). */
class JdbcRoundTripsPostgresTest extends JdbcRoundTrips {
  JdbcRoundTripsPostgresTest() throws java.sql.SQLException {
    super(new TestDatabase.Postgres());
  }
}
