package org.optin4j.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.optin4j.Consent;
import org.optin4j.EmailAddress;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConfirmationView;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.PendingRequest;

/**
 * One unit of work on one connection. Valid only while {@link JdbcConsentStore#inTransaction} runs, and only on the
 * thread that runs it.
 *
 * <p>A {@link StoreException} thrown by any operation (a {@code DuplicateKeyException} included) dooms the unit: later
 * operations throw {@link StoreException} with the first failure as cause, and the unit is rolled back even if the work
 * swallows the exception and returns. That is what PostgreSQL does to a transaction after any failed statement; the
 * store makes H2 and MariaDB, which would undo only the failed statement, behave the same.
 *
 * <p>The unit hands out one object per SPI part ({@link JdbcSubjects}, {@link JdbcHistory}, ...); they share its
 * connection, its statements, its failure and the history heads it has locked, and run every statement through its
 * helpers here.
 *
 * <p>The expected "already there" outcomes are not failures and leave the unit usable: {@code useToken} and {@code
 * enqueue} answer {@code false} (PostgreSQL: {@code INSERT ... ON CONFLICT DO NOTHING}; H2 and MariaDB: the clash fails
 * only that statement), and {@code saveNotice} retries a version clash behind a savepoint.
 */
final class JdbcTransaction implements ConsentStore.Transaction {
  private final Connection c;
  private final Statements sql;
  private final Thread owner = Thread.currentThread();

  /** Run by {@link JdbcConsentStore#read}: statements in autocommit, writes refused. */
  final boolean readOnly;

  /** The chain heads this unit has locked, kept current by its appends. */
  final java.util.Map<SubjectId, HistoryHead> lockedHeads = new java.util.HashMap<>();

  /**
   * Heads moved by appends but not written yet. A locked head is this unit's alone until it ends, so its row is
   * written once, when the unit commits or before any statement that reads or writes the heads table, instead of once
   * per event (a subject's signup appends one event per purpose).
   */
  final java.util.Map<SubjectId, HistoryHead> unwrittenHeads = new java.util.LinkedHashMap<>();

  /** Feed entries appended by this unit, written with their commit-order positions by {@link #flush}. */
  final List<org.optin4j.feed.FeedEntry> unwrittenFeed = new ArrayList<>();

  /** Subjects this unit inserted: nobody else can know their ids before the commit, so their heads need no lock. */
  final Set<SubjectId> insertedSubjects = new java.util.HashSet<>();

  /** Heads of inserted subjects that have no row yet (written with an insert, not an update). */
  final Set<SubjectId> headsWithoutRow = new java.util.HashSet<>();

  private boolean open = true;
  private StoreException failure;

  JdbcTransaction(Connection connection, Statements sql, boolean readOnly) {
    this.c = connection;
    this.sql = sql;
    this.readOnly = readOnly;
  }

  // The parts are records of this unit's collaborators, made on each call: cheap, and equal to one
  // another.

  @Override
  public JdbcSubjects subjects() {
    return new JdbcSubjects(this, c, sql);
  }

  @Override
  public JdbcHistory history() {
    return new JdbcHistory(this, c, sql);
  }

  @Override
  public JdbcNotices notices() {
    return new JdbcNotices(this, c, sql);
  }

  @Override
  public JdbcRequests requests() {
    return new JdbcRequests(this, c, sql);
  }

  @Override
  public JdbcOutbox outbox() {
    return new JdbcOutbox(this, c, sql);
  }

  @Override
  public JdbcRetention retention() {
    return new JdbcRetention(this, c, sql);
  }

  @Override
  public JdbcRegisters registers() {
    return new JdbcRegisters(this, c, sql);
  }

  @Override
  public JdbcFeed feed() {
    return new JdbcFeed(this, c, sql);
  }

  @Override
  public JdbcWebhooks webhooks() {
    return new JdbcWebhooks(this, c, sql);
  }

  @Override
  public JdbcReports reports() {
    return new JdbcReports(this, sql.reports);
  }

  @Override
  public JdbcSendRates sendRates() {
    return new JdbcSendRates(this, c, sql.sendRates);
  }

