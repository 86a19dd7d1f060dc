package org.optin4j.jdbc;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.optin4j.Consent;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.PendingRequest;

/**
 * Set-based reads of several subjects, consents, suppressions or requests in one query per
 * {@value #MAX_KEYS} keys, without locks: the dispatcher re-checks each claimed batch with them rather than with one
 * round trip per mail (issue 17). Stateless apart from its statements' prefixes; immutable.
 */
final class JdbcBatchReads {
  /** The most keys in one {@code IN} list, well under every dialect's parameter limit. */
  static final int MAX_KEYS = 500;

  private final String subjectsByIds;
  private final String consentsOfPurpose;
  private final String suppressedKeys;
  private final String requestsByIds;

  JdbcBatchReads(String prefix) {
    subjectsByIds =
        "SELECT " + Statements.SUBJECT_COLUMNS + " FROM " + prefix + "subjects WHERE id IN (";
    consentsOfPurpose =
        "SELECT "
            + Statements.CONSENT_COLUMNS
            + " FROM "
            + prefix
            + "consents WHERE purpose = ? AND subject_id IN (";
    suppressedKeys = "SELECT address_key FROM " + prefix + "suppressions WHERE address_key IN (";
    requestsByIds =
        "SELECT " + Statements.REQUEST_COLUMNS + " FROM " + prefix + "requests WHERE id IN (";
  }

  /**
   * Returns the reads bound to a unit.
   *
   * @param tx the unit
   * @return the part
   */
  org.optin4j.spi.BatchReads bind(JdbcTransaction tx) {
    return new org.optin4j.spi.BatchReads() {
      @Override
      public Map<SubjectId, Subject> subjects(Collection<SubjectId> ids) {
        return JdbcBatchReads.this.subjects(tx, java.util.Objects.requireNonNull(ids, "ids"));
      }

      @Override
      public Map<SubjectId, Consent> consents(Collection<SubjectId> ids, PurposeId purpose) {
        java.util.Objects.requireNonNull(purpose, "purpose");
        return JdbcBatchReads.this.consents(
            tx, java.util.Objects.requireNonNull(ids, "ids"), purpose);
      }

      @Override
      public Set<String> suppressed(Collection<String> addressKeys) {
        return JdbcBatchReads.this.suppressed(
            tx, java.util.Objects.requireNonNull(addressKeys, "addressKeys"));
      }

      @Override
      public Map<String, PendingRequest> requests(Collection<String> ids) {
        return JdbcBatchReads.this.requests(tx, java.util.Objects.requireNonNull(ids, "ids"));
      }
    };
  }

  Map<SubjectId, Subject> subjects(JdbcTransaction tx, Collection<SubjectId> ids) {
    Map<SubjectId, Subject> found = new HashMap<>();
    for (List<String> keys : chunks(ids.stream().map(SubjectId::value).toList())) {
      for (Subject s : in(tx, "read subjects", subjectsByIds, null, keys, JdbcSubjects::subject)) {
        found.put(s.id(), s);
      }
    }
    return found;
  }

  Map<SubjectId, Consent> consents(
      JdbcTransaction tx, Collection<SubjectId> ids, PurposeId purpose) {
    Map<SubjectId, Consent> found = new HashMap<>();
    for (List<String> keys : chunks(ids.stream().map(SubjectId::value).toList())) {
      for (Consent c :
          in(
              tx,
              "read consents",
              consentsOfPurpose,
              purpose.value(),
              keys,
              JdbcSubjects::consent)) {
        found.put(c.subjectId(), c);
      }
    }
    return found;
  }

  Set<String> suppressed(JdbcTransaction tx, Collection<String> addressKeys) {
    Set<String> found = new HashSet<>();
    for (List<String> keys : chunks(List.copyOf(addressKeys))) {
      found.addAll(
          in(tx, "check the suppression list", suppressedKeys, null, keys, rs -> rs.getString(1)));
    }
    return found;
  }

  Map<String, PendingRequest> requests(JdbcTransaction tx, Collection<String> ids) {
    Map<String, PendingRequest> found = new HashMap<>();
    for (List<String> keys : chunks(List.copyOf(ids))) {
      for (PendingRequest r :
          in(tx, "read requests", requestsByIds, null, keys, JdbcRequests::request)) {
        found.put(r.id(), r);
      }
    }
    return found;
  }

  private static <R> List<R> in(
      JdbcTransaction tx,
      String what,
      String prefix,
      String first,
      List<String> keys,
      JdbcTransaction.RowMapper<R> mapper) {
    String statement = prefix + keys.stream().map(k -> "?").collect(Collectors.joining(", ")) + ")";
    return tx.query(
        what,
        statement,
        ps -> {
          int i = 1;
          if (first != null) {
            ps.setString(i++, first);
          }
          JdbcTransaction.bindAll(ps, i, keys);
        },
        mapper);
  }

  /** The distinct keys in lists of at most {@value #MAX_KEYS}; none for no keys. */
  private static List<List<String>> chunks(List<String> keys) {
    List<String> distinct = keys.stream().distinct().toList();
    List<List<String>> chunks = new ArrayList<>();
    for (int i = 0; i < distinct.size(); i += MAX_KEYS) {
      chunks.add(distinct.subList(i, Math.min(distinct.size(), i + MAX_KEYS)));
    }
    return chunks;
  }
}
