package org.optin4j.examples;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.Serial;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.operations.DispatchReport;
import org.optin4j.operations.PurgeReport;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.OutboxMail;

/**
 * {@code /admin}: the operator's view. Subjects, their consents with the evidence and the exact notice version shown,
 * the event history with its hash-chain verification, the outbox, and actions: erase a subject (GDPR Art. 17), mail a
 * consent receipt, run the retention purge now. The breach register (Art. 33-34, {@link BreachRegister}) and the
 * register of requests received by the operator (Art. 12(3), {@link OperatorRequests}), the import
 * ({@link ImportUpload}) and the campaigns ({@link AdminCampaigns}) render into it.
 *
 * <p>Protected by the {@link AdminLogin} (HTTP Basic, user {@code admin}, the password from
 * {@code OPTIN4J_ADMIN_PASSWORD} or printed at start-up; wrong passwords throttled per client). Browsers resend Basic
 * credentials on cross-site requests, so every POST also carries a signed, expiring form token and must come from
 * this site's origin (CSRF). Thread-safe.
 */
final class AdminServlet extends HttpServlet {
  @Serial private static final long serialVersionUID = 1L;
  private static final Duration FORM_TTL = Duration.ofHours(2);
  private static final int LIST_LIMIT = 200;

  private final transient OptIn optIn;
  private final transient AdminLogin login;
  private final String siteOrigin;
  private final transient SecretKeySpec formKey;
  private final transient Clock clock;
  private final transient BreachRegister breaches;
  private final transient OperatorRequests requests;
  private final transient WebhookInbox inbox;
  private final transient ImportUpload imports;
  private final transient AdminCampaigns campaigns;

  AdminServlet(
      OptIn optIn,
      AdminLogin login,
      String siteUrl,
      Clock clock,
      WebhookInbox inbox,
      org.optin4j.mail.SendingRate sendingRate) {
    this.inbox = inbox;
    this.optIn = optIn;
    this.login = login;
    this.siteOrigin = origin(siteUrl);
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    this.formKey = new SecretKeySpec(key, "HmacSHA256");
    this.clock = clock;
    this.breaches = new BreachRegister(optIn, clock, this::formToken);
    this.requests = new OperatorRequests(optIn, clock, this::formToken);
    this.imports = new ImportUpload(optIn, this::formToken);
    this.campaigns = new AdminCampaigns(optIn, sendingRate, clock, this::formToken);
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
    String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
    try {
      switch (path) {
        case "/" -> overview(req, res);
        case "/subject" -> subject(req, res);
        case "/incident" -> breaches.page(req, res);
        case "/export" -> export(req, res);
        default -> Html.send(res, 404, Html.page("Not found", "/admin", "<h1>Not found</h1>\n"));
      }
    } catch (SQLException e) {
      throw new IOException("admin query failed (SQLState " + e.getSQLState() + ")", e);
    }
  }

  @Override
  protected void doPost(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (!sameOrigin(req) || !validFormToken(req.getParameter("csrf"))) {
      Html.send(
          res,
          403,
          Html.page(
              "Refused",
              "/admin",
              "<div class=\"card\"><h1>Refused</h1>\n<p>The form was "
                  + "too old or did not come from this site. <a href=\"/admin\">Reload the admin page</a> and try again."
                  + "</p></div>\n"));
      return;
    }
    String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
    switch (path) {
      case "/erase" -> erase(req, res);
      case "/purge" -> purge(res);
      case "/dispatch" -> dispatch(res);
      case "/receipt" -> receipt(req, res);
      case "/incidents" -> breaches.record(req, res);
      case "/incident/authority-notified" -> breaches.authorityNotified(req, res);
      case "/incident/close" -> breaches.close(req, res);
      case "/incident/notify" -> breaches.notifySubjects(req, res);
      case "/requests" -> requests.receive(req, res);
      case "/requests/extend" -> requests.extend(req, res);
      case "/requests/complete" -> requests.complete(req, res);
      case "/import" -> imports.upload(req, res);
      case "/repermission" -> imports.repermission(res);
      case "/campaign" -> campaigns.send(req, res);
      default -> Html.send(res, 404, Html.page("Not found", "/admin", "<h1>Not found</h1>\n"));
    }
  }

