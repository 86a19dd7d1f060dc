package org.optin4j.servlet;

import static org.optin4j.servlet.Pages.a;
import static org.optin4j.servlet.Pages.e;
import static org.optin4j.servlet.Pages.hidden;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
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
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.ResendResult;
import org.optin4j.StepUpResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.UnsubscribeResult;

/**
 * The hosted pages under the prefix: subscribe, confirm, resend, unsubscribe and the preference center. GET and HEAD
 * only read (security rule 6); every change is a POST that passes the {@link Guard}. The HTTP contract is in the module
 * README.
 *
 * <p>Thread-safe.
 */
final class HostedPages {
  static final int MAX_TOKEN = 4096;
  static final int MAX_EMAIL = 320;
  /** The form error for an address whose non-ASCII local part the mailer cannot send to (no SMTPUTF8). */
  static final String PROBLEM_SMTPUTF8 = "problem.email.smtputf8";
  private static final int SHOWN_NOTICES_LIMIT = 1024;

  private final java.util.concurrent.ConcurrentMap<String, Notice> shownNotices =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The "check your inbox" answer to a signup leaves no sooner than this after the POST passed the guards, whatever
   * happened: a new address is written (subject, consents, events, request, outbox), a confirmed one only read, a
   * throttled or rate-limited one not even that, and the difference (about 0.3 ms on H2, more on a remote database)
   * is measurable over the network (security rule 8; {@code SubscribeTimingMeasurement}, BENCHMARKS.md). Well above
   * the work's usual cost, well below what a person notices.
   */
  static final long SIGNUP_ANSWER_FLOOR_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(50);

  private final OptInFilter.Settings settings;
  private final OptIn optIn;
  private final Pages pages;
  private final FormTokens tokens;
  private final Guard guard;
  private final byte[] stylesheet;
  private final Map<String, Route> routes;
  private final AnswerFloor answerFloor;
  private final StepUpPages stepUp;

  HostedPages(OptInFilter.Settings settings, OptIn optIn, Pages pages, Guard guard, AnswerFloor answerFloor) {
    this.answerFloor = answerFloor;
    this.settings = settings;
    this.optIn = optIn;
    this.pages = pages;
    this.guard = guard;
    this.tokens = guard.tokens();
    try (InputStream in = HostedPages.class.getResourceAsStream("optin.css")) {
      if (in == null) {
        throw new IllegalStateException("optin.css missing from the jar");
      }
      this.stylesheet = in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read optin.css", e);
    }
    this.stepUp = new StepUpPages(optIn, pages, guard, this);
    this.routes = routes();
  }

  /** A page or action: what answers GET/HEAD and what answers POST ({@code null}: that method is not allowed). */
  private record Route(Handler read, Handler post) {
    String allow() {
      return read == null ? "POST" : post == null ? "GET, HEAD" : "GET, HEAD, POST";
    }
  }

  @FunctionalInterface
  private interface Handler {
    void handle(HttpServletRequest req, HttpServletResponse res) throws IOException;
  }

  /** The HTTP contract of the hosted pages (README, "HTTP contract"): one entry per path under the prefix. */
  private Map<String, Route> routes() {
    return Map.of(
        "/subscribe", new Route(this::subscribeForm, this::subscribe),
        "/confirm", new Route(this::confirmPage, this::confirm),
        "/resend", new Route(null, this::resend),
        "/unsubscribe", new Route(this::unsubscribePage, this::unsubscribe),
        "/preferences", new Route((q, r) -> preferencesPage(q, r, List.of(), 200), this::changePreferences),
        "/preferences/withdraw", new Route(null, this::withdrawAll),
        StepUpPages.STEP_UP_PATH, new Route(stepUp::stepUpPage, stepUp::stepUp),
        StepUpPages.NOT_ME_PATH, new Route(stepUp::notMePage, stepUp::notMe),
        "/optin.css", new Route(this::css, null),
        "/.well-known/jwks.json", new Route(this::jwks, null));
  }

  void handle(HttpServletRequest req, HttpServletResponse res, String path) throws IOException {
    String m = req.getMethod();
    boolean read = "GET".equals(m) || "HEAD".equals(m);
    boolean post = "POST".equals(m);
    Route route = routes.get(path);
    if (route == null) {
      if (!preferenceAction(req, res, path, post)) {
        pages.message(req, res, 404, "not-found", pages.locale(req), "notfound.title", null, "notfound.text");
      }
      return;
    }
    Handler handler = read ? route.read() : post ? route.post() : null;
    if (handler == null) {
      notAllowed(req, res, route.allow());
    } else {
      handler.handle(req, res);
    }
  }

