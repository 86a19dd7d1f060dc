package org.optin4j.examples.boot;

import com.icegreen.greenmail.util.GreenMail;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Multipart;
import jakarta.mail.Part;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.optin4j.Consent;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.spi.OutboxMail;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;

/**
 * The bakery's own pages: the home page (public), the admin page and the mailbox of the built-in SMTP capture (both
 * behind the login, {@link SecurityConfiguration}). optin4j's pages under {@code /optin} are the starter's filter's,
 * not these.
 *
 * <p>The mailbox needs the login because its mails hold working confirm and preference links: whoever reads it could
 * confirm signups in others' names. It shows each mail's text part and headers, never its HTML as markup.
 */
@Controller
@ResponseBody
class BakeryPages {
  private static final String HTML = MediaType.TEXT_HTML_VALUE + ";charset=UTF-8";
  private static final Pattern LINK =
      Pattern.compile("https?://[^\\s<>\"'&]+(?:&amp;[^\\s<>\"'&]+)*");

  private final OptIn optIn;
  private final ObjectProvider<GreenMail> capture;

  BakeryPages(OptIn optIn, ObjectProvider<GreenMail> capture) {
    this.optIn = optIn;
    this.capture = capture;
  }

  @GetMapping(path = "/", produces = HTML)
  String home() {
    return Page.render(
        "Welcome",
        """
        <h1>Bakkerij De Gouden Korst</h1>
        <p class="lead">Sourdough, rye and the bread of the month, baked every morning in Utrecht.</p>
        <div class="card">
        <h2>Our newsletter</h2>
        <p>Once a month: the bread of the month, new recipes and the opening hours around the holidays.
        You choose what you get, and you confirm it by mail first.</p>
        <p><a class="button" href="/optin/subscribe">Sign up</a></p>
        </div>
        <p class="muted">Staff: the <a href="/admin">admin page</a> and the <a href="/dev/mailbox">mailbox</a>
        of the built-in SMTP capture need the admin login.</p>
        """);
  }

  @GetMapping(path = "/admin", produces = HTML)
  String admin(@RequestParam(name = "email", required = false) String email) {
    StringBuilder b =
        new StringBuilder("<h1>Admin</h1>\n<div class=\"card\"><h2>Outbox</h2>\n<ul>\n");
    Map<OutboxMail.Status, Long> outbox = optIn.operations().outboxSummary();
    outbox.forEach(
        (status, count) ->
            b.append("<li>")
                .append(Page.text(status))
                .append(": ")
                .append(count)
                .append("</li>\n"));
    if (outbox.isEmpty()) {
      b.append("<li>empty</li>\n");
    }
    b.append(
        """
        </ul></div>
        <form class="card" method="get" action="/admin">
        <label for="email">Look up an address</label>
        <input id="email" name="email" type="email" required>
        <button type="submit">Look up</button>
        </form>
        """);
    if (email != null && !email.isBlank()) {
      b.append(subject(email.strip()));
    }
    return Page.render("Admin", b.toString());
  }

  private String subject(String email) {
    // Empty also for what is not an address at all.
    Optional<Subject> found = optIn.findSubject(email);
    if (found.isEmpty()) {
      return "<p class=\"card\">No consent on record for " + Page.text(email) + ".</p>\n";
    }
    StringBuilder b =
        new StringBuilder("<div class=\"card\"><h2>")
            .append(Page.text(email))
            .append("</h2>\n<table><thead><tr><th>Purpose</th><th>State</th><th>Requested</th>")
            .append("<th>Confirmed</th><th>Ended</th></tr></thead>\n<tbody>\n");
    for (Consent c : optIn.consents(found.get().id())) {
      b.append("<tr><td>")
          .append(Page.text(c.purpose().value()))
          .append("</td><td>")
          .append(Page.text(c.state()))
          .append("</td><td>")
          .append(Page.text(c.requestedAt()))
          .append("</td><td>")
          .append(c.confirmedAt() == null ? "" : Page.text(c.confirmedAt()))
          .append("</td><td>")
          .append(c.endedAt() == null ? "" : Page.text(c.endedAt()))
          .append("</td></tr>\n");
    }
    return b.append("</tbody></table></div>\n").toString();
  }

