package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;

/**
 * The part of the store contract for the event feed: entries become visible with their unit's commit, at positions
 * that increase in commit order (so that a reader polling "after the last position I saw" sees every entry exactly
 * once), nothing of a rolled-back unit, bounded retention deletes, and a read-only unit that cannot append.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class FeedStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected FeedStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  private static FeedEntry entry(String subject, PurposeId purpose, long seconds) {
    return new FeedEntry(
        0, subjectId(subject), purpose, ConsentEvent.Type.CONFIRMED, at(seconds), Channel.FORM);
  }

  private static FeedEntry unpositioned(FeedEntry stored) {
    return new FeedEntry(
        0, stored.subjectId(), stored.purpose(), stored.type(), stored.at(), stored.channel());
  }

  @Test
  void appendThenEntriesAfterStartInAppendOrderWithIncreasingPositions() {
    FeedEntry first = entry("ann", NEWSLETTER, 0);
    FeedEntry second = entry("ann", OFFERS, 0);
    FeedEntry third = entry("bob", NEWSLETTER, 5);
    tx(
        tx -> {
          tx.feed().append(first);
          tx.feed().append(second);
        });
    tx(tx -> tx.feed().append(third));

    List<FeedEntry> all = read(tx -> tx.feed().after(0, 10));

    assertEquals(List.of(first, second, third), all.stream().map(e -> unpositioned(e)).toList());
    assertTrue(all.get(0).position() > 0);
    assertTrue(all.get(0).position() < all.get(1).position());
    assertTrue(all.get(1).position() < all.get(2).position());
  }

  @Test
  void afterWhenPositionAndLimitThenOnlyLaterEntriesUpToLimit() {
    for (int i = 0; i < 5; i++) {
      int n = i;
      tx(tx -> tx.feed().append(entry("s" + n, NEWSLETTER, n)));
    }
    List<FeedEntry> all = read(tx -> tx.feed().after(0, 10));

    List<FeedEntry> page = read(tx -> tx.feed().after(all.get(1).position(), 2));

    assertEquals(all.subList(2, 4), page);
    assertEquals(List.of(), read(tx -> tx.feed().after(all.get(4).position(), 2)));
  }

  @Test
  void appendWhenUnitRollsBackThenNoEntry() {
    throwAfter(tx -> tx.feed().append(entry("ann", NEWSLETTER, 0)));
    tx(tx -> tx.feed().append(entry("bob", NEWSLETTER, 0)));

    List<FeedEntry> all = read(tx -> tx.feed().after(0, 10));

    assertEquals(
        List.of(entry("bob", NEWSLETTER, 0)), all.stream().map(e -> unpositioned(e)).toList());
  }

  @Test
  void appendWhenPositionGivenThenRefused() {
    FeedEntry positioned = entry("ann", NEWSLETTER, 0).at(3);

    assertThrows(IllegalArgumentException.class, () -> tx(tx -> tx.feed().append(positioned)));
  }

  @Test
  void appendWhenUnitOnlyReadsThenRefused() {
    assertThrows(
        IllegalStateException.class,
        () ->
            store.read(
                tx -> {
                  tx.feed().append(entry("ann", NEWSLETTER, 0));
                  return null;
                }));
    assertEquals(List.of(), store.read(tx -> tx.feed().after(0, 10)));
  }

  @Test
  void deleteBeforeThenOnlyOlderEntriesGoneAtMostLimit() {
    tx(
        tx -> {
          tx.feed().append(entry("a", NEWSLETTER, 0));
          tx.feed().append(entry("b", NEWSLETTER, 10));
          tx.feed().append(entry("c", NEWSLETTER, 20));
          tx.feed().append(entry("d", NEWSLETTER, 30));
        });

    assertEquals(2, deleteBefore30s(2));
    assertEquals(1, deleteBefore30s(2));
    assertEquals(0, deleteBefore30s(2));

    assertEquals(
        List.of(entry("d", NEWSLETTER, 30)),
        read(tx -> tx.feed().after(0, 10)).stream().map(e -> unpositioned(e)).toList());
  }

  private int deleteBefore30s(int limit) {
    return store.inTransaction(tx -> tx.feed().deleteBefore(at(30), limit));
  }

  @Test
  void concurrentUnitsWhileReaderPollsThenReaderSeesEveryEntryOnceInEachWritersOrder()
      throws Exception {
    int writers = 4;
    int unitsPerWriter = 25;
    AtomicBoolean writing = new AtomicBoolean(true);
    List<FeedEntry> seen = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              long position = 0;
              boolean last = false;
              while (!last) {
                last = !writing.get();
                List<FeedEntry> page;
                do {
                  long from = position;
                  page = store.read(tx -> tx.feed().after(from, 7));
                  seen.addAll(page);
                  if (!page.isEmpty()) {
                    position = page.get(page.size() - 1).position();
                  }
                } while (!page.isEmpty());
              }
            });
    reader.start();
    try {
      concurrently(
          writers,
          w -> {
            for (int u = 0; u < unitsPerWriter; u++) {
              long n = u;
              unitRetryingConflicts(
                  tx -> {
                    tx.feed().append(entry("w" + w, NEWSLETTER, n));
                    tx.feed().append(entry("w" + w, OFFERS, n));
                    return null;
                  });
            }
            return null;
          });
    } finally {
      writing.set(false);
      reader.join(CONCURRENCY_TIMEOUT_SECONDS * 1000);
    }

    assertEquals(writers * unitsPerWriter * 2, seen.size());
    Set<Long> positions = new HashSet<>();
    seen.forEach(e -> assertTrue(positions.add(e.position()), "seen twice: " + e));
    for (int w = 0; w < writers; w++) {
      String subject = "w" + w;
      List<FeedEntry> ofWriter =
          seen.stream().filter(e -> e.subjectId().value().equals(subject)).toList();
      for (int i = 0; i < ofWriter.size(); i++) {
        assertEquals(
            entry(subject, i % 2 == 0 ? NEWSLETTER : OFFERS, i / 2), unpositioned(ofWriter.get(i)));
      }
    }
  }
}
