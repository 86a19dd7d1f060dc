package org.optin4j.feed;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A registered webhook endpoint and where it stands, as {@link Webhooks#endpoints()} lists it. Carries the ids of its
 * active secrets ({@link WebhookSecret#id()}), never their values.
 *
 * <p>Immutable and thread-safe.
 *
 * @param id the endpoint's id ({@code ep_...})
 * @param url where messages are POSTed
 * @param description what the operator called it
 * @param secretIds the ids of the active secrets, oldest first; each message is signed with all of them
 * @param createdAt when it was registered
 * @param enabled whether messages are delivered to it
 * @param disabledAt when it was disabled, or {@code null} while enabled
 * @param disabledReason why it was disabled (by an operator, or after failing for {@code maxAge}), or {@code null}
 * @param lastFailureAt when a delivery attempt last failed, or {@code null}
 * @param lastFailure what that failure was (status or error class, never the response body), or {@code null}
 * @param cursor how far in the feed its deliveries have been queued
 */
public record WebhookEndpoint(
    String id,
    URI url,
    String description,
    List<String> secretIds,
    Instant createdAt,
    boolean enabled,
    Instant disabledAt,
    String disabledReason,
    Instant lastFailureAt,
    String lastFailure,
    FeedCursor cursor) {

  /** Validates and copies the components. */
  public WebhookEndpoint {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(description, "description");
    secretIds = List.copyOf(secretIds);
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(cursor, "cursor");
  }
}
