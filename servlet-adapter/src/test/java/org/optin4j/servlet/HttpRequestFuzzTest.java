package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.SendOutcome;

/**
 * Fuzzes the filter the way the container hands it requests: each input is a raw HTTP/1.1 request (start line,
 * headers, body) parsed by a real Jetty 12 over an in-process {@link LocalConnector}, so query strings, form bodies
 * (urlencoded and multipart), {@code Accept-Language}, {@code Origin}, {@code X-Forwarded-For} and the filter's own
 * parsing (one-click multipart body, form tokens, purpose ids, hidden fields) all see fuzzed bytes.
 *
 * <p>So that fuzzing gets past the guards, placeholders in an input are replaced before sending: {@code @CSRF@} (a
 * valid signup form token), {@code @CSRF-CONFIRM@}, {@code @CSRF-MANAGE@}, {@code @CSRF-UNSUB@} (form tokens bound to
 * the links), {@code @NOTICE@} (the current notice hash), {@code @CONFIRM@}, {@code @MANAGE@} and {@code @UNSUB@}
 * (valid link tokens, URL-encoded). {@code Content-Length} is set to the body's real length, so no input makes
 * Jetty wait for bytes that never come.
 *
 * <p>Oracle: an answer always arrives (no hang), never a 500 (the filter fails closed only on a bug), and every page
 * of ours ({@code Content-Language} set) carries the security headers and is in a catalog language.
 */
class HttpRequestFuzzTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-02T10:00:00Z"), ZoneOffset.UTC);
  private static final Pattern STATUS = Pattern.compile("^HTTP/1\\.1 (\\d{3}) ");
  private static final Pattern CONTENT_LANGUAGE =
      Pattern.compile("(?im)^Content-Language: *([^\\r\\n]*)\\r?$");
  private static final byte[] FORM_KEY = new byte[32];

  static {
    for (int i = 0; i < FORM_KEY.length; i++) {
      FORM_KEY[i] = (byte) (3 + i * 5);
    }
  }

  private static final Fixture FIXTURE = new Fixture();

  @FuzzTest(maxDuration = "2m")
  void request(byte[] data) throws Exception {
    String raw = FIXTURE.fill(new String(data, StandardCharsets.ISO_8859_1));
    check(FIXTURE.send(frame(raw)));
  }

  @FuzzTest(maxDuration = "2m")
  void acceptLanguage(byte[] data) throws Exception {
    // One header value: CR and LF would end the header; everything else goes to Jetty as it is.
    String value =
        new String(data, StandardCharsets.ISO_8859_1).replace('\r', ' ').replace('\n', ' ');
    String response =
        FIXTURE.send(
            frame(
                "GET /app/optin/subscribe HTTP/1.1\r\nHost: localhost\r\n"
                    + "Accept-Language: "
                    + value
                    + "\r\n\r\n"));
    check(response);
    int status = status(response);
    assertTrue(status == 200 || status == 400 || status == 431, response);
    if (status == 200) {
      assertTrue(
          response.toLowerCase(Locale.ROOT).contains("\r\ncontent-language: "),
          "the page has a language");
    }
  }

  /** The JSON API's POST endpoints, one picked by the input's first byte. */
  private static final List<String> API_POSTS =
      List.of(
          "subscribe",
          "confirm/preview",
          "confirm",
          "confirm/resend",
          "unsubscribe",
          "preferences",
          "preferences/withdraw",
          "preferences/address",
          "preferences/erase");

  /**
   * Fuzzes the JSON API's body parsing: the input's bytes after the first (placeholders filled, unencoded) are the
   * body of a JSON POST to one endpoint, byte for byte (so also invalid UTF-8), with the preferences token as bearer. Oracle as above, and every refusal is a problem+json body.
   */
  @FuzzTest(maxDuration = "2m")
  void jsonBody(byte[] data) throws Exception {
    if (data.length == 0) {
      return;
    }
    String endpoint = API_POSTS.get((data[0] & 0xff) % API_POSTS.size());
    String body =
        FIXTURE.fillRaw(new String(data, 1, data.length - 1, StandardCharsets.ISO_8859_1));
    String response =
        FIXTURE.send(
            frame(
                "POST /app/optin/api/"
                    + endpoint
                    + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer "
                    + FIXTURE.manageToken()
                    + "\r\n\r\n"
                    + body));
    check(response);
    int status = status(response);
    String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
    if (status >= 400) {
      assertTrue(
          head.toLowerCase(Locale.ROOT).contains("content-type: application/problem+json"),
          response);
    }
  }

  /** The committed JSON bodies get past the parser, so fuzzing starts inside the endpoints. */
  @org.junit.jupiter.api.Test
  void committedJsonBodiesReachTheEndpoints() throws Exception {
    Map<String, Integer> expected = new java.util.LinkedHashMap<>();
    expected.put("subscribe", 202);
    expected.put("confirm-preview", 200);
    expected.put("preferences-change", 200);
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      try (java.io.InputStream in =
          HttpRequestFuzzTest.class.getResourceAsStream(
              "HttpRequestFuzzTestInputs/jsonBody/" + e.getKey())) {
        assertNotNull(in, e.getKey());
        byte[] data = in.readAllBytes();
        String endpoint = API_POSTS.get((data[0] & 0xff) % API_POSTS.size());
        String body =
            FIXTURE.fillRaw(new String(data, 1, data.length - 1, StandardCharsets.ISO_8859_1));
        String response =
            FIXTURE.send(
                frame(
                    "POST /app/optin/api/"
                        + endpoint
                        + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Authorization: Bearer "
                        + FIXTURE.manageToken()
                        + "\r\n\r\n"
                        + body));
        org.junit.jupiter.api.Assertions.assertEquals(
            e.getValue(), status(response), () -> e.getKey() + ":\n" + response);
      }
    }
  }

  /** The committed inputs get past the guards (placeholders work), so fuzzing starts deep inside the pages. */
  @org.junit.jupiter.api.Test
  void committedInputsReachThePages() throws Exception {
    Map<String, Integer> expected = new java.util.LinkedHashMap<>();
    expected.put("get-subscribe", 200);
    expected.put("post-subscribe", 200);
    expected.put("post-subscribe-known", 200);
    expected.put("post-cross-origin", 403);
    expected.put("get-confirm", 200);
    expected.put("get-preferences", 200);
    expected.put("post-preferences", 200);
    expected.put("post-one-click", 200);
    expected.put("wrong-method", 405);
    for (Map.Entry<String, Integer> e : expected.entrySet()) {
      try (java.io.InputStream in =
          HttpRequestFuzzTest.class.getResourceAsStream(
              "HttpRequestFuzzTestInputs/request/" + e.getKey())) {
        assertNotNull(in, e.getKey());
        String raw = FIXTURE.fill(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        String response = FIXTURE.send(frame(raw));
        assertNotNull(response, e.getKey());
        org.junit.jupiter.api.Assertions.assertEquals(
            e.getValue(), status(response), () -> e.getKey() + ":\n" + response);
      }
    }
  }

  private static void check(String response) {
    assertNotNull(response, "no answer: the request hangs");
    int status = status(response);
    assertNotEquals(500, status, () -> "internal error:\n" + response);
    String head =
        response
            .substring(0, Math.max(0, response.indexOf("\r\n\r\n")) + 2)
            .toLowerCase(Locale.ROOT);
    Matcher lang = CONTENT_LANGUAGE.matcher(head);
    if (lang.find()) {
      assertTrue(Set.of("en", "nl", "de", "fr").contains(lang.group(1).strip()), response);
      assertTrue(head.contains("\r\ncache-control: no-store"), response);
      assertTrue(head.contains("\r\nreferrer-policy: no-referrer"), response);
      assertTrue(head.contains("\r\nx-content-type-options: nosniff"), response);
      assertTrue(head.contains("\r\ncontent-security-policy: default-src 'none'"), response);
      assertTrue(!head.contains("\r\nset-cookie:"), response);
    }
  }

  private static int status(String response) {
    Matcher m = STATUS.matcher(response);
    assertTrue(m.find(), () -> "not an HTTP response: " + response);
    return Integer.parseInt(m.group(1));
  }

  /** Sets a truthful Content-Length and Connection: close; drops any framing header the input brought. */
  static String frame(String raw) {
    int end = raw.indexOf("\r\n\r\n");
    String head = end < 0 ? raw : raw.substring(0, end);
    String body = end < 0 ? "" : raw.substring(end + 4);
    StringBuilder b = new StringBuilder();
    for (String line : head.split("\r\n", -1)) {
      String lower = line.toLowerCase(Locale.ROOT);
      if (!lower.startsWith("content-length:")
          && !lower.startsWith("transfer-encoding:")
          && !lower.startsWith("connection:")
          && !lower.startsWith("expect:")) {
        b.append(line).append("\r\n");
      }
    }
    b.append("Content-Length: ")
        .append(body.length())
        .append("\r\nConnection: close\r\n\r\n")
        .append(body);
    return b.toString();
  }

  /** One Jetty server, one filter and one service for the whole run; no socket is opened. */
  static final class Fixture {
    final Server server = new Server();
    final LocalConnector connector = new LocalConnector(server);
    final List<MailMessage> mails = new CopyOnWriteArrayList<>();
    final OptIn optIn;
    final FormTokens formTokens = new FormTokens(FORM_KEY, CLOCK, Duration.ofHours(24));
    final String noticeHash;
    final String confirm;
    final SubjectId confirmed;

    Fixture() {
      optIn =
          OptIn.builder()
              .catalog(TestApp.catalog())
              .controller(
                  new Controller("Shop B.V.", "Main St 1, Utrecht", "privacy@shop.example", null)
                      .withSupervisoryAuthority(
                          "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
              .store(InMemoryConsentStore.create())
              .mailer(
                  batch -> {
                    mails.addAll(batch);
                    List<SendOutcome> out = new ArrayList<>();
                    batch.forEach(m -> out.add(new SendOutcome.Sent()));
                    return out;
                  })
              .signingKeys(SigningKeys.generate("k1"))
              .suppressionPepper(
                  new byte[] {
                    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                    23, 24, 25, 26, 27, 28, 29, 30, 31, 32
                  })
              .baseUrl("http://localhost/app/optin")
              .clock(CLOCK)
              .confirmationMailCap(20, Duration.ZERO)
              .build();
      OptInFilter filter =
          OptInFilter.builder(optIn)
              .formKey(FORM_KEY)
              .clock(CLOCK)
              .rateLimitPerIp(100_000, Duration.ofSeconds(1))
              .rateLimitPerAddress(1000, Duration.ofSeconds(1))
              .formPaths("/signup")
              .returnUrls("/thanks")
              .api(true)
              .build();
      ServletContextHandler ctx = new ServletContextHandler();
      ctx.setContextPath("/app");
      ctx.addFilter(new FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST));
      ctx.addServlet(App.class, "/");
      server.addConnector(connector);
      server.setHandler(ctx);
      try {
        server.start();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      Set<PurposeId> both = Set.of(PurposeId.of("newsletter"), PurposeId.of("offers"));
      org.optin4j.Notice notice = optIn.notice(both, Locale.ENGLISH);
      noticeHash = notice.hash();
      optIn.request(
          new org.optin4j.ConsentRequest(
              org.optin4j.EmailAddress.parse("ann@example.org"),
              both,
              Locale.ENGLISH,
              "fuzz",
              org.optin4j.Evidence.NONE,
              notice));
      optIn.request(
          new org.optin4j.ConsentRequest(
              org.optin4j.EmailAddress.parse("bob@example.org"),
              both,
              Locale.ENGLISH,
              "fuzz",
              org.optin4j.Evidence.NONE,
              notice));
      optIn.operations().dispatchNow();
      confirm = token(mails.get(0).text(), "confirm");
      org.optin4j.ConfirmationResult r =
          optIn.confirm(
              token(mails.get(1).text(), "confirm"),
              org.optin4j.ConfirmationChoice.all(),
              org.optin4j.Evidence.NONE);
      confirmed = ((org.optin4j.ConfirmationResult.Confirmed) r).subjectId();
    }

    String fill(String raw) {
      if (raw.indexOf('@') < 0) {
        return raw;
      }
      String manage = token(optIn.preferencesUrl(confirmed), "preferences");
      String unsub = token(optIn.unsubscribeUrl(confirmed), "unsubscribe");
      Map<String, String> values =
          Map.of(
              "@CSRF-CONFIRM@", formTokens.issue(formTokens.linkContext("confirm", confirm)),
              "@CSRF-MANAGE@", formTokens.issue(formTokens.linkContext("manage", manage)),
              "@CSRF-UNSUB@", formTokens.issue(formTokens.linkContext("unsubscribe", unsub)),
              "@CSRF@", formTokens.issue(FormTokens.signupContext()),
              "@NOTICE@", noticeHash,
              "@CONFIRM@", encode(confirm),
              "@MANAGE@", encode(manage),
              "@UNSUB@", encode(unsub));
      String out = raw;
      for (String key :
          List.of(
              "@CSRF-CONFIRM@",
              "@CSRF-MANAGE@",
              "@CSRF-UNSUB@",
              "@CSRF@",
              "@NOTICE@",
              "@CONFIRM@",
              "@MANAGE@",
              "@UNSUB@")) {
        out = out.replace(key, values.get(key));
      }
      return out;
    }

    /** The preferences token of the confirmed subject, as a bearer credential. */
    String manageToken() {
      return token(optIn.preferencesUrl(confirmed), "preferences");
    }

    /** As {@link #fill}, with the link tokens unencoded (a JSON body carries them as they are). */
    String fillRaw(String raw) {
      if (raw.indexOf('@') < 0) {
        return raw;
      }
      return raw.replace("@NOTICE@", noticeHash)
          .replace("@CONFIRM@", confirm)
          .replace("@MANAGE@", manageToken())
          .replace("@UNSUB@", token(optIn.unsubscribeUrl(confirmed), "unsubscribe"));
    }

    String send(String request) throws Exception {
      ByteBuffer response =
          connector.getResponse(
              ByteBuffer.wrap(request.getBytes(StandardCharsets.ISO_8859_1)), 5, TimeUnit.SECONDS);
      return response == null ? null : StandardCharsets.ISO_8859_1.decode(response).toString();
    }

    private static String encode(String s) {
      return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String token(String text, String page) {
      Matcher m = Pattern.compile("/" + page + "\\?token=([A-Za-z0-9%._~-]+)").matcher(text);
      if (!m.find()) {
        throw new IllegalStateException("no " + page + " link");
      }
      return java.net.URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
    }
  }

  /** The app behind the filter: answers every request it is passed. */
  public static final class App extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
      res.setContentType("text/plain;charset=UTF-8");
      res.getWriter().write("app: " + req.getAttribute(SignupOutcome.ATTRIBUTE));
    }
  }
}
