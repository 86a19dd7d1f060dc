package org.optin4j.servlet;

import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.h2.jdbcx.JdbcDataSource;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Controller;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.SendOutcome;

/**
 * Measures whether the answer to {@code POST /optin/subscribe} tells a known address from an unknown one by its timing
 * (security rule 8). Not a unit test: a program, run by hand (command and results in BENCHMARKS.md).
 *
 * <p>Embedded Jetty on loopback, the filter in front, a real store (H2 in memory through {@link JdbcConsentStore} by
 * default, {@code memory} as the first argument for {@link InMemoryConsentStore}). "Known" addresses have a confirmed
 * consent (the cheapest path through the core: nothing is written); "unknown" ones were never seen (the dearest:
 * subject, consents, events, request and outbox row are written). Each address is used once, so the adapter's
 * per-address limit never fires; the two kinds are interleaved in a seeded random order after a warm-up. The
 * outbox dispatcher is not started (mail is sent asynchronously anyway, and would only add noise).
 *
 * <p>Statistics: each sample is trimmed of its fastest and slowest 5 % (GC pauses, scheduler hiccups), then
 * compared with the two-sample Kolmogorov-Smirnov test and the Mann-Whitney U test (normal approximation with tie
 * correction). A p-value below 0.01 means the two kinds are distinguishable.
 */
public final class SubscribeTimingMeasurement {
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");

  private SubscribeTimingMeasurement() {}