  // --- pages
  // ------------------------------------------------------------------------------------------------

  private void overview(HttpServletRequest req, HttpServletResponse res)
      throws IOException, SQLException {
    StringBuilder b =
        new StringBuilder(
            "<h1>Admin</h1>\n<p class=\"lead\">Consents, their proof and the mail "
                + "outbox of De Gouden Korst. Times are UTC.</p>\n");
    flash(b, req.getParameter("done"));
    b.append("<div class=\"grid\">\n");
    // outbox
    Map<OutboxMail.Status, Long> outbox = optIn.operations().outboxSummary();
    b.append(
        "<section class=\"card\" aria-labelledby=\"outbox-h\"><h2 id=\"outbox-h\">Outbox</h2>\n");
    if (outbox.isEmpty()) {
      b.append("<p>No mail in the outbox.</p>\n");
    } else {
      b.append("<table class=\"compact\"><tbody>\n");
      outbox.forEach(
          (status, n) ->
              b.append("<tr><th scope=\"row\">")
                  .append(Html.text(status.name()))
                  .append("</th><td>")
                  .append(n)
                  .append("</td></tr>\n"));
      b.append("</tbody></table>\n");
    }
    b.append(postButton("/admin/dispatch", "Send due mail now", "secondary"))
        .append(
            "<p class=\"muted\">The dispatcher also runs every few seconds by itself.</p></section>\n");
    // retention
    b.append(
            "<section class=\"card\" aria-labelledby=\"purge-h\"><h2 id=\"purge-h\">Retention</h2>\n<p>The purge "
                + "expires unconfirmed signups and consents past their purpose's retention, deletes subjects whose proof "
                + "period has ended, used link ids and old outbox rows. It runs hourly by itself.</p>\n")
        .append(postButton("/admin/purge", "Run the retention purge now", "secondary"))
        .append("</section>\n");
    b.append("</div>\n");
    breaches.section(b);
    requests.section(b);
    inbox.section(optIn, b);
    imports.section(b);
    campaigns.section(b);

    // search
    String q = req.getParameter("q");
    b.append(
            "<section class=\"card\" aria-labelledby=\"find-h\"><h2 id=\"find-h\">Find a subject</h2>\n")
        .append(
            "<form method=\"get\" action=\"/admin\" class=\"inline\"><label for=\"q\">Email address</label> ")
        .append("<input id=\"q\" name=\"q\" type=\"email\" maxlength=\"254\" value=\"")
        .append(Html.attr(q))
        .append("\"> <button type=\"submit\">Find</button></form>\n");
    if (q != null && !q.isBlank()) {
      Optional<Subject> found = q.length() > 254 ? Optional.empty() : optIn.findSubject(q);
      if (found.isPresent()) {
        b.append("<p>Found: <a href=\"/admin/subject?id=")
            .append(Html.url(found.get().id().value()))
            .append("\">")
            .append(Html.text(found.get().email().value()))
            .append("</a></p>\n");
      } else {
        b.append("<p>No subject with that address")
            .append(
                optIn.rights().isSuppressed(q)
                    ? "; it is on the suppression list (erased earlier)."
                    : ".")
            .append("</p>\n");
      }
    }
    b.append("</section>\n");

    // subjects
    List<Subject> subjects = optIn.operations().subjects(0, LIST_LIMIT);
    long total = optIn.operations().countSubjects();
    b.append(
            "<section class=\"card\" aria-labelledby=\"subjects-h\"><h2 id=\"subjects-h\">Subjects <span "
                + "class=\"muted\">(")
        .append(total)
        .append(total > LIST_LIMIT ? ", newest " + LIST_LIMIT + " shown" : "")
        .append(")</span></h2>\n");
    if (subjects.isEmpty()) {
      b.append("<p>Nobody has signed up yet.</p>\n");
    } else {
      b.append(
          "<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Address</th><th scope=\"col\">Since"
              + "</th><th scope=\"col\">Consents</th></tr></thead>\n<tbody>\n");
      for (Subject s : subjects) {
        b.append("<tr><td><a href=\"/admin/subject?id=")
            .append(Html.url(s.id().value()))
            .append("\">")
            .append(Html.text(s.email().value()))
            .append("</a></td><td>")
            .append(Html.time(s.createdAt()))
            .append("</td><td>");
        for (Consent c : optIn.consents(s.id())) {
          b.append("<span class=\"state state-")
              .append(Html.attr(c.state().name().toLowerCase(Locale.ROOT)))
              .append("\">")
              .append(Html.text(c.purpose().value()))
              .append(": ")
              .append(Html.text(c.state().name().toLowerCase(Locale.ROOT)))
              .append("</span> ");
        }
        b.append("</td></tr>\n");
      }
      b.append("</tbody></table></div>\n");
    }
    b.append("</section>\n");
    send(res, 200, "Admin", b.toString());
  }

