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
      askToAllow(
          req,
          res,
          locale,
          token,
          "stepup.address",
          pages.t(locale, "stepup.address.text", "email", change.newAddress().value()),
          change.expiresAt());
    } else if (preview instanceof StepUpPreview.Erasure erasure) {
      askToAllow(
          req,
          res,
          locale,
          token,
          "stepup.erase",
          pages.t(locale, "stepup.erase.text"),
          erasure.expiresAt());
    } else if (preview instanceof StepUpPreview.Expired) {
      expired(req, res, locale);
    } else {
      pages.invalidLink(req, res, locale);
    }
  }

  /** The step-up page: what would happen (text keys under {@code keys}), until when, and the button. */
  private void askToAllow(
      HttpServletRequest req,
      HttpServletResponse res,
      Locale locale,
      String token,
      String keys,
      String text,
      Instant expiresAt)
      throws IOException {
    String title = pages.t(locale, keys + ".title");
    Html body =
        new Html()
            .element("h1", title)
            .nl()
            .element("p", text)
            .nl()
            .element(
                "p", pages.t(locale, "stepup.until", "date", Pages.dateTime(expiresAt, locale)))
            .nl();
    form(body, req, locale, STEP_UP_PATH, "step-up", token, pages.t(locale, keys + ".submit"));
    pages.send(req, res, 200, "step-up", locale, title, body);
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
    String title = pages.t(locale, "notme.title");
    Html body =
        new Html().element("h1", title).nl().element("p", pages.t(locale, "notme.text")).nl();
    form(body, req, locale, NOT_ME_PATH, "not-me", token, pages.t(locale, "notme.submit"));
    pages.send(req, res, 200, "not-me", locale, title, body);
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

  /** The button of a step-up or "not me" page (it has always posted without an accept-charset: no text field). */
  private void form(
      Html h,
      HttpServletRequest req,
      Locale locale,
      String path,
      String link,
      String token,
      String submit) {
    h.start("form").attr("method", "post").attr("action", pages.base(req) + path).end().nl();
    gate.linkFields(h, link, token, locale);
    Pages.button(h, null, submit).close("form").nl();
  }

  private void expired(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    pages.message(
        req, res, 410, "expired", locale, "stepup.expired.title", null, "stepup.expired.text");
  }
}
