package org.optin4j.spi;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.feed.FeedEntry;

/**
 * One feed entry to deliver to one webhook endpoint ({@link WebhookStore}); keyed by the endpoint and the entry's
 * position. Immutable and thread-safe.
 *
 * @param endpointId the endpoint
 * @param entry the feed entry (stored with the delivery, so that feed retention cannot take it away meanwhile)
 * @param status where it stands
 * @param attempts how many attempts failed so far
 * @param firstAttemptAt when it was first tried, or {@code null}
 * @param nextAttemptAt when it is due
 * @param leaseUntil until when a node holds its claim, or {@code null}
 * @param finishedAt when it was delivered or given up, or {@code null}
 * @param lastError the last failure (status or error class), or {@code null}
 */
public record WebhookDelivery(
    String endpointId,
    FeedEntry entry,
    Status status,
    int attempts,
    Instant firstAttemptAt,
    Instant nextAttemptAt,
    Instant leaseUntil,
    Instant finishedAt,
    String lastError) {

  /** Where a delivery stands. */
  public enum Status {
    /** Waiting, or claimed under a lease. */
    PENDING,
    /** The endpoint answered 2xx. */
    DELIVERED,
    /** Given up after the maximum age. */
    FAILED
  }

  /** Validates the components. */
  public WebhookDelivery {
    Objects.requireNonNull(endpointId, "endpointId");
    Objects.requireNonNull(entry, "entry");
    if (entry.position() <= 0) {
      throw new IllegalArgumentException("a delivery's entry has a position");
    }
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(nextAttemptAt, "nextAttemptAt");
    if (attempts < 0) {
      throw new IllegalArgumentException("attempts must not be negative, was " + attempts);
    }
  }

  /**
   * Returns a new pending delivery of an entry, due at once.
   *
   * @param endpointId the endpoint
   * @param entry the stored entry
   * @param now now
   * @return the delivery
   */
  public static WebhookDelivery pending(String endpointId, FeedEntry entry, Instant now) {
    return new WebhookDelivery(endpointId, entry, Status.PENDING, 0, null, now, null, null, null);
  }

  /**
   * Returns the message id of this delivery ({@code webhook-id}): {@code msg_} and the entry's position.
   *
   * @return the id
   */
  public String messageId() {
    return "msg_" + entry.position();
  }

  /**
   * Returns this delivery claimed until {@code until}.
   *
   * @param until the lease end
   * @return the claimed delivery
   */
  public WebhookDelivery leased(Instant until) {
    return new WebhookDelivery(
        endpointId,
        entry,
        status,
        attempts,
        firstAttemptAt,
        nextAttemptAt,
        until,
        finishedAt,
        lastError);
  }

  /**
   * Returns this delivery delivered at {@code now}, its lease ended.
   *
   * @param now the time of the 2xx answer
   * @return the delivered delivery
   */
  public WebhookDelivery delivered(Instant now) {
    return new WebhookDelivery(
        endpointId,
        entry,
        Status.DELIVERED,
        attempts,
        first(now),
        nextAttemptAt,
        null,
        now,
        lastError);
  }

  /**
   * Returns this delivery after a failed attempt at {@code now}, due again at {@code next}.
   *
   * @param now the attempt's time
   * @param next when to try again
   * @param error what failed
   * @return the delivery waiting for its retry
   */
  public WebhookDelivery retryAt(Instant now, Instant next, String error) {
    return new WebhookDelivery(
        endpointId, entry, Status.PENDING, attempts + 1, first(now), next, null, null, error);
  }

  /**
   * Returns this delivery given up at {@code now}.
   *
   * @param now the time
   * @param error the last failure
   * @return the failed delivery
   */
  public WebhookDelivery failed(Instant now, String error) {
    return new WebhookDelivery(
        endpointId,
        entry,
        Status.FAILED,
        attempts + 1,
        first(now),
        nextAttemptAt,
        null,
        now,
        error);
  }

  private Instant first(Instant now) {
    return firstAttemptAt == null ? now : firstAttemptAt;
  }
}
