package org.optin4j.rights;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;

/** The outcome of using a step-up link ({@link SubjectRights#confirmStepUp}). */
public sealed interface StepUpConfirmation {

  /**
   * The change of address goes on: the new address's confirmation mail is queued; the old address keeps working
   * until the new one is confirmed.
   *
   * @param subject the subject
   * @param newAddress the address that now gets its double opt-in
   */
  record AddressChangeStarted(SubjectId subject, EmailAddress newAddress)
      implements StepUpConfirmation {
    /** Validates the components. */
    public AddressChangeStarted {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(newAddress, "newAddress");
    }
  }

  /**
   * The subject is erased, as {@link SubjectRights#erase} does.
   *
   * @param subject the former subject's id
   */
  record Erased(SubjectId subject) implements StepUpConfirmation {}

  /**
   * The new address's daily cap of confirmation mails is reached; the link was not used up and works again later,
   * while it has not expired.
   *
   * @param retryAfter when a new attempt may succeed
   */
  record Throttled(Instant retryAfter) implements StepUpConfirmation {}

  /**
   * The link expired; nothing changed.
   *
   * @param expiredAt when
   */
  record Expired(Instant expiredAt) implements StepUpConfirmation {}

  /** The link is not valid (bad, used, replaced, or sent to an address the subject no longer has); nothing changed. */
  record Invalid() implements StepUpConfirmation {}
}
