package org.optin4j;

import java.time.Instant;
import java.util.Objects;

/**
 * A data subject: the person behind an email address (GDPR Art. 4(1)).
 *
 * <p>Immutable and thread-safe. {@link #toString()} masks the address.
 *
 * @param id the opaque id
 * @param email the normalised address
 * @param createdAt when the subject was first recorded
 */
public record Subject(SubjectId id, EmailAddress email, Instant createdAt) {
  /** Validates the components. */
  public Subject {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(createdAt, "createdAt");
  }
}
