package org.optin4j.internal;

import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.WebhookEndpoint;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.feed.Webhooks;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.WebhookDelivery;
import org.optin4j.spi.WebhookSubscription;

/**
 * The {@link Webhooks} facet over the store's webhooks part: every change locks the endpoint row first, as fan-out
 * does, so an operator's change and the queuing of deliveries never overwrite each other. Immutable and thread-safe.
 */
public final class StoredWebhooks implements Webhooks {
  /** The most active secrets an endpoint holds. */
  static final int MAX_SECRETS = 10;

  private final ConsentStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final WebhookSecretSeal seal;
  private final WebhookDispatcher dispatcher;
  private final boolean allowLoopbackHttp;

  /**
   * Creates the facet.
   *
   * @param store the store
   * @param clock the clock
   * @param random endpoint ids
   * @param seal seals secrets for the store
   * @param dispatcher delivers
   * @param allowLoopbackHttp whether plain http to loopback addresses is allowed
   */
  public StoredWebhooks(
      ConsentStore store,
      Clock clock,
      SecureRandom random,
      WebhookSecretSeal seal,
      WebhookDispatcher dispatcher,
      boolean allowLoopbackHttp) {
    this.store = store;
    this.clock = clock;
    this.random = random;
    this.seal = seal;
    this.dispatcher = dispatcher;
    this.allowLoopbackHttp = allowLoopbackHttp;
  }

  @Override
  public WebhookEndpoint register(URI url, String description, List<WebhookSecret> secrets) {
    checkUrl(url);
    Objects.requireNonNull(description, "description");
    if (description.length() > 200) {
      throw new IllegalArgumentException(
          "a webhook description has at most 200 characters, was " + description.length());
    }
    List<WebhookSecret> initial = List.copyOf(secrets);
    if (initial.isEmpty() || initial.size() > MAX_SECRETS) {
      throw new IllegalArgumentException(
          "an endpoint has 1 to " + MAX_SECRETS + " secrets, was " + initial.size());
    }
    if (initial.stream().map(WebhookSecret::id).distinct().count() != initial.size()) {
      throw new IllegalArgumentException("the same secret is given twice");
    }
    byte[] idBytes = new byte[12];
    random.nextBytes(idBytes);
    String id = "ep_" + HexFormat.of().formatHex(idBytes);
    WebhookSubscription s =
        new WebhookSubscription(
            id,
            url.toString(),
            description,
            initial.stream().map(secret -> seal.seal(id, secret)).toList(),
            clock.instant(),
            true,
            null,
            null,
            null,
            null,
            0);
    store.inTransaction(
        tx -> {
          tx.webhooks().insertSubscription(s);
          return null;
        });
    return endpointOf(s);
  }

  @Override
  public WebhookEndpoint addSecret(String endpointId, WebhookSecret secret) {
    Objects.requireNonNull(secret, "secret");
    return change(
        endpointId,
        s -> {
          if (s.sealedSecrets().stream()
              .anyMatch(x -> WebhookSecretSeal.idOf(x).equals(secret.id()))) {
            throw new IllegalArgumentException(
                "endpoint " + endpointId + " holds this secret already");
          }
          if (s.sealedSecrets().size() >= MAX_SECRETS) {
            throw new IllegalArgumentException(
                "endpoint " + endpointId + " holds " + MAX_SECRETS + " secrets; retire one first");
          }
          List<String> boxes = new ArrayList<>(s.sealedSecrets());
          boxes.add(seal.seal(endpointId, secret));
          return s.withSecrets(boxes);
        });
  }

  @Override
  public WebhookEndpoint retireSecret(String endpointId, String secretId) {
    Objects.requireNonNull(secretId, "secretId");
    return change(
        endpointId,
        s -> {
          List<String> kept =
              s.sealedSecrets().stream()
                  .filter(x -> !WebhookSecretSeal.idOf(x).equals(secretId))
                  .toList();
          if (kept.size() == s.sealedSecrets().size()) {
            throw new IllegalArgumentException(
                "endpoint " + endpointId + " has no secret " + secretId);
          }
          if (kept.isEmpty()) {
            throw new IllegalArgumentException(
                "the last secret of endpoint "
                    + endpointId
                    + " cannot be retired; add another first");
          }
          return s.withSecrets(kept);
        });
  }

