package org.optin4j.jdbc;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.feed.WebhookSettings;
import org.optin4j.keys.SigningKeys;
import org.optin4j.testing.RecordingMailer;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A node that delivers webhooks, in a JVM of its own, for {@link JdbcWebhookKillPostgresTest} to kill with SIGKILL:
 * {@code WebhookNode <schema> <tablePrefix>}. It shares the test's PostgreSQL schema and pepper (so it opens the
 * endpoint's sealed secrets as any node would) and runs until killed.
 */
public final class WebhookNode {
  private static final byte[] KEY;

  static {
    try {
      KEY =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(
                  "webhook kill test signing key"
                      .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private WebhookNode() {}

  /**
   * Starts delivering and waits to be killed.
   *
   * @param args schema, table prefix
   * @throws InterruptedException never in practice: the process is killed
   */
  public static void main(String[] args) throws InterruptedException {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {System.getProperty("optin4j.pg.host", "127.0.0.1")});
    ds.setPortNumbers(new int[] {Integer.getInteger("optin4j.pg.port", 5432)});
    ds.setDatabaseName(System.getProperty("optin4j.pg.database", "test"));
    ds.setUser(System.getProperty("optin4j.pg.user", "postgres"));
    ds.setCurrentSchema(args[0]);
    OptIn node = node(JdbcConsentStore.builder(ds).tablePrefix(args[1]).build());
    node.start();
    System.out.println("delivering");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  /**
   * The node setup both JVMs use: batches of 5, timeouts of 0.5 s and 1 s, so the shortest lease the settings accept
   * is about 8 s; retries after 0.2 s, 0.5 s, 1 s, 2 s.
   */
  static OptIn node(JdbcConsentStore store) {
    WebhookSettings settings =
        WebhookSettings.defaults()
            .withPollInterval(Duration.ofMillis(100))
            .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(1))
            .withClaims(5, JdbcWebhookKillPostgresTest.LEASE)
            .withRetries(
                List.of(
                    Duration.ofMillis(200),
                    Duration.ofMillis(500),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(2)),
                Duration.ofMinutes(10))
            .allowingLoopbackHttp();
    return OptIn.builder()
        .catalog(Fixtures.catalog())
        .controller(Fixtures.controller())
        .store(store)
        .mailer(new RecordingMailer())
        // One key for both JVMs: the killed node stays in the node register until it lapses.
        .signingKeys(SigningKeys.builder().active("k1", KEY).build())
        .suppressionPepper(Fixtures.PEPPER)
        .baseUrl(Fixtures.BASE_URL)
        .clock(Clock.systemUTC())
        .confirmationMailCap(3, Duration.ZERO)
        .webhooks(settings)
        .build();
  }
}
