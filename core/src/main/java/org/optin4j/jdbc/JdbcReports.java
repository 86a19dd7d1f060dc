package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.optin4j.SubjectId;
import org.optin4j.spi.ReportStore;

/** The JDBC ReportStore (tables of {@code V6__reports.sql}). One per unit of work; not thread-safe. */
record JdbcReports(JdbcTransaction tx, JdbcReports.Sql sql) implements ReportStore {

  /** The statements, built once per table prefix with the other {@link Statements}. Immutable. */
  static final class Sql {
    final String insertAside;
    final String asideNewest;
    final String purgeAside;
    final String softBounceExists;
    final String insertSoftBounce;
    final String countSoftBounces;
    final String purgeSoftBouncesOf;
    final String purgeSoftBounces;

    Sql(String prefix) {
      String aside = prefix + "report_aside";
      String soft = prefix + "soft_bounces";
      insertAside =
          "INSERT INTO " + aside + " (id, received_at, reason, excerpt) VALUES (?, ?, ?, ?)";
      asideNewest =
          "SELECT id, received_at, reason, excerpt FROM "
              + aside
              + " ORDER BY received_at DESC, id DESC LIMIT ?";
      purgeAside = "DELETE FROM " + aside + " WHERE received_at < ?";
      softBounceExists = "SELECT 1 FROM " + soft + " WHERE subject_id = ? AND mail_id = ?";
      insertSoftBounce =
          "INSERT INTO " + soft + " (subject_id, mail_id, occurred_at) VALUES (?, ?, ?)";
      countSoftBounces =
          "SELECT COUNT(*) FROM " + soft + " WHERE subject_id = ? AND occurred_at >= ?";
      purgeSoftBouncesOf = "DELETE FROM " + soft + " WHERE subject_id = ? AND occurred_at < ?";
      purgeSoftBounces = "DELETE FROM " + soft + " WHERE occurred_at < ?";
    }
  }

  @Override
  public void setAside(AsideReport r) {
    Objects.requireNonNull(r, "report");
    tx.write(
        "set a report aside",
        "a report with this id exists",
        sql.insertAside,
        ps -> {
          ps.setString(1, r.id());
          ps.setLong(2, r.receivedAt().toEpochMilli());
          ps.setString(3, r.reason());
          ps.setString(4, r.excerpt());
        });
  }

  @Override
  public List<AsideReport> setAside(int limit) {
    checkLimit(limit);
    return List.copyOf(
        tx.query(
            "read reports set aside",
            sql.asideNewest,
            ps -> ps.setInt(1, limit),
            rs ->
                new AsideReport(
                    rs.getString(1),
                    Instant.ofEpochMilli(rs.getLong(2)),
                    rs.getString(3),
                    rs.getString(4))));
  }

  @Override
  public int purgeSetAside(Instant before) {
    Objects.requireNonNull(before, "before");
    return tx.update(
        "purge reports set aside", sql.purgeAside, ps -> ps.setLong(1, before.toEpochMilli()));
  }

  @Override
  public boolean addSoftBounce(SubjectId subject, String mailId, Instant at) {
    Objects.requireNonNull(mailId, "mailId");
    Objects.requireNonNull(at, "at");
    tx.checkWritable();
    boolean counted =
        !tx.query(
                "read a soft bounce",
                sql.softBounceExists,
                JdbcTransaction.strings(subject.value(), mailId),
                rs -> Boolean.TRUE)
            .isEmpty();
    if (counted) {
      return false;
    }
    tx.update(
        "count a soft bounce",
        sql.insertSoftBounce,
        ps -> {
          ps.setString(1, subject.value());
          ps.setString(2, mailId);
          ps.setLong(3, at.toEpochMilli());
        });
    return true;
  }

  @Override
  public int countSoftBounces(SubjectId subject, Instant since) {
    Objects.requireNonNull(since, "since");
    return tx.query(
            "count soft bounces",
            sql.countSoftBounces,
            ps -> {
              ps.setString(1, subject.value());
              ps.setLong(2, since.toEpochMilli());
            },
            rs -> rs.getInt(1))
        .get(0);
  }

  @Override
  public int purgeSoftBounces(SubjectId subject, Instant before) {
    Objects.requireNonNull(before, "before");
    if (subject == null) {
      return tx.update(
          "purge soft bounces", sql.purgeSoftBounces, ps -> ps.setLong(1, millis(before)));
    }
    return tx.update(
        "purge soft bounces",
        sql.purgeSoftBouncesOf,
        ps -> {
          ps.setString(1, subject.value());
          ps.setLong(2, millis(before));
        });
  }

  /** Epoch milliseconds, saturated: the core asks for "every bounce" with {@code Instant.MAX}, beyond a long's millis. */
  private static long millis(Instant at) {
    return at.isAfter(LAST_MILLI) ? Long.MAX_VALUE : at.toEpochMilli();
  }

  private static final Instant LAST_MILLI = Instant.ofEpochMilli(Long.MAX_VALUE);
}
