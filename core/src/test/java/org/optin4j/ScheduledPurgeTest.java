package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The retention job that {@link OptIn#start()} schedules (GDPR Art. 5(1)(e)): it runs every interval without anyone
 * calling {@code operations().purge()}, judges what is stale by the injected clock, and does not run before start.
 */
class ScheduledPurgeTest {
  private static final Duration INTERVAL = Duration.ofMillis(50);

  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final List<String> runs = new CopyOnWriteArrayList<>();
  private final CountDownLatch twoExpiries = new CountDownLatch(2);

  private final OptInMetrics metrics =
      new OptInMetrics() {
        @Override
        public void purged(String result, int count) {
          runs.add(result + " " + count);
          if (result.equals(PURGE_EXPIRED_CONSENTS)) {
            twoExpiries.countDown();
          }
        }
      };

  @Test
  void startWhenIntervalPassesThenPurgeRunsRepeatedlyAndExpiresByTheClock() throws Exception {
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .metrics(metrics)
            .retention(Duration.ofDays(7), Duration.ofDays(30), INTERVAL)
            .build()) {
      SubjectId ann = confirmedEvents(optIn);
      Thread.sleep(INTERVAL.toMillis() * 4);
      assertEquals(List.of(), runs, "no run before start()");

      // The events consent is kept 365 days after confirmation (Fixtures.events): past that on the
      // clock.
      clock.advance(Duration.ofDays(366));
      optIn.start();

      assertTrue(twoExpiries.await(10, TimeUnit.SECONDS), "two scheduled runs, got " + runs);
      assertTrue(runs.contains(OptInMetrics.PURGE_EXPIRED_CONSENTS + " 1"), runs.toString());
      assertFalse(optIn.mayMail("ann@example.org", EVENTS));
      assertEquals(
          ConsentState.EXPIRED,
          optIn.consents(ann).stream()
              .filter(c -> c.purpose().equals(EVENTS))
              .findFirst()
              .orElseThrow()
              .state());
    }
  }

  @Test
  void startWhenIntervalZeroThenNoScheduledRun() throws Exception {
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .metrics(metrics)
            .retention(Duration.ofDays(7), Duration.ofDays(30), Duration.ZERO)
            .build()
            .start()) {
      Thread.sleep(300);

      assertEquals(List.of(), runs);
      assertInstanceOf(OptIn.class, optIn);
    }
  }

  private SubjectId confirmedEvents(OptIn optIn) {
    RequestResult.Accepted accepted =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, EVENTS)));
    optIn.operations().dispatchNow();
    optIn.confirm(
        Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    assertTrue(optIn.mayMail("ann@example.org", EVENTS));
    return accepted.subjectId();
  }
}
