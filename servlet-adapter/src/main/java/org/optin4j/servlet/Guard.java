package org.optin4j.servlet;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Locale;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;

/**
 * The checks every state-changing request passes (security rules 7 and 11): the request comes from one of our own
 * origins, carries a valid form token for its form or link, and the client and the address are within their rate
 * limits.
 *
 * <p>Thread-safe.
 */
final class Guard {
  private final OptInFilter.Settings settings;
  private final FormTokens tokens;
  private final ClientAddress clients;
  private final RateLimiter perIp;
  /** Null when the per-address limit is off (the default), so that it takes no memory. */
  private final RateLimiter perAddress;

  Guard(OptInFilter.Settings settings, FormTokens tokens) {
    this.settings = settings;
    this.tokens = tokens;
    this.clients = new ClientAddress(settings.trustedProxies());
    this.perIp = new RateLimiter(settings.ipLimit(), settings.ipWindow(), settings.rateLimitSlots(), settings.clock());
    this.perAddress = settings.addressLimit() == 0 ? null
        : new RateLimiter(settings.addressLimit(), settings.addressWindow(), settings.rateLimitSlots(),
            settings.clock());
  }

  FormTokens tokens() {
    return tokens;
  }

  /**
   * Checks the fetch metadata: an {@code Origin} header, when sent, must be one of ours; without it, a
   * {@code Sec-Fetch-Site} header, when sent, must say same-origin. A literal {@code Origin: null} passes only together
   * with {@code Sec-Fetch-Site: same-origin}: our pages send {@code Referrer-Policy: no-referrer}, under which browsers
   * serialise the origin of their own form posts as {@code null} (Fetch standard, "serializing a request origin"),
   * while {@code Sec-Fetch-Site} is set by the browser alone and cannot be forged by a page. A client that sends neither
   * header (no browser does for a cross-site form post) is judged by its form token alone.
   */
  boolean sameOrigin(HttpServletRequest request) {
    String origin = request.getHeader("Origin");
    String site = request.getHeader("Sec-Fetch-Site");
    if (origin != null) {
      String o = origin.strip().toLowerCase(Locale.ROOT);
      if ("null".equals(o)) {
        return "same-origin".equals(site);
      }
      return settings.allowedOrigins().contains(o);
    }
    return site == null || "same-origin".equals(site) || "none".equals(site);
  }

  boolean formToken(HttpServletRequest request, String context) {
    return tokens.verify(context, request.getParameter(Pages.CSRF_FIELD));
  }

  /** Counts a POST against the client's limit; 0 if allowed, else seconds to wait. */
  long ipLimit(HttpServletRequest request) {
    return perIp.acquire(ClientAddress.limitKey(clients.of(request)));
  }

  /** Counts a signup against the address's limit. */
  boolean addressAllowed(EmailAddress email) {
    // Off by default: the core's cap, counted exactly in the store, protects the address owner.
    return perAddress == null || perAddress.acquire("addr:" + email.value()) == 0;
  }

  Evidence evidence(HttpServletRequest request) {
    return Evidence.of(clients.of(request), request.getHeader("User-Agent"));
  }
}
