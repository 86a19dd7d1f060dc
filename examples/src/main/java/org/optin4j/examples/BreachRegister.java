package org.optin4j.examples;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.optin4j.Consent;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.breach.Incident;

/**
 * The admin page's breach register (GDPR Art. 33-34), on the core's
 * {@link org.optin4j.breach.BreachRegister#recordIncident} and friends ({@code optIn.breaches()}): record an incident, see
 * the 72-hour deadline for notifying the supervisory authority, record that notification or close
 * the incident, list the affected contacts and mail them the controller's notification through the outbox.
 *
 * <p>Renders into {@link AdminServlet}, which authenticates and checks the form token and origin of every POST before
 * calling in here. Every value is encoded with the OWASP Encoder ({@link Html}). Thread-safe.
 */
final class BreachRegister {
  static final int CONTACTS_SHOWN = 200;
  private static final int NATURE_MAX = 4000;
  private static final int TEXT_MAX = 20_000;
  private static final int LINES_MAX = 20;

  private final OptIn optIn;
  private final Clock clock;
  private final Supplier<String> formToken;

  BreachRegister(OptIn optIn, Clock clock, Supplier<String> formToken) {
    this.optIn = optIn;
    this.clock = clock;
    this.formToken = formToken;
  }

  // --- the overview's section
  // ---------------------------------------------------------------------------------

  void section(StringBuilder b) {
    Instant now = clock.instant();
    List<Incident> incidents = optIn.breaches().incidents();
    long overdue = incidents.stream().filter(i -> i.isOverdue(now)).count();
    b.append(
            "<section class=\"card\" aria-labelledby=\"breach-h\"><h2 id=\"breach-h\">Data breaches (Art. 33-34)")
        .append(overdue > 0 ? " <span class=\"badge overdue\">" + overdue + " overdue</span>" : "")
        .append("</h2>\n")
        .append(
            "<p>Record a personal data breach as soon as you know of it. The supervisory authority must be "
                + "notified within 72 hours of discovery, weekends included (Art. 33(1)); affected people must be told "
                + "when the breach is likely to result in a high risk to them (Art. 34). Whether to notify is your "
                + "decision; the register keeps the record (Art. 33(5)).</p>\n");
    if (incidents.isEmpty()) {
      b.append("<p class=\"muted\">No incidents recorded.</p>\n");
    } else {
      b.append(
          "<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Discovered</th>"
              + "<th scope=\"col\">What happened</th><th scope=\"col\">Affected</th><th scope=\"col\">Status</th>"
              + "<th scope=\"col\">Notify the authority by</th></tr></thead>\n<tbody>\n");
      for (Incident i : incidents) {
        b.append("<tr><td>")
            .append(Html.time(i.discoveredAt()))
            .append("</td><td><a href=\"/admin/incident?id=")
            .append(Html.attr(Html.url(i.id())))
            .append("\">")
            .append(Html.text(abbreviate(i.nature())))
            .append("</a></td><td>")
            .append(Html.text(scope(i)))
            .append("</td><td>")
            .append(status(i))
            .append("</td><td>")
            .append(deadline(i, now))
            .append("</td></tr>\n");
      }
      b.append("</tbody></table></div>\n");
    }
    recordForm(b, now);
    b.append("</section>\n");
  }

