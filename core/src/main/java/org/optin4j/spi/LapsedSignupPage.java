package org.optin4j.spi;

import org.optin4j.SubjectId;

/**
 * What one page of {@link RetentionStore#deleteLapsedSignupPage} did: how many lapsed signups it deleted (GDPR Art.
 * 5(1)(e)) and where the next page starts.
 *
 * <p>Immutable and thread-safe.
 *
 * @param deleted how many subjects the page deleted
 * @param next the last subject the page looked at, after which the next page continues; {@code null} when the store
 *     found no more subjects to look at
 */
public record LapsedSignupPage(int deleted, SubjectId next) {
  /** Validates the components. */
  public LapsedSignupPage {
    if (deleted < 0) {
      throw new IllegalArgumentException("deleted must not be negative, was " + deleted);
    }
  }
}
