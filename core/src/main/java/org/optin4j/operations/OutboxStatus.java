package org.optin4j.operations;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * How the outbox is doing, for gauges and health checks: the backlog from the store, and what this node's dispatcher
 * saw. Counts and times only, no personal data. Obtain it from {@link Operations#outboxStatus(Duration)}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param backlog mails not yet sent: queued (due or waiting for a retry) or claimed by a dispatcher
 * @param failed mails failed for good that are still on file (kept for the outbox retention)
 * @param countedAt when the store counted {@code backlog} and {@code failed}
 * @param dispatcherLookedAt when this node's dispatcher last looked for due mail (and the store answered), or
 *     {@code null} if it has not yet (not started, and {@link Operations#dispatchNow()} not called)
 * @param oldestDueAt when the oldest mail that look found was due, or {@code null} if it found none
 * @param lastSentAt when a mail this node sent was last accepted, or {@code null}
 * @param lastPermanentFailureAt when a mail this node sent last failed for good, or {@code null}
 */
public record OutboxStatus(
    long backlog,
    long failed,
    Instant countedAt,
    Instant dispatcherLookedAt,
    Instant oldestDueAt,
    Instant lastSentAt,
    Instant lastPermanentFailureAt) {

  /** Validates the components. */
  public OutboxStatus {
    if (backlog < 0 || failed < 0) {
      throw new IllegalArgumentException("counts must not be negative");
    }
    Objects.requireNonNull(countedAt, "countedAt");
    if (oldestDueAt != null && dispatcherLookedAt == null) {
      throw new IllegalArgumentException("oldestDueAt needs dispatcherLookedAt");
    }
  }

  /**
   * Returns how long the oldest due mail has waited at most, as this node's dispatcher knows it: the age of the
   * oldest mail its last look found due, or, if that look found none, the time since it (a mail may have fallen due
   * since). A dispatcher that keeps up keeps this near its polling interval; one that is stuck (its store
   * unreachable, its mail server hanging, its thread gone) lets it grow. Empty if the dispatcher has not looked yet.
   *
   * @param now the current time
   * @return the age, never negative
   */
  public Optional<Duration> oldestDueAge(Instant now) {
    if (dispatcherLookedAt == null) {
      return Optional.empty();
    }
    Duration age = Duration.between(oldestDueAt == null ? dispatcherLookedAt : oldestDueAt, now);
    return Optional.of(age.isNegative() ? Duration.ZERO : age);
  }

  /**
   * Tells whether the last mail this node sent that got an answer failed for good, within {@code window} before
   * {@code now}: the mail server refuses what optin4j sends (a broken sender address, a blocked host), or the
   * addresses are bad. A mail accepted since ends it.
   *
   * @param now the current time
   * @param window how recent a failure counts
   * @return whether the outbox is failing
   */
  public boolean failing(Instant now, Duration window) {
    return lastPermanentFailureAt != null
        && !lastPermanentFailureAt.isBefore(now.minus(window))
        && (lastSentAt == null || lastSentAt.isBefore(lastPermanentFailureAt));
  }
}
