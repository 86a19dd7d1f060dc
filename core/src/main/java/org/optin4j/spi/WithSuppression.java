package org.optin4j.spi;

import java.util.Objects;

/**
 * A read answered together with a suppression-list check, so that a database store can make both in one round trip
 * ({@link ConsentStore.Transaction#subjectByEmailWithSuppression},
 * {@link ConsentStore.Transaction#consentsWithSuppression}). Immutable and
 * thread-safe if the value is.
 *
 * @param value what was read
 * @param suppressed whether the address key is on the suppression list, as {@link SubjectStore#isSuppressed} answers
 * @param <T> the type of what was read
 */
public record WithSuppression<T>(T value, boolean suppressed) {
  /** Validates the components. */
  public WithSuppression {
    Objects.requireNonNull(value, "value");
  }
}
