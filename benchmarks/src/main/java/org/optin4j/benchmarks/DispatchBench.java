package org.optin4j.benchmarks;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.zaxxer.hikari.HikariDataSource;
import jakarta.mail.Address;
import jakarta.mail.BodyPart;
import jakarta.mail.Message;
import jakarta.mail.Multipart;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.DispatchReport;
import org.optin4j.spi.ConsentStore;

/**
 * Outbox dispatch to a local GreenMail: {@code optIn.operations().dispatchNow()} over {@code n} queued confirmation mails
 * (claim,
 * render, sign the link, compose, send over {@code SmtpMailer}, record the outcome), against the floor of Jakarta Mail
 * composing the same text and HTML parts and sending them over one connection reused for the whole batch. Queueing
 * the mails ({@code OptIn.request}) is not timed. A first run through a counting proxy checks how many SMTP
 * connections the dispatcher opens.
 *
 * <p>Run: {@code java -cp benchmarks.jar org.optin4j.benchmarks.DispatchBench memory|h2|postgresql [rounds] [n]
 * [smtpPort]}, defaults memory, 5, 1000, 3025.
 */
public final class DispatchBench {
  private DispatchBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "memory";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 1000;
    int smtpPort = args.length > 3 ? Integer.parseInt(args[3]) : 3025;
    GreenMail greenMail =
        new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    greenMail.start();
    HikariDataSource ds = "memory".equals(db) ? null : Fixtures.dataSource(db, 4);
    try (CountingProxy proxy = new CountingProxy(smtpPort)) {
      ConsentStore store = ds == null ? InMemoryConsentStore.create() : Fixtures.freshStore(ds);
      // The connection count, once, through the proxy.
      try (OptIn counted = optIn(store, proxy.port())) {
        queue(counted, 200, "count");
        DispatchReport r = counted.operations().dispatchNow();
        System.out.printf(
            Locale.ROOT,
            "connections: %d SMTP connections for %d mails (batch size %d)%n",
            proxy.accepted.get(),
            r.sent(),
            50);
      }
      Properties props = new Properties();
      props.put("mail.smtp.host", "127.0.0.1");
      props.put("mail.smtp.port", String.valueOf(smtpPort));
      Session session = Session.getInstance(props);
      MimeMessage sample = greenMail.getReceivedMessages()[0];
      String[] parts = parts(sample);
      greenMail.purgeEmailFromAllMailboxes();
      List<Double> library = new ArrayList<>();
      List<Double> floor = new ArrayList<>();
      try (OptIn optIn = optIn(store, smtpPort)) {
        for (int r = 0; r <= rounds; r++) { // round 0 warms up
          long f = floor(session, parts, n, r);
          greenMail.purgeEmailFromAllMailboxes();
          queue(optIn, n, "r" + r);
          long t0 = System.nanoTime();
          DispatchReport report = optIn.operations().dispatchNow();
          long l = System.nanoTime() - t0;
          greenMail.purgeEmailFromAllMailboxes();
          if (report.sent() != n) {
            throw new IllegalStateException("dispatched " + report);
          }
          if (r > 0) {
            floor.add(n * 1e9 / f);
            library.add(n * 1e9 / l);
            System.out.printf(
                Locale.ROOT,
                "round %d: floor %.0f mails/s, library %.0f mails/s%n",
                r,
                floor.get(r - 1),
                library.get(r - 1));
          }
        }
      }
      System.out.printf(
          Locale.ROOT,
          "%n%s store, %d mails per run, %d rounds, load now: %s%n",
          db,
          n,
          rounds,
          Load.now());
      System.out.printf(
          Locale.ROOT,
          "floor (one connection)  median %6.0f mails/s runs %s%n",
          Wrk.median(floor),
          Wrk.fmt(floor));
      System.out.printf(
          Locale.ROOT,
          "library dispatchNow()   median %6.0f mails/s runs %s%n",
          Wrk.median(library),
          Wrk.fmt(library));
      HttpBench.report("dispatch (" + db + ")", library, floor, 0.50);
    } finally {
      greenMail.stop();
      if (ds != null) {
        ds.close();
      }
    }
  }

  private static OptIn optIn(ConsentStore store, int port) {
    SmtpMailer mailer =
        SmtpMailer.builder()
            .host("127.0.0.1")
            .port(port)
            .security(SmtpMailer.Security.NONE)
            .from("news@bench.example")
            .build();
    return Fixtures.optIn(store, mailer, "http://127.0.0.1:18080/app/optin").build();
  }

  private static void queue(OptIn optIn, int n, String tag) {
    for (int i = 0; i < n; i++) {
      RequestResult r =
          optIn.request(
              ConsentRequest.of(
                  "d" + i + "-" + tag + "@bench.example",
                  Locale.ENGLISH,
                  PurposeId.of("newsletter"),
                  PurposeId.of("offers")));
      if (!(r instanceof RequestResult.Accepted)) {
        throw new IllegalStateException("not accepted: " + r);
      }
    }
  }

  /** The text and HTML parts of a mail the library sent, for the floor to send the same bytes. */
  static String[] parts(MimeMessage m) throws Exception {
    Multipart mp = (Multipart) m.getContent();
    String text = null;
    String html = null;
    for (int i = 0; i < mp.getCount(); i++) {
      BodyPart p = mp.getBodyPart(i);
      if (p.isMimeType("text/plain")) {
        text = (String) p.getContent();
      } else if (p.isMimeType("text/html")) {
        html = (String) p.getContent();
      }
    }
    return new String[] {m.getSubject(), text, html};
  }

  /** The floor: compose n mails like the library's and send them over one connection. Returns nanoseconds. */
  private static long floor(Session session, String[] parts, int n, int round) throws Exception {
    long t0 = System.nanoTime();
    try (Transport transport = session.getTransport("smtp")) {
      transport.connect();
      for (int i = 0; i < n; i++) {
        InternetAddress to = new InternetAddress("f" + i + "-" + round + "@bench.example");
        transport.sendMessage(compose(session, parts, to), new Address[] {to});
      }
    }
    return System.nanoTime() - t0;
  }

  /** Composes a mail like the library's from its subject, text and HTML (may be null) parts, as the floors send. */
  static MimeMessage compose(Session session, String[] parts, InternetAddress to) throws Exception {
    MimeMessage msg = new MimeMessage(session);
    msg.setFrom(new InternetAddress("news@bench.example"));
    msg.setRecipient(Message.RecipientType.TO, to);
    msg.setSubject(parts[0], "UTF-8");
    msg.setSentDate(new Date());
    MimeMultipart alt = new MimeMultipart("alternative");
    MimeBodyPart text = new MimeBodyPart();
    text.setText(parts[1], "UTF-8", "plain");
    alt.addBodyPart(text);
    if (parts[2] != null) {
      MimeBodyPart html = new MimeBodyPart();
      html.setText(parts[2], "UTF-8", "html");
      alt.addBodyPart(html);
    }
    msg.setContent(alt);
    msg.saveChanges();
    return msg;
  }

  /** A loopback TCP relay that counts the connections made through it. */
  static final class CountingProxy implements AutoCloseable {
    final AtomicInteger accepted = new AtomicInteger();
    private final ServerSocket server;

    CountingProxy(int targetPort) throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread acceptor =
          new Thread(
              () -> {
                while (!server.isClosed()) {
                  try {
                    Socket client = server.accept();
                    accepted.incrementAndGet();
                    Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                    pipe(client, upstream);
                    pipe(upstream, client);
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "smtp-proxy");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private static void pipe(Socket from, Socket to) {
      Thread t =
          new Thread(
              () -> {
                try (InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream()) {
                  in.transferTo(out);
                } catch (IOException e) {
                  // the other side closed
                } finally {
                  try {
                    to.close();
                    from.close();
                  } catch (IOException e) {
                    // closing
                  }
                }
              });
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
