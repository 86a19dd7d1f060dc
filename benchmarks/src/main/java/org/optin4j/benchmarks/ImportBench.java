package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportReport;
import org.optin4j.lists.ImportSource;

/**
 * Imports a generated Mailchimp "subscribed" file (9 in 10 rows proven with both IPs, 1 in 10 unproven, 1 in 1,000
 * invalid) into a fresh store on H2 (file) or PostgreSQL, and reports the time, the rows per second and the heap's
 * peak. Run with a small heap to check the bounded-memory claim:
 * {@code java -Xmx256m -cp benchmarks.jar org.optin4j.benchmarks.ImportBench h2|postgresql [rows]} (default 1,000,000).
 */
public final class ImportBench {
  private ImportBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "h2";
    int rows = args.length > 1 ? Integer.parseInt(args[1]) : 1_000_000;
    Path file = Files.createTempFile("optin4j-import-bench", ".csv");
    try {
      try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        w.write(
            "Email Address,First Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LAST_CHANGED\r\n");
        for (int i = 0; i < rows; i++) {
          if (i % 1000 == 999) {
            w.write("broken-" + i + ",,,,,,\r\n");
          } else if (i % 10 == 0) {
            w.write(
                "u"
                    + i
                    + "@example.org,\"Name, "
                    + i
                    + "\",2022-01-01 10:00:00,198.51.100.7,,,2022-01-01 10:00:00\r\n");
          } else {
            w.write(
                "p"
                    + i
                    + "@example.org,N"
                    + i
                    + ",2021-01-01 10:00:00,198.51.100.7,2021-01-01 10:05:00,198.51.100.8,2021-01-01 10:05:00\r\n");
          }
        }
      }
      try (HikariDataSource ds = Fixtures.dataSource(db, 2);
          OptIn optIn =
              Fixtures.optIn(
                      Fixtures.freshStore(ds, "bench_imp_"),
                      new Fixtures.LinkSink(),
                      "https://bench.example/optin")
                  .build()) {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        long[] nextReport = {100_000};
        ImportReport r =
            optIn
                .imports()
                .run(
                    ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
                        .purposes(PurposeId.of("newsletter"))
                        .build(),
                    file,
                    n -> {
                      if (n >= nextReport[0]) { // told after each unit of 500 valid rows
                        nextReport[0] += 100_000;
                        System.out.printf(
                            "  %,d rows after %.0f s%n", n, (System.nanoTime() - t0) / 1e9);
                      }
                    });
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
          if (pool.getType() == MemoryType.HEAP) {
            peak += pool.getPeakUsage().getUsed();
          }
        }
        System.out.printf(
            "%s: %,d rows (%,d proven, %,d unproven, %,d invalid) in %.1f s = %,.0f rows/s; max heap %d MB,"
                + " peak heap used %d MB (sum of pool peaks)%n",
            db,
            r.rows(),
            r.count(ImportClass.PROVEN),
            r.count(ImportClass.UNPROVEN),
            r.invalidCount(),
            seconds,
            r.rows() / seconds,
            Runtime.getRuntime().maxMemory() >> 20,
            peak >> 20);
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