  @Override
  public WebhookEndpoint disable(String endpointId, String reason) {
    Objects.requireNonNull(reason, "reason");
    String kept = reason.length() > 500 ? reason.substring(0, 500) : reason;
    return change(endpointId, s -> s.withEnabled(false, clock.instant(), kept));
  }

  @Override
  public WebhookEndpoint enable(String endpointId) {
    Instant now = clock.instant();
    return change(
        endpointId,
        (tx, s) -> {
          tx.webhooks().restartDeliveries(endpointId, now);
          return s.withEnabled(true, null, null);
        });
  }

  @Override
  public List<WebhookEndpoint> endpoints() {
    return store.read(tx -> tx.webhooks().subscriptions()).stream()
        .map(StoredWebhooks::endpointOf)
        .toList();
  }

  @Override
  public Optional<WebhookEndpoint> endpoint(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    return store.read(tx -> tx.webhooks().subscription(endpointId)).map(StoredWebhooks::endpointOf);
  }

  @Override
  public int redeliver(String endpointId, FeedCursor from) {
    Objects.requireNonNull(from, "from");
    Instant now = clock.instant();
    int[] count = {0};
    change(
        endpointId,
        (tx, s) -> {
          long position = from.position();
          while (position < s.feedPosition()) {
            List<FeedEntry> page = tx.feed().after(position, StoredFeed.MAX_LIMIT);
            List<WebhookDelivery> again =
                page.stream()
                    .filter(e -> e.position() <= s.feedPosition())
                    .map(e -> WebhookDelivery.pending(endpointId, e, now))
                    .toList();
            if (again.isEmpty()) {
              break;
            }
            tx.webhooks().putDeliveries(again);
            count[0] += again.size();
            position = again.get(again.size() - 1).entry().position();
          }
          return s;
        });
    return count[0];
  }

  @Override
  public int deliverNow() {
    return dispatcher.deliverNow();
  }

  /** Refuses a URL that is not https (or, if allowed, http to a loopback address), or that carries credentials. */
  private void checkUrl(URI url) {
    Objects.requireNonNull(url, "url");
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!url.isAbsolute()
        || url.getHost() == null
        || url.getRawUserInfo() != null
        || url.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "a webhook URL is absolute, with a host, without user info or fragment: " + url);
    }
    if (url.toString().length() > 2000) {
      throw new IllegalArgumentException("a webhook URL has at most 2000 characters");
    }
    if (scheme.equals("https")) {
      return;
    }
    if (scheme.equals("http") && allowLoopbackHttp && isLoopback(url.getHost())) {
      return;
    }
    throw new IllegalArgumentException(
        "a webhook URL uses https"
            + (allowLoopbackHttp ? " (plain http only to a loopback address)" : "")
            + ": "
            + url);
  }

  /** Loopback by its literal name or address only: no DNS look-up decides it. */
  private static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.startsWith("127.") || h.equals("[::1]");
  }

  private interface Change {
    WebhookSubscription apply(ConsentStore.Transaction tx, WebhookSubscription s);
  }

  private WebhookEndpoint change(String endpointId, UnaryOperator<WebhookSubscription> change) {
    return change(endpointId, (tx, s) -> change.apply(s));
  }

  private WebhookEndpoint change(String endpointId, Change change) {
    Objects.requireNonNull(endpointId, "endpointId");
    WebhookSubscription changed =
        store.inTransaction(
            tx -> {
              WebhookSubscription s =
                  tx.webhooks()
                      .lockSubscription(endpointId)
                      .orElseThrow(
                          () -> new IllegalArgumentException("no webhook endpoint " + endpointId));
              WebhookSubscription next = change.apply(tx, s);
              if (!next.equals(s)) {
                tx.webhooks().updateSubscription(next);
              }
              return next;
            });
    return endpointOf(changed);
  }

  static WebhookEndpoint endpointOf(WebhookSubscription s) {
    return new WebhookEndpoint(
        s.id(),
        URI.create(s.url()),
        s.description(),
        s.sealedSecrets().stream().map(WebhookSecretSeal::idOf).toList(),
        s.createdAt(),
        s.enabled(),
        s.disabledAt(),
        s.disabledReason(),
        s.lastFailureAt(),
        s.lastFailure(),
        new FeedCursor(s.feedPosition()));
  }
}
