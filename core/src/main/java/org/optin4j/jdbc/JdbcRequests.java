package org.optin4j.jdbc;

import static org.optin4j.jdbc.JdbcTransaction.instant;
import static org.optin4j.jdbc.JdbcTransaction.join;
import static org.optin4j.jdbc.JdbcTransaction.noticeRef;
import static org.optin4j.jdbc.JdbcTransaction.purposes;
import static org.optin4j.jdbc.JdbcTransaction.setInstant;
import static org.optin4j.jdbc.JdbcTransaction.setNotice;
import static org.optin4j.jdbc.JdbcTransaction.strings;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RequestAndChange;
import org.optin4j.spi.RequestStore;

/**
 * The JDBC RequestStore: pending requests, used tokens and address changes. Runs its statements on its unit's
 * connection through the unit's helpers, which doom the unit on the first failure. One per unit of work, used only by
 * the thread that runs it; not thread-safe.
 */
record JdbcRequests(JdbcTransaction tx, Connection c, Statements sql) implements RequestStore {
  @Override
  public void insertRequest(PendingRequest request) {
    Objects.requireNonNull(request, "request");
    tx.write(
        "insert a request",
        "a request with this id exists already",
        sql.insertRequest,
        ps -> {
          ps.setString(1, request.id());
          ps.setString(2, request.subjectId().value());
          setRequestFields(ps, 3, request);
        });
  }

  @Override
  public Optional<PendingRequest> request(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read a request", sql.requestForUpdate, id, JdbcRequests::request);
  }

  @Override
  public Optional<RequestAndChange> requestAndChange(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey(
        "read a request",
        sql.requestAndChangeForUpdate,
        id,
        rs ->
            new RequestAndChange(
                request(rs),
                Optional.ofNullable(rs.getString("change_email")).map(EmailAddress::new)));
  }

  @Override
  public Optional<PendingRequest> findRequest(String id) {
    Objects.requireNonNull(id, "id");
    return tx.byKey("read a request", sql.requestById, id, JdbcRequests::request);
  }

  @Override
  public void updateRequest(PendingRequest request) {
    Objects.requireNonNull(request, "request");
    int count =
        tx.update(
            "update a request",
            sql.updateRequest,
            ps -> {
              int next = setRequestFields(ps, 1, request);
              ps.setString(next, request.id());
              ps.setString(next + 1, request.subjectId().value());
            });
    if (count != 1) {
      boolean exists =
          tx.byKey("read a request", sql.requestSubject, request.id(), rs -> rs.getString(1))
              .isPresent();
      if (exists) {
        throw new IllegalArgumentException("a request cannot move to another subject");
      }
      throw tx.failed(new StoreException("could not update request: no such request"));
    }
  }

  @Override
  public List<PendingRequest> openRequests(SubjectId id) {
    return tx.ofSubject(
        "read open requests",
        sql.openRequests,
        id,
        JdbcRequests::request,
        Comparator.comparing(PendingRequest::requestedAt).thenComparing(PendingRequest::id));
  }

  /** Sets the request's columns from {@code purposes} on; returns the next parameter index. */
  static int setRequestFields(PreparedStatement ps, int from, PendingRequest r)
      throws SQLException {
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

  static PendingRequest request(ResultSet rs) throws SQLException {
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

  @Override
  public boolean useToken(String tokenId, Instant expiresAt) {
    tx.checkWritable();
    Objects.requireNonNull(tokenId, "tokenId");
    Objects.requireNonNull(expiresAt, "expiresAt");
    return tx.insertIfAbsent("record a used token", sql.insertToken, tokenId, expiresAt);
  }

  @Override
  public void saveAddressChange(String requestId, EmailAddress newEmail) {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(newEmail, "newEmail");
    tx.update(
        "save an address change", sql.upsertAddressChange, strings(requestId, newEmail.value()));
  }

  @Override
  public Optional<EmailAddress> addressChange(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    return tx.byKey("read an address change", sql.addressChange, requestId, JdbcRequests::address);
  }

  @Override
  public void saveReplacedAddress(String requestId, EmailAddress previousEmail) {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(previousEmail, "previousEmail");
    int count =
        tx.update(
            "save a replaced address",
            sql.saveReplacedAddress,
            strings(previousEmail.value(), requestId));
    if (count != 1) {
      throw tx.failed(new StoreException("no address change for request " + requestId));
    }
  }

  @Override
  public Optional<EmailAddress> replacedAddress(String requestId) {
    Objects.requireNonNull(requestId, "requestId");
    return tx.byKey(
        "read a replaced address", sql.replacedAddress, requestId, JdbcRequests::address);
  }

  private static EmailAddress address(ResultSet rs) throws SQLException {
    return new EmailAddress(rs.getString(1));
  }
}
