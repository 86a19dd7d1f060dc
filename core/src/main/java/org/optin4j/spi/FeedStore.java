package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import org.optin4j.feed.FeedEntry;

/**
 * The part of a unit of work that keeps the durable, ordered feed of consent changes ({@link org.optin4j.feed.Feed}).
 *
 * <p><b>The one hard rule: positions in commit order.</b> A reader polls {@link #after} with the highest position it
 * has seen. If a unit could commit an entry at a position below one that another unit committed earlier, a reader that
 * had passed that position would never see it. So a store hands out an entry's position at the end of its unit, in a
 * step that units take one at a time until they commit (the JDBC store: a counter row updated last in the transaction,
 * whose lock is held until the commit; the in-memory store: its one lock), and an entry becomes visible only with its
 * position. Positions are strictly increasing in commit order; gaps are allowed (a rolled-back unit may leave one), a
 * later commit filling a gap below a committed position is not.
 *
 * <p>Obtained from {@link ConsentStore.Transaction#feed()}; valid only while its unit of work runs, on the thread that
 * runs it. Not thread-safe.
 */
public interface FeedStore {

  /**
   * Adds an entry to the feed, to become visible with this unit's commit at a position assigned as described above
   * (at the latest when the unit commits); entries of one unit keep the order of their appends.
   *
   * @param entry the entry, with position 0
   * @throws IllegalArgumentException if the entry has a position
   * @throws IllegalStateException in a unit that only reads ({@link ConsentStore#read})
   */
  void append(FeedEntry entry);

  /**
   * Returns committed entries after a position, ascending, with the positions they were assigned.
   *
   * @param position return only entries above this position (0 for all)
   * @param limit the most to return
   * @return the entries
   */
  List<FeedEntry> after(long position, int limit);

  /**
   * Deletes entries older than a cut-off, oldest first (the retention run, GDPR Art. 5(1)(e)).
   *
   * @param before delete entries whose {@link FeedEntry#at()} is before this
   * @param limit the most to delete in this call
   * @return how many were deleted
   * @throws IllegalStateException in a unit that only reads
   */
  int deleteBefore(Instant before, int limit);
}
