package org.optin4j.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serial;
import java.util.Locale;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeText;
import org.optin4j.Retention;
import org.optin4j.servlet.OptInForms;
import org.optin4j.servlet.SignupOutcome;

/**
 * The bakery's own pages: home, the contact form (the drop-in: the library renders the notice block inside the
 * site's form and reads the POST before this servlet sees it), the privacy page and the stylesheet.
 *
 * <p>Thread-safe.
 */
final class SiteServlet extends HttpServlet {
  @Serial private static final long serialVersionUID = 1L;
  private static final int MAX_MESSAGE = 2000;

  private final transient OptIn optIn;
  private final byte[] css;
  private final byte[] apiSignupJs;

  /** The CSP of {@code /api-signup}: the site's own pages' policy plus this site's script and its API calls. */
  static final String API_SIGNUP_CSP = Html.CSP + "; script-src 'self'; connect-src 'self'";

  SiteServlet(OptIn optIn) {
    this.optIn = optIn;
    this.css = resource("site.css");
    this.apiSignupJs = resource("api-signup.js");
  }

  private static byte[] resource(String name) {
    try (InputStream in = SiteServlet.class.getResourceAsStream("static/" + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " missing");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + name, e);
    }
  }

  @Override
  protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
    switch (path(req)) {
      case "/" -> home(res);
      case "/contact" -> contactForm(req, res, 200, "", "", "", null);
      case "/privacy" -> privacy(req, res);
      case "/static/site.css" -> file(res, "text/css;charset=UTF-8", css);
      case "/api-signup" -> apiSignup(res);
      case "/static/api-signup.js" -> file(res, "text/javascript;charset=UTF-8", apiSignupJs);
      default -> notFound(res);
    }
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (path(req).equals("/contact")) {
      contact(req, res);
    } else {
      res.setHeader("Allow", "GET, HEAD");
      Html.send(res, 405, Html.page("Not allowed", null, "<h1>Not allowed</h1>\n"));
    }
  }

  private static String path(HttpServletRequest req) {
    String p = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    return p.isEmpty() ? "/" : p;
  }

  private void home(HttpServletResponse res) throws IOException {
    StringBuilder b = new StringBuilder();
    b.append("<section class=\"hero\">\n<h1>Bread worth getting up for.</h1>\n")
        .append(
            "<p class=\"lead\">Sourdough, rye and the famous <em>gouden korst</em> loaf, baked every morning "
                + "since 1931 on the Bakkerstraat in Utrecht.</p>\n")
        .append(
            "<p class=\"actions\"><a class=\"button\" href=\"/optin/subscribe\">Get the newsletter</a> ")
        .append(
            "<a class=\"button secondary\" href=\"/contact\">Write to us</a></p>\n</section>\n");
    b.append("<section class=\"grid\" aria-label=\"What we offer\">\n");
    for (Purpose p : optIn.catalog().purposes()) {
      PurposeText t = p.text(Locale.ENGLISH).orElseThrow();
      b.append("<article class=\"card\">\n<h2>")
          .append(Html.text(t.title()))
          .append("</h2>\n<p>")
          .append(Html.text(t.description()))
          .append("</p>\n<p class=\"muted\">")
          .append(Html.text(retention(p)))
          .append("</p>\n<p><a href=\"/optin/subscribe?purpose=")
          .append(Html.url(p.id().value()))
          .append("\">Sign up for ")
          .append(Html.text(t.title().toLowerCase(Locale.ENGLISH)))
          .append("</a></p>\n</article>\n");
    }
    b.append("</section>\n");
    b.append("<section class=\"card how\">\n<h2>Three ways in, one record of consent</h2>\n<ol>\n")
        .append(
            "<li><strong>The hosted signup page</strong> at <a href=\"/optin/subscribe\"><code>/optin/subscribe"
                + "</code></a>: served entirely by the optin4j servlet filter, in this site's layout.</li>\n")
        .append(
            "<li><strong>The site's own contact form</strong> at <a href=\"/contact\"><code>/contact</code></a>: "
                + "the library renders the notice block inside it and reads the POST before the app does.</li>\n")
        .append(
            "<li><strong>A script on a static page</strong> at <a href=\"/api-signup\"><code>/api-signup</code></a>:"
                + " the same signup through the filter's JSON API, for front ends not rendered by the server.</li>\n")
        .append(
            "</ol>\n<p>Either way a neutral confirmation mail goes out; read it in the "
                + "<a href=\"/dev/mailbox\">mailbox</a>, follow the link and confirm. Every step is recorded with the "
                + "exact notice text that was shown: see it on the <a href=\"/admin\">admin page</a>.</p>\n")
        .append("</section>\n");
    Html.send(res, 200, Html.page("Home", "/", b.toString()));
  }

  private static String retention(Purpose p) {
    if (p.retention() instanceof Retention.Fixed f) {
      return "Kept for " + f.period().toDays() + " days after you confirm, or until you withdraw.";
    }
    return "Kept until you withdraw.";
  }

  /** The contact form: name, address, message, and the library's notice block with one unticked box per purpose. */
  private void contactForm(
      HttpServletRequest req,
      HttpServletResponse res,
      int status,
      String name,
      String email,
      String message,
      String problem)
      throws IOException {
    OptInForms forms = OptInForms.from(getServletContext());
    StringBuilder b = new StringBuilder();
    b.append(
        "<h1>Write to us</h1>\n<p class=\"lead\">Questions, a special order, a birthday cake? We answer "
            + "within two working days.</p>\n");
    if (problem != null) {
      b.append("<div class=\"error\" role=\"alert\"><h2>Please check the form</h2><p>")
          .append(Html.text(problem))
          .append("</p></div>\n");
    }
    b.append("<form class=\"card\" method=\"post\" action=\"/contact\">\n")
        .append(
            "<div class=\"field\"><label for=\"name\">Your name <span class=\"muted\">(optional)</span></label>\n")
        .append("<input id=\"name\" name=\"name\" autocomplete=\"name\" maxlength=\"100\" value=\"")
        .append(Html.attr(name))
        .append("\"></div>\n")
        .append("<div class=\"field\"><label for=\"email\">Email address</label>\n")
        .append(
            "<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required maxlength=\"254\""
                + " value=\"")
        .append(Html.attr(email))
        .append("\"></div>\n")
        .append("<div class=\"field\"><label for=\"message\">Message</label>\n")
        .append(
            "<textarea id=\"message\" name=\"message\" rows=\"5\" maxlength=\""
                + MAX_MESSAGE
                + "\" required>")
        .append(Html.text(message))
        .append("</textarea></div>\n")
        .append(
            "<p class=\"muted\">Want to hear from us later too? Tick what you like below; your message reaches us "
                + "either way.</p>\n")
        // The library's notice block: the notice text as stored for proof, unticked boxes, hidden
        // form fields.
        .append(forms.noticeBlock(req, "newsletter", "events"))
        .append("<button type=\"submit\">Send message</button>\n</form>\n");
    Html.send(res, status, Html.page("Contact", "/contact", b.toString()));
  }

  /** The filter has read the POST already and left what it did in the {@link SignupOutcome} attribute. */
  private void contact(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String name = trimmed(req.getParameter("name"), 100);
    String email = trimmed(req.getParameter("email"), 254);
    String message = trimmed(req.getParameter("message"), MAX_MESSAGE);
    Object outcome = req.getAttribute(SignupOutcome.ATTRIBUTE);
    if (outcome instanceof SignupOutcome.InvalidAddress) {
      contactForm(req, res, 400, name, email, message, "That email address does not look right.");
      return;
    }
    if (outcome instanceof SignupOutcome.NoticeChanged) {
      contactForm(
          req,
          res,
          400,
          name,
          email,
          message,
          "Our privacy notice changed while the form was open; please read it again and resend.");
      return;
    }
    if (outcome instanceof SignupOutcome.HumanCheckFailed) {
      contactForm(req, res, 400, name, email, message, "Please try again.");
      return;
    }
    if (message.isBlank() || email.isBlank()) {
      contactForm(
          req, res, 400, name, email, message, "Please give your email address and a message.");
      return;
    }
    // A real shop would pass the message to its inbox here. The sample keeps nothing of it.
    StringBuilder b =
        new StringBuilder("<div class=\"card\">\n<h1>Thank you")
            .append(name.isBlank() ? "" : ", " + Html.text(name))
            .append("!</h1>\n")
            .append("<p>We got your message and will answer within two working days.</p>\n");
    if (outcome instanceof SignupOutcome.Requested) {
      // The same words whatever the address's state (new, pending, confirmed, throttled): no
      // enumeration.
      b.append(
              "<p><strong>About the mail you asked for:</strong> check your inbox. We sent a link to confirm your "
                  + "choice; nothing is sent for it until you confirm. No mail? Check your spam folder, or ignore it if "
                  + "you changed your mind.</p>\n")
          .append(
              "<p class=\"muted\">In this sample the mail lands in the <a href=\"/dev/mailbox\">mailbox</a>.</p>\n");
    }
    b.append("<p><a href=\"/\">Back to the bakery</a></p>\n</div>\n");
    Html.send(res, 200, Html.page("Message sent", "/contact", b.toString()));
  }

  private static String trimmed(String s, int max) {
    if (s == null) {
      return "";
    }
    s = s.strip();
    return s.length() > max ? s.substring(0, max) : s;
  }

  /**
   * The site's privacy page: the information GDPR Art. 13 asks for, generated by optin4j from the catalog and the
   * controller (the same as {@code /optin/privacy-info}), plus what only this site can say.
   */
  private void privacy(HttpServletRequest req, HttpServletResponse res) throws IOException {
    StringBuilder b =
        new StringBuilder("<div class=\"card prose\">\n<h1>Privacy</h1>\n")
            .append(OptInForms.from(getServletContext()).informationBlock(req))
            .append(
                "<h2>Proof</h2>\n<p>To be able to show that you consented, we keep the text you were shown, when "
                    + "you asked and confirmed, and a shortened IP address and browser name, for the period each "
                    + "purpose states. After erasure we keep only a keyed hash of your address, so that it is never "
                    + "added again without a fresh confirmation.</p>\n</div>\n");
    Html.send(res, 200, Html.page("Privacy", "/privacy", b.toString()));
  }

  /**
   * A signup for a front end that is not rendered by the server: plain HTML and one script that talks to the filter's
   * JSON API (docs/json-api.md). The form has no action: without the script nothing is sent.
   */
  private void apiSignup(HttpServletResponse res) throws IOException {
    String main =
        "<div class=\"card\"><h1>Newsletter, through the JSON API</h1>\n"
            + "<p>This page is static HTML and one script that calls <code>/optin/api</code>, as a single-page app "
            + "would. It records exactly what the hosted page records.</p>\n"
            + "<form id=\"api-signup\" novalidate>\n"
            + "<div class=\"field\"><label for=\"api-email\">Email</label>\n"
            + "<input id=\"api-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required></div>\n"
            + "<fieldset id=\"api-purposes\"><legend>What would you like to receive?</legend></fieldset>\n"
            + "<div id=\"api-notice\" class=\"notice\"></div>\n"
            + "<p><button type=\"submit\">Sign up</button></p>\n</form>\n"
            + "<p id=\"api-result\" role=\"status\" aria-live=\"polite\"></p>\n"
            + "<noscript><p>This page needs JavaScript; <a href=\"/optin/subscribe\">the hosted signup</a> "
            + "does not.</p></noscript>\n"
            + "<script src=\"/static/api-signup.js\" defer></script></div>\n";
    Html.send(res, 200, Html.page("Newsletter (JSON API)", null, main), API_SIGNUP_CSP);
  }

  /** A static file of the site: the stylesheet, the signup script. */
  private static void file(HttpServletResponse res, String type, byte[] body) throws IOException {
    res.setStatus(200);
    res.setContentType(type);
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Cache-Control", "public, max-age=300");
    res.setContentLength(body.length);
    res.getOutputStream().write(body);
  }

  private static void notFound(HttpServletResponse res) throws IOException {
    Html.send(
        res,
        404,
        Html.page(
            "Not found",
            null,
            "<div class=\"card\"><h1>Not found</h1>\n<p>That page is not on our shelves. <a href=\"/\">Home</a></p></div>\n"));
  }
}
