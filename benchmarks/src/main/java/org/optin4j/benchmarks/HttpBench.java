package org.optin4j.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.optin4j.OptIn;
import org.optin4j.memory.InMemoryConsentStore;

/**
 * Pass-through and marker figures over HTTP: one Jetty with {@code /floor} (no filter) and {@code /app} (filter),
 * driven by {@code wrk} on loopback. Each round measures every URL once, floor and filtered back to back, so that
 * the machine's load drifts alike for both; the ratio of each round is filtered / floor, and the medians are printed.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar org.optin4j.benchmarks.HttpBench [rounds] [seconds]
 * [connections] [port]}, defaults 5, 10, 16, 18080.
 */
public final class HttpBench {
  private HttpBench() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 16;
    int port = args.length > 3 ? Integer.parseInt(args[3]) : 18080;
    String base = "http://127.0.0.1:" + port + "/app/optin";
    try (OptIn optIn =
            Fixtures.optIn(InMemoryConsentStore.create(), new Fixtures.LinkSink(), base).build();
        BenchServer server = new BenchServer(port, optIn, Map.of())) {
      Map<String, String> urls = new LinkedHashMap<>();
      urls.put("hello, no filter", server.url("/floor/hello"));
      urls.put("hello, filter", server.url("/app/hello"));
      urls.put("page, unmodified", server.url("/floor/page.html"));
      urls.put("page, marker replaced", server.url("/app/page.html"));
      checkPages(server);
      String only =
          System.getProperty("bench.only"); // profiling: hammer the URLs whose name contains this
      if (only != null) {
        urls.keySet().removeIf(k -> !k.contains(only));
      }
      for (String url : urls.values()) {
        Wrk.run(url, 1, connections, Math.max(3, seconds / 2)); // warm-up
      }
      Map<String, List<Double>> rps = new LinkedHashMap<>();
      urls.keySet().forEach(k -> rps.put(k, new ArrayList<>()));
      List<String> names = new ArrayList<>(urls.keySet());
      for (int r = 0; r < rounds; r++) {
        // floor and filtered back to back, in turn first (so that neither always runs on a warmer
        // or cooler machine)
        for (int pair = 0; pair < names.size(); pair += 2) {
          int first = r % 2 == 0 || pair + 1 >= names.size() ? pair : pair + 1;
          int second = first == pair ? pair + 1 : pair;
          for (int i : second < names.size() ? new int[] {first, second} : new int[] {first}) {
            rps.get(names.get(i)).add(Wrk.run(urls.get(names.get(i)), 1, connections, seconds));
          }
        }
        System.out.println("round " + (r + 1) + ": " + rps);
      }
      System.out.println();
      System.out.printf(
          Locale.ROOT,
          "wrk -t1 -c%d -d%ds, %d rounds, %d cores, load before: %s%n",
          connections,
          seconds,
          rounds,
          Runtime.getRuntime().availableProcessors(),
          Load.now());
      rps.forEach(
          (k, v) ->
              System.out.printf(
                  Locale.ROOT,
                  "%-24s median %8.0f req/s  runs %s%n",
                  k,
                  Wrk.median(v),
                  Wrk.fmt(v)));
      if (only != null) {
        return;
      }
      report("pass-through (hello)", rps.get("hello, filter"), rps.get("hello, no filter"), 0.97);
      report(
          "marker page (20 KB)",
          rps.get("page, marker replaced"),
          rps.get("page, unmodified"),
          0.80);
    }
  }

  static void report(String what, List<Double> subject, List<Double> floor, double target) {
    List<Double> ratios = Wrk.ratios(subject, floor);
    double median = Wrk.median(ratios);
    System.out.printf(
        Locale.ROOT,
        "RATIO %-28s median %.3f (per round %s; ratio of medians %.3f) target >= %.2f: %s%n",
        what,
        median,
        ratios.stream().map(d -> String.format(Locale.ROOT, "%.3f", d)).toList(),
        Wrk.median(subject) / Wrk.median(floor),
        target,
        median >= target ? "MET" : "MISSED");
  }

  private static void checkPages(BenchServer server) throws Exception {
    var client = java.net.http.HttpClient.newHttpClient();
    String plain =
        client
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(server.url("/floor/page.html")))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    String replaced =
        client
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(server.url("/app/page.html")))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    if (!plain.contains(BenchServer.MARKER)
        || replaced.contains(BenchServer.MARKER)
        || !replaced.contains("optin")) {
      int at = Math.max(0, replaced.indexOf("<form"));
      throw new IllegalStateException(
          "the marker page is not served as expected: "
              + plain.length()
              + " / "
              + replaced.length()
              + " bytes: "
              + replaced.substring(at, Math.min(replaced.length(), at + 400)));
    }
    System.out.printf(
        Locale.ROOT,
        "page: %d bytes unmodified, %d bytes with the notice block%n",
        plain.length(),
        replaced.length());
  }
}