  /** The preference center's address, export and erase actions; false if the path is none of them. */
  private boolean preferenceAction(HttpServletRequest req, HttpServletResponse res, String path, boolean post)
      throws IOException {
    if (!path.equals("/preferences/address") && !path.equals("/preferences/export")
        && !path.equals("/preferences/receipt") && !path.equals("/preferences/erase")) {
      return false;
    }
    if (!post) {
      notAllowed(req, res, "POST");
      return true;
    }
    Locale locale = pages.formLocale(req);
    Optional<SubjectId> found = managePost(req, res, locale);
    if (found.isEmpty()) {
      return true;
    }
    SubjectId id = found.get();
    switch (path) {
      case "/preferences/address" -> {
        // A preferences link may have been forwarded: the address on file must agree first (step-up).
        String email = req.getParameter("email");
        StepUpResult r = email == null || email.length() > MAX_EMAIL ? new StepUpResult.InvalidAddress("too long")
            : optIn.rights().stepUpAddressChange(token(req), email, locale, guard.evidence(req));
        if (r instanceof StepUpResult.InvalidAddress) {
          Optional<EmailAddress> parsed = EmailAddress.tryParse(email == null ? "" : email);
          preferencesPage(req, res, List.of(parsed.isPresent() && !optIn.canMail(parsed.get())
              ? PROBLEM_SMTPUTF8 : "problem.email"), 400);
        } else if (r instanceof StepUpResult.InvalidLink) {
          invalidLink(req, res, locale);
        } else {
          // Sent, Throttled, Unchanged: one answer, so the page tells nothing about the new address.
          saved(req, res, locale, "resent.title", "address.stepup");
        }
      }
      case "/preferences/export" ->
          saved(req, res, locale, "saved.title",
              optIn.rights().requestDataExport(id) ? "export.sent" : "export.throttled");
      case "/preferences/receipt" ->
          saved(req, res, locale, "saved.title", optIn.rights().mailReceipt(id) ? "receipt.sent" : "receipt.throttled");
      default -> {
        if (!"yes".equals(req.getParameter("confirm"))) {
          preferencesPage(req, res, List.of("erase.unticked"), 400);
        } else if (optIn.rights().stepUpErasure(token(req), locale) instanceof StepUpResult.InvalidLink) {
          invalidLink(req, res, locale);
        } else {
          // Nothing is erased on a link that may have been forwarded: the address on file confirms first.
          saved(req, res, locale, "resent.title", "erase.stepup");
        }
      }
    }
    return true;
  }

  void internalError(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.reset();
    pages.message(req, res, 500, "error", pages.locale(req), "error.title", null, "error.text");
  }

  // --- subscribe ---------------------------------------------------------------------------------------------

  private void subscribeForm(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    Set<PurposeId> offered = new TreeSet<>();
    String[] wanted = req.getParameterValues("purpose");
    if (wanted != null) {
      for (String w : wanted) {
        purposeId(w).filter(id -> optIn.catalog().purpose(id).isPresent()).ifPresent(offered::add);
      }
    }
    if (offered.isEmpty()) {
      optIn.catalog().purposes().forEach(p -> offered.add(p.id()));
    }
    Notice notice = optIn.notice(offered, locale);
    String next = allowedNext(req.getParameter(Pages.NEXT_FIELD));
    sendSubscribeForm(req, res, 200, locale, notice, "", Set.of(), List.of(), next);
  }

