package org.optin4j.internal;

import java.time.Instant;

/** The outcome of verifying a token of an expected kind. */
public sealed interface TokenCheck {

  /**
   * Signature, kind, issuer, audience and times all check out.
   *
   * @param claims the claims
   * @param id the {@code jti}
   * @param expiresAt the {@code exp}
   */
  record Valid(TokenClaims claims, String id, Instant expiresAt) implements TokenCheck {}

  /**
   * Everything checks out but the token expired (beyond the allowed clock skew).
   *
   * @param claims the claims
   * @param id the {@code jti}
   * @param expiredAt the {@code exp}
   */
  record Expired(TokenClaims claims, String id, Instant expiredAt) implements TokenCheck {}

  /** Anything else: malformed, oversized, tampered, wrong kind or algorithm, unknown key. */
  record Invalid() implements TokenCheck {}
}
