package org.optin4j.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
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
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.breach.Incident;
import org.optin4j.campaign.Campaign;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.rights.RightsRequest;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
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
 * <p>The expected "already there" outcomes are not failures and leave the unit usable: {@code useToken} and
 * {@code enqueue} answer {@code false} (PostgreSQL: {@code INSERT ... ON CONFLICT DO NOTHING}; H2 and MariaDB: the
 * clash fails only that statement), and {@code saveNotice} retries a version clash behind a savepoint.
 */
final class JdbcTransaction implements ConsentStore.Transaction {
  /** Attempts to assign a notice version before giving up under heavy contention for one key. */
  private static final int NOTICE_ATTEMPTS = 10;
  /** Salts of event details digests; SecureRandom is thread-safe. */
  private static final java.security.SecureRandom SALTS = new java.security.SecureRandom();

  private final Connection c;
  private final Statements sql;
  private final Thread owner = Thread.currentThread();
  /** Run by {@link JdbcConsentStore#read}: statements in autocommit, writes refused. */
  private final boolean readOnly;
  /** The chain heads this unit has locked, kept current by its appends. */
  private final java.util.Map<SubjectId, HistoryHead> lockedHeads = new java.util.HashMap<>();
  /**
   * Heads moved by appends but not written yet. A locked head is this unit's alone until it ends, so its row is
   * written once, when the unit commits or before any statement that reads or writes the heads table, instead of once
   * per event (a subject's signup appends one event per purpose).
   */
  private final java.util.Map<SubjectId, HistoryHead> unwrittenHeads = new java.util.LinkedHashMap<>();
  /** Subjects this unit inserted: nobody else can know their ids before the commit, so their heads need no lock. */
  private final Set<SubjectId> insertedSubjects = new java.util.HashSet<>();
  /** Heads of inserted subjects that have no row yet (written with an insert, not an update). */
  private final Set<SubjectId> headsWithoutRow = new java.util.HashSet<>();
  private boolean open = true;
  private StoreException failure;

  JdbcTransaction(Connection connection, Statements sql, boolean readOnly) {
    this.c = connection;
    this.sql = sql;
    this.readOnly = readOnly;
  }

  /** Refuses a write in a unit run by {@link JdbcConsentStore#read}. */
  private void checkWritable() {
    if (readOnly) {
      throw new IllegalStateException("this unit of work only reads (ConsentStore.read); write in inTransaction");
    }
  }

  void end() {
    open = false;
  }

