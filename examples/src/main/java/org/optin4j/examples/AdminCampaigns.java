package org.optin4j.examples;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.campaign.CampaignReport;
import org.optin4j.campaign.CampaignResult;
import org.optin4j.mail.SendingRate;

/**
 * The admin page's campaigns card ({@code optIn.campaigns()}, docs/sending-rates.md): a form that sends the bakery's
 * own mail for one purpose to everyone with a confirmed consent for it (GDPR Art. 6(1)(a); each mail checks the
 * consent again when it goes out), and the recent campaigns with where their mails stand and when they will have gone
 * out at the configured {@link SendingRate}. The form carries the same signed form token as every admin form;
 * {@link AdminServlet} checks it and the origin before calling in here. Thread-safe.
 */
final class AdminCampaigns {
  /** How many recent campaigns the card lists. */
  static final int RECENT = 10;

  private final OptIn optIn;
  private final SendingRate rate;
  private final Clock clock;
  private final Supplier<String> formToken;

  /**
   * The ids of the campaigns started here, newest first. The library lists no campaigns ({@code Campaigns} reports on
   * an id it is given), so the sample keeps the ids it started in memory: a restart forgets them, the campaigns and
   * their mails stay in the store.
   */
  private final Deque<String> recent = new ArrayDeque<>();

  AdminCampaigns(OptIn optIn, SendingRate rate, Clock clock, Supplier<String> formToken) {
    this.optIn = optIn;
    this.rate = rate;
    this.clock = clock;
    this.formToken = formToken;
  }

  void section(StringBuilder b) {
    b.append(
            "<section class=\"card\" aria-labelledby=\"campaigns-h\"><h2 id=\"campaigns-h\">Campaigns</h2>\n")
        .append(
            "<p>Mail everyone with a confirmed consent for a purpose. Each mail carries a one-click unsubscribe "
                + "link, and whoever withdraws before their mail goes out gets nothing. Sending rate: ")
        .append(Html.text(rate.isLimited() ? perSecond(rate.sustainedPerSecond()) : "no limit"))
        .append(".</p>\n")
        .append("<form method=\"post\" action=\"/admin/campaign\">\n")
        .append(AdminForms.hidden("csrf", formToken.get()))
        .append(
            "<label for=\"campaign-purpose\">Purpose</label><select id=\"campaign-purpose\" name=\"purpose\">\n");
    for (Purpose p : optIn.catalog().purposes()) {
      b.append("<option value=\"")
          .append(Html.attr(p.id().value()))
          .append("\">")
          .append(Html.text(p.id().value()))
          .append("</option>\n");
    }
    b.append("</select>\n<label for=\"campaign-subject\">Subject</label>")
        .append("<input id=\"campaign-subject\" name=\"subject\" required maxlength=\"200\">\n")
        .append("<label for=\"campaign-text\">Text</label>")
        .append(
            "<textarea id=\"campaign-text\" name=\"text\" required rows=\"5\" maxlength=\"20000\"></textarea>\n")
        .append("<button type=\"submit\">Send to all confirmed</button></form>\n");
    List<String> ids = recentIds();
    if (ids.isEmpty()) {
      b.append("<p>No campaign started since the app started.</p>\n</section>\n");
      return;
    }
    Instant now = clock.instant();
    b.append("<table class=\"compact\" aria-labelledby=\"campaigns-h\"><thead><tr>")
        .append(
            "<th scope=\"col\">Started</th><th scope=\"col\">Purpose</th><th scope=\"col\">Subject</th>"
                + "<th scope=\"col\">Queued</th><th scope=\"col\">Sent</th><th scope=\"col\">Skipped</th>"
                + "<th scope=\"col\">Failed</th><th scope=\"col\">Finishes</th></tr></thead><tbody>\n");
    for (String id : ids) {
      Optional<CampaignReport> report = optIn.campaigns().report(id);
      if (report.isEmpty()) {
        continue;
      }
      CampaignReport r = report.get();
      b.append("<tr><td>")
          .append(Html.text(Html.time(r.campaign().createdAt())))
          .append("</td><td>")
          .append(Html.text(r.campaign().purpose().value()))
          .append("</td><td>")
          .append(Html.text(r.campaign().subject()))
          .append("</td><td>")
          .append(r.waiting())
          .append("</td><td>")
          .append(r.sent())
          .append("</td><td>")
          .append(r.skipped())
          .append("</td><td>")
          .append(r.failed())
          .append("</td><td>")
          .append(Html.text(finish(r, rate.sustainedPerSecond(), now)))
          .append("</td></tr>\n");
    }
    b.append("</tbody></table>\n</section>\n");
  }

  void send(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String purposeValue = req.getParameter("purpose");
    Optional<PurposeId> purpose =
        purposeValue == null
            ? Optional.empty()
            : PurposeId.tryParse(purposeValue)
                .filter(id -> optIn.catalog().purpose(id).isPresent());
    String subject = req.getParameter("subject");
    String text = req.getParameter("text");
    if (purpose.isEmpty() || subject == null || text == null) {
      answer(res, 400, "<p>Choose a purpose and write a subject and a text.</p>");
      return;
    }
    CampaignResult result;
    try {
      result = optIn.campaigns().sendToAllConfirmed(purpose.get(), subject.strip(), text, null);
    } catch (IllegalArgumentException e) {
      answer(
          res,
          400,
          "<p>The campaign was not sent: the subject is one line of 1 to 200 characters and the text must not be "
              + "blank.</p>");
      return;
    }
    remember(result.campaignId());
    answer(
        res,
        200,
        "<p>Campaign queued: "
            + result.queued()
            + " mails; "
            + result.noConsent()
            + " without an active consent.</p>");
  }

  /**
   * When a campaign will have sent what still waits, at the sustained rate: a time, "finished", or, without a limit,
   * that the mail server sets the pace.
   */
  static String finish(CampaignReport r, double perSecond, Instant now) {
    if (r.waiting() == 0) {
      return "finished";
    }
    return r.estimatedFinish(perSecond, now)
        .map(
            at ->
                Html.time(at)
                    + " (in "
                    + AdminForms.span(r.timeToFinish(perSecond).orElseThrow())
                    + ")")
        .orElse("as fast as the server takes them");
  }

  private static String perSecond(double rate) {
    return String.format(java.util.Locale.ROOT, "%.2f mails per second, sustained", rate);
  }

  private synchronized void remember(String id) {
    recent.addFirst(id);
    while (recent.size() > RECENT) {
      recent.removeLast();
    }
  }

  private synchronized List<String> recentIds() {
    return List.copyOf(recent);
  }

  private static void answer(HttpServletResponse res, int status, String body) throws IOException {
    Html.send(
        res,
        status,
        Html.page(
            "Campaign",
            "/admin",
            "<div class=\"card\"><h1>Campaign</h1>\n"
                + body
                + "<p><a href=\"/admin\">Back to the admin page</a></p></div>\n"));
  }
}
