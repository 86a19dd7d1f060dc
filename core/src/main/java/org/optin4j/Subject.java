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
 * @param addressGeneration counts the subject's addresses, from 1; every completed change of address (and every
 *     undoing of one) raises it. Links carry the generation they were sent for, so a link sent to an address the
 *     subject no longer has stops working (a forwarded link must not outlive the address it was sent to).
 */
public record Subject(SubjectId id, EmailAddress email, Instant createdAt, int addressGeneration) {
  /** Validates the components. */
  public Subject {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(createdAt, "createdAt");
    if (addressGeneration < 1) {
      throw new IllegalArgumentException(
          "address generation must be 1 or more, was " + addressGeneration);
    }
  }

  /**
   * A subject with its first address (generation 1).
   *
   * @param id the opaque id
   * @param email the normalised address
   * @param createdAt when the subject was first recorded
   */
  public Subject(SubjectId id, EmailAddress email, Instant createdAt) {
    this(id, email, createdAt, 1);
  }

  /**
   * Returns this subject at a new address, one generation on.
   *
   * @param newEmail the new address
   * @return the subject with {@code newEmail} and the next address generation
   */
  public Subject movedTo(EmailAddress newEmail) {
    return new Subject(id, newEmail, createdAt, addressGeneration + 1);
  }
}
