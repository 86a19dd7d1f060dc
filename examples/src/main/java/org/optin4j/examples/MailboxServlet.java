package org.optin4j.examples;

import jakarta.mail.Header;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Serial;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.examples.MailCapture.CapturedMail;

/**
 * {@code /dev/mailbox}: every mail the app sent, as caught by the built-in SMTP capture. The list, then each message
 * as text (links clickable), HTML and headers.
 *
 * <p>The HTML part is untrusted content: it is shown only inside a sandboxed {@code <iframe srcdoc>} (no script, no
 * same-origin access, no forms; a click on a link may navigate the top window), its source only escaped. It is never
 * put into this page as markup.
 *
 * <p>The mails hold working confirm and preferences links, so the page needs the {@link AdminLogin} like
 * {@code /admin}: whoever reads it could confirm signups in others' names or take their subscriptions over. When mail
 * goes to a real SMTP server ({@code OPTIN4J_SMTP_HOST}) nothing is captured and the page says so. Thread-safe.
 */
final class MailboxServlet extends HttpServlet {
  @Serial private static final long serialVersionUID = 1L;
  private static final Pattern LINK = Pattern.compile("https?://[^\\s<>\"']+");
  private static final Pattern NUMBER = Pattern.compile("/([1-9][0-9]{0,8})");

  /**
   * The mailbox's own policy. Inline styles are allowed because the sandboxed mail inherits this policy and mail HTML
   * is styled inline; scripts stay forbidden (and the sandbox forbids them again).
   */
  static final String CSP =
      "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; "
          + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

  private final transient MailCapture capture;
  private final String elsewhere;
  private final transient AdminLogin login;

  /**
   * @param capture the capture, or {@code null} if mail goes to a real server
   * @param elsewhere a description of that server, when {@code capture} is {@code null}
   * @param login the operator's login, which this page needs
   */
  MailboxServlet(MailCapture capture, String elsewhere, AdminLogin login) {
    this.capture = capture;
    this.elsewhere = elsewhere;
    this.login = login;
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse res)
      throws ServletException, IOException {
    if (login.signedIn(req, res)) {
      super.service(req, res);
    }
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String info = req.getPathInfo();
    if (capture == null) {
      send(
          res,
          200,
          "Mailbox",
          "<div class=\"card\"><h1>Mailbox</h1>\n<p>Mail goes to the SMTP server <code>"
              + Html.text(elsewhere)
              + "</code> (<code>OPTIN4J_SMTP_HOST</code> is set), so nothing is captured here. "
              + "Read the mails where that server delivers them.</p></div>\n");
      return;
    }
    if (info == null || info.equals("/")) {
      list(res);
      return;
    }
    Matcher m = NUMBER.matcher(info);
    Optional<CapturedMail> mail =
        m.matches() ? capture.mail(Integer.parseInt(m.group(1))) : Optional.empty();
    if (mail.isEmpty()) {
      send(
          res,
          404,
          "No such mail",
          "<div class=\"card\"><h1>No such mail</h1>\n<p>The capture keeps mail in memory "
              + "only, so it is empty after a restart. <a href=\"/dev/mailbox\">Back to the mailbox</a></p></div>\n");
      return;
    }
    show(res, mail.get());
  }

  private void list(HttpServletResponse res) throws IOException {
    List<CapturedMail> mails = capture.mails();
    StringBuilder b =
        new StringBuilder(
                "<h1>Mailbox</h1>\n<p class=\"lead\">Every mail the app sent, caught by the "
                    + "built-in SMTP capture on <code>127.0.0.1:")
            .append(capture.port())
            .append("</code>. Kept in memory until " + "the app stops. Newest first.</p>\n");
    if (mails.isEmpty()) {
      b.append(
          "<div class=\"card\"><p>No mail yet. <a href=\"/optin/subscribe\">Sign up</a> or use the "
              + "<a href=\"/contact\">contact form</a>, then reload this page (mail goes out within a few seconds).</p>"
              + "</div>\n");
    } else {
      b.append(
          "<div class=\"card table-wrap\"><table class=\"mails\">\n<caption class=\"visually-hidden\">Captured "
              + "mails</caption>\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">Subject</th><th scope=\"col\">To"
              + "</th><th scope=\"col\">Sent</th></tr></thead>\n<tbody>\n");
      for (CapturedMail m : mails) {
        b.append("<tr><td>")
            .append(m.number())
            .append("</td><td><a href=\"/dev/mailbox/")
            .append(m.number())
            .append("\">")
            .append(Html.text(m.subject().isEmpty() ? "(no subject)" : m.subject()))
            .append("</a></td><td>")
            .append(Html.text(m.to()))
            .append("</td><td>")
            .append(Html.time(m.date()))
            .append("</td></tr>\n");
      }
      b.append("</tbody></table></div>\n");
    }
    send(res, 200, "Mailbox", b.toString());
  }

