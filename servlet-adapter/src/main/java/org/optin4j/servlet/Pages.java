package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.FormatStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.optin4j.Notice;
import org.optin4j.NoticeLayers;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.text.TextBundle;

/**
 * Renders and sends pages: language choice, security headers, the layout, the answers every page family gives
 * (invalid link, 403, 404, 405, 500), the HTML fragments the pages share (notice, choices, honeypot, problem box,
 * form, button) and the reading of the fields they share. Every value is written through {@link Html}, which encodes
 * it for its context with the OWASP Java Encoder (OWASP Cross Site Scripting Prevention Cheat Sheet).
 *
 * <p>Immutable and thread-safe.
 *
 * @param settings the filter's settings
 * @param optIn the service the pages serve
 * @param texts the page texts ({@code pages_<language>.properties}), with the app's overrides if it configured some
 * @param csp the Content-Security-Policy of every page
 * @param rendered what the pages render alike for every request, kept per instance (bounded)
 */
record Pages(
    OptInFilter.Settings settings, OptIn optIn, TextBundle texts, String csp, Rendered rendered) {
  static final String CSRF_FIELD = "optin-csrf";
  static final String NOTICE_FIELD = "optin-notice";
  static final String LANG_FIELD = "optin-lang";
  static final String HONEYPOT_FIELD = "optin-website";
  static final String NEXT_FIELD = "next";
  static final int MAX_TOKEN = 4096;
  static final int MAX_EMAIL = 320;

  Pages(OptInFilter.Settings settings, OptIn optIn) {
    this(settings, optIn, loadTexts(settings), contentSecurityPolicy(settings), new Rendered());
  }

  /**
   * The fragments and formatters every view of a page renders alike, owned by one {@link Pages} (no static state):
   * the notice with its checkboxes per (notice, purposes, language, ticked boxes, ...) and the date-time formatter per
   * language. Rendering the notice anew on every view of the confirmation page (mail scanners and people open it
   * often) split and encoded the same text each time. Bounded: at most {@value #LIMIT} fragments are kept; beyond
   * that, fragments are rendered as before.
   *
   * <p>Thread-safe.
   */
  static final class Rendered {
    static final int LIMIT = 256;
    private final BoundedCache<FragmentKey, String> fragments = new BoundedCache<>(LIMIT);
    private final ConcurrentMap<Locale, DateTimeFormatter> dateTimes = new ConcurrentHashMap<>();

    /** How many notice fragments are kept; for tests. */
    int fragments() {
      return fragments.size();
    }
  }

  /**
   * What the rendering of a notice with its checkboxes depends on; the notice by value, so a new version or text
   * misses. The purposes by id: every page passes purposes of this service's catalog, which is immutable, so an id
   * fixes the title and text shown (hashing whole purposes, texts and all, cost more than the lookup saved).
   */
  private record FragmentKey(
      Notice notice,
      List<PurposeId> purposes,
      Locale locale,
      String field,
      Set<PurposeId> ticked,
      String idPrefix,
      String id,
      String base) {}

  private static TextBundle loadTexts(OptInFilter.Settings settings) {
    TextBundle shipped =
        TextBundle.shipped("page text", "org.optin4j.servlet.pages", Pages.class.getClassLoader());
    return settings.messagesBaseName() == null
        ? shipped
        : shipped.overriddenBy(settings.messagesBaseName());
  }

  private static String contentSecurityPolicy(OptInFilter.Settings settings) {
    StringBuilder style = new StringBuilder("'self'");
    for (String o : settings.styleOrigins()) {
      style.append(' ').append(o);
    }
    return "default-src 'none'; style-src "
        + style
        + "; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'";
  }

  // --- language
  // ----------------------------------------------------------------------------------------------

  /** The page language: the first of the client's Accept-Language languages that the catalog has, else its default. */
  Locale locale(HttpServletRequest request) {
    List<Locale> supported = optIn.catalog().locales();
    if (request.getHeader("Accept-Language") != null) {
      for (Locale wished : Collections.list(request.getLocales())) {
        Locale lang = Locale.forLanguageTag(wished.getLanguage());
        if (supported.contains(lang)) {
          return lang;
        }
      }
    }
    return optIn.catalog().defaultLocale();
  }

  /** The language a form was shown in (hidden field), if it is one of the catalog's; else as {@link #locale}. */
  Locale formLocale(HttpServletRequest request) {
    String lang = request.getParameter(LANG_FIELD);
    if (lang != null && lang.matches("[a-z]{2,3}")) {
      Locale l = Locale.forLanguageTag(lang);
      if (optIn.catalog().locales().contains(l)) {
        return l;
      }
    }
    return locale(request);
  }

  /** A page text; plain text, so callers encode it. */
  String t(Locale locale, String key) {
    return texts.text(locale, key);
  }

  /** A page text with one placeholder {@code {name}} replaced by a value. */
  String t(Locale locale, String key, String name, String value) {
    return texts.text(locale, key, Map.of(name, value));
  }

  // --- sending
  // -----------------------------------------------------------------------------------------------

  void securityHeaders(HttpServletResponse response) {
    response.setHeader("Cache-Control", "no-store");
    response.setHeader("Pragma", "no-cache");
    response.setHeader("Referrer-Policy", "no-referrer");
    response.setHeader("X-Content-Type-Options", "nosniff");
    response.setHeader("X-Frame-Options", "DENY");
    response.setHeader("Content-Security-Policy", csp);
    response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
    response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
  }

  void send(
      HttpServletRequest request,
      HttpServletResponse response,
      int status,
      String kind,
      Locale locale,
      String title,
      Html content)
      throws IOException {
    String contentHtml = content.toString();
    List<String> css = new ArrayList<>();
    css.add(base(request) + "/optin.css");
    css.addAll(settings.stylesheets());
    String html =
        settings.layout().render(new PageLayout.Page(kind, locale, title, contentHtml, css));
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    securityHeaders(response);
    response.setHeader("Content-Language", locale.toLanguageTag());
    response.setContentType("text/html;charset=UTF-8");
    response.setContentLength(body.length);
    if (!"HEAD".equals(request.getMethod())) {
      try (OutputStream out = response.getOutputStream()) {
        out.write(body);
      }
    }
  }

  /** A page with a heading and one or more paragraphs of text, and after them {@code extra} if not null. */
  void message(
      HttpServletRequest request,
      HttpServletResponse response,
      int status,
      String kind,
      Locale locale,
      String titleKey,
      Html extra,
      String... textKeys)
      throws IOException {
    String title = t(locale, titleKey);
    Html h = new Html().element("h1", title).nl();
    for (String k : textKeys) {
      h.element("p", t(locale, k)).nl();
    }
    if (extra != null) {
      h.append(extra);
    }
    send(request, response, status, kind, locale, title, h);
  }

  /** A paragraph with one link: {@code <p><a href="...">text</a></p>}. */
  static Html link(String href, String text) {
    return new Html().open("p").open("a", "href", href).text(text).close("a").close("p").nl();
  }

  // --- the answers every page family gives
  // -------------------------------------------------------------------

  /** 400 for a missing, invalid or used link: every invalid token gets the same answer. */
  void invalidLink(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    message(
        req,
        res,
        400,
        "invalid-link",
        locale,
        "invalid.title",
        link(base(req) + "/subscribe", t(locale, "invalid.again")),
        "invalid.text");
  }

  void forbidden(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    message(req, res, 403, "error", locale, "forbidden.title", null, "forbidden.text");
  }

  void notFound(HttpServletRequest req, HttpServletResponse res) throws IOException {
    message(req, res, 404, "not-found", locale(req), "notfound.title", null, "notfound.text");
  }

  void notAllowed(HttpServletRequest req, HttpServletResponse res, String allow)
      throws IOException {
    res.setHeader("Allow", allow);
    message(req, res, 405, "error", locale(req), "method.title", null, "method.text");
  }

  void internalError(HttpServletRequest req, HttpServletResponse res) throws IOException {
    res.reset();
    message(req, res, 500, "error", locale(req), "error.title", null, "error.text");
  }

  /** The site path of the hosted pages: context path (server configuration, never the Host header) + prefix. */
  String base(HttpServletRequest request) {
    return request.getContextPath() + settings.prefix();
  }

  // --- fragments
  // ---------------------------------------------------------------------------------------------

  /** The notice text as stored (white-space: pre-line keeps its line breaks) with its version. */
  Html notice(Html h, Notice notice, Locale locale, String id) {
    h.start("section")
        .attr("class", "optin-notice-section")
        .attr("aria-labelledby", id + "-h")
        .end()
        .nl()
        .start("h2")
        .attr("id", id + "-h")
        .end()
        .text(t(locale, "notice.heading"))
        .close("h2")
        .nl()
        .start("div")
        .attr("class", "optin-notice")
        .attr("id", id)
        .attr("lang", notice.locale().toLanguageTag())
        .end()
        .text(notice.text())
        .close("div")
        .nl();
    return version(h, notice, locale).close("section").nl();
  }

  /**
   * The notice and its checkboxes as a layered notice (Art. 29 WP 260 rev.01, paragraphs 35-38): the introduction; per
   * purpose a checkbox labelled with the first line of its short text, the rest of that text (which data, why, how
   * long) as the checkbox's description; one line with the controller and links to the information page and the
   * privacy policy; the rest expandable in place ({@code <details>}, no script). Every character of the notice's text
   * is on the page, so its hash still says what was shown. A notice stored before layering, and a notice that covers
   * none of the purposes listed, are shown as one text above the checkboxes, as before.
   *
   * @param notice the notice of the purposes offered, or {@code null} if none is offered (checkboxes only)
   * @param purposes the checkboxes, in catalog order; those the notice covers get their short text
   */
  Html noticeAndChoices(
      Html h,
      Notice notice,
      Collection<Purpose> purposes,
      Locale locale,
      String field,
      Set<PurposeId> ticked,
      String idPrefix,
      String id,
      String base) {
    FragmentKey key =
        new FragmentKey(
            notice,
            purposes.stream().map(Purpose::id).toList(),
            locale,
            field,
            Set.copyOf(ticked),
            idPrefix,
            id,
            base);
    String cached =
        rendered.fragments.get(
            key,
            k ->
                renderNoticeAndChoices(
                        new Html(), notice, purposes, locale, field, ticked, idPrefix, id, base)
                    .toString());
    return h.trusted(cached); // rendered above by this instance, every value encoded by Html
  }

  private Html renderNoticeAndChoices(
      Html h,
      Notice notice,
      Collection<Purpose> purposes,
      Locale locale,
      String field,
      Set<PurposeId> ticked,
      String idPrefix,
      String id,
      String base) {
    Optional<NoticeLayers> layered = notice == null ? Optional.empty() : optIn.noticeLayers(notice);
    if (layered.isEmpty()) {
      if (notice != null) {
        notice(h, notice, locale, id);
      }
      return choices(h, purposes, locale, field, ticked, idPrefix, notice == null ? null : id);
    }
    NoticeLayers layers = layered.get();
    String lang = notice.locale().toLanguageTag();
    h.start("section")
        .attr("class", "optin-notice-section")
        .attr("aria-labelledby", id + "-h")
        .end()
        .nl()
        .start("h2")
        .attr("id", id + "-h")
        .end()
        .text(t(locale, "notice.heading"))
        .close("h2")
        .nl()
        .start("p")
        .attr("class", "optin-notice-intro")
        .attr("id", id)
        .attr("lang", lang)
        .end()
        .text(layers.intro())
        .close("p")
        .nl();
    List<Purpose> covered =
        optIn.catalog().purposes().stream()
            .filter(p -> notice.purposes().contains(p.id()))
            .toList();
    h.open("fieldset").nl().element("legend", t(locale, "purposes.legend")).nl();
    for (Purpose p : purposes) {
      String box = idPrefix + p.id().value();
      int i = covered.indexOf(p);
      String shortText = i < 0 || i >= layers.purposes().size() ? null : layers.purposes().get(i);
      h.open("div", "class", "optin-choice")
          .start("input")
          .attr("type", "checkbox")
          .attr("id", box)
          .attr("name", field)
          .attr("value", p.id().value());
      if (ticked.contains(p.id())) {
        h.flag("checked");
      }
      if (shortText == null) {
        h.end().space().open("label", "for", box).text(title(p, locale)).close("label");
      } else {
        int nl = shortText.indexOf('\n');
        String first = nl < 0 ? shortText : shortText.substring(0, nl);
        String rest = nl < 0 ? "" : shortText.substring(nl + 1);
        h.attr("aria-describedby", box + "-short")
            .end()
            .space()
            .open("div", "class", "optin-choice-text")
            .start("label")
            .attr("for", box)
            .attr("lang", lang)
            .end()
            .text(first)
            .close("label")
            .start("div")
            .attr("class", "optin-purpose-short")
            .attr("id", box + "-short")
            .attr("lang", lang)
            .end()
            // The indentation is part of the hashed text; pre-line shows the line breaks and
            // drops the leading spaces only on screen.
            .text(rest)
            .close("div")
            .close("div");
      }
      h.close("div").nl();
    }
    h.close("fieldset").nl();
    summary(
            h.start("p").attr("class", "optin-notice-summary").attr("lang", lang).end(),
            layers,
            base)
        .close("p")
        .nl();
    h.start("details")
        .attr("class", "optin-notice-more")
        .end()
        .start("summary")
        .attr("lang", lang)
        .end()
        .text(layers.moreHeading())
        .close("summary")
        .start("div")
        .attr("class", "optin-notice")
        .attr("lang", lang)
        .end()
        .text(layers.details())
        .close("div")
        .close("details")
        .nl();
    version(h, notice, locale);
    return h.close("section").nl();
  }

  /** The summary line with its two links: the information page and the privacy policy. */
  private Html summary(Html h, NoticeLayers layers, String base) {
    String rest = layers.summary();
    List<String[]> links = new ArrayList<>();
    if (layers.informationLink() != null) {
      links.add(new String[] {layers.informationLink(), base + InformationPages.PATH});
    }
    if (layers.privacyPolicyUrl() != null) {
      links.add(new String[] {layers.privacyPolicyUrl(), layers.privacyPolicyUrl()});
    }
    links.sort(Comparator.comparingInt(l -> layers.summary().indexOf(l[0])));
    for (String[] link : links) {
      int at = rest.indexOf(link[0]);
      if (at < 0) {
        continue;
      }
      h.text(rest.substring(0, at)).start("a").attr("href", link[1]).end().text(link[0]).close("a");
      rest = rest.substring(at + link[0].length());
    }
    return h.text(rest);
  }

  private Html version(Html h, Notice notice, Locale locale) {
    return h.open("p", "class", "optin-notice-version")
        .text(
            texts.text(
                locale,
                "notice.version",
                Map.of(
                    "version",
                    String.valueOf(notice.version()),
                    "language",
                    notice.locale().getDisplayLanguage(locale))))
        .close("p")
        .nl();
  }

  /** One checkbox per purpose, labelled with its title, inside a fieldset. */
  Html choices(
      Html h,
      Collection<Purpose> purposes,
      Locale locale,
      String field,
      Set<PurposeId> ticked,
      String idPrefix,
      String describedBy) {
    h.open("fieldset").nl().element("legend", t(locale, "purposes.legend")).nl();
    for (Purpose p : purposes) {
      String id = idPrefix + p.id().value();
      h.open("div", "class", "optin-choice")
          .start("input")
          .attr("type", "checkbox")
          .attr("id", id)
          .attr("name", field)
          .attr("value", p.id().value());
      if (ticked.contains(p.id())) {
        h.flag("checked");
      }
      if (describedBy != null) {
        h.attr("aria-describedby", describedBy);
      }
      h.end()
          .space()
          .open("label", "for", id)
          .text(title(p, locale))
          .close("label")
          .close("div")
          .nl();
    }
    return h.close("fieldset").nl();
  }

  String title(Purpose p, Locale locale) {
    return p.text(locale)
        .or(() -> p.text(optIn.catalog().defaultLocale()))
        .map(PurposeText::title)
        .orElse(p.id().value());
  }

  /**
   * Opens an address field, {@code <div class="optin-field">}, and writes its label; then come a hint if any,
   * {@link #emailInput}, and {@code close("div")}.
   */
  static Html emailLabel(Html h, String id, String label) {
    return h.open("div", "class", "optin-field")
        .open("label", "for", id)
        .text(label)
        .close("label")
        .nl();
  }

  /**
   * Starts the address input: required, at most 254 characters (the longest address SMTP carries, RFC 5321); add
   * attributes, then {@code end()}.
   */
  static Html emailInput(Html h, String id) {
    return h.start("input")
        .attr("type", "email")
        .attr("id", id)
        .attr("name", "email")
        .attr("autocomplete", "email")
        .flag("required")
        .attr("maxlength", "254");
  }

  /** A text field bots fill in and people never see; hidden by the stylesheet and from assistive technology. */
  Html honeypot(Html h, Locale locale, boolean inlineStyle) {
    h.start("div").attr("class", "optin-hp").attr("aria-hidden", "true");
    if (inlineStyle) {
      h.attr("style", "position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden");
    }
    return h.end()
        .open("label", "for", HONEYPOT_FIELD)
        .text(t(locale, "honeypot.label"))
        .close("label")
        .start("input")
        .attr("type", "text")
        .attr("id", HONEYPOT_FIELD)
        .attr("name", HONEYPOT_FIELD)
        .attr("value", "")
        .attr("tabindex", "-1")
        .attr("autocomplete", "off")
        .end()
        .close("div")
        .nl();
  }

  /** The error summary at the top of a form (role=alert, so screen readers announce it). */
  Html problems(Html h, Locale locale, List<String> keys) {
    if (keys.isEmpty()) {
      return h;
    }
    h.start("div")
        .attr("class", "optin-error")
        .attr("role", "alert")
        .attr("tabindex", "-1")
        .attr("id", "optin-problems")
        .end()
        .nl()
        .element("h2", t(locale, "problem.heading"))
        .nl()
        .open("ul")
        .nl();
    for (String k : keys) {
      h.element("li", t(locale, k)).nl();
    }
    return h.close("ul").nl().close("div").nl();
  }

  /** A form that posts to {@code action} in UTF-8; close it with {@code close("form")}. */
  static Html form(Html h, String action) {
    return h.start("form")
        .attr("method", "post")
        .attr("accept-charset", "UTF-8")
        .attr("action", action)
        .end()
        .nl();
  }

  /** A submit button with its text, {@code cssClass} if not null, and a line break. */
  static Html button(Html h, String cssClass, String text) {
    h.start("button").attr("type", "submit");
    if (cssClass != null) {
      h.attr("class", cssClass);
    }
    return h.end().text(text).close("button").nl();
  }

  // --- reading
  // ------------------------------------------------------------------------------------------------

  /** The token parameter, or null if absent or oversized (refused before any parsing). */
  static String token(HttpServletRequest req) {
    String t = req.getParameter("token");
    return t == null || t.isEmpty() || t.length() > MAX_TOKEN ? null : t;
  }

  static List<String> values(HttpServletRequest req, String name) {
    String[] v = req.getParameterValues(name);
    return v == null ? List.of() : new ArrayList<>(new LinkedHashSet<>(List.of(v)));
  }

  static Optional<PurposeId> purposeId(String v) {
    return PurposeId.tryParse(v);
  }

  static String date(Instant at, Locale locale) {
    return DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG)
        .withLocale(locale)
        .withZone(ZoneOffset.UTC)
        .format(at);
  }

  /** A date and time in UTC, long date and short time in the page's language; the formatter is built once. */
  String dateTime(Instant at, Locale locale) {
    return rendered.dateTimes.computeIfAbsent(locale, Pages::dateTimeFormatter).format(at) + " UTC";
  }

  /**
   * The long date and short time of a language, as {@code DateTimeFormatter.ofLocalizedDateTime(LONG, SHORT)} writes
   * them, in UTC. Built from the language's pattern, which the localized formatter would look up again on every
   * {@code format}.
   */
  static DateTimeFormatter dateTimeFormatter(Locale locale) {
    String pattern =
        DateTimeFormatterBuilder.getLocalizedDateTimePattern(
            FormatStyle.LONG, FormatStyle.SHORT, IsoChronology.INSTANCE, locale);
    return DateTimeFormatter.ofPattern(pattern, locale).withZone(ZoneOffset.UTC);
  }
}
