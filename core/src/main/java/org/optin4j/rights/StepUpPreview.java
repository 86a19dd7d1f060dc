package org.optin4j.rights;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.EmailAddress;

/**
 * What a step-up link asks the person to allow, before anything changes: {@link SubjectRights#previewStepUp} reads,
 * never writes, because mail scanners open every link (security rule 6).
 */
public sealed interface StepUpPreview {

  /**
   * Confirming lets the change of address go on: the new address then gets its own double opt-in.
   *
   * @param newAddress the address asked for, to show the person what they allow
   * @param expiresAt until when the link works
   */
  record AddressChange(EmailAddress newAddress, Instant expiresAt) implements StepUpPreview {
    /** Validates the components. */
    public AddressChange {
      Objects.requireNonNull(newAddress, "newAddress");
      Objects.requireNonNull(expiresAt, "expiresAt");
    }
  }

  /**
   * Confirming erases the subject (GDPR Art. 17), which cannot be undone.
   *
   * @param expiresAt until when the link works
   */
  record Erasure(Instant expiresAt) implements StepUpPreview {}

  /**
   * The link expired; the person may ask again from the preference page.
   *
   * @param expiredAt when
   */
  record Expired(Instant expiredAt) implements StepUpPreview {}

  /** The link is not valid: bad, used, replaced, or sent to an address the subject no longer has. */
  record Invalid() implements StepUpPreview {}
}
