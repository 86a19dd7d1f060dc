package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.operations.PurgeReport;
import org.optin4j.proof.ConsentEvent;

/**
 * The retention job on PostgreSQL with a million never confirmed signups: bulk-loads 1,000,000 subjects, each as a
 * signup leaves it (one OPEN request, its PENDING consent, its REQUESTED event sealed into the subject's hash chain and
 * the chain head, its SENT confirmation mail; plain SQL batches into the store's tables), then runs {@code
 * OptIn.operations().purge()} while one thread keeps signing up new addresses through {@code OptIn.request} (one every 5 ms). The
 * signups' latency is recorded for 20 s before the purge (the normal p99) and during it. Bounded: after {@code
 * maxSeconds} the purge is abandoned (its pool closed), and the rate so far is reported with the time the whole
 * million would take at that rate.
 *
 * <p>Two scenarios, by {@code -Dbench.expiredDaysAgo} (default 8): links that ran out longer ago than the 7-day grace
 * for unconfirmed signups (a flood's leftovers, or a job that did not run for a while) are deleted outright; links
 * that ran out within the grace ({@code -Dbench.expiredDaysAgo=2}) are marked expired (consent EXPIRED, an EXPIRED
 * event sealed into the chain, request EXPIRED). {@code -Dbench.history=false} loads the bare request and consent
 * only, as this benchmark did at first.
 *
 * <p>Run: {@code java -cp benchmarks.jar org.optin4j.benchmarks.PurgeBench [requests] [maxSeconds]}, defaults
 * 1000000, 600.
 */
public final class PurgeBench {
  static final String PREFIX = "bench_purge_";