  /**
   * Runs the measurement.
   *
   * @param args {@code [h2|memory] [samples per kind] [warm-up requests]}
   * @throws Exception if the server cannot start
   */
  public static void main(String[] args) throws Exception {
    String storeKind = args.length > 0 ? args[0] : "h2";
    int n = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int warmUp = args.length > 2 ? Integer.parseInt(args[2]) : 3000;

    ConsentStore store;
    if (storeKind.equals("memory")) {
      store = InMemoryConsentStore.create();
    } else {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:mem:timing;DB_CLOSE_DELAY=-1");
      ds.setUser("sa");
      store = JdbcConsentStore.builder(ds).createSchema(true).build();
    }
    byte[] formKey = new byte[32];
    new SecureRandom().nextBytes(formKey);
    List<org.optin4j.spi.MailMessage> mails = new java.util.concurrent.CopyOnWriteArrayList<>();
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    try (OptIn optIn =
        OptIn.builder()
            .catalog(TestApp.catalog())
            .controller(
                new Controller("Shop B.V.", "Main St 1, Utrecht", "privacy@shop.example", null)
                    .withSupervisoryAuthority(
                        "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
            .store(store)
            .mailer(
                batch -> {
                  mails.addAll(batch);
                  return batch.stream().map(m -> (SendOutcome) new SendOutcome.Sent()).toList();
                })
            .signingKeys(SigningKeys.generate("k1"))
            .suppressionPepper(formKey.clone())
            .baseUrl("http://localhost/app/optin")
            .build()) {
      OptInFilter filter =
          OptInFilter.builder(optIn)
              .formKey(formKey)
              .rateLimitPerIp(100_000, Duration.ofSeconds(1))
              .build();
      ServletContextHandler ctx = new ServletContextHandler();
      ctx.setContextPath("/app");
      FilterHolder holder = new FilterHolder(filter);
      // -Dasync=false measures the answer floor waiting on the request thread (a registration
      // without async support)
      holder.setAsyncSupported(Boolean.parseBoolean(System.getProperty("async", "true")));
      ctx.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
      server.setHandler(ctx);
      server.start();
      Notice shown = optIn.notice(Set.of(NEWSLETTER), Locale.ENGLISH);
      String notice = shown.hash();
      FormTokens tokens = new FormTokens(formKey, Clock.systemUTC(), Duration.ofHours(24));

      // Known addresses: confirmed, each with its own confirmation (so caps never matter).
      int known = n + warmUp / 2 + 10;
      System.out.printf(
          "store=%s, samples per kind=%d, warm-up=%d; confirming %d known addresses...%n",
          storeKind, n, warmUp, known);
      for (int i = 0; i < known; i++) {
        RequestResult r =
            optIn.request(
                new ConsentRequest(
                    EmailAddress.parse("known" + i + "@example.org"),
                    Set.of(NEWSLETTER),
                    Locale.ENGLISH,
                    "timing",
                    Evidence.NONE,
                    shown));
        if (!(r instanceof RequestResult.Accepted)) {
          throw new IllegalStateException("setup request " + i + ": " + r);
        }
      }
      while (optIn.operations().dispatchNow().sent() > 0) {
        // batches of the configured size until the outbox is empty
      }
      for (org.optin4j.spi.MailMessage m : mails) {
        java.util.regex.Matcher link =
            java.util.regex.Pattern.compile("/confirm\\?token=([A-Za-z0-9%._~-]+)")
                .matcher(m.text());
        if (!link.find()) {
          throw new IllegalStateException("no confirm link");
        }
        ConfirmationResult c =
            optIn.confirm(
                java.net.URLDecoder.decode(link.group(1), StandardCharsets.UTF_8),
                ConfirmationChoice.all(),
                Evidence.NONE);
        if (!(c instanceof ConfirmationResult.Confirmed)) {
          throw new IllegalStateException("setup confirm: " + c);
        }
      }

      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      URI uri = URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/app/optin/subscribe");
      int knownNext = 0;
      int unknownNext = 0;
      String origin = "http://localhost";
      Random order = new Random(42);
      for (int i = 0; i < warmUp; i++) {
        String email =
            i % 2 == 0
                ? "known" + knownNext++ + "@example.org"
                : "warm" + unknownNext++ + "@example.org";
        post(client, uri, origin, email, tokens, notice);
      }
      List<Boolean> kinds = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        kinds.add(Boolean.TRUE);
        kinds.add(Boolean.FALSE);
      }
      Collections.shuffle(kinds, order);
      double[] knownMs = new double[n];
      double[] unknownMs = new double[n];
      int k = 0;
      int u = 0;
      for (boolean isKnown : kinds) {
        String email =
            isKnown ? "known" + knownNext++ + "@example.org" : "new" + u + "@example.org";
        double ms = post(client, uri, origin, email, tokens, notice);
        if (isKnown) {
          knownMs[k++] = ms;
        } else {
          unknownMs[u++] = ms;
        }
      }
      server.stop();
      report(knownMs, unknownMs);
    }
  }

  private static double post(
      HttpClient client, URI uri, String origin, String email, FormTokens tokens, String notice)
      throws Exception {
    String body =
        "email="
            + URLEncoder.encode(email, StandardCharsets.UTF_8)
            + "&purpose=newsletter&optin-csrf="
            + tokens.issue(FormTokens.signupContext())
            + "&optin-notice="
            + notice
            + "&optin-lang=en&optin-website=";
    HttpRequest req =
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", origin)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    long start = System.nanoTime();
    HttpResponse<byte[]> res = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
    long took = System.nanoTime() - start;
    if (res.statusCode() != 200) {
      throw new IllegalStateException("status " + res.statusCode() + " for " + email);
    }
    return took / 1e6;
  }

  static void report(double[] known, double[] unknown) {
    double[] a = trim(known, 0.05);
    double[] b = trim(unknown, 0.05);
    double ks = ksPValue(a, b);
    double mw = mannWhitneyPValue(a, b);
    System.out.printf(
        Locale.ROOT,
        "known:   n=%d (trimmed %d), median %.3f ms, mean %.3f ms, p10 %.3f, p90 %.3f%n",
        known.length,
        a.length,
        median(a),
        mean(a),
        quantile(a, 0.10),
        quantile(a, 0.90));
    System.out.printf(
        Locale.ROOT,
        "unknown: n=%d (trimmed %d), median %.3f ms, mean %.3f ms, p10 %.3f, p90 %.3f%n",
        unknown.length,
        b.length,
        median(b),
        mean(b),
        quantile(b, 0.10),
        quantile(b, 0.90));
    System.out.printf(
        Locale.ROOT,
        "Kolmogorov-Smirnov D=%.4f p=%.4g; Mann-Whitney U p=%.4g -> %s%n",
        ksD(a, b),
        ks,
        mw,
        Math.min(ks, mw) < 0.01 ? "DISTINGUISHABLE (p < 0.01)" : "indistinguishable (p >= 0.01)");
  }

  static double[] trim(double[] x, double fraction) {
    double[] s = x.clone();
    Arrays.sort(s);
    int cut = (int) Math.floor(s.length * fraction);
    return Arrays.copyOfRange(s, cut, s.length - cut);
  }

  static double median(double[] sorted) {
    return quantile(sorted, 0.5);
  }

  static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }

