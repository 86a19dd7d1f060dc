package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.internal.TextBundle;
import org.owasp.encoder.Encode;

/**
 * Renders and sends pages: language choice, security headers, the layout, and the HTML fragments the pages share
 * (notice, choices, hidden fields, honeypot, problem box). Every value is encoded for its context with the OWASP
 * Java Encoder (security rule 9).
 *
 * <p>Immutable and thread-safe.
 */
final class Pages {
  static final String CSRF_FIELD = "optin-csrf";
  static final String NOTICE_FIELD = "optin-notice";
  static final String LANG_FIELD = "optin-lang";
  static final String HONEYPOT_FIELD = "optin-website";
  static final String NEXT_FIELD = "next";

  private final OptInFilter.Settings settings;
  private final OptIn optIn;
  /** The page texts ({@code pages_<language>.properties}), with the app's overrides if it configured some. */
  private final TextBundle texts;
  private final String csp;

  Pages(OptInFilter.Settings settings, OptIn optIn) {
    this.settings = settings;
    this.optIn = optIn;
    TextBundle shipped = TextBundle.shipped("page text", "org.optin4j.servlet.pages", Pages.class.getClassLoader());
    this.texts = settings.messagesBaseName() == null ? shipped : shipped.overriddenBy(settings.messagesBaseName());
    StringBuilder style = new StringBuilder("'self'");
    for (String o : settings.styleOrigins()) {
      style.append(' ').append(o);
    }
    this.csp = "default-src 'none'; style-src " + style + "; img-src 'self'; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'";
  }

  OptIn optIn() {
    return optIn;
  }

  // --- language ----------------------------------------------------------------------------------------------

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

  // --- sending -----------------------------------------------------------------------------------------------

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

  void send(HttpServletRequest request, HttpServletResponse response, int status, String kind, Locale locale,
      String title, String contentHtml) throws IOException {
    List<String> css = new ArrayList<>();
    css.add(base(request) + "/optin.css");
    css.addAll(settings.stylesheets());
    String html = settings.layout().render(new PageLayout.Page(kind, locale, title, contentHtml, css));
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

  /** A page with a heading and one or more paragraphs of text. */
  void message(HttpServletRequest request, HttpServletResponse response, int status, String kind, Locale locale,
      String titleKey, String extraHtml, String... textKeys) throws IOException {
    String title = t(locale, titleKey);
    StringBuilder b = new StringBuilder();
    b.append("<h1>").append(e(title)).append("</h1>\n");
    for (String k : textKeys) {
      b.append("<p>").append(e(t(locale, k))).append("</p>\n");
    }
    if (extraHtml != null) {
      b.append(extraHtml);
    }
    send(request, response, status, kind, locale, title, b.toString());
  }

  /** The site path of the hosted pages: context path (server configuration, never the Host header) + prefix. */
  String base(HttpServletRequest request) {
    return request.getContextPath() + settings.prefix();
  }

  // --- fragments ---------------------------------------------------------------------------------------------

  static String e(String s) {
    return Encode.forHtml(s);
  }

  static String a(String s) {
    return Encode.forHtmlAttribute(s);
  }

  static String hidden(String name, String value) {
    return "<input type=\"hidden\" name=\"" + a(name) + "\" value=\"" + a(value) + "\">\n";
  }

  /** The notice text as stored (white-space: pre-line keeps its line breaks) with its version. */
  String notice(Notice notice, Locale locale, String id) {
    return "<section class=\"optin-notice-section\" aria-labelledby=\"" + a(id) + "-h\">\n"
        + "<h2 id=\"" + a(id) + "-h\">" + e(t(locale, "notice.heading")) + "</h2>\n"
        + "<div class=\"optin-notice\" id=\"" + a(id) + "\" lang=\"" + a(notice.locale().toLanguageTag()) + "\">"
        + e(notice.text()) + "</div>\n"
        + "<p class=\"optin-notice-version\">"
        + e(texts.text(locale, "notice.version", Map.of("version", String.valueOf(notice.version()),
            "language", notice.locale().getDisplayLanguage(locale))))
        + "</p>\n</section>\n";
  }

  /** One checkbox per purpose, labelled with its title, inside a fieldset. */
  String choices(Collection<Purpose> purposes, Locale locale, String field, Set<PurposeId> ticked, String idPrefix,
      String describedBy) {
    StringBuilder b = new StringBuilder("<fieldset>\n<legend>").append(e(t(locale, "purposes.legend")))
        .append("</legend>\n");
    for (Purpose p : purposes) {
      String id = idPrefix + p.id().value();
      b.append("<div class=\"optin-choice\"><input type=\"checkbox\" id=\"").append(a(id)).append("\" name=\"")
          .append(a(field)).append("\" value=\"").append(a(p.id().value())).append('"');
      if (ticked.contains(p.id())) {
        b.append(" checked");
      }
      if (describedBy != null) {
        b.append(" aria-describedby=\"").append(a(describedBy)).append('"');
      }
      b.append("> <label for=\"").append(a(id)).append("\">").append(e(title(p, locale)))
          .append("</label></div>\n");
    }
    return b.append("</fieldset>\n").toString();
  }

  String title(Purpose p, Locale locale) {
    return p.text(locale).or(() -> p.text(optIn.catalog().defaultLocale())).map(PurposeText::title)
        .orElse(p.id().value());
  }

  /** A text field bots fill in and people never see; hidden by the stylesheet and from assistive technology. */
  String honeypot(Locale locale, boolean inlineStyle) {
    return "<div class=\"optin-hp\" aria-hidden=\"true\""
        + (inlineStyle ? " style=\"position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden\"" : "")
        + "><label for=\"" + HONEYPOT_FIELD + "\">" + e(t(locale, "honeypot.label")) + "</label>"
        + "<input type=\"text\" id=\"" + HONEYPOT_FIELD + "\" name=\"" + HONEYPOT_FIELD
        + "\" value=\"\" tabindex=\"-1\" autocomplete=\"off\"></div>\n";
  }

  /** The error summary at the top of a form (role=alert, so screen readers announce it). */
  String problems(Locale locale, List<String> keys) {
    if (keys.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder("<div class=\"optin-error\" role=\"alert\" tabindex=\"-1\" "
        + "id=\"optin-problems\">\n<h2>").append(e(t(locale, "problem.heading"))).append("</h2>\n<ul>\n");
    for (String k : keys) {
      b.append("<li>").append(e(t(locale, k))).append("</li>\n");
    }
    return b.append("</ul>\n</div>\n").toString();
  }

  static String date(Instant at, Locale locale) {
    return DateTimeFormatter.ofLocalizedDate(FormatStyle.LONG).withLocale(locale).withZone(ZoneOffset.UTC).format(at);
  }

  static String dateTime(Instant at, Locale locale) {
    return DateTimeFormatter.ofLocalizedDateTime(FormatStyle.LONG, FormatStyle.SHORT).withLocale(locale)
        .withZone(ZoneOffset.UTC).format(at) + " UTC";
  }
}