  private PurgeBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int maxSeconds = args.length > 1 ? Integer.parseInt(args[1]) : 600;
    String db = System.getProperty("bench.db", "postgresql");
    HikariDataSource ds = Fixtures.dataSource(db, 8);
    Fixtures.freshStore(ds, PREFIX);
    int expiredDaysAgo = Integer.getInteger("bench.expiredDaysAgo", 8);
    boolean history = Boolean.parseBoolean(System.getProperty("bench.history", "true"));
    long t0 = System.nanoTime();
    if ("postgresql".equals(db)) {
      loadSetBased(ds, n, expiredDaysAgo, history);
    } else {
      load(ds, n, expiredDaysAgo, history);
    }
    MayMailBench.analyze(ds, db);
    System.out.printf(
        Locale.ROOT,
        "loaded %d open requests expired %d days ago (%s) in %.1f s; load: %s%n",
        n,
        expiredDaysAgo,
        history ? "with events, heads and mails" : "requests and consents only",
        (System.nanoTime() - t0) / 1e9,
        Load.now());
    OptIn optIn =
        Fixtures.optIn(
                Fixtures.store(ds, PREFIX, false),
                new Fixtures.LinkSink(),
                "http://127.0.0.1:18080/app/optin")
            .build();
    try {
      Signups warm = Signups.start(optIn, "warm");
      Thread.sleep(1000L * Integer.getInteger("bench.warmSeconds", 5));
      warm.stop();
      Signups normal = Signups.start(optIn, "normal");
      Thread.sleep(1000L * Integer.getInteger("bench.normalSeconds", 20));
      long[] normalLat = normal.stop();
      Signups during = Signups.start(optIn, "purge");
      long start = System.nanoTime();
      CompletableFuture<PurgeReport> purge =
          CompletableFuture.supplyAsync(optIn.operations()::purge);
      PurgeReport report = null;
      try {
        report = purge.get(maxSeconds, TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        // reported below
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      long[] duringLat = during.stop();
      // Seeded items done: requests marked expired, plus subjects deleted outright.
      long marked =
          count(
              ds,
              "SELECT COUNT(*) FROM "
                  + PREFIX
                  + "requests WHERE status = 'EXPIRED' AND id LIKE 'req-%'");
      long deleted =
          n - count(ds, "SELECT COUNT(*) FROM " + PREFIX + "subjects WHERE email LIKE 'p%'");
      long done = marked + deleted;
      double normalP99 = p(normalLat, 0.99);
      double duringP99 = p(duringLat, 0.99);
      System.out.printf(
          Locale.ROOT,
          "%n%s, %d open requests expired %d days ago, load now: %s%n",
          db,
          n,
          expiredDaysAgo,
          Load.now());
      System.out.printf(
          Locale.ROOT,
          "signups before: %d, p50 %.2f ms, p99 %.2f ms; during the purge: %d, p50 %.2f ms, "
              + "p99 %.2f ms (%.1fx)%n",
          normalLat.length,
          p(normalLat, 0.5),
          normalP99,
          duringLat.length,
          p(duringLat, 0.5),
          duringP99,
          duringP99 / normalP99);
      System.out.printf(
          Locale.ROOT,
          "seeded requests marked expired: %d, seeded subjects deleted: %d (%.0f/s)%n",
          marked,
          deleted,
          done / seconds);
      if (report != null) {
        System.out.printf(
            Locale.ROOT,
            "RESULT purge of %d requests took %.1f s (%s) target < 30 s: %s; signup p99 "
                + "%.1fx normal, target < 5x: %s%n",
            n,
            seconds,
            report,
            seconds < 30 ? "MET" : "MISSED",
            duringP99 / normalP99,
            duringP99 < 5 * normalP99 ? "MET" : "MISSED");
        if (done != n) {
          throw new IllegalStateException(
              "the purge finished but handled " + done + " of " + n + " seeded signups");
        }
      } else {
        double rate = done / seconds;
        System.out.printf(
            Locale.ROOT,
            "RESULT purge abandoned after %.0f s with %d of %d requests done (%.0f/s): "
                + "the whole would take about %.0f s; target < 30 s: MISSED; signup p99 %.1fx normal, target < 5x: %s%n",
            seconds,
            done,
            n,
            rate,
            n / rate,
            duringP99 / normalP99,
            duringP99 < 5 * normalP99 ? "MET" : "MISSED");
      }
    } finally {
      optIn.close();
      ds.close(); // also ends an abandoned purge
    }
  }

  private static double p(long[] lat, double q) {
    long[] s = lat.clone();
    Arrays.sort(s);
    return s.length == 0
        ? Double.NaN
        : s[Math.min(s.length - 1, (int) Math.ceil(q * s.length) - 1)] / 1e6;
  }

  private static long count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * The rows of {@link #load}, written by PostgreSQL itself ({@code INSERT ... SELECT} over {@code generate_series},
   * 100,000 subjects per transaction): the same ids, addresses, times and values, except that each seeded event's
   * salt, digest and chain hash are distinct placeholders rather than a seal the library would verify. The purge
   * reads none of them: it deletes these chains, or (marking) seals the next event on the head it reads.
   */
  static void loadSetBased(DataSource ds, int n, int expiredDaysAgo, boolean history)
      throws SQLException {
    long now = System.currentTimeMillis();
    long day = 86_400_000L;
    long requestedAt = now - 10 * day;
    // MayMailBench.subjectId in SQL: base64url of the 8 bytes 0x006f7074696e346a and i as 8
    // big-endian bytes.
    String id =
        "rtrim(translate(encode(decode('006f7074696e346a' || lpad(to_hex(i), 16, '0'), 'hex'),"
            + " 'base64'), '+/', '-_'), '=')";
    String zeros = "repeat('0', 64)";
    String[] inserts = {
      "INSERT INTO "
          + PREFIX
          + "subjects (id, email, created_at)"
          + " SELECT "
          + id
          + ", 'p' || i || '@bench.example', "
          + requestedAt,
      "INSERT INTO "
          + PREFIX
          + "requests (id, subject_id, purposes, notice_version, notice_hash,"
          + " notice_locale, source, requested_at, expires_at, generation, status)"
          + " SELECT 'req-' || i, "
          + id
          + ", 'newsletter', 1, "
          + zeros
          + ", 'en', 'bench', "
          + requestedAt
          + ", "
          + (now - expiredDaysAgo * day)
          + " - i % 86400000, 1, 'OPEN'",
      "INSERT INTO "
          + PREFIX
          + "consents (subject_id, purpose, purpose_version, state, request_id,"
          + " notice_version, notice_hash, notice_locale, requested_at, restricted)"
          + " SELECT "
          + id
          + ", 'newsletter', 1, 'PENDING', 'req-' || i, 1, "
          + zeros
          + ", 'en', "
          + requestedAt
          + ", FALSE",
      "INSERT INTO "
          + PREFIX
          + "events (subject_id, purpose, event_type, occurred_at, request_id,"
          + " notice_version, notice_hash, notice_locale, source, channel, chain_position, previous_hash,"
          + " details_salt, details_digest, chain_hash)"
          + " SELECT "
          + id
          + ", 'newsletter', 'REQUESTED', "
          + requestedAt
          + ", 'req-' || i, 1, "
          + zeros
          + ", 'en', 'bench', 'FORM', 1, "
          + zeros
          + ", md5(i::text), md5(i::text) || md5(i::text),"
          + " md5((i + 1)::text) || md5(i::text)",
      "INSERT INTO "
          + PREFIX
          + "history_heads (subject_id, chain_position, head_hash)"
          + " SELECT "
          + id
          + ", 1, md5((i + 1)::text) || md5(i::text)",
      "INSERT INTO "
          + PREFIX
          + "outbox (id, kind, subject_id, recipient, request_id, generation, locale,"
          + " purposes, dedupe_key, status, attempts, next_attempt_at, created_at, sent_at)"
          + " SELECT 'mail-' || i, 'CONFIRMATION', "
          + id
          + ", 'p' || i || '@bench.example', 'req-' || i, 1,"
          + " 'en', 'newsletter', 'confirm-req-' || i || '-1', 'SENT', 1, "
          + requestedAt
          + ", "
          + requestedAt
          + ", "
          + requestedAt
    };
    int tables = history ? inserts.length : 3;
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      for (int from = 0; from < n; from += 100_000) {
        int to = Math.min(n, from + 100_000) - 1;
        for (int t = 0; t < tables; t++) {
          try (PreparedStatement ps =
              c.prepareStatement(inserts[t] + " FROM generate_series(?::bigint, ?::bigint) AS i")) {
            ps.setLong(1, from);
            ps.setLong(2, to);
            ps.executeUpdate();
          }
        }
        c.commit();
      }
    }
  }

