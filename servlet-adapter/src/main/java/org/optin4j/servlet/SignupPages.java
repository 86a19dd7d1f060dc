package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.optin4j.AddressCheck;
import org.optin4j.ConsentRequest;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;

/**
 * The hosted signup, {@code /subscribe}: the form (the notice and one unticked checkbox per purpose, GDPR Art. 7 and
 * Recital 32: silence or pre-ticked boxes are no consent) and its POST, which starts a double opt-in and answers "check
 * your inbox" the same way, no sooner than {@link AnswerFloor#SIGNUP_ANSWER_FLOOR_NANOS}, whatever the address
 * (SECURITY.md, "Scrapers enumerating addresses").
 *
 * <p>Immutable and thread-safe.
 */
record SignupPages(
    OptInFilter.Settings settings,
    OptIn optIn,
    Pages pages,
    PostGate gate,
    Guard guard,
    ShownNotices notices,
    AnswerFloor answerFloor) {
  /** The form error for an address whose non-ASCII local part the mailer cannot send to (no SMTPUTF8). */
  static final String PROBLEM_SMTPUTF8 = "problem.email.smtputf8";

  /** GET: the form, for the purposes named in {@code purpose} parameters (all if none is known). */
  void subscribeForm(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    Set<PurposeId> offered = new TreeSet<>();
    String[] wanted = req.getParameterValues("purpose");
    if (wanted != null) {
      for (String w : wanted) {
        Pages.purposeId(w)
            .filter(id -> optIn.catalog().purpose(id).isPresent())
            .ifPresent(offered::add);
      }
    }
    if (offered.isEmpty()) {
      optIn.catalog().purposes().forEach(p -> offered.add(p.id()));
    }
    Notice notice = optIn.notice(offered, locale);
    String next = allowedNext(req.getParameter(Pages.NEXT_FIELD));
    sendSubscribeForm(req, res, 200, locale, notice, "", Set.of(), List.of(), next);
  }

  private void sendSubscribeForm(
      HttpServletRequest req,
      HttpServletResponse res,
      int status,
      Locale locale,
      Notice notice,
      String email,
      Set<PurposeId> ticked,
      List<String> problems,
      String next)
      throws IOException {
    String title = pages.t(locale, "subscribe.title");
    Html h = new Html().element("h1", title).nl();
    pages.problems(h, locale, problems);
    h.element("p", pages.t(locale, "subscribe.intro")).nl();
    Pages.form(h, pages.base(req) + "/subscribe");
    Pages.emailLabel(h, "optin-email", pages.t(locale, "email.label"))
        .start("p")
        .attr("class", "optin-hint")
        .attr("id", "optin-email-hint")
        .end()
        .text(pages.t(locale, "email.hint"))
        .close("p")
        .nl();
    Pages.emailInput(h, "optin-email").attr("aria-describedby", "optin-email-hint");
    if (problems.contains("problem.email") || problems.contains(PROBLEM_SMTPUTF8)) {
      h.attr("aria-invalid", "true");
    }
    h.attr("value", email).end().close("div").nl();
    pages.notice(h, notice, locale, "optin-notice-text");
    pages.choices(
        h,
        optIn.catalog().purposes().stream()
            .filter(p -> notice.purposes().contains(p.id()))
            .toList(),
        locale,
        "purpose",
        ticked,
        "optin-purpose-",
        "optin-notice-text");
    gate.signupField(h);
    h.hidden(Pages.NOTICE_FIELD, notice.hash());
    h.hidden(Pages.LANG_FIELD, locale.getLanguage());
    if (next != null) {
      h.hidden(Pages.NEXT_FIELD, next);
    }
    pages.honeypot(h, locale, false);
    if (settings.humanCheck() != null) {
      h.trusted(
          settings
              .humanCheck()
              .formHtml(req, locale)); // the check's own HTML, which it must encode
    }
    Pages.button(h, null, pages.t(locale, "subscribe.submit"));
    h.close("form").nl();
    pages.send(req, res, status, "subscribe", locale, title, h);
  }

  /** POST: starts a double opt-in; one answer for every address, so it tells nothing about it. */
  void subscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    if (!gate.signup(req, res, locale)) {
      return;
    }
    long start = System.nanoTime();
    String next = allowedNext(req.getParameter(Pages.NEXT_FIELD));
    String trap = req.getParameter(Pages.HONEYPOT_FIELD);
    if (trap != null && !trap.isEmpty()) {
      subscribed(req, res, locale, next, start); // a bot: the same answer, nothing done
      return;
    }
    Optional<Notice> shown = notices.shownNotice(req);
    Set<PurposeId> offered = notices.offered(shown);
    String email = req.getParameter("email");
    email = email == null ? "" : email;
    Set<PurposeId> chosen = new TreeSet<>();
    boolean tampered = false;
    for (String v : Pages.values(req, "purpose")) {
      Optional<PurposeId> id = Pages.purposeId(v).filter(offered::contains);
      if (id.isPresent()) {
        chosen.add(id.get());
      } else {
        tampered = true;
      }
    }
    List<String> problems = new ArrayList<>();
    // The one parse of the address: the request below carries its result, and the core does not
    // parse it again.
    AddressCheck checked = email.length() > Pages.MAX_EMAIL ? null : EmailAddress.check(email);
    Optional<EmailAddress> address =
        checked instanceof AddressCheck.Valid valid
            ? Optional.of(valid.address())
            : Optional.empty();
    if (address.isEmpty()) {
      problems.add("problem.email");
    } else if (!optIn.canMail(address.get())) {
      problems.add(PROBLEM_SMTPUTF8); // said on the form: the mail could never be sent
    }
    if (chosen.isEmpty() || tampered) {
      problems.add("problem.purpose");
    }
    if (problems.isEmpty() && settings.humanCheck() != null && !settings.humanCheck().verify(req)) {
      problems.add("problem.human");
    }
    if (problems.isEmpty() && shown.isEmpty()) {
      problems.add(
          "problem.notice"); // its language and currency are checked once, by the core: StaleNotice
      // below
    }
    String echo = email.length() > Pages.MAX_EMAIL ? "" : email;
    if (!problems.isEmpty()) {
      Notice fresh = optIn.notice(offered, locale);
      sendSubscribeForm(req, res, 400, locale, fresh, echo, chosen, problems, next);
      return;
    }
    if (!guard.addressAllowed(address.get())) {
      subscribed(
          req, res, locale, next,
          start); // the same answer: the limit reveals nothing about the address
      return;
    }
    RequestResult result =
        optIn.request(
            new ConsentRequest(
                address.get(),
                chosen,
                locale,
                pages.base(req) + "/subscribe",
                guard.evidence(req),
                shown.get()));
    if (result instanceof RequestResult.InvalidAddress) {
      sendSubscribeForm(
          req, res, 400, locale, shown.get(), echo, chosen, List.of("problem.email"), next);
    } else if (result instanceof RequestResult.StaleNotice) {
      sendSubscribeForm(
          req,
          res,
          400,
          locale,
          optIn.notice(offered, locale),
          echo,
          chosen,
          List.of("problem.notice"),
          next);
    } else {
      subscribed(
          req, res, locale, next, start); // Accepted, AlreadyConfirmed, Throttled: one answer
    }
  }

  private void subscribed(
      HttpServletRequest req, HttpServletResponse res, Locale locale, String next, long start)
      throws IOException {
    Html extra = next == null ? null : Pages.link(next, pages.t(locale, "continue"));
    answerFloor.answerAt(
        req,
        res,
        start + AnswerFloor.SIGNUP_ANSWER_FLOOR_NANOS,
        (rq, rs) ->
            pages.message(
                rq, rs, 200, "subscribed", locale, "subscribed.title", extra, "subscribed.text"));
  }

  private String allowedNext(String next) {
    return next != null && settings.returnUrls().contains(next) ? next : null;
  }
}
