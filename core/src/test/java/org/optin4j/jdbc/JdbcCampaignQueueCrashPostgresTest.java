package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.OptInException;
import org.optin4j.PurposeId;
import org.optin4j.campaign.Campaign;
import org.optin4j.campaign.CampaignResult;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Queueing a campaign to 20,000 confirmed subjects on PostgreSQL when the database fails between pages: the pages
 * before the failure stay queued, the failed page leaves nothing, and running the campaign's queueing again queues
 * exactly the rest. No one twice (one row per subject, checked by counting rows against distinct subjects, not only
 * through the unique key), no one lost (the rows are exactly the mailable subjects, counted in SQL from the fill).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JdbcCampaignQueueCrashPostgresTest {
  private static final int SUBJECTS = 20_000;
  private static final PurposeId EVENTS = Fixtures.EVENTS;
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private TestDatabase database;
  private String prefix;

  @BeforeAll
  void open() throws Exception {
    database = new TestDatabase.Postgres();
    prefix = database.nextPrefix();
    JdbcConsentStore.builder(database.dataSource()).tablePrefix(prefix).createSchema(true).build();
    long now = clock.instant().toEpochMilli();
    long day = 86_400_000L;
    // Set-based fill: every 10th restricted, every 7th confirmed 400 days ago (past the events
    // purpose's 365-day retention), every 13th withdrawn.
    database.execute(
        "INSERT INTO "
            + prefix
            + "subjects (id, email, created_at) SELECT LPAD(CAST(g AS VARCHAR), 22, '0'),"
            + " 'r' || g || '@example.org', "
            + now
            + " FROM generate_series(1, "
            + SUBJECTS
            + ") g");
    database.execute(
        "INSERT INTO "
            + prefix
            + "consents (subject_id, purpose, purpose_version, state, request_id, notice_version,"
            + " notice_hash, notice_locale, requested_at, confirmed_at, ended_at, restricted)"
            + " SELECT LPAD(CAST(g AS VARCHAR), 22, '0'), 'events', 1,"
            + " CASE WHEN g % 13 = 0 THEN 'WITHDRAWN' ELSE 'CONFIRMED' END, 'req-' || g, 1,"
            + " REPEAT('0', 64), 'en', 0,"
            + " CASE WHEN g % 7 = 0 THEN "
            + (now - 400 * day)
            + " ELSE "
            + (now - day)
            + " END, CASE WHEN g % 13 = 0 THEN "
            + now
            + " END, g % 10 = 0 AND g % 13 <> 0 FROM generate_series(1, "
            + SUBJECTS
            + ") g");
  }

  @AfterAll
  void drop() throws Exception {
    if (database != null) {
      database.close();
    }
  }

  @Test
  void queueToAllConfirmedWhenDatabaseFailsBetweenPagesThenRunAgainQueuesEachOnce()
      throws Exception {
    long mailable =
        count(
            "SELECT COUNT(*) FROM "
                + prefix
                + "consents WHERE purpose = 'events' AND state = 'CONFIRMED' AND NOT restricted"
                + " AND confirmed_at > "
                + clock.instant().minus(java.time.Duration.ofDays(365)).toEpochMilli());
    Campaign campaign;
    FailingOnThirdPage failing = new FailingOnThirdPage(database.dataSource());
    try (OptIn crashing = optIn(failing)) {
      campaign = crashing.campaigns().create(EVENTS, "Tasting", "Come taste.", null);
      assertThrows(
          OptInException.class, () -> crashing.campaigns().queueToAllConfirmed(campaign.id()));
    }
    long afterCrash = rows(campaign.id());
    assertEquals(pagesBefore(2), afterCrash, "two pages committed, the failed third left nothing");

    CampaignResult resumed;
    try (OptIn o = optIn(database.dataSource())) {
      resumed = o.campaigns().queueToAllConfirmed(campaign.id());
      assertEquals(0, o.campaigns().queueToAllConfirmed(campaign.id()).queued(), "a third run");
    }

    assertEquals(mailable - afterCrash, resumed.queued());
    assertEquals(mailable, rows(campaign.id()), "none lost");
    assertEquals(
        mailable,
        count(
            "SELECT COUNT(DISTINCT subject_id) FROM "
                + prefix
                + "outbox WHERE request_id = '"
                + campaign.id()
                + "'"),
        "none twice");
    assertEquals(
        0,
        count(
            "SELECT COUNT(*) FROM "
                + prefix
                + "outbox o JOIN "
                + prefix
                + "consents c ON c.subject_id = o.subject_id AND c.purpose = 'events'"
                + " WHERE o.request_id = '"
                + campaign.id()
                + "' AND (c.state <> 'CONFIRMED' OR c.restricted)"),
        "no one without an active consent");
  }

  /** How many mailable subjects the first {@code pages} pages of 1,000 confirmed consents hold. */
  private long pagesBefore(int pages) throws SQLException {
    return count(
        "SELECT COUNT(*) FROM (SELECT subject_id, restricted, confirmed_at FROM "
            + prefix
            + "consents WHERE purpose = 'events' AND state = 'CONFIRMED' ORDER BY subject_id"
            + " LIMIT "
            + pages * 1000
            + ") p WHERE NOT restricted AND confirmed_at > "
            + clock.instant().minus(java.time.Duration.ofDays(365)).toEpochMilli());
  }

  private long rows(String campaignId) throws SQLException {
    return count(
        "SELECT COUNT(*) FROM " + prefix + "outbox WHERE request_id = '" + campaignId + "'");
  }

  private long count(String sql) throws SQLException {
    try (Connection c = database.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private OptIn optIn(DataSource ds) {
    return Fixtures.builder(
            JdbcConsentStore.builder(ds).tablePrefix(prefix).createSchema(false).build(),
            new RecordingMailer(),
            clock)
        .build();
  }

  /**
   * The test database, whose connections fail every campaign page insert from the third on (as a database that goes
   * away would): the third page's unit rolls back, its retries fail too, and the call fails.
   */
  private static final class FailingOnThirdPage implements DataSource {
    private final DataSource target;
    private final AtomicInteger pages = new AtomicInteger();

    FailingOnThirdPage(DataSource target) {
      this.target = target;
    }

    @Override
    public Connection getConnection() throws SQLException {
      return wrap(target.getConnection());
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return wrap(target.getConnection(user, password));
    }

    private Connection wrap(Connection c) {
      return (Connection)
          Proxy.newProxyInstance(
              Connection.class.getClassLoader(),
              new Class<?>[] {Connection.class},
              (proxy, method, args) -> {
                if (method.getName().equals("prepareStatement")
                    && args[0] instanceof String sql
                    && sql.startsWith("INSERT INTO ")
                    && sql.contains("outbox")
                    && sql.contains(" SELECT ")
                    && pages.incrementAndGet() >= 3) {
                  throw new SQLException("connection lost (simulated)", "08006");
                }
                try {
                  return method.invoke(c, args);
                } catch (InvocationTargetException e) {
                  throw e.getCause();
                }
              });
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return target.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      target.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      return target.getParentLogger();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      return target.unwrap(iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) throws SQLException {
      return target.isWrapperFor(iface);
    }
  }
}