  private void subject(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<SubjectId> id = subjectId(req.getParameter("id"));
    Optional<Subject> subject = id.flatMap(optIn::subject);
    List<ConsentEvent> history = id.map(optIn.proof()::history).orElse(List.of());
    if (id.isEmpty() || (subject.isEmpty() && history.isEmpty())) {
      send(
          res,
          404,
          "No such subject",
          "<div class=\"card\"><h1>No such subject</h1>\n<p><a href=\"/admin\">Back"
              + "</a></p></div>\n");
      return;
    }
    StringBuilder b = new StringBuilder("<p><a href=\"/admin\">← All subjects</a></p>\n");
    flash(b, req.getParameter("done"));
    if (subject.isEmpty()) {
      b.append("<h1>Erased subject <code>")
          .append(Html.text(id.get().value()))
          .append(
              "</code></h1>\n<p class="
                  + "\"lead\">The address and evidence are gone; what remains is the de-identified history below, and a "
                  + "keyed hash of the address on the suppression list.</p>\n");
    } else {
      Subject s = subject.get();
      b.append("<h1>")
          .append(Html.text(s.email().value()))
          .append("</h1>\n<p class=\"muted\">Subject id <code>")
          .append(Html.text(s.id().value()))
          .append("</code> · since ")
          .append(Html.time(s.createdAt()))
          .append(" · <a href=\"/admin/export?id=")
          .append(Html.url(s.id().value()))
          .append("\">Export as JSON</a> (Art. 15/20)</p>\n");
      consents(b, optIn.consents(s.id()));
    }
    history(b, history, optIn.proof().verifyHistory(id.get()));
    if (subject.isPresent()) {
      mails(b, optIn.operations().mails(subject.get().id()));
      b.append("<div class=\"grid\">\n");
      receiptCard(b, subject.get());
      requests.subjectCard(b, subject.get().id());
      b.append("</div>\n");
      b.append(
              "<section class=\"card danger\" aria-labelledby=\"erase-h\"><h2 id=\"erase-h\">Erase this subject"
                  + "</h2>\n<p>Deletes the address, consents, open requests and queued mail (Art. 17). A keyed hash of the "
                  + "address goes on the suppression list so it is never mailed again without a fresh opt-in; a "
                  + "de-identified history stays as proof.</p>\n<form method=\"post\" action=\"/admin/erase\">\n")
          .append(AdminForms.hidden("csrf", formToken()))
          .append(AdminForms.hidden("id", subject.get().id().value()))
          .append(
              "<div class=\"choice\"><input type=\"checkbox\" id=\"erase-confirm\" name=\"confirm\" value=\"yes\""
                  + " required> <label for=\"erase-confirm\">Yes, erase ")
          .append(Html.text(subject.get().email().value()))
          .append("</label></div>\n")
          .append("<button type=\"submit\" class=\"danger\">Erase</button>\n</form></section>\n");
    }
    send(res, 200, subject.map(s -> s.email().value()).orElse("Erased subject"), b.toString());
  }

