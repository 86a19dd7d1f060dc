package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.StoreException;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.WebhookDelivery;
import org.optin4j.spi.WebhookSubscription;

/**
 * The part of the store contract for webhooks: endpoints kept and replaced, deliveries put (a redelivery replaces),
 * claims under a lease that hand out per endpoint and subject only the lowest pending position and skip what another
 * claim holds, outcomes recorded only under the lease they were claimed with, restarts and bounded purges.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class WebhookStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected WebhookStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  private static WebhookSubscription endpoint(String id, boolean enabled) {
    return new WebhookSubscription(
        id,
        "https://hooks.example/" + id,
        "crm",
        List.of("whk_1:sealed1", "whk_2:sealed2"),
        at(0),
        enabled,
        enabled ? null : at(1),
        enabled ? null : "paused",
        null,
        null,
        0);
  }

  private static WebhookDelivery delivery(
      String endpoint, long position, String subject, long due) {
    FeedEntry entry =
        new FeedEntry(
            position,
            subjectId(subject),
            NEWSLETTER,
            ConsentEvent.Type.CONFIRMED,
            at(position),
            Channel.FORM);
    return WebhookDelivery.pending(endpoint, entry, at(due));
  }

  private static Set<Long> positions(List<WebhookDelivery> deliveries) {
    Set<Long> p = new HashSet<>();
    deliveries.forEach(d -> p.add(d.entry().position()));
    return p;
  }

  private List<WebhookDelivery> claim(Instant now, Instant until, int limit) {
    return store.inTransaction(tx -> tx.webhooks().claimDeliveries(now, until, limit));
  }

  @Test
  void insertThenReadBackAndListed() {
    WebhookSubscription a = endpoint("ep_a", true);
    tx(tx -> tx.webhooks().insertSubscription(a));

    assertEquals(Optional.of(a), read(tx -> tx.webhooks().subscription("ep_a")));
    assertEquals(List.of(a), read(tx -> tx.webhooks().subscriptions()));
    assertEquals(Optional.empty(), read(tx -> tx.webhooks().subscription("ep_x")));
  }

  @Test
  void insertWhenIdTakenThenDuplicateKey() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));

    assertThrows(
        DuplicateKeyException.class,
        () -> tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", false))));
  }

  @Test
  void updateThenReplacedAndUnknownRefused() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    WebhookSubscription disabled =
        new WebhookSubscription(
            "ep_a",
            "https://hooks.example/other",
            "crm 2",
            List.of("whk_3:sealed3"),
            at(0),
            false,
            at(9),
            "failing for 3 days",
            at(8),
            "HTTP 503",
            42);

    tx(
        tx -> {
          tx.webhooks().lockSubscription("ep_a").orElseThrow();
          tx.webhooks().updateSubscription(disabled);
        });

    assertEquals(Optional.of(disabled), read(tx -> tx.webhooks().subscription("ep_a")));
    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.webhooks().updateSubscription(endpoint("ep_x", true))));
  }

  @Test
  void lockToFanOutThenEnabledOnly() {
    tx(
        tx -> {
          tx.webhooks().insertSubscription(endpoint("ep_a", true));
          tx.webhooks().insertSubscription(endpoint("ep_b", false));
        });

    List<WebhookSubscription> locked =
        store.inTransaction(tx -> tx.webhooks().lockSubscriptionsToFanOut(10));

    assertEquals(List.of("ep_a"), locked.stream().map(WebhookSubscription::id).toList());
  }

  @Test
  void putThenDeliveriesAfterPositionAndPutAgainReplaces() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(
        tx ->
            tx.webhooks()
                .putDeliveries(
                    List.of(delivery("ep_a", 1, "ann", 0), delivery("ep_a", 2, "bob", 0))));
    List<WebhookDelivery> claimed = claim(at(10), at(100), 10);
    tx(tx -> tx.webhooks().recordDelivery(claimed.get(0).delivered(at(11)), at(100)));

    tx(tx -> tx.webhooks().putDeliveries(List.of(delivery("ep_a", 1, "ann", 50))));

    List<WebhookDelivery> all = read(tx -> tx.webhooks().deliveries("ep_a", 0, 10));
    assertEquals(List.of(delivery("ep_a", 1, "ann", 50)), all.subList(0, 1));
    assertEquals(
        List.of(2L),
        positions(read(tx -> tx.webhooks().deliveries("ep_a", 1, 10))).stream().toList());
  }

  @Test
  void claimThenOnlyLowestPendingPerSubjectAndOthersNotBlocked() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(
        tx ->
            tx.webhooks()
                .putDeliveries(
                    List.of(
                        delivery("ep_a", 1, "ann", 0),
                        delivery("ep_a", 2, "ann", 0),
                        delivery("ep_a", 3, "bob", 0),
                        delivery("ep_a", 4, "cid", 500))));

    List<WebhookDelivery> first = claim(at(10), at(100), 10);

    assertEquals(Set.of(1L, 3L), positions(first));
    first.forEach(d -> assertEquals(at(100), d.leaseUntil()));
    // Held under the lease: nothing more, ann's second waits for her first.
    assertEquals(List.of(), claim(at(20), at(120), 10));

    WebhookDelivery ann1 =
        first.stream().filter(d -> d.entry().position() == 1).findFirst().orElseThrow();
    assertTrue(flag(tx -> tx.webhooks().recordDelivery(ann1.delivered(at(21)), at(100))));

    assertEquals(Set.of(2L), positions(claim(at(30), at(130), 10)));
  }

  @Test
  void claimWhenLeaseRanOutThenClaimedAgainAndOldHolderCannotRecord() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(tx -> tx.webhooks().putDeliveries(List.of(delivery("ep_a", 1, "ann", 0))));
    WebhookDelivery held = claim(at(10), at(100), 10).get(0);

    List<WebhookDelivery> again = claim(at(100), at(200), 10);

    assertEquals(Set.of(1L), positions(again));
    assertFalse(flag(tx -> tx.webhooks().recordDelivery(held.delivered(at(101)), at(100))));
    assertTrue(flag(tx -> tx.webhooks().recordDelivery(again.get(0).delivered(at(101)), at(200))));
    WebhookDelivery stored = read(tx -> tx.webhooks().deliveries("ep_a", 0, 10)).get(0);
    assertEquals(WebhookDelivery.Status.DELIVERED, stored.status());
    assertEquals(at(101), stored.finishedAt());
  }

  @Test
  void claimWhenEndpointDisabledOrNotDueThenNothing() {
    tx(
        tx -> {
          tx.webhooks().insertSubscription(endpoint("ep_a", false));
          tx.webhooks().insertSubscription(endpoint("ep_b", true));
        });
    tx(
        tx ->
            tx.webhooks()
                .putDeliveries(
                    List.of(delivery("ep_a", 1, "ann", 0), delivery("ep_b", 1, "ann", 50))));

    assertEquals(List.of(), claim(at(10), at(100), 10));
    assertEquals(1, claim(at(50), at(100), 10).size());
  }

  @Test
  void recordRetryThenDueLaterWithAttemptsAndError() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(tx -> tx.webhooks().putDeliveries(List.of(delivery("ep_a", 1, "ann", 0))));
    WebhookDelivery held = claim(at(10), at(100), 10).get(0);

    tx(tx -> tx.webhooks().recordDelivery(held.retryAt(at(10), at(60), "HTTP 503"), at(100)));

    assertEquals(List.of(), claim(at(59), at(159), 10));
    WebhookDelivery retried = claim(at(60), at(160), 10).get(0);
    assertEquals(1, retried.attempts());
    assertEquals(at(10), retried.firstAttemptAt());
    assertEquals("HTTP 503", retried.lastError());
  }

  @Test
  void restartThenPendingDueNowWithoutAttempts() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(tx -> tx.webhooks().putDeliveries(List.of(delivery("ep_a", 1, "ann", 0))));
    WebhookDelivery held = claim(at(10), at(100), 10).get(0);
    tx(tx -> tx.webhooks().recordDelivery(held.retryAt(at(10), at(5000), "timeout"), at(100)));

    int n = store.inTransaction(tx -> tx.webhooks().restartDeliveries("ep_a", at(20)));

    assertEquals(1, n);
    WebhookDelivery restarted = claim(at(20), at(120), 10).get(0);
    assertEquals(0, restarted.attempts());
    assertEquals(null, restarted.firstAttemptAt());
  }

  @Test
  void deleteFinishedBeforeThenOnlyOldFinishedGoneAtMostLimit() {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    tx(
        tx ->
            tx.webhooks()
                .putDeliveries(
                    List.of(
                        delivery("ep_a", 1, "ann", 0),
                        delivery("ep_a", 2, "bob", 0),
                        delivery("ep_a", 3, "cid", 0),
                        delivery("ep_a", 4, "dan", 0))));
    List<WebhookDelivery> held = claim(at(10), at(100), 3);
    for (WebhookDelivery d : held) {
      tx(tx -> tx.webhooks().recordDelivery(d.delivered(at(20)), at(100)));
    }

    assertEquals(2, (int) store.inTransaction(tx -> tx.webhooks().deleteFinishedBefore(at(21), 2)));
    assertEquals(
        1, (int) store.inTransaction(tx -> tx.webhooks().deleteFinishedBefore(at(21), 10)));
    assertEquals(
        List.of(4L),
        read(tx -> tx.webhooks().deliveries("ep_a", 0, 10)).stream()
            .map(d -> d.entry().position())
            .toList());
  }

  @Test
  void claimConcurrentlyThenNoDeliveryTwice() throws Exception {
    tx(tx -> tx.webhooks().insertSubscription(endpoint("ep_a", true)));
    List<WebhookDelivery> many = new java.util.ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      many.add(delivery("ep_a", i, "s" + i, 0));
    }
    tx(tx -> tx.webhooks().putDeliveries(many));

    List<List<WebhookDelivery>> claims =
        concurrently(
            4, i -> unitRetryingConflicts(tx -> tx.webhooks().claimDeliveries(at(10), at(100), 8)));

    Set<Long> seen = new HashSet<>();
    for (List<WebhookDelivery> c : claims) {
      for (WebhookDelivery d : c) {
        assertTrue(seen.add(d.entry().position()), "claimed twice: " + d.entry().position());
      }
    }
  }

  @Test
  void writesWhenUnitOnlyReadsThenRefused() {
    assertThrows(
        IllegalStateException.class,
        () ->
            store.read(
                tx -> {
                  tx.webhooks().insertSubscription(endpoint("ep_a", true));
                  return null;
                }));
  }
}
