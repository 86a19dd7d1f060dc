package org.optin4j;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of {@link OptIn#confirm(String, java.util.Set, Evidence)}.
 *
 * <p>Every kind of bad token (tampered, wrong kind, unknown key, superseded by a resend) is the one {@link Invalid}
 * answer, so that nothing is learnt by probing (security rule 5).
 */
public sealed interface ConfirmationResult {

  /**
   * The chosen purposes are now confirmed.
   *
   * @param subjectId the subject
   * @param confirmed the confirmed consents
   */
  record Confirmed(SubjectId subjectId, List<Consent> confirmed) implements ConfirmationResult {
    /** Copies the list. */
    public Confirmed {
      confirmed = List.copyOf(confirmed);
    }
  }

  /**
   * The request was confirmed before; nothing new was recorded.
   *
   * @param subjectId the subject
   */
  record AlreadyConfirmed(SubjectId subjectId) implements ConfirmationResult {}

  /**
   * The link expired. Offer {@link OptIn#resendConfirmation(String)} with the same token.
   *
   * @param expiredAt when it expired
   */
  record Expired(Instant expiredAt) implements ConfirmationResult {}

  /** The token is not a valid, current confirmation token. */
  record Invalid() implements ConfirmationResult {}
}
