package org.optin4j.jdbc;

import java.util.Objects;
import org.optin4j.SubjectId;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.spi.CampaignPage;

/**
 * Queues a page of a campaign to everyone confirmed for its purpose in two statements, whatever the page's size: one
 * reads where the page ends (the last of the next {@code limit} confirmed subjects in key order), the other
 * {@code INSERT ... SELECT}s the mails of the page's mailable subjects. The database selects the recipients and writes
 * the rows; nothing per recipient crosses the connection. Stateless; runs on the unit's connection.
 */
final class JdbcCampaignQueue {

  /** The statements, built once per (dialect, table prefix) with the other {@link Statements}. Immutable. */
  static final class Sql {
    final String pageEnd;
    final String insertPage;

    Sql(Dialect dialect, String prefix) {
      String consents = prefix + "consents";
      String subjects = prefix + "subjects";
      String outbox = prefix + "outbox";
      // MAX and ORDER BY compare under the same collation, so the keyset walk is consistent
      // whatever the column's collation is. Each page must read its own range of the primary key
      // (subject_id, purpose) once: H2 (and possibly MariaDB) picks the (purpose, state, ...)
      // index for an equality on purpose and then reads and sorts every confirmed consent of the
      // purpose for each page, quadratic over the walk, so there the purpose is compared as an
      // expression no index serves. PostgreSQL walks the primary key for a plain equality (4 ms a
      // page); the expression would hide its selectivity and make it plan a parallel scan whose
      // workers cost more than the page (BENCHMARKS.md).
      pageEnd =
          "SELECT MAX(subject_id), COUNT(*) FROM (SELECT subject_id FROM "
              + consents
              + " WHERE "
              + purposeIs(dialect, "purpose")
              + " AND state = 'CONFIRMED' AND subject_id > ?"
              + " ORDER BY subject_id LIMIT ?) page";
      String mailId = concat(dialect, "c.subject_id");
      insertPage =
          "INSERT INTO "
              + outbox
              + " (id, kind, subject_id, recipient, request_id, generation, locale, purposes,"
              + " dedupe_key, status, attempts, next_attempt_at, created_at, priority)"
              + " SELECT "
              + mailId
              + ", 'CAMPAIGN', c.subject_id, s.email, ?, 0, c.notice_locale, ?, "
              + concat(dialect, "c.subject_id")
              + ", 'QUEUED', 0, ?, ?, 1 FROM "
              + consents
              + " c JOIN "
              + subjects
              + " s ON s.id = c.subject_id"
              + " WHERE "
              + purposeIs(dialect, "c.purpose")
              + " AND c.state = 'CONFIRMED' AND c.restricted = FALSE"
              + " AND c.confirmed_at > ? AND c.subject_id > ? AND c.subject_id <= ?"
              + " AND NOT EXISTS (SELECT 1 FROM "
              + outbox
              + " o WHERE o.dedupe_key = "
              + concat(dialect, "c.subject_id")
              + ") ORDER BY c.subject_id"
              // A concurrent run of the same page (a resume while the first still runs) loses
              // the race quietly on PostgreSQL; elsewhere the unit fails and the caller runs the
              // page again.
              + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT (dedupe_key) DO NOTHING" : "");
    }

    /** The purpose condition on {@code column}, as the walk needs it on each dialect (see above). */
    private static String purposeIs(Dialect dialect, String column) {
      return dialect == Dialect.POSTGRESQL ? column + " = ?" : "CONCAT(" + column + ", '') = ?";
    }

    /** A parameter followed by a column, as text: {@code ||} is OR on MariaDB. */
    private static String concat(Dialect dialect, String column) {
      return switch (dialect) {
        case MARIADB -> "CONCAT(?, " + column + ")";
        case POSTGRESQL -> "CAST(? AS TEXT) || " + column;
        case H2 -> "CAST(? AS VARCHAR) || " + column;
      };
    }
  }

  private JdbcCampaignQueue() {}

  static CampaignPage.Queued enqueue(JdbcTransaction tx, Sql sql, CampaignPage page) {
    tx.checkWritable();
    Objects.requireNonNull(page, "page");
    String after = page.after() == null ? "" : page.after().value();
    String purpose = page.purpose().value();
    Object[] end =
        tx.queryOne(
                "find a campaign page's end",
                sql.pageEnd,
                ps -> {
                  ps.setString(1, purpose);
                  ps.setString(2, after);
                  ps.setInt(3, page.limit());
                },
                rs -> new Object[] {rs.getString(1), rs.getInt(2)})
            .orElseThrow();
    String last = (String) end[0];
    int confirmed = (Integer) end[1];
    if (last == null) {
      return new CampaignPage.Queued(0, 0, null);
    }
    long activeSince =
        page.activeSince() == null ? Long.MIN_VALUE : page.activeSince().toEpochMilli();
    int queued =
        tx.update(
            "queue a campaign page",
            sql.insertPage,
            ps -> {
              ps.setString(1, page.idPrefix());
              ps.setString(2, page.campaignId());
              ps.setString(3, purpose);
              ps.setString(4, page.dedupeKeyPrefix());
              ps.setLong(5, page.now().toEpochMilli());
              ps.setLong(6, page.now().toEpochMilli());
              ps.setString(7, purpose);
              ps.setLong(8, activeSince);
              ps.setString(9, after);
              ps.setString(10, last);
              ps.setString(11, page.dedupeKeyPrefix());
            });
    return new CampaignPage.Queued(confirmed, queued, new SubjectId(last));
  }
}