  private void consents(StringBuilder b, List<Consent> consents) {
    b.append(
        "<section class=\"card\" aria-labelledby=\"consents-h\"><h2 id=\"consents-h\">Consents</h2>\n");
    if (consents.isEmpty()) {
      b.append("<p>None.</p></section>\n");
      return;
    }
    b.append(
        "<div class=\"table-wrap\"><table>\n<thead><tr><th scope=\"col\">Purpose</th><th scope=\"col\">State"
            + "</th><th scope=\"col\">Requested</th><th scope=\"col\">Confirmed</th><th scope=\"col\">Ended</th>"
            + "<th scope=\"col\">Notice shown</th></tr></thead>\n<tbody>\n");
    for (Consent c : consents) {
      b.append("<tr><td>")
          .append(Html.text(c.purpose().value()))
          .append(" <span class=\"muted\">v")
          .append(c.purposeVersion())
          .append("</span></td><td><span class=\"state state-")
          .append(Html.attr(c.state().name().toLowerCase(Locale.ROOT)))
          .append("\">")
          .append(Html.text(c.state().name().toLowerCase(Locale.ROOT)))
          .append("</span>")
          .append(c.restricted() ? " <span class=\"badge\">restricted</span>" : "")
          .append("</td><td>")
          .append(Html.time(c.requestedAt()))
          .append("</td><td>")
          .append(Html.time(c.confirmedAt()))
          .append("</td><td>")
          .append(Html.time(c.endedAt()))
          .append("</td><td>")
          .append(noticeRef(c.notice()))
          .append("</td></tr>\n");
    }
    b.append("</tbody></table></div>\n");
    // The exact texts, once each.
    consents.stream()
        .map(c -> c.notice().hash())
        .distinct()
        .forEach(
            hash -> {
              Optional<Notice> n = optIn.noticeByHash(hash);
              n.ifPresent(
                  notice ->
                      b.append("<details><summary>Notice version ")
                          .append(notice.version())
                          .append(" (")
                          .append(Html.text(notice.locale().toLanguageTag()))
                          .append(", sha-256 <code>")
                          .append(Html.text(hash.substring(0, 12)))
                          .append(
                              "…</code>) as shown</summary><div class=\"notice-text\" " + "lang=\"")
                          .append(Html.attr(notice.locale().toLanguageTag()))
                          .append("\">")
                          .append(Html.text(notice.text()))
                          .append("</div></details>\n"));
            });
    b.append("</section>\n");
  }

  private static String noticeRef(Consent.NoticeRef n) {
    return n == null
        ? ""
        : "v"
            + n.version()
            + " · "
            + Html.text(n.locale().toLanguageTag())
            + " · <code title=\""
            + Html.attr(n.hash())
            + "\">"
            + Html.text(n.hash().substring(0, 12))
            + "…</code>";
  }

  private static void history(
      StringBuilder b, List<ConsentEvent> events, HistoryVerification verification) {
    b.append(
        "<section class=\"card\" aria-labelledby=\"history-h\"><h2 id=\"history-h\">History <span class="
            + "\"muted\">(append-only proof)</span></h2>\n");
    verification(b, verification);
    if (events.isEmpty()) {
      b.append("<p>No events.</p></section>\n");
      return;
    }
    b.append(
        "<div class=\"table-wrap\"><table class=\"small\">\n<thead><tr><th scope=\"col\">#</th><th scope=\"col\">"
            + "When</th><th scope=\"col\">Event</th><th scope=\"col\">Purpose</th><th scope=\"col\">Channel</th>"
            + "<th scope=\"col\">Source</th><th scope=\"col\">Notice</th><th scope=\"col\">IP</th>"
            + "<th scope=\"col\">User agent</th><th scope=\"col\">Token id</th></tr></thead>\n<tbody>\n");
    for (ConsentEvent e : events) {
      Evidence ev = e.evidence();
      b.append("<tr><td>")
          .append(e.sequence())
          .append("</td><td>")
          .append(Html.time(e.at()))
          .append("</td><td>")
          .append(Html.text(e.type().name().toLowerCase(Locale.ROOT)))
          .append("</td><td>")
          .append(Html.text(e.purpose().value()))
          .append("</td><td>")
          .append(Html.text(e.channel().name().toLowerCase(Locale.ROOT)))
          .append("</td><td>")
          .append(Html.text(e.source()))
          .append("</td><td>")
          .append(noticeRef(e.notice()))
          .append("</td><td>")
          .append(Html.text(ev.ip()))
          .append("</td><td class=\"ua\">")
          .append(Html.text(ev.userAgent()))
          .append("</td><td><code>")
          .append(Html.text(e.tokenId()))
          .append("</code></td></tr>\n");
    }
    b.append("</tbody></table></div></section>\n");
  }

