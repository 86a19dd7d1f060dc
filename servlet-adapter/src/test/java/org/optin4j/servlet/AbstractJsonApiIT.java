package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.OptIn;
import org.optin4j.testing.TestClock;

/**
 * The JSON API over real HTTP (docs/json-api.md), the same suite on every container. Every answer is checked against
 * the OpenAPI document the module serves ({@link OpenApiContract}): status, content type and body schema.
 */
abstract class AbstractJsonApiIT {
  @RegisterExtension
  static final GreenMailExtension MAIL =
      new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort()).withPerMethodLifecycle(false);

  static final String APP = "/app";
  static final String API = APP + "/optin/api";
  static final String FRONT = "https://front.example";
  static final String EVIL = "https://evil.example";
  static final String KEY = "feed-reader-key-0123456789abcdefghijklmnopqrstuv";
  static final String JSON = "application/json";

  private static OpenApiContract contract;
  private final ObjectMapper mapper = new ObjectMapper();

  TestClock clock;
  OptIn optIn;
  Container container;
  Http http;

  abstract Container newContainer() throws Exception;

  @BeforeAll
  static void loadContract() throws Exception {
    contract = new OpenApiContract();
  }

  @BeforeEach
  void start() throws Exception {
    deploy(b -> {});
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
    if (optIn != null) {
      optIn.close();
    }
    MAIL.purgeEmailFromAllMailboxes();
  }

  void deploy(Consumer<OptInFilter.Builder> customize) throws Exception {
    stop();
    clock = TestClock.at(Instant.now()).ticking(Duration.ofMillis(1));
    container = newContainer();
    http = new Http(container.port());
    optIn = AbstractHostedFlowIT.service(http, clock, MAIL.getSmtp().getPort()).build();
    OptInFilter.Builder b =
        OptInFilter.builder(optIn).api(true).apiAllowedOrigins(FRONT).apiKeys(KEY);
    customize.accept(b);
    assertTrue(container.deploy(APP, AbstractHostedFlowIT.app(b.build())), "web app did not start");
  }

  // --- helpers
  // ----------------------------------------------------------------------------------------------------

  /** Sends a request to {@code {prefix}/api<path>} and checks the answer against the OpenAPI document. */
  Http.Response call(String method, String path, String body, String... headers) throws Exception {
    Http.Response r = http.request(method, API + path, body, headers);
    if (!"OPTIONS".equals(method)) {
      contract.check(method, "/api" + path.split("\\?")[0], r);
    }
    return r;
  }

  Http.Response get(String path, String... headers) throws Exception {
    return call("GET", path, null, headers);
  }

  Http.Response post(String path, String json, String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Content-Type";
    all[1] = JSON;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return call("POST", path, json, all);
  }

  /** A JSON object from name, value pairs; a value that is a String[] becomes an array. */
  String json(Object... pairs) {
    ObjectNode o = mapper.createObjectNode();
    for (int i = 0; i < pairs.length; i += 2) {
      String name = (String) pairs[i];
      Object v = pairs[i + 1];
      if (v instanceof String[] a) {
        ArrayNode arr = o.putArray(name);
        for (String s : a) {
          arr.add(s);
        }
      } else if (v instanceof Boolean b) {
        o.put(name, b);
      } else if (v instanceof Integer n) {
        o.put(name, n);
      } else {
        o.put(name, (String) v);
      }
    }
    return o.toString();
  }

  JsonNode read(Http.Response r) throws Exception {
    return mapper.readTree(r.body());
  }

  static String[] purposes(String... p) {
    return p;
  }

  String noticeHash(String... purposes) throws Exception {
    String q = purposes.length == 0 ? "" : "?purpose=" + String.join("&purpose=", purposes);
    Http.Response r = get("/notice" + q);
    assertEquals(200, r.status(), r.body());
    return read(r).get("hash").asText();
  }

  Http.Response subscribe(String email, String... purposes) throws Exception {
    return post(
        "/subscribe", json("email", email, "purposes", purposes, "notice", noticeHash(purposes)));
  }

  List<MimeMessage> dispatch() throws Exception {
    optIn.operations().dispatchNow();
    return List.of(MAIL.getReceivedMessages());
  }

  String token(String email, String kind) throws Exception {
    return AbstractHostedFlowIT.tokenOf(
        AbstractHostedFlowIT.link(dispatch(), http.origin, email, kind));
  }

  /** Subscribes and confirms through the API; returns the preferences token of the confirmation mail. */
  String confirmed(String email, String... purposes) throws Exception {
    assertEquals(202, subscribe(email, purposes).status());
    Http.Response ok =
        post("/confirm", json("token", token(email, "confirm"), "purposes", purposes));
    assertEquals(200, ok.status(), ok.body());
    return token(email, "preferences");
  }

  Map<String, ConsentState> states(String email) {
    return optIn
        .findSubject(email)
        .map(
            s ->
                optIn.consents(s.id()).stream()
                    .collect(Collectors.toMap(c -> c.purpose().value(), Consent::state)))
        .orElse(Map.of());
  }

  static void assertProblem(Http.Response r, int status, String slug) {
    assertEquals(status, r.status(), r.body());
    assertTrue(r.header("Content-Type").startsWith("application/problem+json"), r.body());
    assertTrue(r.body().contains("\"type\":\"urn:optin4j:problem:" + slug + "\""), r.body());
    assertFalse(r.body().contains("Exception"), r.body());
  }

  // --- the document and the notice
  // --------------------------------------------------------------------------------

  @Test
  void openApiDocumentIsServedPublicAndCacheableAsOpenApi31() throws Exception {
    Http.Response r = get("/openapi.json");
    assertEquals(200, r.status());
    assertTrue(r.header("Cache-Control").contains("public"), r.header("Cache-Control"));
    JsonNode doc = read(r);
    assertEquals("3.1.0", doc.get("openapi").asText());
    assertEquals(contract.document(), doc, "the document served is the module's resource");
    assertEquals("nosniff", r.header("X-Content-Type-Options"));
  }

  @Test
  void noticeAnswersTheTextWithItsVersionAndHashPerLanguage() throws Exception {
    JsonNode en = read(get("/notice?purpose=newsletter&lang=en"));
    JsonNode de = read(get("/notice?purpose=newsletter", "Accept-Language", "de-DE"));
    assertEquals(1, en.get("version").asInt());
    assertEquals("en", en.get("language").asText());
    assertEquals("de", de.get("language").asText());
    assertTrue(en.get("text").asText().contains("Monthly newsletter"), en.toString());
    assertTrue(de.get("text").asText().contains("Monatlicher Newsletter"), de.toString());
    assertNotEquals(en.get("hash"), de.get("hash"));
    assertEquals("newsletter", en.get("purposes").get(0).get("id").asText());
    assertEquals(2, read(get("/notice")).get("purposes").size(), "no purpose named: all");
    assertProblem(get("/notice?purpose=nope"), 400, "invalid-parameter");
    assertProblem(get("/notice?lang=xx"), 400, "invalid-parameter");
  }

  @Test
  void informationAnswersTheStoredPageThatTheNoticeLinksTo() throws Exception {
    JsonNode notice = read(get("/notice?purpose=newsletter&lang=de"));
    JsonNode ref = notice.get("information");
    assertEquals(API + "/information?lang=de", ref.get("href").asText());

    JsonNode page = read(get("/information?lang=de"));

    org.optin4j.InformationPage stored = optIn.informationPage(java.util.Locale.GERMAN);
    assertEquals(stored.hash(), page.get("hash").asText());
    assertEquals(stored.version(), page.get("version").asInt());
    assertEquals("de", page.get("language").asText());
    assertEquals(stored.text(), page.get("text").asText());
    assertEquals(ref.get("hash"), page.get("hash"), "the notice links to this version");
    assertTrue(notice.get("text").asText().contains(stored.hash()), "the hash is in the proof");
    assertEquals(
        "en", read(get("/information", "Accept-Language", "en-GB")).get("language").asText());
    assertProblem(get("/information?lang=xx"), 400, "invalid-parameter");
  }

  // --- signup and confirmation
  // -------------------------------------------------------------------------------------

  @Test
  void subscribeAnswersTheSameForANewAndAConfirmedAddressNoSoonerThanTheFloor() throws Exception {
    confirmed("ann@example.org", "newsletter");
    MAIL.purgeEmailFromAllMailboxes();
    long t0 = System.nanoTime();
    Http.Response known = subscribe("ann@example.org", "newsletter");
    long known1 = System.nanoTime() - t0;
    Http.Response fresh = subscribe("bob@example.org", "newsletter");
    assertEquals(202, known.status());
    assertEquals(known.status(), fresh.status());
    assertEquals(known.body(), fresh.body());
    assertEquals(known.header("Content-Type"), fresh.header("Content-Type"));
    assertTrue(
        known1 >= AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS, "answered before the floor: " + known1);
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("bob@example.org"));
  }

  @Test
  void subscribeRefusesAnInvalidAddressOrPurposeOrAStaleNoticeRecordingNothing() throws Exception {
    String hash = noticeHash("newsletter");
    Http.Response bad =
        post(
            "/subscribe",
            json("email", "not-an-address", "purposes", purposes("newsletter"), "notice", hash));
    assertProblem(bad, 400, "invalid-field");
    assertTrue(bad.body().contains("\"fields\":[\"email\"]"), bad.body());
    assertFalse(bad.body().contains("not-an-address"), "no echo of the input");
    assertProblem(
        post(
            "/subscribe",
            json("email", "a@example.org", "purposes", purposes("offers"), "notice", hash)),
        400,
        "invalid-field");
    assertProblem(
        post(
            "/subscribe",
            json(
                "email",
                "a@example.org",
                "purposes",
                purposes("newsletter"),
                "notice",
                "0".repeat(64))),
        409,
        "notice-changed");
    assertTrue(states("a@example.org").isEmpty());
    assertTrue(dispatch().isEmpty(), "nothing was mailed");
  }

  @Test
  void confirmationThroughTheApiPreviewsThenConfirmsOnlyThePurposesChosen() throws Exception {
    assertEquals(202, subscribe("ann@example.org", "newsletter", "offers").status());
    String token = token("ann@example.org", "confirm");
    JsonNode preview = read(post("/confirm/preview", json("token", token)));
    assertEquals("ready", preview.get("status").asText());
    assertEquals(2, preview.get("purposes").size());
    assertEquals(
        Map.of("newsletter", ConsentState.PENDING, "offers", ConsentState.PENDING),
        states("ann@example.org"),
        "the preview changes nothing");

    JsonNode done =
        read(post("/confirm", json("token", token, "purposes", purposes("newsletter"))));
    assertEquals("confirmed", done.get("status").asText());
    assertEquals("newsletter", done.get("purposes").get(0).asText());
    assertEquals(ConsentState.CONFIRMED, states("ann@example.org").get("newsletter"));
    assertNotEquals(ConsentState.CONFIRMED, states("ann@example.org").get("offers"));

    assertEquals(
        "already-confirmed",
        read(post("/confirm", json("token", token, "purposes", purposes("newsletter"))))
            .get("status")
            .asText());
    assertProblem(post("/confirm/preview", json("token", "nonsense")), 400, "invalid-link");
  }

  @Test
  void anExpiredConfirmationLinkIs410AndResendMailsAFreshOne() throws Exception {
    assertEquals(202, subscribe("ann@example.org", "newsletter").status());
    String old = token("ann@example.org", "confirm");
    clock.advance(Duration.ofHours(49));
    assertProblem(post("/confirm/preview", json("token", old)), 410, "link-expired");
    assertProblem(
        post("/confirm", json("token", old, "purposes", purposes("newsletter"))),
        410,
        "link-expired");
    MAIL.purgeEmailFromAllMailboxes();
    Http.Response resent = post("/confirm/resend", json("token", old));
    assertEquals(202, resent.status(), resent.body());
    assertEquals("resent", read(resent).get("status").asText());
    String fresh = token("ann@example.org", "confirm");
    assertNotEquals(old, fresh);
    assertEquals(
        "confirmed",
        read(post("/confirm", json("token", fresh, "purposes", purposes("newsletter"))))
            .get("status")
            .asText());
    assertEquals(
        "already-confirmed",
        read(post("/confirm/resend", json("token", fresh))).get("status").asText());
  }

  @Test
  void receiptIsMailedToTheAddressOnFile() throws Exception {
    String auth = "Bearer " + confirmed("ann@example.org", "newsletter");
    MAIL.purgeEmailFromAllMailboxes();
    Http.Response r = post("/preferences/receipt", "{}", "Authorization", auth);
    assertEquals(202, r.status(), r.body());
    assertEquals("mailed", read(r).get("status").asText());
    List<MimeMessage> mails = dispatch();
    assertEquals(1, mails.size());
    assertEquals("ann@example.org", mails.get(0).getAllRecipients()[0].toString());
  }

  @Test
  void anEmptyChoiceDeclinesTheRequest() throws Exception {
    assertEquals(202, subscribe("ann@example.org", "newsletter").status());
    JsonNode done =
        read(
            post(
                "/confirm",
                json("token", token("ann@example.org", "confirm"), "purposes", purposes())));
    assertEquals("declined", done.get("status").asText());
    assertNotEquals(ConsentState.CONFIRMED, states("ann@example.org").get("newsletter"));
  }

  // --- cross-site safety
  // -------------------------------------------------------------------------------------------

  @Test
  void crossOriginRequestWithoutAnAllowListedOriginGetsNoGrantAndChangesNothing() throws Exception {
    String hash = noticeHash("newsletter");
    Http.Response r =
        post(
            "/subscribe",
            json("email", "ann@example.org", "purposes", purposes("newsletter"), "notice", hash),
            "Origin",
            EVIL);
    assertProblem(r, 403, "origin-not-allowed");
    assertNull(r.header("Access-Control-Allow-Origin"));
    assertTrue(states("ann@example.org").isEmpty(), "nothing recorded");
    assertTrue(dispatch().isEmpty(), "nothing mailed");

    String prefs = confirmed("bob@example.org", "newsletter");
    Http.Response w =
        post("/preferences/withdraw", "{}", "Authorization", "Bearer " + prefs, "Origin", EVIL);
    assertProblem(w, 403, "origin-not-allowed");
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("bob@example.org"));
    assertProblem(get("/notice", "Origin", "null"), 403, "origin-not-allowed");
  }

  @Test
  void allowListedOriginGetsItsExactOriginGrantedWithoutCredentials() throws Exception {
    Http.Response r = get("/notice", "Origin", FRONT);
    assertEquals(200, r.status());
    assertEquals(FRONT, r.header("Access-Control-Allow-Origin"));
    assertNull(r.header("Access-Control-Allow-Credentials"));
    assertTrue(r.headers().allValues("Vary").stream().anyMatch(v -> v.contains("Origin")));
    Http.Response own = get("/notice", "Origin", http.origin);
    assertEquals(
        http.origin, own.header("Access-Control-Allow-Origin"), "the base URL's own origin");
    Http.Response server = get("/notice");
    assertEquals(200, server.status(), "no Origin: a server, allowed on public endpoints");
    assertNull(server.header("Access-Control-Allow-Origin"));
  }

  @Test
  void preflightIsGrantedOnlyToAnAllowListedOriginForAKnownRouteAndMethod() throws Exception {
    Http.Response ok =
        call(
            "OPTIONS",
            "/subscribe",
            null,
            "Origin",
            FRONT,
            "Access-Control-Request-Method",
            "POST",
            "Access-Control-Request-Headers",
            "content-type");
    assertEquals(204, ok.status());
    assertEquals(FRONT, ok.header("Access-Control-Allow-Origin"));
    assertTrue(ok.header("Access-Control-Allow-Methods").contains("POST"));
    assertTrue(ok.header("Access-Control-Allow-Headers").contains("Content-Type"));
    assertTrue(ok.header("Access-Control-Allow-Headers").contains("Authorization"));
    assertTrue(ok.header("Access-Control-Allow-Headers").contains("X-Human-Check"));
    assertNull(ok.header("Access-Control-Allow-Credentials"));

    Http.Response foreign =
        call(
            "OPTIONS", "/subscribe", null, "Origin", EVIL, "Access-Control-Request-Method", "POST");
    assertNull(foreign.header("Access-Control-Allow-Origin"));
    assertNull(foreign.header("Access-Control-Allow-Methods"));
    assertProblem(foreign, 403, "origin-not-allowed");

    Http.Response unknown =
        call("OPTIONS", "/nowhere", null, "Origin", FRONT, "Access-Control-Request-Method", "POST");
    assertNull(unknown.header("Access-Control-Allow-Origin"));
    assertProblem(unknown, 404, "not-found");

    Http.Response wrongMethod =
        call(
            "OPTIONS",
            "/subscribe",
            null,
            "Origin",
            FRONT,
            "Access-Control-Request-Method",
            "DELETE");
    assertNull(wrongMethod.header("Access-Control-Allow-Origin"));
    assertProblem(wrongMethod, 403, "preflight-refused");
  }

  @Test
  void stateChangingCallWithoutJsonContentTypeIs415AndChangesNothing() throws Exception {
    String body =
        json(
            "email",
            "ann@example.org",
            "purposes",
            purposes("newsletter"),
            "notice",
            noticeHash("newsletter"));
    for (String type :
        List.of(
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=ISO-8859-1")) {
      Http.Response r = call("POST", "/subscribe", body, "Content-Type", type);
      assertProblem(r, 415, "unsupported-media-type");
      // Refused before the body was read: the connection is not reused for the next call.
      assertEquals("close", r.header("Connection"), type);
    }
    assertTrue(states("ann@example.org").isEmpty());
    assertEquals(202, post("/subscribe", body.toString(), "Origin", FRONT).status());
  }

  // --- strict input
  // -----------------------------------------------------------------------------------------------

  @Test
  void badJsonWrongTypesUnknownFieldsAndOversizedBodiesAre400ProblemsNever500() throws Exception {
    String hash = noticeHash("newsletter");
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("{", "invalid-json");
    cases.put("[]", "invalid-json");
    cases.put("\"x\"", "invalid-json");
    cases.put("{} {}", "invalid-json");
    cases.put("{\"email\":\"a@example.org\",\"email\":\"b@example.org\"}", "invalid-json");
    cases.put("\u00ff\u00fe{}", "invalid-json");
    cases.put("{\"a\":".repeat(50) + "1" + "}".repeat(50), "invalid-json");
    cases.put("{\"email\":1" + "0".repeat(100) + "}", "invalid-json");
    cases.put(
        json(
            "email",
            "a@example.org",
            "purposes",
            purposes("newsletter"),
            "notice",
            hash,
            "admin",
            true),
        "unknown-field");
    cases.put(
        "{\"email\":42,\"purposes\":[\"newsletter\"],\"notice\":\"" + hash + "\"}",
        "invalid-field");
    cases.put(
        "{\"email\":\"a@example.org\",\"purposes\":\"newsletter\",\"notice\":\"" + hash + "\"}",
        "invalid-field");
    cases.put(
        "{\"email\":\"a@example.org\",\"purposes\":[1],\"notice\":\"" + hash + "\"}",
        "invalid-field");
    cases.put("{\"email\":\"a@example.org\",\"purposes\":[\"newsletter\"]}", "invalid-field");
    cases.put("{\"email\":\"" + "a".repeat(20_000) + "\"}", "body-too-large");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      Http.Response r = post("/subscribe", c.getKey());
      assertProblem(r, 400, c.getValue());
      assertFalse(r.body().contains("a@example.org"), "no echo: " + r.body());
    }
    Http.Response unknownField = post("/confirm/preview", json("token", "x", "sneaky", "y"));
    assertTrue(unknownField.body().contains("\"fields\":[\"sneaky\"]"), unknownField.body());
    assertTrue(states("a@example.org").isEmpty());
  }

  @Test
  void unknownPathIs404ProblemAndWrongMethodIs405ProblemWithAllow() throws Exception {
    assertProblem(get("/nowhere"), 404, "not-found");
    Http.Response r = call("PUT", "/subscribe", "{}", "Content-Type", JSON);
    assertProblem(r, 405, "method-not-allowed");
    assertEquals("POST, OPTIONS", r.header("Allow"));
    Http.Response g = get("/subscribe");
    assertProblem(g, 405, "method-not-allowed");
  }

  @Test
  void apiIsOffUnlessSwitchedOn() throws Exception {
    deploy(b -> b.api(false));
    Http.Response r = http.get(API + "/notice");
    assertEquals(404, r.status());
    assertFalse(r.header("Content-Type").contains("json"), "the hosted pages' 404, not the API");
  }

  @Test
  void humanCheckRunsOnTheApiSignupAndCanReadAHeader() throws Exception {
    deploy(
        b ->
            b.humanCheck(
                new HumanCheck() {
                  @Override
                  public String formHtml(
                      jakarta.servlet.http.HttpServletRequest r, java.util.Locale l) {
                    return "";
                  }

                  @Override
                  public boolean verify(jakarta.servlet.http.HttpServletRequest r) {
                    return "solved".equals(r.getHeader(ApiOrigins.HUMAN_CHECK_HEADER));
                  }
                }));
    Http.Response refused = subscribe("ann@example.org", "newsletter");
    assertProblem(refused, 400, "invalid-field");
    assertTrue(refused.body().contains("\"fields\":[\"humanCheck\"]"), refused.body());
    assertTrue(states("ann@example.org").isEmpty());
    String body =
        json(
            "email",
            "ann@example.org",
            "purposes",
            purposes("newsletter"),
            "notice",
            noticeHash("newsletter"));
    assertEquals(202, post("/subscribe", body, "X-Human-Check", "solved").status());
    assertEquals(Map.of("newsletter", ConsentState.PENDING), states("ann@example.org"));
  }

  @Test
  void internalErrorIsA500ProblemThatSaysNothingMore() throws Exception {
    deploy(
        b ->
            b.humanCheck(
                new HumanCheck() {
                  @Override
                  public String formHtml(
                      jakarta.servlet.http.HttpServletRequest r, java.util.Locale l) {
                    return "";
                  }

                  @Override
                  public boolean verify(jakarta.servlet.http.HttpServletRequest r) {
                    throw new IllegalStateException("captcha service down: secret-detail");
                  }
                }));
    String body =
        json(
            "email",
            "ann@example.org",
            "purposes",
            purposes("newsletter"),
            "notice",
            noticeHash("newsletter"));
    Http.Response r =
        http.request("POST", API + "/subscribe", body, "Content-Type", JSON, "Origin", FRONT);
    assertProblem(r, 500, "internal");
    assertFalse(r.body().contains("secret-detail"), r.body());
    assertEquals(FRONT, r.header("Access-Control-Allow-Origin"), "the front end may read it");
    contract.validate("#/components/schemas/Problem", r.body(), "500");
  }

  // --- preferences with the link token as bearer
  // ------------------------------------------------------------------

  @Test
  void preferencesReadAndChangeWithTheLinkTokenAsBearer() throws Exception {
    String prefs = confirmed("ann@example.org", "newsletter");
    String auth = "Bearer " + prefs;
    JsonNode read = read(get("/preferences", "Authorization", auth));
    JsonNode first = read.get("purposes").get(0);
    assertEquals("newsletter", first.get("id").asText());
    assertEquals("CONFIRMED", first.get("state").asText());
    assertEquals(1, first.get("notice").get("version").asInt());
    String offer = read.get("offer").get("hash").asText();
    assertFalse(read.toString().contains("ann@example.org"), "the link never shows the address");

    JsonNode saved =
        read(
            post(
                "/preferences",
                json("purposes", purposes("offers"), "notice", offer),
                "Authorization",
                auth));
    assertEquals("saved", saved.get("status").asText());
    assertTrue(saved.get("requested").asBoolean());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.PENDING),
        states("ann@example.org"),
        "newsletter withdrawn at once, offers by double opt-in");

    assertProblem(
        post("/preferences", json("purposes", purposes("newsletter")), "Authorization", auth),
        409,
        "notice-changed");
    assertEquals(
        "withdrawn",
        read(post("/preferences/withdraw", "{}", "Authorization", auth)).get("status").asText());
    assertEquals(ConsentState.WITHDRAWN, states("ann@example.org").get("newsletter"));
  }

  @Test
  void preferencesWithoutAValidBearerAre401WithWwwAuthenticate() throws Exception {
    Http.Response none = get("/preferences");
    assertProblem(none, 401, "unauthorized");
    assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"));
    Http.Response bad = post("/preferences/withdraw", "{}", "Authorization", "Bearer nonsense");
    assertProblem(bad, 401, "unauthorized");
    assertTrue(bad.header("WWW-Authenticate").contains("invalid_token"));
    confirmed("ann@example.org", "newsletter");
    String unsubscribeToken = token("ann@example.org", "unsubscribe");
    assertProblem(
        get("/preferences", "Authorization", "Bearer " + unsubscribeToken), 401, "unauthorized");
  }

  @Test
  void addressChangeErasureAndExportOnlyMailTheAddressOnFile() throws Exception {
    String auth = "Bearer " + confirmed("ann@example.org", "newsletter");
    int before = dispatch().size();
    Http.Response address =
        post("/preferences/address", json("email", "new@example.org"), "Authorization", auth);
    assertEquals(202, address.status());
    assertEquals("step-up-mailed", read(address).get("status").asText());
    assertTrue(
        optIn.findSubject("new@example.org").isEmpty(), "nothing changes before the step-up");
    Http.Response erase = post("/preferences/erase", json("confirm", true), "Authorization", auth);
    assertEquals(202, erase.status());
    assertProblem(
        post("/preferences/erase", json("confirm", false), "Authorization", auth),
        400,
        "invalid-field");
    Http.Response export = post("/preferences/export", "", "Authorization", auth);
    assertEquals(202, export.status());
    assertEquals("mailed", read(export).get("status").asText());
    assertFalse(export.body().contains("ann@example.org"), "the data is mailed, never answered");
    List<MimeMessage> mails = dispatch();
    assertTrue(mails.size() >= before + 3, "step-up, step-up and export mails");
    for (MimeMessage m : mails.subList(before, mails.size())) {
      assertEquals(
          "ann@example.org", m.getAllRecipients()[0].toString(), "only the address on file");
    }
    assertEquals(Map.of("newsletter", ConsentState.CONFIRMED), states("ann@example.org"));
  }

  // --- one-click unsubscribe
  // --------------------------------------------------------------------------------------

  @Test
  void oneClickUnsubscribeWithItsTokenWithdrawsEverything() throws Exception {
    confirmed("ann@example.org", "newsletter", "offers");
    String token = token("ann@example.org", "unsubscribe");
    JsonNode r = read(post("/unsubscribe", json("token", token)));
    assertEquals("unsubscribed", r.get("status").asText());
    assertEquals(
        Map.of("newsletter", ConsentState.WITHDRAWN, "offers", ConsentState.WITHDRAWN),
        states("ann@example.org"));
    assertProblem(post("/unsubscribe", json("token", "nonsense")), 400, "invalid-link");
  }

  // --- rate limit
  // -------------------------------------------------------------------------------------------------

  @Test
  void overTheClientsRateLimitStateChangingCallsGet429ProblemWithRetryAfter() throws Exception {
    deploy(b -> b.rateLimitPerIp(2, Duration.ofMinutes(10)));
    assertEquals(202, subscribe("a@example.org", "newsletter").status());
    assertEquals(202, subscribe("b@example.org", "newsletter").status());
    Http.Response r = subscribe("c@example.org", "newsletter");
    assertProblem(r, 429, "too-many-requests");
    assertTrue(Long.parseLong(r.header("Retry-After")) > 0);
    assertTrue(states("c@example.org").isEmpty());
  }

  // --- the event feed
  // ---------------------------------------------------------------------------------------------

  @Test
  void eventsWithoutOrWithAWrongKeyAre401WithWwwAuthenticate() throws Exception {
    Http.Response none = get("/events");
    assertProblem(none, 401, "unauthorized");
    assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"));
    assertProblem(get("/events", "Authorization", "Bearer " + KEY + "x"), 401, "unauthorized");
    assertProblem(get("/events", "Authorization", "Basic " + KEY), 401, "unauthorized");
    String prefs = confirmed("ann@example.org", "newsletter");
    assertProblem(get("/events", "Authorization", "Bearer " + prefs), 401, "unauthorized");
  }

  @Test
  void eventsArePagedInAStableOrderWithAnOpaqueCursor() throws Exception {
    confirmed("ann@example.org", "newsletter");
    confirmed("bob@example.org", "offers");
    String auth = "Bearer " + KEY;
    JsonNode all = read(get("/events?limit=1000", "Authorization", auth));
    int total = all.get("entries").size();
    assertTrue(total >= 4, all.toString());
    assertFalse(all.toString().contains("@example.org"), "never an address");

    List<String> paged = new ArrayList<>();
    String after = null;
    for (int i = 0; i < total + 1; i++) {
      JsonNode page =
          read(
              get(
                  "/events?limit=1" + (after == null ? "" : "&after=" + after),
                  "Authorization",
                  auth));
      for (JsonNode e : page.get("entries")) {
        paged.add(e.get("id").asText());
      }
      after = page.get("next").asText();
    }
    List<String> ids = new ArrayList<>();
    all.get("entries").forEach(e -> ids.add(e.get("id").asText()));
    assertEquals(ids, paged, "paging sees the same entries in the same order");
    JsonNode end = read(get("/events?after=" + after, "Authorization", auth));
    assertEquals(0, end.get("entries").size());
    assertEquals(after, end.get("next").asText(), "at the end the cursor stays");
    JsonNode e = all.get("entries").get(0);
    assertEquals(
        "msg_" + org.optin4j.feed.FeedCursor.parse(e.get("cursor").asText()).position(),
        e.get("id").asText(),
        "the id is msg_ and the entry's position, the cursor just after it");
    assertEquals(
        List.of("id", "cursor", "subjectId", "purpose", "type", "at", "channel"),
        iterable(e.fieldNames()),
        "the shared feed entry shape, in its order");
    // One shape for the feed over HTTP and the webhook payload's data (written in the core for
    // webhooks).
    List<org.optin4j.feed.FeedEntry> stored =
        optIn.feed().after(org.optin4j.feed.FeedCursor.start(), 1000).entries();
    assertEquals(total, stored.size());
    for (int i = 0; i < total; i++) {
      assertEquals(
          mapper.readTree(org.optin4j.internal.FeedEntryJson.entry(stored.get(i))),
          all.get("entries").get(i),
          "entry " + i + " as a webhook's data");
    }

    assertProblem(get("/events?limit=0", "Authorization", auth), 400, "invalid-parameter");
    assertProblem(get("/events?limit=1001", "Authorization", auth), 400, "invalid-parameter");
    assertProblem(get("/events?limit=x", "Authorization", auth), 400, "invalid-parameter");
    assertProblem(get("/events?after=nonsense", "Authorization", auth), 400, "invalid-parameter");
  }

  private static List<String> iterable(java.util.Iterator<String> it) {
    List<String> out = new ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }
}
