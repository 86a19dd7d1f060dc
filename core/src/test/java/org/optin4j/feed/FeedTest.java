package org.optin4j.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

class FeedTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .feedRetention(Duration.ofDays(10))
          .build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId signUp(String email) {
    RequestResult r = optIn.request(ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER, EVENTS));
    return assertInstanceOf(RequestResult.Accepted.class, r).subjectId();
  }

  private List<FeedEntry> all() {
    return optIn.feed().after(FeedCursor.start(), 1000).entries();
  }

  @Test
  void signupConfirmAndErasureThenOneEntryPerHistoryEventInHistoryOrder() {
    SubjectId ann = signUp("ann@example.org");
    optIn.operations().dispatchNow();
    String token = Fixtures.token(mailer.last().text(), "confirm");
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertTrue(optIn.rights().erase(ann, Channel.OPERATOR));

    List<FeedEntry> entries = all();

    List<ConsentEvent.Type> history =
        optIn.proof().history(ann).stream().map(ConsentEvent::type).toList();
    assertEquals(history, entries.stream().map(FeedEntry::type).toList());
    assertEquals(6, entries.size());
    assertTrue(entries.stream().allMatch(e -> e.subjectId().equals(ann)));
    assertEquals(ConsentEvent.Type.ERASED, entries.get(5).type());
    assertEquals(Channel.OPERATOR, entries.get(5).channel());
  }

  @Test
  void erasureThenNothingOfTheAddressInTheFeed() {
    SubjectId ann = signUp("ann.secret@example.org");
    optIn.rights().erase(ann, Channel.OPERATOR);

    assertTrue(all().stream().noneMatch(e -> e.toString().contains("secret")), all()::toString);
  }

  @Test
  void afterWhenPagedThenEveryEntryOnceAndNextCursorRoundTrips() {
    for (int i = 0; i < 5; i++) {
      signUp("user" + i + "@example.org");
    }

    FeedCursor cursor = FeedCursor.start();
    List<FeedEntry> read = new java.util.ArrayList<>();
    FeedPage page;
    do {
      page = optIn.feed().after(cursor, 3);
      read.addAll(page.entries());
      cursor = FeedCursor.parse(page.next().toString());
    } while (!page.entries().isEmpty());

    assertEquals(all(), read);
    assertEquals(10, read.size());
    assertEquals(cursor, optIn.feed().after(cursor, 3).next());
  }

  @Test
  void expiryByTheRetentionRunThenExpiredEntries() {
    SubjectId ann = signUp("ann@example.org");
    clock.advance(Duration.ofDays(3));

    optIn.operations().purge();

    List<FeedEntry> entries = all();
    assertEquals(
        List.of(
            ConsentEvent.Type.REQUESTED,
            ConsentEvent.Type.REQUESTED,
            ConsentEvent.Type.EXPIRED,
            ConsentEvent.Type.EXPIRED),
        entries.stream().map(FeedEntry::type).toList(),
        entries::toString);
    assertTrue(entries.stream().allMatch(e -> e.subjectId().equals(ann)));
  }

  @Test
  void retentionRunWhenEntriesOlderThanFeedRetentionThenDeleted() {
    signUp("ann@example.org");
    clock.advance(Duration.ofDays(11));
    signUp("bob@example.org");

    optIn.operations().purge();

    assertTrue(
        all().stream().allMatch(e -> !e.at().isBefore(clock.instant().minus(Duration.ofDays(10)))),
        all()::toString);
    assertTrue(all().size() >= 2);
  }

  @Test
  void afterWhenLimitOutOfRangeThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> optIn.feed().after(FeedCursor.start(), 0));
    assertThrows(
        IllegalArgumentException.class, () -> optIn.feed().after(FeedCursor.start(), 1001));
  }

  @Test
  void cursorStringFormRoundTripsAndForeignTextIsRefused() {
    for (long p : new long[] {0, 1, 35, 36, 123_456_789, Long.MAX_VALUE}) {
      FeedCursor c = new FeedCursor(p);
      assertEquals(c, FeedCursor.parse(c.toString()));
    }
    for (String bad :
        List.of("", "f1.", "f1.-1", "f1.01", "f1.A", "17", "f2.1", "f1.zzzzzzzzzzzzzz")) {
      assertThrows(IllegalArgumentException.class, () -> FeedCursor.parse(bad), bad);
    }
    assertThrows(IllegalArgumentException.class, () -> new FeedCursor(-1));
  }

  @Test
  void builderWhenFeedRetentionOutOfRangeThenRefusedByName() {
    org.optin4j.ConfigurationException e =
        assertThrows(
            org.optin4j.ConfigurationException.class,
            () ->
                Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
                    .feedRetention(Duration.ofHours(1))
                    .build());
    assertTrue(e.getMessage().contains("feedRetention"), e.getMessage());
  }
}
