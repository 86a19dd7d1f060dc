package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import javax.sql.DataSource;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;

/**
 * "May I mail this address for purpose P?" with a million subjects: bulk-loads 1,000,000 subjects with a confirmed
 * newsletter consent each (every tenth also with a withdrawn offers consent) through the store's tables with plain
 * SQL batches, then times {@code OptIn.mayMail} one call at a time on one thread: 90 % addresses on file, 10 % not.
 * Prints p50, p99, p99.9 and max per run and the median p99 over the runs.
 *
 * <p>Run: {@code java -cp benchmarks.jar org.optin4j.benchmarks.MayMailBench h2|postgresql [subjects] [runs]
 * [callsPerRun]}, defaults 1000000, 5, 100000. The PostgreSQL load is kept (prefix {@value #PREFIX}) and reused by
 * the next run if it has the same size.
 */
public final class MayMailBench {
  static final String PREFIX = "bench_mm_";

  private MayMailBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "h2";
    int subjects = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int calls = args.length > 3 ? Integer.parseInt(args[3]) : 100_000;
    try (HikariDataSource ds = Fixtures.dataSource(db, 4)) {
      if (!Fixtures.hasRows(ds, PREFIX + "subjects", subjects)) {
        Fixtures.freshStore(ds, PREFIX);
        long t0 = System.nanoTime();
        load(ds, PREFIX, subjects, 0);
        System.out.printf(
            Locale.ROOT,
            "loaded %d subjects in %.1f s%n",
            subjects,
            (System.nanoTime() - t0) / 1e9);
      } else {
        System.out.printf(Locale.ROOT, "reusing the %d subjects already loaded%n", subjects);
      }
      analyze(ds, db);
      try (OptIn optIn =
          Fixtures.optIn(
                  Fixtures.store(ds, PREFIX, false),
                  new Fixtures.LinkSink(),
                  "http://127.0.0.1:18080/app/optin")
              .build()) {
        PurposeId newsletter = PurposeId.of("newsletter");
        if (!optIn.mayMail(email(7), newsletter)
            || optIn.mayMail("nobody@bench.example", newsletter)
            || optIn.mayMail(email(10), PurposeId.of("offers"))) {
          throw new IllegalStateException("the bulk load does not answer as expected");
        }
        SplittableRandom random = new SplittableRandom(42);
        measure(optIn, newsletter, random, subjects, Math.min(calls, 20_000)); // warm-up
        List<Double> p99s = new ArrayList<>();
        for (int r = 1; r <= runs; r++) {
          long[] lat = measure(optIn, newsletter, random, subjects, calls);
          Arrays.sort(lat);
          double p99 = pct(lat, 0.99);
          p99s.add(p99);
          System.out.printf(
              Locale.ROOT,
              "run %d: %d calls, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
              r,
              calls,
              pct(lat, 0.50),
              p99,
              pct(lat, 0.999),
              lat[lat.length - 1] / 1e6);
        }
        double median = Wrk.median(p99s);
        System.out.printf(
            Locale.ROOT,
            "%n%s, %d subjects, %d runs of %d calls, load now: %s%n",
            db,
            subjects,
            runs,
            calls,
            Load.now());
        System.out.printf(
            Locale.ROOT,
            "RESULT mayMail p99 median %.3f ms (runs %s) target < 1 ms: %s%n",
            median,
            p99s.stream().map(d -> String.format(Locale.ROOT, "%.3f", d)).toList(),
            median < 1 ? "MET" : "MISSED");
      }
    }
  }

  private static long[] measure(
      OptIn optIn, PurposeId purpose, SplittableRandom random, int subjects, int calls) {
    long[] lat = new long[calls];
    int yes = 0;
    for (int i = 0; i < calls; i++) {
      boolean known = random.nextInt(10) != 0;
      String email =
          known ? email(random.nextInt(subjects)) : "x" + random.nextInt() + "@nobody.example";
      long t0 = System.nanoTime();
      boolean may = optIn.mayMail(email, purpose);
      lat[i] = System.nanoTime() - t0;
      yes += may ? 1 : 0;
    }
    if (yes == 0) {
      throw new IllegalStateException("no address may be mailed");
    }
    return lat;
  }

  private static double pct(long[] sorted, double p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
  }

  static String email(int i) {
    return "u" + i + "@bench.example";
  }

  static String subjectId(int i) {
    byte[] b = ByteBuffer.allocate(16).putLong(0x6f7074696e346aL).putLong(i).array();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** Refreshes the planner's statistics after a bulk load, as a DBA would (autovacuum would, later). */
  static void analyze(DataSource ds, String db) throws SQLException {
    if (!"postgresql".equals(db)) {
      return;
    }
    try (Connection c = ds.getConnection();
        var st = c.createStatement()) {
      st.execute("ANALYZE");
    }
  }

  /**
   * Inserts subjects {@code from .. from+n-1}, each with a confirmed newsletter consent, every tenth also with a
   * withdrawn offers consent; batches of 5,000 rows, one transaction per batch.
   */
  static void load(DataSource ds, String prefix, int n, int from) throws SQLException {
    String hash = "0".repeat(64);
    long now = System.currentTimeMillis();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement s =
              c.prepareStatement(
                  "INSERT INTO " + prefix + "subjects (id, email, created_at) VALUES (?, ?, ?)");
          PreparedStatement k =
              c.prepareStatement(
                  "INSERT INTO "
                      + prefix
                      + "consents (subject_id, purpose, "
                      + "purpose_version, state, request_id, notice_version, notice_hash, notice_locale, requested_at, "
                      + "confirmed_at, ended_at, restricted) VALUES (?, ?, 1, ?, ?, 1, ?, 'en', ?, ?, ?, FALSE)")) {
        for (int i = from; i < from + n; i++) {
          String id = subjectId(i);
          s.setString(1, id);
          s.setString(2, email(i));
          s.setLong(3, now - 86_400_000L);
          s.addBatch();
          consent(k, id, "newsletter", "CONFIRMED", "req-" + i, hash, now, null);
          if (i % 10 == 0) {
            consent(k, id, "offers", "WITHDRAWN", "req-" + i, hash, now, now);
          }
          if ((i - from + 1) % 5000 == 0 || i == from + n - 1) {
            s.executeBatch();
            k.executeBatch();
            c.commit();
          }
        }
      }
    }
  }

  private static void consent(
      PreparedStatement k,
      String id,
      String purpose,
      String state,
      String request,
      String hash,
      long now,
      Long ended)
      throws SQLException {
    k.setString(1, id);
    k.setString(2, purpose);
    k.setString(3, state);
    k.setString(4, request);
    k.setString(5, hash);
    k.setLong(6, now - 3_600_000L);
    k.setLong(7, now - 1_800_000L);
    if (ended == null) {
      k.setNull(8, java.sql.Types.BIGINT);
    } else {
      k.setLong(8, ended);
    }
    k.addBatch();
  }
}
