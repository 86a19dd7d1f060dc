package org.optin4j.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.optin4j.OptIn;

/**
 * The double opt-in over HTTP on a database: POST subscribe, GET confirm page, POST confirm, through the filter's
 * hosted pages ({@code /app/optin/...}) and through the hand-rolled floor ({@code /floor/...}), same Jetty, same pool,
 * same database. Each round runs every phase for the floor and then for the library on fresh addresses; a phase is
 * {@code n} requests from {@code threads} client threads. The library's confirmation links come from its outbox
 * through the dispatcher (running in the background, as on a real node) into a mailer that only captures them; the
 * wait for them is not counted in any phase.
 *
 * <p>Run: {@code java -cp benchmarks.jar org.optin4j.benchmarks.DoiBench h2|postgresql [rounds] [n] [threads]
 * [port]}, defaults 3, 2000, 8, 18082.
 */
public final class DoiBench {
  private DoiBench() {}

  public static void main(String[] args) throws Exception {
    String db = args.length > 0 ? args[0] : "h2";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int n = args.length > 2 ? Integer.parseInt(args[2]) : 2000;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 8;
    int port = args.length > 4 ? Integer.parseInt(args[4]) : 18082;
    boolean libraryOnly =
        Boolean.getBoolean("bench.libraryOnly"); // the memory run: only the library's load
    // The hosted signup answers no sooner than 50 ms after the POST (a constant-time answer,
    // security rule 8): with
    // few requests in flight that floor, not the work, would bound the throughput (n in flight: at
    // most n / 50 ms).
    // A site's signups arrive from many people at once; the filter waits for the floor without
    // holding a request
    // thread (AnswerFloor), so the driver keeps 256 in flight, for the floor's subscribe phase as
    // well.
    int subscribeThreads = Integer.getInteger("bench.subscribeThreads", Math.max(threads, 256));
    String base = "http://127.0.0.1:" + port + "/app/optin";
    Fixtures.LinkSink mails = new Fixtures.LinkSink();
    try (HikariDataSource ds = Fixtures.dataSource(db, 16);
        OptIn optIn = Fixtures.optIn(Fixtures.freshStore(ds), mails, base).build().start()) {
      // The same-proof floor first: making its tables drops the one-statement floor's.
      SameProofFloor proof = new SameProofFloor(ds, db.equals("postgresql"));
      HandRolled floor = new HandRolled(ds);
      try (BenchServer server =
              new BenchServer(
                  port,
                  optIn,
                  Map.of(
                      "/subscribe",
                      floor.subscribe(),
                      "/confirm",
                      floor.confirm(),
                      "/proof/subscribe",
                      proof.subscribe(),
                      "/proof/confirm",
                      proof.confirm()));
          LoadDriver driver = new LoadDriver(threads);
          LoadDriver signups = new LoadDriver(subscribeThreads)) {
        Map<String, List<String>> signupForm =
            LoadDriver.formFields(LoadDriver.fetch(server.url("/app/optin/subscribe")));
        signupForm.put("purpose", List.of("newsletter", "offers"));
        Map<String, List<Double>> rps = new LinkedHashMap<>();
        Map<String, List<Double>> p50 = new LinkedHashMap<>();
        Map<String, List<Double>> p99 = new LinkedHashMap<>();
        Map<String, List<Double>> cpu = new LinkedHashMap<>();
        // round 0 warms up (a quarter of n), unreported
        for (int r = 0; r <= rounds; r++) {
          int count = r == 0 ? Math.max(100, n / 4) : n;
          String tag = "r" + r + "-" + System.nanoTime();
          Map<String, LoadDriver.Phase> phases = new LinkedHashMap<>();
          if (!libraryOnly) {
            floorRound(
                server,
                signups,
                driver,
                "floor",
                "/floor",
                floor.tokens,
                List.of(),
                count,
                tag,
                phases);
            floorRound(
                server,
                signups,
                driver,
                "proof",
                "/floor/proof",
                proof.tokens,
                List.of("newsletter", "offers"),
                count,
                tag,
                phases);
          }
          libraryRound(server, signups, driver, mails, signupForm, count, tag, phases);
          if (r > 0) {
            phases.forEach(
                (k, ph) -> {
                  rps.computeIfAbsent(k, x -> new ArrayList<>()).add(ph.perSecond());
                  p50.computeIfAbsent(k, x -> new ArrayList<>()).add(ph.percentile(0.50) / 1e6);
                  p99.computeIfAbsent(k, x -> new ArrayList<>()).add(ph.percentile(0.99) / 1e6);
                  cpu.computeIfAbsent(k, x -> new ArrayList<>()).add(ph.cpuMicrosPerRequest());
                });
            System.out.println("round " + r + ": " + rps);
            System.out.println("round " + r + " JVM CPU us/request: " + cpu);
          }
        }
        System.out.println();
        System.out.printf(
            Locale.ROOT,
            "%s, %d requests per phase, %d client threads (%d for subscribe), %d rounds, "
                + "load now: %s%n",
            db,
            n,
            threads,
            subscribeThreads,
            rounds,
            Load.now());
        rps.forEach(
            (k, v) ->
                System.out.printf(
                    Locale.ROOT,
                    "%-28s median %7.0f req/s  runs %s  p50 ms %s  p99 ms %s  JVM CPU us/request %s%n",
                    k,
                    Wrk.median(v),
                    Wrk.fmt(v),
                    fmt(p50.get(k)),
                    fmt(p99.get(k)),
                    Wrk.fmt(cpu.get(k))));
        if (!libraryOnly) {
          // Against the one-statement floor (budget 0.50) and the same-proof floor (issue 17:
          // 0.70).
          for (String side : List.of("floor", "proof")) {
            double budget = side.equals("floor") ? 0.50 : 0.70;
            for (String phase : List.of("POST subscribe", "GET confirm page", "POST confirm")) {
              HttpBench.report(
                  db + " " + phase + " vs " + side,
                  rps.get("library " + phase),
                  rps.get(side + " " + phase),
                  budget);
            }
            // Work per request, less disturbed by other load than throughput: floor CPU / library
            // CPU per request.
            for (String phase : List.of("POST subscribe", "GET confirm page", "POST confirm")) {
              List<Double> inverse = new ArrayList<>();
              for (int i = 0; i < cpu.get(side + " " + phase).size(); i++) {
                inverse.add(
                    cpu.get(side + " " + phase).get(i) / cpu.get("library " + phase).get(i));
              }
              System.out.printf(
                  Locale.ROOT,
                  "CPU   %-36s %s/library JVM CPU per request: median %.3f per round %s%n",
                  db + " " + phase,
                  side,
                  Wrk.median(inverse),
                  inverse.stream().map(d -> String.format(Locale.ROOT, "%.3f", d)).toList());
            }
          }
        }
      }
    }
  }

