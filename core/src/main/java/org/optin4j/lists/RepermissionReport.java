package org.optin4j.lists;

/**
 * Where re-permission of unproven imported subscribers stands ({@link Imports#repermission}): GDPR Art. 7(1) asks the
 * controller to show consent, and an imported subscription without proof of confirmation shows none until the person
 * confirms. Counts are of requests the store still holds: a lapsed subscriber who is purged by the retention job (the
 * unconfirmed grace after the hold) is no longer counted. Immutable and thread-safe.
 *
 * @param unproven imported requests still open (not confirmed, not lapsed): waiting for a mail or for the person
 * @param mailed imported requests that re-permission mailed, whatever became of them since
 * @param confirmed of those mailed, how many the person confirmed (their consent is proven now)
 * @param lapsed of those mailed, how many ran out of their hold unconfirmed (expired; purged later)
 * @param throttled how many this call left unmailed because the confirmation-mail cap of their inbox was full (0 in
 *     {@link Imports#repermissionProgress}); a later call mails them
 */
public record RepermissionReport(
    int unproven, int mailed, int confirmed, int lapsed, int throttled) {

  /** Validates the counts. */
  public RepermissionReport {
    if (unproven < 0 || mailed < 0 || confirmed < 0 || lapsed < 0 || throttled < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    if (confirmed + lapsed > mailed) {
      throw new IllegalArgumentException("confirmed and lapsed are parts of mailed");
    }
  }

  /**
   * How many of those mailed have not answered yet and still may.
   *
   * @return mailed minus confirmed and lapsed
   */
  public int awaitingAnswer() {
    return mailed - confirmed - lapsed;
  }
}
