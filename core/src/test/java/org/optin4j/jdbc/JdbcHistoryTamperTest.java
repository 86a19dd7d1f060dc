package org.optin4j.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryAudit;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.proof.HistoryVerification.Reason;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Tampering with stored history behind the library's back (direct SQL on H2, as a rogue operator or a compromised
 * application role would) is found by {@link org.optin4j.proof.ConsentProof#verifyHistory} at the link where it happened.
 */
class JdbcHistoryTamperTest {
  private static TestDatabase database;
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private String prefix;
  private OptIn optIn;

  @BeforeAll
  static void openDatabase() {
    database = new TestDatabase.H2();
  }

  @AfterAll
  static void dropDatabase() throws Exception {
    database.close();
  }

  @BeforeEach
  void build() {
    prefix = database.nextPrefix();
    JdbcConsentStore store =
        JdbcConsentStore.builder(database.dataSource())
            .tablePrefix(prefix)
            .createSchema(true)
            .build();
    optIn = Fixtures.builder(store, mailer, clock).evidencePolicy(EvidencePolicy.FULL).build();
  }

  @AfterEach
  void close() {
    optIn.close();
  }

  /** Ann: REQUESTED newsletter (1), CONFIRMED newsletter (2), WITHDRAWN newsletter (3). */
  private SubjectId annWithThreeEvents() {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("ann@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER)
                    .withEvidence(Evidence.of("203.0.113.9", "Firefox"))));
    optIn.operations().dispatchNow();
    clock.advance(Duration.ofMinutes(3));
    optIn.confirm(
        Fixtures.token(mailer.last().text(), "confirm"),
        ConfirmationChoice.all(),
        Evidence.of("203.0.113.9", "Firefox"));
    clock.advance(Duration.ofDays(3));
    optIn.withdraw(
        r.subjectId(), Set.of(), Channel.PREFERENCE_CENTER, Evidence.of("198.51.100.4", "Safari"));
    assertInstanceOf(HistoryVerification.Intact.class, optIn.proof().verifyHistory(r.subjectId()));
    return r.subjectId();
  }

  private int sql(String statement, Object... args) throws SQLException {
    try (Connection c = database.dataSource().getConnection();
        PreparedStatement ps = c.prepareStatement(statement.replace("optin4j_", prefix))) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  private Reason brokenAt(SubjectId id, int position) {
    HistoryVerification.Broken b =
        assertInstanceOf(HistoryVerification.Broken.class, optIn.proof().verifyHistory(id));
    assertEquals(position, b.position(), b.toString());
    return b.reason();
  }

  @Test
  void verifyHistoryWhenConfirmationTimeBackdatedThenContentAlteredAtThatLink()
      throws SQLException {
    SubjectId ann = annWithThreeEvents();

    assertEquals(
        1,
        sql(
            "UPDATE optin4j_events SET occurred_at = occurred_at - 86400000"
                + " WHERE subject_id = ? AND chain_position = 2",
            ann.value()));

    assertEquals(Reason.CONTENT_ALTERED, brokenAt(ann, 2));
  }

  @Test
  void verifyHistoryWhenEventTypeChangedThenContentAlteredAtThatLink() throws SQLException {
    SubjectId ann = annWithThreeEvents();

    sql(
        "UPDATE optin4j_events SET event_type = 'CONFIRMED' WHERE subject_id = ? AND chain_position = 3",
        ann.value());

    assertEquals(Reason.CONTENT_ALTERED, brokenAt(ann, 3));
  }

  @Test
  void verifyHistoryWhenEvidenceChangedThenEvidenceAlteredAtThatLink() throws SQLException {
    SubjectId ann = annWithThreeEvents();

    sql(
        "UPDATE optin4j_events SET evidence_ip = '192.0.2.1' WHERE subject_id = ? AND chain_position = 2",
        ann.value());

    assertEquals(Reason.EVIDENCE_ALTERED, brokenAt(ann, 2));
  }

  @Test
  void verifyHistoryWhenEvidenceClearedWithoutErasureThenEvidenceRemoved() throws SQLException {
    SubjectId ann = annWithThreeEvents();

    sql(
        "UPDATE optin4j_events SET evidence_ip = NULL, evidence_user_agent = NULL, token_id = NULL,"
            + " source = NULL, details_salt = NULL WHERE subject_id = ? AND chain_position = 2",
        ann.value());

    assertEquals(Reason.EVIDENCE_REMOVED, brokenAt(ann, 2));
  }

  @Test
  void verifyHistoryWhenMiddleEventDeletedThenMissingEventAtItsPosition() throws SQLException {
    SubjectId ann = annWithThreeEvents();

    sql("DELETE FROM optin4j_events WHERE subject_id = ? AND chain_position = 2", ann.value());

    assertEquals(Reason.MISSING_EVENT, brokenAt(ann, 2));
  }

  @Test
  void verifyHistoryWhenLastEventDeletedThenTruncated() throws SQLException {
    SubjectId ann = annWithThreeEvents();

    sql("DELETE FROM optin4j_events WHERE subject_id = ? AND chain_position = 3", ann.value());

    assertEquals(Reason.TRUNCATED, brokenAt(ann, 3));
  }

  @Test
  void verifyHistoryWhenAlteredEventReHashedThenNextLinkMismatch() throws SQLException {
    SubjectId ann = annWithThreeEvents();
    ConsentEvent second = optIn.proof().history(ann).get(1);
    ConsentEvent forged =
        new ConsentEvent(
            0,
            ann,
            second.purpose(),
            second.type(),
            second.at().minusSeconds(86400),
            second.requestId(),
            second.notice(),
            second.source(),
            second.channel(),
            second.evidence(),
            second.tokenId());
    String forgedHash =
        forged.chainHash(2, second.seal().previousHash(), second.seal().detailsDigest());

    sql(
        "UPDATE optin4j_events SET occurred_at = ?, chain_hash = ? WHERE subject_id = ? AND chain_position = 2",
        forged.at().toEpochMilli(),
        forgedHash,
        ann.value());

    assertEquals(Reason.LINK_MISMATCH, brokenAt(ann, 3));
  }

  @Test
  void verifyHistoryAfterErasureWithStubThenIntactAndAuditFindsOnlyTheTamperedOne()
      throws SQLException {
    SubjectId ann = annWithThreeEvents();
    RequestResult.Accepted bob =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("bob@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER)));

    assertTrue(optIn.rights().erase(ann, Channel.OPERATOR));
    HistoryVerification.Intact stub =
        assertInstanceOf(HistoryVerification.Intact.class, optIn.proof().verifyHistory(ann));
    assertEquals(4, stub.events());
    sql(
        "UPDATE optin4j_events SET purpose = 'events' WHERE subject_id = ? AND chain_position = 1",
        bob.subjectId().value());

    HistoryAudit audit = optIn.proof().verifyAllHistories();

    assertEquals(2, audit.subjects());
    assertEquals(
        List.of(
            new HistoryVerification.Broken(
                bob.subjectId(),
                1,
                optIn.proof().history(bob.subjectId()).get(0).sequence(),
                Reason.CONTENT_ALTERED)),
        audit.broken());
  }
}
