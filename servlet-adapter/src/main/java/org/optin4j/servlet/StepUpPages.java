package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import org.optin4j.OptIn;
import org.optin4j.rights.AddressRestore;
import org.optin4j.rights.StepUpConfirmation;
import org.optin4j.rights.StepUpPreview;

/**
 * The pages of the links a forwarded preferences link cannot replace: the step-up link mailed to the address on file
 * before a change of address or an erasure goes ahead ({@code /preferences/step-up}), and the "this was not me" link
 * mailed to the old address after a change ({@code /preferences/not-me}). Opening either only shows what would happen
 * (mail scanners open links: SECURITY.md, "Link-prefetching scanners"); the button POSTs, through the {@link PostGate}
 * (a form token bound to the link and the Origin check).
 *
 * <p>Immutable and thread-safe.
 */
record StepUpPages(OptIn optIn, Pages pages, PostGate gate, Guard guard) {
  static final String STEP_UP_PATH = "/preferences/step-up";
  static final String NOT_ME_PATH = "/preferences/not-me";

  /** GET: what the step-up link would allow, and the button that allows it. */
  void stepUpPage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = Pages.token(req);
    StepUpPreview preview = optIn.rights().previewStepUp(token);
    if (preview instanceof StepUpPreview.AddressChange change) {
      String text = pages.t(locale, "stepup.address.text", "email", change.newAddress().value());
      Html what = allowing(locale, text, change.expiresAt());
      ask(req, res, locale, token, STEP_UP_PATH, "step-up", "stepup.address", what);
    } else if (preview instanceof StepUpPreview.Erasure erasure) {
      Html what = allowing(locale, pages.t(locale, "stepup.erase.text"), erasure.expiresAt());
      ask(req, res, locale, token, STEP_UP_PATH, "step-up", "stepup.erase", what);
    } else if (preview instanceof StepUpPreview.Expired) {
      expired(req, res, locale);
    } else {
      pages.invalidLink(req, res, locale);
    }
  }

  /** What the step-up link would allow ({@code text}), and until when. */
  private Html allowing(Locale locale, String text, Instant expiresAt) {
    return new Html()
        .element("p", text)
        .nl()
        .element("p", pages.t(locale, "stepup.until", "date", pages.dateTime(expiresAt, locale)))
        .nl();
  }

  /** POST, behind {@link PostGate#linked}: uses the step-up link. */
  void stepUp(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    StepUpConfirmation result = optIn.rights().confirmStepUp(token);
    if (result instanceof StepUpConfirmation.AddressChangeStarted) {
      pages.message(
          req,
          res,
          200,
          "step-up-done",
          locale,
          "stepup.address.done.title",
          null,
          "stepup.address.done.text");
    } else if (result instanceof StepUpConfirmation.Erased) {
      pages.message(req, res, 200, "erased", locale, "erased.title", null, "erased.text");
    } else if (result instanceof StepUpConfirmation.Throttled) {
      pages.message(
          req,
          res,
          200,
          "step-up-throttled",
          locale,
          "stepup.address.title",
          null,
          "stepup.throttled");
    } else if (result instanceof StepUpConfirmation.Expired) {
      expired(req, res, locale);
    } else {
      pages.invalidLink(req, res, locale);
    }
  }

  /** GET: what the "this was not me" link would undo, and the button that undoes it. */
  void notMePage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = Pages.token(req);
    if (token == null || optIn.rights().verifyNotMeToken(token).isEmpty()) {
      pages.invalidLink(req, res, locale);
      return;
    }
    Html what = new Html().element("p", pages.t(locale, "notme.text")).nl();
    ask(req, res, locale, token, NOT_ME_PATH, "not-me", "notme", what);
  }

  /** POST, behind {@link PostGate#linked}: undoes the change of address. */
  void notMe(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
      throws IOException {
    if (optIn.rights().restoreAddress(token, guard.evidence(req))
        instanceof AddressRestore.Restored) {
      pages.message(
          req, res, 200, "not-me-done", locale, "notme.done.title", null, "notme.done.text");
    } else {
      pages.invalidLink(req, res, locale);
    }
  }

  /**
   * A step-up or "not me" page: its title (text key {@code <keys>.title}), what using the link would do, and the
   * button ({@code <keys>.submit}) that POSTs the link to {@code path}. The form has always posted without an
   * accept-charset: it has no text field.
   *
   * @param link the kind of link, which is also the kind of page
   */
  private void ask(
      HttpServletRequest req,
      HttpServletResponse res,
      Locale locale,
      String token,
      String path,
      String link,
      String keys,
      Html what)
      throws IOException {
    String title = pages.t(locale, keys + ".title");
    Html body = new Html().element("h1", title).nl().append(what);
    body.start("form").attr("method", "post").attr("action", pages.base(req) + path).end().nl();
    gate.linkFields(body, link, token, locale);
    Pages.button(body, null, pages.t(locale, keys + ".submit")).close("form").nl();
    pages.send(req, res, 200, link, locale, title, body);
  }

  private void expired(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    pages.message(
        req, res, 410, "expired", locale, "stepup.expired.title", null, "stepup.expired.text");
  }
}
