package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.mockito.stubbing.Answer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.OutboxStatus;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The metrics SPI: each call comes once per committed outcome, none for a unit rolled back, and a metrics
 * implementation that throws breaks nothing.
 */
class OptInMetricsTest {
  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final Recording metrics = new Recording();
  private final ConsentStore real = InMemoryConsentStore.create();
  private final ConsentStore store = unitsOf(real);
  private final OptIn optIn = Fixtures.builder(store, mailer, clock).metrics(metrics).build();

  /** Every call, as one line: name and the arguments that may become tags. */
  private static final class Recording implements OptInMetrics {
    final List<String> calls = new CopyOnWriteArrayList<>();

    List<String> named(String prefix) {
      return calls.stream().filter(c -> c.startsWith(prefix)).toList();
    }

    @Override
    public void signup(RequestResult outcome) {
      calls.add("signup " + outcome.getClass().getSimpleName());
    }

    @Override
    public void confirmed(Set<PurposeId> purposes, Channel channel) {
      calls.add("confirmed " + new java.util.TreeSet<>(purposes) + " " + channel);
    }

    @Override
    public void declined(Set<PurposeId> purposes) {
      calls.add("declined " + new java.util.TreeSet<>(purposes));
    }

    @Override
    public void withdrawn(Set<PurposeId> purposes, Channel channel) {
      calls.add("withdrawn " + new java.util.TreeSet<>(purposes) + " " + channel);
    }

    @Override
    public void unsubscribed(Channel channel) {
      calls.add("unsubscribed " + channel);
    }

    @Override
    public void erased(Channel channel) {
      calls.add("erased " + channel);
    }

    @Override
    public void mailQueued(MailKind kind) {
      calls.add("queued " + kind);
    }

    @Override
    public void mailSent(MailKind kind, Duration latency) {
      calls.add("sent " + kind + " " + latency);
    }

    @Override
    public void mailFailed(MailKind kind, boolean permanent) {
      calls.add("failed " + kind + (permanent ? " permanent" : " transient"));
    }

    @Override
    public void purged(String result, int count) {
      calls.add("purged " + result + " " + count);
    }
  }

  /** The in-memory store, its reads going through {@code inTransaction} as units, so that any unit can fail. */
  private static ConsentStore unitsOf(ConsentStore real) {
    ConsentStore store = mock(ConsentStore.class, CALLS_REAL_METHODS);
    doAnswer(delegatesTo(real)).when(store).inTransaction(any());
    return store;
  }

  /** A unit whose work runs and then fails, as a commit that fails does: nothing is kept. */
  private Answer<Object> workRunsThenCommitFails() {
    return invocation -> {
      Function<ConsentStore.Transaction, Object> work = invocation.getArgument(0);
      return real.inTransaction(
          tx -> {
            work.apply(tx);
            throw new StoreException("commit failed");
          });
    };
  }

  private RequestResult.Accepted subscribe(String email, PurposeId... purposes) {
    return assertInstanceOf(
        RequestResult.Accepted.class,
        optIn.request(ConsentRequest.of(email, Locale.ENGLISH, purposes)));
  }

  private String confirmToken() {
    optIn.operations().dispatchNow();
    return Fixtures.token(mailer.last().text(), "confirm");
  }

