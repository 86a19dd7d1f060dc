package org.optin4j.internal;

import java.util.Objects;
import org.optin4j.SubjectId;

/**
 * The library-specific claims of a link token. No personal data: the subject is its opaque id (security rule 3).
 *
 * @param subject the subject ({@code sub})
 * @param requestId the request ({@code req}), or {@code null} for kinds that have none
 * @param generation the confirmation link generation ({@code gen}), or 0 for kinds that have none
 */
public record TokenClaims(SubjectId subject, String requestId, int generation) {
  /** Validates the components. */
  public TokenClaims {
    Objects.requireNonNull(subject, "subject");
    if (generation < 0) {
      throw new IllegalArgumentException("generation must not be negative");
    }
  }
}
