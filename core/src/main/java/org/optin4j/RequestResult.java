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
   * Pending consents were recorded and one confirmation mail was queued for all of them.
   *
   * @param subjectId the subject
   * @param requestId the request
   * @param pending the purposes now waiting for confirmation
   * @param alreadyConfirmed purposes of the request that were confirmed before and stay so
   */
  record Pending(SubjectId subjectId, String requestId, Set<PurposeId> pending, Set<PurposeId> alreadyConfirmed)
      implements RequestResult {
    /** Copies the sets. */
    public Pending {
      pending = Set.copyOf(new TreeSet<>(pending));
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
   * The per-address cap on confirmation mails is reached; nothing was recorded or queued (rule 11).
   *
   * @param retryAfter when another confirmation mail may go to this address
   */
  record Throttled(Instant retryAfter) implements RequestResult {}

  /**
   * The address is not a valid address; nothing was recorded.
   *
   * @param reason why, free of the input itself
   */
  record InvalidAddress(String reason) implements RequestResult {}

  /**
   * The request named a notice that is no longer current (the texts changed while the form was open); nothing was
   * recorded. Show the form again with the current notice.
   */
  record StaleNotice() implements RequestResult {}
}