  static double mean(double[] x) {
    double s = 0;
    for (double v : x) {
      s += v;
    }
    return s / x.length;
  }

  /** The two-sample Kolmogorov-Smirnov statistic of two sorted samples. */
  static double ksD(double[] a, double[] b) {
    int i = 0;
    int j = 0;
    double d = 0;
    while (i < a.length && j < b.length) {
      double v = Math.min(a[i], b[j]);
      while (i < a.length && a[i] <= v) {
        i++;
      }
      while (j < b.length && b[j] <= v) {
        j++;
      }
      d = Math.max(d, Math.abs((double) i / a.length - (double) j / b.length));
    }
    return d;
  }

  /** Asymptotic p-value of the two-sample KS test (Kolmogorov distribution, Stephens' small-sample correction). */
  static double ksPValue(double[] a, double[] b) {
    double en = Math.sqrt((double) a.length * b.length / (a.length + b.length));
    double lambda = (en + 0.12 + 0.11 / en) * ksD(a, b);
    double sum = 0;
    for (int k = 1; k <= 100; k++) {
      sum += 2 * Math.pow(-1, k - 1) * Math.exp(-2 * k * k * lambda * lambda);
    }
    return Math.max(0, Math.min(1, sum));
  }

  /** Two-sided p-value of the Mann-Whitney U test, normal approximation with tie correction. */
  static double mannWhitneyPValue(double[] a, double[] b) {
    int n1 = a.length;
    int n2 = b.length;
    int n = n1 + n2;
    double[][] all = new double[n][2];
    for (int i = 0; i < n1; i++) {
      all[i] = new double[] {a[i], 0};
    }
    for (int i = 0; i < n2; i++) {
      all[n1 + i] = new double[] {b[i], 1};
    }
    Arrays.sort(all, (x, y) -> Double.compare(x[0], y[0]));
    double rankSumA = 0;
    double tieTerm = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && all[j + 1][0] == all[i][0]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      int t = j - i + 1;
      tieTerm += (double) t * t * t - t;
      for (int k = i; k <= j; k++) {
        if (all[k][1] == 0) {
          rankSumA += rank;
        }
      }
      i = j + 1;
    }
    double u = rankSumA - n1 * (n1 + 1) / 2.0;
    double mu = n1 * (double) n2 / 2;
    double sigma = Math.sqrt(n1 * (double) n2 / 12 * ((n + 1) - tieTerm / ((double) n * (n - 1))));
    double z = (Math.abs(u - mu) - 0.5) / sigma;
    return Math.min(1, 2 * (1 - normalCdf(z)));
  }

  private static double normalCdf(double z) {
    // Abramowitz and Stegun 7.1.26 on erf, absolute error below 1.5e-7.
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.3275911 * x);
    double erf =
        1
            - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                    + 0.254829592)
                * t
                * Math.exp(-x * x);
    return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
  }
}