  @Test
  void signupConfirmAndDispatchAreEachCountedOnce() {
    subscribe("ann@example.org", NEWSLETTER);
    assertEquals(List.of("queued CONFIRMATION", "signup Accepted"), metrics.calls);

    clock.advance(Duration.ofSeconds(5));
    String token = confirmToken();
    assertEquals(List.of("sent CONFIRMATION PT5S"), metrics.named("sent"));

    optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE);
    optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE); // used up: no second count
    assertEquals(List.of("confirmed [newsletter] CONFIRMATION_LINK"), metrics.named("confirmed"));
    assertEquals(List.of("queued CONFIRMATION", "queued RECEIPT"), metrics.named("queued"));

    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    assertEquals(List.of("signup Accepted", "signup AlreadyConfirmed"), metrics.named("signup"));
    assertEquals(List.of(), metrics.named("declined"));
  }

  @Test
  void aPartialChoiceCountsTheConfirmedAndTheDeclinedPurposes() {
    subscribe("ann@example.org", NEWSLETTER, EVENTS);
    optIn.confirm(confirmToken(), ConfirmationChoice.only(Set.of(EVENTS)), Evidence.NONE);

    assertEquals(List.of("confirmed [events] CONFIRMATION_LINK"), metrics.named("confirmed"));
    assertEquals(List.of("declined [newsletter]"), metrics.named("declined"));
  }

  @Test
  void aDeclineIsCountedOnceAndConfirmsNothing() {
    subscribe("ann@example.org", NEWSLETTER, EVENTS);
    String token = confirmToken();
    optIn.decline(token, Evidence.NONE);
    optIn.decline(token, Evidence.NONE);

    assertEquals(List.of("declined [events, newsletter]"), metrics.named("declined"));
    assertEquals(List.of(), metrics.named("confirmed"));
  }

  @Test
  void unsubscribeCountsTheUnsubscribeAndTheWithdrawal() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    optIn.operations().dispatchNow();
    String token = Fixtures.token(mailer.last().headers().get("List-Unsubscribe"), "unsubscribe");

    optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE);
    optIn.unsubscribe("x" + token, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE); // invalid
    optIn.withdraw(r.subjectId(), Set.of(), Channel.PREFERENCE_CENTER, Evidence.NONE); // nothing

    assertEquals(List.of("unsubscribed ONE_CLICK_UNSUBSCRIBE"), metrics.named("unsubscribed"));
    assertEquals(
        List.of("withdrawn [newsletter] ONE_CLICK_UNSUBSCRIBE"), metrics.named("withdrawn"));
  }

  @Test
  void anErasureIsCountedOnce() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);

    assertTrue(optIn.rights().erase(r.subjectId(), Channel.API));
    assertFalse(optIn.rights().erase(r.subjectId(), Channel.API));

    assertEquals(List.of("erased API"), metrics.named("erased"));
  }

  @Test
  void aSignupRolledBackIsNotCounted() {
    doAnswer(workRunsThenCommitFails())
        .doAnswer(delegatesTo(real))
        .when(store)
        .inTransaction(any());
    assertThrows(
        StoreException.class,
        () -> optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));

    assertEquals(List.of(), metrics.calls);
    subscribe("ann@example.org", NEWSLETTER);
    assertEquals(List.of("queued CONFIRMATION", "signup Accepted"), metrics.calls);
  }

  @Test
  void refusedSignupsAreCountedByOutcome() {
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
    optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)); // within 2 min

    assertEquals(List.of("signup Accepted", "signup Throttled"), metrics.named("signup"));
    assertEquals(List.of("queued CONFIRMATION"), metrics.named("queued"));
  }

  @Test
  void failedMailsAreCountedTransientThenPermanent() {
    mailer.failTemporarily("ann@example.org");
    subscribe("ann@example.org", NEWSLETTER);
    optIn.operations().dispatchNow();
    assertEquals(List.of("failed CONFIRMATION transient"), metrics.named("failed"));

    mailer.refuse("ann@example.org");
    clock.advance(Duration.ofHours(1));
    optIn.operations().dispatchNow();
    assertEquals(
        List.of("failed CONFIRMATION transient", "failed CONFIRMATION permanent"),
        metrics.named("failed"));
    assertEquals(List.of(), metrics.named("sent"));
  }

  @Test
  void aRetentionRunReportsEachResult() {
    optIn.operations().purge();

    assertEquals(
        List.of(
            "purged expired-requests 0",
            "purged expired-consents 0",
            "purged purged-subjects 0",
            "purged deleted-tokens 0",
            "purged deleted-mails 0"),
        metrics.named("purged"));
  }

  @Test
  void aThrowingMetricsImplementationBreaksNothing() {
    OptInMetrics broken =
        new OptInMetrics() {
          @Override
          public void signup(RequestResult outcome) {
            throw new IllegalStateException("meter registry gone");
          }

          @Override
          public void mailQueued(MailKind kind) {
            throw new IllegalStateException("meter registry gone");
          }

          @Override
          public void mailSent(MailKind kind, Duration latency) {
            throw new IllegalStateException("meter registry gone");
          }

          @Override
          public void confirmed(Set<PurposeId> purposes, Channel channel) {
            throw new IllegalStateException("meter registry gone");
          }
        };
    OptIn service =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).metrics(broken).build();

    assertInstanceOf(
        RequestResult.Accepted.class,
        service.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
    assertEquals(1, service.operations().dispatchNow().sent());
    String token = Fixtures.token(mailer.last().text(), "confirm");
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        service.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertTrue(service.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void outboxStatusCountsAtMostOncePerMaxAgeAndTracksTheDispatcher() {
    OutboxStatus before = optIn.operations().outboxStatus(Duration.ofMinutes(1));
    assertEquals(0, before.backlog());
    assertTrue(before.oldestDueAge(clock.instant()).isEmpty()); // the dispatcher has not looked

    subscribe("ann@example.org", NEWSLETTER);
    assertEquals(0, optIn.operations().outboxStatus(Duration.ofMinutes(1)).backlog()); // cached
    assertEquals(1, optIn.operations().outboxStatus(Duration.ZERO).backlog());

    clock.advance(Duration.ofSeconds(90));
    optIn.operations().dispatchNow();
    clock.advance(Duration.ofSeconds(10));
    OutboxStatus after = optIn.operations().outboxStatus(Duration.ZERO);
    assertEquals(0, after.backlog());
    // The look found the mail due since signup, 90 s before it; it is the oldest the dispatcher
    // knows of.
    assertEquals(Duration.ofSeconds(100), after.oldestDueAge(clock.instant()).orElseThrow());
    assertFalse(after.failing(clock.instant(), Duration.ofMinutes(15)));

    optIn.operations().dispatchNow(); // finds nothing due: the age is the time since this look
    clock.advance(Duration.ofSeconds(3));
    assertEquals(
        Duration.ofSeconds(3),
        optIn.operations().outboxStatus(Duration.ZERO).oldestDueAge(clock.instant()).orElseThrow());
  }

  @Test
  void outboxStatusIsFailingWhileTheLastAnswerWasAPermanentFailure() {
    mailer.refuse("bob@example.org");
    subscribe("bob@example.org", NEWSLETTER);
    optIn.operations().dispatchNow();
    OutboxStatus status = optIn.operations().outboxStatus(Duration.ZERO);
    assertEquals(1, status.failed());
    assertTrue(status.failing(clock.instant(), Duration.ofMinutes(15)));
    assertFalse(
        status.failing(clock.instant().plus(Duration.ofMinutes(16)), Duration.ofMinutes(15)));

    subscribe("ann@example.org", NEWSLETTER);
    optIn.operations().dispatchNow();
    assertFalse(
        optIn
            .operations()
            .outboxStatus(Duration.ZERO)
            .failing(clock.instant(), Duration.ofMinutes(15)));
  }
}
