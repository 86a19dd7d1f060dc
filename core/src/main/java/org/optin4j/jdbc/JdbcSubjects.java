package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.checkLimit;
import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.noticeRef;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;
import static org.optin4j.jdbc.JdbcTransaction.setNotice;
import static org.optin4j.jdbc.JdbcTransaction.strings;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.SubjectStore;
import org.optin4j.spi.WithSuppression;

/**
 * The JDBC SubjectStore: subjects, consents, erasure and the suppression list. Runs its statements on its unit's
 * connection through the unit's helpers, which doom the unit on the first failure. One per unit of work, used only by
 * the thread that runs it; not thread-safe.
 */
record JdbcSubjects(JdbcTransaction tx, Connection c, Statements sql) implements SubjectStore {
  @Override
  public Optional<Subject> subjectByEmail(EmailAddress email) {
    Objects.requireNonNull(email, "email");
    return tx.byKey(
        "find a subject by address", sql.subjectByEmail, email.value(), JdbcSubjects::subject);
  }

  @Override
  public List<Subject> subjects(int offset, int limit) {
    checkLimit(limit);
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative, was " + offset);
    }
    return List.copyOf(
        tx.query(
            "list subjects",
            sql.subjectsPage,
            ps -> {
              ps.setInt(1, limit);
              ps.setInt(2, offset);
            },
            JdbcSubjects::subject));
  }

  @Override
  public long countSubjects() {
    return tx.queryOne("count subjects", sql.countSubjects, ps -> {}, rs -> rs.getLong(1))
        .orElse(0L);
  }

  @Override
  public Optional<Subject> subject(SubjectId id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("find a subject", sql.subjectById, id.value(), JdbcSubjects::subject);
  }

  @Override
  public void insertSubject(Subject subject) {
    Objects.requireNonNull(subject, "subject");
    tx.write(
        "insert a subject",
        "a subject with this id or address exists already",
        sql.insertSubject,
        ps -> bindSubject(ps, subject));
    tx.insertedSubjects.add(subject.id());
  }

  @Override
  public void updateSubject(Subject subject) {
    Objects.requireNonNull(subject, "subject");
    int count =
        tx.write(
            "update a subject",
            "another subject has this address",
            sql.updateSubject,
            ps -> {
              ps.setString(1, subject.email().value());
              ps.setInt(2, subject.addressGeneration());
              ps.setString(3, subject.id().value());
            });
    if (count != 1) {
      throw tx.failed(
          new StoreException("could not update subject " + subject.id() + ": no such subject"));
    }
  }

  static void bindSubject(PreparedStatement ps, Subject subject) throws SQLException {
    ps.setString(1, subject.id().value());
    ps.setString(2, subject.email().value());
    ps.setLong(3, subject.createdAt().toEpochMilli());
    ps.setInt(4, subject.addressGeneration());
  }

  static Subject subject(ResultSet rs) throws SQLException {
    return new Subject(
        new SubjectId(rs.getString("id")),
        new EmailAddress(rs.getString("email")),
        instant(rs, "created_at"),
        rs.getInt("address_generation"));
  }

  @Override
  public List<Consent> consents(SubjectId id) {
    return tx.ofSubject(
        "read consents",
        sql.consents,
        id,
        JdbcSubjects::consent,
        Comparator.comparing(Consent::purpose));
  }

  @Override
  public Optional<Consent> consent(SubjectId id, PurposeId purpose) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(purpose, "purpose");
    return tx.queryOne(
        "read a consent",
        sql.consentForUpdate,
        strings(id.value(), purpose.value()),
        JdbcSubjects::consent);
  }

  @Override
  public void saveConsent(Consent consent) {
    Objects.requireNonNull(consent, "consent");
    tx.update("save a consent", sql.upsertConsent, ps -> bindConsent(ps, consent));
  }

  /** Saves the consents in one JDBC batch: one round trip. */
  @Override
  public void saveConsents(List<Consent> consents) {
    Objects.requireNonNull(consents, "consents");
    if (consents.size() < 2) {
      consents.forEach(this::saveConsent);
      return;
    }
    tx.batch("save consents", sql.upsertConsent, consents, JdbcSubjects::bindConsent);
  }

  static void bindConsent(PreparedStatement ps, Consent consent) throws SQLException {
    ps.setString(1, consent.subjectId().value());
    ps.setString(2, consent.purpose().value());
    ps.setInt(3, consent.purposeVersion());
    ps.setString(4, consent.state().name());
    ps.setString(5, consent.requestId());
    setNotice(ps, 6, consent.notice());
    ps.setLong(9, consent.requestedAt().toEpochMilli());
    setInstant(ps, 10, consent.confirmedAt());
    setInstant(ps, 11, consent.endedAt());
    ps.setBoolean(12, consent.restricted());
  }

  static Consent consent(ResultSet rs) throws SQLException {
    return consent(rs, "");
  }

  /** Reads a consent from the columns labelled with {@code label} before their names (a join). */
  static Consent consent(ResultSet rs, String label) throws SQLException {
    return new Consent(
        new SubjectId(rs.getString(label + "subject_id")),
        new PurposeId(rs.getString(label + "purpose")),
        rs.getInt(label + "purpose_version"),
        ConsentState.valueOf(rs.getString(label + "state")),
        rs.getString(label + "request_id"),
        noticeRef(rs, label),
        instant(rs, label + "requested_at"),
        instant(rs, label + "confirmed_at"),
        instant(rs, label + "ended_at"),
        rs.getBoolean(label + "restricted"));
  }

  @Override
  public boolean eraseSubject(SubjectId id, boolean keepHistoryStub) {
    Objects.requireNonNull(id, "id");
    int deleted = 0;
    List<String> statements =
        new ArrayList<>(
            List.of(sql.eraseAddressChanges, sql.eraseRequests, sql.eraseConsents, sql.eraseMails));
    statements.addAll(
        keepHistoryStub ? List.of(sql.deidentifyEvents) : List.of(sql.eraseEvents, sql.deleteHead));
    statements.add(sql.eraseSubject);
    for (String statement : statements) {
      // The last statement deletes the subject row; a concurrent eraser waits on it and then finds
      // nothing.
      deleted = tx.update("erase a subject", statement, ps -> ps.setString(1, id.value()));
    }
    if (!keepHistoryStub) {
      tx.lockedHeads.remove(id);
    }
    return deleted > 0;
  }

  @Override
  public void suppress(String addressKey, Instant at) {
    tx.checkWritable();
    Objects.requireNonNull(addressKey, "addressKey");
    Objects.requireNonNull(at, "at");
    // Idempotent: already suppressed is fine.
    tx.insertIfAbsent("suppress an address", sql.insertSuppression, addressKey, at);
  }

  @Override
  public boolean isSuppressed(String addressKey) {
    Objects.requireNonNull(addressKey, "addressKey");
    return tx.byKey("check the suppression list", sql.isSuppressed, addressKey, rs -> Boolean.TRUE)
        .isPresent();
  }

  /** Answers {@link ConsentStore.Transaction#subjectByEmailWithSuppression} in one query. */
  WithSuppression<Optional<Subject>> subjectByEmailWithSuppression(
      EmailAddress email, String addressKey) {
    Objects.requireNonNull(email, "email");
    Objects.requireNonNull(addressKey, "addressKey");
    List<Optional<Subject>> rows =
        tx.query(
            "find a subject by address",
            sql.subjectByEmailWithSuppression,
            strings(email.value(), addressKey),
            rs ->
                rs.getString("id") == null ? Optional.<Subject>empty() : Optional.of(subject(rs)));
    Optional<Subject> found = rows.stream().flatMap(Optional::stream).findFirst();
    return new WithSuppression<>(found, found.isEmpty() && !rows.isEmpty());
  }

  /** Answers {@link ConsentStore.Transaction#consentsWithSuppression} in one query. */
  WithSuppression<List<Consent>> consentsWithSuppression(SubjectId id, String addressKey) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(addressKey, "addressKey");
    List<Optional<Consent>> rows =
        tx.query(
            "read consents",
            sql.consentsWithSuppression,
            strings(id.value(), addressKey),
            rs ->
                rs.getString("purpose") == null
                    ? Optional.<Consent>empty()
                    : Optional.of(consent(rs)));
    List<Consent> consents = new ArrayList<>(rows.stream().flatMap(Optional::stream).toList());
    consents.sort(Comparator.comparing(Consent::purpose));
    return new WithSuppression<>(List.copyOf(consents), rows.stream().anyMatch(Optional::isEmpty));
  }

  @Override
  public void unsuppress(String addressKey) {
    Objects.requireNonNull(addressKey, "addressKey");
    tx.update("unsuppress an address", sql.deleteSuppression, ps -> ps.setString(1, addressKey));
  }

  @Override
  public List<SubjectId> subjects(
      Set<PurposeId> purposes, Set<ConsentState> states, SubjectId after, int limit) {
    Objects.requireNonNull(purposes, "purposes");
    Objects.requireNonNull(states, "states");
    checkLimit(limit);
    if (purposes.isEmpty()) {
      return tx.subjectPage(
          "list subjects", sql.allSubjectsFirst, sql.allSubjectsAfter, after, limit);
    }
    List<PurposeId> ps1 = List.copyOf(purposes);
    List<ConsentState> st = List.copyOf(states);
    return tx.subjectIds(
        "list subjects",
        sql.subjectsWithConsents(ps1.size(), st.size(), after != null),
        ps -> {
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
        });
  }
}
