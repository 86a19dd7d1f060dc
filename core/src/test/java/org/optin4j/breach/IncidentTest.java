package org.optin4j.breach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.optin4j.PurposeId;

/** The incident record on its own: what a register entry may hold, and what each step of its handling keeps. */
class IncidentTest {
  private static final Instant DISCOVERED = Instant.parse("2026-03-06T15:30:00Z");
  private static final Instant RECORDED = Instant.parse("2026-03-06T16:00:00Z");
  private static final Incident.SubjectNotice NOTICE =
      new Incident.SubjectNotice("Your data", "A laptop was stolen.", RECORDED);

  private static Incident open(List<String> dataCategories) {
    return new Incident(
        "inc-1",
        DISCOVERED,
        RECORDED,
        "A laptop with an export was stolen.",
        dataCategories,
        List.of("newsletter subscribers"),
        Set.of(PurposeId.of("newsletter")),
        Incident.Status.OPEN,
        null,
        null,
        null);
  }

  @ParameterizedTest
  @ValueSource(strings = {" ", "two\nlines", "tab\there"})
  void constructorWhenCategoryIsNotOneLineThenRefusedNamingTheList(String category) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> open(List.of("email", category)));

    assertEquals("dataCategories: each entry is one line of 1 to 200 characters", e.getMessage());
  }

  @Test
  void constructorWhenCategoryHas200CharactersThenKeptAnd201Refused() {
    assertEquals(List.of("a".repeat(200)), open(List.of("a".repeat(200))).dataCategories());
    assertThrows(IllegalArgumentException.class, () -> open(List.of("a".repeat(201))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "two\nlines"})
  void subjectNoticeWhenSubjectIsNotOneLineThenRefused(String subject) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new Incident.SubjectNotice(subject, "text", RECORDED));

    assertEquals("the notice subject is one line of 1 to 200 characters", e.getMessage());
  }

  @Test
  void subjectNoticeWhenSubjectHas200CharactersThenKeptAnd201Refused() {
    assertEquals(
        "s".repeat(200), new Incident.SubjectNotice("s".repeat(200), "text", RECORDED).subject());
    assertThrows(
        IllegalArgumentException.class,
        () -> new Incident.SubjectNotice("s".repeat(201), "text", RECORDED));
  }

  @Test
  void handlingStepsChangeOnlyTheirOwnComponentsAndKeepWhatWasRecorded() {
    Incident open = open(List.of("email address"));
    Instant notifiedAt = Instant.parse("2026-03-08T10:00:00Z");
    Instant closedAt = Instant.parse("2026-03-20T10:00:00Z");

    Incident noticed = open.withSubjectNotice(NOTICE);
    Incident notified = noticed.authorityNotified(notifiedAt);
    Incident closed = notified.closed(closedAt);

    assertEquals(
        new Incident(
            open.id(),
            open.discoveredAt(),
            open.recordedAt(),
            open.nature(),
            open.dataCategories(),
            open.subjectCategories(),
            open.affectedPurposes(),
            Incident.Status.CLOSED,
            notifiedAt,
            closedAt,
            NOTICE),
        closed);
    assertEquals(Incident.Status.OPEN, noticed.status());
    assertEquals(Incident.Status.AUTHORITY_NOTIFIED, notified.status());
  }

  @Test
  void authorityNotifiedWhenAlreadyClosedThenStaysClosed() {
    Instant closedAt = Instant.parse("2026-03-07T10:00:00Z");
    Instant notifiedAt = Instant.parse("2026-03-08T10:00:00Z");

    Incident late = open(List.of("email address")).closed(closedAt).authorityNotified(notifiedAt);

    assertEquals(Incident.Status.CLOSED, late.status());
    assertEquals(notifiedAt, late.authorityNotifiedAt());
    assertEquals(closedAt, late.closedAt());
  }
}
