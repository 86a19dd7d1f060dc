package org.optin4j.rights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** Operator-run rights with the one-month deadline of GDPR Art. 12(3). */
class RightsDeskTest {
  private final TestClock clock = TestClock.at("2026-01-31T09:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).build();
  private final RightsDesk desk = optIn.rightsDesk();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    return OptInFlow.of(optIn, mailer).confirmed(email, purposes);
  }

  @Test
  void receiveThenDueOneCalendarMonthLaterExtendableOnceToThreeAndOverdueListed() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    RightsRequest r =
        desk.receive(ann, RightsRequest.Type.ACCESS, Instant.parse("2026-01-31T08:00:00Z"));

    assertEquals(Instant.parse("2026-02-28T08:00:00Z"), r.dueAt(), "end of a shorter month");
    assertEquals(List.of(r), desk.openRequests());
    assertEquals(List.of(), desk.overdue());
    clock.set(Instant.parse("2026-02-28T08:00:00Z"));
    assertEquals(List.of(r), desk.overdue());

    RightsRequest extended = desk.extend(r.id());
    assertTrue(extended.extended());
    assertEquals(Instant.parse("2026-04-30T08:00:00Z"), extended.dueAt());
    assertEquals(List.of(), desk.overdue());
    assertThrows(IllegalStateException.class, () -> desk.extend(r.id()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            desk.receive(ann, RightsRequest.Type.ACCESS, clock.instant().plus(Duration.ofDays(1))));
  }

  @Test
  void eachRightRunsOnBehalfOfTheSubjectAsOperatorAndCompletesItsRequest() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER, EVENTS);
    Instant received = clock.instant().minus(Duration.ofDays(2));

    RightsRequest restrict =
        desk.restrict(
            desk.receive(ann, RightsRequest.Type.RESTRICTION, received).id(), EVENTS, true);
    assertFalse(restrict.isOpen());
    assertEquals("restricted events", restrict.outcome());
    assertEquals(clock.instant(), restrict.completedAt());
    assertFalse(optIn.mayMail("ann@example.org", EVENTS));

    mailer.clear();
    RightsRequest access = desk.export(desk.receive(ann, RightsRequest.Type.ACCESS, received).id());
    assertEquals("export mailed to the address on file", access.outcome());
    optIn.operations().dispatchNow();
    assertEquals("my-data.json", mailer.last().attachments().get(0).fileName());

    RightsRequest withdraw =
        desk.withdraw(
            desk.receive(ann, RightsRequest.Type.WITHDRAWAL, received).id(), Set.of(NEWSLETTER));
    assertEquals("withdrawn: [newsletter]", withdraw.outcome());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(
        optIn.proof().history(ann).stream()
            .anyMatch(
                e -> e.type() == ConsentEvent.Type.WITHDRAWN && e.channel() == Channel.OPERATOR));

    RightsRequest rectify =
        desk.rectify(
            desk.receive(ann, RightsRequest.Type.RECTIFICATION, received).id(),
            "ann.new@example.org",
            Locale.ENGLISH);
    assertEquals("confirmation mail queued to the new address", rectify.outcome());

    RightsRequest erase = desk.erase(desk.receive(ann, RightsRequest.Type.ERASURE, received).id());
    assertEquals("subject erased", erase.outcome());
    assertTrue(optIn.subject(ann).isEmpty());
    assertEquals(List.of(), desk.openRequests());
    assertEquals(
        erase, desk.request(erase.id()).orElseThrow(), "the record outlives the erased subject");
  }

  @Test
  void runningTheWrongRightOrACompletedRequestIsRefused() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    RightsRequest access = desk.receive(ann, RightsRequest.Type.ACCESS, clock.instant());

    assertThrows(IllegalArgumentException.class, () -> desk.erase(access.id()));
    assertTrue(optIn.subject(ann).isPresent());
    desk.complete(access.id(), "answered by letter");
    assertThrows(IllegalArgumentException.class, () -> desk.export(access.id()));
    assertThrows(IllegalArgumentException.class, () -> desk.erase("no-such-request"));
  }
}
