package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Locale;
import java.util.Set;

/**
 * The CORS rules of the JSON API (Fetch standard, "CORS protocol"): the allow-list of origins (the base URL's own plus
 * {@code apiAllowedOrigins}), and the grant headers, given only to an origin on it, always the exact origin (never
 * {@code *}) and never with {@code Access-Control-Allow-Credentials}: the API uses no cookies, and bearer credentials
 * are sent by the page's script only. {@code Vary: Origin} is on every answer, so that a cache never serves one
 * origin's grant to another.
 *
 * <p>Immutable and thread-safe.
 */
final class ApiOrigins {
  /** How long a browser may keep a preflight's grant (seconds). */
  static final int PREFLIGHT_MAX_AGE = 600;

  private final Set<String> allowed;

  ApiOrigins(Set<String> allowed) {
    this.allowed = Set.copyOf(allowed);
  }

  /** The request's {@code Origin}, or null when it sends none (a server, not a browser's cross-origin call). */
  static String origin(HttpServletRequest req) {
    String o = req.getHeader("Origin");
    return o == null ? null : o.strip().toLowerCase(Locale.ROOT);
  }

  /** Whether a request may go on: it sends no {@code Origin}, or one on the list ({@code null} never is). */
  boolean admits(String origin) {
    return origin == null || allowed.contains(origin);
  }

  /** Adds the grant for an admitted browser origin to an actual (non-preflight) answer. */
  void grant(HttpServletResponse res, String origin) {
    res.addHeader("Vary", "Origin");
    if (origin != null && allowed.contains(origin)) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Access-Control-Expose-Headers", "Retry-After, WWW-Authenticate, Allow");
    }
  }

  /**
   * The request headers a preflight may grant: the credentials, the body's type, and {@value #HUMAN_CHECK_HEADER}, the
   * header a {@link HumanCheck} reads its answer from on the API (the JSON body is not form parameters).
   */
  static final String ALLOWED_HEADERS = "Authorization, Content-Type, X-Human-Check";

  /** Where an API client sends the answer to a {@link HumanCheck} (docs/json-api.md). */
  static final String HUMAN_CHECK_HEADER = "X-Human-Check";

  /** Adds a preflight's grant: the route's methods and the request headers the API reads. */
  void grantPreflight(HttpServletResponse res, String origin, String methods) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Methods", methods);
    res.setHeader("Access-Control-Allow-Headers", ALLOWED_HEADERS);
    res.setHeader("Access-Control-Max-Age", Integer.toString(PREFLIGHT_MAX_AGE));
  }
}