  /**
   * Subjects created 10 days ago with one open request each, which expired {@code expiredDaysAgo} days ago, and its
   * pending newsletter consent; with {@code history}, also the REQUESTED event sealed into the subject's chain, the
   * chain head, and the SENT confirmation mail, as a signup leaves them.
   */
  static void load(DataSource ds, int n, int expiredDaysAgo, boolean history) throws SQLException {
    long now = System.currentTimeMillis();
    long day = 86_400_000L;
    String hash = "0".repeat(64);
    Consent.NoticeRef notice = new Consent.NoticeRef(1, hash, Locale.ENGLISH);
    PurposeId newsletter = PurposeId.of("newsletter");
    SecureRandom salts = new SecureRandom();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO " + PREFIX + "subjects (id, email, created_at) VALUES (?, ?, ?)");
          PreparedStatement r =
              c.prepareStatement(
                  "INSERT INTO "
                      + PREFIX
                      + "requests (id, subject_id, purposes, "
                      + "notice_version, notice_hash, notice_locale, source, requested_at, expires_at, generation, status) "
                      + "VALUES (?, ?, 'newsletter', 1, ?, 'en', 'bench', ?, ?, 1, 'OPEN')");
          PreparedStatement k =
              c.prepareStatement(
                  "INSERT INTO "
                      + PREFIX
                      + "consents (subject_id, purpose, "
                      + "purpose_version, state, request_id, notice_version, notice_hash, notice_locale, requested_at, "
                      + "restricted) VALUES (?, 'newsletter', 1, 'PENDING', ?, 1, ?, 'en', ?, FALSE)");
          PreparedStatement e =
              c.prepareStatement(
                  "INSERT INTO "
                      + PREFIX
                      + "events (subject_id, purpose, "
                      + "event_type, occurred_at, request_id, notice_version, notice_hash, notice_locale, source, channel, "
                      + "chain_position, previous_hash, details_salt, details_digest, chain_hash) "
                      + "VALUES (?, 'newsletter', 'REQUESTED', ?, ?, 1, ?, 'en', 'bench', 'FORM', 1, ?, ?, ?, ?)");
          PreparedStatement h =
              c.prepareStatement(
                  "INSERT INTO "
                      + PREFIX
                      + "history_heads (subject_id, "
                      + "chain_position, head_hash) VALUES (?, 1, ?)");
          PreparedStatement m =
              c.prepareStatement(
                  "INSERT INTO "
                      + PREFIX
                      + "outbox (id, kind, subject_id, "
                      + "recipient, request_id, generation, locale, purposes, dedupe_key, status, attempts, next_attempt_at, "
                      + "created_at, sent_at) VALUES (?, 'CONFIRMATION', ?, ?, ?, 1, 'en', 'newsletter', ?, 'SENT', 1, ?, ?, "
                      + "?)")) {
        for (int i = 0; i < n; i++) {
          String id = MayMailBench.subjectId(i);
          String req = "req-" + i;
          String email = "p" + i + "@bench.example";
          long requestedAt = now - 10 * day;
          s.setString(1, id);
          s.setString(2, email);
          s.setLong(3, requestedAt);
          s.addBatch();
          r.setString(1, req);
          r.setString(2, id);
          r.setString(3, hash);
          r.setLong(4, requestedAt);
          r.setLong(5, now - expiredDaysAgo * day - i % 86_400_000);
          r.addBatch();
          k.setString(1, id);
          k.setString(2, req);
          k.setString(3, hash);
          k.setLong(4, requestedAt);
          k.addBatch();
          if (history) {
            byte[] salt = new byte[16];
            salts.nextBytes(salt);
            ConsentEvent.Seal seal =
                new ConsentEvent(
                        0,
                        new SubjectId(id),
                        newsletter,
                        ConsentEvent.Type.REQUESTED,
                        Instant.ofEpochMilli(requestedAt),
                        req,
                        notice,
                        "bench",
                        Channel.FORM,
                        Evidence.NONE,
                        null)
                    .sealed(1, ConsentEvent.Seal.GENESIS, salt)
                    .seal();
            e.setString(1, id);
            e.setLong(2, requestedAt);
            e.setString(3, req);
            e.setString(4, hash);
            e.setString(5, seal.previousHash());
            e.setString(6, seal.detailsSalt());
            e.setString(7, seal.detailsDigest());
            e.setString(8, seal.hash());
            e.addBatch();
            h.setString(1, id);
            h.setString(2, seal.hash());
            h.addBatch();
            m.setString(1, "mail-" + i);
            m.setString(2, id);
            m.setString(3, email);
            m.setString(4, req);
            m.setString(5, "confirm-" + req + "-1");
            m.setLong(6, requestedAt);
            m.setLong(7, requestedAt);
            m.setLong(8, requestedAt);
            m.addBatch();
          }
          if ((i + 1) % 5000 == 0 || i == n - 1) {
            s.executeBatch();
            r.executeBatch();
            k.executeBatch();
            if (history) {
              e.executeBatch();
              h.executeBatch();
              m.executeBatch();
            }
            c.commit();
          }
        }
      }
    }
  }

  /** One thread signing up a new address every 5 ms, recording each call's latency. */
  static final class Signups {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final long[] latencies = new long[1_000_000];
    private int count;
    private final Thread thread;

    private Signups(OptIn optIn, String tag) {
      thread =
          new Thread(
              () -> {
                PurposeId newsletter = PurposeId.of("newsletter");
                long next = System.nanoTime();
                while (running.get() && count < latencies.length) {
                  long t0 = System.nanoTime();
                  RequestResult r =
                      optIn.request(
                          ConsentRequest.of(
                              "s" + count + "-" + tag + "-" + t0 + "@bench.example",
                              Locale.ENGLISH,
                              newsletter));
                  latencies[count++] = System.nanoTime() - t0;
                  if (!(r instanceof RequestResult.Accepted)) {
                    throw new IllegalStateException("signup not accepted: " + r);
                  }
                  next += 5_000_000L;
                  long wait = next - System.nanoTime();
                  if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                  } else {
                    next = System.nanoTime();
                  }
                }
              },
              "signups-" + tag);
      thread.start();
    }

    static Signups start(OptIn optIn, String tag) {
      return new Signups(optIn, tag);
    }

    long[] stop() throws InterruptedException {
      running.set(false);
      thread.join();
      return Arrays.copyOf(latencies, count);
    }
  }
}
