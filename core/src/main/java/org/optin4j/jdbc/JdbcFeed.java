package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instantAndLimit;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.optin4j.Channel;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.FeedStore;

/**
 * The JDBC FeedStore. An append only notes the entry in the unit; {@link JdbcTransaction#flush}, the last thing before
 * the commit, claims the unit's positions by adding the number of entries to the one row of {@code optin4j_feed_counter}
 * and inserts the entries at those positions. The counter row's lock is held from that update to the commit (or to
 * the commit of the caller's transaction that the unit joined), so a unit that claims later commits later and every
 * committed position is above every position committed before it: a reader reading {@code feed_position > cursor}
 * never skips an entry whose unit was still running (docs/feed.md). The price is that units which wrote entries
 * commit one at a time through that step: two statements (three on MariaDB) and the commit. One per unit of work; not
 * thread-safe.
 */
record JdbcFeed(JdbcTransaction tx, Connection c, Statements sql) implements FeedStore {

  /** Entries per insert statement: few units write more than a signup does, set-based expiry does. */
  private static final int CHUNK = 100;

  @Override
  public void append(FeedEntry entry) {
    tx.checkOpen();
    tx.checkWritable();
    Objects.requireNonNull(entry, "entry");
    if (entry.position() != 0) {
      throw new IllegalArgumentException(
          "an entry to append has position 0, was " + entry.position());
    }
    tx.unwrittenFeed.add(entry);
  }

  @Override
  public List<FeedEntry> after(long position, int limit) {
    checkLimit(limit);
    return List.copyOf(
        tx.query(
            "read the feed",
            sql.feedAfter,
            ps -> {
              ps.setLong(1, position);
              ps.setInt(2, limit);
            },
            JdbcFeed::entry));
  }

  @Override
  public int deleteBefore(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    return tx.update("purge the feed", sql.deleteOldFeed, instantAndLimit(before, limit));
  }

  /** Claims positions for the entries and inserts them: the unit's last statements before its commit. */
  void write(List<FeedEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    List<FeedEntry> pending = new ArrayList<>(entries);
    entries.clear();
    long last = claim(pending.size());
    long first = last - pending.size() + 1;
    for (int from = 0; from < pending.size(); from += CHUNK) {
      List<FeedEntry> chunk = pending.subList(from, Math.min(pending.size(), from + CHUNK));
      long start = first + from;
      tx.update(
          "write feed entries",
          sql.insertFeed(chunk.size()),
          ps -> {
            for (int i = 0; i < chunk.size(); i++) {
              bind(ps, i * 6, chunk.get(i).at(start + i));
            }
          });
    }
  }

  /** Adds {@code n} to the counter (taking its row lock until the commit) and returns the new last position. */
  private long claim(int n) {
    List<Long> last;
    if (sql.lastFeedPosition == null) {
      last =
          tx.query(
              "claim feed positions",
              sql.claimFeedPositions,
              ps -> ps.setLong(1, n),
              rs -> rs.getLong(1));
    } else {
      tx.update("claim feed positions", sql.claimFeedPositions, ps -> ps.setLong(1, n));
      last = tx.query("claim feed positions", sql.lastFeedPosition, ps -> {}, rs -> rs.getLong(1));
    }
    if (last.size() != 1) {
      throw tx.failed(
          new StoreException(
              "database error: the feed counter row is missing (apply V4__feed.sql)"));
    }
    return last.get(0);
  }

  private static void bind(PreparedStatement ps, int offset, FeedEntry e) throws SQLException {
    ps.setLong(offset + 1, e.position());
    ps.setString(offset + 2, e.subjectId().value());
    ps.setString(offset + 3, e.purpose().value());
    ps.setString(offset + 4, e.type().name());
    ps.setLong(offset + 5, e.at().toEpochMilli());
    ps.setString(offset + 6, e.channel().name());
  }

  private static FeedEntry entry(ResultSet rs) throws SQLException {
    return new FeedEntry(
        rs.getLong(1),
        new SubjectId(rs.getString(2)),
        new PurposeId(rs.getString(3)),
        ConsentEvent.Type.valueOf(rs.getString(4)),
        Instant.ofEpochMilli(rs.getLong(5)),
        Channel.valueOf(rs.getString(6)));
  }
}
