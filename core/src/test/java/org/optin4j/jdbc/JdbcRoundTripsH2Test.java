package org.optin4j.jdbc;

/** {@link JdbcRoundTrips} on H2 in memory. */
class JdbcRoundTripsH2Test extends JdbcRoundTrips {
  JdbcRoundTripsH2Test() throws java.sql.SQLException {
    super(new TestDatabase.H2());
  }
}
