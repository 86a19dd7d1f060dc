package org.optin4j.spring;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A small HTTP client for the starter's tests: no cookie store, no redirects followed, so nothing rides along. */
final class StarterHttp {
  private final HttpClient client =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final String origin;

  StarterHttp(int port) {
    this.origin = "http://127.0.0.1:" + port;
  }

  record Response(int status, HttpHeaders headers, String body) {
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** The value of a named (hidden) input. */
    String field(String name) {
      Matcher m =
          Pattern.compile("name=\"" + Pattern.quote(name) + "\" value=\"([^\"]*)\"").matcher(body);
      return m.find() ? m.group(1).replace("&amp;", "&") : null;
    }
  }

  Response get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(origin + path)).GET());
  }

  /** A browser-like same-origin form POST (no Origin header, Sec-Fetch-Site: same-origin). */
  Response submit(String path, List<String> form) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Sec-Fetch-Site", "same-origin")
            .POST(HttpRequest.BodyPublishers.ofString(encode(form))));
  }

  /** A mailbox provider's RFC 8058 one-click POST: the body only, no cookie, no Origin, no CSRF token. */
  Response oneClick(String path) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("List-Unsubscribe=One-Click")));
  }

  private Response send(HttpRequest.Builder b) throws IOException, InterruptedException {
    HttpResponse<String> r =
        client.send(
            b.timeout(Duration.ofSeconds(20)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new Response(r.statusCode(), r.headers(), r.body());
  }

  private static String encode(List<String> form) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < form.size(); i += 2) {
      s.append(s.length() == 0 ? "" : "&")
          .append(URLEncoder.encode(form.get(i), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(form.get(i + 1), StandardCharsets.UTF_8));
    }
    return s.toString();
  }
}
