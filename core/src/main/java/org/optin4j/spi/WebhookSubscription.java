package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A webhook endpoint as the store keeps it ({@link WebhookStore}). The secrets are sealed by the library before they
 * reach the store (encrypted under a key derived from the installation's pepper, which the store never sees), so a
 * copy of the database alone does not give them away. Immutable and thread-safe.
 *
 * @param id the endpoint id
 * @param url the URL, as text
 * @param description the operator's description
 * @param sealedSecrets the sealed secrets, opaque to the store, oldest first
 * @param createdAt when it was registered
 * @param enabled whether deliveries go out
 * @param disabledAt when it was disabled, or {@code null}
 * @param disabledReason why, or {@code null}
 * @param lastFailureAt when an attempt last failed, or {@code null}
 * @param lastFailure what failed, or {@code null}
 * @param feedPosition the feed position up to which deliveries have been queued
 */
public record WebhookSubscription(
    String id,
    String url,
    String description,
    List<String> sealedSecrets,
    Instant createdAt,
    boolean enabled,
    Instant disabledAt,
    String disabledReason,
    Instant lastFailureAt,
    String lastFailure,
    long feedPosition) {

  /** Validates and copies the components. */
  public WebhookSubscription {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(description, "description");
    sealedSecrets = List.copyOf(sealedSecrets);
    Objects.requireNonNull(createdAt, "createdAt");
    if (feedPosition < 0) {
      throw new IllegalArgumentException("feedPosition must not be negative, was " + feedPosition);
    }
  }

  /**
   * Returns this endpoint with deliveries queued up to another feed position.
   *
   * @param position the new position
   * @return the changed endpoint
   */
  public WebhookSubscription withFeedPosition(long position) {
    return new WebhookSubscription(
        id,
        url,
        description,
        sealedSecrets,
        createdAt,
        enabled,
        disabledAt,
        disabledReason,
        lastFailureAt,
        lastFailure,
        position);
  }

  /**
   * Returns this endpoint with other sealed secrets.
   *
   * @param boxes the sealed secrets
   * @return the changed endpoint
   */
  public WebhookSubscription withSecrets(List<String> boxes) {
    return new WebhookSubscription(
        id,
        url,
        description,
        boxes,
        createdAt,
        enabled,
        disabledAt,
        disabledReason,
        lastFailureAt,
        lastFailure,
        feedPosition);
  }

  /**
   * Returns this endpoint enabled, or disabled at a time for a reason.
   *
   * @param on whether enabled
   * @param at when disabled, {@code null} if enabled
   * @param reason why disabled, {@code null} if enabled
   * @return the changed endpoint
   */
  public WebhookSubscription withEnabled(boolean on, Instant at, String reason) {
    return new WebhookSubscription(
        id,
        url,
        description,
        sealedSecrets,
        createdAt,
        on,
        at,
        reason,
        lastFailureAt,
        lastFailure,
        feedPosition);
  }

  /**
   * Returns this endpoint with a failed attempt noted.
   *
   * @param at when
   * @param failure what failed
   * @return the changed endpoint
   */
  public WebhookSubscription withFailure(Instant at, String failure) {
    return new WebhookSubscription(
        id,
        url,
        description,
        sealedSecrets,
        createdAt,
        enabled,
        disabledAt,
        disabledReason,
        at,
        failure,
        feedPosition);
  }
}
