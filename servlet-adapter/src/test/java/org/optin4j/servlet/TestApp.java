package org.optin4j.servlet;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.Retention;

/** The app the tests deploy the filter into: a few servlets of its own and a purpose catalog. */
final class TestApp {
  private TestApp() {}

  static final String STATIC_PAGE =
      "<!DOCTYPE html><html lang=\"en\"><head><title>Shop</title></head><body>"
          + "<form method=\"post\" action=\"/app/signup\"><label for=\"e\">Email</label>"
          + "<input id=\"e\" name=\"email\" type=\"email\">"
          + "<optin-notice purposes=\"newsletter offers\"></optin-notice><button>Go</button></form>"
          + "<p>caf\u00e9</p></body></html>";

  static PurposeCatalog catalog() {
    Retention r = Retention.untilWithdrawn(Duration.ofDays(3 * 365));
    return PurposeCatalog.builder()
        .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"), Locale.GERMAN, Locale.FRENCH)
        .add(
            Purpose.builder("newsletter")
                .noRecipients()
                .noAutomatedDecisions()
                .retention(r)
                .text(
                    Locale.ENGLISH,
                    "Monthly newsletter",
                    "To send you our newsletter once a month.",
                    "Your email address")
                .text(
                    Locale.forLanguageTag("nl"),
                    "Maandelijkse nieuwsbrief",
                    "Om u elke maand onze nieuwsbrief te sturen.",
                    "Uw e-mailadres")
                .text(
                    Locale.GERMAN,
                    "Monatlicher Newsletter",
                    "Um Ihnen monatlich unseren Newsletter zu senden.",
                    "Ihre E-Mail-Adresse")
                .text(
                    Locale.FRENCH,
                    "Lettre mensuelle",
                    "Pour vous envoyer notre lettre chaque mois.",
                    "Votre adresse e-mail")
                .build())
        .add(
            Purpose.builder("offers")
                .noRecipients()
                .noAutomatedDecisions()
                .retention(Retention.fixed(Duration.ofDays(365), Duration.ofDays(365)))
                .text(
                    Locale.ENGLISH,
                    "Special offers",
                    "To tell you about discounts.",
                    "Your email address")
                .text(
                    Locale.forLanguageTag("nl"),
                    "Aanbiedingen",
                    "Om u over kortingen te vertellen.",
                    "Uw e-mailadres")
                .text(
                    Locale.GERMAN,
                    "Angebote",
                    "Um Sie über Rabatte zu informieren.",
                    "Ihre E-Mail-Adresse")
                .text(
                    Locale.FRENCH,
                    "Offres",
                    "Pour vous parler de nos remises.",
                    "Votre adresse e-mail")
                .build())
        .build();
  }

  /** Outside the filter's prefix: must pass through untouched. */
  static final class Hello extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      res.setContentType("text/plain;charset=UTF-8");
      res.setHeader("X-App", "hello");
      res.getWriter().write("hello from the app");
    }
  }

  /** The app's own form page, rendering the notice block with OptInForms. */
  static final class SignupPage extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      res.setContentType("text/html;charset=UTF-8");
      res.getWriter()
          .write(
              "<!DOCTYPE html><html lang=\"en\"><body><form method=\"post\" action=\""
                  + req.getContextPath()
                  + "/signup\"><label for=\"e\">Email</label>"
                  + "<input id=\"e\" name=\"email\" type=\"email\"><label for=\"m\">Message</label>"
                  + "<textarea id=\"m\" name=\"message\"></textarea>"
                  + OptInForms.from(getServletContext()).noticeBlock(req, "newsletter", "offers")
                  + "<button>Send</button></form></body></html>");
    }
  }

  /** The app's form handler: forwards to a result page (also a form path: the filter must not run twice). */
  static final class Signup extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse res)
        throws IOException, ServletException {
      req.getRequestDispatcher("/signup-result").forward(req, res);
    }
  }

  static final class SignupResult extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
      Object outcome = req.getAttribute(SignupOutcome.ATTRIBUTE);
      res.setContentType("text/plain;charset=UTF-8");
      res.getWriter()
          .write(
              "outcome="
                  + (outcome == null ? "none" : outcome.getClass().getSimpleName())
                  + "\nmessage="
                  + req.getParameter("message"));
    }
  }

  /** Serves static files like a default servlet: content type, length, ETag, Last-Modified, stream. */
  static final class Static extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      boolean html = req.getServletPath().endsWith(".html");
      byte[] body =
          html
              ? STATIC_PAGE.getBytes(StandardCharsets.UTF_8)
              : "{\"x\":\"<optin-notice purposes=\\\"newsletter\\\"></optin-notice>\"}"
                  .getBytes(StandardCharsets.UTF_8);
      res.setContentType(html ? "text/html;charset=UTF-8" : "application/json");
      res.setContentLength(body.length);
      res.setHeader("ETag", "\"v1\"");
      res.setDateHeader("Last-Modified", Instant.parse("2024-01-01T00:00:00Z").toEpochMilli());
      if (req.getParameter("private") != null) {
        res.setHeader("Cache-Control", "private"); // a page made for one visitor
      }
      if (!"HEAD".equals(req.getMethod())) {
        res.getOutputStream().write(body);
      }
    }
  }

  /**
   * A page that differs per request like a JSP: {@code v} is written near the end, {@code p} names the marker's
   * purposes; written in small pieces, through the writer if {@code writer} is set, else through the stream.
   */
  static final class Dynamic extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
      String purposes = req.getParameter("p") == null ? "newsletter" : req.getParameter("p");
      String page =
          "<!DOCTYPE html><html lang=\"en\"><body><form method=\"post\" action=\"/app/signup\">"
              + "<input name=\"email\" type=\"email\"><optin-notice purposes=\""
              + purposes
              + "\"></optin-notice>"
              + "<button>Go</button></form><p>caf\u00e9 version "
              + req.getParameter("v")
              + "</p></body></html>";
      res.setContentType("text/html;charset=UTF-8");
      if (req.getParameter("writer") != null) {
        var w = res.getWriter();
        for (int i = 0; i < page.length(); i += 7) {
          w.write(page, i, Math.min(7, page.length() - i));
        }
        return;
      }
      byte[] body = page.getBytes(StandardCharsets.UTF_8);
      res.setContentLength(body.length);
      var out = res.getOutputStream();
      for (int i = 0; i < body.length; i += 7) {
        out.write(body, i, Math.min(7, body.length - i));
      }
    }
  }
}
