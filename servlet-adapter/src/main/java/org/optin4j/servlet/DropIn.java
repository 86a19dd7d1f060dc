package org.optin4j.servlet;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.AddressCheck;
import org.optin4j.ConsentRequest;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;

/**
 * The drop-in on the app's own pages: reads the POST of a configured signup form, and replaces marker elements in
 * configured static HTML pages.
 *
 * <p>Thread-safe.
 */
final class DropIn {
  private static final Pattern MARKER =
      Pattern.compile(
          "<optin-notice\\s+purposes\\s*=\\s*\"([^\"]*)\"\\s*(?:/>|>\\s*</optin-notice\\s*>)",
          Pattern.CASE_INSENSITIVE);
  private static final String MARKER_START = "<optin-notice";
  private static final Set<String> CONDITIONAL =
      Set.of(
          "if-none-match",
          "if-modified-since",
          "if-match",
          "if-unmodified-since",
          "if-range",
          "range");

  private final OptInFilter.Settings settings;
  private final OptIn optIn;
  private final OptInForms forms;
  private final Guard guard;
  private final Pages pages;
  private final PostGate gate;
  private final ShownNotices notices;

  DropIn(
      OptInFilter.Settings settings,
      OptIn optIn,
      OptInForms forms,
      Guard guard,
      Pages pages,
      PostGate gate,
      ShownNotices notices) {
    this.settings = settings;
    this.optIn = optIn;
    this.forms = forms;
    this.guard = guard;
    this.pages = pages;
    this.gate = gate;
    this.notices = notices;
  }