  private void recordForm(StringBuilder b, Instant now) {
    b.append(
            "<h3 id=\"record-incident-h\">Record an incident</h3>\n<form method=\"post\" action=\"/admin/incidents\" "
                + "class=\"stacked\" aria-labelledby=\"record-incident-h\">\n")
        .append(AdminForms.hidden("csrf", formToken.get()))
        .append("<div class=\"field\"><label for=\"inc-discovered\">Discovered at (UTC)</label>")
        .append(
            "<input type=\"datetime-local\" id=\"inc-discovered\" name=\"discovered\" required value=\"")
        .append(Html.attr(AdminForms.dateTimeValue(now)))
        .append(
            "\"><p class=\"hint\">When you became aware of it: "
                + "the 72 hours run from here.</p></div>\n")
        .append(
            "<div class=\"field\"><label for=\"inc-nature\">What happened</label><textarea id=\"inc-nature\" "
                + "name=\"nature\" rows=\"3\" maxlength=\"")
        .append(NATURE_MAX)
        .append("\" required></textarea></div>\n")
        .append(
            "<div class=\"field\"><label for=\"inc-data\">Categories of personal data</label><textarea "
                + "id=\"inc-data\" name=\"dataCategories\" rows=\"2\" aria-describedby=\"inc-data-hint\">email address"
                + "</textarea><p class=\"hint\" id=\"inc-data-hint\">One a line.</p></div>\n")
        .append(
            "<div class=\"field\"><label for=\"inc-subjects\">Categories of data subjects</label><textarea "
                + "id=\"inc-subjects\" name=\"subjectCategories\" rows=\"2\" aria-describedby=\"inc-subjects-hint\">"
                + "</textarea><p class=\"hint\" id=\"inc-subjects-hint\">One a line, for example <i>newsletter "
                + "subscribers</i>.</p></div>\n")
        .append(
            "<fieldset><legend>Whose data</legend>\n<div class=\"choice\"><input type=\"radio\" id=\"inc-all\" "
                + "name=\"scope\" value=\"all\" checked> <label for=\"inc-all\">Every subject on file</label></div>\n"
                + "<div class=\"choice\"><input type=\"radio\" id=\"inc-some\" name=\"scope\" value=\"purposes\"> "
                + "<label for=\"inc-some\">Only subjects with a consent (in any state) for these purposes:</label></div>\n");
    for (Purpose p : optIn.catalog().purposes()) {
      String id = "inc-purpose-" + p.id().value();
      b.append("<div class=\"choice indent\"><input type=\"checkbox\" id=\"")
          .append(Html.attr(id))
          .append("\" name=\"purpose\" value=\"")
          .append(Html.attr(p.id().value()))
          .append("\"> <label for=\"")
          .append(Html.attr(id))
          .append("\">")
          .append(Html.text(title(p)))
          .append(" <code>")
          .append(Html.text(p.id().value()))
          .append("</code></label></div>\n");
    }
    b.append("</fieldset>\n<button type=\"submit\">Record incident</button>\n</form>\n");
  }

  // --- the incident page
  // ---------------------------------------------------------------------------------------

