package org.optin4j.internal;

import java.time.Instant;

/**
 * A freshly signed token.
 *
 * @param token the compact JWS
 * @param id its {@code jti}
 * @param expiresAt its {@code exp}
 */
public record IssuedToken(String token, String id, Instant expiresAt) {
  @Override
  public String toString() {
    return "IssuedToken[id=" + id + ", expiresAt=" + expiresAt + "]";
  }
}
