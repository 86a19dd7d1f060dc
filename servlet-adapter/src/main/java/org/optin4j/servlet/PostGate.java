package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Locale;

/**
 * The prologue every state-changing POST of the hosted pages and the drop-in runs before it does anything, in one
 * place so that no page can skip a step (OWASP Cross-Site Request Forgery Prevention Cheat Sheet; SECURITY.md,
 * "List-bombers"): a link-bound POST needs its link token (present,
 * not oversized), then the {@link Guard}'s Origin / Sec-Fetch-Site check and a form token bound to that link, then a
 * place within the client's rate limit; a signup POST the same without a link. Each refusal is answered here: 400
 * (the page of an invalid link), 403, or 429 with {@code Retry-After}. It also writes the form pieces it checks, so
 * that what a form carries and what its POST must carry are spelled once.
 *
 * <p>The RFC 8058 one-click unsubscribe is the one POST that does not pass here: it is authorised by its signed token
 * alone (RFC 8058: a mail provider posts without cookies or a page), so {@link UnsubscribePages} checks only what a
 * mail provider sends.
 *
 * <p>Thread-safe.
 */
final class PostGate {
  private final Pages pages;
  private final Guard guard;

  PostGate(Pages pages, Guard guard) {
    this.pages = pages;
    this.guard = guard;
  }

  /** What a POST from a page opened by a signed link does once its prologue passed. */
  @FunctionalInterface
  interface LinkAction {
    void run(HttpServletRequest req, HttpServletResponse res, Locale locale, String token)
        throws IOException;
  }

  /**
   * A POST handler for a page opened by a signed link: the prologue, then {@code action} with the link token.
   *
   * @param link the kind of link the form token is bound to ({@code confirm}, {@code manage}, {@code step-up}, ...)
   */
  Routes.Handler linked(String link, LinkAction action) {
    return (req, res) -> {
      Locale locale = pages.formLocale(req);
      String token = linkToken(req, res, locale, link);
      if (token != null) {
        action.run(req, res, locale, token);
      }
    };
  }

  /** The link token of a POST that passed the prologue, or null once the refusal is answered. */
  private String linkToken(
      HttpServletRequest req, HttpServletResponse res, Locale locale, String link)
      throws IOException {
    String token = Pages.token(req);
    if (token == null) {
      pages.invalidLink(req, res, locale);
      return null;
    }
    if (!guard.sameOrigin(req) || !guard.formToken(req, guard.tokens().linkContext(link, token))) {
      pages.forbidden(req, res, locale);
      return null;
    }
    if (tooMany(req, res, locale)) {
      return null;
    }
    return token;
  }

  /** The prologue of a signup POST (hosted form or drop-in); false once the refusal is answered. */
  boolean signup(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    if (!guard.sameOrigin(req) || !guard.formToken(req, FormTokens.signupContext())) {
      pages.forbidden(req, res, locale);
      return false;
    }
    return !tooMany(req, res, locale);
  }

  /** Counts the POST against the client's rate limit; answers 429 and returns true if over it. */
  private boolean tooMany(HttpServletRequest req, HttpServletResponse res, Locale locale)
      throws IOException {
    long wait = guard.ipLimit(req);
    if (wait == 0) {
      return false;
    }
    res.setHeader("Retry-After", Long.toString(wait));
    pages.message(req, res, 429, "error", locale, "toomany.title", null, "toomany.text");
    return true;
  }

  /** The hidden fields of a form bound to a signed link: the link token, its form token and the page language. */
  Html linkFields(Html h, String link, String token, Locale locale) {
    return h.hidden("token", token)
        .hidden(Pages.CSRF_FIELD, guard.tokens().issue(guard.tokens().linkContext(link, token)))
        .hidden(Pages.LANG_FIELD, locale.getLanguage());
  }

  /** The form token field of a signup form. */
  Html signupField(Html h) {
    return h.hidden(Pages.CSRF_FIELD, guard.tokens().issue(FormTokens.signupContext()));
  }
}
