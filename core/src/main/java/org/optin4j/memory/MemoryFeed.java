package org.optin4j.memory;

import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.optin4j.feed.FeedEntry;
import org.optin4j.spi.FeedStore;

/**
 * The in-memory FeedStore. Every unit holds the store lock from its first statement to its end, so handing out a
 * position at the append is handing it out in commit order; a rolled-back unit's entries are undone (their positions
 * stay unused). One per unit of work; not thread-safe.
 */
record MemoryFeed(MemoryUnit unit, MemoryState state) implements FeedStore {
  @Override
  public void append(FeedEntry entry) {
    unit.checkWrite();
    Objects.requireNonNull(entry, "entry");
    if (entry.position() != 0) {
      throw new IllegalArgumentException(
          "an entry to append has position 0, was " + entry.position());
    }
    long position = ++state.lastFeedPosition;
    unit.put(state.feed, position, entry.at(position));
  }

  @Override
  public List<FeedEntry> after(long position, int limit) {
    unit.check();
    checkLimit(limit);
    return state.feed.tailMap(position, false).values().stream().limit(limit).toList();
  }

  @Override
  public int deleteBefore(Instant before, int limit) {
    unit.checkWrite();
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    List<Long> old = new ArrayList<>();
    for (FeedEntry e : state.feed.values()) {
      if (old.size() == limit) {
        break;
      }
      if (e.at().isBefore(before)) {
        old.add(e.position());
      }
    }
    old.forEach(p -> unit.remove(state.feed, p));
    return old.size();
  }
}