  void page(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<Incident> found = find(req.getParameter("id"));
    if (found.isEmpty()) {
      AdminServlet.send(
          res,
          404,
          "No such incident",
          "<div class=\"card\"><h1>No such incident</h1>\n<p><a href=\""
              + "/admin#breach-h\">Back to the breach register</a></p></div>\n");
      return;
    }
    Incident i = found.get();
    Instant now = clock.instant();
    StringBuilder b =
        new StringBuilder("<p><a href=\"/admin#breach-h\">← Breach register</a></p>\n");
    flash(b, req.getParameter("done"), req.getParameter("n"));
    b.append("<h1>Incident of ")
        .append(Html.time(i.discoveredAt()))
        .append(' ')
        .append(status(i))
        .append("</h1>\n")
        .append("<p class=\"muted\">Incident id <code>")
        .append(Html.text(i.id()))
        .append("</code> · recorded ")
        .append(Html.time(i.recordedAt()))
        .append("</p>\n");

    // Deadline and status.
    b.append(
            "<div class=\"grid\">\n<section class=\"card\" aria-labelledby=\"deadline-h\"><h2 id=\"deadline-h\">"
                + "Supervisory authority (Art. 33)</h2>\n<dl class=\"meta\">\n<dt>Notify by</dt><dd>")
        .append(deadline(i, now))
        .append("</dd>\n");
    if (i.authorityNotifiedAt() != null) {
      b.append("<dt>Notified</dt><dd>")
          .append(Html.time(i.authorityNotifiedAt()))
          .append(' ')
          .append(
              i.authorityNotifiedAt().isAfter(i.notificationDeadline())
                  ? "<span class=\"overdue\">("
                      + Html.text(
                          AdminForms.span(
                              Duration.between(i.notificationDeadline(), i.authorityNotifiedAt())))
                      + " late: record the reasons for the delay, Art. 33(1))</span>"
                  : "<span class=\"ok\">(in time)</span>")
          .append("</dd>\n");
    }
    if (i.closedAt() != null) {
      b.append("<dt>Closed</dt><dd>").append(Html.time(i.closedAt())).append("</dd>\n");
    }
    b.append("</dl>\n");
    if (i.status() == Incident.Status.OPEN) {
      b.append(
              "<form method=\"post\" action=\"/admin/incident/authority-notified\" class=\"inline\">")
          .append(AdminForms.hidden("csrf", formToken.get()))
          .append(AdminForms.hidden("id", i.id()))
          .append(
              "<label for=\"notified-at\">Notified at (UTC)</label> <input type=\"datetime-local\" "
                  + "id=\"notified-at\" name=\"at\" required value=\"")
          .append(Html.attr(AdminForms.dateTimeValue(now)))
          .append(
              "\"> <button type=\"submit\" class=\"secondary\">Record the notification</button></form>\n");
    }
    if (i.status() != Incident.Status.CLOSED) {
      b.append(
              "<p class=\"hint\">Close the incident once it is handled, or when you decided not to notify "
                  + "(document why in your own records).</p>\n")
          .append(
              AdminForms.postButton(
                  formToken.get(),
                  "/admin/incident/close",
                  "Close the incident",
                  "secondary",
                  "id",
                  i.id()));
    }
    b.append("</section>\n");

    // What happened.
    b.append(
            "<section class=\"card\" aria-labelledby=\"what-h\"><h2 id=\"what-h\">What happened (Art. 33(3))</h2>\n"
                + "<div class=\"notice-text\">")
        .append(Html.text(i.nature()))
        .append("</div>\n<dl class=\"meta\">\n")
        .append("<dt>Personal data</dt><dd>")
        .append(Html.text(list(i.dataCategories())))
        .append("</dd>\n")
        .append("<dt>Data subjects</dt><dd>")
        .append(Html.text(list(i.subjectCategories())))
        .append("</dd>\n")
        .append("<dt>Affected</dt><dd>")
        .append(Html.text(scope(i)))
        .append("</dd>\n</dl></section>\n</div>\n");

    // Affected contacts.
    List<SubjectId> shown = optIn.breaches().affectedSubjects(i.id(), null, CONTACTS_SHOWN);
    long total = countAffected(i.id(), shown);
    b.append(
            "<section class=\"card\" aria-labelledby=\"affected-h\"><h2 id=\"affected-h\">Affected contacts <span "
                + "class=\"muted\">(")
        .append(total)
        .append(total > shown.size() ? ", first " + shown.size() + " shown" : "")
        .append(")</span></h2>\n<p class=\"muted\">Everyone on file ")
        .append(i.affectsEverySubject() ? "" : "with a consent for an affected purpose ")
        .append(
            "in any state, withdrawn included: their address was held when the breach happened. Erased subjects "
                + "are not on file any more.</p>\n");
    if (shown.isEmpty()) {
      b.append("<p>Nobody on file is affected.</p>\n");
    } else {
      b.append(
          "<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Address</th><th scope=\"col\">"
              + "Consents</th></tr></thead>\n<tbody>\n");
      for (SubjectId id : shown) {
        Optional<Subject> s = optIn.subject(id);
        b.append("<tr><td><a href=\"/admin/subject?id=")
            .append(Html.attr(Html.url(id.value())))
            .append("\">")
            .append(s.map(x -> Html.text(x.email().value())).orElse("(erased meanwhile)"))
            .append("</a></td><td>");
        for (Consent c : optIn.consents(id)) {
          b.append(AdminForms.state(c));
        }
        b.append("</td></tr>\n");
      }
      b.append("</tbody></table></div>\n");
    }
    b.append("</section>\n");

    notifySection(b, i, total);
    AdminServlet.send(res, 200, "Incident", b.toString());
  }

