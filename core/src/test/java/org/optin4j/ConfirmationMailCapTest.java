package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.campaign.ReconsentResult;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.CapKeyStrategy;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.OutboxMail;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The one confirmation-mail cap (3 a day, 2 minutes apart by default), counted per inbox and shared by every mail to
 * an address that has not confirmed: signup, resend, address change, re-confirmation.
 */
class ConfirmationMailCapTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final List<OptIn> opened = new ArrayList<>();

  @AfterEach
  void close() {
    opened.forEach(OptIn::close);
  }

  private OptIn optIn(OptIn.Builder b) {
    OptIn o = b.build();
    opened.add(o);
    return o;
  }

  private OptIn optIn() {
    return optIn(Fixtures.builder(store, mailer, clock));
  }

  private static RequestResult signup(OptIn o, String email, PurposeId purpose) {
    return o.request(ConsentRequest.of(email, Locale.ENGLISH, purpose));
  }

  private SubjectId confirmed(OptIn o, String email) {
    SubjectId id = OptInFlow.of(o, mailer).confirmed(email, NEWSLETTER);
    mailer.clear();
    return id;
  }

  @Test
  void requestWhenTwentyTaggedAndADottedGmailVariantThenOnlyTheCapReachesTheOneInbox() {
    OptIn o = optIn();
    List<String> variants = new ArrayList<>();
    for (int i = 1; i <= 20; i++) {
      variants.add("victim+" + i + "@gmail.com");
    }
    variants.add("v.i.c.t.i.m@gmail.com");

    int accepted = 0;
    for (String v : variants) {
      if (signup(o, v, NEWSLETTER) instanceof RequestResult.Accepted) {
        accepted++;
      }
      clock.advance(
          Duration.ofMinutes(
              3)); // past the minimum interval each time: only the daily cap stops them
    }
    o.operations().dispatchNow();

    assertEquals(3, accepted);
    assertEquals(3, mailer.sent().size(), "21 variants, one inbox, at most the daily cap of mails");
  }

  @Test
  void requestWhenTaggedVariantWithinTheMinimumIntervalThenThrottledUntilTheIntervalEnds() {
    OptIn o = optIn();
    Instant first = clock.instant();
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim@example.org", NEWSLETTER));
    clock.advance(Duration.ofSeconds(30));

    RequestResult r = signup(o, "Victim+news@Example.org", NEWSLETTER);

    assertEquals(new RequestResult.Throttled(first.plus(Duration.ofMinutes(2))), r);
  }

  @Test
  void requestWhenGooglemailAndGmailSpellingsOfOneInboxThenOneCap() {
    OptIn o = optIn(Fixtures.builder(store, mailer, clock).confirmationMailCap(2, Duration.ZERO));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "jane.doe@gmail.com", NEWSLETTER));
    assertInstanceOf(
        RequestResult.Accepted.class, signup(o, "janedoe+x@googlemail.com", NEWSLETTER));

    RequestResult r = signup(o, "JaneDoe@gmail.com", NEWSLETTER);

    assertEquals(new RequestResult.Throttled(Instant.parse("2026-03-03T00:00:00Z")), r);
  }

  @Test
  void requestWhenVariantsThenEachAddressStoredAndMailedExactlyAsTyped() {
    OptIn o = optIn(Fixtures.builder(store, mailer, clock).confirmationMailCap(3, Duration.ZERO));
    RequestResult.Accepted tagged =
        assertInstanceOf(
            RequestResult.Accepted.class, signup(o, "Victim+Shop@GMail.com", NEWSLETTER));
    RequestResult.Accepted dotted =
        assertInstanceOf(
            RequestResult.Accepted.class, signup(o, "vic.tim@googlemail.com", NEWSLETTER));
    o.operations().dispatchNow();

    assertEquals(
        "victim+shop@gmail.com", o.subject(tagged.subjectId()).orElseThrow().email().value());
    assertEquals(
        "vic.tim@googlemail.com", o.subject(dotted.subjectId()).orElseThrow().email().value());
    assertEquals(
        Set.of("victim+shop@gmail.com", "vic.tim@googlemail.com"),
        Set.copyOf(mailer.sent().stream().map(m -> m.to().value()).toList()));
  }

  @Test
  void requestWhenOtherDomainThenDotsStillCount() {
    OptIn o = optIn(Fixtures.builder(store, mailer, clock).confirmationMailCap(1, Duration.ZERO));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "jane.doe@example.org", NEWSLETTER));

    assertInstanceOf(
        RequestResult.Accepted.class,
        signup(o, "janedoe@example.org", NEWSLETTER),
        "outside Gmail a dot makes another mailbox");
  }

  @Test
  void requestWhenExactAddressStrategyThenEveryVariantHasItsOwnCap() {
    OptIn o =
        optIn(
            Fixtures.builder(store, mailer, clock)
                .confirmationMailCap(1, Duration.ZERO)
                .capKeyStrategy(CapKeyStrategy.exactAddress()));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim+1@gmail.com", NEWSLETTER));

    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim+2@gmail.com", NEWSLETTER));
    assertInstanceOf(RequestResult.Throttled.class, signup(o, "victim+2@gmail.com", EVENTS));
  }

  @Test
  void requestWhenOperatorStrategyThenItsKeysShareTheCap() {
    // An operator who knows that example.net ignores everything after a '-'.
    CapKeyStrategy dashTags =
        a ->
            a.domain().equals("example.net")
                ? a.localPart().split("-", 2)[0] + "@example.net"
                : CapKeyStrategy.providerAware().capKey(a);
    OptIn o =
        optIn(
            Fixtures.builder(store, mailer, clock)
                .confirmationMailCap(1, Duration.ZERO)
                .capKeyStrategy(dashTags));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "ann-1@example.net", NEWSLETTER));

    assertInstanceOf(RequestResult.Throttled.class, signup(o, "ann-2@example.net", NEWSLETTER));
  }

  @Test
  void addressChangeWhenTooSoonAfterTheLastMailToThatInboxThenThrottled() {
    OptIn o = optIn();
    SubjectId ann = confirmed(o, "ann@example.org");
    clock.advance(Duration.ofMinutes(5));
    Instant first = clock.instant();
    assertInstanceOf(
        RequestResult.Accepted.class,
        o.rights().requestAddressChange(ann, "ann.new@example.org", Locale.ENGLISH, Evidence.NONE));
    clock.advance(Duration.ofSeconds(30));

    RequestResult again =
        o.rights()
            .requestAddressChange(ann, "ann.new+2@example.org", Locale.ENGLISH, Evidence.NONE);

    assertEquals(new RequestResult.Throttled(first.plus(Duration.ofMinutes(2))), again);
    o.operations().dispatchNow();
    assertEquals(1, mailer.sent().size());
  }

  @Test
  void addressChangeAndSignupsToOneInboxShareOneDailyCap() {
    OptIn o = optIn(Fixtures.builder(store, mailer, clock).confirmationMailCap(3, Duration.ZERO));
    SubjectId bob = confirmed(o, "bob@example.org");
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim+a@example.org", NEWSLETTER));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim+b@example.org", NEWSLETTER));
    assertInstanceOf(
        RequestResult.Accepted.class,
        o.rights()
            .requestAddressChange(bob, "victim+c@example.org", Locale.ENGLISH, Evidence.NONE));

    assertInstanceOf(RequestResult.Throttled.class, signup(o, "victim@example.org", NEWSLETTER));
    assertInstanceOf(
        RequestResult.Throttled.class,
        o.rights()
            .requestAddressChange(bob, "victim+d@example.org", Locale.ENGLISH, Evidence.NONE));
  }

  @Test
  void resendWhenTooSoonAfterATaggedVariantsMailThenThrottled() {
    OptIn o = optIn();
    signup(o, "victim@example.org", NEWSLETTER);
    o.operations().dispatchNow();
    String token = Fixtures.token(mailer.last().text(), "confirm");
    clock.advance(Duration.ofMinutes(3));
    Instant tagged = clock.instant();
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "victim+x@example.org", NEWSLETTER));
    clock.advance(Duration.ofSeconds(10));

    assertEquals(
        new ResendResult.Throttled(tagged.plus(Duration.ofMinutes(2))),
        o.resendConfirmation(token));
  }

  @Test
  void reconsentWhenTooSoonAfterTheLastMailToThatInboxThenThrottledAndAskedOnALaterRun() {
    SubjectId ann;
    try (OptIn v1 = Fixtures.builder(store, mailer, clock).build()) {
      ann = confirmed(v1, "ann@example.org");
    }
    Purpose newsletterV2 =
        Purpose.builder("newsletter")
            .version(2)
            .materialChange(true)
            .text(
                Locale.ENGLISH,
                "Monthly newsletter",
                "Bread of the month, recipes and partner offers.",
                "your email address")
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
            .build();
    OptIn v2 =
        optIn(
            Fixtures.builder(store, mailer, clock)
                .catalog(
                    PurposeCatalog.builder()
                        .locales(Locale.ENGLISH)
                        .add(newsletterV2)
                        .add(Fixtures.events())
                        .build()));
    clock.advance(Duration.ofMinutes(5));
    // Someone signs the same inbox up for another purpose a moment before the campaign runs.
    assertInstanceOf(RequestResult.Accepted.class, signup(v2, "ann+events@example.org", EVENTS));
    clock.advance(Duration.ofSeconds(20));

    assertEquals(
        new ReconsentResult(0, 0, 1),
        v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(30)));

    clock.advance(Duration.ofMinutes(2));
    assertEquals(
        new ReconsentResult(1, 0, 0),
        v2.campaigns().requestReconsent(NEWSLETTER, Duration.ofDays(30)));
    v2.operations().dispatchNow();
    assertTrue(
        mailer.sent().stream()
            .map(MailMessage::to)
            .anyMatch(a -> a.value().equals("ann@example.org")));
    assertTrue(
        v2.mayMail("ann@example.org", NEWSLETTER), "the old consent stays valid while asked");
    assertEquals(ann, v2.findSubject("ann@example.org").orElseThrow().id());
  }

  @Test
  void requestWhenMinimumIntervalReachesBackIntoYesterdayThenYesterdaysLastMailCounts() {
    OptIn o = optIn();
    clock.set(Instant.parse("2026-03-02T23:59:30Z"));
    Instant first = clock.instant();
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "ann@example.org", NEWSLETTER));
    clock.set(Instant.parse("2026-03-03T00:00:30Z"));

    assertEquals(
        new RequestResult.Throttled(first.plus(Duration.ofMinutes(2))),
        signup(o, "ann+1@example.org", NEWSLETTER));
    clock.set(Instant.parse("2026-03-03T00:01:30Z"));
    assertInstanceOf(RequestResult.Accepted.class, signup(o, "ann+1@example.org", NEWSLETTER));
  }

  @Test
  void upgradeWhenSlotOfTheExactAddressFromEarlierReleaseThenItStillCounts() {
    // Earlier releases keyed slots "confirmation:<sha-256 of the address, 32 hex>:<UTC day>:<n>";
    // for an address
    // whose cap key is the address itself, the key is unchanged, so the day's earlier mails still
    // count.
    OptIn o = optIn(Fixtures.builder(store, mailer, clock).confirmationMailCap(2, Duration.ZERO));
    Subject ann =
        new Subject(
            new SubjectId("AAAAAAAAAAAAAAAAAAAAAA"),
            EmailAddress.parse("ann@example.org"),
            clock.instant());
    long day = clock.instant().getEpochSecond() / 86_400;
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(ann);
          for (int slot = 1; slot <= 2; slot++) {
            tx.outbox()
                .enqueue(
                    OutboxMail.queued(
                        "old-" + slot,
                        MailKind.CONFIRMATION,
                        ann.id(),
                        ann.email(),
                        null,
                        1,
                        Locale.ENGLISH,
                        List.of(NEWSLETTER),
                        "confirmation:"
                            + Notice.sha256("ann@example.org").substring(0, 32)
                            + ':'
                            + day
                            + ':'
                            + slot,
                        clock.instant()));
          }
          return null;
        });

    assertInstanceOf(RequestResult.Throttled.class, signup(o, "ann@example.org", NEWSLETTER));
  }
}
