package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.optin4j.Channel;
import org.optin4j.OptIn;
import org.optin4j.UnsubscribeResult;

/**
 * The unsubscribe link of every mail after confirmation (RFC 2369, RFC 8058): {@code GET /unsubscribe} shows
 * a button, and the POST withdraws every consent of the subject at once (GDPR Art. 7(3): as easy as giving). The POST
 * is also the RFC 8058 one-click unsubscribe a mail provider sends, authorised by the signed token alone.
 *
 * <p>Immutable and thread-safe.
 */
record UnsubscribePages(OptIn optIn, Pages pages, Guard guard) {
  /** GET: the button. */
  void unsubscribePage(HttpServletRequest req, HttpServletResponse res) throws IOException {
    Locale locale = pages.locale(req);
    String token = Pages.token(req);
    if (token == null || optIn.verifyUnsubscribeToken(token).isEmpty()) {
      pages.invalidLink(req, res, locale);
      return;
    }
    // The button posts exactly what a mail client's RFC 8058 one-click POST sends, plus a form
    // token.
    Html form =
        Pages.form(
                new Html(),
                pages.base(req)
                    + "/unsubscribe?token="
                    + URLEncoder.encode(token, StandardCharsets.UTF_8))
            .hidden("List-Unsubscribe", "One-Click")
            .hidden(
                Pages.CSRF_FIELD,
                guard.tokens().issue(guard.tokens().linkContext("unsubscribe", token)))
            .hidden(Pages.LANG_FIELD, locale.getLanguage());
    Pages.button(form, null, pages.t(locale, "unsubscribe.submit")).close("form").nl();
    pages.message(
        req, res, 200, "unsubscribe", locale, "unsubscribe.title", form, "unsubscribe.text");
  }

  /**
   * RFC 8058 one-click unsubscribe: authorised by the signed token alone, no cookie, no redirect. A mail provider
   * posts {@code List-Unsubscribe=One-Click} as {@code application/x-www-form-urlencoded} or
   * {@code multipart/form-data}. The page's own button adds a form token, which is then checked too.
   */
  void unsubscribe(HttpServletRequest req, HttpServletResponse res) throws IOException {
    String contentType =
        req.getContentType() == null ? "" : req.getContentType().toLowerCase(Locale.ROOT);
    boolean oneClick;
    String formToken = null;
    if (contentType.startsWith("multipart/form-data")) {
      oneClick = multipartOneClick(req);
    } else {
      oneClick = "One-Click".equals(req.getParameter("List-Unsubscribe"));
      formToken = req.getParameter(Pages.CSRF_FIELD);
    }
    Locale locale = pages.formLocale(req);
    String token = req.getParameter("token");
    if (token == null || token.isEmpty() || token.length() > Pages.MAX_TOKEN || !oneClick) {
      pages.invalidLink(req, res, locale);
      return;
    }
    if (formToken != null
        && (!guard.sameOrigin(req)
            || !guard
                .tokens()
                .verify(guard.tokens().linkContext("unsubscribe", token), formToken))) {
      pages.forbidden(req, res, locale);
      return;
    }
    UnsubscribeResult result =
        optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, guard.evidence(req));
    if (result instanceof UnsubscribeResult.Unsubscribed) {
      pages.message(
          req, res, 200, "unsubscribed", locale, "unsubscribed.title", null, "unsubscribed.text");
    } else {
      pages.invalidLink(req, res, locale);
    }
  }

  private static boolean multipartOneClick(HttpServletRequest req) throws IOException {
    byte[] body = req.getInputStream().readNBytes(8192);
    String s = new String(body, StandardCharsets.ISO_8859_1);
    int name = s.indexOf("name=\"List-Unsubscribe\"");
    return name >= 0 && s.indexOf("One-Click", name) > 0;
  }
}
