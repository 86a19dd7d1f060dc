package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.memory.InMemoryConsentStore;

/** The tamper-evident, per-subject hash-chained history at the service level. */
class OptInHistoryTest {
  private final MutableClock clock = MutableClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn = Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
      .evidencePolicy(EvidencePolicy.FULL).build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    RequestResult.Accepted r = assertInstanceOf(RequestResult.Accepted.class, optIn.request(
        ConsentRequest.of(email, Locale.ENGLISH, purposes).withEvidence(Evidence.of("203.0.113.9", "Firefox"))));
    optIn.dispatchNow();
    optIn.confirm(Fixtures.token(mailer.last().text(), "confirm"), Set.of(), Evidence.of("203.0.113.9", "Firefox"));
    optIn.dispatchNow();
    clock.advance(Duration.ofMinutes(5));
    return r.subjectId();
  }

  @Test
  void verifyHistoryWhenUntouchedThenIntactWithEveryEvent() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER, EVENTS);
    optIn.restrict(ann, EVENTS, true, Channel.OPERATOR);
    optIn.withdraw(ann, Set.of(NEWSLETTER), Channel.PREFERENCE_CENTER, Evidence.of("203.0.113.9", "Firefox"));

    HistoryVerification.Intact intact = assertInstanceOf(HistoryVerification.Intact.class, optIn.verifyHistory(ann));

    List<ConsentEvent> history = optIn.history(ann);
    assertEquals(history.size(), intact.events());
    assertEquals(6, history.size());
    assertEquals(history.get(history.size() - 1).seal().hash(), intact.headHash());
  }

  @Test
  void verifyHistoryWhenSubjectUnknownThenIntactAndEmpty() {
    assertEquals(new HistoryVerification.Intact(new SubjectId("unknown-subject-id-000"), 0,
        ConsentEvent.Seal.GENESIS), optIn.verifyHistory(new SubjectId("unknown-subject-id-000")));
  }

  @Test
  void verifyHistoryAfterErasureWithStubThenStillIntactAndOtherSubjectsUntouched() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed("bob@example.org", NEWSLETTER, EVENTS);
    int bobEvents = optIn.history(bob).size();

    assertTrue(optIn.erase(ann, Channel.PREFERENCE_CENTER));

    HistoryVerification.Intact stub = assertInstanceOf(HistoryVerification.Intact.class, optIn.verifyHistory(ann));
    assertEquals(3, stub.events());
    assertTrue(optIn.history(ann).stream().allMatch(ConsentEvent::hasNoDetails));
    assertEquals(new HistoryVerification.Intact(bob, bobEvents, optIn.history(bob).get(bobEvents - 1).seal().hash()),
        optIn.verifyHistory(bob));
  }

  @Test
  void verifyAllHistoriesThenEverySubjectAndStubChecked() {
    confirmed("ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed("bob@example.org", NEWSLETTER, EVENTS);
    confirmed("cy@example.org", EVENTS);
    optIn.erase(bob, Channel.OPERATOR);

    HistoryAudit audit = optIn.verifyAllHistories();

    assertTrue(audit.intact(), audit.toString());
    assertEquals(3, audit.subjects());
    assertEquals(2 + 6 + 2, audit.events());
  }
}
