package org.optin4j.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import org.optin4j.SigningKeys;

/**
 * Issues and verifies the library's link tokens with Nimbus JOSE+JWT (security rules 1-5). Immutable and thread-safe.
 */
public final class TokenService {

  /**
   * Creates the service.
   *
   * @param keys the key ring
   * @param issuer the {@code iss} value
   * @param clock the clock
   * @param random the source of token ids
   */
  public TokenService(SigningKeys keys, String issuer, Clock clock, SecureRandom random) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }

  /**
   * Signs a token.
   *
   * @param kind the kind
   * @param claims the claims
   * @param ttl the lifetime
   * @return the token
   */
  public IssuedToken issue(TokenKind kind, TokenClaims claims, Duration ttl) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }

  /**
   * Verifies a token as the expected kind.
   *
   * @param kind the expected kind
   * @param token the compact JWS, possibly {@code null} or garbage
   * @return the outcome
   */
  public TokenCheck verify(TokenKind kind, String token) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }
}