  /**
   * Handles a POST to one of the app's signup forms.
   *
   * @return true to pass the request on to the app (the outcome is set), false if the filter answered it
   */
  boolean handleFormPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    var ticked = Pages.values(req, OptInForms.PURPOSE_FIELD);
    if (ticked.isEmpty()) {
      req.setAttribute(SignupOutcome.ATTRIBUTE, new SignupOutcome.NothingChosen());
      return true;
    }
    Locale locale = pages.formLocale(req);
    if (!gate.signup(req, res, locale)) {
      return false;
    }
    long start = System.nanoTime();
    String trap = req.getParameter(Pages.HONEYPOT_FIELD);
    if (trap != null && !trap.isEmpty()) {
      return requested(req, start);
    }
    Optional<Notice> shown = notices.shownNotice(req);
    Set<PurposeId> offered = notices.offered(shown);
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : ticked) {
      Optional<PurposeId> id = Pages.purposeId(v).filter(offered::contains);
      if (id.isEmpty()) {
        return outcome(req, new SignupOutcome.NoticeChanged());
      }
      chosen.add(id.get());
    }
    String email = req.getParameter(settings.emailField());
    if (email == null || email.length() > Pages.MAX_EMAIL) {
      return outcome(
          req, new SignupOutcome.InvalidAddress("invalid email address: missing or too long"));
    }
    // The one parse of the address: the request carries its result, and the core does not parse it
    // again.
    AddressCheck checked = EmailAddress.check(email);
    if (checked instanceof AddressCheck.Refused refused) {
      return outcome(req, new SignupOutcome.InvalidAddress(refused.message()));
    }
    EmailAddress address = ((AddressCheck.Valid) checked).address();
    if (settings.humanCheck() != null && !settings.humanCheck().verify(req)) {
      return outcome(req, new SignupOutcome.HumanCheckFailed());
    }
    if (shown.isEmpty()) {
      return outcome(
          req, new SignupOutcome.NoticeChanged()); // its language and currency: StaleNotice below
    }
    if (!guard.addressAllowed(address)) {
      return requested(req, start);
    }
    RequestResult r =
        optIn.request(
            new ConsentRequest(
                address, chosen, locale, FormSource.of(req), guard.evidence(req), shown.get()));
    if (r instanceof RequestResult.InvalidAddress invalid) {
      return outcome(req, new SignupOutcome.InvalidAddress(invalid.reason()));
    }
    if (r instanceof RequestResult.StaleNotice) {
      return outcome(req, new SignupOutcome.NoticeChanged());
    }
    return requested(req, start);
  }

  /**
   * Passes a signup on as {@code Requested} no sooner than the hosted pages answer theirs, so that the time the app's
   * form takes does not tell a known address from a new one either.
   */
  private static boolean requested(HttpServletRequest req, long start) {
    AnswerFloor.waitUntil(start + AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS);
    return outcome(req, new SignupOutcome.Requested());
  }

  private static boolean outcome(HttpServletRequest req, SignupOutcome outcome) {
    req.setAttribute(SignupOutcome.ATTRIBUTE, outcome);
    return true;
  }

  /**
   * The page last served at each marker path (a configured, fixed set, so this is bounded), split at its markers.
   * Used only for a response whose bytes are identical to it, compared as the app writes them: a page that differs
   * from one request to the next (a JSP, a page that was edited) is scanned again and replaces the entry, so nothing
   * stale is ever served. The notice block is not part of it: it is chosen per view, for the request's language.
   */
  private final java.util.concurrent.ConcurrentMap<String, SplitPage> split =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** Pages scanned for markers, rather than reused from {@link #split}: tests read it to see the reuse work. */
  private final java.util.concurrent.atomic.AtomicLong pageScans =
      new java.util.concurrent.atomic.AtomicLong();

  long pageScans() {
    return pageScans.get();
  }

  /** A page's bytes and its markers; immutable (the array is never written again). */
  private record SplitPage(byte[] bytes, int length, List<Marker> markers) {}

  /** A marker's place in the page and the purposes it names, checked against the catalog. */
  private record Marker(int start, int end, Set<PurposeId> purposes) {}

  /** Serves a configured static page, replacing marker elements in {@code text/html} responses only. */
  void serveWithMarkers(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    String path = OptInFilter.path(req);
    SplitPage last = split.get(path);
    MarkerResponse wrapped =
        last == null
            ? new MarkerResponse(res)
            : new MarkerResponse(res, last.bytes(), last.length());
    chain.doFilter(new Unconditional(req), wrapped);
    try {
      wrapped.finish(
          new MarkerResponse.Rewriter() {
            @Override
            public List<MarkerResponse.Splice> splice(
                byte[] page, int length, boolean sameAsExpected, Charset charset) {
              List<Marker> markers;
              if (sameAsExpected) {
                markers = last.markers();
              } else {
                markers = markers(new MarkerResponse.Latin1(page, 0, length));
                pageScans.incrementAndGet();
                if (shareable(req, res, wrapped.appCacheControl())) {
                  split.put(path, new SplitPage(page, length, markers));
                } else {
                  split.remove(path); // and keep no copy of a page made for one person
                }
              }
              return spliceMarkers(req, markers, StandardCharsets.UTF_8.equals(charset));
            }

            @Override
            public List<MarkerResponse.Replacement> replace(CharSequence html) {
              return replaceMarkers(req, html);
            }
          });
    } catch (RuntimeException e) {
      if (res.isCommitted()) {
        throw e;
      }
      System.getLogger(DropIn.class.getName())
          .log(
              System.Logger.Level.ERROR,
              "optin4j: cannot render the notice block on " + OptInFilter.path(req),
              e);
      pages.internalError(req, res);
    }
  }

  /**
   * Whether a page may be kept for reuse: not if it was made for one person (an authenticated request, a response
   * that sets a cookie, or whose app said {@code Cache-Control: private} or {@code no-store}). Reuse needs identical bytes, so it
   * could never show one person's page to another; but the filter should not hold personal data it does not need
   * (GDPR Art. 5(1)(c)).
   */
  static boolean shareable(
      HttpServletRequest req, HttpServletResponse res, Collection<String> appCacheControl) {
    if (req.getUserPrincipal() != null || !res.getHeaders("Set-Cookie").isEmpty()) {
      return false;
    }
    // The app's values: the filter itself marks every rewritten page no-store (it carries a fresh
    // form token).
    for (String value : appCacheControl) {
      String v = value.toLowerCase(java.util.Locale.ROOT);
      if (v.contains("private") || v.contains("no-store")) {
        return false;
      }
    }
    return true;
  }

  /** The notice blocks of one page view: pre-encoded around a fresh form token each. */
  private List<MarkerResponse.Splice> spliceMarkers(
      HttpServletRequest req, List<Marker> markers, boolean utf8) {
    List<MarkerResponse.Splice> out = new ArrayList<>(markers.size());
    for (Marker m : markers) {
      Optional<OptInForms.EncodedBlock> block = forms.encodedBlock(req, m.purposes(), utf8);
      List<byte[]> parts;
      if (block.isPresent()) {
        parts =
            List.of(
                block.get().head(),
                forms.formToken().getBytes(StandardCharsets.US_ASCII),
                block.get().tail());
      } else {
        String html = forms.noticeBlock(req, m.purposes());
        parts =
            List.of(
                (utf8 ? html : OptInForms.asciiOnly(html))
                    .getBytes(utf8 ? StandardCharsets.UTF_8 : StandardCharsets.US_ASCII));
      }
      out.add(new MarkerResponse.Splice(m.start(), m.end(), parts));
    }
    return out;
  }

  /** For pages in other charsets, decoded: the blocks as text. */
  private List<MarkerResponse.Replacement> replaceMarkers(
      HttpServletRequest req, CharSequence html) {
    List<MarkerResponse.Replacement> out = new ArrayList<>(2);
    for (Marker m : markers(html)) {
      out.add(
          new MarkerResponse.Replacement(
              m.start(), m.end(), OptInForms.asciiOnly(forms.noticeBlock(req, m.purposes()))));
    }
    return out;
  }

  /** Finds the markers of a page; an unknown or invalid purpose is a page bug and throws (fail closed). */
  private List<Marker> markers(CharSequence html) {
    Matcher m = MARKER.matcher(html);
    if (!findMarker(m, html, 0)) {
      return List.of();
    }
    List<Marker> out = new ArrayList<>(2);
    do {
      Set<PurposeId> ids = new LinkedHashSet<>();
      for (String s : words(m.group(1))) {
        PurposeId id = PurposeId.of(s);
        optIn.catalog().require(id); // an unknown purpose is a page bug: fail closed
        ids.add(id);
      }
      out.add(new Marker(m.start(), m.end(), Collections.unmodifiableSet(ids)));
    } while (findMarker(m, html, m.end()));
    return List.copyOf(out);
  }

  /**
   * Finds the next marker at or after {@code from}. A case-insensitive regex tries every position of the page
   * character by character (no Boyer-Moore for {@code CASE_INSENSITIVE}), which cost a fifth of a 20 KB page's
   * time; so only the places that start with {@code <optin-notice} are handed to the pattern.
   */
  private static boolean findMarker(Matcher m, CharSequence html, int from) {
    int n = html.length() - MARKER_START.length();
    for (int i = from; i <= n; i++) {
      if (html.charAt(i) == '<' && startsMarker(html, i)) {
        m.region(i, html.length());
        if (m.lookingAt()) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean startsMarker(CharSequence html, int at) {
    for (int k = 1; k < MARKER_START.length(); k++) {
      char c = html.charAt(at + k);
      if (c != MARKER_START.charAt(k) && Character.toLowerCase(c) != MARKER_START.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** The whitespace-separated words of a marker's purposes attribute (a regex split cost more than the rest). */
  private static java.util.List<String> words(String s) {
    java.util.List<String> out = new java.util.ArrayList<>(4);
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && space(s.charAt(i))) {
        i++;
      }
      int start = i;
      while (i < n && !space(s.charAt(i))) {
        i++;
      }
      if (i > start) {
        out.add(s.substring(start, i));
      }
    }
    if (out.isEmpty()) {
      out.add(""); // as split did: PurposeId.of("") refuses it, so an empty marker fails closed as
      // before
    }
    return out;
  }

  /** What the regex {@code \\s} matches: space, tab, line feed, vertical tab, form feed, carriage return. */
  private static boolean space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }

  /** Hides conditional and range headers, so a page whose block carries a fresh form token is always sent whole. */
  private static final class Unconditional extends HttpServletRequestWrapper {
    Unconditional(HttpServletRequest request) {
      super(request);
    }

    @Override
    public String getHeader(String name) {
      return CONDITIONAL.contains(name.toLowerCase(Locale.ROOT)) ? null : super.getHeader(name);
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      return CONDITIONAL.contains(name.toLowerCase(Locale.ROOT))
          ? Collections.emptyEnumeration()
          : super.getHeaders(name);
    }

    @Override
    public long getDateHeader(String name) {
      return CONDITIONAL.contains(name.toLowerCase(Locale.ROOT)) ? -1 : super.getDateHeader(name);
    }

    @Override
    public Enumeration<String> getHeaderNames() {
      var names = Collections.list(super.getHeaderNames());
      names.removeIf(n -> CONDITIONAL.contains(n.toLowerCase(Locale.ROOT)));
      return Collections.enumeration(names);
    }
  }

  /** The source recorded with a drop-in request: the form's path. */
  private static final class FormSource {
    static String of(HttpServletRequest req) {
      return req.getContextPath() + OptInFilter.path(req);
    }
  }
}
