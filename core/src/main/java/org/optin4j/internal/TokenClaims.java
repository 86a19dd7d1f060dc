package org.optin4j.internal;

import java.util.Objects;
import org.optin4j.SubjectId;

/**
 * The library-specific claims of a link token. No personal data: the subject is its opaque id (security rule 3).
 *
 * @param subject the subject ({@code sub})
 * @param requestId the request ({@code req}), or {@code null} for kinds that have none
 * @param generation the confirmation link generation ({@code gen}), or 0 for kinds that have none
 * @param addressGeneration the subject's address generation the link was sent for ({@code agn}), or 0 if the token
 *     has none
 */
public record TokenClaims(
    SubjectId subject, String requestId, int generation, int addressGeneration) {
  /** Validates the components. */
  public TokenClaims {
    Objects.requireNonNull(subject, "subject");
    if (generation < 0) {
      throw new IllegalArgumentException("generation must not be negative");
    }
    if (addressGeneration < 0) {
      throw new IllegalArgumentException("address generation must not be negative");
    }
  }

  /**
   * Returns the address generation the link was sent for: a link signed before tokens carried one was sent when every
   * subject had its first address, generation 1.
   *
   * @return the generation, 1 or more
   */
  public int sentForAddressGeneration() {
    return Math.max(1, addressGeneration);
  }

  /**
   * Claims without an address generation.
   *
   * @param subject the subject
   * @param requestId the request, or {@code null}
   * @param generation the confirmation link generation, or 0
   */
  public TokenClaims(SubjectId subject, String requestId, int generation) {
    this(subject, requestId, generation, 0);
  }
}
