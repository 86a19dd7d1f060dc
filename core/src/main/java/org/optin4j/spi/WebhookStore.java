package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The part of a unit of work that keeps webhook endpoints and their deliveries ({@link org.optin4j.feed.Webhooks}).
 *
 * <p>Deliveries are queued by advancing an endpoint's {@link WebhookSubscription#feedPosition()} in the same unit that
 * {@link #putDeliveries puts} them, with the endpoint row locked ({@link #lockSubscription} or
 * {@link #lockSubscriptionsToFanOut}), so a crash neither loses nor doubles one. They are claimed under a lease so
 * that one node at a time holds each, and per endpoint and subject only the pending delivery of the lowest position
 * may be claimed: a subject's messages go out in feed order, one at a time, while other subjects go on.
 *
 * <p>Obtained from {@link ConsentStore.Transaction#webhooks()}; valid only while its unit runs, on the thread that
 * runs it. Not thread-safe. Writes throw {@link IllegalStateException} in a unit that only reads.
 */
public interface WebhookStore {

  /**
   * Stores a new endpoint.
   *
   * @param subscription the endpoint
   * @throws DuplicateKeyException if its id is taken
   */
  void insertSubscription(WebhookSubscription subscription);

  /**
   * Replaces a stored endpoint (lock it first in the same unit).
   *
   * @param subscription the endpoint
   * @throws org.optin4j.StoreException if it is not stored
   */
  void updateSubscription(WebhookSubscription subscription);

  /**
   * Reads an endpoint.
   *
   * @param id the endpoint id
   * @return the endpoint, or empty
   */
  Optional<WebhookSubscription> subscription(String id);

  /**
   * Reads an endpoint and locks it until the unit ends (waiting for a unit that holds it).
   *
   * @param id the endpoint id
   * @return the endpoint, or empty
   */
  Optional<WebhookSubscription> lockSubscription(String id);

  /**
   * Returns all endpoints, by creation time then id.
   *
   * @return the endpoints
   */
  List<WebhookSubscription> subscriptions();

  /**
   * Locks enabled endpoints that no other unit holds (others are skipped, not waited for), by id, for queuing their
   * deliveries.
   *
   * @param limit the most to lock
   * @return the locked endpoints
   */
  List<WebhookSubscription> lockSubscriptionsToFanOut(int limit);

  /**
   * Stores deliveries; one whose endpoint and position are stored already is replaced (a redelivery starts it anew).
   *
   * @param deliveries the deliveries
   */
  void putDeliveries(List<WebhookDelivery> deliveries);

  /**
   * Claims due deliveries of enabled endpoints: {@code PENDING}, due at {@code now}, without a lease or with one that
   * ran out, and with no pending delivery of a lower position for the same endpoint and subject. Each claimed one gets
   * the lease; one held by a concurrent unit is skipped, never waited for.
   *
   * @param now the current time
   * @param leaseUntil the lease end, after {@code now}
   * @param limit the most to claim
   * @return the claimed deliveries, with their lease, by due time
   */
  List<WebhookDelivery> claimDeliveries(Instant now, Instant leaseUntil, int limit);

  /**
   * Records a claimed delivery's outcome, if the claim still holds: its lease ends exactly at {@code heldUntil}.
   *
   * @param delivery the new state
   * @param heldUntil the lease the caller claimed it with
   * @return whether it was recorded (false: the lease ran out and another node claimed it)
   */
  boolean recordDelivery(WebhookDelivery delivery, Instant heldUntil);

  /**
   * Starts an endpoint's pending deliveries anew: no attempts, no first attempt, no lease, due at {@code now}.
   *
   * @param endpointId the endpoint
   * @param now the current time
   * @return how many
   */
  int restartDeliveries(String endpointId, Instant now);

  /**
   * Returns an endpoint's deliveries after a position, ascending.
   *
   * @param endpointId the endpoint
   * @param afterPosition only entries above this position
   * @param limit the most to return
   * @return the deliveries
   */
  List<WebhookDelivery> deliveries(String endpointId, long afterPosition, int limit);

  /**
   * Deletes delivered and failed deliveries finished before a cut-off.
   *
   * @param before the cut-off
   * @param limit the most to delete
   * @return how many were deleted
   */
  int deleteFinishedBefore(Instant before, int limit);
}
