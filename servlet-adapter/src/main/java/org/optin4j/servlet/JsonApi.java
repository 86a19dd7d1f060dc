package org.optin4j.servlet;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.optin4j.Channel;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.InformationPage;
import org.optin4j.Notice;
import org.optin4j.NoticeLayers;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.ResendResult;
import org.optin4j.SubjectId;
import org.optin4j.UnsubscribeResult;
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.FeedPage;
import org.optin4j.rights.StepUpResult;

/**
 * The JSON API under {@code {prefix}/api}, for front ends that are not rendered by the server ({@code docs/json-api.md},
 * described by the OpenAPI 3.1 document it serves at {@code {prefix}/api/openapi.json}). Every endpoint runs the same
 * rules as its page, through the same classes: the {@link Guard}'s rate limits and evidence, the {@link AnswerFloor},
 * {@link SignupPages#attempt} (address check, {@link HumanCheck}, notice, per-address limit, the core's confirmation
 * mail cap), {@link ConfirmPages#settle}, {@link PreferencePages#change} and the core's step-up requests. Only the
 * transport differs: JSON in and out, problems as {@code application/problem+json} (RFC 9457).
 *
 * <p>Cross-site safety without cookies: a state-changing call must be {@code Content-Type: application/json}, which a
 * browser never sends cross-origin without a CORS preflight; a request whose {@code Origin} is not on the allow-list
 * is refused (403) before anything is read or changed; CORS grants go to allow-listed origins only ({@link
 * ApiOrigins}). Credentials are bearer tokens in {@code Authorization} (the preferences link token; an API key for the
 * feed) or a link token in the body, never cookies, so another site's page cannot make a browser send them.
 *
 * <p>Immutable and thread-safe.
 */
final class JsonApi {
  /** The API's path under the prefix. */
  static final String ROOT = "/api";

  /** The OpenAPI document, a resource of this module. */
  static final String OPENAPI_RESOURCE = "org/optin4j/servlet/openapi.json";

  private static final Set<String> NO_FIELDS = Set.of();
  private static final int MAX_PURPOSES = 64;

  private final OptIn optIn;
  private final Pages pages;
  private final Guard guard;
  private final AnswerFloor answerFloor;
  private final ApiOrigins origins;
  private final SignupPages signup;
  private final ConfirmPages confirm;
  private final PreferencePages preferences;
  private final ShownNotices notices;
  private final JsonCodec json = new JsonCodec();
  private final byte[] openApi;
  private final List<byte[]> keyDigests;
  private final Map<String, Map<String, Routes.Handler>> routes;

  JsonApi(
      OptInFilter.Settings settings,
      OptIn optIn,
      Pages pages,
      Guard guard,
      AnswerFloor answerFloor,
      ApiOrigins origins,
      SignupPages signup,
      ConfirmPages confirm,
      PreferencePages preferences,
      ShownNotices notices) {
    this.optIn = optIn;
    this.pages = pages;
    this.guard = guard;
    this.answerFloor = answerFloor;
    this.origins = origins;
    this.signup = signup;
    this.confirm = confirm;
    this.preferences = preferences;
    this.notices = notices;
    this.openApi = loadOpenApi();
    this.keyDigests = settings.apiKeys().stream().map(JsonApi::sha256).toList();
    Map<String, Map<String, Routes.Handler>> r = new LinkedHashMap<>();
    r.put("/openapi.json", Map.of("GET", this::openApi));
    r.put("/notice", Map.of("GET", this::notice));
    r.put("/information", Map.of("GET", this::information));
    r.put("/subscribe", Map.of("POST", this::subscribe));
    r.put("/confirm/preview", Map.of("POST", this::confirmPreview));
    r.put("/confirm", Map.of("POST", this::confirm));
    r.put("/confirm/resend", Map.of("POST", this::resend));
    r.put("/unsubscribe", Map.of("POST", this::unsubscribe));
    r.put("/preferences", Map.of("GET", this::preferences, "POST", this::changePreferences));
    r.put("/preferences/withdraw", Map.of("POST", this::withdraw));
    r.put("/preferences/export", Map.of("POST", this::export));
    r.put("/preferences/receipt", Map.of("POST", this::receipt));
    r.put("/preferences/address", Map.of("POST", this::address));
    r.put("/preferences/erase", Map.of("POST", this::erase));
    r.put("/events", Map.of("GET", this::events));
    this.routes = Map.copyOf(r);
  }

