package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.Retention;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.keys.SigningKeys;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.SendOutcome;

/** What the benchmarks share: the purpose catalog, an {@link OptIn} set up for load, databases and a link sink. */
final class Fixtures {
  /** The table prefix of every benchmark schema, so that no test table of the project is touched. */
  static final String PREFIX = "bench_doi_";

  private Fixtures() {}

  static byte[] secret(int bytes) {
    byte[] b = new byte[bytes];
    new SecureRandom().nextBytes(b);
    return b;
  }

  static PurposeCatalog catalog() {
    return PurposeCatalog.builder()
        .locales(Locale.ENGLISH)
        .add(
            Purpose.builder("newsletter")
                .noRecipients()
                .noAutomatedDecisions()
                .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
                .text(
                    Locale.ENGLISH,
                    "Monthly newsletter",
                    "To send you our newsletter once a month.",
                    "Your email address")
                .build())
        .add(
            Purpose.builder("offers")
                .noRecipients()
                .noAutomatedDecisions()
                .retention(Retention.untilWithdrawn(Duration.ofDays(365)))
                .text(
                    Locale.ENGLISH,
                    "Special offers",
                    "To tell you about discounts.",
                    "Your email address")
                .build())
        .build();
  }

  /**
   * An {@link OptIn} as a node under load would run it: the defaults, except caps that a load test of distinct
   * addresses never reaches anyway, and a dispatcher that polls often (it is woken after each commit regardless).
   */
  static OptIn.Builder optIn(ConsentStore store, Mailer mailer, String baseUrl) {
    return OptIn.builder()
        .catalog(catalog())
        .controller(
            new Controller("Bench B.V.", "Benchstraat 1, Utrecht", "privacy@bench.example", null)
                .withSupervisoryAuthority(
                    "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
        .store(store)
        .mailer(mailer)
        .signingKeys(SigningKeys.builder().active("k1", secret(32)).build())
        .suppressionPepper(secret(32))
        .baseUrl(baseUrl);
  }

  /** A database for the JDBC benchmarks: H2 in a fresh file, or PostgreSQL (database created if absent). */
  static HikariDataSource dataSource(String db, int poolSize) {
    HikariConfig c = new HikariConfig();
    c.setMaximumPoolSize(poolSize);
    c.setMinimumIdle(poolSize);
    c.setPoolName("bench-" + db);
    switch (db) {
      case "h2" -> {
        try {
          Path dir = Files.createTempDirectory("optin4j-bench-h2");
          deleteOnExit(dir); // a million-subject file is some hundred MB
          // QUERY_CACHE_SIZE: H2 parses again any statement that fell out of its per-session cache
          // (default 8; the
          // signup path alone uses a dozen): docs/jdbc.md recommends 64 for optin4j, and the floor
          // gets it too.
          c.setJdbcUrl(
              "jdbc:h2:file:"
                  + dir.resolve("bench")
                  + ";DB_CLOSE_ON_EXIT=FALSE;QUERY_CACHE_SIZE=64");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        c.setUsername("sa");
        c.setPassword("");
      }
      case "postgresql" -> {
        // reWriteBatchedInserts: the bulk loads' batches go as multi-row INSERTs (no effect on
        // single statements).
        String url =
            System.getProperty(
                "bench.pg.url",
                "jdbc:postgresql://127.0.0.1:5432/optin4j_bench?reWriteBatchedInserts=true");
        String user = System.getProperty("bench.pg.user", "postgres");
        createPostgresDatabase(url, user);
        c.setJdbcUrl(url);
        c.setUsername(user);
      }
      default -> throw new IllegalArgumentException("database must be h2 or postgresql, was " + db);
    }
    return new HikariDataSource(c);
  }

  private static void deleteOnExit(Path dir) {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try (var files = Files.walk(dir)) {
                    files
                        .sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
                  } catch (IOException | RuntimeException e) {
                    // best effort: it is a temp dir
                  }
                }));
  }

  private static void createPostgresDatabase(String url, String user) {
    int slash = url.lastIndexOf('/');
    String name = url.substring(slash + 1).replaceAll("\\?.*", "");
    if (!name.matches("[a-z_][a-z0-9_]*")) {
      throw new IllegalArgumentException("database name " + name);
    }
    try (Connection con =
            DriverManager.getConnection(url.substring(0, slash + 1) + "postgres", user, null);
        Statement st = con.createStatement();
        var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'")) {
      if (!rs.next()) {
        st.execute("CREATE DATABASE " + name);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(
          "cannot create PostgreSQL database " + name + ": " + e.getMessage(), e);
    }
  }

  /** Drops the benchmark tables (prefix {@value #PREFIX}) and the floor's, and creates the store's schema. */
  static JdbcConsentStore freshStore(javax.sql.DataSource ds) {
    return freshStore(ds, PREFIX);
  }

  /** Drops every table whose name starts with the prefix (and the floor's), and creates the store's schema. */
  static JdbcConsentStore freshStore(javax.sql.DataSource ds, String prefix) {
    dropTables(ds, prefix);
    return store(ds, prefix, true);
  }

  static JdbcConsentStore store(javax.sql.DataSource ds, String prefix, boolean create) {
    return JdbcConsentStore.builder(ds).tablePrefix(prefix).createSchema(create).build();
  }

  static void dropTables(javax.sql.DataSource ds, String prefix) {
    try (Connection con = ds.getConnection()) {
      List<String> tables = new ArrayList<>();
      try (var rs = con.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
        while (rs.next()) {
          String name = rs.getString("TABLE_NAME");
          String schema = rs.getString("TABLE_SCHEM");
          String lower = name.toLowerCase(Locale.ROOT);
          boolean ours = lower.startsWith(prefix) || lower.equals("floor_signups");
          if (ours && (schema == null || schema.equalsIgnoreCase("public"))) {
            tables.add(name);
          }
        }
      }
      try (Statement st = con.createStatement()) {
        for (String t : tables) {
          st.execute("DROP TABLE IF EXISTS \"" + t + "\" CASCADE");
        }
      }
      if (!con.getAutoCommit()) {
        con.commit();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether the table exists and has exactly {@code rows} rows (to reuse a bulk load between runs). */
  static boolean hasRows(javax.sql.DataSource ds, String table, long rows) {
    try (Connection con = ds.getConnection();
        Statement st = con.createStatement();
        var rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      return rs.next() && rs.getLong(1) == rows;
    } catch (SQLException e) {
      return false;
    }
  }

  /** A mailer that sends nothing and hands every link a mail carries to the load driver. Thread-safe. */
  static final class LinkSink implements Mailer {
    private static final Pattern CONFIRM =
        Pattern.compile("https?://\\S+?/confirm\\?token=([A-Za-z0-9._-]+)");
    final BlockingQueue<String> confirmTokens = new LinkedBlockingQueue<>();

    @Override
    public List<SendOutcome> send(List<MailMessage> batch) {
      List<SendOutcome> out = new ArrayList<>(batch.size());
      for (MailMessage m : batch) {
        Matcher matcher = CONFIRM.matcher(m.text());
        if (matcher.find()) {
          confirmTokens.add(matcher.group(1));
        }
        out.add(new SendOutcome.Sent());
      }
      return out;
    }
  }
}
