package org.optin4j.feed;

import java.util.List;
import java.util.Objects;

/**
 * What one read of the {@link Feed} returned: entries in feed order, and the cursor to read on from.
 *
 * <p>Immutable and thread-safe.
 *
 * @param entries the entries, in ascending position; empty when nothing new was committed
 * @param next where to read on: after the last entry, or the cursor that was read from if there is none
 */
public record FeedPage(List<FeedEntry> entries, FeedCursor next) {

  /** Validates and copies the components. */
  public FeedPage {
    entries = List.copyOf(entries);
    Objects.requireNonNull(next, "next");
  }
}
