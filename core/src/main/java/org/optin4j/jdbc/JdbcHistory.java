package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.noticeRef;
import static org.optin4j.jdbc.JdbcTransaction.setNotice;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.Channel;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.HistoryStore;

/**
 * The JDBC HistoryStore: hash-chained histories; it stores what the core sealed and computes no hash. Runs its
 * statements on its unit's connection through the unit's helpers, which doom the unit on the first failure. One per
 * unit of work, used only by the thread that runs it; not thread-safe.
 */
record JdbcHistory(JdbcTransaction tx, Connection c, Statements sql) implements HistoryStore {
  @Override
  public ConsentEvent append(ConsentEvent sealed, HistoryHead head) {
    tx.checkWritable();
    Objects.requireNonNull(head, "head");
    HistoryHead moved = head.advance(sealed);
    // Answered from the unit's cache when the core locked the head first, as it does: no statement.
    if (!tx.lockedHead(sealed.subjectId()).equals(head)) {
      throw new IllegalStateException(
          "the event was sealed on a head that is no longer the subject's current one");
    }
    tx.checkOpen();
    long sequence;
    try {
      boolean returning = sql.dialect == Dialect.POSTGRESQL;
      try (PreparedStatement ps =
          returning
              ? c.prepareStatement(sql.insertEvent)
              : c.prepareStatement(sql.insertEvent, Statement.RETURN_GENERATED_KEYS)) {
        bindEvent(ps, 0, sealed);
        if (returning) {
          try (ResultSet rs = ps.executeQuery()) {
            sequence = rs.next() ? rs.getLong(1) : 0;
          }
        } else {
          ps.executeUpdate();
          try (ResultSet rs = ps.getGeneratedKeys()) {
            sequence = rs.next() ? rs.getLong(1) : 0;
          }
        }
      }
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("append an event", e));
    }
    if (sequence <= 0) {
      throw tx.failed(new StoreException("database error: no sequence was generated for an event"));
    }
    tx.lockedHeads.put(sealed.subjectId(), moved);
    tx.unwrittenHeads.put(sealed.subjectId(), moved);
    return sealed.withSequence(sequence);
  }

  /**
   * Stores the events in one JDBC batch on H2 and PostgreSQL (one round trip), reading the generated sequences back
   * from it; one by one on MariaDB, whose driver does not promise the keys of a batch in order.
   */
  @Override
  public List<ConsentEvent> appendAll(List<ConsentEvent> sealed, HistoryHead head) {
    Objects.requireNonNull(sealed, "sealed");
    if (sql.dialect == Dialect.MARIADB || sealed.size() < 2) {
      return HistoryStore.super.appendAll(sealed, head);
    }
    tx.checkWritable();
    Objects.requireNonNull(head, "head");
    HistoryHead moved = head;
    for (ConsentEvent e : sealed) {
      moved = moved.advance(e); // refuses an event that does not continue the one before
    }
    if (!tx.lockedHead(head.subjectId()).equals(head)) {
      throw new IllegalStateException(
          "the event was sealed on a head that is no longer the subject's current one");
    }
    tx.checkOpen();
    List<ConsentEvent> stored = new ArrayList<>(sealed.size());
    try (PreparedStatement ps = c.prepareStatement(sql.insertEventForBatch, new String[] {"seq"})) {
      for (ConsentEvent e : sealed) {
        bindEvent(ps, 0, e);
        ps.addBatch();
      }
      ps.executeBatch();
      try (ResultSet rs = ps.getGeneratedKeys()) {
        for (ConsentEvent e : sealed) {
          long sequence = rs.next() ? rs.getLong(1) : 0;
          if (sequence <= 0) {
            throw tx.failed(
                new StoreException("database error: no sequence was generated for an event"));
          }
          stored.add(e.withSequence(sequence));
        }
      }
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("append events", e));
    }
    tx.lockedHeads.put(head.subjectId(), moved);
    tx.unwrittenHeads.put(head.subjectId(), moved);
    return List.copyOf(stored);
  }

  /** Binds a sealed event's 18 columns ({@link Statements#EVENT_COLUMNS}) from parameter {@code offset + 1}. */
  static void bindEvent(PreparedStatement ps, int offset, ConsentEvent event) throws SQLException {
    ConsentEvent.Seal seal = event.seal();
    ps.setString(offset + 1, event.subjectId().value());
    ps.setString(offset + 2, event.purpose().value());
    ps.setString(offset + 3, event.type().name());
    ps.setLong(offset + 4, event.at().toEpochMilli());
    ps.setString(offset + 5, event.requestId());
    setNotice(ps, offset + 6, event.notice());
    ps.setString(offset + 9, event.source());
    ps.setString(offset + 10, event.channel().name());
    ps.setString(offset + 11, event.evidence().ip());
    ps.setString(offset + 12, event.evidence().userAgent());
    ps.setString(offset + 13, event.tokenId());
    ps.setInt(offset + 14, seal.position());
    ps.setString(offset + 15, seal.previousHash());
    ps.setString(offset + 16, seal.detailsSalt());
    ps.setString(offset + 17, seal.detailsDigest());
    ps.setString(offset + 18, seal.hash());
  }

  @Override
  public HistoryHead lock(SubjectId id) {
    return tx.lockedHead(Objects.requireNonNull(id, "id"));
  }

  @Override
  public Optional<HistoryHead> head(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read a history head", sql.head, id.value(), JdbcTransaction.headOf(id))
        .filter(h -> h.position() > 0);
  }

  @Override
  public List<SubjectId> subjects(SubjectId after, int limit) {
    checkLimit(limit);
    return tx.subjectPage(
        "list histories", sql.historySubjectsFirst, sql.historySubjectsAfter, after, limit);
  }

  @Override
  public List<ConsentEvent> events(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return List.copyOf(
        tx.query(
            "read events",
            sql.events,
            ps -> ps.setString(1, id.value()),
            rs ->
                new ConsentEvent(
                    rs.getLong("seq"),
                    new SubjectId(rs.getString("subject_id")),
                    new PurposeId(rs.getString("purpose")),
                    ConsentEvent.Type.valueOf(rs.getString("event_type")),
                    instant(rs, "occurred_at"),
                    rs.getString("request_id"),
                    noticeRef(rs),
                    rs.getString("source"),
                    Channel.valueOf(rs.getString("channel")),
                    new Evidence(rs.getString("evidence_ip"), rs.getString("evidence_user_agent")),
                    rs.getString("token_id"),
                    new ConsentEvent.Seal(
                        rs.getInt("chain_position"),
                        rs.getString("previous_hash"),
                        rs.getString("details_salt"),
                        rs.getString("details_digest"),
                        rs.getString("chain_hash")))));
  }
}
