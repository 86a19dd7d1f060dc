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
 *
 * @param settings the filter's settings
 * @param tokens the form tokens
 * @param clients how the client address is read behind trusted proxies
 * @param perIp the per-IP limit (per IPv6 /64)
 * @param perIpv6Site the per-IPv6-/48 limit
 * @param perAddress the per-address limit; {@code null} when it is off (the default), so that it takes no memory
 */
record Guard(
    OptInFilter.Settings settings,
    FormTokens tokens,
    ClientAddress clients,
    RateLimiter perIp,
    RateLimiter perIpv6Site,
    RateLimiter perAddress) {
  /**
   * All the /64s of one IPv6 /48 together get this many times the per-IP limit: a client holding a /48 (what many
   * providers delegate to one customer) would otherwise have 65,536 separate /64 allowances.
   */
  static final int IPV6_SITE_FACTOR = 4;

  /** The share of {@code rateLimitSlots} the /48 tier gets: it only ever holds IPv6 sites, each up to 65,536 /64s. */
  static final int IPV6_SITE_SLOT_DIVISOR = 4;

  Guard(OptInFilter.Settings settings, FormTokens tokens) {
    this(
        settings,
        tokens,
        new ClientAddress(settings.trustedProxies()),
        new RateLimiter(
            settings.ipLimit(), settings.ipWindow(), settings.rateLimitSlots(), settings.clock()),
        new RateLimiter(
            Math.min(RateLimiter.MAX_LIMIT, settings.ipLimit() * IPV6_SITE_FACTOR),
            settings.ipWindow(),
            settings.rateLimitSlots() / IPV6_SITE_SLOT_DIVISOR,
            settings.clock()),
        settings.addressLimit() == 0
            ? null
            : new RateLimiter(
                settings.addressLimit(),
                settings.addressWindow(),
                settings.rateLimitSlots(),
                settings.clock()));
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

  /**
   * Counts a POST against the client's limit, and an IPv6 client's also against its /48's; 0 if allowed, else seconds
   * to wait. The /64 is counted first, so one /64 over its own limit cannot use up its neighbours' shared allowance.
   */
  long ipLimit(HttpServletRequest request) {
    String client = clients.of(request);
    long wait = perIp.acquire(ClientAddress.limitKey(client));
    if (wait != 0) {
      return wait;
    }
    return ClientAddress.siteKey(client).map(perIpv6Site::acquire).orElse(0L);
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