  /** The outcome of {@link org.optin4j.proof.ConsentProof#verifyHistory}: the chain intact, or its first broken link. */
  private static void verification(StringBuilder b, HistoryVerification v) {
    if (v instanceof HistoryVerification.Intact i) {
      b.append("<p class=\"verify verify-ok\"><strong>Chain intact</strong>: ")
          .append(i.events())
          .append(i.events() == 1 ? " event" : " events")
          .append(" verified")
          .append(
              i.events() == 0
                  ? ""
                  : " (head sha-256 <code title=\""
                      + Html.attr(i.headHash())
                      + "\">"
                      + Html.text(i.headHash().substring(0, Math.min(12, i.headHash().length())))
                      + "…</code>)")
          .append(
              ". No stored event was changed, inserted, removed or reordered since it was written (short of "
                  + "someone rewriting the whole chain: a receipt the person holds anchors it).</p>\n");
    } else if (v instanceof HistoryVerification.Broken x) {
      b.append(
              "<div class=\"error verify verify-broken\" role=\"alert\"><p><strong>Chain broken</strong> at "
                  + "position ")
          .append(x.position())
          .append(x.sequence() == 0 ? " (event missing)" : " (event #" + x.sequence() + ")")
          .append(": ")
          .append(Html.text(reason(x.reason())))
          .append(" <code>")
          .append(Html.text(x.reason().name()))
          .append(
              "</code>. Events from there on cannot "
                  + "serve as proof until you find out what changed the database.</p></div>\n");
    }
  }

  private static String reason(HistoryVerification.Reason r) {
    return switch (r) {
      case UNSEALED -> "the event was stored without a seal";
      case MISSING_EVENT -> "the event at this position is missing, or events were reordered";
      case LINK_MISMATCH -> "the event does not link to the one before it";
      case CONTENT_ALTERED -> "the event's content no longer matches its hash";
      case EVIDENCE_ALTERED -> "source, evidence or token id no longer match their digest";
      case EVIDENCE_REMOVED ->
          "source, evidence or token id were removed, yet the subject was never erased";
      case TRUNCATED -> "events after this position were removed";
      case HEAD_MISMATCH -> "the recorded chain head is not the last event";
      case HEAD_MISSING -> "the chain head record is missing";
    };
  }

  private void receiptCard(StringBuilder b, Subject s) {
    boolean confirmed =
        optIn.consents(s.id()).stream().anyMatch(c -> c.state() == ConsentState.CONFIRMED);
    b.append(
            "<section class=\"card\" aria-labelledby=\"receipt-h\"><h2 id=\"receipt-h\">Consent receipt</h2>\n"
                + "<p>Mails ")
        .append(Html.text(s.email().value()))
        .append(
            " a receipt of every purpose they confirmed "
                + "(Art. 7(1)), at most 3 a day. This sample configures no receipt keys, so the receipt is not signed "
                + "(see <code>OptIn.Builder.receiptKeys</code>).</p>\n");
    if (confirmed) {
      b.append(
          AdminForms.postButton(
              formToken(),
              "/admin/receipt",
              "Mail consent receipt",
              "secondary",
              "id",
              s.id().value()));
    } else {
      b.append("<p class=\"muted\">Nothing confirmed: no receipt to send.</p>\n");
    }
    b.append("</section>\n");
  }

