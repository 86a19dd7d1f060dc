package org.optin4j.feed;

import java.time.Instant;
import java.util.Objects;

/**
 * A webhook message whose signature {@link WebhookVerifier} checked: its id (the idempotency key: the same on every
 * retry and redelivery), the time of the attempt, and the body exactly as received.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the {@code webhook-id}, for optin4j's feed {@code msg_} and the entry's position
 * @param timestamp the {@code webhook-timestamp}
 * @param body the body, as the UTF-8 text that was signed
 */
public record WebhookMessage(String id, Instant timestamp, String body) {

  /** Validates the components. */
  public WebhookMessage {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(body, "body");
  }
}
