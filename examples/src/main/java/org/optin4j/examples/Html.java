package org.optin4j.examples;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.owasp.encoder.Encode;

/**
 * The site's page shell (header, navigation, footer) and the few helpers every page uses. Every dynamic value goes
 * through the OWASP Java Encoder for its context: {@link #text} for element content, {@link #attr} for attribute
 * values, {@link #url} for a query parameter.
 *
 * <p>Stateless and thread-safe.
 */
final class Html {
  /** The Content-Security-Policy of the site's own pages: nothing but this site's stylesheet, no script at all. */
  static final String CSP =
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
          + "frame-ancestors 'none'; base-uri 'none'";

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  private static final String LOGO =
      "<svg class=\"logo\" viewBox=\"0 0 64 40\" aria-hidden=\"true\" focusable=\"false\">"
          + "<path d=\"M6 30c0-14 12-24 26-24s26 10 26 24c0 3-2 5-5 5H11c-3 0-5-2-5-5z\" fill=\"#c98a2b\"/>"
          + "<path d=\"M20 14l6 8M30 11l5 9M41 13l5 8\" stroke=\"#7a4310\" stroke-width=\"3\" stroke-linecap=\"round\"/>"
          + "</svg>";

  private Html() {}

  static String text(String s) {
    return Encode.forHtml(s == null ? "" : s);
  }

  static String attr(String s) {
    return Encode.forHtmlAttribute(s == null ? "" : s);
  }

  static String url(String s) {
    return Encode.forUriComponent(s == null ? "" : s);
  }

  static String time(Instant at) {
    return at == null ? "" : TIME.format(at);
  }

  /** A navigation entry: the path it links to and its label. */
  record Nav(String path, String label) {}

  static final Nav[] NAV = {
    new Nav("/", "Home"),
    new Nav("/optin/subscribe", "Newsletter"),
    new Nav("/contact", "Contact"),
    new Nav("/privacy", "Privacy"),
    new Nav("/dev/mailbox", "Mailbox"),
    new Nav("/admin", "Admin"),
  };

  /**
   * Renders a whole page of the site.
   *
   * @param lang the page's language tag
   * @param title plain text
   * @param current the path of the navigation entry to mark as current, or {@code null}
   * @param stylesheets the stylesheets, in order, plain text
   * @param bodyClass a CSS class for the body, plain text
   * @param mainHtml the content, already encoded
   * @return the document
   */
  static String page(
      String lang,
      String title,
      String current,
      Iterable<String> stylesheets,
      String bodyClass,
      String mainHtml) {
    StringBuilder b = new StringBuilder(4096 + mainHtml.length());
    b.append("<!DOCTYPE html>\n<html lang=\"")
        .append(attr(lang))
        .append("\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>")
        .append(text(title))
        .append(" · De Gouden Korst</title>\n");
    for (String css : stylesheets) {
      b.append("<link rel=\"stylesheet\" href=\"").append(attr(css)).append("\">\n");
    }
    b.append("</head>\n<body class=\"")
        .append(attr(bodyClass))
        .append("\">\n")
        .append("<a class=\"skip\" href=\"#main\">Skip to content</a>\n")
        .append(
            "<header class=\"site-header\">\n<div class=\"wrap\">\n<a class=\"brand\" href=\"/\">")
        .append(LOGO)
        .append(
            "<span><strong>De Gouden Korst</strong><small>Bakkerij · Utrecht · since 1931</small></span></a>\n")
        .append("<nav aria-label=\"Main\"><ul>\n");
    for (Nav n : NAV) {
      b.append("<li><a href=\"").append(attr(n.path())).append('"');
      if (n.path().equals(current)) {
        b.append(" aria-current=\"page\"");
      }
      b.append('>').append(text(n.label())).append("</a></li>\n");
    }
    b.append("</ul></nav>\n</div>\n</header>\n<main id=\"main\" class=\"wrap\">\n")
        .append(mainHtml)
        .append("</main>\n<footer class=\"site-footer\">\n<div class=\"wrap\">\n")
        .append("<p>De Gouden Korst B.V. · Bakkerstraat 1, 3511 AB Utrecht · ")
        .append(
            "<a href=\"mailto:privacy@goudenkorst.example\">privacy@goudenkorst.example</a></p>\n")
        .append(
            "<p class=\"muted\">A fictional bakery: the sample app of <strong>optin4j</strong>, GDPR double "
                + "opt-in for Java. <a href=\"/privacy\">Privacy</a></p>\n")
        .append("</div>\n</footer>\n</body>\n</html>\n");
    return b.toString();
  }

  /** Renders a page of the site with its own stylesheet only. */
  static String page(String title, String current, String mainHtml) {
    return page("en", title, current, java.util.List.of("/static/site.css"), "site", mainHtml);
  }

  /** Sends a page with the site's security headers. */
  static void send(HttpServletResponse res, int status, String html) throws IOException {
    send(res, status, html, CSP);
  }

  /** Sends a page with the site's security headers and this Content-Security-Policy. */
  static void send(HttpServletResponse res, int status, String html, String csp)
      throws IOException {
    byte[] body = html.getBytes(StandardCharsets.UTF_8);
    res.setStatus(status);
    headers(res, csp);
    res.setContentType("text/html;charset=UTF-8");
    res.setContentLength(body.length);
    try (OutputStream out = res.getOutputStream()) {
      out.write(body);
    }
  }

  static void headers(HttpServletResponse res, String csp) {
    res.setHeader("Content-Security-Policy", csp);
    res.setHeader("X-Content-Type-Options", "nosniff");
    // Not no-referrer: with it browsers send "Origin: null" on form POSTs, which fails the origin
    // checks.
    res.setHeader("Referrer-Policy", "same-origin");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Frame-Options", "DENY");
  }
}
