package org.optin4j.campaign;

/**
 * Where the mails of a campaign stand, counted from the outbox (finished rows are purged after the outbox retention,
 * so ask within it).
 *
 * <p>Immutable and thread-safe.
 *
 * @param campaign the campaign
 * @param waiting queued or being sent
 * @param sent handed to the mail server
 * @param skipped not sent because the consent was withdrawn, restricted, expired or erased (or the address changed)
 *     after the campaign was queued
 * @param failed refused by the mail server for good
 */
public record CampaignReport(Campaign campaign, int waiting, int sent, int skipped, int failed) {

  /**
   * Returns how long the mails still waiting take at a sending rate: {@link #waiting()} divided by the rate, rounded
   * up to the second. Pass the mailer's sustained rate ({@code SendingRate.sustainedPerSecond()}, which accounts for
   * the minute and hour caps). Other mail that shares the rate (confirmations, other campaigns) is not counted, so
   * this is the least it takes.
   *
   * @param messagesPerSecond the sustained sending rate; {@code Double.POSITIVE_INFINITY} for none
   * @return the time left; zero if nothing waits; empty if the rate is unlimited (the mail server sets the pace)
   */
  public java.util.Optional<java.time.Duration> timeToFinish(double messagesPerSecond) {
    if (!(messagesPerSecond > 0)) {
      throw new IllegalArgumentException(
          "messagesPerSecond must be positive, was " + messagesPerSecond);
    }
    if (waiting == 0) {
      return java.util.Optional.of(java.time.Duration.ZERO);
    }
    if (Double.isInfinite(messagesPerSecond)) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(
        java.time.Duration.ofSeconds((long) Math.ceil(waiting / messagesPerSecond)));
  }

  /**
   * Returns when the campaign will have sent its waiting mails at a sending rate: {@code now} plus
   * {@link #timeToFinish}.
   *
   * @param messagesPerSecond the sustained sending rate; {@code Double.POSITIVE_INFINITY} for none
   * @param now the current time
   * @return the estimated finish; empty if the rate is unlimited and mails still wait
   */
  public java.util.Optional<java.time.Instant> estimatedFinish(
      double messagesPerSecond, java.time.Instant now) {
    java.util.Objects.requireNonNull(now, "now");
    return timeToFinish(messagesPerSecond).map(now::plus);
  }
}