  private static List<String> fmt(List<Double> ms) {
    return ms.stream().map(d -> String.format(Locale.ROOT, "%.1f", d)).toList();
  }

  /**
   * One round of a hand-rolled floor ({@code side}: "floor", the one-statement floor; "proof", the same-proof floor)
   * under {@code path}, its links taken from {@code tokens}; {@code purposes} are posted with each signup.
   */
  private static void floorRound(
      BenchServer server,
      LoadDriver signups,
      LoadDriver driver,
      String side,
      String path,
      java.util.concurrent.BlockingQueue<String> links,
      List<String> purposes,
      int n,
      String tag,
      Map<String, LoadDriver.Phase> phases)
      throws Exception {
    links.clear();
    phases.put(
        side + " POST subscribe",
        signups.run(
            n,
            i ->
                LoadDriver.post(
                    server.url(path + "/subscribe"),
                    Map.of(
                        "email",
                        List.of(side.charAt(0) + "" + i + "-" + tag + "@bench.example"),
                        "purpose",
                        purposes)),
            null));
    List<String> tokens = new ArrayList<>(links);
    phases.put(
        side + " GET confirm page",
        driver.run(
            n, i -> LoadDriver.get(server.url(path + "/confirm?token=" + tokens.get(i))), null));
    phases.put(
        side + " POST confirm",
        driver.run(
            n,
            i ->
                LoadDriver.post(
                    server.url(path + "/confirm"), Map.of("token", List.of(tokens.get(i)))),
            null));
  }

  private static void libraryRound(
      BenchServer server,
      LoadDriver signups,
      LoadDriver driver,
      Fixtures.LinkSink mails,
      Map<String, List<String>> signupForm,
      int n,
      String tag,
      Map<String, LoadDriver.Phase> phases)
      throws Exception {
    mails.confirmTokens.clear();
    phases.put(
        "library POST subscribe",
        signups.run(
            n,
            i -> {
              Map<String, List<String>> form = new LinkedHashMap<>(signupForm);
              form.put("email", List.of("l" + i + "-" + tag + "@bench.example"));
              return LoadDriver.post(server.url("/app/optin/subscribe"), form);
            },
            (i, body) -> {
              if (!body.contains("subscribed")) {
                throw new IllegalStateException(
                    "subscribe was not accepted: "
                        + body.substring(0, Math.min(500, body.length())));
              }
            }));
    List<String> tokens = new ArrayList<>(n);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (tokens.size() < n) {
      String t = mails.confirmTokens.poll(1, TimeUnit.SECONDS);
      if (t != null) {
        tokens.add(t);
      } else if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + tokens.size() + " of " + n + " confirmation mails were dispatched");
      }
    }
    List<Map<String, List<String>>> confirmForms = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      confirmForms.add(null);
    }
    phases.put(
        "library GET confirm page",
        driver.run(
            n,
            i -> LoadDriver.get(server.url("/app/optin/confirm?token=" + tokens.get(i))),
            (i, body) -> confirmForms.set(i, LoadDriver.formFields(body))));
    phases.put(
        "library POST confirm",
        driver.run(
            n,
            i -> LoadDriver.post(server.url("/app/optin/confirm"), confirmForms.get(i)),
            (i, body) -> {
              if (!body.contains("confirmed")) {
                throw new IllegalStateException(
                    "confirm failed: " + body.substring(0, Math.min(500, body.length())));
              }
            }));
  }
}
