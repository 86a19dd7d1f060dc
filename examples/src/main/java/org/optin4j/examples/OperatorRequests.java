package org.optin4j.examples;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.rights.RightsDesk;
import org.optin4j.rights.RightsRequest;

/**
 * The admin page's register of data subjects' requests received by mail, letter or phone, on the core's
 * {@link OptIn#rightsDesk()}: record one with the day it arrived, see when it is due (one calendar month, Art. 12(3)),
 * extend it once to three months, mark it completed.
 *
 * <p>Renders into {@link AdminServlet}, which authenticates and checks the form token and origin of every POST before
 * calling in here. Every value is encoded with the OWASP Encoder ({@link Html}). Thread-safe.
 */
final class OperatorRequests {
  private final OptIn optIn;
  private final Clock clock;
  private final Supplier<String> formToken;

  OperatorRequests(OptIn optIn, Clock clock, Supplier<String> formToken) {
    this.optIn = optIn;
    this.clock = clock;
    this.formToken = formToken;
  }

  /** The overview's section: the open requests, earliest deadline first, and a form to record one by address. */
  void section(StringBuilder b) {
    Instant now = clock.instant();
    RightsDesk desk = optIn.rightsDesk();
    List<RightsRequest> open = desk.openRequests();
    long overdue = open.stream().filter(r -> r.isOverdue(now)).count();
    b.append(
            "<section class=\"card\" aria-labelledby=\"requests-h\"><h2 id=\"requests-h\">Operator requests "
                + "(Art. 12(3))")
        .append(overdue > 0 ? " <span class=\"badge overdue\">" + overdue + " overdue</span>" : "")
        .append(
            "</h2>\n<p>Requests that reached the bakery by mail, letter or phone, not through the preference "
                + "page. Answer within one month of receipt; extend once, to three months, where the request is complex "
                + "(and tell the person within the first month). Check who is asking before acting (Art. 12(6)).</p>\n");
    if (open.isEmpty()) {
      b.append("<p class=\"muted\">No open requests.</p>\n");
    } else {
      b.append(
          "<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Right</th><th scope=\"col\">Subject"
              + "</th><th scope=\"col\">Received</th><th scope=\"col\">Due</th><th scope=\"col\">Actions</th></tr>"
              + "</thead>\n<tbody>\n");
      for (RightsRequest r : open) {
        Optional<Subject> s = optIn.subject(r.subjectId());
        b.append("<tr><td>")
            .append(Html.text(typeLabel(r.type())))
            .append("</td><td><a href=\"/admin/subject?id=")
            .append(Html.attr(Html.url(r.subjectId().value())))
            .append("\">")
            .append(s.map(x -> Html.text(x.email().value())).orElse("(erased)"))
            .append("</a></td><td>")
            .append(Html.time(r.receivedAt()))
            .append("</td><td>")
            .append(Html.time(r.dueAt()))
            .append(" <span class=\"")
            .append(r.isOverdue(now) ? "overdue" : "due")
            .append("\">(")
            .append(Html.text(AdminForms.timeLeft(now, r.dueAt())))
            .append(")</span>")
            .append(r.extended() ? " <span class=\"badge\">extended</span>" : "")
            .append("</td><td class=\"actions\">");
        if (!r.extended()) {
          b.append(
              AdminForms.postButton(
                  formToken.get(),
                  "/admin/requests/extend",
                  "Extend to 3 months",
                  "secondary small",
                  "id",
                  r.id()));
        }
        String outcomeId = "outcome-" + r.id();
        b.append("<form method=\"post\" action=\"/admin/requests/complete\" class=\"inline\">")
            .append(AdminForms.hidden("csrf", formToken.get()))
            .append(AdminForms.hidden("id", r.id()))
            .append("<label class=\"visually-hidden\" for=\"")
            .append(Html.attr(outcomeId))
            .append("\">What was done</label><input type=\"text\" id=\"")
            .append(Html.attr(outcomeId))
            .append(
                "\" name=\"outcome\" maxlength=\"500\" required placeholder=\"What was done (no personal data)\">"
                    + " <button type=\"submit\" class=\"secondary small\">Completed</button></form>")
            .append("</td></tr>\n");
      }
      b.append("</tbody></table></div>\n");
    }
    b.append("<h3 id=\"record-request-h\">Record a request</h3>\n");
    form(b, null, now);
    b.append("</section>\n");
  }

  /** The subject page's card: this subject's open requests and a form to record one. */
  void subjectCard(StringBuilder b, SubjectId subject) {
    Instant now = clock.instant();
    b.append(
        "<section class=\"card\" aria-labelledby=\"subject-requests-h\"><h2 id=\"subject-requests-h\">"
            + "Operator requests (Art. 12(3))</h2>\n");
    List<RightsRequest> open =
        optIn.rightsDesk().openRequests().stream()
            .filter(r -> r.subjectId().equals(subject))
            .toList();
    if (!open.isEmpty()) {
      b.append("<ul>\n");
      for (RightsRequest r : open) {
        b.append("<li>")
            .append(Html.text(typeLabel(r.type())))
            .append(", received ")
            .append(Html.time(r.receivedAt()))
            .append(", due ")
            .append(Html.time(r.dueAt()))
            .append(" <span class=\"")
            .append(r.isOverdue(now) ? "overdue" : "due")
            .append("\">(")
            .append(Html.text(AdminForms.timeLeft(now, r.dueAt())))
            .append(")</span></li>\n");
      }
      b.append(
          "</ul>\n<p class=\"hint\"><a href=\"/admin#requests-h\">Handle them on the admin page</a>.</p>\n");
    }
    form(b, subject, now);
    b.append("</section>\n");
  }

