package org.optin4j.feed;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * Signed webhooks from the durable {@link Feed}, following the Standard Webhooks specification: every entry of the
 * feed is POSTed to every enabled endpoint as {@code {"type":"consent.confirmed","timestamp":...,"data":{...}}} with
 * the headers {@code webhook-id} (the entry's {@code msg_<position>}, the same on every retry and redelivery: the
 * idempotency key), {@code webhook-timestamp} and {@code webhook-signature} ({@code v1,<base64 HMAC-SHA256>}, one per
 * active secret, space-separated). Obtained from {@link org.optin4j.OptIn#webhooks()}; {@code docs/webhooks.md} has
 * the details.
 *
 * <p>Delivery is at least once, from the store: an endpoint's deliveries are queued in the same transaction that
 * advances its place in the feed, claimed under a lease by one node at a time, retried with exponential backoff and
 * jitter for up to three days from the first attempt; then the delivery is given up and the endpoint disabled with the
 * reason kept. A subject's messages to one endpoint go out one at a time in feed order; other subjects are not held
 * up. Nothing a message carries identifies a person beyond the subject id (no address: GDPR Art. 17 leaves nothing to
 * send after erasure).
 *
 * <p>Endpoint URLs must use https; plain http only to a loopback address, and only if the builder allows it. Thread-
 * safe.
 */
public interface Webhooks {

  /**
   * Registers an endpoint, enabled. Its deliveries start at the beginning of what the feed still holds (the feed
   * retention, 30 days by default); the receiver drops what it does not need by type or time.
   *
   * @param url the https URL to POST to
   * @param description what it is, for the operator; at most 200 characters
   * @param secrets the initial secrets, one to ten
   * @return the endpoint
   * @throws IllegalArgumentException if the URL is not allowed or the secrets or description are invalid
   */
  WebhookEndpoint register(URI url, String description, List<WebhookSecret> secrets);

  /**
   * Adds a secret to an endpoint (a rotation starts: messages are then signed with old and new secrets).
   *
   * @param endpointId the endpoint
   * @param secret the new secret
   * @return the endpoint as it is now
   * @throws IllegalArgumentException if the endpoint is unknown, or already holds ten secrets or this one
   */
  WebhookEndpoint addSecret(String endpointId, WebhookSecret secret);

  /**
   * Retires a secret of an endpoint (a rotation ends): messages are no longer signed with it. The last secret cannot
   * be retired.
   *
   * @param endpointId the endpoint
   * @param secretId the secret's {@link WebhookSecret#id()}
   * @return the endpoint as it is now
   * @throws IllegalArgumentException if the endpoint or the secret is unknown, or it is the last one
   */
  WebhookEndpoint retireSecret(String endpointId, String secretId);

  /**
   * Disables an endpoint: nothing is delivered to it until it is enabled again; its deliveries wait.
   *
   * @param endpointId the endpoint
   * @param reason why, kept with the endpoint
   * @return the endpoint as it is now
   * @throws IllegalArgumentException if the endpoint is unknown
   */
  WebhookEndpoint disable(String endpointId, String reason);

  /**
   * Enables an endpoint: deliveries waiting for it start again as new (attempts and age counted from now).
   *
   * @param endpointId the endpoint
   * @return the endpoint as it is now
   * @throws IllegalArgumentException if the endpoint is unknown
   */
  WebhookEndpoint enable(String endpointId);

  /**
   * Lists the endpoints, oldest first.
   *
   * @return the endpoints
   */
  List<WebhookEndpoint> endpoints();

  /**
   * Finds an endpoint.
   *
   * @param endpointId the endpoint
   * @return the endpoint, or empty
   */
  Optional<WebhookEndpoint> endpoint(String endpointId);

  /**
   * Delivers again, to one endpoint, the entries after a cursor that the feed still holds, up to where its deliveries
   * stand: each as a new delivery with the same {@code webhook-id} as before.
   *
   * @param endpointId the endpoint
   * @param from deliver the entries after this cursor
   * @return how many deliveries were queued
   * @throws IllegalArgumentException if the endpoint is unknown
   */
  int redeliver(String endpointId, FeedCursor from);

  /**
   * Queues the new feed entries and delivers what is due, on the calling thread, until nothing is due (for tests and
   * operator pages; the background delivery does the same after {@link org.optin4j.OptIn#start()}).
   *
   * @return how many messages were delivered
   */
  int deliverNow();
}