  private void notifySection(StringBuilder b, Incident i, long affected) {
    b.append(
        "<section class=\"card\" aria-labelledby=\"notify-h\"><h2 id=\"notify-h\">Tell the affected people "
            + "(Art. 34)</h2>\n");
    Incident.SubjectNotice n = i.subjectNotice();
    if (n == null) {
      String draft =
          "Dear customer,\n\nOn "
              + Html.time(i.discoveredAt())
              + " we discovered a breach of the "
              + "security of your personal data:\n\n"
              + i.nature().strip()
              + "\n\nWhat this means for you: [the likely consequences]\n\nWhat we have done: [the measures taken or "
              + "proposed, and what you can do]\n\nQuestions? Write to "
              + SampleApp.CONTROLLER.contactEmail()
              + ".\n\n"
              + "De Gouden Korst";
      b.append(
              "<p>Your text goes, as written, to every affected address on file through the outbox, whatever the "
                  + "state of their consent, with the bakery's name and contact address as footer. Write it in clear and "
                  + "plain language: what happened, a contact point, the likely consequences and the measures taken "
                  + "(Art. 34(2)). It is stored with the incident and can be sent once.</p>\n")
          .append("<form method=\"post\" action=\"/admin/incident/notify\" class=\"stacked\">\n")
          .append(AdminForms.hidden("csrf", formToken.get()))
          .append(AdminForms.hidden("id", i.id()))
          .append(
              "<div class=\"field\"><label for=\"notice-subject\">Subject</label><input type=\"text\" "
                  + "id=\"notice-subject\" name=\"subject\" maxlength=\"200\" required value=\"")
          .append(Html.attr("Important: a security incident at De Gouden Korst"))
          .append("\"></div>\n")
          .append(
              "<div class=\"field\"><label for=\"notice-text\">Text</label><textarea id=\"notice-text\" "
                  + "name=\"text\" rows=\"12\" maxlength=\"")
          .append(TEXT_MAX)
          .append("\" required>")
          .append(Html.text(draft))
          .append("</textarea></div>\n")
          .append("<button type=\"submit\"")
          .append(affected == 0 ? " disabled" : "")
          .append(">Mail the ")
          .append(affected)
          .append(affected == 1 ? " affected contact" : " affected contacts")
          .append("</button>\n</form>\n");
    } else {
      b.append("<p>Queued ")
          .append(Html.time(n.queuedAt()))
          .append(
              " through the outbox; with the built-in SMTP "
                  + "capture the mails are in <a href=\"/dev/mailbox\">/dev/mailbox</a>.</p>\n<dl class=\"meta\">\n"
                  + "<dt>Subject</dt><dd>")
          .append(Html.text(n.subject()))
          .append("</dd>\n</dl>\n<div class=\"notice-text\">")
          .append(Html.text(n.text()))
          .append(
              "</div>\n<p class=\"hint\">Mailing again sends the same text to affected "
                  + "contacts who have not had it yet (added since, or left over by a crash); nobody gets it twice.</p>\n")
          .append(
              AdminForms.postButton(
                  formToken.get(),
                  "/admin/incident/notify",
                  "Mail contacts not yet notified",
                  "secondary",
                  "id",
                  i.id()));
    }
    b.append("</section>\n");
  }

  // --- actions (the form token and origin are checked by AdminServlet)
  // ---------------------------------------------

  void record(HttpServletRequest req, HttpServletResponse res) throws IOException {
    List<String> problems = new ArrayList<>();
    Instant now = clock.instant();
    Optional<Instant> discovered = AdminForms.parseUtc(req.getParameter("discovered"));
    if (discovered.isEmpty()) {
      problems.add("Discovered at: give a date and time (UTC).");
    } else if (discovered.get().isAfter(now.plusSeconds(60))) {
      problems.add("Discovered at: lies in the future.");
    }
    String nature = req.getParameter("nature") == null ? "" : req.getParameter("nature").strip();
    if (nature.isEmpty() || nature.length() > NATURE_MAX) {
      problems.add("What happened: describe the breach, in at most " + NATURE_MAX + " characters.");
    }
    List<String> data =
        categories(req.getParameter("dataCategories"), "Categories of personal data", problems);
    List<String> subjects =
        categories(req.getParameter("subjectCategories"), "Categories of data subjects", problems);
    Set<PurposeId> purposes = new LinkedHashSet<>();
    if ("purposes".equals(req.getParameter("scope"))) {
      String[] values = req.getParameterValues("purpose");
      for (String v : values == null ? new String[0] : values) {
        optIn.catalog().purposes().stream()
            .filter(p -> p.id().value().equals(v))
            .findFirst()
            .ifPresentOrElse(p -> purposes.add(p.id()), () -> problems.add("Unknown purpose."));
      }
      if (purposes.isEmpty()) {
        problems.add("Whose data: tick at least one purpose, or choose every subject on file.");
      }
    } else if (!"all".equals(req.getParameter("scope"))) {
      problems.add("Whose data: choose every subject on file or some purposes.");
    }
    if (!problems.isEmpty()) {
      AdminServlet.send(
          res,
          400,
          "Not recorded",
          AdminForms.problems(
              "Not recorded", problems, "/admin#breach-h", "Back to the breach register"));
      return;
    }
    Incident i;
    try {
      i = optIn.breaches().recordIncident(discovered.get(), nature, data, subjects, purposes);
    } catch (IllegalArgumentException e) {
      AdminServlet.send(
          res,
          400,
          "Not recorded",
          AdminForms.problems(
              "Not recorded",
              List.of(e.getMessage()),
              "/admin#breach-h",
              "Back to the breach register"));
      return;
    }
    seeOther(res, i.id(), "recorded", 0);
  }

