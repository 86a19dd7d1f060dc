package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
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
    pages.noticeAndChoices(
        h,
        notice,
        optIn.catalog().purposes().stream()
            .filter(p -> notice.purposes().contains(p.id()))
            .toList(),
        locale,
        "purpose",
        ticked,
        "optin-purpose-",
        "optin-notice-text",
        pages.base(req));
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
    Chosen chosen = choose(Pages.values(req, "purpose"), offered);
    String echo = email.length() > Pages.MAX_EMAIL ? "" : email;
    Attempt attempt = attempt(req, locale, email, chosen, shown, pages.base(req) + "/subscribe");
    if (attempt instanceof Attempt.Refused refused) {
      Notice form = refused.shownStillCurrent() ? shown.get() : optIn.notice(offered, locale);
      sendSubscribeForm(req, res, 400, locale, form, echo, chosen.ids(), refused.problems(), next);
    } else {
      subscribed(
          req, res, locale, next, start); // Accepted, AlreadyConfirmed, Throttled: one answer
    }
  }

  /** The purposes a signup chose: those offered, and whether it sent any other value (a tampered form). */
  record Chosen(Set<PurposeId> ids, boolean tampered) {}

  /** Reads the chosen purposes from submitted values; a value that is no offered purpose marks the choice tampered. */
  static Chosen choose(Iterable<String> values, Set<PurposeId> offered) {
    Set<PurposeId> chosen = new TreeSet<>();
    boolean tampered = false;
    for (String v : values) {
      Optional<PurposeId> id = Pages.purposeId(v).filter(offered::contains);
      if (id.isPresent()) {
        chosen.add(id.get());
      } else {
        tampered = true;
      }
    }
    return new Chosen(Collections.unmodifiableSet(chosen), tampered);
  }

  /** What a signup came to: refused with problems (page text keys), or done (started, or dropped unseen). */
  sealed interface Attempt {
    /**
     * Nothing was recorded; the problems name what to correct.
     *
     * @param shownStillCurrent whether the core accepted the notice shown (it refused the address only), so a form
     *     shown again may keep it
     */
    record Refused(List<String> problems, boolean shownStillCurrent) implements Attempt {}

    /** New, pending, confirmed, throttled or over the address limit: one outcome, so nothing is told. */
    record Done() implements Attempt {}
  }

  /**
   * The one signup step behind the guards, shared by the hosted form and the JSON API: the address (one parse, and
   * whether it can be mailed at all), the purposes, the {@link HumanCheck}, the notice shown, the per-address limit of
   * the {@link Guard}, then the core's request with its confirmation mail cap. The caller answers {@link
   * Attempt.Done} the same way for every address, no sooner than the answer floor.
   */
  Attempt attempt(
      HttpServletRequest req,
      Locale locale,
      String email,
      Chosen chosen,
      Optional<Notice> shown,
      String source) {
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
    if (chosen.ids().isEmpty() || chosen.tampered()) {
      problems.add("problem.purpose");
    }
    if (problems.isEmpty() && settings.humanCheck() != null && !settings.humanCheck().verify(req)) {
      problems.add("problem.human");
    }
    if (problems.isEmpty() && shown.isEmpty()) {
      // its language and currency are checked once, by the core: StaleNotice below
      problems.add("problem.notice");
    }
    if (!problems.isEmpty()) {
      return new Attempt.Refused(List.copyOf(problems), false);
    }
    if (!guard.addressAllowed(address.get())) {
      return new Attempt.Done(); // the same answer: the limit reveals nothing about the address
    }
    RequestResult result =
        optIn.request(
            new ConsentRequest(
                address.get(), chosen.ids(), locale, source, guard.evidence(req), shown.get()));
    if (result instanceof RequestResult.InvalidAddress) {
      return new Attempt.Refused(List.of("problem.email"), true);
    } else if (result instanceof RequestResult.StaleNotice) {
      return new Attempt.Refused(List.of("problem.notice"), false);
    }
    return new Attempt.Done();
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