  @Override
  public org.optin4j.spi.WithSuppression<Optional<org.optin4j.Subject>>
      subjectByEmailWithSuppression(EmailAddress email, String addressKey) {
    return subjects().subjectByEmailWithSuppression(email, addressKey);
  }

  @Override
  public org.optin4j.spi.WithSuppression<List<Consent>> consentsWithSuppression(
      SubjectId id, String addressKey) {
    return subjects().consentsWithSuppression(id, addressKey);
  }

  @Override
  public Optional<ConfirmationView> confirmationView(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    // The request and its address change repeat on every row: mapped from the first only (the
    // notice's locale tag is parsed per mapping, which showed in the page's profile).
    PendingRequest[] request = new PendingRequest[1];
    String[] change = new String[1];
    List<Consent> consents = new ArrayList<>();
    query(
        "read a confirmation page",
        sql.confirmationView,
        strings(requestId),
        rs -> {
          if (request[0] == null) {
            request[0] = JdbcRequests.request(rs);
            change[0] = rs.getString("change_email");
          }
          if (rs.getString("c_purpose") != null) {
            consents.add(JdbcSubjects.consent(rs, "c_"));
          }
          return Boolean.TRUE;
        });
    if (request[0] == null) {
      return Optional.empty();
    }
    // In Java, as SubjectStore.consents: the database's collation may order purpose ids otherwise.
    consents.sort(Comparator.comparing(Consent::purpose));
    return Optional.of(
        new ConfirmationView(
            request[0], Optional.ofNullable(change[0]).map(EmailAddress::new), consents));
  }

  @Override
  public org.optin4j.spi.BatchReads batchReads() {
    return sql.batchReads.bind(this);
  }

  /** Refuses a write in a unit run by {@link JdbcConsentStore#read}. */
  void checkWritable() {
    if (readOnly) {
      throw new IllegalStateException(
          "this unit of work only reads (ConsentStore.read); write in inTransaction");
    }
  }

  void end() {
    open = false;
  }

  /**
   * Writes what this unit still holds back (the moved history heads, then the feed entries, whose positions must be
   * claimed last: see {@link JdbcFeed}); called before the commit.
   */
  void flush() {
    if (open && failure == null) {
      writeHeads();
      new JdbcFeed(this, c, sql).write(unwrittenFeed);
    }
  }

  private void writeHeads() {
    if (unwrittenHeads.isEmpty()) {
      return;
    }
    List<HistoryHead> heads = new ArrayList<>(unwrittenHeads.values());
    unwrittenHeads.clear();
    for (HistoryHead h : heads) {
      if (headsWithoutRow.remove(h.subjectId())) {
        write(
            "create a history head",
            "a history head for this subject exists already",
            sql.insertHead,
            ps -> bindHead(ps, 0, h));
      } else {
        update(
            "move the history head",
            sql.updateHead,
            ps -> {
              ps.setInt(1, h.position());
              ps.setString(2, h.hash());
              ps.setString(3, h.subjectId().value());
            });
      }
    }
  }

  /** Writes held-back heads first if {@code statement} touches the heads table, so that it sees them. */
  void beforeStatement(String statement) {
    if (!unwrittenHeads.isEmpty() && statement.contains(sql.headsTable)) {
      writeHeads();
    }
  }

  /** Returns the first store failure of this unit, or {@code null}. */
  StoreException failure() {
    return failure;
  }