  void authorityNotified(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<Instant> at = AdminForms.parseUtc(req.getParameter("at"));
    if (at.isEmpty() || at.get().isAfter(clock.instant().plusSeconds(60))) {
      AdminServlet.send(
          res,
          400,
          "Not recorded",
          AdminForms.problems(
              "Not recorded",
              List.of("Notified at: give a date and time (UTC), not in the future."),
              "/admin#breach-h",
              "Back"));
      return;
    }
    Optional<Incident> i =
        find(req.getParameter("id"))
            .flatMap(x -> optIn.breaches().markAuthorityNotified(x.id(), at.get()));
    if (i.isEmpty()) {
      notFound(res);
      return;
    }
    seeOther(res, i.get().id(), "authority-notified", 0);
  }

  void close(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<Incident> i =
        find(req.getParameter("id")).flatMap(x -> optIn.breaches().closeIncident(x.id()));
    if (i.isEmpty()) {
      notFound(res);
      return;
    }
    seeOther(res, i.get().id(), "closed", 0);
  }

  void notifySubjects(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<Incident> found = find(req.getParameter("id"));
    if (found.isEmpty()) {
      notFound(res);
      return;
    }
    Incident i = found.get();
    String subject;
    String text;
    if (i.subjectNotice() != null) {
      // Again, for contacts not yet mailed: always the text stored with the incident.
      subject = i.subjectNotice().subject();
      text = i.subjectNotice().text();
    } else {
      subject = req.getParameter("subject") == null ? "" : req.getParameter("subject").strip();
      text = req.getParameter("text") == null ? "" : req.getParameter("text").strip();
      List<String> problems = new ArrayList<>();
      if (subject.isEmpty()
          || subject.length() > 200
          || subject.chars().anyMatch(Character::isISOControl)) {
        problems.add("Subject: one line of 1 to 200 characters.");
      }
      if (text.isEmpty() || text.length() > TEXT_MAX) {
        problems.add("Text: write the notification, in at most " + TEXT_MAX + " characters.");
      }
      if (!problems.isEmpty()) {
        AdminServlet.send(
            res,
            400,
            "Not sent",
            AdminForms.problems(
                "Not sent",
                problems,
                "/admin/incident?id=" + Html.url(i.id()),
                "Back to the incident"));
        return;
      }
    }
    int queued;
    try {
      queued = optIn.breaches().notifyAffectedSubjects(i.id(), subject, text);
    } catch (IllegalStateException | IllegalArgumentException e) {
      AdminServlet.send(
          res,
          409,
          "Not sent",
          AdminForms.problems(
              "Not sent",
              List.of(e.getMessage()),
              "/admin/incident?id=" + Html.url(i.id()),
              "Back to the incident"));
      return;
    }
    seeOther(res, i.id(), "notified", queued);
  }

  // --- helpers
  // ---------------------------------------------------------------------------------------------------

  private Optional<Incident> find(String id) {
    if (id == null || id.isEmpty() || id.length() > 64) {
      return Optional.empty();
    }
    return optIn.breaches().incident(id);
  }

  private long countAffected(String incidentId, List<SubjectId> firstPage) {
    if (firstPage.size() < CONTACTS_SHOWN) {
      return firstPage.size();
    }
    long n = 0;
    SubjectId after = null;
    while (true) {
      List<SubjectId> page = optIn.breaches().affectedSubjects(incidentId, after, 5000);
      n += page.size();
      if (page.size() < 5000) {
        return n;
      }
      after = page.get(page.size() - 1);
    }
  }

