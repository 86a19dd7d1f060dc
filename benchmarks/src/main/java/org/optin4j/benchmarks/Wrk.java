package org.optin4j.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code wrk} against a loopback URL and reads its throughput; bounded in time. Also median helpers. */
final class Wrk {
  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern ERRORS = Pattern.compile("Non-2xx or 3xx responses:\\s+([0-9]+)");

  private Wrk() {}

  /** Requests per second of {@code wrk -t threads -c connections -d seconds url}; fails on any non-2xx answer. */
  static double run(String url, int threads, int connections, int seconds)
      throws IOException, InterruptedException {
    if (!url.startsWith("http://127.0.0.1:")) {
      throw new IllegalArgumentException("loopback only: " + url);
    }
    Process p =
        new ProcessBuilder("wrk", "-t" + threads, "-c" + connections, "-d" + seconds + "s", url)
            .redirectErrorStream(true)
            .start();
    if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not finish");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    Matcher errors = ERRORS.matcher(out);
    if (errors.find()) {
      throw new IllegalStateException("non-2xx answers from " + url + ":\n" + out);
    }
    Matcher m = RPS.matcher(out);
    if (!m.find()) {
      throw new IllegalStateException("no throughput in wrk output:\n" + out);
    }
    return Double.parseDouble(m.group(1));
  }

  static double median(List<Double> values) {
    double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  static List<Double> ratios(List<Double> numerators, List<Double> denominators) {
    List<Double> r = new ArrayList<>();
    for (int i = 0; i < numerators.size(); i++) {
      r.add(numerators.get(i) / denominators.get(i));
    }
    return r;
  }

  static String fmt(List<Double> values) {
    StringBuilder b = new StringBuilder("[");
    for (double v : values) {
      b.append(b.length() > 1 ? ", " : "").append(String.format(java.util.Locale.ROOT, "%.0f", v));
    }
    return b.append(']').toString();
  }
}
