package org.optin4j.benchmarks;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.zaxxer.hikari.HikariDataSource;
import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.mail.SendingRate;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.DispatchReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.PendingRequest;

/**
 * Parallel dispatch (issue 17) against a same-run floor: {@code dispatchNow()} with K SMTP connections against K bare
 * Jakarta Mail connections (one thread each) composing the same text and HTML parts and sending them to the same
 * GreenMail, for confirmation mails (queued by {@code OptIn.request}) and for campaign mails (to subscribers written
 * confirmed straight into the store, queued by {@code sendToAllConfirmed}). Queueing is not timed; the library's time
 * includes claiming, the batched consent re-check, rendering, signing each mail's links and recording each outcome.
 *
 * <p>Run: {@code java -cp benchmarks.jar org.optin4j.benchmarks.ParallelDispatchBench memory|h2|postgresql [rounds]
 * [n] [smtpPort] [k]}, defaults memory, 3, 1000, 3025, 4.
 */
public final class ParallelDispatchBench {
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");

  private ParallelDispatchBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "memory";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int smtpPort = args.length > 3 ? Integer.parseInt(args[3]) : 3025;
    int k = args.length > 4 ? Integer.parseInt(args[4]) : 4;
    GreenMail greenMail =
        new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    HikariDataSource ds = "memory".equals(db) ? null : Fixtures.dataSource(db, k + 2);
    Properties props = new Properties();
    props.put("mail.smtp.host", "127.0.0.1");
    props.put("mail.smtp.port", String.valueOf(smtpPort));
    Session session = Session.getInstance(props);
    ExecutorService pool = Executors.newFixedThreadPool(k);
    try {
      ConsentStore store = ds == null ? InMemoryConsentStore.create() : Fixtures.freshStore(ds);
      try (OptIn optIn = optIn(store, smtpPort, k)) {
        for (String kind : List.of("confirmation", "campaign")) {
          List<Double> library = new ArrayList<>();
          List<Double> floor = new ArrayList<>();
          for (int r = 0; r <= rounds; r++) { // round 0 warms up
            String tag = kind.charAt(0) + "" + r;
            if (kind.equals("confirmation")) {
              confirmations(optIn, n, tag);
            } else {
              subscribers(store, n, tag);
              optIn.campaigns().sendToAllConfirmed(NEWSLETTER, "Issue " + r, "Hello.", null);
            }
            long t0 = System.nanoTime();
            DispatchReport report = optIn.operations().dispatchNow();
            long l = System.nanoTime() - t0;
            if (report.sent() != n) {
              throw new IllegalStateException(kind + " dispatched " + report);
            }
            String[] parts = DispatchBench.parts(greenMail.getReceivedMessages()[0]);
            greenMail.purgeEmailFromAllMailboxes();
            long f = floor(pool, session, parts, n, k, tag);
            greenMail.purgeEmailFromAllMailboxes();
            if (r > 0) {
              floor.add(n * 1e9 / f);
              library.add(n * 1e9 / l);
              System.out.printf(
                  Locale.ROOT,
                  "%s round %d: floor %.0f mails/s, library %.0f mails/s%n",
                  kind,
                  r,
                  floor.get(r - 1),
                  library.get(r - 1));
            }
          }
          System.out.printf(
              Locale.ROOT,
              "%n%s mails, %s store, K=%d, %d mails per run, %d rounds, load now: %s%n",
              kind,
              db,
              k,
              n,
              rounds,
              Load.now());
          System.out.printf(
              Locale.ROOT,
              "floor (%d bare connections) median %6.0f mails/s runs %s%n",
              k,
              Wrk.median(floor),
              Wrk.fmt(floor));
          System.out.printf(
              Locale.ROOT,
              "library dispatchNow()       median %6.0f mails/s runs %s%n",
              Wrk.median(library),
              Wrk.fmt(library));
          HttpBench.report(
              "parallel dispatch, " + kind + " (" + db + ", K=" + k + ")", library, floor, 0.80);
        }
      }
    } finally {
      pool.shutdownNow();
      greenMail.stop();
      if (ds != null) {
        ds.close();
      }
    }
  }

  private static OptIn optIn(ConsentStore store, int port, int k) {
    SmtpMailer mailer =
        SmtpMailer.builder()
            .host("127.0.0.1")
            .port(port)
            .security(SmtpMailer.Security.NONE)
            .from("news@bench.example")
            .build();
    return Fixtures.optIn(store, mailer, "http://127.0.0.1:18080/app/optin")
        .sendingRate(SendingRate.unlimited().withConnections(k))
        .build();
  }

  private static void confirmations(OptIn optIn, int n, String tag) {
    for (int i = 0; i < n; i++) {
      RequestResult r =
          optIn.request(
              ConsentRequest.of(
                  "d" + i + "-" + tag + "@bench.example", Locale.ENGLISH, NEWSLETTER));
      if (!(r instanceof RequestResult.Accepted)) {
        throw new IllegalStateException("not accepted: " + r);
      }
    }
  }

  /**
   * Writes n confirmed newsletter subscribers straight into the store (the campaign then goes to them and to those
   * of earlier rounds, who withdraw first so that each round mails exactly n).
   */
  private static void subscribers(ConsentStore store, int n, String tag) {
    Instant now = Instant.now();
    Consent.NoticeRef notice = new Consent.NoticeRef(1, Notice.sha256("bench"), Locale.ENGLISH);
    store.inTransaction(
        tx -> {
          // Earlier rounds' subscribers leave the list: each campaign mails exactly this round's n.
          for (SubjectId id :
              tx.subjects()
                  .subjects(Set.of(NEWSLETTER), Set.of(ConsentState.CONFIRMED), null, 1_000_000)) {
            tx.subjects()
                .consent(id, NEWSLETTER)
                .ifPresent(c -> tx.subjects().saveConsent(c.withdraw(now)));
          }
          for (int i = 0; i < n; i++) {
            String name = tag + "x" + i;
            SubjectId id = new SubjectId(name + "-".repeat(22 - name.length()));
            tx.subjects()
                .insertSubject(new Subject(id, EmailAddress.parse(name + "@bench.example"), now));
            String requestId = "rq-" + name;
            tx.requests()
                .insertRequest(
                    new PendingRequest(
                        requestId,
                        id,
                        Set.of(NEWSLETTER),
                        notice,
                        "bench",
                        Evidence.NONE,
                        now,
                        now.plusSeconds(3600),
                        1,
                        PendingRequest.Status.OPEN,
                        null));
            tx.subjects()
                .saveConsent(
                    new Consent(
                            id,
                            NEWSLETTER,
                            1,
                            ConsentState.PENDING,
                            requestId,
                            notice,
                            now,
                            null,
                            null,
                            false)
                        .confirm(now));
          }
          return null;
        });
  }

  /** The floor: k threads, each composing its share of n mails and sending them over its own connection. */
  private static long floor(
      ExecutorService pool, Session session, String[] parts, int n, int k, String tag)
      throws Exception {
    long t0 = System.nanoTime();
    List<Future<?>> done = new ArrayList<>();
    for (int w = 0; w < k; w++) {
      int worker = w;
      done.add(
          pool.submit(
              () -> {
                try (Transport transport = session.getTransport("smtp")) {
                  transport.connect();
                  for (int i = worker; i < n; i += k) {
                    InternetAddress to =
                        new InternetAddress("f" + i + "-" + tag + "@bench.example");
                    transport.sendMessage(
                        DispatchBench.compose(session, parts, to), new Address[] {to});
                  }
                }
                return null;
              }));
    }
    for (Future<?> f : done) {
      f.get();
    }
    return System.nanoTime() - t0;
  }
}
