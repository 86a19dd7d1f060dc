package org.optin4j.breach;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** The breach register (GDPR Art. 33-34): deadline, status, affected subjects, notification mails. */
class BreachRegisterTest {
  private final TestClock clock = TestClock.at("2026-03-06T16:00:00Z"); // a Friday afternoon
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).build();
  private final BreachRegister breaches = optIn.breaches();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    return OptInFlow.of(optIn, mailer).confirmed(email, purposes);
  }

  @Test
  void recordIncidentThenDeadlineIs72CalendarHoursWeekendIncludedAndStatusMoves() {
    Instant discovered = Instant.parse("2026-03-06T15:30:00Z");
    Incident i =
        breaches.recordIncident(
            discovered,
            "A laptop with an export was stolen.",
            List.of("email address"),
            List.of("newsletter subscribers"),
            Set.of(NEWSLETTER));

    assertEquals(
        Instant.parse("2026-03-09T15:30:00Z"), i.notificationDeadline(), "Monday, weekend counted");
    assertEquals(Incident.Status.OPEN, i.status());
    assertEquals(clock.instant(), i.recordedAt());
    assertFalse(i.isOverdue(clock.instant()));
    assertTrue(i.isOverdue(Instant.parse("2026-03-09T15:30:00Z")));
    assertEquals(Optional.of(i), breaches.incident(i.id()));

    Incident notified =
        breaches.markAuthorityNotified(i.id(), Instant.parse("2026-03-08T10:00:00Z")).orElseThrow();
    assertEquals(Incident.Status.AUTHORITY_NOTIFIED, notified.status());
    assertEquals(Instant.parse("2026-03-08T10:00:00Z"), notified.authorityNotifiedAt());
    assertFalse(notified.isOverdue(Instant.parse("2026-03-10T00:00:00Z")));
    clock.advance(Duration.ofDays(10));
    Incident closed = breaches.closeIncident(i.id()).orElseThrow();
    assertEquals(Incident.Status.CLOSED, closed.status());
    assertEquals(clock.instant(), closed.closedAt());
    assertEquals(List.of(closed), breaches.incidents());
    assertEquals(Optional.empty(), breaches.closeIncident("no-such-incident"));
  }

  @Test
  void recordIncidentRefusesFutureDiscoveryUnknownPurposeAndBlankNature() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            breaches.recordIncident(
                clock.instant().plusSeconds(3600), "x", List.of(), List.of(), Set.of()));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            breaches.recordIncident(
                clock.instant(), "x", List.of(), List.of(), Set.of(PurposeId.of("unknown"))));
    assertThrows(
        IllegalArgumentException.class,
        () -> breaches.recordIncident(clock.instant(), " ", List.of(), List.of(), Set.of()));
    assertTrue(breaches.incidents().isEmpty());
  }

  @Test
  void affectedSubjectsAndNotificationReachWithdrawnButNotErasedOnesOnlyForThePurposes() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    SubjectId bob = confirmed("bob@example.org", NEWSLETTER);
    optIn.withdraw(bob, Set.of(), Channel.PREFERENCE_CENTER, Evidence.NONE);
    SubjectId cy = confirmed("cy@example.org", NEWSLETTER);
    optIn.rights().erase(cy, Channel.OPERATOR);
    SubjectId dee = confirmed("dee@example.org", EVENTS);
    Incident i =
        breaches.recordIncident(
            clock.instant(),
            "Export of the newsletter list leaked.",
            List.of("email address"),
            List.of("newsletter subscribers"),
            Set.of(NEWSLETTER));

    List<SubjectId> affected = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      List<SubjectId> page = breaches.affectedSubjects(i.id(), after, 1);
      affected.addAll(page);
      if (page.isEmpty()) {
        break;
      }
      after = page.get(0);
    }
    assertEquals(
        new TreeSet<>(List.of(ann.value(), bob.value())),
        new TreeSet<>(affected.stream().map(SubjectId::value).toList()));

    mailer.clear();
    assertEquals(
        2,
        breaches.notifyAffectedSubjects(
            i.id(),
            "About your data at De Gouden Korst",
            "An export of our newsletter list was leaked on 6 March.\n\nContact: privacy@bakery.example."));
    assertEquals(
        0,
        breaches.notifyAffectedSubjects(
            i.id(),
            "About your data at De Gouden Korst",
            "An export of our newsletter list was leaked on 6 March.\n\nContact: privacy@bakery.example."),
        "a second run queues nothing twice");
    assertThrows(
        IllegalStateException.class,
        () -> breaches.notifyAffectedSubjects(i.id(), "Other", "Other text"));
    optIn.operations().dispatchNow();

    assertEquals(
        Set.of("ann@example.org", "bob@example.org"),
        Set.copyOf(mailer.sent().stream().map(m -> m.to().value()).toList()));
    MailMessage m = mailer.last();
    assertEquals("About your data at De Gouden Korst", m.subject());
    assertTrue(m.text().startsWith("An export of our newsletter list was leaked"), m.text());
    assertTrue(m.text().contains("De Gouden Korst B.V., Bakkerstraat 1"), m.text());
    assertTrue(
        m.html().contains("<p>An export of our newsletter list was leaked on 6 March.</p>"),
        m.html());
    assertNull(m.headers().get("List-Unsubscribe"), "a legal notice, not a mailing");
    assertEquals(
        "About your data at De Gouden Korst",
        breaches.incident(i.id()).orElseThrow().subjectNotice().subject());
    assertFalse(mailer.sent().stream().anyMatch(x -> x.to().value().startsWith("dee")));
    assertTrue(dee.value().length() > 0);
  }

  @Test
  void incidentAffectingAllReachesEverySubjectOnFileAndHtmlIsEncoded() {
    confirmed("ann@example.org", NEWSLETTER);
    confirmed("dee@example.org", EVENTS);
    Incident i =
        breaches.recordIncident(
            clock.instant(),
            "Database copy exposed.",
            List.of("email address"),
            List.of("all subscribers"),
            Set.of());
    mailer.clear();

    assertEquals(
        2, breaches.notifyAffectedSubjects(i.id(), "Security notice", "<script>x</script> & more"));
    optIn.operations().dispatchNow();

    assertEquals(2, mailer.sent().size());
    assertTrue(
        mailer.last().html().contains("&lt;script&gt;x&lt;/script&gt; &amp; more"),
        mailer.last().html());
  }
}
