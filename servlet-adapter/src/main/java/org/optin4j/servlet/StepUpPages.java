package org.optin4j.servlet;

import static org.optin4j.servlet.Pages.a;
import static org.optin4j.servlet.Pages.e;
import static org.optin4j.servlet.Pages.hidden;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Instant;
import java.util.Locale;
import org.optin4j.AddressRestore;
import org.optin4j.OptIn;
import org.optin4j.StepUpConfirmation;
import org.optin4j.StepUpPreview;

/**
 * The pages of the links a forwarded preferences link cannot replace: the step-up link mailed to the address on file
 * before a change of address or an erasure goes ahead ({@code /preferences/step-up}), and the "this was not me" link
 * mailed to the old address after a change ({@code /preferences/not-me}). Opening either only shows what would happen
 * (mail scanners open links, security rule 6); the button POSTs, with a form token bound to the link and the Origin
 * check (security rule 7).
 *
 * <p>Thread-safe.
 */
final class StepUpPages {
  static final String STEP_UP_PATH = "/preferences/step-up";
  static final String NOT_ME_PATH = "/preferences/not-me";

  private final OptIn optIn;
  private final Pages pages;
  private final Guard guard;
  private final HostedPages hosted;

  StepUpPages(OptIn optIn, Pages pages, Guard guard, HostedPages hosted) {
    this.optIn = optIn;
    this.pages = pages;
    this.guard = guard;
    this.hosted = hosted;
  }

  /** GET: what the step-up link would allow, and the button that allows it. */
  void stepUpPage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = HostedPages.token(req);
    StepUpPreview preview = optIn.rights().previewStepUp(token);
    if (preview instanceof StepUpPreview.AddressChange change) {
      askToAllow(req, res, locale, token, "stepup.address",
          pages.t(locale, "stepup.address.text", "email", change.newAddress().value()), change.expiresAt());
    } else if (preview instanceof StepUpPreview.Erasure erasure) {
      askToAllow(req, res, locale, token, "stepup.erase", pages.t(locale, "stepup.erase.text"),
          erasure.expiresAt());
    } else if (preview instanceof StepUpPreview.Expired) {
      expired(req, res, locale);
    } else {
      hosted.invalidLink(req, res, locale);
    }
  }

  /** The step-up page: what would happen (text keys under {@code keys}), until when, and the button. */
  private void askToAllow(HttpServletRequest req, HttpServletResponse res, Locale locale, String token, String keys,
      String text, Instant expiresAt) throws IOException {
    String title = pages.t(locale, keys + ".title");
    String body = "<h1>" + e(title) + "</h1>\n<p>" + e(text) + "</p>\n<p>"
        + e(pages.t(locale, "stepup.until", "date", Pages.dateTime(expiresAt, locale))) + "</p>\n"
        + form(req, locale, STEP_UP_PATH, "step-up", token, pages.t(locale, keys + ".submit"));
    pages.send(req, res, 200, "step-up", locale, title, body);
  }

  /** POST: uses the step-up link. */
  void stepUp(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    String token = checkedToken(req, res, locale, "step-up");
    if (token == null) {
      return;
    }
    StepUpConfirmation result = optIn.rights().confirmStepUp(token);
    if (result instanceof StepUpConfirmation.AddressChangeStarted) {
      pages.message(req, res, 200, "step-up-done", locale, "stepup.address.done.title", null,
          "stepup.address.done.text");
    } else if (result instanceof StepUpConfirmation.Erased) {
      pages.message(req, res, 200, "erased", locale, "erased.title", null, "erased.text");
    } else if (result instanceof StepUpConfirmation.Throttled) {
      pages.message(req, res, 200, "step-up-throttled", locale, "stepup.address.title", null, "stepup.throttled");
    } else if (result instanceof StepUpConfirmation.Expired) {
      expired(req, res, locale);
    } else {
      hosted.invalidLink(req, res, locale);
    }
  }

  /** GET: what the "this was not me" link would undo, and the button that undoes it. */
  void notMePage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = HostedPages.token(req);
    if (token == null || optIn.rights().verifyNotMeToken(token).isEmpty()) {
      hosted.invalidLink(req, res, locale);
      return;
    }
    String title = pages.t(locale, "notme.title");
    String body = "<h1>" + e(title) + "</h1>\n<p>" + e(pages.t(locale, "notme.text")) + "</p>\n"
        + form(req, locale, NOT_ME_PATH, "not-me", token, pages.t(locale, "notme.submit"));
    pages.send(req, res, 200, "not-me", locale, title, body);
  }

  /** POST: undoes the change of address. */
  void notMe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.formLocale(req);
    String token = checkedToken(req, res, locale, "not-me");
    if (token == null) {
      return;
    }
    if (optIn.rights().restoreAddress(token, guard.evidence(req)) instanceof AddressRestore.Restored) {
      pages.message(req, res, 200, "not-me-done", locale, "notme.done.title", null, "notme.done.text");
    } else {
      hosted.invalidLink(req, res, locale);
    }
  }

  /** The token of a POST that passed the link, Origin, form token and rate checks; null after answering. */
  private String checkedToken(HttpServletRequest req, HttpServletResponse res, Locale locale, String context)
      throws IOException {
    String token = HostedPages.token(req);
    if (token == null) {
      hosted.invalidLink(req, res, locale);
      return null;
    }
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.linkContext(context, token))) {
      hosted.forbidden(req, res, locale);
      return null;
    }
    if (hosted.tooMany(req, res, locale)) {
      return null;
    }
    return token;
  }

  private String form(HttpServletRequest req, Locale locale, String path, String context, String token,
      String submit) {
    return "<form method=\"post\" action=\"" + a(pages.base(req) + path) + "\">\n"
        + hidden("token", token)
        + hidden(Pages.CSRF_FIELD, guard.tokens().issue(FormTokens.linkContext(context, token)))
        + hidden(Pages.LANG_FIELD, locale.getLanguage())
        + "<button type=\"submit\">" + e(submit) + "</button>\n</form>\n";
  }

  private void expired(HttpServletRequest req, HttpServletResponse res, Locale locale) throws IOException {
    pages.message(req, res, 410, "expired", locale, "stepup.expired.title", null, "stepup.expired.text");
  }
}
