package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import javax.sql.DataSource;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.campaign.CampaignResult;

/**
 * Queueing a campaign to a million confirmed subscribers ({@code Campaigns.sendToAllConfirmed}), set-based: fills
 * {@code n} subjects, each with a confirmed newsletter consent, with two {@code INSERT ... SELECT} statements over a
 * generated series (not through the API: the subject ids are zero-padded numbers, every 100th consent restricted),
 * then times the queueing (the outbox rows are written by the database, 1,000 per unit of work), then times the same
 * campaign queued again ({@code queueToAllConfirmed}: what a restart after a crash costs when everything was queued
 * already). The dispatcher is not started: only the queueing is measured. Prints the collectors' counts so that a run
 * with {@code -Xmx256m -Xlog:gc} shows whether a full collection happened.
 *
 * <p>Run: {@code java -Xmx256m -Xlog:gc:file=gc.log -cp benchmarks.jar org.optin4j.benchmarks.CampaignQueueBench
 * postgresql|h2 [n]}, n default 1000000.
 */
public final class CampaignQueueBench {
  /** The tables' prefix; {@code -Doptin4j.bench.prefix} gives each of several people sharing a database their own. */
  static final String PREFIX = System.getProperty("optin4j.bench.prefix", "bench_cq_");

  private CampaignQueueBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "postgresql";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    try (HikariDataSource ds = Fixtures.dataSource(db, 2)) {
      Fixtures.freshStore(ds, PREFIX);
      long t0 = System.nanoTime();
      fill(ds, db, n);
      MayMailBench.analyze(ds, db);
      System.out.printf(
          Locale.ROOT,
          "%s: filled %d confirmed subscribers in %.1f s; load: %s%n",
          db,
          n,
          (System.nanoTime() - t0) / 1e9,
          Load.now());
      try (OptIn optIn =
          Fixtures.optIn(
                  Fixtures.store(ds, PREFIX, false),
                  new Fixtures.LinkSink(),
                  "http://127.0.0.1:18080/app/optin")
              .build()) {
        long gcBefore = fullCollections();
        long start = System.nanoTime();
        CampaignResult result =
            optIn
                .campaigns()
                .sendToAllConfirmed(
                    PurposeId.of("newsletter"), "Issue 1", "The bread of the month.", null);
        double seconds = (System.nanoTime() - start) / 1e9;
        long rows =
            count(
                ds,
                "SELECT COUNT(*) FROM "
                    + PREFIX
                    + "outbox WHERE request_id = '"
                    + result.campaignId()
                    + "'");
        start = System.nanoTime();
        CampaignResult again = optIn.campaigns().queueToAllConfirmed(result.campaignId());
        double againSeconds = (System.nanoTime() - start) / 1e9;
        long fullGcs = fullCollections() - gcBefore;
        System.out.printf(
            Locale.ROOT,
            "%s: %s in %.1f s (%.0f mails/s), %d outbox rows; queued again in %.1f s: %s; "
                + "heap max %d MB, full collections during the runs: %d; load: %s%n",
            db,
            result,
            seconds,
            result.queued() / seconds,
            rows,
            againSeconds,
            again,
            Runtime.getRuntime().maxMemory() >> 20,
            fullGcs,
            Load.now());
        System.out.printf(
            Locale.ROOT,
            "RESULT %s campaign queueing of %d: %.1f s, target < 60 s on PostgreSQL: %s; "
                + "no full GC: %s%n",
            db,
            n,
            seconds,
            seconds < 60 ? "MET" : "MISSED",
            fullGcs == 0 ? "MET" : "MISSED");
        if (rows != result.queued() || again.queued() != 0) {
          throw new IllegalStateException("queued " + result + " but " + rows + " rows");
        }
      }
    }
  }

  /** Collections by the collectors that stop the world for the whole heap (G1's and Parallel's old generation). */
  private static long fullCollections() {
    long n = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      String name = gc.getName();
      if (name.contains("Old") || name.contains("MarkSweep") || name.contains("Full")) {
        n += gc.getCollectionCount();
      }
    }
    return n;
  }

  /**
   * {@code n} subjects and their confirmed newsletter consents, two statements over a generated series (PostgreSQL's
   * {@code generate_series}, H2's {@code SYSTEM_RANGE}); every 100th consent restricted.
   */
  static void fill(DataSource ds, String db, int n) throws SQLException {
    long now = System.currentTimeMillis();
    String series =
        "postgresql".equals(db)
            ? "generate_series(1, " + n + ") AS r(x)"
            : "SYSTEM_RANGE(1, " + n + ") AS r";
    String id = "LPAD(CAST(r.x AS VARCHAR(22)), 22, '0')";
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement()) {
      st.execute(
          "INSERT INTO "
              + PREFIX
              + "subjects (id, email, created_at) SELECT "
              + id
              + ", CONCAT('s', CAST(r.x AS VARCHAR(22)), '@bench.example'), "
              + now
              + " FROM "
              + series);
      st.execute(
          "INSERT INTO "
              + PREFIX
              + "consents (subject_id, purpose, purpose_version, state, request_id, notice_version,"
              + " notice_hash, notice_locale, requested_at, confirmed_at, restricted) SELECT "
              + id
              + ", 'newsletter', 1, 'CONFIRMED', CONCAT('req-', CAST(r.x AS VARCHAR(22))), 1,"
              + " REPEAT('0', 64), 'en', "
              + (now - 86_400_000L)
              + ", "
              + (now - 3_600_000L)
              + ", MOD(r.x, 100) = 0 FROM "
              + series);
    }
  }

  private static long count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
