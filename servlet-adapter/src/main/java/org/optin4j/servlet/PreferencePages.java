package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;

/**
 * The preference center, {@code /preferences}: what the subject receives and the notice each consent was given on,
 * with forms to change the choices, withdraw everything (GDPR Art. 7(3)), and, handled by {@link RightsRequests},
 * change the address, get a copy of the data, get a signed receipt and erase (Art. 15-17, 20). Its link may have been
 * forwarded: it changes choices at once, but whatever reveals or hands over the subject's data or address goes
 * through the address on file.
 *
 * <p>Immutable and thread-safe.
 */
record PreferencePages(OptIn optIn, Pages pages, PostGate gate, Guard guard, ShownNotices notices) {
  /** What a POST from the preference center does once its prologue passed. */
  @FunctionalInterface
  interface ManageAction {
    void run(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId subject)
        throws IOException;
  }

  /**
   * A POST handler of the preference center: the link prologue ({@link PostGate#linked}), then the subject of the
   * link (invalid link if it is gone), then {@code action}.
   */
  Routes.Handler managed(ManageAction action) {
    return gate.linked(
        "manage",
        (req, res, locale, token) -> {
          Optional<SubjectId> subject = manageSubject(token);
          if (subject.isEmpty()) {
            pages.invalidLink(req, res, locale);
          } else {
            action.run(req, res, locale, subject.get());
          }
        });
  }

  private Optional<SubjectId> manageSubject(String token) {
    return token == null ? Optional.empty() : optIn.verifyPreferencesToken(token);
  }