  private void sendSubscribeForm(HttpServletRequest req, HttpServletResponse res, int status, Locale locale,
      Notice notice, String email, Set<PurposeId> ticked, List<String> problems, String next) throws IOException {
    String title = pages.t(locale, "subscribe.title");
    StringBuilder b = new StringBuilder();
    b.append("<h1>").append(e(title)).append("</h1>\n");
    b.append(pages.problems(locale, problems));
    b.append("<p>").append(e(pages.t(locale, "subscribe.intro"))).append("</p>\n");
    b.append("<form method=\"post\" accept-charset=\"UTF-8\" action=\"").append(a(pages.base(req) + "/subscribe"))
        .append("\">\n");
    b.append("<div class=\"optin-field\"><label for=\"optin-email\">").append(e(pages.t(locale, "email.label")))
        .append("</label>\n<p class=\"optin-hint\" id=\"optin-email-hint\">").append(e(pages.t(locale, "email.hint")))
        .append("</p>\n<input type=\"email\" id=\"optin-email\" name=\"email\" autocomplete=\"email\" required "
            + "maxlength=\"254\" aria-describedby=\"optin-email-hint\"");
    if (problems.contains("problem.email") || problems.contains(PROBLEM_SMTPUTF8)) {
      b.append(" aria-invalid=\"true\"");
    }
    b.append(" value=\"").append(a(email)).append("\"></div>\n");
    b.append(pages.notice(notice, locale, "optin-notice-text"));
    b.append(pages.choices(optIn.catalog().purposes().stream().filter(p -> notice.purposes().contains(p.id()))
        .toList(), locale, "purpose", ticked, "optin-purpose-", "optin-notice-text"));
    b.append(hidden(Pages.CSRF_FIELD, tokens.issue(FormTokens.signupContext())));
    b.append(hidden(Pages.NOTICE_FIELD, notice.hash()));
    b.append(hidden(Pages.LANG_FIELD, locale.getLanguage()));
    if (next != null) {
      b.append(hidden(Pages.NEXT_FIELD, next));
    }
    b.append(pages.honeypot(locale, false));
    if (settings.humanCheck() != null) {
      b.append(settings.humanCheck().formHtml(req, locale));
    }
    b.append("<button type=\"submit\">").append(e(pages.t(locale, "subscribe.submit"))).append("</button>\n");
    b.append("</form>\n");
    pages.send(req, res, status, "subscribe", locale, title, b.toString());
  }

