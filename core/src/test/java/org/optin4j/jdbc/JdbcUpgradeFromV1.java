package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.optin4j.ConsentState;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;

/**
 * An installation made with the first released schema (V1 only), with data in it as V1's library wrote it, upgraded
 * the way docs/jdbc.md tells its operator to: the library refuses the old schema and names the scripts, the scripts
 * run in order, the store starts. Then the data is all there and the retention job's lapsed-signup purge (which
 * relies on V7's index) deletes exactly the lapsed signup. The database is opened once per class; an unreachable
 * server fails the class, it never skips.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcUpgradeFromV1 {
  private static final long DAY = Duration.ofDays(1).toMillis();
  private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");
  private static final SubjectId LAPSED = new SubjectId("lapsedLapsedLapsed0001");
  private static final SubjectId CONFIRMED = new SubjectId("confirmedConfirmed0002");
  private static final SubjectId WAITING = new SubjectId("waitingWaitingWaiting3");
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");

  private final Callable<TestDatabase> opener;
  private TestDatabase database;

  JdbcUpgradeFromV1(Callable<TestDatabase> opener) {
    this.opener = opener;
  }

  @BeforeAll
  void open() throws Exception {
    database = opener.call();
  }

  @AfterAll
  void drop() throws Exception {
    if (database != null) {
      database.close();
    }
  }

  @Test
  void upgradeFromV1WithDataThenDataIntactAndLapsedSignupsPurged() throws Exception {
    String p = database.nextPrefix();
    for (String statement : Schema.statements(database.dialect(), Schema.SCRIPTS.get(0), p)) {
      database.execute(statement);
    }
    long t = NOW.toEpochMilli();
    // A signup whose link ran out 8 days ago (beyond the 7-day grace), one confirmed subscriber,
    // one signup still
    // within its link's life; each with its request, consent, REQUESTED event, chain head and
    // confirmation mail.
    subject(p, LAPSED, "lapsed@example.org", t - 10 * DAY, "OPEN", t - 8 * DAY, "PENDING", null, 1);
    subject(
        p,
        CONFIRMED,
        "kept@example.org",
        t - 10 * DAY,
        "CONFIRMED",
        t - 8 * DAY,
        "CONFIRMED",
        t - 9 * DAY,
        2);
    subject(p, WAITING, "waiting@example.org", t - DAY, "OPEN", t + DAY, "PENDING", null, 3);
    database.execute(
        "INSERT INTO "
            + p
            + "address_changes (request_id, email) VALUES ('req-1', 'new@example.org')");
    database.execute(
        "INSERT INTO "
            + p
            + "suppressions (address_key, suppressed_at) VALUES ('key-1', "
            + t
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "used_tokens (token_id, expires_at) VALUES ('jti-1', "
            + (t + DAY)
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "rights_requests (id, subject_id, request_type, received_at, due_at, extended)"
            + " VALUES ('rr-1', '"
            + CONFIRMED.value()
            + "', 'ACCESS', "
            + t
            + ", "
            + (t + 30 * DAY)
            + ", FALSE)");

    // The library does not upgrade a schema itself: it refuses to start and names the scripts to
    // run.
    StoreException refused =
        assertThrows(
            StoreException.class,
            () ->
                JdbcConsentStore.builder(database.dataSource())
                    .tablePrefix(p)
                    .createSchema(true)
                    .build());
    assertTrue(refused.getMessage().contains("schema version 1 found"), refused.getMessage());
    for (String script : Schema.SCRIPTS.subList(1, Schema.SCRIPTS.size())) {
      assertTrue(refused.getMessage().contains(script), refused.getMessage());
      for (String statement : Schema.statements(database.dialect(), script, p)) {
        database.execute(statement);
      }
    }
    JdbcConsentStore store = JdbcConsentStore.builder(database.dataSource()).tablePrefix(p).build();

    assertEquals(
        JdbcConsentStore.SCHEMA_VERSION,
        single("SELECT MAX(version) FROM " + p + "schema_version"));
    store.read(
        tx -> {
          for (SubjectId id : List.of(LAPSED, CONFIRMED, WAITING)) {
            assertEquals(
                1, tx.subjects().subject(id).orElseThrow().addressGeneration(), id.value());
            assertEquals(1, tx.history().events(id).size(), id.value());
          }
          assertEquals(
              ConsentState.CONFIRMED,
              tx.subjects().consent(CONFIRMED, NEWSLETTER).orElseThrow().state());
          assertEquals(
              ConsentState.PENDING,
              tx.subjects().consent(LAPSED, NEWSLETTER).orElseThrow().state());
          assertEquals(
              "new@example.org", tx.requests().addressChange("req-1").orElseThrow().value());
          assertTrue(tx.subjects().isSuppressed("key-1"));
          return null;
        });
    assertEquals(3, count(p + "outbox"));
    assertEquals(1, count(p + "used_tokens"));
    assertEquals(1, count(p + "rights_requests"));

    Instant cutoff = NOW.minus(Duration.ofDays(7));
    List<SubjectId> lapsed =
        store.inTransaction(tx -> tx.retention().lapsedSignups(cutoff, null, 1000));
    assertEquals(List.of(LAPSED), lapsed);
    assertEquals(
        1, (int) store.inTransaction(tx -> tx.retention().deleteLapsedSignups(lapsed, cutoff)));

    assertEquals(2, count(p + "subjects"));
    assertEquals(2, count(p + "requests"));
    assertEquals(2, count(p + "consents"));
    assertEquals(2, count(p + "events"));
    assertEquals(2, count(p + "history_heads"));
    assertEquals(2, count(p + "outbox"));
    assertEquals(0, count(p + "address_changes"));
    assertEquals(1, count(p + "suppressions"), "a lapsed signup leaves no suppression entry");
    assertEquals(
        List.of(), store.inTransaction(tx -> tx.retention().lapsedSignups(cutoff, null, 1000)));
  }

  /** A subject as V1's library left it: request, consent, REQUESTED event, chain head, confirmation mail. */
  private void subject(
      String p,
      SubjectId id,
      String email,
      long createdAt,
      String requestStatus,
      long expiresAt,
      String consentState,
      Long confirmedAt,
      int n)
      throws Exception {
    String hash = "'" + "0".repeat(64) + "'";
    String req = "'req-" + n + "'";
    String sid = "'" + id.value() + "'";
    database.execute(
        "INSERT INTO "
            + p
            + "subjects (id, email, created_at) VALUES ("
            + sid
            + ", '"
            + email
            + "', "
            + createdAt
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "requests (id, subject_id, purposes, notice_version, notice_hash, notice_locale,"
            + " source, evidence_ip, evidence_user_agent, requested_at, expires_at, generation, status, closed_at)"
            + " VALUES ("
            + req
            + ", "
            + sid
            + ", 'newsletter', 1, "
            + hash
            + ", 'en', 'form', '192.0.2.1',"
            + " 'agent', "
            + createdAt
            + ", "
            + expiresAt
            + ", 1, '"
            + requestStatus
            + "', "
            + (confirmedAt == null ? "NULL" : confirmedAt)
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "consents (subject_id, purpose, purpose_version, state, request_id, notice_version,"
            + " notice_hash, notice_locale, requested_at, confirmed_at, ended_at, restricted) VALUES ("
            + sid
            + ", 'newsletter', 1, '"
            + consentState
            + "', "
            + req
            + ", 1, "
            + hash
            + ", 'en', "
            + createdAt
            + ", "
            + (confirmedAt == null ? "NULL" : confirmedAt)
            + ", NULL, FALSE)");
    database.execute(
        "INSERT INTO "
            + p
            + "events (subject_id, purpose, event_type, occurred_at, request_id, notice_version,"
            + " notice_hash, notice_locale, source, channel, chain_position, previous_hash, details_salt,"
            + " details_digest, chain_hash) VALUES ("
            + sid
            + ", 'newsletter', 'REQUESTED', "
            + createdAt
            + ", "
            + req
            + ", 1, "
            + hash
            + ", 'en', 'form', 'FORM', 1, "
            + hash
            + ", 'AAAAAAAAAAAAAAAAAAAAAA', "
            + hash
            + ", "
            + hash
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "history_heads (subject_id, chain_position, head_hash) VALUES ("
            + sid
            + ", 1, "
            + hash
            + ")");
    database.execute(
        "INSERT INTO "
            + p
            + "outbox (id, kind, subject_id, recipient, request_id, generation, locale, purposes,"
            + " dedupe_key, status, attempts, next_attempt_at, created_at, sent_at) VALUES ('mail-"
            + n
            + "', 'CONFIRMATION', "
            + sid
            + ", '"
            + email
            + "', "
            + req
            + ", 1, 'en', 'newsletter', 'confirm-"
            + n
            + "', 'SENT', 1, "
            + createdAt
            + ", "
            + createdAt
            + ", "
            + createdAt
            + ")");
  }

  private long count(String table) throws Exception {
    return single("SELECT COUNT(*) FROM " + table);
  }

  private long single(String query) throws Exception {
    try (Connection c = database.dataSource().getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