  private static List<String> categories(String value, String label, List<String> problems) {
    List<String> lines = AdminForms.lines(value);
    if (lines.size() > LINES_MAX
        || lines.stream()
            .anyMatch(l -> l.length() > 200 || l.chars().anyMatch(Character::isISOControl))) {
      problems.add(label + ": at most " + LINES_MAX + " lines of at most 200 characters each.");
    }
    return lines;
  }

  private static void seeOther(HttpServletResponse res, String id, String done, int n) {
    res.setStatus(303);
    res.setHeader(
        "Location",
        "/admin/incident?id=" + Html.url(id) + "&done=" + done + (n > 0 ? "&n=" + n : ""));
    res.setHeader("Cache-Control", "no-store");
  }

  private static void notFound(HttpServletResponse res) throws IOException {
    AdminServlet.send(
        res,
        404,
        "No such incident",
        "<div class=\"card\"><h1>No such incident</h1>\n<p><a href=\""
            + "/admin#breach-h\">Back to the breach register</a></p></div>\n");
  }

  /** The outcome of the last action, from a fixed set of messages (nothing from the query string is echoed). */
  private static void flash(StringBuilder b, String done, String n) {
    if (done == null) {
      return;
    }
    int count = 0;
    try {
      count = n == null || n.length() > 9 ? 0 : Integer.parseInt(n);
    } catch (NumberFormatException e) {
      count = 0;
    }
    String message =
        switch (done) {
          case "recorded" -> "Incident recorded. The deadline below runs from its discovery.";
          case "authority-notified" -> "The notification of the supervisory authority is recorded.";
          case "closed" -> "Incident closed.";
          case "notified" ->
              count == 0
                  ? "Nobody was left to mail: every affected contact has the notification queued "
                      + "or sent already."
                  : count
                      + (count == 1 ? " notification mail" : " notification mails")
                      + " queued in "
                      + "the outbox; they go out within seconds (see /dev/mailbox).";
          default -> null;
        };
    if (message != null) {
      b.append("<div class=\"card flash\" role=\"status\"><p>")
          .append(Html.text(message))
          .append("</p></div>\n");
    }
  }

  private static String status(Incident i) {
    return switch (i.status()) {
      case OPEN -> "<span class=\"state state-pending\">open</span>";
      case AUTHORITY_NOTIFIED -> "<span class=\"state state-confirmed\">authority notified</span>";
      case CLOSED -> "<span class=\"state state-closed\">closed</span>";
    };
  }

  /** The deadline, and where the incident stands against it. */
  private static String deadline(Incident i, Instant now) {
    String at = Html.time(i.notificationDeadline());
    if (i.status() == Incident.Status.OPEN) {
      boolean overdue = i.isOverdue(now);
      return at
          + " <span class=\""
          + (overdue ? "overdue" : "due")
          + "\">("
          + Html.text(AdminForms.timeLeft(now, i.notificationDeadline()))
          + ")</span>";
    }
    if (i.authorityNotifiedAt() != null) {
      return at
          + " <span class=\"muted\">(notified "
          + Html.time(i.authorityNotifiedAt())
          + ")</span>";
    }
    return at + " <span class=\"muted\">(closed without a recorded notification)</span>";
  }

  private String scope(Incident i) {
    if (i.affectsEverySubject()) {
      return "every subject on file";
    }
    List<String> names = new ArrayList<>();
    for (PurposeId p : i.affectedPurposes()) {
      names.add(optIn.catalog().purpose(p).map(BreachRegister::title).orElse(p.value()));
    }
    return "subjects of: " + String.join(", ", names);
  }

  private static String title(Purpose p) {
    return p.text(Locale.ENGLISH).map(t -> t.title()).orElse(p.id().value());
  }

  private static String list(List<String> values) {
    return values.isEmpty() ? "(not given)" : String.join("; ", values);
  }

  private static String abbreviate(String s) {
    String line = s.strip().lines().findFirst().orElse("");
    return line.length() <= 80 ? line : line.substring(0, 79) + "…";
  }
}