  @GetMapping(path = "/dev/mailbox", produces = HTML)
  String mailbox() {
    GreenMail mails = capture.getIfAvailable();
    if (mails == null) {
      return Page.render(
          "Mailbox",
          "<h1>Mailbox</h1>\n<p class=\"card\">Mail goes to the SMTP server of <code>spring.mail.host</code>, "
              + "so nothing is captured here.</p>\n");
    }
    // Oldest first; a mail's number on these pages is its place here, from 1.
    List<MimeMessage> all = List.of(mails.getReceivedMessages());
    StringBuilder b =
        new StringBuilder("<h1>Mailbox</h1>\n<p class=\"lead\">Every mail the app sent, caught by ")
            .append("the built-in SMTP capture on <code>127.0.0.1:")
            .append(mails.getSmtp().getPort())
            .append("</code>, newest first. Kept in memory until the app stops.</p>\n");
    if (all.isEmpty()) {
      b.append(
          "<p class=\"card\">No mail yet. <a href=\"/optin/subscribe\">Sign up</a>, then reload "
              + "this page (mail goes out within a few seconds).</p>\n");
    } else {
      b.append("<table class=\"card\"><thead><tr><th>#</th><th>Subject</th><th>To</th></tr>")
          .append("</thead>\n<tbody>\n");
      for (int n = all.size(); n >= 1; n--) {
        MimeMessage m = all.get(n - 1);
        b.append("<tr><td>")
            .append(n)
            .append("</td><td><a href=\"/dev/mailbox/")
            .append(n)
            .append("\">")
            .append(Page.text(subject(m)))
            .append("</a></td><td>")
            .append(Page.text(read(() -> Objects.toString(m.getHeader("To", ", "), ""))))
            .append("</td></tr>\n");
      }
      b.append("</tbody></table>\n");
    }
    return Page.render("Mailbox", b.toString());
  }

  @GetMapping(path = "/dev/mailbox/{number}", produces = HTML)
  ResponseEntity<String> mail(@PathVariable("number") int number) {
    GreenMail mails = capture.getIfAvailable();
    List<MimeMessage> all = mails == null ? List.of() : List.of(mails.getReceivedMessages());
    if (number < 1 || number > all.size()) {
      return ResponseEntity.status(404)
          .body(
              Page.render(
                  "No such mail",
                  "<h1>No such mail</h1>\n<p>The capture keeps mail in memory only. "
                      + "<a href=\"/dev/mailbox\">Back to the mailbox</a></p>\n"));
    }
    MimeMessage m = all.get(number - 1);
    String subject = subject(m);
    StringBuilder b =
        new StringBuilder("<p><a href=\"/dev/mailbox\">All mail</a></p>\n<h1>")
            .append(Page.text(subject))
            .append("</h1>\n<pre class=\"mail-text\">")
            .append(linkify(read(() -> text(m))))
            .append("</pre>\n<table class=\"card headers\"><tbody>\n");
    for (Header h : read(() -> Collections.list(m.getAllHeaders()))) {
      b.append("<tr><th scope=\"row\">")
          .append(Page.text(h.getName()))
          .append("</th><td>")
          .append(linkify(h.getValue()))
          .append("</td></tr>\n");
    }
    b.append("</tbody></table>\n");
    return ResponseEntity.ok(Page.render(subject, b.toString()));
  }

  /** Encodes a text for HTML and makes its http(s) URLs links (the URL is already encoded, quotes included). */
  static String linkify(String text) {
    Matcher m = LINK.matcher(Page.text(text));
    return m.replaceAll(
        r -> Matcher.quoteReplacement("<a href=\"" + r.group() + "\">" + r.group() + "</a>"));
  }

  private static String subject(MimeMessage m) {
    return read(() -> Objects.toString(m.getSubject(), "(no subject)"));
  }

  /** The first text/plain part of a mail; empty if it has none. */
  static String text(Part part) throws MessagingException, IOException {
    if (part.isMimeType("text/plain")) {
      return (String) part.getContent();
    }
    if (part.isMimeType("multipart/*")) {
      Multipart mp = (Multipart) part.getContent();
      for (int i = 0; i < mp.getCount(); i++) {
        String t = text(mp.getBodyPart(i));
        if (!t.isEmpty()) {
          return t;
        }
      }
    }
    return "";
  }

  private interface MailRead<T> {
    T get() throws MessagingException, IOException;
  }

  private static <T> T read(MailRead<T> read) {
    try {
      return read.get();
    } catch (MessagingException | IOException e) {
      throw new IllegalStateException("cannot read a captured mail: " + e.getMessage(), e);
    }
  }
}
