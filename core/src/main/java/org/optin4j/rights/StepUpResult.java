package org.optin4j.rights;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.SubjectId;

/**
 * The outcome of asking, through a preferences link, for a change of address or an erasure
 * ({@link SubjectRights#stepUpAddressChange}, {@link SubjectRights#stepUpErasure}). Preferences links get forwarded,
 * so neither happens on the link alone: a short-lived, single-use step-up link goes to the address on file first
 * (GDPR Art. 5(1)(f), 16, 17; security rule 18). Show the person the same page for {@link Sent},
 * {@link Throttled} and {@link Unchanged}, so the page tells a link holder nothing about the new address.
 */
public sealed interface StepUpResult {

  /**
   * The step-up mail is queued for the address on file.
   *
   * @param subject the subject
   * @param expiresAt until when its link works
   */
  record Sent(SubjectId subject, Instant expiresAt) implements StepUpResult {
    /** Validates the components. */
    public Sent {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /**
   * Nothing to do: the new address is already the subject's, or the subject has no consent that an address change
   * would move.
   *
   * @param subject the subject
   */
  record Unchanged(SubjectId subject) implements StepUpResult {}

  /**
   * No mail was queued: the daily cap of the address on file (or, for an address change, of the new address) is
   * reached.
   *
   * @param retryAfter when a new attempt may succeed
   */
  record Throttled(Instant retryAfter) implements StepUpResult {}

  /**
   * The new address is not a valid address.
   *
   * @param reason why, without the address
   */
  record InvalidAddress(String reason) implements StepUpResult {}

  /**
   * The preferences link is not valid: bad, expired, for a subject that is gone, or sent to an address the subject no
   * longer has.
   */
  record InvalidLink() implements StepUpResult {}
}