  void checkOpen() {
    if (!open) {
      throw new IllegalStateException(
          "this transaction has ended; use the Transaction only inside inTransaction");
    }
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("a transaction may only be used by the thread that runs it");
    }
    if (failure != null) {
      throw new StoreException(
          "the transaction is rolled back after an earlier store failure", failure);
    }
  }

  /** Records the first failure, which dooms the unit, and returns the exception to throw. */
  StoreException failed(StoreException e) {
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  /**
   * Returns the subject's chain head, locked until the transaction ends: created at position 0 if absent (an insert
   * guarded by the primary key, so concurrent first appends on several nodes meet at one row), then read
   * {@code FOR UPDATE}. Later calls in this unit answer from the unit's own cache, which appends keep current.
   */
  HistoryHead lockedHead(SubjectId id) {
    checkWritable();
    HistoryHead known = lockedHeads.get(id);
    if (known != null) {
      return known;
    }
    if (insertedSubjects.contains(id)) {
      // Inserted by this unit, so no other unit can reach its head; the row is written with the
      // first append.
      HistoryHead genesis = new HistoryHead(id, 0, ConsentEvent.Seal.GENESIS);
      lockedHeads.put(id, genesis);
      headsWithoutRow.add(id);
      return genesis;
    }
    // Lock first: the usual case, an existing head, needs no insert. (On MariaDB a failed duplicate
    // insert would leave
    // a shared lock that two units then both try to upgrade: a deadlock.) A concurrent purge may
    // delete the head
    // between our insert and our lock: then create it again.
    for (int attempt = 1; ; attempt++) {
      Optional<HistoryHead> locked =
          byKey("lock a history head", sql.headForUpdate, id.value(), headOf(id));
      if (locked.isPresent()) {
        lockedHeads.put(id, locked.get());
        return locked.get();
      }
      if (attempt > 3) {
        throw failed(
            new StoreException("could not lock the history head of a subject after 3 attempts"));
      }
      checkOpen();
      insertHeadIfAbsent(id.value());
    }
  }

  /**
   * Creates a subject's head at position 0 unless it exists, one statement behind {@link #guarded}. A unique violation
   * means a concurrent unit created it first (H2: the clash fails this statement only) and is no failure: the caller
   * locks the head next.
   */
  private void insertHeadIfAbsent(String subjectId) {
    try {
      guarded(
          () -> {
            try (PreparedStatement ps = c.prepareStatement(sql.insertHeadIfAbsent)) {
              bindGenesisHead(ps, subjectId);
              ps.executeUpdate();
            }
            return null;
          });
    } catch (SQLException e) {
      if (!SqlErrors.isUniqueViolation(e)) {
        throw failed(SqlErrors.wrap("create a history head", e));
      }
    }
  }

  private static void bindGenesisHead(PreparedStatement ps, String subjectId) throws SQLException {
    ps.setString(1, subjectId);
    ps.setInt(2, 0);
    ps.setString(3, ConsentEvent.Seal.GENESIS);
  }

  /** Reads a head of the subject from a row of (position, hash), as {@code sql.head} selects them. */
  static RowMapper<HistoryHead> headOf(SubjectId id) {
    return rs -> new HistoryHead(id, rs.getInt(1), rs.getString(2));
  }

  /** Binds a head's subject id, position and hash from parameter {@code offset + 1}, as the heads table's columns. */
  static void bindHead(PreparedStatement ps, int offset, HistoryHead h) throws SQLException {
    ps.setString(offset + 1, h.subjectId().value());
    ps.setInt(offset + 2, h.position());
    ps.setString(offset + 3, h.hash());
  }

  /**
   * Locks the history heads of subjects (sorted ids) that no other unit holds, creating missing ones first (as
   * {@link #lockedHead} does); returns the locked heads by subject id. Heads this unit holds already are included.
   */
  java.util.Map<String, HistoryHead> lockHeads(List<String> subjectIds) {
    java.util.Set<String> existing =
        new java.util.HashSet<>(
            query(
                "read history heads",
                sql.headsAmong(subjectIds.size()),
                ps -> bindAll(ps, 1, subjectIds),
                rs -> rs.getString(1)));
    List<String> missing = subjectIds.stream().filter(id -> !existing.contains(id)).toList();
    if (!missing.isEmpty()) {
      checkOpen();
      if (sql.dialect == Dialect.POSTGRESQL) {
        // ON CONFLICT DO NOTHING: a head created meanwhile by another unit is no failure.
        try (PreparedStatement ps = c.prepareStatement(sql.insertHeadIfAbsent)) {
          for (String id : missing) {
            bindGenesisHead(ps, id);
            ps.addBatch();
          }
          ps.executeBatch();
        } catch (SQLException e) {
          throw failed(SqlErrors.wrap("create history heads", e));
        }
      } else {
        for (String id : missing) {
          insertHeadIfAbsent(id);
        }
      }
    }
    java.util.Map<String, HistoryHead> locked = new java.util.HashMap<>();
    for (String id : subjectIds) {
      HistoryHead mine = lockedHeads.get(new SubjectId(id));
      if (mine != null) {
        locked.put(id, mine);
      }
    }
    List<String> toLock = subjectIds.stream().filter(id -> !locked.containsKey(id)).toList();
    if (!toLock.isEmpty()) {
      for (HistoryHead h :
          query(
              "lock history heads",
              sql.lockHeadsSkipLocked(toLock.size()),
              ps -> bindAll(ps, 1, toLock),
              rs ->
                  new HistoryHead(new SubjectId(rs.getString(1)), rs.getInt(2), rs.getString(3)))) {
        locked.put(h.subjectId().value(), h);
        lockedHeads.put(h.subjectId(), h);
      }
    }
    return locked;
  }

  static void checkLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
  }

  /** Binds an instant and then a row limit, as the set-based queries and purges of the store take them. */
  static Binder instantAndLimit(Instant at, int limit) {
    return ps -> {
      ps.setLong(1, at.toEpochMilli());
      ps.setInt(2, limit);
    };
  }

  /** Binds strings in order from parameter 1. */
  static Binder strings(String... values) {
    return ps -> {
      for (int i = 0; i < values.length; i++) {
        ps.setString(i + 1, values[i]);
      }
    };
  }

  static void bindAll(PreparedStatement ps, int from, List<String> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      ps.setString(from + i, values.get(i));
    }
  }

  /** Sets a parameter on a prepared statement. */
  @FunctionalInterface
  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Maps the current row. */
  @FunctionalInterface
  interface RowMapper<R> {
    R map(ResultSet rs) throws SQLException;
  }

  /** A piece of JDBC work. */
  @FunctionalInterface
  interface SqlWork<R> {
    R run() throws SQLException;
  }

  <R> List<R> query(String what, String statement, Binder binder, RowMapper<R> mapper) {
    checkOpen();
    beforeStatement(statement);
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      binder.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        List<R> rows = new ArrayList<>();
        while (rs.next()) {
          rows.add(mapper.map(rs));
        }
        return rows;
      }
    } catch (SQLException e) {
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /**
   * Reads the rows sorted by {@code order} (sorted here, not by ORDER BY: database collations may sort '-' differently
   * from String.compareTo).
   */
  <R> List<R> sorted(
      String what, String statement, Binder binder, RowMapper<R> mapper, Comparator<R> order) {
    List<R> rows = query(what, statement, binder, mapper);
    rows.sort(order);
    return List.copyOf(rows);
  }

  /**
   * Reads the rows of one subject (a {@code null} id fails as "id"), sorted by {@code order}; the statement binds the
   * subject id only.
   */
  <R> List<R> ofSubject(
      String what, String statement, SubjectId id, RowMapper<R> mapper, Comparator<R> order) {
    Objects.requireNonNull(id, "id");
    return sorted(what, statement, ps -> ps.setString(1, id.value()), mapper, order);
  }

  /** Reads subject ids from the first column, in the statement's order. */
  List<SubjectId> subjectIds(String what, String statement, Binder binder) {
    return List.copyOf(query(what, statement, binder, rs -> new SubjectId(rs.getString(1))));
  }

  /**
   * Reads a keyset page of subject ids: {@code first} binds the limit only, {@code following} the id to start after,
   * then the limit.
   */
  List<SubjectId> subjectPage(
      String what, String first, String following, SubjectId after, int limit) {
    if (after == null) {
      return subjectIds(what, first, ps -> ps.setInt(1, limit));
    }
    return subjectIds(
        what,
        following,
        ps -> {
          ps.setString(1, after.value());
          ps.setInt(2, limit);
        });
  }

  <R> Optional<R> queryOne(String what, String statement, Binder binder, RowMapper<R> mapper) {
    List<R> rows = query(what, statement, binder, mapper);
    return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
  }

  /** Reads the row with this key, if any; the statement binds the key only. */
  <R> Optional<R> byKey(String what, String statement, String key, RowMapper<R> mapper) {
    return queryOne(what, statement, strings(key), mapper);
  }

  int update(String what, String statement, Binder binder) {
    return write(what, null, statement, binder);
  }

  /**
   * Inserts the row ({@code key}, {@code at}) unless its key exists; returns whether it inserted. A present key is no
   * failure: PostgreSQL's {@code ON CONFLICT DO NOTHING} answers 0; on H2 and MariaDB the clash fails this statement
   * only.
   */
  boolean insertIfAbsent(String what, String statement, String key, Instant at) {
    checkOpen();
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      ps.setString(1, key);
      ps.setLong(2, at.toEpochMilli());
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      if (SqlErrors.isUniqueViolation(e)) {
        return false;
      }
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /**
   * Like {@link #update}, but a unique-key violation becomes a {@code DuplicateKeyException} with that message (with
   * a {@code null} message it fails the unit like any other failure).
   */
  int write(String what, String duplicateMessage, String statement, Binder binder) {
    checkOpen();
    checkWritable();
    beforeStatement(statement);
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      binder.bind(ps);
      return ps.executeUpdate();
    } catch (SQLException e) {
      if (duplicateMessage != null && SqlErrors.isUniqueViolation(e)) {
        throw failed(SqlErrors.duplicate(duplicateMessage, e));
      }
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /** Sets the parameters of one row of a batch. */
  @FunctionalInterface
  interface RowBinder<T> {
    void bind(PreparedStatement ps, T row) throws SQLException;
  }

  /** Writes the rows with one statement in one JDBC batch: one round trip; fails the unit like {@link #update}. */
  <T> void batch(String what, String statement, List<T> rows, RowBinder<T> binder) {
    checkOpen();
    checkWritable();
    beforeStatement(statement);
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      for (T row : rows) {
        binder.bind(ps, row);
        ps.addBatch();
      }
      ps.executeBatch();
    } catch (SQLException e) {
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /**
   * Runs work that may fail on a unique key so that the failure leaves the transaction usable: behind a savepoint on
   * PostgreSQL (which otherwise aborts the whole transaction), directly elsewhere (a failed statement undoes only
   * itself on H2 and on MariaDB/InnoDB).
   */
  <R> R guarded(SqlWork<R> work) throws SQLException {
    if (sql.dialect != Dialect.POSTGRESQL) {
      return work.run();
    }
    Savepoint savepoint = c.setSavepoint();
    R result;
    try {
      result = work.run();
    } catch (SQLException e) {
      try {
        c.rollback(savepoint);
      } catch (SQLException inner) {
        e.addSuppressed(SqlErrors.safe(inner));
      }
      throw e;
    }
    c.releaseSavepoint(savepoint);
    return result;
  }

  static int setNotice(PreparedStatement ps, int i, Consent.NoticeRef notice) throws SQLException {
    if (notice == null) {
      ps.setNull(i, Types.INTEGER);
      ps.setNull(i + 1, Types.CHAR);
      ps.setNull(i + 2, Types.VARCHAR);
    } else {
      ps.setInt(i, notice.version());
      ps.setString(i + 1, notice.hash());
      ps.setString(i + 2, notice.locale().toLanguageTag());
    }
    return i + 3;
  }

  static Consent.NoticeRef noticeRef(ResultSet rs) throws SQLException {
    return noticeRef(rs, "");
  }

  static Consent.NoticeRef noticeRef(ResultSet rs, String label) throws SQLException {
    String hash = rs.getString(label + "notice_hash");
    if (hash == null) {
      return null;
    }
    return new Consent.NoticeRef(
        rs.getInt(label + "notice_version"),
        hash,
        Locale.forLanguageTag(rs.getString(label + "notice_locale")));
  }

  static void setInstant(PreparedStatement ps, int i, Instant instant) throws SQLException {
    if (instant == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, instant.toEpochMilli());
    }
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  static String join(Collection<PurposeId> purposes) {
    return purposes.stream().map(PurposeId::value).collect(Collectors.joining(","));
  }

  static List<PurposeId> purposes(String joined) {
    if (joined == null || joined.isEmpty()) {
      return List.of();
    }
    List<PurposeId> list = new ArrayList<>();
    for (String p : joined.split(",")) {
      list.add(new PurposeId(p));
    }
    return List.copyOf(list);
  }
}