  private static void mails(StringBuilder b, List<OutboxMail> mails) {
    b.append("<section class=\"card\" aria-labelledby=\"mails-h\"><h2 id=\"mails-h\">Mails</h2>\n");
    if (mails.isEmpty()) {
      b.append("<p>None.</p></section>\n");
      return;
    }
    b.append(
        "<div class=\"table-wrap\"><table class=\"small\">\n<thead><tr><th scope=\"col\">Kind</th>"
            + "<th scope=\"col\">Status</th><th scope=\"col\">Attempts</th><th scope=\"col\">Queued</th>"
            + "<th scope=\"col\">Sent</th><th scope=\"col\">Next attempt</th><th scope=\"col\">Last error</th></tr></thead>"
            + "\n<tbody>\n");
    for (OutboxMail m : mails) {
      b.append("<tr><td>")
          .append(Html.text(m.kind().name().toLowerCase(Locale.ROOT)))
          .append("</td><td>")
          .append(Html.text(m.status().name().toLowerCase(Locale.ROOT)))
          .append("</td><td>")
          .append(m.attempts())
          .append("</td><td>")
          .append(Html.time(m.createdAt()))
          .append("</td><td>")
          .append(Html.time(m.sentAt()))
          .append("</td><td>")
          .append(m.sentAt() == null ? Html.time(m.nextAttemptAt()) : "")
          .append("</td><td>")
          .append(Html.text(m.lastError()))
          .append("</td></tr>\n");
    }
    b.append("</tbody></table></div></section>\n");
  }

  private void export(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<String> json = subjectId(req.getParameter("id")).flatMap(optIn.rights()::exportJson);
    if (json.isEmpty()) {
      send(res, 404, "No such subject", "<h1>No such subject</h1>\n");
      return;
    }
    byte[] body = json.get().getBytes(StandardCharsets.UTF_8);
    res.setStatus(200);
    Html.headers(res, Html.CSP);
    res.setContentType("application/json;charset=UTF-8");
    res.setHeader("Content-Disposition", "attachment; filename=\"subject-export.json\"");
    res.setContentLength(body.length);
    res.getOutputStream().write(body);
  }

  // --- actions
  // ----------------------------------------------------------------------------------------------

  private void erase(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<SubjectId> id = subjectId(req.getParameter("id"));
    if (id.isEmpty() || !"yes".equals(req.getParameter("confirm"))) {
      send(
          res,
          400,
          "Not erased",
          "<div class=\"card\"><h1>Not erased</h1>\n<p>Tick the box to confirm. <a href=\""
              + "/admin\">Back</a></p></div>\n");
      return;
    }
    boolean erased = optIn.rights().erase(id.get(), Channel.OPERATOR);
    send(
        res,
        200,
        erased ? "Erased" : "Nothing to erase",
        "<div class=\"card\"><h1>"
            + (erased ? "Erased" : "Nothing to erase")
            + "</h1>\n<p>"
            + (erased
                ? "The subject's personal data is deleted; its address is suppressed. <a href=\"/admin/subject?id="
                    + Html.attr(Html.url(id.get().value()))
                    + "\">See what remains</a>."
                : "No such subject (erased already?).")
            + "</p>\n<p><a href=\"/admin\">Back to the admin page</a></p></div>\n");
  }

  private void receipt(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Optional<SubjectId> id = subjectId(req.getParameter("id"));
    if (id.isEmpty() || optIn.subject(id.get()).isEmpty()) {
      send(
          res,
          404,
          "No such subject",
          "<div class=\"card\"><h1>No such subject</h1>\n<p><a href=\"/admin\">Back"
              + "</a></p></div>\n");
      return;
    }
    boolean queued = optIn.rights().mailReceipt(id.get());
    res.setStatus(303);
    res.setHeader(
        "Location",
        "/admin/subject?id="
            + Html.url(id.get().value())
            + "&done="
            + (queued ? "receipt-queued" : "receipt-refused"));
    res.setHeader("Cache-Control", "no-store");
  }

  /** The outcome of the last action, from a fixed set of messages (nothing from the query string is echoed). */
  private static void flash(StringBuilder b, String done) {
    String message =
        done == null
            ? null
            : switch (done) {
              case "receipt-queued" ->
                  "Receipt queued in the outbox; it goes out within seconds (see /dev/mailbox).";
              case "receipt-refused" ->
                  "No receipt queued: nothing is confirmed, or 3 receipts went to this subject today.";
              case "request-recorded" -> "Request recorded; it is due one month after receipt.";
              case "request-extended" ->
                  "Deadline extended to three months after receipt. Tell the person why, within the "
                      + "first month.";
              case "request-completed" -> "Request marked completed.";
              default -> null;
            };
    if (message != null) {
      b.append("<div class=\"card flash\" role=\"status\"><p>")
          .append(Html.text(message))
          .append("</p></div>\n");
    }
  }

