package org.optin4j;

import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;

/**
 * The outcome of {@link OptIn#request(ConsentRequest)}.
 *
 * <p>A web page must answer every outcome but {@link InvalidAddress} the same way ("check your inbox"), so that
 * nobody learns whether an address is known (security rule 8); the variants exist for the app's logs and metrics.
 */
public sealed interface RequestResult {

  /**
   * The request was recorded. Purposes that need double opt-in are pending, and one confirmation mail was queued for
   * all of them; purposes configured without double opt-in were confirmed at once.
   *
   * @param subjectId the subject
   * @param requestId the request
   * @param pending the purposes now waiting for confirmation (a confirmation mail is queued if not empty)
   * @param confirmedNow purposes without double opt-in, confirmed by this request
   * @param alreadyConfirmed purposes of the request that were confirmed before and stay so
   */
  record Accepted(
      SubjectId subjectId,
      String requestId,
      Set<PurposeId> pending,
      Set<PurposeId> confirmedNow,
      Set<PurposeId> alreadyConfirmed)
      implements RequestResult {
    /** Copies the sets. */
    public Accepted {
      pending = Set.copyOf(new TreeSet<>(pending));
      confirmedNow = Set.copyOf(new TreeSet<>(confirmedNow));
      alreadyConfirmed = Set.copyOf(new TreeSet<>(alreadyConfirmed));
    }
  }

  /**
   * Every purpose of the request is confirmed already; nothing was queued.
   *
   * @param subjectId the subject
   */
  record AlreadyConfirmed(SubjectId subjectId) implements RequestResult {}

  /**
   * The per-address cap on confirmation mails is reached; nothing was recorded or queued (security rule 11).
   *
   * @param retryAfter when another confirmation mail may go to this address
   */
  record Throttled(Instant retryAfter) implements RequestResult {}

  /**
   * The address cannot be taken: it is not a valid address (an address change, which takes it as typed), or mail to it
   * cannot be sent ({@link OptIn#canMail(EmailAddress)}); nothing was recorded.
   *
   * @param reason why, free of the input itself
   */
  record InvalidAddress(String reason) implements RequestResult {}

  /**
   * The request named a notice that is unknown, not current (the texts changed while the form was open), in another
   * language, or not covering every requested purpose; nothing was recorded. Show the form again with the current
   * notice.
   */
  record StaleNotice() implements RequestResult {}
}
