package org.optin4j.operations;

/**
 * What one retention run removed or ended (GDPR Art. 5(1)(e); security rule 21). Counts only, no personal data.
 *
 * @param expiredRequests unconfirmed requests whose link ran out, now expired
 * @param expiredConsents confirmed consents whose fixed retention period ran out, now expired
 * @param purgedSubjects subjects deleted because nothing needs their data any more (unconfirmed signups after the
 *     grace period; ended consents after their proof retention)
 * @param deletedTokens used-token records of tokens that expired anyway
 * @param deletedMails finished outbox rows past the outbox retention
 */
public record PurgeReport(
    int expiredRequests,
    int expiredConsents,
    int purgedSubjects,
    int deletedTokens,
    int deletedMails) {

  /** Returns the sum of all counts. */
  public int total() {
    return expiredRequests + expiredConsents + purgedSubjects + deletedTokens + deletedMails;
  }
}
