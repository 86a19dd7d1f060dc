package org.optin4j.feed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the webhook delivery runs, set with {@link org.optin4j.OptIn.Builder#webhooks(WebhookSettings)}. Start from
 * {@link #defaults()} and change what you need with the {@code with...} methods.
 *
 * <p>Immutable and thread-safe.
 *
 * @param pollInterval how often a node looks for new feed entries and due deliveries (default 2 s)
 * @param batchSize deliveries claimed at once (default 10)
 * @param lease how long a claim holds (default 5 min); must cover a batch at the HTTP timeouts
 * @param connectTimeout HTTP connect timeout (default 5 s)
 * @param requestTimeout HTTP request timeout, until the response headers (default 10 s)
 * @param backoff the waits after the first, second, ... failed attempt; the last repeats (default 5 s, 5 min, 30 min,
 *     2 h, 5 h, 10 h); each wait is jittered down by up to a fifth
 * @param maxAge how long after its first attempt a delivery is given up and its endpoint disabled (default 3 days)
 * @param allowLoopbackHttp whether plain http to a loopback address is allowed (tests, a local sample; default no)
 */
public record WebhookSettings(
    Duration pollInterval,
    int batchSize,
    Duration lease,
    Duration connectTimeout,
    Duration requestTimeout,
    List<Duration> backoff,
    Duration maxAge,
    boolean allowLoopbackHttp) {

  /** Validates the settings. */
  public WebhookSettings {
    positive(pollInterval, "pollInterval");
    if (batchSize < 1 || batchSize > 100) {
      throw new IllegalArgumentException("batchSize must be 1 to 100, was " + batchSize);
    }
    positive(lease, "lease");
    positive(connectTimeout, "connectTimeout");
    positive(requestTimeout, "requestTimeout");
    backoff = List.copyOf(backoff);
    if (backoff.isEmpty()) {
      throw new IllegalArgumentException("backoff needs at least one wait");
    }
    backoff.forEach(b -> positive(b, "a backoff wait"));
    positive(maxAge, "maxAge");
    Duration batch = connectTimeout.plus(requestTimeout).multipliedBy(batchSize);
    if (lease.compareTo(batch) <= 0) {
      throw new IllegalArgumentException(
          "lease must be longer than batchSize x (connectTimeout + requestTimeout) = "
              + batch
              + ", was "
              + lease);
    }
  }

  /**
   * Returns the defaults.
   *
   * @return the default settings
   */
  public static WebhookSettings defaults() {
    return new WebhookSettings(
        Duration.ofSeconds(2),
        10,
        Duration.ofMinutes(5),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        List.of(
            Duration.ofSeconds(5),
            Duration.ofMinutes(5),
            Duration.ofMinutes(30),
            Duration.ofHours(2),
            Duration.ofHours(5),
            Duration.ofHours(10)),
        Duration.ofDays(3),
        false);
  }

  /**
   * Returns these settings with another poll interval.
   *
   * @param interval positive
   * @return the new settings
   */
  public WebhookSettings withPollInterval(Duration interval) {
    return new WebhookSettings(
        interval,
        batchSize,
        lease,
        connectTimeout,
        requestTimeout,
        backoff,
        maxAge,
        allowLoopbackHttp);
  }

  /**
   * Returns these settings with another batch size and lease.
   *
   * @param size deliveries per claim, 1 to 100
   * @param leaseDuration how long a claim holds
   * @return the new settings
   */
  public WebhookSettings withClaims(int size, Duration leaseDuration) {
    return new WebhookSettings(
        pollInterval,
        size,
        leaseDuration,
        connectTimeout,
        requestTimeout,
        backoff,
        maxAge,
        allowLoopbackHttp);
  }

  /**
   * Returns these settings with other HTTP timeouts.
   *
   * @param connect the connect timeout
   * @param request the request timeout
   * @return the new settings
   */
  public WebhookSettings withTimeouts(Duration connect, Duration request) {
    return new WebhookSettings(
        pollInterval, batchSize, lease, connect, request, backoff, maxAge, allowLoopbackHttp);
  }

  /**
   * Returns these settings with another retry schedule.
   *
   * @param waits the waits after each failed attempt; the last repeats
   * @param age how long after the first attempt a delivery is given up
   * @return the new settings
   */
  public WebhookSettings withRetries(List<Duration> waits, Duration age) {
    return new WebhookSettings(
        pollInterval,
        batchSize,
        lease,
        connectTimeout,
        requestTimeout,
        new ArrayList<>(waits),
        age,
        allowLoopbackHttp);
  }

  /**
   * Returns these settings allowing plain http to loopback addresses (tests, a local sample).
   *
   * @return the new settings
   */
  public WebhookSettings allowingLoopbackHttp() {
    return new WebhookSettings(
        pollInterval, batchSize, lease, connectTimeout, requestTimeout, backoff, maxAge, true);
  }

  private static void positive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }
}