  private void show(HttpServletResponse res, CapturedMail m) throws IOException {
    StringBuilder b =
        new StringBuilder("<p><a href=\"/dev/mailbox\">← All mail</a></p>\n<h1>")
            .append(Html.text(m.subject()))
            .append("</h1>\n<dl class=\"meta\">\n")
            .append("<dt>From</dt><dd>")
            .append(Html.text(m.from()))
            .append("</dd>\n")
            .append("<dt>To</dt><dd>")
            .append(Html.text(m.to()))
            .append("</dd>\n")
            .append("<dt>Sent</dt><dd>")
            .append(Html.time(m.date()))
            .append("</dd>\n");
    if (!m.attachments().isEmpty()) {
      b.append("<dt>Attachments</dt><dd>")
          .append(Html.text(String.join(", ", m.attachments())))
          .append("</dd>\n");
    }
    b.append("</dl>\n");

    Set<String> links = links(m.text());
    if (!links.isEmpty()) {
      b.append(
          "<section class=\"card\" aria-labelledby=\"links-h\"><h2 id=\"links-h\">Links in this mail</h2>\n<ul "
              + "class=\"links\">\n");
      for (String link : links) {
        b.append("<li><a href=\"")
            .append(Html.attr(link))
            .append("\">")
            .append(Html.text(label(link)))
            .append("</a></li>\n");
      }
      b.append(
          "</ul>\n<p class=\"muted\">Opening a link changes nothing: the page behind it asks you to press a "
              + "button (mail scanners open links too).</p></section>\n");
    }

    b.append(
            "<section class=\"card\" aria-labelledby=\"text-h\"><h2 id=\"text-h\">Text</h2>\n<pre class=\"mail-text\">")
        .append(linkify(m.text()))
        .append("</pre></section>\n");

    if (m.html() != null) {
      b.append("<section class=\"card\" aria-labelledby=\"html-h\"><h2 id=\"html-h\">HTML</h2>\n")
          .append(
              "<p class=\"muted\">Shown in a sandboxed frame: no scripts, no access to this site.</p>\n")
          // The mail's HTML is attribute-encoded into srcdoc; <base target="_top"> lets a clicked
          // link leave the frame.
          .append(
              "<iframe class=\"mail-html\" title=\"HTML part of the mail\" sandbox=\"allow-popups "
                  + "allow-top-navigation-by-user-activation\" referrerpolicy=\"no-referrer\" srcdoc=\"")
          .append(Html.attr("<base target=\"_top\">" + m.html()))
          .append("\"></iframe>\n")
          .append("<details><summary>HTML source</summary><pre class=\"source\">")
          .append(Html.text(m.html()))
          .append("</pre></details></section>\n");
    }

    b.append(
            "<section class=\"card\" aria-labelledby=\"headers-h\"><h2 id=\"headers-h\">Headers</h2>\n")
        .append("<div class=\"table-wrap\"><table class=\"headers\">\n<tbody>\n");
    for (Header h : m.headers()) {
      b.append("<tr><th scope=\"row\">")
          .append(Html.text(h.getName()))
          .append("</th><td>")
          .append(Html.text(h.getValue()))
          .append("</td></tr>\n");
    }
    b.append("</tbody></table></div></section>\n");
    send(res, 200, m.subject(), b.toString());
  }

  /** The http(s) links of a text, in order, without duplicates. */
  static Set<String> links(String text) {
    Set<String> out = new LinkedHashSet<>();
    Matcher m = LINK.matcher(text);
    while (m.find()) {
      out.add(trimPunctuation(m.group()));
    }
    return out;
  }

  /** Encodes a text for a {@code <pre>}, turning http(s) URLs into links. */
  static String linkify(String text) {
    StringBuilder b = new StringBuilder(text.length() + 256);
    Matcher m = LINK.matcher(text);
    int last = 0;
    while (m.find()) {
      String link = trimPunctuation(m.group());
      b.append(Html.text(text.substring(last, m.start())));
      b.append("<a href=\"")
          .append(Html.attr(link))
          .append("\">")
          .append(Html.text(link))
          .append("</a>");
      last = m.start() + link.length();
    }
    return b.append(Html.text(text.substring(last))).toString();
  }

  private static String trimPunctuation(String link) {
    int end = link.length();
    while (end > 0 && ".,;:)]".indexOf(link.charAt(end - 1)) >= 0) {
      end--;
    }
    return link.substring(0, end);
  }

  /** A readable label: the path of the link, without its long token. */
  private static String label(String link) {
    int q = link.indexOf('?');
    String path = q < 0 ? link : link.substring(0, q);
    String kind = path.substring(path.lastIndexOf('/') + 1);
    return switch (kind) {
      case "confirm" -> "Confirm link (" + path + "?token=…)";
      case "preferences" -> "Preferences link (" + path + "?token=…)";
      case "unsubscribe" -> "Unsubscribe link (" + path + "?token=…)";
      default -> link;
    };
  }

  private static void send(HttpServletResponse res, int status, String title, String main)
      throws IOException {
    Html.send(
        res,
        status,
        Html.page("en", title, "/dev/mailbox", List.of("/static/site.css"), "site mailbox", main),
        CSP);
  }
}
