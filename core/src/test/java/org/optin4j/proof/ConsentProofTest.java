package org.optin4j.proof;

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
import org.optin4j.Channel;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The tamper-evident, per-subject hash-chained history at the service level. */
class ConsentProofTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .evidencePolicy(EvidencePolicy.FULL)
          .build();
  private final ConsentProof proof = optIn.proof();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    return OptInFlow.of(optIn, mailer, clock)
        .pauseAfterwards(Duration.ofMinutes(5))
        .confirmed(
            ConsentRequest.of(email, Locale.ENGLISH, purposes)
                .withEvidence(Evidence.of("203.0.113.9", "Firefox")),
            Evidence.of("203.0.113.9", "Firefox"));
  }

  @Test
  void verifyHistoryWhenUntouchedThenIntactWithEveryEvent() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER, EVENTS);
    optIn.rights().restrict(ann, EVENTS, true, Channel.OPERATOR);
    optIn.withdraw(
        ann, Set.of(NEWSLETTER), Channel.PREFERENCE_CENTER, Evidence.of("203.0.113.9", "Firefox"));

    HistoryVerification.Intact intact =
        assertInstanceOf(HistoryVerification.Intact.class, proof.verifyHistory(ann));

    List<ConsentEvent> history = proof.history(ann);
    assertEquals(history.size(), intact.events());
    assertEquals(6, history.size());
    assertEquals(history.get(history.size() - 1).seal().hash(), intact.headHash());
  }

  @Test
  void verifyHistoryWhenSubjectUnknownThenIntactAndEmpty() {
    assertEquals(
        new HistoryVerification.Intact(
            new SubjectId("unknown-subject-id-000"), 0, ConsentEvent.Seal.GENESIS),
        proof.verifyHistory(new SubjectId("unknown-subject-id-000")));
  }

  @Test
  void verifyHistoryAfterErasureWithStubThenStillIntactAndOtherSubjectsUntouched() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed("bob@example.org", NEWSLETTER, EVENTS);
    int bobEvents = proof.history(bob).size();

    assertTrue(optIn.rights().erase(ann, Channel.PREFERENCE_CENTER));

    HistoryVerification.Intact stub =
        assertInstanceOf(HistoryVerification.Intact.class, proof.verifyHistory(ann));
    assertEquals(3, stub.events());
    assertTrue(proof.history(ann).stream().allMatch(ConsentEvent::hasNoDetails));
    assertEquals(
        new HistoryVerification.Intact(
            bob, bobEvents, proof.history(bob).get(bobEvents - 1).seal().hash()),
        proof.verifyHistory(bob));
  }

  @Test
  void verifyAllHistoriesThenEverySubjectAndStubChecked() {
    confirmed("ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed("bob@example.org", NEWSLETTER, EVENTS);
    confirmed("cy@example.org", EVENTS);
    optIn.rights().erase(bob, Channel.OPERATOR);

    HistoryAudit audit = proof.verifyAllHistories();

    assertTrue(audit.intact(), audit.toString());
    assertEquals(3, audit.subjects());
    assertEquals(2 + 6 + 2, audit.events());
  }
}