  private static byte[] loadOpenApi() {
    try (InputStream in = JsonApi.class.getClassLoader().getResourceAsStream(OPENAPI_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + OPENAPI_RESOURCE);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + OPENAPI_RESOURCE, e);
    }
  }

  /** Answers a request for {@code path}, the part after {@code {prefix}/api}. */
  void handle(HttpServletRequest req, HttpServletResponse res, String path) throws IOException {
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
    res.setHeader("Referrer-Policy", "no-referrer");
    String origin = ApiOrigins.origin(req);
    Map<String, Routes.Handler> route = routes.get(path);
    String method = req.getMethod();
    try {
      if ("OPTIONS".equals(method)) {
        preflight(req, res, origin, route);
        return;
      }
      if (!origins.admits(origin)) {
        // Before anything is read or changed: a page of another site gets nothing, not even a grant
        // to read this.
        res.addHeader("Vary", "Origin");
        throw new ApiRefusal(
            Problem.ORIGIN_NOT_ALLOWED, "This origin is not on the API's allow-list.");
      }
      origins.grant(res, origin);
      if (route == null) {
        throw new ApiRefusal(Problem.NOT_FOUND, "There is no such API endpoint.");
      }
      Routes.Handler handler = route.get(method);
      if (handler == null) {
        res.setHeader("Allow", allow(route));
        throw new ApiRefusal(
            Problem.METHOD_NOT_ALLOWED, "This endpoint takes " + allow(route) + ".");
      }
      if ("POST".equals(method)) {
        requireJson(req);
      }
      handler.handle(req, res);
    } catch (ApiRefusal refusal) {
      if (!res.isCommitted()) {
        if (req.getContentLengthLong() != 0 || req.getHeader("Transfer-Encoding") != null) {
          // A refusal may come before the body was read (wrong origin, type or size): the rest of
          // it would
          // still be on the connection, and a client that reused it would read no answer to its
          // next call.
          res.setHeader("Connection", "close");
        }
        json.problem(res, refusal.problem(), refusal.getMessage(), refusal.fields());
      }
    }
  }

  /**
   * Answers an internal error as a problem, on a reset response; the caller logged it. An allow-listed origin keeps
   * its grant, so that the front end can read that something failed.
   */
  void internalError(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String origin = ApiOrigins.origin(req);
    if (origins.admits(origin)) {
      origins.grant(res, origin);
    }
    json.problem(res, Problem.INTERNAL, "The request could not be handled.", List.of());
  }

  private static String allow(Map<String, Routes.Handler> route) {
    return String.join(", ", new TreeSet<>(route.keySet())) + ", OPTIONS";
  }

  /**
   * A CORS preflight: a grant only for an allow-listed origin asking for a method the route takes; otherwise a
   * problem without any grant, so that the browser never sends the actual request. An {@code OPTIONS} without
   * {@code Origin} is not a preflight: it is told the route's methods.
   */
  private void preflight(
      HttpServletRequest req,
      HttpServletResponse res,
      String origin,
      Map<String, Routes.Handler> route)
      throws IOException {
    res.addHeader("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
    if (origin != null && !origins.admits(origin)) {
      throw new ApiRefusal(
          Problem.ORIGIN_NOT_ALLOWED, "This origin is not on the API's allow-list.");
    }
    if (route == null) {
      throw new ApiRefusal(Problem.NOT_FOUND, "There is no such API endpoint.");
    }
    if (origin == null) {
      res.setHeader("Allow", allow(route));
      res.setStatus(HttpServletResponse.SC_NO_CONTENT);
      return;
    }
    String wanted = req.getHeader("Access-Control-Request-Method");
    if (wanted == null || !route.containsKey(wanted)) {
      throw new ApiRefusal(Problem.PREFLIGHT_REFUSED, "This endpoint takes " + allow(route) + ".");
    }
    origins.grantPreflight(res, origin, String.join(", ", new TreeSet<>(route.keySet())));
    res.setStatus(HttpServletResponse.SC_NO_CONTENT);
  }

  /**
   * A state-changing call must say {@code application/json} (UTF-8, the only charset of JSON: RFC 8259, section
   * 8.1): a browser sends that type cross-origin only after a preflight, which {@link ApiOrigins} answers.
   */
  private static void requireJson(HttpServletRequest req) {
    String ct = req.getContentType();
    boolean utf8 =
        ct == null
            || !ct.toLowerCase(Locale.ROOT).contains("charset")
            || ct.toLowerCase(Locale.ROOT).replace(" ", "").contains("charset=utf-8");
    if (!"application/json".equals(JsonCodec.mediaType(req)) || !utf8) {
      throw new ApiRefusal(
          Problem.UNSUPPORTED_MEDIA_TYPE, "Send the body as Content-Type: application/json.");
    }
  }

  /** Counts a state-changing call against the client's rate limit, as every page's POST is ({@link PostGate}). */
  private void rateLimit(HttpServletResponse res, HttpServletRequest req) {
    long wait = guard.ipLimit(req);
    if (wait != 0) {
      res.setHeader("Retry-After", Long.toString(wait));
      throw new ApiRefusal(Problem.TOO_MANY_REQUESTS, "Too many requests from this client.");
    }
  }

  /** A query parameter; a query the container cannot decode is the client's fault (400). */
  private static String[] query(HttpServletRequest req, String name) {
    try {
      return req.getParameterValues(name);
    } catch (RuntimeException e) {
      throw new ApiRefusal(Problem.INVALID_PARAMETER, "The query string cannot be decoded.");
    }
  }

  private static String queryOne(HttpServletRequest req, String name) {
    String[] v = query(req, name);
    if (v != null && v.length > 1) {
      throw new ApiRefusal(
          Problem.INVALID_PARAMETER,
          "The parameter " + name + " may be given once.",
          List.of(name));
    }
    return v == null ? null : v[0];
  }

  /** The language asked for: {@code language} when the catalog has it, else from {@code Accept-Language}. */
  private Locale language(HttpServletRequest req, String language, String field) {
    if (language == null) {
      return pages.locale(req);
    }
    if (language.matches("[a-z]{2,3}")) {
      Locale l = Locale.forLanguageTag(language);
      if (optIn.catalog().locales().contains(l)) {
        return l;
      }
    }
    throw new ApiRefusal(
        "language".equals(field) ? Problem.INVALID_FIELD : Problem.INVALID_PARAMETER,
        "The language must be one the catalog has: "
            + optIn.catalog().locales().stream()
                .map(Locale::getLanguage)
                .collect(Collectors.joining(", "))
            + ".",
        List.of(field));
  }

  // --- public endpoints
  // ---------------------------------------------------------------------------------------

  private void openApi(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.setStatus(200);
    res.setContentType("application/json");
    res.setCharacterEncoding("UTF-8");
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.setContentLength(openApi.length);
    res.getOutputStream().write(openApi);
  }

  /** GET: the notice for purposes (all if none is named) in a language, with its version and hash. */
  private void notice(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = language(req, queryOne(req, "lang"), "lang");
    Set<PurposeId> offered = new TreeSet<>();
    String[] wanted = query(req, "purpose");
    if (wanted != null) {
      if (wanted.length > MAX_PURPOSES) {
        throw new ApiRefusal(Problem.INVALID_PARAMETER, "Too many purposes.", List.of("purpose"));
      }
      for (String w : wanted) {
        offered.add(
            Pages.purposeId(w)
                .filter(id -> optIn.catalog().purpose(id).isPresent())
                .orElseThrow(
                    () ->
                        new ApiRefusal(
                            Problem.INVALID_PARAMETER,
                            "Each purpose must be one of the catalog's.",
                            List.of("purpose"))));
      }
    } else {
      optIn.catalog().purposes().forEach(p -> offered.add(p.id()));
    }
    json.send(res, 200, noticeJson(req, optIn.notice(offered, locale)));
  }

  /**
   * GET: the full information GDPR Art. 13 asks for about every purpose ({@link OptIn#informationPage}), in a
   * language, with the version and hash under which it is stored: what a notice's {@code information} links to.
   */
  private void information(HttpServletRequest req, HttpServletResponse res) throws IOException {
    InformationPage page = optIn.informationPage(language(req, queryOne(req, "lang"), "lang"));
    json.send(
        res,
        200,
        json.object()
            .put("version", page.version())
            .put("hash", page.hash())
            .put("language", page.locale().getLanguage())
            .put("text", page.text()));
  }

  private ObjectNode noticeJson(HttpServletRequest req, Notice notice) {
    ObjectNode n = json.object();
    n.put("version", notice.version());
    n.put("hash", notice.hash());
    n.put("language", notice.locale().getLanguage());
    Optional<NoticeLayers> layered = optIn.noticeLayers(notice);
    List<PurposeId> inCatalogOrder =
        optIn.catalog().purposes().stream()
            .map(Purpose::id)
            .filter(notice.purposes()::contains)
            .toList();
    ArrayNode ps = n.putArray("purposes");
    for (PurposeId id : notice.purposes()) {
      Purpose p = optIn.catalog().purpose(id).orElseThrow();
      ObjectNode o =
          ps.addObject().put("id", id.value()).put("title", pages.title(p, notice.locale()));
      layered.ifPresent(l -> o.put("short", l.purposes().get(inCatalogOrder.indexOf(id))));
    }
    n.put("text", notice.text());
    // The information page this notice's text names (by hash): the full information one click away.
    optIn
        .linkedInformationPage(notice)
        .ifPresent(
            page ->
                n.putObject("information")
                    .put("version", page.version())
                    .put("hash", page.hash())
                    .put(
                        "href",
                        pages.base(req)
                            + ROOT
                            + "/information?lang="
                            + page.locale().getLanguage()));
    layered.ifPresent(
        l -> {
          // The layers of the text, for a client that shows each purpose's short text at its
          // checkbox and the rest expandable (all of it, as the hash covers all of it).
          ObjectNode o = n.putObject("layers");
          o.put("intro", l.intro()).put("summary", l.summary());
          if (l.informationLink() != null) {
            o.put("informationLink", l.informationLink());
          }
          if (l.privacyPolicyUrl() != null) {
            o.put("privacyPolicyUrl", l.privacyPolicyUrl());
          }
          o.put("moreHeading", l.moreHeading()).put("details", l.details());
        });
    return n;
  }

  /** POST: starts a double opt-in; the same answer (202) for every address, no sooner than the answer floor. */
  private void subscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    JsonCodec.Body body = json.read(req, Set.of("email", "purposes", "notice", "language"));
    String email = body.text("email", true, Pages.MAX_EMAIL);
    List<String> purposes = body.texts("purposes", true, MAX_PURPOSES, 64);
    String hash = body.text("notice", true, 64);
    Locale locale = language(req, body.text("language", false, 8), "language");
    rateLimit(res, req);
    long start = System.nanoTime();
    Optional<Notice> shown = notices.byHash(hash);
    SignupPages.Chosen chosen = SignupPages.choose(purposes, notices.offered(shown));
    SignupPages.Attempt attempt =
        signup.attempt(req, locale, email, chosen, shown, pages.base(req) + ROOT + "/subscribe");
    if (attempt instanceof SignupPages.Attempt.Refused refused) {
      refuse(refused.problems());
    }
    String message = pages.t(locale, "subscribed.text");
    answerFloor.answerAt(
        req,
        res,
        start + AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS,
        (rq, rs) ->
            json.send(rs, 202, json.object().put("status", "requested").put("message", message)));
  }

  /** The signup's refusals (page text keys) as one problem. */
  private static void refuse(List<String> problems) {
    if (problems.contains("problem.notice")) {
      throw new ApiRefusal(
          Problem.NOTICE_CHANGED,
          "Fetch the notice again (GET notice), show it, and send its hash.",
          List.of("notice"));
    }
    List<String> fields = new ArrayList<>();
    if (problems.contains("problem.email")) {
      fields.add("email");
    }
    if (problems.contains(SignupPages.PROBLEM_SMTPUTF8)) {
      fields.add("email"); // a non-ASCII local part this mail server cannot deliver to
    }
    if (problems.contains("problem.purpose")) {
      fields.add("purposes");
    }
    if (problems.contains("problem.human")) {
      fields.add("humanCheck");
    }
    throw new ApiRefusal(
        Problem.INVALID_FIELD,
        "Correct the fields named and send again; nothing was recorded.",
        fields.stream().distinct().toList());
  }

  // --- the confirmation link
  // -------------------------------------------------------------------------------------

  private String linkToken(JsonCodec.Body body) {
    String token = body.text("token", true, Pages.MAX_TOKEN);
    if (token.isEmpty()) {
      throw JsonCodec.Body.invalid("token", "is required");
    }
    return token;
  }

  /** POST: what the confirmation link asks for. A read: nothing changes. */
  private void confirmPreview(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String token = linkToken(json.read(req, Set.of("token")));
    ConfirmationPreview preview = optIn.preview(token);
    if (preview instanceof ConfirmationPreview.Ready ready) {
      ObjectNode o = json.object().put("status", "ready");
      ArrayNode ps = o.putArray("purposes");
      for (Purpose p : ready.purposes()) {
        ps.addObject()
            .put("id", p.id().value())
            .put("title", pages.title(p, ready.notice().locale()));
      }
      o.set("notice", noticeJson(req, ready.notice()));
      o.put("expiresAt", ready.expiresAt().toString());
      json.send(res, 200, o);
    } else if (preview instanceof ConfirmationPreview.AlreadyConfirmed) {
      json.send(res, 200, json.object().put("status", "already-confirmed"));
    } else if (preview instanceof ConfirmationPreview.Expired) {
      throw expired();
    } else {
      throw invalidLink();
    }
  }

  /** POST: confirms the purposes chosen (an empty list declines), as the confirmation page's POST. */
  private void confirm(HttpServletRequest req, HttpServletResponse res) throws IOException {
    JsonCodec.Body body = json.read(req, Set.of("token", "purposes"));
    String token = linkToken(body);
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : body.texts("purposes", true, MAX_PURPOSES, 64)) {
      chosen.add(
          Pages.purposeId(v)
              .orElseThrow(() -> JsonCodec.Body.invalid("purposes", "must name purposes")));
    }
    rateLimit(res, req);
    ConfirmationResult result = confirm.settle(req, token, chosen);
    if (result instanceof ConfirmationResult.Confirmed c) {
      ObjectNode o =
          json.object().put("status", c.confirmed().isEmpty() ? "declined" : "confirmed");
      ArrayNode ps = o.putArray("purposes");
      c.confirmed().forEach(x -> ps.add(x.purpose().value()));
      json.send(res, 200, o);
    } else if (result instanceof ConfirmationResult.NotOffered) {
      throw JsonCodec.Body.invalid("purposes", "may name only purposes the link asks for");
    } else if (result instanceof ConfirmationResult.AlreadyConfirmed) {
      json.send(res, 200, json.object().put("status", "already-confirmed"));
    } else if (result instanceof ConfirmationResult.Expired) {
      throw expired();
    } else {
      throw invalidLink();
    }
  }

  /** POST: mails a fresh confirmation link to the address of the request; the earlier ones stop working. */
  private void resend(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String token = linkToken(json.read(req, Set.of("token")));
    rateLimit(res, req);
    ResendResult result = optIn.resendConfirmation(token);
    if (result instanceof ResendResult.Invalid) {
      throw invalidLink();
    } else if (result instanceof ResendResult.AlreadyConfirmed) {
      json.send(res, 200, json.object().put("status", "already-confirmed"));
    } else {
      json.send(res, 202, json.object().put("status", "resent"));
    }
  }

  /**
   * POST: the one-click unsubscribe of the mails' unsubscribe link, authorised by its token alone, as the RFC 8058
   * POST is: withdraws every consent of the subject.
   */
  private void unsubscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String token = linkToken(json.read(req, Set.of("token")));
    UnsubscribeResult result =
        optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, guard.evidence(req));
    if (result instanceof UnsubscribeResult.Unsubscribed) {
      json.send(res, 200, json.object().put("status", "unsubscribed"));
    } else {
      throw invalidLink();
    }
  }

  private static ApiRefusal invalidLink() {
    return new ApiRefusal(Problem.INVALID_LINK, "The link is not valid (any more).");
  }

  private static ApiRefusal expired() {
    return new ApiRefusal(
        Problem.LINK_EXPIRED, "The link has expired; POST confirm/resend for a fresh one.");
  }

  // --- the preferences link as a bearer credential
  // ---------------------------------------------------------------

  /** The bearer credential of a request (RFC 6750, section 2.1), or null if it sends none. */
  private static String bearer(HttpServletRequest req) {
    String h = req.getHeader("Authorization");
    if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String t = h.substring(7).strip();
    return t.isEmpty() || t.length() > Pages.MAX_TOKEN ? null : t;
  }

  private static ApiRefusal unauthorized(HttpServletResponse res, boolean sent) {
    res.setHeader(
        "WWW-Authenticate",
        sent ? "Bearer realm=\"optin4j\", error=\"invalid_token\"" : "Bearer realm=\"optin4j\"");
    return new ApiRefusal(Problem.UNAUTHORIZED, "Send a valid bearer credential.");
  }

  /** The preferences token of a request and its subject. */
  private record Manage(String token, SubjectId subject) {}

  private Manage manage(HttpServletRequest req, HttpServletResponse res) {
    String token = bearer(req);
    Optional<SubjectId> subject =
        token == null ? Optional.empty() : optIn.verifyPreferencesToken(token);
    if (subject.isEmpty()) {
      throw unauthorized(res, token != null);
    }
    return new Manage(token, subject.get());
  }

  /** GET: the purposes, each with its state and the notice agreed to, and the notice to offer the others with. */
  private void preferences(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    Locale locale = language(req, queryOne(req, "lang"), "lang");
    Map<PurposeId, Consent> consents =
        optIn.consents(m.subject()).stream()
            .collect(Collectors.toMap(Consent::purpose, c -> c, (x, y) -> y));
    ObjectNode o = json.object();
    ArrayNode ps = o.putArray("purposes");
    Set<PurposeId> inactive = new TreeSet<>();
    for (Purpose p : optIn.catalog().purposes()) {
      Consent c = consents.get(p.id());
      ObjectNode e = ps.addObject().put("id", p.id().value()).put("title", pages.title(p, locale));
      e.put("state", c == null ? "NONE" : c.state().name());
      if (c != null) {
        java.time.Instant since =
            switch (c.state()) {
              case CONFIRMED -> c.confirmedAt();
              case PENDING -> c.requestedAt();
              default -> c.endedAt();
            };
        if (since != null) {
          e.put("since", since.toString());
        }
        if (c.state() != ConsentState.ERASED) {
          e.putObject("notice").put("version", c.notice().version()).put("hash", c.notice().hash());
        }
      }
      if (c == null || (c.state() != ConsentState.CONFIRMED && c.state() != ConsentState.PENDING)) {
        inactive.add(p.id());
      }
    }
    if (inactive.isEmpty()) {
      o.putNull("offer");
    } else {
      o.set("offer", noticeJson(req, optIn.notice(inactive, locale)));
    }
    json.send(res, 200, o);
  }

  /** POST: the purposes wanted; new ones start a double opt-in on the notice sent, missing ones are withdrawn. */
  private void changePreferences(HttpServletRequest req, HttpServletResponse res)
      throws IOException {
    Manage m = manage(req, res);
    JsonCodec.Body body = json.read(req, Set.of("purposes", "notice", "language"));
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : body.texts("purposes", true, MAX_PURPOSES, 64)) {
      chosen.add(
          Pages.purposeId(v)
              .filter(x -> optIn.catalog().purpose(x).isPresent())
              .orElseThrow(
                  () -> JsonCodec.Body.invalid("purposes", "must name purposes of the catalog")));
    }
    String hash = body.text("notice", false, 64);
    Locale locale = language(req, body.text("language", false, 8), "language");
    rateLimit(res, req);
    PreferencePages.Change change =
        preferences.change(
            req,
            locale,
            m.subject(),
            chosen,
            () -> hash == null ? Optional.empty() : notices.byHash(hash),
            ROOT + "/preferences");
    if (change instanceof PreferencePages.Change.Saved saved) {
      json.send(
          res,
          200,
          json.object()
              .put("status", "saved")
              .put("requested", saved.requested())
              .put("throttled", saved.throttled()));
    } else if (change instanceof PreferencePages.Change.NoticeNeeded) {
      throw new ApiRefusal(
          Problem.NOTICE_CHANGED,
          "Purposes to start need the current notice: send the hash of the offer of GET preferences.",
          List.of("notice"));
    } else {
      throw unauthorized(res, true);
    }
  }

  /** POST: withdraws every consent at once. */
  private void withdraw(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    json.read(req, NO_FIELDS);
    rateLimit(res, req);
    preferences.withdrawEverything(req, m.subject());
    json.send(res, 200, json.object().put("status", "withdrawn"));
  }

  /** POST: mails the data to the address on file (never answers it: the token may have been forwarded). */
  private void export(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    json.read(req, NO_FIELDS);
    rateLimit(res, req);
    mailed(res, optIn.rights().requestDataExport(m.subject()));
  }

  /** POST: mails a signed receipt of the consents to the address on file. */
  private void receipt(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    json.read(req, NO_FIELDS);
    rateLimit(res, req);
    mailed(res, optIn.rights().mailReceipt(m.subject()));
  }

  private void mailed(HttpServletResponse res, boolean sent) throws IOException {
    json.send(res, 202, json.object().put("status", sent ? "mailed" : "throttled"));
  }

  /** POST: a new address; only a step-up link to the address on file is mailed, nothing changes yet. */
  private void address(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    JsonCodec.Body body = json.read(req, Set.of("email", "language"));
    String email = body.text("email", true, Pages.MAX_EMAIL);
    Locale locale = language(req, body.text("language", false, 8), "language");
    rateLimit(res, req);
    StepUpResult r =
        optIn.rights().stepUpAddressChange(m.token(), email, locale, guard.evidence(req));
    if (r instanceof StepUpResult.InvalidAddress) {
      Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
      throw JsonCodec.Body.invalid(
          "email",
          parsed.isPresent() && !optIn.canMail(parsed.get())
              ? "is an address this mail server cannot deliver to"
              : "must be a valid address");
    } else if (r instanceof StepUpResult.InvalidLink) {
      throw unauthorized(res, true);
    }
    // Sent, Throttled, Unchanged: one answer, so it tells nothing about the new address.
    json.send(res, 202, json.object().put("status", "step-up-mailed"));
  }

  /** POST: with {@code confirm: true}, mails a step-up link for the erasure to the address on file. */
  private void erase(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Manage m = manage(req, res);
    JsonCodec.Body body = json.read(req, Set.of("confirm", "language"));
    if (!body.bool("confirm", true)) {
      throw JsonCodec.Body.invalid("confirm", "must be true");
    }
    Locale locale = language(req, body.text("language", false, 8), "language");
    rateLimit(res, req);
    if (optIn.rights().stepUpErasure(m.token(), locale) instanceof StepUpResult.InvalidLink) {
      throw unauthorized(res, true);
    }
    json.send(res, 202, json.object().put("status", "step-up-mailed"));
  }

  // --- the event feed, for a system holding an API key
  // -----------------------------------------------------------

  /** The most entries one call returns, as {@link org.optin4j.feed.Feed#after} allows. */
  static final int MAX_LIMIT = 1000;

  private static final int DEFAULT_LIMIT = 100;

  /** GET: the feed entries after a cursor, in a stable order, with the cursor to read on from. */
  private void events(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String key = bearer(req);
    if (key == null || !knownKey(key)) {
      throw unauthorized(res, key != null);
    }
    String after = queryOne(req, "after");
    String limitText = queryOne(req, "limit");
    FeedCursor cursor;
    try {
      cursor = after == null ? FeedCursor.start() : FeedCursor.parse(after);
    } catch (IllegalArgumentException e) {
      throw new ApiRefusal(
          Problem.INVALID_PARAMETER, "after must be a cursor this API returned.", List.of("after"));
    }
    int limit = DEFAULT_LIMIT;
    if (limitText != null) {
      limit = limitText.matches("[0-9]{1,4}") ? Integer.parseInt(limitText) : 0;
      if (limit < 1 || limit > MAX_LIMIT) {
        throw new ApiRefusal(
            Problem.INVALID_PARAMETER, "limit must be 1 to " + MAX_LIMIT + ".", List.of("limit"));
      }
    }
    FeedPage page = optIn.feed().after(cursor, limit);
    ObjectNode o = json.object();
    ArrayNode entries = o.putArray("entries");
    for (FeedEntry e : page.entries()) {
      entries.add(entryJson(e));
    }
    o.put("next", page.next().toString());
    json.send(res, 200, o);
  }

  /** One feed entry, in the shape the webhook payload's {@code data} has too ({@code docs/json-api.md}). */
  private ObjectNode entryJson(FeedEntry e) {
    return json.object()
        .put("id", "msg_" + e.position())
        .put("cursor", e.cursor().toString())
        .put("subjectId", e.subjectId().value())
        .put("purpose", e.purpose().value())
        .put("type", e.type().name())
        .put("at", e.at().toString())
        .put("channel", e.channel().name());
  }

  /** Compares with every configured key, in constant time, whatever matches: the time tells nothing. */
  private boolean knownKey(String key) {
    byte[] given = sha256(key.getBytes(StandardCharsets.UTF_8));
    boolean found = false;
    for (byte[] k : keyDigests) {
      found |= MessageDigest.isEqual(given, k);
    }
    return found;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
