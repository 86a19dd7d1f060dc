package org.optin4j.memory;

import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.optin4j.StoreException;
import org.optin4j.spi.WebhookDelivery;
import org.optin4j.spi.WebhookStore;
import org.optin4j.spi.WebhookSubscription;

/**
 * The in-memory WebhookStore. Every unit holds the store lock from its first statement to its end, so locking an
 * endpoint is a no-op and no claim can be skipped for being held. One per unit of work; not thread-safe.
 */
record MemoryWebhooks(MemoryUnit unit, MemoryState state) implements WebhookStore {

  @Override
  public void insertSubscription(WebhookSubscription subscription) {
    unit.checkWrite();
    Objects.requireNonNull(subscription, "subscription");
    unit.requireAbsent(state.webhookSubscriptions, subscription.id(), "webhook endpoint id");
    unit.put(state.webhookSubscriptions, subscription.id(), subscription);
  }

  @Override
  public void updateSubscription(WebhookSubscription subscription) {
    unit.replacing(
        state.webhookSubscriptions,
        subscription,
        "subscription",
        WebhookSubscription::id,
        "webhook endpoint");
    unit.put(state.webhookSubscriptions, subscription.id(), subscription);
  }

  @Override
  public Optional<WebhookSubscription> subscription(String id) {
    return unit.find(state.webhookSubscriptions, id, "id");
  }

  @Override
  public Optional<WebhookSubscription> lockSubscription(String id) {
    unit.checkWrite();
    return subscription(id);
  }

  @Override
  public List<WebhookSubscription> subscriptions() {
    unit.check();
    return state.webhookSubscriptions.values().stream()
        .sorted(
            Comparator.comparing(WebhookSubscription::createdAt)
                .thenComparing(WebhookSubscription::id))
        .toList();
  }

  @Override
  public List<WebhookSubscription> lockSubscriptionsToFanOut(int limit) {
    unit.checkWrite();
    checkLimit(limit);
    return state.webhookSubscriptions.values().stream()
        .filter(WebhookSubscription::enabled)
        .limit(limit)
        .toList();
  }

  @Override
  public void putDeliveries(List<WebhookDelivery> deliveries) {
    unit.checkWrite();
    for (WebhookDelivery d : deliveries) {
      if (!state.webhookSubscriptions.containsKey(d.endpointId())) {
        throw new StoreException("no webhook endpoint with that id (foreign key)");
      }
      NavigableMap<Long, WebhookDelivery> map = deliveriesOf(d.endpointId());
      unit.put(map, d.entry().position(), d);
    }
  }

  @Override
  public List<WebhookDelivery> claimDeliveries(Instant now, Instant leaseUntil, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    checkLimit(limit);
    if (!leaseUntil.isAfter(now)) {
      throw new IllegalArgumentException("leaseUntil must be after now");
    }
    List<WebhookDelivery> due = new ArrayList<>();
    for (WebhookSubscription s : state.webhookSubscriptions.values()) {
      if (!s.enabled()) {
        continue;
      }
      Set<String> subjectsSeen = new HashSet<>();
      for (WebhookDelivery d : deliveriesOf(s.id()).values()) {
        if (d.status() != WebhookDelivery.Status.PENDING
            || !subjectsSeen.add(d.entry().subjectId().value())) {
          continue; // not pending, or a lower position of this subject is pending
        }
        if (!d.nextAttemptAt().isAfter(now)
            && (d.leaseUntil() == null || !d.leaseUntil().isAfter(now))) {
          due.add(d);
        }
      }
    }
    due.sort(
        Comparator.comparing(WebhookDelivery::nextAttemptAt)
            .thenComparing(d -> d.entry().position()));
    List<WebhookDelivery> claimed = new ArrayList<>();
    for (WebhookDelivery d : due.subList(0, Math.min(limit, due.size()))) {
      WebhookDelivery leased = d.leased(leaseUntil);
      unit.put(deliveriesOf(d.endpointId()), d.entry().position(), leased);
      claimed.add(leased);
    }
    return claimed;
  }

  @Override
  public boolean recordDelivery(WebhookDelivery delivery, Instant heldUntil) {
    unit.checkWrite();
    Objects.requireNonNull(delivery, "delivery");
    Objects.requireNonNull(heldUntil, "heldUntil");
    NavigableMap<Long, WebhookDelivery> map = deliveriesOf(delivery.endpointId());
    WebhookDelivery stored = map.get(delivery.entry().position());
    if (stored == null
        || stored.status() != WebhookDelivery.Status.PENDING
        || !heldUntil.equals(stored.leaseUntil())) {
      return false;
    }
    unit.put(map, delivery.entry().position(), delivery);
    return true;
  }

  @Override
  public int restartDeliveries(String endpointId, Instant now) {
    unit.checkWrite();
    Objects.requireNonNull(now, "now");
    NavigableMap<Long, WebhookDelivery> map = deliveriesOf(endpointId);
    int n = 0;
    for (WebhookDelivery d : List.copyOf(map.values())) {
      if (d.status() == WebhookDelivery.Status.PENDING) {
        unit.put(map, d.entry().position(), WebhookDelivery.pending(endpointId, d.entry(), now));
        n++;
      }
    }
    return n;
  }

  @Override
  public List<WebhookDelivery> deliveries(String endpointId, long afterPosition, int limit) {
    unit.check();
    checkLimit(limit);
    return deliveriesOf(endpointId).tailMap(afterPosition, false).values().stream()
        .limit(limit)
        .toList();
  }

  @Override
  public int deleteFinishedBefore(Instant before, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    int n = 0;
    for (NavigableMap<Long, WebhookDelivery> map : state.webhookDeliveries.values()) {
      for (WebhookDelivery d : List.copyOf(map.values())) {
        if (n == limit) {
          return n;
        }
        if (d.status() != WebhookDelivery.Status.PENDING
            && d.finishedAt() != null
            && d.finishedAt().isBefore(before)) {
          unit.remove(map, d.entry().position());
          n++;
        }
      }
    }
    return n;
  }

  private NavigableMap<Long, WebhookDelivery> deliveriesOf(String endpointId) {
    Objects.requireNonNull(endpointId, "endpointId");
    // The map itself is created outside the undo log: an empty map is no state.
    return state.webhookDeliveries.computeIfAbsent(endpointId, k -> new TreeMap<>());
  }
}
