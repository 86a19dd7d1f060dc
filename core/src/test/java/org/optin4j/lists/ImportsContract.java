package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.feed.FeedCursor;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Imports on every store (memory, H2, PostgreSQL, MariaDB): classification, proof with original times, merge rules,
 * idempotency, dry run, the hash chain and the feed. A subclass names the store.
 */
public abstract class ImportsContract {
  static final String HEADER =
      "Email Address,First Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,GMTOFF,DSTOFF,"
          + "TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES";

  // Set per test: the JDBC subclasses share one instance between tests (PER_CLASS).
  private TestClock clock;
  private RecordingMailer mailer;
  private OptIn optIn;
  @TempDir Path dir;

  /** Returns a new, empty store. */
  protected abstract ConsentStore newStore();

  @BeforeEach
  void start() {
    clock = TestClock.at("2026-03-02T10:00:00Z");
    mailer = new RecordingMailer();
    optIn = Fixtures.builder(newStore(), mailer, clock).evidencePolicy(EvidencePolicy.FULL).build();
  }

  @AfterEach
  void stop() {
    optIn.close();
  }

  private Path file(String name, String... lines) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, String.join("\r\n", lines) + "\r\n", StandardCharsets.UTF_8);
    return f;
  }

  private static String member(
      String email, String optin, String optinIp, String confirm, String confirmIp) {
    return email
        + ",Ann,2,"
        + optin
        + ","
        + optinIp
        + ","
        + confirm
        + ","
        + confirmIp
        + ",1,0,Europe/Amsterdam,NL,NH,2024-05-01 09:00:00,123,abc,";
  }

  private static ImportSource subscribed() {
    return ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
        .purposes(NEWSLETTER)
        .build();
  }

  private Path subscribedFile() throws IOException {
    return file(
        "subscribed_members_export_1.csv",
        HEADER,
        member(
            "ann@example.org",
            "2021-01-02 10:00:00",
            "203.0.113.5",
            "2021-01-02 10:05:00",
            "203.0.113.6"),
        member("bob@example.org", "2022-03-04 08:00:00", "", "", ""),
        member("not an address", "", "", "", ""),
        member("cy@example.org", "2022-03-04 08:00:00", "", "yesterday", ""));
  }

  private ImportReport importMailchimp(ImportSource.MailchimpFile kind, Path f) {
    return optIn.imports().run(ImportSource.mailchimp(kind).purposes(NEWSLETTER).build(), f, null);
  }

  private SubjectId id(String email) {
    return optIn.findSubject(email).orElseThrow().id();
  }

  private Consent consent(String email, org.optin4j.PurposeId p) {
    return optIn.consents(id(email)).stream()
        .filter(c -> c.purpose().equals(p))
        .findFirst()
        .orElseThrow();
  }

  private SubjectId signUpAndConfirm(String email) {
    RequestResult r = optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER));
    SubjectId s = assertInstanceOf(RequestResult.Accepted.class, r).subjectId();
    optIn.operations().dispatchNow();
    List<org.optin4j.spi.MailMessage> toHim = mailer.sentTo(email);
    String token = Fixtures.token(toHim.get(toHim.size() - 1).text(), "confirm");
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    return s;
  }

  @Test
  void mailchimpSubscribedThenProvenWithOriginalTimesEvidenceAndSourceNamed() throws IOException {
    Path f = subscribedFile();
    ImportReport report = optIn.imports().run(subscribed(), f, null);

    assertEquals(4, report.rows());
    assertEquals(1, report.count(ImportClass.PROVEN));
    assertEquals(1, report.count(ImportClass.UNPROVEN));
    assertEquals(2, report.written());
    assertEquals(2, report.invalidCount());
    assertEquals(
        List.of(4L, 5L), report.invalid().stream().map(ImportReport.InvalidRow::line).toList());
    assertTrue(
        report.invalid().get(0).reason().contains("\"Email Address\""), report.invalid()::toString);
    assertTrue(
        report.invalid().get(1).reason().contains("\"CONFIRM_TIME\""), report.invalid()::toString);
    assertEquals(64, report.sha256().length());

    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    List<ConsentEvent> history = optIn.proof().history(id("ann@example.org"));
    assertEquals(
        List.of(ConsentEvent.Type.REQUESTED, ConsentEvent.Type.CONFIRMED),
        history.stream().map(ConsentEvent::type).toList());
    assertEquals(Instant.parse("2021-01-02T10:00:00Z"), history.get(0).at());
    assertEquals(Instant.parse("2021-01-02T10:05:00Z"), history.get(1).at());
    assertEquals("203.0.113.5", history.get(0).evidence().ip());
    assertEquals("203.0.113.6", history.get(1).evidence().ip());
    assertTrue(history.stream().allMatch(e -> e.channel() == Channel.IMPORT));
    assertTrue(
        history.get(1).source().contains("subscribed_members_export_1.csv"),
        history.get(1).source());
    assertTrue(history.get(1).source().contains(report.sha256()), history.get(1).source());
    assertTrue(history.get(1).source().contains("mailchimp-subscribed"), history.get(1).source());
    assertTrue(
        optIn
            .proof()
            .wasValidAt("ann@example.org", NEWSLETTER, Instant.parse("2023-01-01T00:00:00Z")));
    assertInstanceOf(
        HistoryVerification.Intact.class, optIn.proof().verifyHistory(id("ann@example.org")));

    assertFalse(optIn.mayMail("bob@example.org", NEWSLETTER));
    assertEquals(ConsentState.PENDING, consent("bob@example.org", NEWSLETTER).state());
    assertTrue(optIn.proof().verifyAllHistories().intact());
  }

  @Test
  void sameFileTwiceThenSecondRunChangesNothing() throws IOException {
    Path f = subscribedFile();
    optIn.imports().run(subscribed(), f, null);
    long events = optIn.feed().after(FeedCursor.start(), 1000).entries().size();
    long subjects = optIn.operations().countSubjects();

    ImportReport again = optIn.imports().run(subscribed(), f, null);

    assertEquals(0, again.written());
    assertEquals(2, again.unchanged());
    assertEquals(events, optIn.feed().after(FeedCursor.start(), 1000).entries().size());
    assertEquals(subjects, optIn.operations().countSubjects());
  }

  @Test
  void dryRunThenReportsTheRunButWritesNothing() throws IOException {
    Path f = subscribedFile();
    ImportReport dry = optIn.imports().dryRun(subscribed(), f);

    assertTrue(dry.dryRun());
    assertEquals(0, optIn.operations().countSubjects());
    assertTrue(optIn.feed().after(FeedCursor.start(), 10).entries().isEmpty());
    ImportReport real = optIn.imports().run(subscribed(), f, null);
    assertEquals(real.classes(), dry.classes());
    assertEquals(real.written(), dry.written());
    assertEquals(real.invalid(), dry.invalid());
  }

  @Test
  void importedEventsReachTheFeedWithChannelImport() throws IOException {
    optIn.imports().run(subscribed(), subscribedFile(), null);

    List<FeedEntry> entries = optIn.feed().after(FeedCursor.start(), 100).entries();
    assertEquals(3, entries.size()); // ann requested + confirmed, bob requested
    assertTrue(entries.stream().allMatch(e -> e.channel() == Channel.IMPORT));
  }

  @Test
  void unsubscribedAndCleanedFilesThenNeverMailedUntilSignupAndConfirmation() throws IOException {
    Path unsub =
        file(
            "unsubscribed_members_export_1.csv",
            HEADER
                + ",UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER",
            member("dee@example.org", "2020-01-01 00:00:00", "", "2020-01-01 00:10:00", "")
                + ",2023-02-02 12:00:00,Spring,abc,NORMAL,");
    Path cleaned =
        file(
            "cleaned_members_export_1.csv",
            HEADER + ",CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID",
            member("eve@example.org", "2020-01-01 00:00:00", "", "2020-01-01 00:10:00", "")
                + ",2023-03-03 12:00:00,Spring,abc");

    ImportReport u = importMailchimp(ImportSource.MailchimpFile.UNSUBSCRIBED, unsub);
    ImportReport c = importMailchimp(ImportSource.MailchimpFile.CLEANED, cleaned);

    ImportReport uAgain = importMailchimp(ImportSource.MailchimpFile.UNSUBSCRIBED, unsub);
    ImportReport cAgain = importMailchimp(ImportSource.MailchimpFile.CLEANED, cleaned);
    assertEquals(
        List.of(0L, 1L, 0L, 1L),
        List.of(uAgain.written(), uAgain.unchanged(), cAgain.written(), cAgain.unchanged()));
    assertEquals(1, u.count(ImportClass.WITHDRAWN));
    assertEquals(1, c.count(ImportClass.UNDELIVERABLE));
    assertEquals(ConsentState.WITHDRAWN, consent("dee@example.org", NEWSLETTER).state());
    assertEquals(
        Instant.parse("2023-02-02T12:00:00Z"), consent("dee@example.org", NEWSLETTER).endedAt());
    assertFalse(optIn.mayMail("dee@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("eve@example.org", NEWSLETTER));
    List<ConsentEvent.Type> eve =
        optIn.proof().history(id("eve@example.org")).stream().map(ConsentEvent::type).toList();
    assertEquals(
        List.of(
            ConsentEvent.Type.REQUESTED,
            ConsentEvent.Type.CONFIRMED,
            ConsentEvent.Type.UNDELIVERABLE),
        eve);
    assertFalse(
        optIn
            .proof()
            .wasValidAt("eve@example.org", NEWSLETTER, Instant.parse("2024-01-01T00:00:00Z")));
    assertTrue(
        optIn
            .proof()
            .wasValidAt("eve@example.org", NEWSLETTER, Instant.parse("2022-01-01T00:00:00Z")));

    // A later proven row does not lift the mark; the person's own confirmation does.
    optIn
        .imports()
        .run(
            subscribed(),
            file(
                "again.csv",
                HEADER,
                member("eve@example.org", "2024-01-01 00:00:00", "", "2024-01-01 00:05:00", "")),
            null);
    assertFalse(optIn.mayMail("eve@example.org", NEWSLETTER));
    signUpAndConfirm("eve@example.org");
    assertTrue(optIn.mayMail("eve@example.org", NEWSLETTER));
    assertTrue(optIn.proof().verifyAllHistories().intact());
  }

  @Test
  void mergeRulesThenProofHeldHereIsNeverDowngradedAndLaterWithdrawalsWin() throws IOException {
    signUpAndConfirm("ann@example.org"); // confirmed 2026-03-02
    signUpAndConfirm("bob@example.org");
    signUpAndConfirm("cy@example.org");
    optIn.rights().erase(id("cy@example.org"), Channel.OPERATOR);

    ImportReport sub =
        optIn
            .imports()
            .run(
                subscribed(),
                file(
                    "s.csv",
                    HEADER,
                    member("ann@example.org", "2020-01-01 00:00:00", "", "", ""),
                    member("cy@example.org", "2020-01-01 00:00:00", "", "2020-01-01 00:01:00", "")),
                null);
    assertEquals(1, sub.kept());
    assertEquals(1, sub.suppressed());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.findSubject("cy@example.org").isEmpty());

    clock.advance(java.time.Duration.ofDays(2));
    ImportReport unsub =
        optIn
            .imports()
            .run(
                ImportSource.csv()
                    .column(ImportSource.Field.EMAIL, "email")
                    .column(ImportSource.Field.ENDED_TIME, "when")
                    .allRows(ImportSource.Status.WITHDRAWN)
                    .purposes(NEWSLETTER)
                    .build(),
                file(
                    "u.csv",
                    "email,when",
                    "ann@example.org,2025-01-01T00:00:00Z",
                    "bob@example.org,2026-03-03T00:00:00Z"),
                null);
    assertEquals(1, unsub.kept()); // ann confirmed here after that withdrawal
    assertEquals(1, unsub.written());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("bob@example.org", NEWSLETTER));
    assertTrue(optIn.proof().verifyAllHistories().intact());
  }

  @Test
  void listmonkExportThenEachListClassifiedBySubscriptionStatus() throws IOException {
    String json =
        """
        {"data": {"total": 3, "results": [
          {"id": 1, "email": "ann@example.org", "status": "enabled", "attribs": {"city": "x"},
           "lists": [
             {"id": 3, "name": "News", "optin": "double", "subscription_status": "confirmed",
              "subscription_created_at": "2023-01-01T10:00:00.123456+01:00",
              "subscription_updated_at": "2023-01-01T10:30:00+01:00"},
             {"id": 4, "name": "Events", "optin": "single", "subscription_status": "confirmed",
              "subscription_created_at": "2023-01-01T10:00:00Z", "subscription_updated_at": "2023-01-01T10:00:00Z"},
             {"id": 9, "name": "Unmapped", "optin": "double", "subscription_status": "confirmed"}]},
          {"id": 2, "email": "bob@example.org", "status": "blocklisted",
           "lists": [{"id": 3, "name": "News", "subscription_status": "confirmed",
              "subscription_created_at": "2023-01-01T10:00:00Z", "subscription_updated_at": "2023-06-01T10:00:00Z"}]},
          {"id": 3, "email": "cy@example.org", "status": "enabled",
           "lists": [{"id": 3, "name": "News", "subscription_status": "weird"}]}
        ], "per_page": 50, "page": 1}}
        """;
    ImportReport r =
        optIn
            .imports()
            .run(
                ImportSource.listmonk().list("News", NEWSLETTER).list("4", EVENTS).build(),
                file("subscribers.json", json),
                null);

    assertEquals(3, r.rows());
    assertEquals(1, r.count(ImportClass.PROVEN));
    assertEquals(
        1, r.count(ImportClass.UNPROVEN)); // a single opt-in list's "confirmed" proves nothing
    assertEquals(1, r.count(ImportClass.WITHDRAWN));
    assertEquals(1, r.invalidCount());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("ann@example.org", EVENTS));
    assertEquals(
        Instant.parse("2023-01-01T09:30:00Z"),
        consent("ann@example.org", NEWSLETTER).confirmedAt());
    assertFalse(optIn.mayMail("bob@example.org", NEWSLETTER));
    ImportReport again =
        optIn
            .imports()
            .run(
                ImportSource.listmonk().list("News", NEWSLETTER).list("4", EVENTS).build(),
                dir.resolve("subscribers.json"),
                null);
    assertEquals(0, again.written());
    assertEquals(3, again.unchanged());
  }

  @Test
  void unprovenThenHeldForRePermissionUntilTheHoldAndGraceHavePassedThenPurged()
      throws IOException {
    optIn
        .imports()
        .run(
            ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
                .purposes(NEWSLETTER)
                .unprovenHold(java.time.Duration.ofDays(30))
                .build(),
            file("s.csv", HEADER, member("bob@example.org", "2022-03-04 08:00:00", "", "", "")),
            null);

    clock.advance(java.time.Duration.ofDays(29));
    optIn.operations().purge();
    assertEquals(ConsentState.PENDING, consent("bob@example.org", NEWSLETTER).state());
    assertTrue(
        mailer.sentTo("bob@example.org").isEmpty(), "nothing is mailed to an unproven address");

    clock.advance(java.time.Duration.ofDays(2));
    optIn.operations().purge();
    assertEquals(ConsentState.EXPIRED, consent("bob@example.org", NEWSLETTER).state());

    clock.advance(java.time.Duration.ofDays(8)); // past the unconfirmed grace of 7 days
    optIn.operations().purge();
    assertTrue(optIn.findSubject("bob@example.org").isEmpty());
  }

  @Test
  void repermissionThenConfirmedFromTheMailAreProvenAndTheRestLapseAndArePurged()
      throws IOException {
    optIn
        .imports()
        .run(
            ImportSource.mailchimp(ImportSource.MailchimpFile.SUBSCRIBED)
                .purposes(NEWSLETTER)
                .unprovenHold(java.time.Duration.ofDays(30))
                .build(),
            file(
                "s.csv",
                HEADER,
                member("bob@example.org", "2022-03-04 08:00:00", "", "", ""),
                member("dan@example.org", "2022-03-04 08:00:00", "", "", ""),
                member("eve@example.org", "2022-03-04 08:00:00", "", "", ""),
                member(
                    "ann@example.org",
                    "2021-01-02 10:00:00",
                    "203.0.113.5",
                    "2021-01-02 10:05:00",
                    "203.0.113.6")),
            null);
    assertEquals(new RepermissionReport(3, 0, 0, 0, 0), optIn.imports().repermissionProgress());
    assertTrue(mailer.sent().isEmpty());

    assertEquals(new RepermissionReport(3, 3, 0, 0, 0), optIn.imports().repermission());
    optIn.operations().dispatchNow();
    assertEquals(3, mailer.sent().size(), "one mail to each unproven, none to the proven");
    assertTrue(mailer.sentTo("ann@example.org").isEmpty());
    clock.advance(java.time.Duration.ofMinutes(10));
    assertEquals(new RepermissionReport(3, 3, 0, 0, 0), optIn.imports().repermission());
    optIn.operations().dispatchNow();
    assertEquals(3, mailer.sent().size(), "a second call mails no one again");

    org.optin4j.testing.OptInFlow.of(optIn, mailer)
        .confirm("bob@example.org", new Evidence("198.51.100.7", "Firefox"));

    assertEquals(ConsentState.CONFIRMED, consent("bob@example.org", NEWSLETTER).state());
    assertTrue(optIn.mayMail("bob@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("dan@example.org", NEWSLETTER));
    List<ConsentEvent> history = optIn.proof().history(id("bob@example.org"));
    assertEquals(
        List.of(ConsentEvent.Type.REQUESTED, ConsentEvent.Type.CONFIRMED),
        history.stream().map(ConsentEvent::type).toList());
    assertEquals(Channel.IMPORT, history.get(0).channel());
    assertEquals(
        "198.51.100.7", history.get(1).evidence().ip(), "the confirming click is the evidence");
    assertTrue(history.get(1).channel() != Channel.IMPORT);
    assertEquals(new RepermissionReport(2, 3, 1, 0, 0), optIn.imports().repermissionProgress());

    // dan asks for a fresh link: his request keeps the import's hold (not 48 hours from now).
    clock.advance(java.time.Duration.ofHours(20));
    assertInstanceOf(
        org.optin4j.ResendResult.Resent.class,
        optIn.resendConfirmation(mailer.link("dan@example.org", "confirm").token()));
    clock.advance(java.time.Duration.ofDays(4));
    optIn.operations().purge();
    assertEquals(ConsentState.PENDING, consent("dan@example.org", NEWSLETTER).state());

    // The hold runs out: the other two lapse, then are purged after the unconfirmed grace.
    clock.advance(java.time.Duration.ofDays(26));
    optIn.operations().purge();
    assertEquals(ConsentState.EXPIRED, consent("dan@example.org", NEWSLETTER).state());
    assertEquals(new RepermissionReport(0, 3, 1, 2, 0), optIn.imports().repermissionProgress());
    clock.advance(java.time.Duration.ofDays(8));
    optIn.operations().purge();
    assertTrue(optIn.findSubject("dan@example.org").isEmpty());
    assertTrue(optIn.findSubject("eve@example.org").isEmpty());
    assertTrue(optIn.mayMail("bob@example.org", NEWSLETTER));
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(new RepermissionReport(0, 1, 1, 0, 0), optIn.imports().repermissionProgress());
  }

  @Test
  void repermissionWhenCapFullThenThrottledAndMailedByALaterCall() throws IOException {
    optIn
        .imports()
        .run(
            subscribed(),
            file("s.csv", HEADER, member("bob@example.org", "2022-03-04 08:00:00", "", "", "")),
            null);
    // bob signs up for another purpose: his inbox just had a confirmation mail, and the cap
    // wants 2 minutes between two.
    optIn.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, EVENTS));
    optIn.operations().dispatchNow();
    int before = mailer.sent().size();

    RepermissionReport first = optIn.imports().repermission();

    assertEquals(new RepermissionReport(1, 0, 0, 0, 1), first);
    clock.advance(java.time.Duration.ofMinutes(3));
    assertEquals(new RepermissionReport(1, 1, 0, 0, 0), optIn.imports().repermission());
    optIn.operations().dispatchNow();
    assertEquals(before + 1, mailer.sent().size());
  }

  @Test
  void genericCsvWithStatusAndListsColumnsAndOwnTimeFormat() throws IOException {
    ImportSource source =
        ImportSource.csv()
            .column(ImportSource.Field.EMAIL, "mail")
            .column(ImportSource.Field.STATUS, "state")
            .column(ImportSource.Field.LISTS, "tags")
            .column(ImportSource.Field.CONFIRM_TIME, "confirmed")
            .status("active", ImportSource.Status.SUBSCRIBED)
            .status("gone", ImportSource.Status.WITHDRAWN)
            .list("news", NEWSLETTER)
            .list("events", EVENTS)
            .listSeparator(';')
            .timeFormat("dd.MM.yyyy HH:mm")
            .zone(java.time.ZoneId.of("Europe/Berlin"))
            .build();
    ImportReport r =
        optIn
            .imports()
            .run(
                source,
                file(
                    "generic.csv",
                    "mail,state,tags,confirmed",
                    "ann@example.org,ACTIVE,\"news;events\",15.01.2024 09:30",
                    "bob@example.org,gone,news,",
                    "cy@example.org,active,other,",
                    "dee@example.org,paused,news,"),
                null);

    assertEquals(2, r.count(ImportClass.PROVEN));
    assertEquals(1, r.count(ImportClass.WITHDRAWN));
    assertEquals(1, r.ignored());
    assertEquals(List.of(5L), r.invalid().stream().map(ImportReport.InvalidRow::line).toList());
    assertEquals(
        Instant.parse("2024-01-15T08:30:00Z"), consent("ann@example.org", EVENTS).confirmedAt());
  }

  @Test
  void progressIsToldAfterEachPage() throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add(HEADER);
    for (int i = 0; i < 1200; i++) {
      lines.add(
          member("p" + i + "@example.org", "2021-01-02 10:00:00", "", "2021-01-02 10:05:00", ""));
    }
    List<Long> told = new ArrayList<>();
    ImportReport r =
        optIn.imports().run(subscribed(), file("big.csv", lines.toArray(String[]::new)), told::add);

    assertEquals(1200, r.count(ImportClass.PROVEN));
    assertEquals(List.of(500L, 1000L, 1200L), told);
    assertEquals(1200, optIn.operations().countSubjects());
  }
}
