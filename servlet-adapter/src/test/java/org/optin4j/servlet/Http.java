package org.optin4j.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A small HTTP client over java.net.http: no cookies, no redirects followed. */
final class Http {
  private final HttpClient client =
      HttpClient.newBuilder()
          .followRedirects(HttpClient.Redirect.NEVER)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  final String origin;

  Http(int port) {
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

  Response get(String path, String... headers) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(URI.create(origin + path)).GET(), headers);
  }

  Response head(String path, String... headers) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .method("HEAD", HttpRequest.BodyPublishers.noBody()),
        headers);
  }

  /** Sends any method without a body, for example PUT or DELETE. */
  Response method(String method, String path) throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .method(method, HttpRequest.BodyPublishers.noBody()));
  }

  /** Sends any method with headers and an optional body (null: none). */
  Response request(String method, String path, String body, String... headers)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)),
        headers);
  }

  /** POSTs a form; {@code form} is name, value, name, value, ... */
  Response post(String path, List<String> form, String... headers)
      throws IOException, InterruptedException {
    return postRaw(path, "application/x-www-form-urlencoded", encode(form), headers);
  }

  Response postRaw(String path, String contentType, String body, String... headers)
      throws IOException, InterruptedException {
    return send(
        HttpRequest.newBuilder(URI.create(origin + path))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body)),
        headers);
  }

  /** A browser-like same-origin POST. */
  Response submit(String path, List<String> form) throws IOException, InterruptedException {
    return post(path, form, "Origin", origin, "Sec-Fetch-Site", "same-origin");
  }

  private Response send(HttpRequest.Builder b, String... headers)
      throws IOException, InterruptedException {
    b.timeout(Duration.ofSeconds(20));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> r =
        client.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    return new Response(r.statusCode(), r.headers(), r.body());
  }

  static String encode(List<String> form) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < form.size(); i += 2) {
      if (s.length() > 0) {
        s.append('&');
      }
      s.append(URLEncoder.encode(form.get(i), StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(form.get(i + 1), StandardCharsets.UTF_8));
    }
    return s.toString();
  }

  static List<String> form(String... pairs) {
    return new ArrayList<>(List.of(pairs));
  }

  /** Sends a raw HTTP/1.1 request (for headers java.net.http refuses to set, such as Host). */
  String raw(int port, String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      return all.toString(StandardCharsets.UTF_8);
    }
  }
}