  private void form(StringBuilder b, SubjectId subject, Instant now) {
    String p = subject == null ? "req" : "sreq";
    b.append("<form method=\"post\" action=\"/admin/requests\" class=\"stacked\">\n")
        .append(AdminForms.hidden("csrf", formToken.get()));
    if (subject == null) {
      b.append(
          "<div class=\"field\"><label for=\"req-email\">Email address of the person</label><input type=\"email\" "
              + "id=\"req-email\" name=\"email\" maxlength=\"254\" required></div>\n");
    } else {
      b.append(AdminForms.hidden("id", subject.value()));
    }
    b.append("<div class=\"field\"><label for=\"")
        .append(p)
        .append("-type\">Right</label><select id=\"")
        .append(p)
        .append("-type\" name=\"type\" required>\n");
    for (RightsRequest.Type t : RightsRequest.Type.values()) {
      b.append("<option value=\"")
          .append(Html.attr(t.name().toLowerCase(Locale.ROOT)))
          .append("\">")
          .append(Html.text(typeLabel(t)))
          .append("</option>\n");
    }
    b.append("</select></div>\n<div class=\"field\"><label for=\"")
        .append(p)
        .append("-received\">Received at (UTC)" + "</label><input type=\"datetime-local\" id=\"")
        .append(p)
        .append("-received\" name=\"received\" required " + "value=\"")
        .append(Html.attr(AdminForms.dateTimeValue(now)))
        .append("\"></div>\n")
        .append(
            "<button type=\"submit\" class=\"secondary\">Record the request</button>\n</form>\n");
  }

  // --- actions (the form token and origin are checked by AdminServlet)
  // ---------------------------------------------

  void receive(HttpServletRequest req, HttpServletResponse res) throws IOException {
    List<String> problems = new ArrayList<>();
    Optional<SubjectId> subject = Optional.empty();
    String email = req.getParameter("email");
    if (email != null) {
      subject = email.length() > 254 ? Optional.empty() : optIn.findSubject(email).map(Subject::id);
      if (subject.isEmpty()) {
        problems.add("No subject with that address (nothing held, or erased already).");
      }
    } else {
      subject =
          AdminServlet.subjectId(req.getParameter("id"))
              .filter(id -> optIn.subject(id).isPresent());
      if (subject.isEmpty()) {
        problems.add("No such subject.");
      }
    }
    Optional<RightsRequest.Type> type = type(req.getParameter("type"));
    if (type.isEmpty()) {
      problems.add("Right: choose one.");
    }
    Optional<Instant> received = AdminForms.parseUtc(req.getParameter("received"));
    if (received.isEmpty() || received.get().isAfter(clock.instant().plusSeconds(60))) {
      problems.add("Received at: give a date and time (UTC), not in the future.");
    }
    if (!problems.isEmpty()) {
      AdminServlet.send(
          res,
          400,
          "Not recorded",
          AdminForms.problems(
              "Not recorded", problems, "/admin#requests-h", "Back to the admin page"));
      return;
    }
    optIn.rightsDesk().receive(subject.get(), type.get(), received.get());
    seeOther(res, "request-recorded");
  }

  void extend(HttpServletRequest req, HttpServletResponse res) throws IOException {
    try {
      optIn.rightsDesk().extend(id(req));
    } catch (IllegalArgumentException | IllegalStateException e) {
      AdminServlet.send(
          res,
          409,
          "Not extended",
          AdminForms.problems(
              "Not extended",
              List.of(e.getMessage()),
              "/admin#requests-h",
              "Back to the admin page"));
      return;
    }
    seeOther(res, "request-extended");
  }

  void complete(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String outcome = req.getParameter("outcome") == null ? "" : req.getParameter("outcome").strip();
    if (outcome.isEmpty()
        || outcome.length() > 500
        || outcome.chars().anyMatch(Character::isISOControl)) {
      AdminServlet.send(
          res,
          400,
          "Not completed",
          AdminForms.problems(
              "Not completed",
              List.of("What was done: one line of 1 to 500 characters, free of personal data."),
              "/admin#requests-h",
              "Back to the admin page"));
      return;
    }
    try {
      optIn.rightsDesk().complete(id(req), outcome);
    } catch (IllegalArgumentException e) {
      AdminServlet.send(
          res,
          409,
          "Not completed",
          AdminForms.problems(
              "Not completed",
              List.of(e.getMessage()),
              "/admin#requests-h",
              "Back to the admin page"));
      return;
    }
    seeOther(res, "request-completed");
  }

  private static String id(HttpServletRequest req) {
    String id = req.getParameter("id");
    if (id == null || id.isEmpty() || id.length() > 64) {
      throw new IllegalArgumentException("no such request");
    }
    return id;
  }

  private static Optional<RightsRequest.Type> type(String value) {
    if (value == null || value.length() > 20) {
      return Optional.empty();
    }
    try {
      return Optional.of(RightsRequest.Type.valueOf(value.toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static void seeOther(HttpServletResponse res, String done) {
    res.setStatus(303);
    res.setHeader("Location", "/admin?done=" + done + "#requests-h");
    res.setHeader("Cache-Control", "no-store");
  }

  static String typeLabel(RightsRequest.Type t) {
    return switch (t) {
      case ACCESS -> "Access (Art. 15)";
      case PORTABILITY -> "Portability (Art. 20)";
      case RECTIFICATION -> "Rectification (Art. 16)";
      case ERASURE -> "Erasure (Art. 17)";
      case RESTRICTION -> "Restriction (Art. 18)";
      case WITHDRAWAL -> "Withdrawal / objection (Art. 7(3), 21)";
    };
  }
}