  /** Writes what this unit still holds back (the moved history heads); called before the commit. */
  void flush() {
    if (open && failure == null) {
      writeHeads();
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
        write("create a history head", "a history head for this subject exists already", sql.insertHead, ps -> {
          ps.setString(1, h.subjectId().value());
          ps.setInt(2, h.position());
          ps.setString(3, h.hash());
        });
      } else {
        update("move the history head", sql.updateHead, ps -> {
          ps.setInt(1, h.position());
          ps.setString(2, h.hash());
          ps.setString(3, h.subjectId().value());
        });
      }
    }
  }

  /** Writes held-back heads first if {@code statement} touches the heads table, so that it sees them. */
  private void beforeStatement(String statement) {
    if (!unwrittenHeads.isEmpty() && statement.contains(sql.headsTable)) {
      writeHeads();
    }
  }

  /** Returns the first store failure of this unit, or {@code null}. */
  StoreException failure() {
    return failure;
  }

  private void checkOpen() {
    if (!open) {
      throw new IllegalStateException("this transaction has ended; use the Transaction only inside inTransaction");
    }
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("a transaction may only be used by the thread that runs it");
    }
    if (failure != null) {
      throw new StoreException("the transaction is rolled back after an earlier store failure", failure);
    }
  }

  /** Records the first failure, which dooms the unit, and returns the exception to throw. */
  private StoreException failed(StoreException e) {
    if (failure == null) {
      failure = e;
    }
    return e;
  }

  // ---------------------------------------------------------------------------------------------------- subjects

  @Override
  public Optional<Subject> subjectByEmail(EmailAddress email) {
    Objects.requireNonNull(email, "email");
    return queryOne("find a subject by address", sql.subjectByEmail, ps -> ps.setString(1, email.value()),
        JdbcTransaction::subject);
  }

  @Override
  public List<Subject> subjects(int offset, int limit) {
    checkLimit(limit);
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, was " + offset);
    }
    return List.copyOf(query("list subjects", sql.subjectsPage, ps -> {
      ps.setInt(1, limit);
      ps.setInt(2, offset);
    }, JdbcTransaction::subject));
  }

  @Override
  public long countSubjects() {
    return queryOne("count subjects", sql.countSubjects, ps -> { }, rs -> rs.getLong(1)).orElse(0L);
  }

  @Override
  public java.util.Map<OutboxMail.Status, Long> countMailsByStatus() {
    java.util.Map<OutboxMail.Status, Long> out = new java.util.EnumMap<>(OutboxMail.Status.class);
    for (java.util.Map.Entry<OutboxMail.Status, Long> e : query("count mails", sql.mailsByStatus, ps -> { },
        rs -> java.util.Map.entry(OutboxMail.Status.valueOf(rs.getString(1)), rs.getLong(2)))) {
      out.put(e.getKey(), e.getValue());
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  @Override
  public Optional<Subject> subject(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return queryOne("find a subject", sql.subjectById, ps -> ps.setString(1, id.value()), JdbcTransaction::subject);
  }

  @Override
  public void insertSubject(Subject subject) {
    Objects.requireNonNull(subject, "subject");
    write("insert a subject", "a subject with this id or address exists already", sql.insertSubject, ps -> {
      ps.setString(1, subject.id().value());
      ps.setString(2, subject.email().value());
      ps.setLong(3, subject.createdAt().toEpochMilli());
      ps.setInt(4, subject.addressGeneration());
    });
    insertedSubjects.add(subject.id());
  }

  @Override
  public void updateSubject(Subject subject) {
    Objects.requireNonNull(subject, "subject");
    int count = write("update a subject", "another subject has this address", sql.updateSubject, ps -> {
      ps.setString(1, subject.email().value());
      ps.setInt(2, subject.addressGeneration());
      ps.setString(3, subject.id().value());
    });
    if (count != 1) {
      throw failed(new StoreException("could not update subject " + subject.id() + ": no such subject"));
    }
  }

  private static Subject subject(ResultSet rs) throws SQLException {
    return new Subject(new SubjectId(rs.getString("id")), new EmailAddress(rs.getString("email")),
        instant(rs, "created_at"), rs.getInt("address_generation"));
  }

  // ---------------------------------------------------------------------------------------------------- consents

  @Override
  public List<Consent> consents(SubjectId id) {
    Objects.requireNonNull(id, "id");
    List<Consent> list = query("read consents", sql.consents, ps -> ps.setString(1, id.value()),
        JdbcTransaction::consent);
    // Sorted here, not by ORDER BY: database collations may sort '-' differently from String.compareTo.
    list.sort(Comparator.comparing(Consent::purpose));
    return List.copyOf(list);
  }

  @Override
  public Optional<Consent> consent(SubjectId id, PurposeId purpose) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(purpose, "purpose");
    return queryOne("read a consent", sql.consentForUpdate, ps -> {
      ps.setString(1, id.value());
      ps.setString(2, purpose.value());
    }, JdbcTransaction::consent);
  }

  @Override
  public void saveConsent(Consent consent) {
    Objects.requireNonNull(consent, "consent");
    update("save a consent", sql.upsertConsent, ps -> {
      ps.setString(1, consent.subjectId().value());
      ps.setString(2, consent.purpose().value());
      ps.setInt(3, consent.purposeVersion());
      ps.setString(4, consent.state().name());
      ps.setString(5, consent.requestId());
      ps.setInt(6, consent.notice().version());
      ps.setString(7, consent.notice().hash());
      ps.setString(8, consent.notice().locale().toLanguageTag());
      ps.setLong(9, consent.requestedAt().toEpochMilli());
      setInstant(ps, 10, consent.confirmedAt());
      setInstant(ps, 11, consent.endedAt());
      ps.setBoolean(12, consent.restricted());
    });
  }

  private static Consent consent(ResultSet rs) throws SQLException {
    return new Consent(
        new SubjectId(rs.getString("subject_id")),
        new PurposeId(rs.getString("purpose")),
        rs.getInt("purpose_version"),
        ConsentState.valueOf(rs.getString("state")),
        rs.getString("request_id"),
        new Consent.NoticeRef(rs.getInt("notice_version"), rs.getString("notice_hash"),
            Locale.forLanguageTag(rs.getString("notice_locale"))),
        instant(rs, "requested_at"),
        instant(rs, "confirmed_at"),
        instant(rs, "ended_at"),
        rs.getBoolean("restricted"));
  }

  // ------------------------------------------------------------------------------------------------------ events

  @Override
  public ConsentEvent appendEvent(ConsentEvent event) {
    checkWritable();
    Objects.requireNonNull(event, "event");
    if (event.sequence() != 0) {
      throw new IllegalArgumentException("an event to append has sequence 0, was " + event.sequence());
    }
    if (event.seal() != null) {
      throw new IllegalArgumentException("an event to append has no seal yet");
    }
    HistoryHead head = lockedHead(event.subjectId());
    byte[] salt = new byte[16];
    SALTS.nextBytes(salt);
    ConsentEvent sealed = event.sealed(head.position() + 1, head.hash(), salt);
    ConsentEvent.Seal seal = sealed.seal();
    checkOpen();
    long sequence;
    try {
      boolean returning = sql.dialect == Dialect.POSTGRESQL;
      try (PreparedStatement ps = returning
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
      throw failed(SqlErrors.wrap("append an event", e));
    }
    if (sequence <= 0) {
      throw failed(new StoreException("database error: no sequence was generated for an event"));
    }
    HistoryHead moved = new HistoryHead(event.subjectId(), seal.position(), seal.hash());
    lockedHeads.put(event.subjectId(), moved);
    unwrittenHeads.put(event.subjectId(), moved);
    return sealed.withSequence(sequence);
  }

  /** Binds a sealed event's 18 columns ({@link Statements#EVENT_COLUMNS}) from parameter {@code offset + 1}. */
  private static void bindEvent(PreparedStatement ps, int offset, ConsentEvent event) throws SQLException {
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
  public void lockHistory(SubjectId id) {
    lockedHead(Objects.requireNonNull(id, "id"));
  }

  /**
   * Returns the subject's chain head, locked until the transaction ends: created at position 0 if absent (an insert
   * guarded by the primary key, so concurrent first appends on several nodes meet at one row), then read
   * {@code FOR UPDATE}. Later calls in this unit answer from the unit's own cache, which appends keep current.
   */
  private HistoryHead lockedHead(SubjectId id) {
    checkWritable();
    HistoryHead known = lockedHeads.get(id);
    if (known != null) {
      return known;
    }
    if (insertedSubjects.contains(id)) {
      // Inserted by this unit, so no other unit can reach its head; the row is written with the first append.
      HistoryHead genesis = new HistoryHead(id, 0, ConsentEvent.Seal.GENESIS);
      lockedHeads.put(id, genesis);
      headsWithoutRow.add(id);
      return genesis;
    }
    // Lock first: the usual case, an existing head, needs no insert. (On MariaDB a failed duplicate insert would leave
    // a shared lock that two units then both try to upgrade: a deadlock.) A concurrent purge may delete the head
    // between our insert and our lock: then create it again.
    for (int attempt = 1; ; attempt++) {
      Optional<HistoryHead> locked = queryOne("lock a history head", sql.headForUpdate,
          ps -> ps.setString(1, id.value()), rs -> new HistoryHead(id, rs.getInt(1), rs.getString(2)));
      if (locked.isPresent()) {
        lockedHeads.put(id, locked.get());
        return locked.get();
      }
      if (attempt > 3) {
        throw failed(new StoreException("could not lock the history head of a subject after 3 attempts"));
      }
      checkOpen();
      try {
        guarded(() -> {
          try (PreparedStatement ps = c.prepareStatement(sql.insertHeadIfAbsent)) {
            ps.setString(1, id.value());
            ps.setInt(2, 0);
            ps.setString(3, ConsentEvent.Seal.GENESIS);
            ps.executeUpdate();
          }
          return null;
        });
      } catch (SQLException e) {
        // H2: a concurrent unit created it first; the clash fails this statement only. Lock it below.
        if (!SqlErrors.isUniqueViolation(e)) {
          throw failed(SqlErrors.wrap("create a history head", e));
        }
      }
    }
  }

  @Override
  public Optional<HistoryHead> historyHead(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read a history head", sql.head, ps -> ps.setString(1, id.value()),
        rs -> new HistoryHead(id, rs.getInt(1), rs.getString(2)))
        .filter(h -> h.position() > 0);
  }

  @Override
  public List<SubjectId> historySubjects(SubjectId after, int limit) {
    checkLimit(limit);
    if (after == null) {
      return List.copyOf(query("list histories", sql.historySubjectsFirst, ps -> ps.setInt(1, limit),
          rs -> new SubjectId(rs.getString(1))));
    }
    return List.copyOf(query("list histories", sql.historySubjectsAfter, ps -> {
      ps.setString(1, after.value());
      ps.setInt(2, limit);
    }, rs -> new SubjectId(rs.getString(1))));
  }

  @Override
  public List<ConsentEvent> events(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return List.copyOf(query("read events", sql.events, ps -> ps.setString(1, id.value()), rs -> new ConsentEvent(
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
        new ConsentEvent.Seal(rs.getInt("chain_position"), rs.getString("previous_hash"),
            rs.getString("details_salt"), rs.getString("details_digest"), rs.getString("chain_hash")))));
  }

  // ----------------------------------------------------------------------------------------------------- notices

  @Override
  public Notice saveNotice(Notice candidate) {
    checkWritable();
    Objects.requireNonNull(candidate, "candidate");
    String key = candidate.key();
    for (int attempt = 1; ; attempt++) {
      Optional<Notice> known = notice(candidate.hash());
      if (known.isPresent()) {
        return known.get();
      }
      int version = queryOne("read notice versions", sql.maxNoticeVersion, ps -> ps.setString(1, key),
          rs -> rs.getInt(1)).orElse(0) + 1;
      Notice stored = new Notice(version, candidate.hash(), candidate.locale(), candidate.purposes(),
          candidate.text(), candidate.createdAt());
      try {
        guarded(() -> {
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
        // MariaDB: ON DUPLICATE KEY UPDATE hash = hash turns a clash into a no-op, and the driver's update count
        // cannot tell them apart (it counts found rows by default): read back what is stored under the hash.
        Optional<Notice> now = notice(stored.hash());
        if (now.isPresent()) {
          return now.get();
        }
        if (attempt >= NOTICE_ATTEMPTS) {
          throw failed(new StoreException("could not assign a notice version after " + NOTICE_ATTEMPTS
              + " attempts"));
        }
      } catch (SQLException e) {
        // Another node stored the same text (hash) or took this version for the key first: read again, retry.
        if (!SqlErrors.isUniqueViolation(e)) {
          throw failed(SqlErrors.wrap("save a notice", e));
        }
        if (attempt >= NOTICE_ATTEMPTS) {
          throw failed(SqlErrors.wrap("assign a notice version after " + NOTICE_ATTEMPTS + " attempts", e));
        }
      }
    }
  }

  @Override
  public Optional<Notice> notice(String hash) {
    Objects.requireNonNull(hash, "hash");
    return queryOne("read a notice", sql.noticeByHash, ps -> ps.setString(1, hash), rs -> new Notice(
        rs.getInt("version"),
        rs.getString("hash"),
        Locale.forLanguageTag(rs.getString("locale")),
        purposes(rs.getString("purposes")),
        rs.getString("body"),
        instant(rs, "created_at")));
  }

  // ---------------------------------------------------------------------------------------------------- requests

  @Override
  public void insertRequest(PendingRequest request) {
    Objects.requireNonNull(request, "request");
    write("insert a request", "a request with this id exists already", sql.insertRequest, ps -> {
      ps.setString(1, request.id());
      ps.setString(2, request.subjectId().value());
      setRequestFields(ps, 3, request);
    });
  }

  @Override
  public Optional<PendingRequest> request(String id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read a request", sql.requestForUpdate, ps -> ps.setString(1, id), JdbcTransaction::request);
  }

  @Override
  public Optional<PendingRequest> findRequest(String id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read a request", sql.requestById, ps -> ps.setString(1, id), JdbcTransaction::request);
  }

  @Override
  public void updateRequest(PendingRequest request) {
    Objects.requireNonNull(request, "request");
    int count = update("update a request", sql.updateRequest, ps -> {
      int next = setRequestFields(ps, 1, request);
      ps.setString(next, request.id());
      ps.setString(next + 1, request.subjectId().value());
    });
    if (count != 1) {
      boolean exists = queryOne("read a request", sql.requestSubject, ps -> ps.setString(1, request.id()),
          rs -> rs.getString(1)).isPresent();
      if (exists) {
        throw new IllegalArgumentException("a request cannot move to another subject");
      }
      throw failed(new StoreException("could not update request: no such request"));
    }
  }

  @Override
  public List<PendingRequest> openRequests(SubjectId id) {
    Objects.requireNonNull(id, "id");
    List<PendingRequest> list = query("read open requests", sql.openRequests, ps -> ps.setString(1, id.value()),
        JdbcTransaction::request);
    list.sort(Comparator.comparing(PendingRequest::requestedAt).thenComparing(PendingRequest::id));
    return List.copyOf(list);
  }

  /** Sets the request's columns from {@code purposes} on; returns the next parameter index. */
  private static int setRequestFields(PreparedStatement ps, int from, PendingRequest r) throws SQLException {
    int i = from;
    ps.setString(i++, join(r.purposes()));
    i = setNotice(ps, i, r.notice());
    ps.setString(i++, r.source());
    ps.setString(i++, r.evidence().ip());
    ps.setString(i++, r.evidence().userAgent());
    ps.setLong(i++, r.requestedAt().toEpochMilli());
    ps.setLong(i++, r.expiresAt().toEpochMilli());
    ps.setInt(i++, r.generation());
    ps.setString(i++, r.status().name());
    setInstant(ps, i++, r.closedAt());
    return i;
  }

  private static PendingRequest request(ResultSet rs) throws SQLException {
    return new PendingRequest(
        rs.getString("id"),
        new SubjectId(rs.getString("subject_id")),
        purposes(rs.getString("purposes")).stream().collect(Collectors.toSet()),
        noticeRef(rs),
        rs.getString("source"),
        new Evidence(rs.getString("evidence_ip"), rs.getString("evidence_user_agent")),
        instant(rs, "requested_at"),
        instant(rs, "expires_at"),
        rs.getInt("generation"),
        PendingRequest.Status.valueOf(rs.getString("status")),
        instant(rs, "closed_at"));
  }

  // ------------------------------------------------------------------------------------------------------ tokens

  @Override
  public boolean useToken(String tokenId, Instant expiresAt) {
    checkWritable();
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(expiresAt, "expiresAt");
    checkOpen();
    try (PreparedStatement ps = c.prepareStatement(sql.insertToken)) {
      ps.setString(1, tokenId);
      ps.setLong(2, expiresAt.toEpochMilli());
      // PostgreSQL: ON CONFLICT DO NOTHING answers 0. H2, MariaDB: the clash fails this statement only.
      return ps.executeUpdate() == 1;
    } catch (SQLException e) {
      if (SqlErrors.isUniqueViolation(e)) {
        return false;
      }
      throw failed(SqlErrors.wrap("record a used token", e));
    }
  }

  // ------------------------------------------------------------------------------------------------------ outbox

  @Override
  public boolean enqueue(OutboxMail mail) {
    checkWritable();
    Objects.requireNonNull(mail, "mail");
    checkOpen();
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
        // PostgreSQL skipped a dedupe-key clash already (ON CONFLICT), so its clash is on the id; elsewhere, look.
        if (sql.dialect == Dialect.POSTGRESQL || !mailExists(mail.dedupeKey())) {
          throw failed(SqlErrors.duplicate("a mail with this id exists already", e));
        }
      }
      return false;
    } catch (SQLException e) {
      throw failed(SqlErrors.wrap("enqueue a mail", e));
    }
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
    return queryOne("count mails", sql.countMails, ps -> {
      ps.setString(1, recipient.value());
      ps.setString(2, kind.name());
      ps.setLong(3, since.toEpochMilli());
    }, rs -> rs.getInt(1)).orElse(0);
  }

  @Override
  public Optional<Instant> mailQueuedAt(String dedupeKey) {
    Objects.requireNonNull(dedupeKey, "dedupeKey");
    return queryOne("read a mail's enqueue time", sql.mailQueuedAt, ps -> ps.setString(1, dedupeKey),
        rs -> Instant.ofEpochMilli(rs.getLong(1)));
  }

  @Override
  public List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit) {
    checkWritable();
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(leaseUntil, "leaseUntil");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
    if (!leaseUntil.isAfter(now)) {
      throw new IllegalArgumentException("leaseUntil must be after now");
    }
    if (limit == 0) {
      return List.of();
    }
    checkOpen();
    // Oldest due first across both branches; rows a branch locked beyond the limit stay unclaimed (and are released
    // at commit).
    List<Claimable> due = new ArrayList<>();
    if (sql.dialect == Dialect.H2) {
      due.addAll(claimableInPages(sql.candidatesQueued, sql.lockQueuedPrefix, now, limit));
      due.addAll(claimableInPages(sql.candidatesExpired, sql.lockExpiredPrefix, now, limit));
    } else {
      due.addAll(claimable(sql.claimQueued, now, limit));
      due.addAll(claimable(sql.claimExpired, now, limit));
    }
    due.sort(Comparator.comparing((Claimable m) -> m.mail().nextAttemptAt()).thenComparingLong(Claimable::seq));
    List<Claimable> taken = due.subList(0, Math.min(limit, due.size()));
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
      throw failed(SqlErrors.wrap("claim mails", e));
    }
    return taken.stream().map(m -> m.mail().claimed(leaseUntil)).toList();
  }

  /**
   * Claims on H2: reads due rows' keys without locking, in index order, a page of {@code limit} at a time, and locks
   * each page's rows that are still due and not locked by another unit, until {@code limit} rows are locked.
   */
  private List<Claimable> claimableInPages(String candidates, String lockPrefix, Instant now, int limit) {
    List<Claimable> locked = new ArrayList<>();
    long afterDue = Long.MIN_VALUE;
    long afterSeq = Long.MIN_VALUE;
    while (locked.size() < limit) {
      long due = afterDue;
      long seq = afterSeq;
      List<long[]> page = query("claim mails", candidates, ps -> {
        ps.setLong(1, now.toEpochMilli());
        ps.setLong(2, due);
        ps.setLong(3, due);
        ps.setLong(4, seq);
        ps.setInt(5, limit);
      }, rs -> new long[] {rs.getLong(1), rs.getLong(2)});
      if (page.isEmpty()) {
        break;
      }
      String lock = lockPrefix + page.stream().map(k -> "?").collect(Collectors.joining(", "))
          + ") FOR UPDATE SKIP LOCKED";
      List<Claimable> free = query("claim mails", lock, ps -> {
        ps.setLong(1, now.toEpochMilli());
        for (int i = 0; i < page.size(); i++) {
          ps.setLong(i + 2, page.get(i)[0]);
        }
      }, rs -> new Claimable(rs.getLong("seq"), mail(rs)));
      free.sort(Comparator.comparing((Claimable m) -> m.mail().nextAttemptAt()).thenComparingLong(Claimable::seq));
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

  /** A due mail and its row's sequence. */
  private record Claimable(long seq, OutboxMail mail) {}

  private List<Claimable> claimable(String statement, Instant now, int limit) {
    return query("claim mails", statement, ps -> {
      ps.setLong(1, now.toEpochMilli());
      ps.setInt(2, limit);
    }, rs -> new Claimable(rs.getLong("seq"), mail(rs)));
  }

  @Override
  public void updateMail(OutboxMail mail) {
    Objects.requireNonNull(mail, "mail");
    int count = update("update a mail", sql.updateMail, ps -> bindDispatchState(ps, mail));
    if (count != 1) {
      throw failed(new StoreException("could not update mail: no such mail"));
    }
  }

  /** One JDBC batch: a dispatch round's outcomes in one round trip instead of one per mail. */
  @Override
  public void updateMails(List<OutboxMail> mails) {
    Objects.requireNonNull(mails, "mails");
    if (mails.isEmpty()) {
      return;
    }
    checkOpen();
    checkWritable();
    beforeStatement(sql.updateMail);
    int[] counts;
    try (PreparedStatement ps = c.prepareStatement(sql.updateMail)) {
      for (OutboxMail mail : mails) {
        bindDispatchState(ps, mail);
        ps.addBatch();
      }
      counts = ps.executeBatch();
    } catch (SQLException e) {
      throw failed(SqlErrors.wrap("update mails", e));
    }
    for (int count : counts) {
      // SUCCESS_NO_INFO (-2): the driver ran the statement but does not say how many rows it changed.
      if (count != 1 && count != Statement.SUCCESS_NO_INFO) {
        throw failed(new StoreException("could not update mail: no such mail"));
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
    return updateHeldClaims("renew mail claims", sql.renewClaimsPrefix, ids,
        List.of(newUntil.toEpochMilli(), heldUntil.toEpochMilli()));
  }

  @Override
  public int releaseClaims(Collection<String> ids, Instant heldUntil) {
    Objects.requireNonNull(heldUntil, "heldUntil");
    return updateHeldClaims("release mail claims", sql.releaseClaimsPrefix, ids, List.of(heldUntil.toEpochMilli()));
  }

  /**
   * Runs {@code prefix} with its leading numbers and the distinct ids, in chunks that keep the statement's parameter
   * count small on every dialect; the lease end in the WHERE clause makes it touch only the caller's own claims.
   */
  private int updateHeldClaims(String what, String prefix, Collection<String> ids, List<Long> leading) {
    checkOpen();
    checkWritable();
    List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(Objects.requireNonNull(ids, "ids")));
    int changed = 0;
    for (int from = 0; from < distinct.size(); from += 500) {
      List<String> chunk = distinct.subList(from, Math.min(distinct.size(), from + 500));
      String statement = prefix + chunk.stream().map(id -> "?").collect(Collectors.joining(", ")) + ")";
      changed += update(what, statement, ps -> {
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

  // ---------------------------------------------------------------------------------------------- node register

  @Override
  public void saveNode(org.optin4j.spi.NodeRegistration node) {
    Objects.requireNonNull(node, "node");
    update("save a node registration", sql.upsertNode, ps -> {
      ps.setString(1, node.nodeId());
      ps.setString(2, node.issuer());
      ps.setString(3, String.join("\n", node.acceptedIssuers()));
      ps.setString(4, node.activeKeyId());
      ps.setString(5, node.keyFingerprints().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
          .collect(Collectors.joining(",")));
      ps.setLong(6, node.startedAt().toEpochMilli());
      ps.setLong(7, node.seenAt().toEpochMilli());
    });
  }

  @Override
  public List<org.optin4j.spi.NodeRegistration> nodes() {
    return query("read node registrations", sql.allNodes, ps -> { }, rs -> {
      java.util.Map<String, String> keys = new java.util.TreeMap<>();
      for (String pair : rs.getString("key_fingerprints").split(",")) {
        int eq = pair.indexOf('=');
        keys.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
      String accepted = rs.getString("accepted_issuers");
      return new org.optin4j.spi.NodeRegistration(rs.getString("node_id"), rs.getString("issuer"),
          accepted.isEmpty() ? Set.of() : Set.of(accepted.split("\n")), rs.getString("active_key_id"), keys,
          instant(rs, "started_at"), instant(rs, "seen_at"));
    });
  }

  @Override
  public boolean deleteNode(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return update("delete a node registration", sql.deleteNode, ps -> ps.setString(1, nodeId)) > 0;
  }

  @Override
  public List<OutboxMail> mails(SubjectId id) {
    Objects.requireNonNull(id, "id");
    List<OutboxMail> list = query("read mails", sql.mailsBySubject, ps -> ps.setString(1, id.value()),
        JdbcTransaction::mail);
    list.sort(Comparator.comparing(OutboxMail::createdAt).thenComparing(OutboxMail::id));
    return List.copyOf(list);
  }

  /** Binds {@code sql.updateMail}: a mail's dispatch state, then its id. */
  private static void bindDispatchState(PreparedStatement ps, OutboxMail mail) throws SQLException {
    ps.setString(1, mail.status().name());
    ps.setInt(2, mail.attempts());
    ps.setLong(3, mail.nextAttemptAt().toEpochMilli());
    setInstant(ps, 4, mail.leaseUntil());
    setInstant(ps, 5, mail.sentAt());
    ps.setString(6, mail.lastError());
    ps.setString(7, mail.id());
  }

  private static void setMail(PreparedStatement ps, OutboxMail m) throws SQLException {
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
  }

  private static OutboxMail mail(ResultSet rs) throws SQLException {
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

  // ------------------------------------------------------------------------- erasure, suppression, rectification

  @Override
  public boolean eraseSubject(SubjectId id, boolean keepHistoryStub) {
    Objects.requireNonNull(id, "id");
    int deleted = 0;
    List<String> statements = new ArrayList<>(List.of(sql.eraseAddressChanges, sql.eraseRequests, sql.eraseConsents,
        sql.eraseMails));
    statements.addAll(keepHistoryStub ? List.of(sql.deidentifyEvents) : List.of(sql.eraseEvents, sql.deleteHead));
    statements.add(sql.eraseSubject);
    for (String statement : statements) {
      // The last statement deletes the subject row; a concurrent eraser waits on it and then finds nothing.
      deleted = update("erase a subject", statement, ps -> ps.setString(1, id.value()));
    }
    if (!keepHistoryStub) {
      lockedHeads.remove(id);
    }
    return deleted > 0;
  }

  @Override
  public void suppress(String addressKey, Instant at) {
    checkWritable();
    Objects.requireNonNull(addressKey, "addressKey");
    Objects.requireNonNull(at, "at");
    checkOpen();
    try (PreparedStatement ps = c.prepareStatement(sql.insertSuppression)) {
      ps.setString(1, addressKey);
      ps.setLong(2, at.toEpochMilli());
      ps.executeUpdate();
    } catch (SQLException e) {
      // Idempotent: already suppressed is fine (PostgreSQL: ON CONFLICT DO NOTHING; elsewhere the clash fails this
      // statement only).
      if (!SqlErrors.isUniqueViolation(e)) {
        throw failed(SqlErrors.wrap("suppress an address", e));
      }
    }
  }

  @Override
  public boolean isSuppressed(String addressKey) {
    Objects.requireNonNull(addressKey, "addressKey");
    return queryOne("check the suppression list", sql.isSuppressed, ps -> ps.setString(1, addressKey),
        rs -> Boolean.TRUE).isPresent();
  }

  @Override
  public void unsuppress(String addressKey) {
    Objects.requireNonNull(addressKey, "addressKey");
    update("unsuppress an address", sql.deleteSuppression, ps -> ps.setString(1, addressKey));
  }

  @Override
  public void saveAddressChange(String requestId, EmailAddress newEmail) {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(newEmail, "newEmail");
    update("save an address change", sql.upsertAddressChange, ps -> {
      ps.setString(1, requestId);
      ps.setString(2, newEmail.value());
    });
  }

  @Override
  public Optional<EmailAddress> addressChange(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    return queryOne("read an address change", sql.addressChange, ps -> ps.setString(1, requestId),
        rs -> new EmailAddress(rs.getString(1)));
  }

  @Override
  public void saveReplacedAddress(String requestId, EmailAddress previousEmail) {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(previousEmail, "previousEmail");
    int count = update("save a replaced address", sql.saveReplacedAddress, ps -> {
      ps.setString(1, previousEmail.value());
      ps.setString(2, requestId);
    });
    if (count != 1) {
      throw failed(new StoreException("no address change for request " + requestId));
    }
  }

  @Override
  public Optional<EmailAddress> replacedAddress(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    return queryOne("read a replaced address", sql.replacedAddress, ps -> ps.setString(1, requestId),
        rs -> new EmailAddress(rs.getString(1)));
  }

  @Override
  public int deleteStaleAddressChanges(Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit) {
    Objects.requireNonNull(unconfirmedExpiredBefore, "unconfirmedExpiredBefore");
    Objects.requireNonNull(confirmedBefore, "confirmedBefore");
    checkLimit(limit);
    List<String[]> stale = query("find stale address changes", sql.staleAddressChanges, ps -> {
      ps.setLong(1, unconfirmedExpiredBefore.toEpochMilli());
      ps.setLong(2, confirmedBefore.toEpochMilli());
      ps.setInt(3, limit);
    }, rs -> new String[] {rs.getString(1), rs.getString(2)});
    if (stale.isEmpty()) {
      return 0;
    }
    List<String> all = stale.stream().map(r -> r[0]).toList();
    List<String> unconfirmed = stale.stream().filter(r -> !"CONFIRMED".equals(r[1])).map(r -> r[0]).toList();
    int deleted = update("delete stale address changes", sql.deleteAddressChanges(all.size()),
        ps -> bindAll(ps, 1, all));
    if (!unconfirmed.isEmpty()) {
      update("delete unconfirmed address-change requests", sql.deleteUnconfirmedRequests(unconfirmed.size()),
          ps -> bindAll(ps, 1, unconfirmed));
    }
    return deleted;
  }

  @Override
  public int clearLapsedRequestEvidence(Instant expiredBefore, int limit) {
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    checkLimit(limit);
    List<String> ids = query("find lapsed requests with evidence", sql.lapsedRequestsWithEvidence, ps -> {
      ps.setLong(1, expiredBefore.toEpochMilli());
      ps.setInt(2, limit);
    }, rs -> rs.getString(1));
    return ids.isEmpty() ? 0 : update("clear the evidence of lapsed requests", sql.clearRequestEvidence(ids.size()),
        ps -> bindAll(ps, 1, ids));
  }

  // ----------------------------------------------------------------------------------------------------- retention

  @Override
  public List<PendingRequest> openRequestsExpiredBefore(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    return List.copyOf(query("find expired requests", sql.openRequestsExpiredBefore, ps -> {
      ps.setLong(1, before.toEpochMilli());
      ps.setInt(2, limit);
    }, JdbcTransaction::request));
  }

  @Override
  public List<Consent> confirmedBefore(PurposeId purpose, Instant confirmedBefore, int limit) {
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(confirmedBefore, "confirmedBefore");
    checkLimit(limit);
    return List.copyOf(query("find consents past retention", sql.confirmedBefore, ps -> {
      ps.setString(1, purpose.value());
      ps.setLong(2, confirmedBefore.toEpochMilli());
      ps.setInt(3, limit);
    }, JdbcTransaction::consent));
  }

  @Override
  public List<SubjectId> dormantSubjects(Instant before, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    return List.copyOf(query("find dormant subjects", sql.dormantSubjects, ps -> {
      ps.setLong(1, before.toEpochMilli());
      ps.setInt(2, limit);
    }, rs -> new SubjectId(rs.getString(1))));
  }

  @Override
  public int expireOpenRequests(Instant expiredBefore, Instant now, int limit) {
    checkWritable();
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    Objects.requireNonNull(now, "now");
    checkLimit(limit);
    if (limit == 0) {
      return 0;
    }
    List<PendingRequest> candidates = query("find expired requests", sql.expirableRequests, ps -> {
      ps.setLong(1, expiredBefore.toEpochMilli());
      ps.setString(2, PendingRequest.RECONSENT_SOURCE);
      ps.setInt(3, limit);
    }, JdbcTransaction::request);
    if (candidates.isEmpty()) {
      return 0;
    }
    // Lock order of every unit: history heads (skipping those another unit holds), then requests, then consents.
    List<String> subjectIds = candidates.stream().map(r -> r.subjectId().value()).distinct().sorted().toList();
    java.util.Map<String, HistoryHead> heads = lockHeads(subjectIds);
    List<String> requestIds = candidates.stream().filter(r -> heads.containsKey(r.subjectId().value()))
        .map(PendingRequest::id).sorted().toList();
    if (requestIds.isEmpty()) {
      return 0;
    }
    List<PendingRequest> locked = query("lock expired requests", sql.lockExpirableRequests(requestIds.size()), ps -> {
      ps.setLong(1, expiredBefore.toEpochMilli());
      bindAll(ps, 2, requestIds);
    }, JdbcTransaction::request);
    locked.removeIf(r -> PendingRequest.RECONSENT_SOURCE.equals(r.source())
        || !heads.containsKey(r.subjectId().value()));
    if (locked.isEmpty()) {
      return 0;
    }
    locked.sort(Comparator.comparing((PendingRequest r) -> r.subjectId().value())
        .thenComparing(PendingRequest::expiresAt).thenComparing(PendingRequest::id));
    List<String> owners = locked.stream().map(r -> r.subjectId().value()).distinct().toList();
    List<Consent> pending = query("lock pending consents", sql.lockPendingConsents(owners.size()),
        ps -> bindAll(ps, 1, owners), JdbcTransaction::consent);
    java.util.Map<String, List<Consent>> pendingByRequest = pending.stream()
        .collect(Collectors.groupingBy(Consent::requestId));
    // A consent pending for a request but for a purpose the request does not name (not made by this library) would be
    // expired by the set-based update, but not by the retention job's per-item path: leave such a request to that.
    locked.removeIf(r -> pendingByRequest.getOrDefault(r.id(), List.of()).stream()
        .anyMatch(k -> !k.subjectId().equals(r.subjectId()) || !r.purposes().contains(k.purpose())));
    if (locked.isEmpty()) {
      return 0;
    }
    List<ConsentEvent> events = new ArrayList<>();
    java.util.Map<String, HistoryHead> moved = new java.util.LinkedHashMap<>();
    for (PendingRequest r : locked) {
      List<Consent> ofRequest = new ArrayList<>(pendingByRequest.getOrDefault(r.id(), List.of()));
      ofRequest.sort(Comparator.comparing(Consent::purpose));
      for (Consent k : ofRequest) {
        HistoryHead head = moved.getOrDefault(r.subjectId().value(), heads.get(r.subjectId().value()));
        byte[] salt = new byte[16];
        SALTS.nextBytes(salt);
        ConsentEvent event = new ConsentEvent(0, r.subjectId(), k.purpose(), ConsentEvent.Type.EXPIRED, now, r.id(),
            k.notice(), null, Channel.SYSTEM, Evidence.NONE, null).sealed(head.position() + 1, head.hash(), salt);
        events.add(event);
        moved.put(r.subjectId().value(), new HistoryHead(r.subjectId(), event.seal().position(), event.seal().hash()));
      }
    }
    List<String> expiring = locked.stream().map(PendingRequest::id).toList();
    if (!events.isEmpty()) {
      List<String> subjects = locked.stream().map(r -> r.subjectId().value()).distinct().toList();
      int expired = update("expire consents", sql.expirePendingConsents(subjects.size(), expiring.size()), ps -> {
        // As Consent.expire(now): ended now, no longer restricted.
        setInstant(ps, 1, now);
        ps.setBoolean(2, false);
        bindAll(ps, 3, subjects);
        bindAll(ps, 3 + subjects.size(), expiring);
      });
      if (expired != events.size()) {
        throw failed(new StoreException("expired " + expired + " consents, expected " + events.size()));
      }
      // Chunks of at most 1,000 rows: 18 parameters each stay below every driver's limit.
      for (int from = 0; from < events.size(); from += 1000) {
        List<ConsentEvent> chunk = events.subList(from, Math.min(events.size(), from + 1000));
        update("append events", sql.insertEvents(chunk.size()), ps -> {
          for (int i = 0; i < chunk.size(); i++) {
            bindEvent(ps, i * 18, chunk.get(i));
          }
        });
      }
      List<HistoryHead> ends = List.copyOf(moved.values());
      update("move history heads", sql.moveHeads(ends.size()), ps -> {
        for (int i = 0; i < ends.size(); i++) {
          ps.setString(i * 3 + 1, ends.get(i).subjectId().value());
          ps.setInt(i * 3 + 2, ends.get(i).position());
          ps.setString(i * 3 + 3, ends.get(i).hash());
        }
      });
      ends.forEach(h -> lockedHeads.put(h.subjectId(), h));
    }
    int closed = update("expire requests", sql.expireRequests(expiring.size()), ps -> {
      setInstant(ps, 1, now);
      bindAll(ps, 2, expiring);
    });
    if (closed != expiring.size()) {
      throw failed(new StoreException("expired " + closed + " requests, expected " + expiring.size()));
    }
    return locked.size();
  }

  /**
   * Locks the history heads of subjects (sorted ids) that no other unit holds, creating missing ones first (as
   * {@link #lockedHead} does); returns the locked heads by subject id. Heads this unit holds already are included.
   */
  private java.util.Map<String, HistoryHead> lockHeads(List<String> subjectIds) {
    java.util.Set<String> existing = new java.util.HashSet<>(query("read history heads",
        sql.headsAmong(subjectIds.size()), ps -> bindAll(ps, 1, subjectIds), rs -> rs.getString(1)));
    List<String> missing = subjectIds.stream().filter(id -> !existing.contains(id)).toList();
    if (!missing.isEmpty()) {
      checkOpen();
      if (sql.dialect == Dialect.POSTGRESQL) {
        // ON CONFLICT DO NOTHING: a head created meanwhile by another unit is no failure.
        try (PreparedStatement ps = c.prepareStatement(sql.insertHeadIfAbsent)) {
          for (String id : missing) {
            ps.setString(1, id);
            ps.setInt(2, 0);
            ps.setString(3, ConsentEvent.Seal.GENESIS);
            ps.addBatch();
          }
          ps.executeBatch();
        } catch (SQLException e) {
          throw failed(SqlErrors.wrap("create history heads", e));
        }
      } else {
        for (String id : missing) {
          try {
            guarded(() -> {
              try (PreparedStatement ps = c.prepareStatement(sql.insertHeadIfAbsent)) {
                ps.setString(1, id);
                ps.setInt(2, 0);
                ps.setString(3, ConsentEvent.Seal.GENESIS);
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
      for (HistoryHead h : query("lock history heads", sql.lockHeadsSkipLocked(toLock.size()),
          ps -> bindAll(ps, 1, toLock), rs -> new HistoryHead(new SubjectId(rs.getString(1)), rs.getInt(2),
              rs.getString(3)))) {
        locked.put(h.subjectId().value(), h);
        lockedHeads.put(h.subjectId(), h);
      }
    }
    return locked;
  }

  @Override
  public List<SubjectId> lapsedSignups(Instant before, SubjectId after, int limit) {
    Objects.requireNonNull(before, "before");
    checkLimit(limit);
    long cutoff = before.toEpochMilli();
    return List.copyOf(query("find lapsed signups", after == null ? sql.lapsedSignupsFirst : sql.lapsedSignupsAfter,
        ps -> {
          int i = 1;
          if (after != null) {
            ps.setString(i++, after.value());
          }
          for (int k = 0; k < 4; k++) {
            ps.setLong(i++, cutoff);
          }
          ps.setInt(i, limit);
        }, rs -> new SubjectId(rs.getString(1))));
  }

  @Override
  public int deleteLapsedSignups(List<SubjectId> ids, Instant before) {
    checkWritable();
    Objects.requireNonNull(ids, "ids");
    Objects.requireNonNull(before, "before");
    if (ids.size() > 1000) {
      throw new IllegalArgumentException("at most 1000 ids at once, were " + ids.size());
    }
    List<String> candidates = ids.stream().map(SubjectId::value).distinct().sorted().toList();
    if (candidates.isEmpty()) {
      return 0;
    }
    // Lock order of every unit: the history heads, then the subject rows; skip what another unit holds. A subject
    // with a head another unit holds is left alone; one without a head is guarded by its subject row alone (every
    // unit that changes a subject's consents takes its head first, creating it).
    java.util.Set<String> withHead = new java.util.HashSet<>(query("read history heads",
        sql.headsAmong(candidates.size()), ps -> bindAll(ps, 1, candidates), rs -> rs.getString(1)));
    java.util.Set<String> headLocked = new java.util.HashSet<>();
    List<String> headsToLock = candidates.stream().filter(withHead::contains).toList();
    if (!headsToLock.isEmpty()) {
      headLocked.addAll(query("lock history heads", sql.lockHeadsSkipLocked(headsToLock.size()),
          ps -> bindAll(ps, 1, headsToLock), rs -> rs.getString(1)));
    }
    List<String> free = candidates.stream().filter(id -> !withHead.contains(id) || headLocked.contains(id)).toList();
    if (free.isEmpty()) {
      return 0;
    }
    // Checked again as the rows are locked, with the heads held: a signup may have come back since the listing.
    long cutoff = before.toEpochMilli();
    List<String> lapsed = query("lock lapsed signups", sql.lockLapsedSkipLocked(free.size()), ps -> {
      for (int k = 1; k <= 4; k++) {
        ps.setLong(k, cutoff);
      }
      bindAll(ps, 5, free);
    }, rs -> rs.getString(1));
    if (lapsed.isEmpty()) {
      return 0;
    }
    List<String> doomed = lapsed.stream().sorted().toList();
    int deleted = 0;
    for (String statement : sql.eraseSubjects(doomed.size())) {
      // The last statement deletes the subject rows.
      deleted = update("delete lapsed signups", statement, ps -> bindAll(ps, 1, doomed));
    }
    doomed.forEach(id -> lockedHeads.remove(new SubjectId(id)));
    return deleted;
  }

  private static void bindAll(PreparedStatement ps, int from, List<String> values) throws SQLException {
    for (int i = 0; i < values.size(); i++) {
      ps.setString(from + i, values.get(i));
    }
  }

  @Override
  public int deleteUsedTokens(Instant expiredBefore, int limit) {
    Objects.requireNonNull(expiredBefore, "expiredBefore");
    checkLimit(limit);
    return update("purge used tokens", sql.deleteUsedTokens, ps -> {
      ps.setLong(1, expiredBefore.toEpochMilli());
      ps.setInt(2, limit);
    });
  }

  @Override
  public int deleteFinishedMails(Instant createdBefore, int limit) {
    Objects.requireNonNull(createdBefore, "createdBefore");
    checkLimit(limit);
    return update("purge finished mails", sql.deleteFinishedMails, ps -> {
      ps.setLong(1, createdBefore.toEpochMilli());
      ps.setInt(2, limit);
    });
  }

  // ------------------------------------------------------------------------------------------------ breach register

  @Override
  public void saveIncident(Incident incident) {
    Objects.requireNonNull(incident, "incident");
    update("save an incident", sql.upsertIncident, ps -> {
      ps.setString(1, incident.id());
      ps.setLong(2, incident.discoveredAt().toEpochMilli());
      ps.setLong(3, incident.recordedAt().toEpochMilli());
      ps.setString(4, incident.nature());
      ps.setString(5, String.join("\n", incident.dataCategories()));
      ps.setString(6, String.join("\n", incident.subjectCategories()));
      ps.setString(7, join(incident.affectedPurposes()));
      ps.setString(8, incident.status().name());
      setInstant(ps, 9, incident.authorityNotifiedAt());
      setInstant(ps, 10, incident.closedAt());
      Incident.SubjectNotice notice = incident.subjectNotice();
      ps.setString(11, notice == null ? null : notice.subject());
      ps.setString(12, notice == null ? null : notice.text());
      setInstant(ps, 13, notice == null ? null : notice.queuedAt());
    });
  }

  @Override
  public Optional<Incident> incident(String id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read an incident", sql.incidentById, ps -> ps.setString(1, id), JdbcTransaction::incident);
  }

  @Override
  public List<Incident> incidents() {
    List<Incident> list = query("read incidents", sql.incidents, ps -> { }, JdbcTransaction::incident);
    list.sort(Comparator.comparing(Incident::discoveredAt).reversed().thenComparing(Incident::id));
    return List.copyOf(list);
  }

  private static Incident incident(ResultSet rs) throws SQLException {
    String noticeSubject = rs.getString("notice_subject");
    return new Incident(rs.getString("id"), instant(rs, "discovered_at"), instant(rs, "recorded_at"),
        rs.getString("nature"), lines(rs.getString("data_categories")), lines(rs.getString("subject_categories")),
        new java.util.TreeSet<>(purposes(rs.getString("purposes"))), Incident.Status.valueOf(rs.getString("status")),
        instant(rs, "authority_notified_at"), instant(rs, "closed_at"),
        noticeSubject == null ? null : new Incident.SubjectNotice(noticeSubject, rs.getString("notice_text"),
            instant(rs, "notice_queued_at")));
  }

  private static List<String> lines(String joined) {
    return joined == null || joined.isEmpty() ? List.of() : List.of(joined.split("\n"));
  }

  @Override
  public List<SubjectId> subjects(Set<PurposeId> purposes, Set<ConsentState> states, SubjectId after, int limit) {
    Objects.requireNonNull(purposes, "purposes");
    Objects.requireNonNull(states, "states");
    checkLimit(limit);
    if (purposes.isEmpty()) {
      return List.copyOf(after == null
          ? query("list subjects", sql.allSubjectsFirst, ps -> ps.setInt(1, limit),
              rs -> new SubjectId(rs.getString(1)))
          : query("list subjects", sql.allSubjectsAfter, ps -> {
            ps.setString(1, after.value());
            ps.setInt(2, limit);
          }, rs -> new SubjectId(rs.getString(1))));
    }
    List<PurposeId> ps1 = List.copyOf(purposes);
    List<ConsentState> st = List.copyOf(states);
    return List.copyOf(query("list subjects", sql.subjectsWithConsents(ps1.size(), st.size(), after != null), ps -> {
      int i = 1;
      for (PurposeId p : ps1) {
        ps.setString(i++, p.value());
      }
      for (ConsentState s : st) {
        ps.setString(i++, s.name());
      }
      if (after != null) {
        ps.setString(i++, after.value());
      }
      ps.setInt(i, limit);
    }, rs -> new SubjectId(rs.getString(1))));
  }

  @Override
  public void insertCampaign(org.optin4j.campaign.Campaign campaign) {
    Objects.requireNonNull(campaign, "campaign");
    write("insert a campaign", "a campaign with this id exists already", sql.insertCampaign, ps -> {
      ps.setString(1, campaign.id());
      ps.setString(2, campaign.purpose().value());
      ps.setString(3, campaign.subject());
      ps.setString(4, campaign.text());
      ps.setString(5, campaign.html());
      ps.setLong(6, campaign.createdAt().toEpochMilli());
    });
  }

  @Override
  public Optional<org.optin4j.campaign.Campaign> campaign(String id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read a campaign", sql.campaignById, ps -> ps.setString(1, id),
        rs -> new org.optin4j.campaign.Campaign(rs.getString("id"), new PurposeId(rs.getString("purpose")),
            rs.getString("subject"), rs.getString("body_text"), rs.getString("body_html"),
            instant(rs, "created_at")));
  }

  @Override
  public java.util.Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    java.util.Map<OutboxMail.Status, Integer> counts = new java.util.EnumMap<>(OutboxMail.Status.class);
    for (Object[] row : query("count mails", sql.countMailsByStatus, ps -> ps.setString(1, requestId),
        rs -> new Object[] {OutboxMail.Status.valueOf(rs.getString(1)), rs.getInt(2)})) {
      counts.put((OutboxMail.Status) row[0], (Integer) row[1]);
    }
    return java.util.Collections.unmodifiableMap(counts);
  }

  @Override
  public void saveRightsRequest(org.optin4j.rights.RightsRequest request) {
    Objects.requireNonNull(request, "request");
    update("save a rights request", sql.upsertRightsRequest, ps -> {
      ps.setString(1, request.id());
      ps.setString(2, request.subjectId().value());
      ps.setString(3, request.type().name());
      ps.setLong(4, request.receivedAt().toEpochMilli());
      ps.setLong(5, request.dueAt().toEpochMilli());
      ps.setBoolean(6, request.extended());
      setInstant(ps, 7, request.completedAt());
      ps.setString(8, request.outcome());
    });
  }

  @Override
  public Optional<org.optin4j.rights.RightsRequest> rightsRequest(String id) {
    Objects.requireNonNull(id, "id");
    return queryOne("read a rights request", sql.rightsRequestById, ps -> ps.setString(1, id),
        JdbcTransaction::rightsRequest);
  }

  @Override
  public List<org.optin4j.rights.RightsRequest> openRightsRequests() {
    List<org.optin4j.rights.RightsRequest> list = query("read open rights requests", sql.openRightsRequests, ps -> { },
        JdbcTransaction::rightsRequest);
    list.sort(Comparator.comparing(org.optin4j.rights.RightsRequest::dueAt).thenComparing(org.optin4j.rights.RightsRequest::id));
    return List.copyOf(list);
  }

  private static org.optin4j.rights.RightsRequest rightsRequest(ResultSet rs) throws SQLException {
    return new org.optin4j.rights.RightsRequest(rs.getString("id"), new SubjectId(rs.getString("subject_id")),
        org.optin4j.rights.RightsRequest.Type.valueOf(rs.getString("request_type")), instant(rs, "received_at"),
        instant(rs, "due_at"), rs.getBoolean("extended"), instant(rs, "completed_at"), rs.getString("outcome"));
  }

  private static void checkLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
  }

  // ----------------------------------------------------------------------------------------------------- helpers

  /** Sets a parameter on a prepared statement. */
  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** Maps the current row. */
  @FunctionalInterface
  private interface RowMapper<R> {
    R map(ResultSet rs) throws SQLException;
  }

  /** A piece of JDBC work. */
  @FunctionalInterface
  private interface SqlWork<R> {
    R run() throws SQLException;
  }

  private <R> List<R> query(String what, String statement, Binder binder, RowMapper<R> mapper) {
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

  private <R> Optional<R> queryOne(String what, String statement, Binder binder, RowMapper<R> mapper) {
    List<R> rows = query(what, statement, binder, mapper);
    return rows.isEmpty() ? Optional.empty() : Optional.ofNullable(rows.get(0));
  }

  private int update(String what, String statement, Binder binder) {
    checkOpen();
    checkWritable();
    beforeStatement(statement);
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      binder.bind(ps);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /** Like {@link #update}, but a unique-key violation becomes a {@code DuplicateKeyException} with that message. */
  private int write(String what, String duplicateMessage, String statement, Binder binder) {
    checkOpen();
    checkWritable();
    beforeStatement(statement);
    try (PreparedStatement ps = c.prepareStatement(statement)) {
      binder.bind(ps);
      return ps.executeUpdate();
    } catch (SQLException e) {
      if (SqlErrors.isUniqueViolation(e)) {
        throw failed(SqlErrors.duplicate(duplicateMessage, e));
      }
      throw failed(SqlErrors.wrap(what, e));
    }
  }

  /**
   * Runs work that may fail on a unique key so that the failure leaves the transaction usable: behind a savepoint on
   * PostgreSQL (which otherwise aborts the whole transaction), directly elsewhere (a failed statement undoes only
   * itself on H2 and on MariaDB/InnoDB).
   */
  private <R> R guarded(SqlWork<R> work) throws SQLException {
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

  private static int setNotice(PreparedStatement ps, int i, Consent.NoticeRef notice) throws SQLException {
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

  private static Consent.NoticeRef noticeRef(ResultSet rs) throws SQLException {
    String hash = rs.getString("notice_hash");
    if (hash == null) {
      return null;
    }
    return new Consent.NoticeRef(rs.getInt("notice_version"), hash,
        Locale.forLanguageTag(rs.getString("notice_locale")));
  }

  private static void setInstant(PreparedStatement ps, int i, Instant instant) throws SQLException {
    if (instant == null) {
      ps.setNull(i, Types.BIGINT);
    } else {
      ps.setLong(i, instant.toEpochMilli());
    }
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private static String join(Collection<PurposeId> purposes) {
    return purposes.stream().map(PurposeId::value).collect(Collectors.joining(","));
  }

  private static List<PurposeId> purposes(String joined) {
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
