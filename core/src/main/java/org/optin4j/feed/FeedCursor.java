package org.optin4j.feed;

import java.util.Objects;

/**
 * Where a reader of the {@link Feed} stands: the entries it has read end here. A value; its string form
 * ({@link #toString()}) is opaque to consumers and round-trips through {@link #parse(String)}, so that a consumer can
 * keep it (in its database, in a URL) and carry on from it after a restart.
 *
 * <p>Immutable and thread-safe.
 *
 * @param position the position of the last entry read, 0 before the first
 */
public record FeedCursor(long position) {

  private static final String PREFIX = "f1.";

  /** Validates the position. */
  public FeedCursor {
    if (position < 0) {
      throw new IllegalArgumentException("a feed position is not negative, was " + position);
    }
  }

  /**
   * Returns the cursor before the first entry.
   *
   * @return the start of the feed
   */
  public static FeedCursor start() {
    return new FeedCursor(0);
  }

  /**
   * Reads a cursor from its string form, as {@link #toString()} wrote it.
   *
   * @param text the string form
   * @return the cursor
   * @throws IllegalArgumentException if {@code text} is not a cursor's string form
   */
  public static FeedCursor parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.startsWith(PREFIX) && text.length() > PREFIX.length() && text.length() <= 20) {
      String digits = text.substring(PREFIX.length());
      if (digits.chars().allMatch(ch -> (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z'))
          && (digits.length() == 1 || digits.charAt(0) != '0')) {
        try {
          return new FeedCursor(Long.parseLong(digits, 36));
        } catch (NumberFormatException e) {
          // too large: refused below
        }
      }
    }
    throw new IllegalArgumentException("not a feed cursor: " + text);
  }

  /**
   * Returns the opaque string form that {@link #parse(String)} reads back.
   *
   * @return the string form
   */
  @Override
  public String toString() {
    return PREFIX + Long.toString(position, 36);
  }
}
