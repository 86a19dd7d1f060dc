package org.optin4j.internal;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.WebhookSecret;
import org.optin4j.feed.WebhookSettings;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.WebhookDelivery;
import org.optin4j.spi.WebhookSubscription;

/**
 * Delivers the feed to webhook endpoints (docs/webhooks.md). A round first queues new feed entries per enabled
 * endpoint (its deliveries inserted and its feed position advanced in one transaction, with the endpoint row locked,
 * so a crash neither loses nor doubles one), then claims due deliveries under a lease in one short transaction, POSTs
 * each outside any transaction, and records each outcome in its own transaction under the lease it was claimed with.
 * A node killed mid-delivery leaves its claims to run out; another node (or this one, restarted) then delivers them
 * again, with the same {@code webhook-id}.
 *
 * <p>A failed attempt (not 2xx, a timeout, a refused connection) is retried after the configured waits, jittered; a
 * delivery still failing {@code maxAge} after its first attempt is given up and its endpoint disabled with the reason
 * kept. Thread-safe; one round runs at a time per instance; several nodes may deliver from one store.
 */
public final class WebhookDispatcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WebhookDispatcher.class.getName());

  /** Feed entries queued per endpoint and fan-out transaction. */
  static final int FAN_OUT_PAGE = 500;

  /** How often finished deliveries are purged. */
  private static final Duration PURGE_EVERY = Duration.ofHours(1);

  private final ConsentStore store;
  private final Clock clock;
  private final SecureRandom random;
  private final WebhookSettings settings;
  private final WebhookSecretSeal seal;
  private final HttpClient http;
  private final ReentrantLock round = new ReentrantLock();
  private ScheduledExecutorService executor;
  private volatile boolean closed;
  private volatile Instant lastPurge;

  /**
   * Creates a dispatcher; it does nothing until started or asked to deliver.
   *
   * @param store the store
   * @param clock the clock
   * @param random jitter
   * @param settings the settings
   * @param seal opens the endpoints' secrets
   */
  public WebhookDispatcher(
      ConsentStore store,
      Clock clock,
      SecureRandom random,
      WebhookSettings settings,
      WebhookSecretSeal seal) {
    this.store = store;
    this.clock = clock;
    this.random = random;
    this.settings = settings;
    this.seal = seal;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(settings.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Starts delivering in the background, on a thread of its own (a slow endpoint holds up no other work). */
  public synchronized void start() {
    if (executor == null && !closed) {
      executor =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "optin4j-webhooks");
                t.setDaemon(true);
                return t;
              });
      long ms = settings.pollInterval().toMillis();
      executor.scheduleWithFixedDelay(this::roundsSafely, 0, ms, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Stops after the request on the wire (waiting up to 5 s for it); claims not yet delivered run out with their lease.
   * Idempotent.
   */
  @Override
  public synchronized void close() {
    closed = true;
    if (executor != null) {
      executor.shutdown();
      try {
        // As the outbox: at most 5 s for the request on the wire; a claim left behind runs out with
        // its lease.
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void roundsSafely() {
    try {
      deliverNow();
    } catch (RuntimeException e) {
      // Keep the schedule alive; the next round retries. No personal data in the message.
      LOG.log(
          System.Logger.Level.ERROR, "webhook delivery round failed: " + e.getClass().getName());
    }
  }

  /**
   * Queues new entries and delivers due deliveries on the calling thread until none is due.
   *
   * @return how many were delivered
   */
  public int deliverNow() {
    round.lock();
    try {
      while (fanOut() > 0) {
        // more entries than one page: go on
      }
      int delivered = 0;
      while (!closed) {
        Batch b = deliverBatch();
        delivered += b.delivered;
        // Not only while batches are full: a delivery done may free its subject's next one.
        if (b.claimed == 0 || b.interrupted) {
          break;
        }
      }
      purgeNowAndThen();
      return delivered;
    } finally {
      round.unlock();
    }
  }

  /** Queues the next page of feed entries for each enabled endpoint; returns how many were queued. */
  int fanOut() {
    Instant now = clock.instant();
    return store.inTransaction(
        tx -> {
          int queued = 0;
          for (WebhookSubscription s : tx.webhooks().lockSubscriptionsToFanOut(100)) {
            List<FeedEntry> entries = tx.feed().after(s.feedPosition(), FAN_OUT_PAGE);
            if (entries.isEmpty()) {
              continue;
            }
            tx.webhooks()
                .putDeliveries(
                    entries.stream().map(e -> WebhookDelivery.pending(s.id(), e, now)).toList());
            tx.webhooks()
                .updateSubscription(s.withFeedPosition(entries.get(entries.size() - 1).position()));
            queued += entries.size();
          }
          return queued;
        });
  }

  private record Target(URI url, List<WebhookSecret> secrets) {}

  private record Batch(int claimed, int delivered, boolean interrupted) {}

  private Batch deliverBatch() {
    Instant now = clock.instant();
    Instant leaseUntil = now.plus(settings.lease());
    Map<String, Target> targets = new HashMap<>();
    List<WebhookDelivery> claimed =
        store.inTransaction(
            tx -> {
              List<WebhookDelivery> ds =
                  tx.webhooks().claimDeliveries(now, leaseUntil, settings.batchSize());
              for (WebhookDelivery d : ds) {
                targets.computeIfAbsent(
                    d.endpointId(),
                    id ->
                        tx.webhooks()
                            .subscription(id)
                            .map(
                                s ->
                                    new Target(
                                        URI.create(s.url()),
                                        s.sealedSecrets().stream()
                                            .map(box -> seal.open(id, box))
                                            .toList()))
                            .orElse(null));
              }
              return ds;
            });
    int delivered = 0;
    Duration perRequest = settings.connectTimeout().plus(settings.requestTimeout());
    Map<String, String> unreachable = new HashMap<>();
    for (WebhookDelivery d : claimed) {
      if (closed) {
        return new Batch(claimed.size(), delivered, true);
      }
      if (clock.instant().plus(perRequest).isAfter(leaseUntil)) {
        // The lease could run out during the request: leave the rest to the next claim.
        return new Batch(claimed.size(), delivered, true);
      }
      Target target = targets.get(d.endpointId());
      if (target == null) {
        continue;
      }
      String earlier = unreachable.get(d.endpointId());
      if (earlier != null) {
        // An endpoint that timed out or refused the connection is not tried again in this batch:
        // each try could cost the full timeouts, and would hold up every other endpoint's
        // deliveries on this one thread. The delivery is retried on its schedule like a failed one.
        recordFailure(
            d, leaseUntil, "not sent: endpoint unreachable earlier in the batch (" + earlier + ")");
        continue;
      }
      String failure = post(target, d);
      if (failure != null && !failure.startsWith("HTTP ")) {
        unreachable.put(d.endpointId(), failure);
      }
      if (failure == null) {
        Instant done = clock.instant();
        store.inTransaction(tx -> tx.webhooks().recordDelivery(d.delivered(done), leaseUntil));
        delivered++;
      } else {
        recordFailure(d, leaseUntil, failure);
      }
    }
    return new Batch(claimed.size(), delivered, false);
  }

  /** POSTs one delivery; returns {@code null} on a 2xx answer, else what failed (status or error class). */
  private String post(Target target, WebhookDelivery d) {
    byte[] body = FeedEntryJson.webhookBody(d.entry()).getBytes(StandardCharsets.UTF_8);
    String id = d.messageId();
    long seconds = clock.instant().getEpochSecond();
    String signatures =
        target.secrets().stream()
            .map(s -> s.sign(id, seconds, body))
            .collect(Collectors.joining(" "));
    HttpRequest request =
        HttpRequest.newBuilder(target.url())
            .timeout(settings.requestTimeout())
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", Long.toString(seconds))
            .header("webhook-signature", signatures)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    try {
      // The response body is never read, let alone kept: it is the receiver's, and may hold
      // anything.
      HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
      int status = response.statusCode();
      return status >= 200 && status < 300 ? null : "HTTP " + status;
    } catch (HttpTimeoutException e) {
      return "timeout";
    } catch (IOException e) {
      return e.getClass().getSimpleName();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }

  private void recordFailure(WebhookDelivery d, Instant leaseUntil, String failure) {
    Instant now = clock.instant();
    Instant first = d.firstAttemptAt() == null ? now : d.firstAttemptAt();
    Instant next = now.plus(backoff(d.attempts()));
    boolean giveUp = next.isAfter(first.plus(settings.maxAge()));
    store.inTransaction(
        tx -> {
          // The endpoint row first, as fan-out and redelivery lock it: no lock-order deadlock.
          WebhookSubscription s = tx.webhooks().lockSubscription(d.endpointId()).orElse(null);
          if (s == null) {
            return null;
          }
          WebhookDelivery outcome = giveUp ? d.failed(now, failure) : d.retryAt(now, next, failure);
          if (!tx.webhooks().recordDelivery(outcome, leaseUntil)) {
            return null; // the lease ran out and another node holds it now
          }
          String reason =
              giveUp
                  ? "delivery of "
                      + d.messageId()
                      + " failed for "
                      + settings.maxAge()
                      + ", last: "
                      + failure
                  : null;
          WebhookSubscription failed = s.withFailure(now, failure);
          tx.webhooks()
              .updateSubscription(giveUp ? failed.withEnabled(false, now, reason) : failed);
          return null;
        });
  }

  /** The wait after {@code failuresSoFar} failed attempts before this one: the schedule, jittered down by up to 1/5. */
  Duration backoff(int failuresSoFar) {
    List<Duration> schedule = settings.backoff();
    Duration wait = schedule.get(Math.min(failuresSoFar, schedule.size() - 1));
    long ms = wait.toMillis();
    long jitter = (long) (random.nextDouble() * (ms / 5));
    return Duration.ofMillis(Math.max(1, ms - jitter));
  }

  private void purgeNowAndThen() {
    Instant now = clock.instant();
    if (lastPurge != null && Duration.between(lastPurge, now).compareTo(PURGE_EVERY) < 0) {
      return;
    }
    lastPurge = now;
    Instant before = now.minus(settings.maxAge());
    while (store.inTransaction(tx -> tx.webhooks().deleteFinishedBefore(before, 500)) == 500) {
      // bounded transactions until nothing old is left
    }
  }
}