  private void purge(HttpServletResponse res) throws IOException {
    PurgeReport r = optIn.operations().purge();
    send(
        res,
        200,
        "Purge done",
        "<div class=\"card\"><h1>Retention purge done</h1>\n<table class=\"compact\"><tbody>\n"
            + row("Unconfirmed signups expired", r.expiredRequests())
            + row("Consents expired (retention over)", r.expiredConsents())
            + row("Subjects purged (proof period over)", r.purgedSubjects())
            + row("Used link ids deleted", r.deletedTokens())
            + row("Old outbox mails deleted", r.deletedMails())
            + "</tbody></table>\n<p><a href=\"/admin\">Back to the admin page</a></p></div>\n");
  }

  private void dispatch(HttpServletResponse res) throws IOException {
    DispatchReport r = optIn.operations().dispatchNow();
    send(
        res,
        200,
        "Mail sent",
        "<div class=\"card\"><h1>Outbox dispatched</h1>\n<table class=\"compact\"><tbody>\n"
            + row("Sent", r.sent())
            + row("Retrying later", r.retrying())
            + row("Failed for good", r.failed())
            + "</tbody></table>\n<p><a href=\"/admin\">Back to the admin page</a></p></div>\n");
  }

  private static String row(String label, int n) {
    return "<tr><th scope=\"row\">" + Html.text(label) + "</th><td>" + n + "</td></tr>\n";
  }

  // --- helpers
  // ----------------------------------------------------------------------------------------------

  private String postButton(String action, String label, String cssClass) {
    return AdminForms.postButton(formToken(), action, label, cssClass);
  }

  static Optional<SubjectId> subjectId(String value) {
    if (value == null || value.length() > 64) {
      return Optional.empty();
    }
    try {
      return Optional.of(new SubjectId(value));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** A form token: the issue time and an HMAC of it under a key made at start-up. */
  String formToken() {
    String issued = Long.toString(clock.instant().getEpochSecond());
    return issued + "." + mac(issued);
  }

  boolean validFormToken(String token) {
    if (token == null || token.length() > 100) {
      return false;
    }
    int dot = token.indexOf('.');
    if (dot <= 0) {
      return false;
    }
    String issued = token.substring(0, dot);
    long at;
    try {
      at = Long.parseLong(issued);
    } catch (NumberFormatException e) {
      return false;
    }
    long now = clock.instant().getEpochSecond();
    boolean fresh = at <= now + 60 && now - at <= FORM_TTL.toSeconds();
    boolean genuine =
        MessageDigest.isEqual(
            mac(issued).getBytes(StandardCharsets.US_ASCII),
            token.substring(dot + 1).getBytes(StandardCharsets.US_ASCII));
    return fresh && genuine;
  }

  private String mac(String value) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(formKey);
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(mac.doFinal(("admin-form|" + value).getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  /** Origin, when sent, must be this site's; else Sec-Fetch-Site, when sent, must be same-origin. */
  private boolean sameOrigin(HttpServletRequest req) {
    String origin = req.getHeader("Origin");
    if (origin != null) {
      return origin.strip().equalsIgnoreCase(siteOrigin);
    }
    String site = req.getHeader("Sec-Fetch-Site");
    return site == null || site.equals("same-origin");
  }

  private static String origin(String url) {
    URI u = URI.create(url);
    int port = u.getPort();
    boolean dflt =
        port == -1
            || ("https".equals(u.getScheme()) && port == 443)
            || ("http".equals(u.getScheme()) && port == 80);
    return u.getScheme() + "://" + u.getHost() + (dflt ? "" : ":" + port);
  }

  static void send(HttpServletResponse res, int status, String title, String main)
      throws IOException {
    Html.send(
        res,
        status,
        Html.page("en", title, "/admin", List.of("/static/site.css"), "site admin", main));
  }
}
