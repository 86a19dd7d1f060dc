package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.lists.ImportClass;
import org.optin4j.lists.ImportReport;
import org.optin4j.lists.ImportSource;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The bounded-memory claim of imports: a generated Mailchimp file of {@value #DEFAULT_ROWS} rows (or
 * {@code -Doptin4j.import.rows=N}) into a file-backed H2 database, run by its own surefire execution with a small heap
 * ({@code -Xmx96m}, see core/pom.xml), so that an import holding rows, events or the report's rows in memory fails here.
 */
class JdbcLargeImportTest {
  static final int DEFAULT_ROWS = 100_000;
  private static final int ROWS = Integer.getInteger("optin4j.import.rows", DEFAULT_ROWS);

  @TempDir Path dir;

  @Test
  void largeFileWithSmallHeapThenImportedInPagesWithEveryInvalidRowCounted() throws IOException {
    Path file = dir.resolve("subscribed_members_export_large.csv");
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write(
          "Email Address,First Name,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LAST_CHANGED\r\n");
      for (int i = 0; i < ROWS; i++) {
        if (i % 1000 == 999) {
          w.write("broken-" + i + ",,,,,,\r\n"); // invalid: more than the report lists
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
    JdbcDataSource ds = new JdbcDataSource();
    // QUERY_CACHE_SIZE as docs/jdbc.md recommends: an import uses more statements than H2 caches by
    // default.
    ds.setURL(
        "jdbc:h2:file:"
            + dir.resolve("db").toAbsolutePath()
            + ";DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64");
    ds.setUser("sa");
    TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
    try (OptIn optIn =
        Fixtures.builder(
                JdbcConsentStore.builder(ds).createSchema(true).build(),
                new RecordingMailer(),
                clock)
            .build()) {
      long start = System.nanoTime();
      ImportReport r =
          optIn
              .imports()
              .run(
                  ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
                      .purposes(Fixtures.NEWSLETTER)
                      .build(),
                  file,
                  null);
      long millis = (System.nanoTime() - start) / 1_000_000;
      Runtime rt = Runtime.getRuntime();
      System.out.printf(
          "imported %d rows in %d ms, max heap %d MB, used now %d MB%n",
          ROWS, millis, rt.maxMemory() >> 20, (rt.totalMemory() - rt.freeMemory()) >> 20);

      long invalid = ROWS / 1000;
      assertEquals(ROWS, r.rows());
      assertEquals(invalid, r.invalidCount());
      assertEquals(ImportReport.MAX_INVALID_LISTED, r.invalid().size());
      assertEquals(ROWS / 10, r.count(ImportClass.UNPROVEN));
      assertEquals(ROWS - ROWS / 10 - invalid, r.count(ImportClass.PROVEN));
      assertEquals(ROWS - invalid, optIn.operations().countSubjects());
      assertTrue(optIn.mayMail("p1@example.org", Fixtures.NEWSLETTER));
    }
  }
}