  private void subscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.signupContext())) {
      forbidden(req, res, locale);
      return;
    }
    if (tooMany(req, res, locale)) {
      return;
    }
    long start = System.nanoTime();
    String next = allowedNext(req.getParameter(Pages.NEXT_FIELD));
    String trap = req.getParameter(Pages.HONEYPOT_FIELD);
    if (trap != null && !trap.isEmpty()) {
      subscribed(req, res, locale, next, start); // a bot: the same answer, nothing done
      return;
    }
    Optional<Notice> shown = shownNotice(req);
    Set<PurposeId> offered = shown.map(n -> Set.copyOf(n.purposes()))
        .orElseGet(() -> optIn.catalog().purposes().stream().map(Purpose::id).collect(Collectors.toSet()));
    String email = req.getParameter("email");
    email = email == null ? "" : email;
    Set<PurposeId> chosen = new TreeSet<>();
    boolean tampered = false;
    for (String v : values(req, "purpose")) {
      Optional<PurposeId> id = purposeId(v).filter(offered::contains);
      if (id.isPresent()) {
        chosen.add(id.get());
      } else {
        tampered = true;
      }
    }
    List<String> problems = new ArrayList<>();
    Optional<EmailAddress> address = email.length() > MAX_EMAIL ? Optional.empty() : EmailAddress.tryParse(email);
    if (address.isEmpty()) {
      problems.add("problem.email");
    } else if (!optIn.canMail(address.get())) {
      problems.add(PROBLEM_SMTPUTF8); // said on the form: the mail could never be sent
    }
    if (chosen.isEmpty() || tampered) {
      problems.add("problem.purpose");
    }
    if (problems.isEmpty() && settings.humanCheck() != null && !settings.humanCheck().verify(req)) {
      problems.add("problem.human");
    }
    if (problems.isEmpty() && (shown.isEmpty() || !shown.get().locale().equals(locale))) {
      problems.add("problem.notice");
    }
    String echo = email.length() > MAX_EMAIL ? "" : email;
    if (!problems.isEmpty()) {
      Notice fresh = optIn.notice(offered, locale);
      sendSubscribeForm(req, res, 400, locale, fresh, echo, chosen, problems, next);
      return;
    }
    if (!guard.addressAllowed(address.get())) {
      subscribed(req, res, locale, next, start); // the same answer: the limit reveals nothing about the address
      return;
    }
    RequestResult result = optIn.request(new ConsentRequest(email, chosen, locale, pages.base(req) + "/subscribe",
        guard.evidence(req), shown.get().hash()));
    if (result instanceof RequestResult.InvalidAddress) {
      sendSubscribeForm(req, res, 400, locale, shown.get(), echo, chosen, List.of("problem.email"), next);
    } else if (result instanceof RequestResult.StaleNotice) {
      sendSubscribeForm(req, res, 400, locale, optIn.notice(offered, locale), echo, chosen,
          List.of("problem.notice"), next);
    } else {
      subscribed(req, res, locale, next, start); // Accepted, AlreadyConfirmed, Throttled: one answer (rule 8)
    }
  }

  private void subscribed(HttpServletRequest req, HttpServletResponse res, Locale locale, String next, long start)
      throws IOException {
    String extra = next == null ? null
        : "<p><a href=\"" + a(next) + "\">" + e(pages.t(locale, "continue")) + "</a></p>\n";
    answerFloor.answerAt(req, res, start + SIGNUP_ANSWER_FLOOR_NANOS,
        (rq, rs) -> pages.message(rq, rs, 200, "subscribed", locale, "subscribed.title", extra, "subscribed.text"));
  }

  /** Waits on the calling thread until a {@link System#nanoTime()} deadline; see {@link AnswerFloor#waitUntil}. */
  static void waitUntil(long deadline) {
    AnswerFloor.waitUntil(deadline);
  }

  Optional<Notice> shownNotice(HttpServletRequest req) {
    String hash = req.getParameter(Pages.NOTICE_FIELD);
    if (hash == null || !hash.matches("[0-9a-f]{64}")) {
      return Optional.empty();
    }
    Notice known = shownNotices.get(hash);
    if (known != null) {
      return Optional.of(known);
    }
    // Stored notices are immutable and never deleted, so one found by its hash can be kept: this saved a store
    // transaction (a database round trip) on every signup. Unknown hashes are not remembered; the map is bounded.
    Optional<Notice> found = optIn.noticeByHash(hash);
    if (found.isPresent() && shownNotices.size() < SHOWN_NOTICES_LIMIT) {
      shownNotices.putIfAbsent(hash, found.get());
    }
    return found;
  }

  private String allowedNext(String next) {
    return next != null && settings.returnUrls().contains(next) ? next : null;
  }

  // --- confirm -----------------------------------------------------------------------------------------------

  private void confirmPage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = token(req);
    if (token == null) {
      invalidLink(req, res, locale);
      return;
    }
    showPreview(req, res, locale, token, optIn.preview(token), List.of(), null);
  }

  private void showPreview(HttpServletRequest req, HttpServletResponse res, Locale locale, String token,
      ConfirmationPreview preview, List<String> problems, Set<PurposeId> ticked) throws IOException {
    if (preview instanceof ConfirmationPreview.Ready ready) {
      Set<PurposeId> checked = ticked != null ? ticked
          : ready.purposes().stream().map(Purpose::id).collect(Collectors.toSet());
      String title = pages.t(locale, "confirm.title");
      StringBuilder b = new StringBuilder("<h1>").append(e(title)).append("</h1>\n");
      b.append(pages.problems(locale, problems));
      b.append("<p>").append(e(pages.t(locale, "confirm.intro"))).append("</p>\n");
      b.append("<form method=\"post\" accept-charset=\"UTF-8\" action=\"").append(a(pages.base(req) + "/confirm"))
          .append("\">\n");
      b.append(pages.choices(ready.purposes(), locale, "purpose", checked, "optin-purpose-", "optin-notice-text"));
      b.append(pages.notice(ready.notice(), locale, "optin-notice-text"));
      b.append("<p>").append(e(pages.t(locale, "confirm.until", "date", Pages.dateTime(ready.expiresAt(), locale))))
          .append("</p>\n");
      b.append(hidden("token", token));
      b.append(hidden(Pages.CSRF_FIELD, tokens.issue(FormTokens.linkContext("confirm", token))));
      b.append(hidden(Pages.LANG_FIELD, locale.getLanguage()));
      b.append("<button type=\"submit\">").append(e(pages.t(locale, "confirm.submit"))).append("</button>\n</form>\n");
      pages.send(req, res, problems.isEmpty() ? 200 : 400, "confirm", locale, title, b.toString());
    } else if (preview instanceof ConfirmationPreview.AlreadyConfirmed) {
      pages.message(req, res, 200, "already-confirmed", locale, "already.title", null, "already.text");
    } else if (preview instanceof ConfirmationPreview.Expired) {
      expired(req, res, locale, token);
    } else {
      invalidLink(req, res, locale);
    }
  }

  private void confirm(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    String token = token(req);
    if (token == null) {
      invalidLink(req, res, locale);
      return;
    }
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.linkContext("confirm", token))) {
      forbidden(req, res, locale);
      return;
    }
    if (tooMany(req, res, locale)) {
      return;
    }
    Set<PurposeId> chosen = new TreeSet<>();
    boolean tampered = false;
    for (String v : values(req, "purpose")) {
      Optional<PurposeId> id = purposeId(v);
      if (id.isPresent()) {
        chosen.add(id.get());
      } else {
        tampered = true;
      }
    }
    if (chosen.isEmpty() || tampered) {
      // An empty choice would mean "all" to the core; the person unticked everything, so nothing is confirmed.
      showPreview(req, res, locale, token, optIn.preview(token), List.of("confirm.none"), chosen);
      return;
    }
    ConfirmationResult result;
    try {
      result = optIn.confirm(token, chosen, guard.evidence(req));
    } catch (IllegalArgumentException notPartOfRequest) {
      showPreview(req, res, locale, token, optIn.preview(token), List.of("confirm.none"), Set.of());
      return;
    }
    if (result instanceof ConfirmationResult.Confirmed c) {
      String[] texts = c.confirmed().isEmpty() ? new String[] {"confirmed.declined"}
          : new String[] {"confirmed.text"};
      pages.message(req, res, 200, "confirmed", locale, "confirmed.title", null, texts);
    } else if (result instanceof ConfirmationResult.AlreadyConfirmed) {
      pages.message(req, res, 200, "already-confirmed", locale, "already.title", null, "already.text");
    } else if (result instanceof ConfirmationResult.Expired) {
      expired(req, res, locale, token);
    } else {
      invalidLink(req, res, locale);
    }
  }

  private void expired(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    String form = "<form method=\"post\" accept-charset=\"UTF-8\" action=\"" + a(pages.base(req) + "/resend") + "\">\n"
        + hidden("token", token)
        + hidden(Pages.CSRF_FIELD, tokens.issue(FormTokens.linkContext("confirm", token)))
        + hidden(Pages.LANG_FIELD, locale.getLanguage())
        + "<button type=\"submit\">" + e(pages.t(locale, "expired.submit")) + "</button>\n</form>\n";
    pages.message(req, res, 410, "expired", locale, "expired.title", form, "expired.text");
  }

  private void resend(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    String token = token(req);
    if (token == null) {
      invalidLink(req, res, locale);
      return;
    }
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.linkContext("confirm", token))) {
      forbidden(req, res, locale);
      return;
    }
    if (tooMany(req, res, locale)) {
      return;
    }
    ResendResult result = optIn.resendConfirmation(token);
    if (result instanceof ResendResult.Invalid) {
      invalidLink(req, res, locale);
    } else if (result instanceof ResendResult.AlreadyConfirmed) {
      pages.message(req, res, 200, "already-confirmed", locale, "already.title", null, "already.text");
    } else {
      pages.message(req, res, 200, "resent", locale, "resent.title", null, "resent.text");
    }
  }

  // --- unsubscribe -------------------------------------------------------------------------------------------

  private void unsubscribePage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = token(req);
    if (token == null || optIn.verifyUnsubscribeToken(token).isEmpty()) {
      invalidLink(req, res, locale);
      return;
    }
    // The button posts exactly what a mail client's RFC 8058 one-click POST sends, plus a form token.
    String form = "<form method=\"post\" accept-charset=\"UTF-8\" action=\""
        + a(pages.base(req) + "/unsubscribe?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)) + "\">\n"
        + hidden("List-Unsubscribe", "One-Click")
        + hidden(Pages.CSRF_FIELD, tokens.issue(FormTokens.linkContext("unsubscribe", token)))
        + hidden(Pages.LANG_FIELD, locale.getLanguage())
        + "<button type=\"submit\">" + e(pages.t(locale, "unsubscribe.submit")) + "</button>\n</form>\n";
    pages.message(req, res, 200, "unsubscribe", locale, "unsubscribe.title", form, "unsubscribe.text");
  }

  /**
   * RFC 8058 one-click unsubscribe: authorised by the signed token alone, no cookie, no redirect. A mail provider
   * posts {@code List-Unsubscribe=One-Click} as {@code application/x-www-form-urlencoded} or
   * {@code multipart/form-data}. The page's own button adds a form token, which is then checked too.
   */
  private void unsubscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String contentType = req.getContentType() == null ? "" : req.getContentType().toLowerCase(Locale.ROOT);
    boolean oneClick;
    String formToken = null;
    if (contentType.startsWith("multipart/form-data")) {
      oneClick = multipartOneClick(req);
    } else {
      oneClick = "One-Click".equals(req.getParameter("List-Unsubscribe"));
      formToken = req.getParameter(Pages.CSRF_FIELD);
    }
    Locale locale = pages.formLocale(req);
    String token = req.getParameter("token");
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN || !oneClick) {
      invalidLink(req, res, locale);
      return;
    }
    if (formToken != null && (!guard.sameOrigin(req)
        || !tokens.verify(FormTokens.linkContext("unsubscribe", token), formToken))) {
      forbidden(req, res, locale);
      return;
    }
    UnsubscribeResult result = optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, guard.evidence(req));
    if (result instanceof UnsubscribeResult.Unsubscribed) {
      pages.message(req, res, 200, "unsubscribed", locale, "unsubscribed.title", null, "unsubscribed.text");
    } else {
      invalidLink(req, res, locale);
    }
  }

  private static boolean multipartOneClick(HttpServletRequest req) throws IOException {
    byte[] body = req.getInputStream().readNBytes(8192);
    String s = new String(body, StandardCharsets.ISO_8859_1);
    int name = s.indexOf("name=\"List-Unsubscribe\"");
    return name >= 0 && s.indexOf("One-Click", name) > 0;
  }

  // --- preferences -------------------------------------------------------------------------------------------

  private Optional<SubjectId> manageSubject(String token) {
    return token == null ? Optional.empty() : optIn.verifyPreferencesToken(token);
  }

  void preferencesPage(HttpServletRequest req, HttpServletResponse res, List<String> problems, int status)
      throws IOException {
    Locale locale = "GET".equals(req.getMethod()) || "HEAD".equals(req.getMethod()) ? pages.locale(req)
        : pages.formLocale(req);
    String token = token(req);
    Optional<SubjectId> subject = manageSubject(token);
    if (subject.isEmpty()) {
      invalidLink(req, res, locale);
      return;
    }
    Map<PurposeId, Consent> consents = optIn.consents(subject.get()).stream()
        .collect(Collectors.toMap(Consent::purpose, c -> c, (x, y) -> y));
    String csrf = tokens.issue(FormTokens.linkContext("manage", token));
    String title = pages.t(locale, "prefs.title");
    StringBuilder b = new StringBuilder("<h1>").append(e(title)).append("</h1>\n");
    b.append(pages.problems(locale, problems));
    b.append("<p>").append(e(pages.t(locale, "prefs.intro", "controller", optIn.controller().name()))).append("</p>\n");
    b.append("<h2>").append(e(pages.t(locale, "prefs.current"))).append("</h2>\n<ul class=\"optin-states\">\n");
    Set<PurposeId> active = new TreeSet<>();
    List<Purpose> inactive = new ArrayList<>();
    for (Purpose p : optIn.catalog().purposes()) {
      Consent c = consents.get(p.id());
      b.append("<li><strong>").append(e(pages.title(p, locale))).append("</strong>: <span class=\"optin-state\">")
          .append(e(stateText(c, locale))).append("</span>");
      if (c != null && c.state() != ConsentState.ERASED) {
        Optional<Notice> agreed = optIn.noticeByHash(c.notice().hash());
        if (agreed.isPresent()) {
          b.append("\n<details><summary>")
              .append(e(pages.t(locale, "prefs.agreed", "version", String.valueOf(c.notice().version()))))
              .append("</summary><div class=\"optin-notice\" lang=\"")
              .append(a(agreed.get().locale().toLanguageTag())).append("\">").append(e(agreed.get().text()))
              .append("</div></details>");
        }
      }
      b.append("</li>\n");
      if (c != null && (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING)) {
        active.add(p.id());
      } else {
        inactive.add(p);
      }
    }
    b.append("</ul>\n");
    String action = pages.base(req) + "/preferences";
    String common = hidden("token", token) + hidden(Pages.CSRF_FIELD, csrf) + hidden(Pages.LANG_FIELD,
        locale.getLanguage());
    // change
    b.append("<section class=\"optin-section\" aria-labelledby=\"optin-change-h\">\n<h2 id=\"optin-change-h\">")
        .append(e(pages.t(locale, "prefs.change"))).append("</h2>\n<p>")
        .append(e(pages.t(locale, "prefs.change.help")))
        .append("</p>\n<form method=\"post\" accept-charset=\"UTF-8\" action=\"")
        .append(a(action)).append("\">\n").append(common);
    Notice offered = inactive.isEmpty() ? null
        : optIn.notice(inactive.stream().map(Purpose::id).collect(Collectors.toSet()), locale);
    b.append(pages.choices(optIn.catalog().purposes(), locale, "purpose", active, "optin-purpose-",
        offered == null ? null : "optin-notice-text"));
    if (offered != null) {
      b.append(pages.notice(offered, locale, "optin-notice-text"));
      b.append(hidden(Pages.NOTICE_FIELD, offered.hash()));
    }
    b.append("<button type=\"submit\">").append(e(pages.t(locale, "prefs.save"))).append("</button>\n</form>\n")
        .append("</section>\n");
    // withdraw everything
    b.append(section("optin-withdraw", pages.t(locale, "prefs.withdraw"), pages.t(locale, "prefs.withdraw.help"),
        action + "/withdraw", common, "", pages.t(locale, "prefs.withdraw.submit")));
    b.append(extraSections(req, locale, action, common));
    pages.send(req, res, status, "preferences", locale, title, b.toString());
  }

  /** The preference center sections for address change, data export and erasure. */
  private String extraSections(HttpServletRequest req, Locale locale, String action, String common) {
    String email = "<div class=\"optin-field\"><label for=\"optin-new-email\">"
        + e(pages.t(locale, "prefs.address.label")) + "</label>\n<input type=\"email\" id=\"optin-new-email\" "
        + "name=\"email\" autocomplete=\"email\" required maxlength=\"254\"></div>\n";
    String erase = "<div class=\"optin-choice\"><input type=\"checkbox\" id=\"optin-erase-confirm\" name=\"confirm\" "
        + "value=\"yes\" required> <label for=\"optin-erase-confirm\">" + e(pages.t(locale, "prefs.erase.confirm"))
        + "</label></div>\n";
    return section("optin-address", pages.t(locale, "prefs.address"), pages.t(locale, "prefs.address.help"),
        action + "/address", common, email, pages.t(locale, "prefs.address.submit"))
        + section("optin-export", pages.t(locale, "prefs.export"), pages.t(locale, "prefs.export.help"),
            action + "/export", common, "", pages.t(locale, "prefs.export.submit"))
        + section("optin-receipt", pages.t(locale, "prefs.receipt"), pages.t(locale, "prefs.receipt.help"),
            action + "/receipt", common, "", pages.t(locale, "prefs.receipt.submit"))
        + section("optin-erase", pages.t(locale, "prefs.erase"), pages.t(locale, "prefs.erase.help"),
            action + "/erase", common, erase, pages.t(locale, "prefs.erase.submit"));
  }

  static String section(String id, String heading, String help, String action, String hiddenFields,
      String fieldsHtml, String submit) {
    return "<section class=\"optin-section\" aria-labelledby=\"" + a(id) + "-h\">\n<h2 id=\"" + a(id) + "-h\">"
        + e(heading) + "</h2>\n<p>" + e(help) + "</p>\n<form method=\"post\" accept-charset=\"UTF-8\" action=\""
        + a(action) + "\">\n"
        + hiddenFields + fieldsHtml + "<button type=\"submit\" class=\"optin-secondary\">" + e(submit)
        + "</button>\n</form>\n</section>\n";
  }

  private String stateText(Consent c, Locale locale) {
    if (c == null) {
      return pages.t(locale, "prefs.state.NONE");
    }
    java.time.Instant since = switch (c.state()) {
      case CONFIRMED -> c.confirmedAt();
      case PENDING -> c.requestedAt();
      default -> c.endedAt();
    };
    return pages.t(locale, "prefs.state." + c.state().name(), "date", Pages.date(since, locale));
  }

  /** Common checks of a preference center POST; the subject, or empty after answering. */
  private Optional<SubjectId> managePost(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    String token = token(req);
    if (token == null) {
      invalidLink(req, res, locale);
      return Optional.empty();
    }
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.linkContext("manage", token))) {
      forbidden(req, res, locale);
      return Optional.empty();
    }
    if (tooMany(req, res, locale)) {
      return Optional.empty();
    }
    Optional<SubjectId> subject = manageSubject(token);
    if (subject.isEmpty()) {
      invalidLink(req, res, locale);
    }
    return subject;
  }

  private void changePreferences(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    Optional<SubjectId> found = managePost(req, res, locale);
    if (found.isEmpty()) {
      return;
    }
    SubjectId id = found.get();
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : values(req, "purpose")) {
      Optional<PurposeId> p = purposeId(v).filter(x -> optIn.catalog().purpose(x).isPresent());
      if (p.isEmpty()) {
        preferencesPage(req, res, List.of("problem.purpose"), 400);
        return;
      }
      chosen.add(p.get());
    }
    Set<PurposeId> active = new TreeSet<>();
    for (Consent c : optIn.consents(id)) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        active.add(c.purpose());
      }
    }
    Set<PurposeId> toRequest = new TreeSet<>(chosen);
    toRequest.removeAll(active);
    Set<PurposeId> toWithdraw = new TreeSet<>(active);
    toWithdraw.removeAll(chosen);
    List<String> texts = new ArrayList<>();
    texts.add("saved.text");
    if (!toRequest.isEmpty()) {
      Optional<Notice> shown = shownNotice(req);
      Optional<Subject> subject = optIn.subject(id);
      if (subject.isEmpty()) {
        invalidLink(req, res, locale);
        return;
      }
      if (shown.isEmpty() || !shown.get().locale().equals(locale)) {
        preferencesPage(req, res, List.of("problem.notice"), 400);
        return;
      }
      RequestResult r = optIn.request(new ConsentRequest(subject.get().email().value(), toRequest, locale,
          pages.base(req) + "/preferences", guard.evidence(req), shown.get().hash()));
      if (r instanceof RequestResult.StaleNotice) {
        preferencesPage(req, res, List.of("problem.notice"), 400);
        return;
      }
      texts.add(r instanceof RequestResult.Throttled ? "saved.throttled" : "saved.pending");
    }
    if (!toWithdraw.isEmpty()) {
      optIn.withdraw(id, toWithdraw, Channel.PREFERENCE_CENTER, guard.evidence(req));
    }
    saved(req, res, locale, "saved.title", texts.toArray(String[]::new));
  }

  private void withdrawAll(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    Optional<SubjectId> found = managePost(req, res, locale);
    if (found.isEmpty()) {
      return;
    }
    optIn.withdraw(found.get(), Set.of(), Channel.PREFERENCE_CENTER, guard.evidence(req));
    saved(req, res, locale, "saved.title", "withdrawn.text");
  }

  /** A result page of the preference center, with a link back to it. */
  void saved(HttpServletRequest req, HttpServletResponse res, Locale locale, String titleKey, String... texts)
      throws IOException {
    String back = "<p><a href=\"" + a(pages.base(req) + "/preferences?token="
        + URLEncoder.encode(token(req), StandardCharsets.UTF_8)) + "\">" + e(pages.t(locale, "continue"))
        + "</a></p>\n";
    pages.message(req, res, 200, "preferences-saved", locale, titleKey, back, texts);
  }

  // --- shared ------------------------------------------------------------------------------------------------

  private void css(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.setStatus(200);
    res.setContentType("text/css;charset=UTF-8");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.setContentLength(stylesheet.length);
    if (!"HEAD".equals(req.getMethod())) {
      res.getOutputStream().write(stylesheet);
    }
  }

  /**
   * The public keys that verify consent receipts, as a JWK set (RFC 7517 section 8.5 media type): no token, no
   * personal data, cacheable, readable from any origin so that a browser-based verifier can fetch it.
   */
  private void jwks(HttpServletRequest req, HttpServletResponse res) throws IOException {
    byte[] body = optIn.rights().receiptJwks().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    res.setStatus(200);
    res.setContentType("application/jwk-set+json");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.setContentLength(body.length);
    if (!"HEAD".equals(req.getMethod())) {
      res.getOutputStream().write(body);
    }
  }

  void forbidden(HttpServletRequest req, HttpServletResponse res, Locale locale) throws IOException {
    pages.message(req, res, 403, "error", locale, "forbidden.title", null, "forbidden.text");
  }

  /** Counts the POST against the client's rate limit; answers 429 and returns true if over it. */
  boolean tooMany(HttpServletRequest req, HttpServletResponse res, Locale locale) throws IOException {
    long wait = guard.ipLimit(req);
    if (wait == 0) {
      return false;
    }
    res.setHeader("Retry-After", Long.toString(wait));
    pages.message(req, res, 429, "error", locale, "toomany.title", null, "toomany.text");
    return true;
  }

  void invalidLink(HttpServletRequest req, HttpServletResponse res, Locale locale) throws IOException {
    String again = "<p><a href=\"" + a(pages.base(req) + "/subscribe") + "\">" + e(pages.t(locale, "invalid.again"))
        + "</a></p>\n";
    pages.message(req, res, 400, "invalid-link", locale, "invalid.title", again, "invalid.text");
  }

  private void notAllowed(HttpServletRequest req, HttpServletResponse res, String allow) throws IOException {
    res.setHeader("Allow", allow);
    pages.message(req, res, 405, "error", pages.locale(req), "method.title", null, "method.text");
  }

  /** The token parameter, or null if absent or oversized (refused before any parsing, security rule 5). */
  static String token(HttpServletRequest req) {
    String t = req.getParameter("token");
    return t == null || t.isEmpty() || t.length() > MAX_TOKEN ? null : t;
  }

  static List<String> values(HttpServletRequest req, String name) {
    String[] v = req.getParameterValues(name);
    return v == null ? List.of() : new ArrayList<>(new LinkedHashSet<>(List.of(v)));
  }

  static Optional<PurposeId> purposeId(String v) {
    try {
      return Optional.of(PurposeId.of(v));
    } catch (IllegalArgumentException | NullPointerException e) {
      return Optional.empty();
    }
  }
}
