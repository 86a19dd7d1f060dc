package org.optin4j.benchmarks;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop HTTP load driver for flows that wrk cannot script easily (each request needs a token from an earlier
 * answer or mail): a fixed pool of threads, each sending its share of a bounded number of requests one after another
 * over keep-alive connections, to loopback only. Records each request's latency.
 */
final class LoadDriver implements AutoCloseable {
  private static final Pattern INPUT = Pattern.compile("<input([^>]*)>");
  private static final Pattern ATTR = Pattern.compile("([a-z-]+)=\"([^\"]*)\"");

  private final HttpClient client;
  private final ExecutorService pool;
  private final int threads;

  LoadDriver(int threads) {
    this.threads = threads;
    this.pool = Executors.newFixedThreadPool(threads);
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
  }

  /**
   * Throughput, latencies and the CPU time of one phase. {@code cpuNanos} is this JVM's CPU time over the phase (server,
   * client and background threads such as the outbox dispatcher): per request it is a measure of work that other
   * processes on a shared machine disturb far less than throughput (not with PostgreSQL, whose work is in its own
   * processes).
   */
  record Phase(int requests, long nanos, long[] latencies, long cpuNanos) {
    double perSecond() {
      return requests * 1e9 / nanos;
    }

    double cpuMicrosPerRequest() {
      return cpuNanos / 1e3 / requests;
    }

    long percentile(double p) {
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }
  }

  /**
   * Sends {@code n} requests, request {@code i} built by {@code build}; every answer must be 200. {@code onBody} sees
   * each answer's body (may be null).
   */
  Phase run(int n, IntFunction<HttpRequest> build, BiConsumer<Integer, String> onBody)
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    long[] latencies = new long[n];
    long cpuStart = processCpuNanos();
    long start = System.nanoTime();
    Future<?>[] workers = new Future<?>[threads];
    for (int t = 0; t < threads; t++) {
      workers[t] =
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) {
                  HttpRequest req = build.apply(i);
                  if (!"127.0.0.1".equals(req.uri().getHost())) {
                    throw new IllegalArgumentException("loopback only: " + req.uri());
                  }
                  long t0 = System.nanoTime();
                  HttpResponse<String> res;
                  try {
                    res = client.send(req, HttpResponse.BodyHandlers.ofString());
                  } catch (IOException e) {
                    // JDK 17's HttpClient may reuse a pooled connection the server has just closed
                    // (JDK-8338569): the request never reached the server, so it is sent once more.
                    if (!String.valueOf(e.getMessage())
                        .contains("header parser received no bytes")) {
                      throw e;
                    }
                    res = client.send(req, HttpResponse.BodyHandlers.ofString());
                  }
                  latencies[i] = System.nanoTime() - t0;
                  if (res.statusCode() != 200) {
                    throw new IllegalStateException(
                        req.method()
                            + " "
                            + req.uri().getPath()
                            + " answered "
                            + res.statusCode()
                            + ": "
                            + res.body().substring(0, Math.min(300, res.body().length())));
                  }
                  if (onBody != null) {
                    onBody.accept(i, res.body());
                  }
                }
                return null;
              });
    }
    for (Future<?> w : workers) {
      w.get(10, TimeUnit.MINUTES);
    }
    return new Phase(n, System.nanoTime() - start, latencies, processCpuNanos() - cpuStart);
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  static HttpRequest get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build();
  }

  static HttpRequest post(String url, Map<String, List<String>> form) {
    StringBuilder b = new StringBuilder();
    form.forEach(
        (k, values) ->
            values.forEach(
                v ->
                    b.append(b.length() == 0 ? "" : "&")
                        .append(URLEncoder.encode(k, StandardCharsets.UTF_8))
                        .append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8))));
    return HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(b.toString()))
        .build();
  }

  /** The hidden fields and ticked checkboxes of the (first) form of a page, as a browser would post them. */
  static Map<String, List<String>> formFields(String html) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    Matcher m = INPUT.matcher(html);
    while (m.find()) {
      Map<String, String> attrs = new LinkedHashMap<>();
      Matcher a = ATTR.matcher(m.group(1));
      while (a.find()) {
        attrs.put(a.group(1), a.group(2).replace("&#34;", "\"").replace("&amp;", "&"));
      }
      String type = attrs.getOrDefault("type", "text");
      boolean send =
          "hidden".equals(type) || ("checkbox".equals(type) && m.group(1).contains(" checked"));
      if (send && attrs.containsKey("name")) {
        out.computeIfAbsent(attrs.get("name"), k -> new java.util.ArrayList<>())
            .add(attrs.getOrDefault("value", ""));
      }
    }
    return out;
  }

  static String fetch(String url) throws IOException, InterruptedException {
    HttpResponse<String> r =
        HttpClient.newHttpClient().send(get(url), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + url + " answered " + r.statusCode());
    }
    return r.body();
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }
}
