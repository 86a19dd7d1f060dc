package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.join;
import static org.optin4j.jdbc.JdbcTransaction.purposes;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.optin4j.EmailAddress;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.OutboxStore;

/**
 * The JDBC OutboxStore: mail outbox. Runs its statements on its unit's connection through the unit's helpers, which
 * doom the unit on the first failure. One per unit of work, used only by the thread that runs it; not thread-safe.
 */
record JdbcOutbox(JdbcTransaction tx, Connection c, Statements sql) implements OutboxStore {
  @Override
  public boolean enqueue(OutboxMail mail) {
    tx.checkWritable();
    Objects.requireNonNull(mail, "mail");
    tx.checkOpen();
    try {
      try (PreparedStatement ps = c.prepareStatement(sql.insertMail)) {
        setMail(ps, mail);
        if (ps.executeUpdate() == 1) {
          return true;
        }
      } catch (SQLException e) {
        if (!SqlErrors.isUniqueViolation(e)) {
          throw e;
        }
        // PostgreSQL skipped a dedupe-key clash already (ON CONFLICT), so its clash is on the id;
        // elsewhere, look.
        if (sql.dialect == Dialect.POSTGRESQL || !mailExists(mail.dedupeKey())) {
          throw tx.failed(SqlErrors.duplicate("a mail with this id exists already", e));
        }
      }
      return false;
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("enqueue a mail", e));
    }
  }

  /** Set-based: see {@link JdbcCampaignQueue}. */
  @Override
  public org.optin4j.spi.CampaignPage.Queued enqueueCampaignPage(
      org.optin4j.spi.CampaignPage page) {
    return JdbcCampaignQueue.enqueue(tx, sql.campaignQueue, page);
  }

  private boolean mailExists(String dedupeKey) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql.mailExistsByDedupeKey)) {
      ps.setString(1, dedupeKey);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  @Override
  public int countMails(EmailAddress recipient, MailKind kind, Instant since) {
    Objects.requireNonNull(recipient, "recipient");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(since, "since");
    return tx.queryOne(
            "count mails",
            kind == MailKind.CAMPAIGN ? sql.countMails : sql.countMailsNotCampaign,
            ps -> {
              ps.setString(1, recipient.value());
              ps.setString(2, kind.name());
              ps.setLong(3, since.toEpochMilli());
            },
            rs -> rs.getInt(1))
        .orElse(0);
  }

  @Override
  public Optional<Instant> mailQueuedAt(String dedupeKey) {
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    return tx.byKey(
        "read a mail's enqueue time",
        sql.mailQueuedAt,
        dedupeKey,
        rs -> Instant.ofEpochMilli(rs.getLong(1)));
  }

  @Override
  public List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit) {
    tx.checkWritable();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    checkLimit(limit);
    if (!leaseUntil.isAfter(now)) {
      throw new IllegalArgumentException("leaseUntil must be after now");
    }
    if (limit == 0) {
      return List.of();
    }
    tx.checkOpen();
    // Mail someone waits for first, then campaign mail; within a priority, oldest due first across
    // both branches. Rows a branch locked beyond the limit stay unclaimed (and are released at
    // commit).
    List<Claimable> taken = new ArrayList<>();
    for (int priority = 0; priority < PRIORITIES && taken.size() < limit; priority++) {
      int room = limit - taken.size();
      List<Claimable> due = new ArrayList<>();
      if (sql.dialect == Dialect.H2) {
        due.addAll(
            claimableInPages(sql.candidatesQueued, sql.lockQueuedPrefix, priority, now, room));
        due.addAll(
            claimableInPages(sql.candidatesExpired, sql.lockExpiredPrefix, priority, now, room));
      } else {
        due.addAll(claimable(sql.claimQueued, priority, now, room));
        due.addAll(claimable(sql.claimExpired, priority, now, room));
      }
      due.sort(Claimable.DUE_ORDER);
      taken.addAll(due.subList(0, Math.min(room, due.size())));
    }
    if (taken.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps = c.prepareStatement(sql.markClaimed)) {
      for (Claimable m : taken) {
        ps.setLong(1, leaseUntil.toEpochMilli());
        ps.setLong(2, m.seq());
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("claim mails", e));
    }
    return taken.stream().map(m -> m.mail().claimed(leaseUntil)).toList();
  }

  /**
   * Claims on H2: reads due rows' keys without locking, in index order, a page of {@code limit} at a time, and locks
   * each page's rows that are still due and not locked by another unit, until {@code limit} rows are locked.
   */
  private List<Claimable> claimableInPages(
      String candidates, String lockPrefix, int priority, Instant now, int limit) {
    List<Claimable> locked = new ArrayList<>();
    long afterDue = Long.MIN_VALUE;
    long afterSeq = Long.MIN_VALUE;
    while (locked.size() < limit) {
      long due = afterDue;
      long seq = afterSeq;
      List<long[]> page =
          tx.query(
              "claim mails",
              candidates,
              ps -> {
                ps.setInt(1, priority);
                ps.setLong(2, now.toEpochMilli());
                ps.setLong(3, due);
                ps.setLong(4, due);
                ps.setLong(5, seq);
                ps.setInt(6, limit);
              },
              rs -> new long[] {rs.getLong(1), rs.getLong(2)});
      if (page.isEmpty()) {
        break;
      }
      String lock =
          lockPrefix
              + page.stream().map(k -> "?").collect(Collectors.joining(", "))
              + ") FOR UPDATE SKIP LOCKED";
      List<Claimable> free =
          tx.query(
              "claim mails",
              lock,
              ps -> {
                ps.setLong(1, now.toEpochMilli());
                for (int i = 0; i < page.size(); i++) {
                  ps.setLong(i + 2, page.get(i)[0]);
                }
              },
              rs -> new Claimable(rs.getLong("seq"), mail(rs)));
      free.sort(Claimable.DUE_ORDER);
      locked.addAll(free.subList(0, Math.min(free.size(), limit - locked.size())));
      long[] last = page.get(page.size() - 1);
      afterDue = last[1];
      afterSeq = last[0];
      if (page.size() < limit) {
        break;
      }
    }
    return locked;
  }

  /** The number of claim priorities: see {@link #priority}. */
  private static final int PRIORITIES = 2;

  /**
   * The claim priority of a kind of mail, stored in the outbox's {@code priority} column: 0 for mail someone is
   * waiting for (a confirmation, a receipt, a step-up link), claimed before any due mail of priority 1, campaign mail.
   * Without it a confirmation queued after a million campaign mails would wait until they were sent.
   */
  static int priority(MailKind kind) {
    return kind == MailKind.CAMPAIGN ? 1 : 0;
  }

  /** A due mail and its row's sequence. */
  private record Claimable(long seq, OutboxMail mail) {
    /** Oldest due first, then by row sequence. */
    static final Comparator<Claimable> DUE_ORDER =
        Comparator.comparing((Claimable m) -> m.mail().nextAttemptAt())
            .thenComparingLong(Claimable::seq);
  }

  private List<Claimable> claimable(String statement, int priority, Instant now, int limit) {
    return tx.query(
        "claim mails",
        statement,
        ps -> {
          ps.setInt(1, priority);
          ps.setLong(2, now.toEpochMilli());
          ps.setInt(3, limit);
        },
        rs -> new Claimable(rs.getLong("seq"), mail(rs)));
  }

  @Override
  public void updateMail(OutboxMail mail) {
    Objects.requireNonNull(mail, "mail");
    int count = tx.update("update a mail", sql.updateMail, ps -> bindDispatchState(ps, mail));
    if (count != 1) {
      throw tx.failed(new StoreException("could not update mail: no such mail"));
    }
  }

  /** One JDBC batch: a dispatch round's outcomes in one round trip instead of one per mail. */
  @Override
  public void updateMails(List<OutboxMail> mails) {
    Objects.requireNonNull(mails, "mails");
    if (mails.isEmpty()) {
      return;
    }
    tx.checkOpen();
    tx.checkWritable();
    tx.beforeStatement(sql.updateMail);
    int[] counts;
    try (PreparedStatement ps = c.prepareStatement(sql.updateMail)) {
      for (OutboxMail mail : mails) {
        bindDispatchState(ps, mail);
        ps.addBatch();
      }
      counts = ps.executeBatch();
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("update mails", e));
    }
    for (int count : counts) {
      // SUCCESS_NO_INFO (-2): the driver ran the statement but does not say how many rows it
      // changed.
      if (count != 1 && count != Statement.SUCCESS_NO_INFO) {
        throw tx.failed(new StoreException("could not update mail: no such mail"));
      }
    }
  }

  @Override
  public int renewClaims(Collection<String> ids, Instant heldUntil, Instant newUntil) {
    Objects.requireNonNull(heldUntil, "heldUntil");
    Objects.requireNonNull(newUntil, "newUntil");
    if (!newUntil.isAfter(heldUntil)) {
      throw new IllegalArgumentException("newUntil must be after heldUntil");
    }
    return updateHeldClaims(
        "renew mail claims",
        sql.renewClaimsPrefix,
        ids,
        List.of(newUntil.toEpochMilli(), heldUntil.toEpochMilli()));
  }

  @Override
  public int releaseClaims(Collection<String> ids, Instant heldUntil) {
    Objects.requireNonNull(heldUntil, "heldUntil");
    return updateHeldClaims(
        "release mail claims", sql.releaseClaimsPrefix, ids, List.of(heldUntil.toEpochMilli()));
  }

  /**
   * Runs {@code prefix} with its leading numbers and the distinct ids, in chunks that keep the statement's parameter
   * count small on every dialect; the lease end in the WHERE clause makes it touch only the caller's own claims.
   */
  private int updateHeldClaims(
      String what, String prefix, Collection<String> ids, List<Long> leading) {
    tx.checkOpen();
    tx.checkWritable();
    List<String> distinct =
        List.copyOf(new java.util.LinkedHashSet<>(Objects.requireNonNull(ids, "ids")));
    int changed = 0;
    for (int from = 0; from < distinct.size(); from += 500) {
      List<String> chunk = distinct.subList(from, Math.min(distinct.size(), from + 500));
      String statement =
          prefix + chunk.stream().map(id -> "?").collect(Collectors.joining(", ")) + ")";
      changed +=
          tx.update(
              what,
              statement,
              ps -> {
                int i = 1;
                for (long value : leading) {
                  ps.setLong(i++, value);
                }
                for (String id : chunk) {
                  ps.setString(i++, id);
                }
              });
    }
    return changed;
  }

  @Override
  public List<OutboxMail> mails(SubjectId id) {
    return tx.ofSubject(
        "read mails",
        sql.mailsBySubject,
        id,
        JdbcOutbox::mail,
        Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id));
  }

  /** Binds {@code sql.updateMail}: a mail's dispatch state, then its id. */
  static void bindDispatchState(PreparedStatement ps, OutboxMail mail) throws SQLException {
    ps.setString(1, mail.status().name());
    ps.setInt(2, mail.attempts());
    ps.setLong(3, mail.nextAttemptAt().toEpochMilli());
    setInstant(ps, 4, mail.leaseUntil());
    setInstant(ps, 5, mail.sentAt());
    ps.setString(6, mail.lastError());
    ps.setString(7, mail.id());
  }

  static void setMail(PreparedStatement ps, OutboxMail m) throws SQLException {
    ps.setString(1, m.id());
    ps.setString(2, m.kind().name());
    ps.setString(3, m.subjectId().value());
    ps.setString(4, m.recipient().value());
    ps.setString(5, m.requestId());
    ps.setInt(6, m.generation());
    ps.setString(7, m.locale().toLanguageTag());
    ps.setString(8, join(m.purposes()));
    ps.setString(9, m.dedupeKey());
    ps.setString(10, m.status().name());
    ps.setInt(11, m.attempts());
    ps.setLong(12, m.nextAttemptAt().toEpochMilli());
    setInstant(ps, 13, m.leaseUntil());
    ps.setLong(14, m.createdAt().toEpochMilli());
    setInstant(ps, 15, m.sentAt());
    ps.setString(16, m.lastError());
    ps.setInt(17, priority(m.kind()));
  }

  static OutboxMail mail(ResultSet rs) throws SQLException {
    return new OutboxMail(
        rs.getString("id"),
        MailKind.valueOf(rs.getString("kind")),
        new SubjectId(rs.getString("subject_id")),
        new EmailAddress(rs.getString("recipient")),
        rs.getString("request_id"),
        rs.getInt("generation"),
        Locale.forLanguageTag(rs.getString("locale")),
        purposes(rs.getString("purposes")),
        rs.getString("dedupe_key"),
        OutboxMail.Status.valueOf(rs.getString("status")),
        rs.getInt("attempts"),
        instant(rs, "next_attempt_at"),
        instant(rs, "lease_until"),
        instant(rs, "created_at"),
        instant(rs, "sent_at"),
        rs.getString("last_error"));
  }

  @Override
  public java.util.Map<OutboxMail.Status, Long> countMailsByStatus() {
    return countsByStatus(sql.mailsByStatus, ps -> {}, rs -> rs.getLong(2));
  }

  @Override
  public java.util.Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    return countsByStatus(
        sql.countMailsByStatus, ps -> ps.setString(1, requestId), rs -> rs.getInt(2));
  }

  /** Reads (status, count) rows into an unmodifiable map; {@code count} reads the second column. */
  private <N> java.util.Map<OutboxMail.Status, N> countsByStatus(
      String statement, JdbcTransaction.Binder binder, JdbcTransaction.RowMapper<N> count) {
    java.util.Map<OutboxMail.Status, N> counts = new java.util.EnumMap<>(OutboxMail.Status.class);
    for (java.util.Map.Entry<OutboxMail.Status, N> e :
        tx.query(
            "count mails",
            statement,
            binder,
            rs -> java.util.Map.entry(OutboxMail.Status.valueOf(rs.getString(1)), count.map(rs)))) {
      counts.put(e.getKey(), e.getValue());
    }
    return java.util.Collections.unmodifiableMap(counts);
  }
}
