package org.optin4j.internal;

import java.util.List;
import java.util.Objects;
import org.optin4j.feed.Feed;
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.feed.FeedPage;
import org.optin4j.spi.ConsentStore;

/**
 * The {@link Feed} over the store's feed part: a read-only unit per page. The ordering guarantee is the store's (see
 * {@link org.optin4j.spi.FeedStore}); this only turns cursors into positions and back. Immutable and thread-safe.
 *
 * @param store the consent store
 */
public record StoredFeed(ConsentStore store) implements Feed {

  /** The most entries one page may ask for. */
  public static final int MAX_LIMIT = 1000;

  /** Validates the store. */
  public StoredFeed {
    Objects.requireNonNull(store, "store");
  }

  @Override
  public FeedPage after(FeedCursor cursor, int limit) {
    Objects.requireNonNull(cursor, "cursor");
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", was " + limit);
    }
    List<FeedEntry> entries = store.read(tx -> tx.feed().after(cursor.position(), limit));
    return new FeedPage(
        entries, entries.isEmpty() ? cursor : entries.get(entries.size() - 1).cursor());
  }
}
