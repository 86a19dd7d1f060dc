package org.optin4j.examples.boot;

import java.io.IOException;
import java.net.CookieManager;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.client.RestClient;

/**
 * The sample's tests' HTTP client: Spring's {@link RestClient} on the JDK's client, redirects never followed, every
 * status returned rather than thrown. {@link #visitor} keeps no cookies, so nothing rides along (a person opening a
 * link from a mail, a mailbox provider's one-click POST); {@link #browser} keeps them (the admin's login session).
 */
final class BakeryHttp {
  private final RestClient client;

  private BakeryHttp(String origin, HttpClient.Builder jdk) {
    JdkClientHttpRequestFactory factory =
        new JdkClientHttpRequestFactory(
            jdk.followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(Duration.ofSeconds(5))
                .build());
    factory.setReadTimeout(Duration.ofSeconds(20));
    this.client =
        RestClient.builder()
            .baseUrl(origin)
            .requestFactory(factory)
            .defaultStatusHandler(status -> true, (request, response) -> {})
            .build();
  }

  static BakeryHttp visitor(String origin) {
    return new BakeryHttp(origin, HttpClient.newBuilder());
  }

  static BakeryHttp browser(String origin) {
    return new BakeryHttp(origin, HttpClient.newBuilder().cookieHandler(new CookieManager()));
  }

  /** A free port on this machine, for {@code --server.port}: the links in mails then carry the real port. */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  record Response(int status, HttpHeaders headers, String body) {
    String header(String name) {
      return headers.getFirst(name);
    }

    /** The value of a named (hidden) input. */
    String field(String name) {
      Matcher m =
          Pattern.compile("name=\"" + Pattern.quote(name) + "\"[^>]*value=\"([^\"]*)\"")
              .matcher(body);
      return m.find() ? m.group(1).replace("&amp;", "&") : null;
    }
  }

  /** GET of a path, or of a whole URL (a link from a mail). */
  Response get(String pathOrUrl) {
    return exchange(client.get().uri(pathOrUrl));
  }

  /** A browser-like same-origin form POST (Sec-Fetch-Site: same-origin, no Origin header). */
  Response submit(String path, Map<String, String> fields) {
    MultiValueMap<String, String> form = new LinkedMultiValueMap<>();
    fields.forEach(form::add);
    return exchange(
        client
            .post()
            .uri(path)
            .header("Sec-Fetch-Site", "same-origin")
            .contentType(MediaType.APPLICATION_FORM_URLENCODED)
            .body(form));
  }

  /** A mailbox provider's RFC 8058 one-click POST: the body only, no cookie, no Origin, no CSRF token. */
  Response oneClick(String url) {
    return exchange(
        client
            .post()
            .uri(url)
            .contentType(MediaType.APPLICATION_FORM_URLENCODED)
            .body("List-Unsubscribe=One-Click"));
  }

  /** Signs in through Spring Security's login page, as the admin does in a browser. */
  Response logIn(String user, String password) {
    String csrf = get("/login").field("_csrf");
    return submit("/login", Map.of("username", user, "password", password, "_csrf", csrf));
  }

  private static Response exchange(RestClient.RequestHeadersSpec<?> request) {
    return request.exchange(
        (req, res) ->
            new Response(
                res.getStatusCode().value(),
                res.getHeaders(),
                new String(res.getBody().readAllBytes(), StandardCharsets.UTF_8)));
  }
}
