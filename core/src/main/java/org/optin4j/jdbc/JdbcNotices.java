package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.join;
import static org.optin4j.jdbc.JdbcTransaction.purposes;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.Notice;
import org.optin4j.StoreException;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.spi.NoticeStore;

/**
 * The JDBC NoticeStore: notice texts. Runs its statements on its unit's connection through the unit's helpers, which
 * doom the unit on the first failure. One per unit of work, used only by the thread that runs it; not thread-safe.
 */
record JdbcNotices(JdbcTransaction tx, Connection c, Statements sql) implements NoticeStore {
  /** Attempts to assign a notice version before giving up under heavy contention for one key. */
  private static final int NOTICE_ATTEMPTS = 10;

  @Override
  public Notice saveNotice(Notice candidate) {
    tx.checkWritable();
    Objects.requireNonNull(candidate, "candidate");
    String key = candidate.key();
    for (int attempt = 1; ; attempt++) {
      Optional<Notice> known = notice(candidate.hash());
      if (known.isPresent()) {
        return known.get();
      }
      int version =
          tx.byKey("read notice versions", sql.maxNoticeVersion, key, rs -> rs.getInt(1)).orElse(0)
              + 1;
      Notice stored = candidate.withVersion(version);
      try {
        tx.guarded(
            () -> {
              try (PreparedStatement ps = c.prepareStatement(sql.insertNotice)) {
                ps.setString(1, stored.hash());
                ps.setString(2, key);
                ps.setInt(3, stored.version());
                ps.setString(4, stored.locale().toLanguageTag());
                ps.setString(5, join(stored.purposes()));
                ps.setString(6, stored.text());
                ps.setLong(7, stored.createdAt().toEpochMilli());
                return ps.executeUpdate();
              }
            });
        if (sql.dialect != Dialect.MARIADB) {
          return stored; // elsewhere a clash throws (below)
        }
        // MariaDB: ON DUPLICATE KEY UPDATE hash = hash turns a clash into a no-op, and the driver's
        // update count
        // cannot tell them apart (it counts found rows by default): read back what is stored under
        // the hash.
        Optional<Notice> now = notice(stored.hash());
        if (now.isPresent()) {
          return now.get();
        }
        if (attempt >= NOTICE_ATTEMPTS) {
          throw tx.failed(
              new StoreException(
                  "could not assign a notice version after " + NOTICE_ATTEMPTS + " attempts"));
        }
      } catch (SQLException e) {
        // Another node stored the same text (hash) or took this version for the key first: read
        // again, retry.
        if (!SqlErrors.isUniqueViolation(e)) {
          throw tx.failed(SqlErrors.wrap("save a notice", e));
        }
        if (attempt >= NOTICE_ATTEMPTS) {
          throw tx.failed(
              SqlErrors.wrap("assign a notice version after " + NOTICE_ATTEMPTS + " attempts", e));
        }
      }
    }
  }

  @Override
  public Optional<Notice> notice(String hash) {
    Objects.requireNonNull(hash, "hash");
    return tx.byKey("read a notice", sql.noticeByHash, hash, JdbcNotices::notice);
  }

  static Notice notice(ResultSet rs) throws SQLException {
    return new Notice(
        rs.getInt("version"),
        rs.getString("hash"),
        Locale.forLanguageTag(rs.getString("locale")),
        purposes(rs.getString("purposes")),
        rs.getString("body"),
        instant(rs, "created_at"));
  }
}
