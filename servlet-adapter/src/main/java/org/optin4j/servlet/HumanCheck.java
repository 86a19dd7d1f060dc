package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;

/**
 * A hook for a CAPTCHA or proof-of-work check on the subscribe forms (security rule 11): the hosted form and the
 * drop-in notice block include {@link #formHtml}, and a signup is only started if {@link #verify} passes. A failed
 * check answers 400 with the form shown again (hosted) or {@link SignupOutcome.HumanCheckFailed} (drop-in).
 *
 * <p>The JSON API's signup ({@code POST {prefix}/api/subscribe}) calls {@link #verify} too, with a request whose body
 * is JSON, not form parameters: there the answer comes in the {@code X-Human-Check} header (docs/json-api.md), and a
 * failed check is a 400 problem naming the field {@code humanCheck}.
 *
 * <p>Implementations must be thread-safe and must encode what they render. Note that the hosted pages' Content
 * Security Policy allows no third-party script: a check that needs one must be served from this site.
 */
public interface HumanCheck {

  /**
   * Returns the HTML the form includes (a puzzle, a hidden challenge field, ...), or an empty string.
   *
   * @param request the request rendering the form
   * @param locale the form's language
   * @return encoded HTML
   */
  String formHtml(HttpServletRequest request, Locale locale);

  /**
   * Checks the submitted answer. Called before anything is recorded.
   *
   * @param request the form POST (read its parameters only), or the JSON API's signup (read the {@code
   *     X-Human-Check} header; its body is already read)
   * @return whether the check passed
   */
  boolean verify(HttpServletRequest request);
}