  /** GET: the preference center. */
  void preferencesPage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    preferencesPage(req, res, List.of(), 200);
  }

  void preferencesPage(
      HttpServletRequest req, HttpServletResponse res, List<String> problems, int status)
      throws IOException {
    Locale locale =
        "GET".equals(req.getMethod()) || "HEAD".equals(req.getMethod())
            ? pages.locale(req)
            : pages.formLocale(req);
    String token = Pages.token(req);
    Optional<SubjectId> subject = manageSubject(token);
    if (subject.isEmpty()) {
      pages.invalidLink(req, res, locale);
      return;
    }
    Map<PurposeId, Consent> consents =
        optIn.consents(subject.get()).stream()
            .collect(Collectors.toMap(Consent::purpose, c -> c, (x, y) -> y));
    Html common = gate.linkFields(new Html(), "manage", token, locale);
    String title = pages.t(locale, "prefs.title");
    Html b = new Html().element("h1", title).nl();
    pages.problems(b, locale, problems);
    b.element("p", pages.t(locale, "prefs.intro", "controller", optIn.controller().name())).nl();
    b.element("h2", pages.t(locale, "prefs.current")).nl().open("ul", "class", "optin-states").nl();
    Set<PurposeId> active = new TreeSet<>();
    List<Purpose> inactive = new ArrayList<>();
    for (Purpose p : optIn.catalog().purposes()) {
      Consent c = consents.get(p.id());
      b.open("li")
          .element("strong", pages.title(p, locale))
          .text(": ")
          .open("span", "class", "optin-state")
          .text(stateText(c, locale))
          .close("span");
      if (c != null && c.state() != ConsentState.ERASED) {
        Optional<Notice> agreed = optIn.noticeByHash(c.notice().hash());
        if (agreed.isPresent()) {
          b.nl()
              .open("details")
              .element(
                  "summary",
                  pages.t(locale, "prefs.agreed", "version", String.valueOf(c.notice().version())))
              .start("div")
              .attr("class", "optin-notice")
              .attr("lang", agreed.get().locale().toLanguageTag())
              .end()
              .text(agreed.get().text())
              .close("div")
              .close("details");
        }
      }
      b.close("li").nl();
      if (c != null && (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING)) {
        active.add(p.id());
      } else {
        inactive.add(p);
      }
    }
    b.close("ul").nl();
    String action = pages.base(req) + "/preferences";
    // change
    Html choices = new Html();
    Notice offered =
        inactive.isEmpty()
            ? null
            : optIn.notice(inactive.stream().map(Purpose::id).collect(Collectors.toSet()), locale);
    pages.noticeAndChoices(
        choices,
        offered,
        optIn.catalog().purposes(),
        locale,
        "purpose",
        active,
        "optin-purpose-",
        "optin-notice-text",
        pages.base(req));
    if (offered != null) {
      choices.hidden(Pages.NOTICE_FIELD, offered.hash());
    }
    section(
        b,
        "optin-change",
        pages.t(locale, "prefs.change"),
        pages.t(locale, "prefs.change.help"),
        action,
        common,
        choices,
        null,
        pages.t(locale, "prefs.save"));
    // withdraw everything
    secondarySection(b, locale, action, common, "withdraw", new Html());
    rightsSections(b, locale, action, common);
    pages.send(req, res, status, "preferences", locale, title, b);
  }

  /** The sections whose POSTs {@link RightsRequests} handles: address change, data export, receipt, erasure. */
  private void rightsSections(Html b, Locale locale, String action, Html common) {
    Html email = new Html();
    Pages.emailLabel(email, "optin-new-email", pages.t(locale, "prefs.address.label"));
    Pages.emailInput(email, "optin-new-email").end().close("div").nl();
    Html erase =
        new Html()
            .open("div", "class", "optin-choice")
            .start("input")
            .attr("type", "checkbox")
            .attr("id", "optin-erase-confirm")
            .attr("name", "confirm")
            .attr("value", "yes")
            .flag("required")
            .end()
            .space()
            .open("label", "for", "optin-erase-confirm")
            .text(pages.t(locale, "prefs.erase.confirm"))
            .close("label")
            .close("div")
            .nl();
    secondarySection(b, locale, action, common, "address", email);
    secondarySection(b, locale, action, common, "export", new Html());
    secondarySection(b, locale, action, common, "receipt", new Html());
    secondarySection(b, locale, action, common, "erase", erase);
  }

  /**
   * A section whose button is secondary, all named after {@code name}: id {@code optin-<name>}, texts
   * {@code prefs.<name>}, {@code .help} and {@code .submit}, posting to {@code <action>/<name>}.
   */
  private void secondarySection(
      Html b, Locale locale, String action, Html common, String name, Html fields) {
    String key = "prefs." + name;
    section(
        b,
        "optin-" + name,
        pages.t(locale, key),
        pages.t(locale, key + ".help"),
        action + "/" + name,
        common,
        fields,
        "optin-secondary",
        pages.t(locale, key + ".submit"));
  }

  /** A section of the preference center: heading, help text and a form of its own. */
  private static void section(
      Html b,
      String id,
      String heading,
      String help,
      String action,
      Html hiddenFields,
      Html fields,
      String buttonClass,
      String submit) {
    b.start("section")
        .attr("class", "optin-section")
        .attr("aria-labelledby", id + "-h")
        .end()
        .nl()
        .open("h2", "id", id + "-h")
        .text(heading)
        .close("h2")
        .nl()
        .element("p", help)
        .nl();
    Pages.form(b, action).append(hiddenFields).append(fields);
    Pages.button(b, buttonClass, submit).close("form").nl().close("section").nl();
  }

  private String stateText(Consent c, Locale locale) {
    if (c == null) {
      return pages.t(locale, "prefs.state.NONE");
    }
    java.time.Instant since =
        switch (c.state()) {
          case CONFIRMED -> c.confirmedAt();
          case PENDING -> c.requestedAt();
          default -> c.endedAt();
        };
    return pages.t(locale, "prefs.state." + c.state().name(), "date", Pages.date(since, locale));
  }

  /** POST: ticked purposes not yet active start a double opt-in; unticked active ones are withdrawn at once. */
  void changePreferences(
      HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    Set<PurposeId> chosen = new TreeSet<>();
    for (String v : Pages.values(req, "purpose")) {
      Optional<PurposeId> p =
          Pages.purposeId(v).filter(x -> optIn.catalog().purpose(x).isPresent());
      if (p.isEmpty()) {
        preferencesPage(req, res, List.of("problem.purpose"), 400);
        return;
      }
      chosen.add(p.get());
    }
    Change change = change(req, locale, id, chosen, () -> notices.shownNotice(req), "/preferences");
    if (change instanceof Change.InvalidLink) {
      pages.invalidLink(req, res, locale);
    } else if (change instanceof Change.NoticeNeeded) {
      preferencesPage(req, res, List.of("problem.notice"), 400);
    } else if (change instanceof Change.Saved saved) {
      List<String> texts = new ArrayList<>();
      texts.add("saved.text");
      if (saved.requested()) {
        texts.add(saved.throttled() ? "saved.throttled" : "saved.pending");
      }
      saved(req, res, locale, "saved.title", texts.toArray(String[]::new));
    }
  }

  /** What a change of choices came to. */
  sealed interface Change {
    /** The subject of the link is gone. */
    record InvalidLink() implements Change {}

    /** A purpose to start needs the notice shown with it, and none current was sent; nothing changed. */
    record NoticeNeeded() implements Change {}

    /**
     * Saved: withdrawals done at once, new purposes asked for by a double opt-in.
     *
     * @param requested whether a double opt-in was started (or asked for)
     * @param throttled whether its mail was held back by the confirmation mail cap
     */
    record Saved(boolean requested, boolean throttled) implements Change {}
  }

  /**
   * The one step that changes the choices, shared by the preference center and the JSON API: chosen purposes not yet
   * active start a double opt-in on the notice shown (GDPR Art. 7(1)), active ones not chosen are withdrawn at once
   * (Art. 7(3)). Purposes must be known ones, checked by the caller.
   *
   * @param shownNotice the notice the choice was shown with, read only if a purpose is to start
   * @param sourcePath where the choice was made, below the base URL, recorded with the request
   */
  Change change(
      HttpServletRequest req,
      Locale locale,
      SubjectId id,
      Set<PurposeId> chosen,
      Supplier<Optional<Notice>> shownNotice,
      String sourcePath) {
    Set<PurposeId> active = new TreeSet<>();
    for (Consent c : optIn.consents(id)) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        active.add(c.purpose());
      }
    }
    Set<PurposeId> toRequest = new TreeSet<>(chosen);
    toRequest.removeAll(active);
    Set<PurposeId> toWithdraw = new TreeSet<>(active);
    toWithdraw.removeAll(chosen);
    boolean throttled = false;
    if (!toRequest.isEmpty()) {
      Optional<Notice> shown = shownNotice.get();
      Optional<Subject> subject = optIn.subject(id);
      if (subject.isEmpty()) {
        return new Change.InvalidLink();
      }
      if (shown.isEmpty()) {
        return new Change.NoticeNeeded();
      }
      RequestResult r =
          optIn.request(
              new ConsentRequest(
                  subject.get().email(),
                  toRequest,
                  locale,
                  pages.base(req) + sourcePath,
                  guard.evidence(req),
                  shown.get()));
      if (r instanceof RequestResult.StaleNotice) {
        return new Change.NoticeNeeded();
      }
      throttled = r instanceof RequestResult.Throttled;
    }
    if (!toWithdraw.isEmpty()) {
      optIn.withdraw(id, toWithdraw, Channel.PREFERENCE_CENTER, guard.evidence(req));
    }
    return new Change.Saved(!toRequest.isEmpty(), throttled);
  }

  /** POST: withdraws every consent at once. */
  void withdrawAll(HttpServletRequest req, HttpServletResponse res, Locale locale, SubjectId id)
      throws IOException {
    withdrawEverything(req, id);
    saved(req, res, locale, "saved.title", "withdrawn.text");
  }

  /** Withdraws every consent of the subject at once (GDPR Art. 7(3)): the page's and the JSON API's one step. */
  void withdrawEverything(HttpServletRequest req, SubjectId id) {
    optIn.withdraw(id, Set.of(), Channel.PREFERENCE_CENTER, guard.evidence(req));
  }

  /** A result page of the preference center, with a link back to it. */
  void saved(
      HttpServletRequest req,
      HttpServletResponse res,
      Locale locale,
      String titleKey,
      String... texts)
      throws IOException {
    Html back =
        Pages.link(
            pages.base(req)
                + "/preferences?token="
                + URLEncoder.encode(Pages.token(req), StandardCharsets.UTF_8),
            pages.t(locale, "continue"));
    pages.message(req, res, 200, "preferences-saved", locale, titleKey, back, texts);
  }
}
