package org.optin4j.servlet;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.optin4j.ConsentRequest;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;

/**
 * The drop-in on the app's own pages: reads the POST of a configured signup form, and replaces marker elements in
 * configured static HTML pages.
 *
 * <p>Thread-safe.
 */
final class DropIn {
  private static final Pattern MARKER = Pattern.compile(
      "<optin-notice\\s+purposes\\s*=\\s*\"([^\"]*)\"\\s*(?:/>|>\\s*</optin-notice\\s*>)", Pattern.CASE_INSENSITIVE);
  private static final Set<String> CONDITIONAL = Set.of("if-none-match", "if-modified-since", "if-match",
      "if-unmodified-since", "if-range", "range");

  private final OptInFilter.Settings settings;
  private final OptIn optIn;
  private final OptInForms forms;
  private final Guard guard;
  private final Pages pages;
  private final HostedPages hosted;

  DropIn(OptInFilter.Settings settings, OptIn optIn, OptInForms forms, Guard guard, Pages pages,
      HostedPages hosted) {
    this.settings = settings;
    this.optIn = optIn;
    this.forms = forms;
    this.guard = guard;
    this.pages = pages;
    this.hosted = hosted;
  }

  /**
   * Handles a POST to one of the app's signup forms.
   *
   * @return true to pass the request on to the app (the outcome is set), false if the filter answered it
   */
  boolean handleFormPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    var ticked = HostedPages.values(req, OptInForms.PURPOSE_FIELD);
    if (ticked.isEmpty()) {
      req.setAttribute(SignupOutcome.ATTRIBUTE, new SignupOutcome.NothingChosen());
      return true;
    }
    Locale locale = pages.formLocale(req);
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.signupContext())) {
      hosted.forbidden(req, res, locale);
      return false;
    }
    if (hosted.tooMany(req, res, locale)) {
      return false;
    }
    String trap = req.getParameter(Pages.HONEYPOT_FIELD);
    if (trap != null && !trap.isEmpty()) {
      return outcome(req, new SignupOutcome.Requested());
    }
    Optional<Notice> shown = hosted.shownNotice(req);
    Set<PurposeId> offered = shown.map(n -> Set.copyOf(n.purposes()))
        .orElseGet(() -> optIn.catalog().purposes().stream().map(Purpose::id).collect(Collectors.toSet()));
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : ticked) {
      Optional<PurposeId> id = HostedPages.purposeId(v).filter(offered::contains);
      if (id.isEmpty()) {
        return outcome(req, new SignupOutcome.NoticeChanged());
      }
      chosen.add(id.get());
    }
    String email = req.getParameter(settings.emailField());
    if (email == null || email.length() > HostedPages.MAX_EMAIL) {
      return outcome(req, new SignupOutcome.InvalidAddress("invalid email address: missing or too long"));
    }
    Optional<EmailAddress> address = EmailAddress.tryParse(email);
    if (address.isEmpty()) {
      String reason;
      try {
        EmailAddress.parse(email);
        reason = "invalid email address";
      } catch (IllegalArgumentException e) {
        reason = e.getMessage();
      }
      return outcome(req, new SignupOutcome.InvalidAddress(reason));
    }
    if (settings.humanCheck() != null && !settings.humanCheck().verify(req)) {
      return outcome(req, new SignupOutcome.HumanCheckFailed());
    }
    if (shown.isEmpty() || !shown.get().locale().equals(locale)) {
      return outcome(req, new SignupOutcome.NoticeChanged());
    }
    if (!guard.addressAllowed(address.get())) {
      return outcome(req, new SignupOutcome.Requested());
    }
    RequestResult r = optIn.request(new ConsentRequest(email, chosen, locale, FormSource.of(req),
        guard.evidence(req), shown.get().hash()));
    if (r instanceof RequestResult.InvalidAddress invalid) {
      return outcome(req, new SignupOutcome.InvalidAddress(invalid.reason()));
    }
    if (r instanceof RequestResult.StaleNotice) {
      return outcome(req, new SignupOutcome.NoticeChanged());
    }
    return outcome(req, new SignupOutcome.Requested());
  }

  private static boolean outcome(HttpServletRequest req, SignupOutcome outcome) {
    req.setAttribute(SignupOutcome.ATTRIBUTE, outcome);
    return true;
  }

  /** Serves a configured static page, replacing marker elements in {@code text/html} responses only. */
  void serveWithMarkers(HttpServletRequest req, HttpServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    MarkerResponse wrapped = new MarkerResponse(res);
    chain.doFilter(new Unconditional(req), wrapped);
    try {
      wrapped.finish(html -> replaceMarkers(req, html, wrapped.charset()));
    } catch (RuntimeException e) {
      if (res.isCommitted()) {
        throw e;
      }
      System.getLogger(DropIn.class.getName()).log(System.Logger.Level.ERROR,
          "optin4j: cannot render the notice block on " + OptInFilter.path(req), e);
      hosted.internalError(req, res);
    }
  }

  private String replaceMarkers(HttpServletRequest req, String html, Charset charset) {
    Matcher m = MARKER.matcher(html);
    if (!m.find()) {
      return html;
    }
    StringBuilder out = new StringBuilder(html.length() + 4096);
    int last = 0;
    do {
      Set<PurposeId> ids = new LinkedHashSet<>();
      for (String s : m.group(1).strip().split("\\s+")) {
        PurposeId id = PurposeId.of(s);
        optIn.catalog().require(id); // an unknown purpose is a page bug: fail closed
        ids.add(id);
      }
      String block = forms.noticeBlock(req, ids);
      out.append(html, last, m.start()).append(StandardCharsets.UTF_8.equals(charset) ? block : asciiOnly(block));
      last = m.end();
    } while (m.find());
    return out.append(html, last, html.length()).toString();
  }

  /** Non-ASCII characters as numeric references, for pages served in a charset other than UTF-8. */
  private static String asciiOnly(String s) {
    StringBuilder b = new StringBuilder(s.length() + 64);
    s.codePoints().forEach(c -> {
      if (c < 0x80) {
        b.append((char) c);
      } else {
        b.append("&#").append(c).append(';');
      }
    });
    return b.toString();
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
      return CONDITIONAL.contains(name.toLowerCase(Locale.ROOT)) ? Collections.emptyEnumeration()
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
