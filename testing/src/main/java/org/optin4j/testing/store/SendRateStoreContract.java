package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.at;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.optin4j.mail.SendingRate;
import org.optin4j.spi.SendRateStore;

/**
 * The part of the store contract for sending rates: slots spaced by the per-second rate, minute and hour caps over
 * any window, nothing beyond the horizon, reservations of concurrent units (two nodes) never sharing a slot or
 * breaking the spacing, rolled-back reservations not counted, and rates of different names apart.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class SendRateStoreContract extends StoreContract {

  private static final Duration SECOND = Duration.ofSeconds(1);

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected SendRateStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  private SendRateStore.Reservation reserve(SendingRate rate, int wanted, Instant now) {
    return read(tx -> tx.sendRates().reserve(rate.limits(), wanted, now, SECOND));
  }

  @Test
  void reserveWhenFreshThenSlotsSpacedByPerSecondRate() {
    SendRateStore.Reservation r = reserve(SendingRate.perSecond(10), 3, at(0));

    assertEquals(List.of(at(0), at(0).plusMillis(100), at(0).plusMillis(200)), r.slots());
  }

  @Test
  void reserveAgainThenContinuesAfterTheSlotsAlreadyGiven() {
    SendingRate rate = SendingRate.perSecond(10);
    reserve(rate, 3, at(0));

    SendRateStore.Reservation r = reserve(rate, 2, at(0));

    assertEquals(List.of(at(0).plusMillis(300), at(0).plusMillis(400)), r.slots());
  }

  @Test
  void reserveWhenSlotsLieBeyondHorizonThenGivesWhatFitsAndWhenToRetry() {
    SendingRate rate = SendingRate.perSecond(4);

    SendRateStore.Reservation r = reserve(rate, 10, at(0));

    assertEquals(4, r.slots().size(), "one second of slots at 4/s");
    assertEquals(at(0), r.retryAt(), "the next slot (at 1 s) lies one horizon ahead of now");
    assertEquals(List.of(at(1)), reserve(rate, 1, at(0).plusMillis(500)).slots().subList(0, 1));
  }

  @Test
  void reserveWhenLateThenStartsNowWithoutBurstOfMissedSlots() {
    SendingRate rate = SendingRate.perSecond(10);
    reserve(rate, 1, at(0));

    SendRateStore.Reservation r = reserve(rate, 2, at(100));

    assertEquals(List.of(at(100), at(100).plusMillis(100)), r.slots());
  }

  @Test
  void reserveWhenMinuteCapReachedThenNoSlotUntilTheWindowMoves() {
    SendingRate rate = SendingRate.unlimited().withPerMinute(5);
    assertEquals(5, reserve(rate, 10, at(0)).slots().size());

    SendRateStore.Reservation blocked = reserve(rate, 1, at(30));
    assertEquals(List.of(), blocked.slots());
    assertTrue(blocked.retryAt().isAfter(at(59)), "retry once second 0 has left the window");
    assertEquals(List.of(), reserve(rate, 1, at(60)).slots(), "any 60 seconds hold at most 5");

    assertEquals(5, reserve(rate, 10, at(61)).slots().size());
  }

  @Test
  void reserveWhenHourCapReachedThenNoSlotWithinTheHour() {
    SendingRate rate = SendingRate.perSecond(100).withPerHour(3);
    assertEquals(3, reserve(rate, 10, at(0)).slots().size());

    assertEquals(List.of(), reserve(rate, 1, at(1800)).slots());
    assertEquals(1, reserve(rate, 1, at(3601)).slots().size());
  }

  @Test
  void reserveWhenUnitRolledBackThenItsSlotsAreFreeAgain() {
    SendingRate rate = SendingRate.perSecond(10);
    assertThrows(
        IllegalStateException.class,
        () ->
            read(
                tx -> {
                  tx.sendRates().reserve(rate.limits(), 3, at(0), SECOND);
                  throw new IllegalStateException("rolled back");
                }));

    assertEquals(at(0), reserve(rate, 1, at(0)).slots().get(0));
  }

  @Test
  void reserveWhenNamesDifferThenRatesAreApart() {
    SendingRate a = SendingRate.perSecond(1).withName("provider-a");
    SendingRate b = SendingRate.perSecond(1).withName("provider-b");
    reserve(a, 1, at(0));

    assertEquals(List.of(at(0)), reserve(b, 1, at(0)).slots());
  }

  @Test
  void reserveFromConcurrentUnitsThenNoSlotTwiceAndSpacingHolds() throws Exception {
    SendingRate rate = SendingRate.perSecond(50).withPerMinute(40);
    int threads = 4;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch gate = new CountDownLatch(1);
    List<Future<List<Instant>>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        futures.add(
            pool.submit(
                () -> {
                  gate.await();
                  List<Instant> mine = new ArrayList<>();
                  for (int i = 0; i < 5; i++) {
                    mine.addAll(
                        unitRetryingConflicts(
                                tx ->
                                    tx.sendRates()
                                        .reserve(rate.limits(), 3, at(0), Duration.ofSeconds(5)))
                            .slots());
                  }
                  return mine;
                }));
      }
      gate.countDown();
      List<Instant> all = new ArrayList<>();
      for (Future<List<Instant>> f : futures) {
        all.addAll(f.get(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
      Set<Instant> distinct = new HashSet<>(all);
      assertEquals(all.size(), distinct.size(), "a slot given twice: " + all);
      assertEquals(40, all.size(), "the minute cap, with room for 60 asked");
      List<Instant> sorted = all.stream().sorted().toList();
      for (int i = 1; i < sorted.size(); i++) {
        assertTrue(
            !sorted.get(i).isBefore(sorted.get(i - 1).plusMillis(20)),
            "slots closer than 1/50 s: " + sorted.get(i - 1) + ", " + sorted.get(i));
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
