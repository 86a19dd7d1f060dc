package org.optin4j.jdbc;

import java.time.Clock;
import java.time.Duration;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A node that only dispatches, in a JVM of its own, for {@link JdbcDispatchKillPostgresTest} to kill with SIGKILL:
 * {@code DispatchingNode <schema> <tablePrefix> <smtpPort>}. It shares the test's PostgreSQL schema and pepper (so its
 * mails get the {@code Message-ID}s any node would give them), sends to the test's GreenMail, and runs until killed.
 */
public final class DispatchingNode {
  private DispatchingNode() {}

  /**
   * Starts dispatching and waits to be killed.
   *
   * @param args schema, table prefix, SMTP port
   * @throws InterruptedException never in practice: the process is killed
   */
  public static void main(String[] args) throws InterruptedException {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {System.getProperty("optin4j.pg.host", "127.0.0.1")});
    ds.setPortNumbers(new int[] {Integer.getInteger("optin4j.pg.port", 5432)});
    ds.setDatabaseName(System.getProperty("optin4j.pg.database", "test"));
    ds.setUser(System.getProperty("optin4j.pg.user", "postgres"));
    ds.setCurrentSchema(args[0]);
    JdbcConsentStore store = JdbcConsentStore.builder(ds).tablePrefix(args[1]).build();
    OptIn node = node(store, Integer.parseInt(args[2]));
    node.start();
    System.out.println("dispatching");
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }

  /** The node setup both JVMs use: 50 mails a batch, the shortest lease the builder accepts (10 s). */
  static OptIn node(JdbcConsentStore store, int smtpPort) {
    SmtpMailer mailer =
        SmtpMailer.builder()
            .host("127.0.0.1")
            .port(smtpPort)
            .security(SmtpMailer.Security.NONE)
            .from("no-reply@bakery.example")
            .build();
    return OptIn.builder()
        .catalog(Fixtures.catalog())
        .controller(Fixtures.controller())
        .store(store)
        .mailer(mailer)
        .signingKeys(SigningKeys.generate("k1"))
        .suppressionPepper(Fixtures.PEPPER)
        .baseUrl(Fixtures.BASE_URL)
        .clock(Clock.systemUTC())
        .confirmationMailCap(3, Duration.ZERO)
        .dispatch(Duration.ofMillis(100), 50, JdbcDispatchKillPostgresTest.LEASE)
        .build();
  }
}
