package org.optin4j.feed;

/**
 * The durable, ordered feed of consent changes, for systems outside the JVM (a CRM, a mail tool) that must learn every
 * change and can catch up after a crash or a deploy. Obtained from {@link org.optin4j.OptIn#feed()}.
 *
 * <p>Every change of a subject's consent is an entry, written in the same transaction as the change. A reader that
 * starts at {@link FeedCursor#start()} and keeps calling {@link #after} with the cursor it got back sees every
 * committed entry exactly once, in one stable order, also while several nodes write at once: an entry's position is
 * handed out when its transaction commits, so no entry ever appears behind a cursor that has passed its place
 * ({@code docs/feed.md}). A subject's entries appear in the order of its history.
 *
 * <p>Entries are kept for the configured feed retention (30 days by default), then purged by the retention run: a
 * reader must come back within that period. Thread-safe.
 */
public interface Feed {

  /**
   * Reads the committed entries after a cursor.
   *
   * @param cursor where the reader stands ({@link FeedCursor#start()} the first time)
   * @param limit the most entries to return, 1 to 1000
   * @return the entries in ascending position, and the cursor to read on from
   * @throws IllegalArgumentException if {@code limit} is out of range
   * @throws org.optin4j.StoreException if the store fails
   */
  FeedPage after(FeedCursor cursor, int limit);
}
