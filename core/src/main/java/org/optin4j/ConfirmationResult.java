package org.optin4j;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The outcome of {@link OptIn#confirm(String, ConfirmationChoice, Evidence)} and
 * {@link OptIn#decline(String, Evidence)}.
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

  /**
   * The choice named purposes this request did not ask for (a tampered form, or a page built for another request);
   * nothing was recorded and the link still works. Show the page again.
   *
   * @param purposes the chosen purposes that are not part of the request
   */
  record NotOffered(Set<PurposeId> purposes) implements ConfirmationResult {
    /** Copies the set. */
    public NotOffered {
      purposes = Set.copyOf(new TreeSet<>(purposes));
    }
  }
}
