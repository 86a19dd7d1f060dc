package org.optin4j.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class TestClockTest {
  private static final Instant START = Instant.parse("2026-03-02T10:00:00Z");

  @Test
  void atThenStandsStillInUtcUntilMoved() {
    TestClock clock = TestClock.at("2026-03-02T10:00:00Z");

    assertEquals(START, clock.instant());
    assertEquals(START, clock.instant(), "no reading moves a clock that does not tick");
    assertEquals(START.toEpochMilli(), clock.millis());
    assertEquals(ZoneOffset.UTC, clock.getZone());
  }

  @Test
  void advanceAndSetThenReadingFollowsForwardAndBack() {
    TestClock clock = TestClock.at(START);

    clock.advance(Duration.ofHours(49));
    assertEquals(START.plus(Duration.ofHours(49)), clock.instant());
    clock.advance(Duration.ofHours(-1));
    assertEquals(START.plus(Duration.ofHours(48)), clock.instant());
    clock.set(START.minusSeconds(1));
    assertEquals(START.minusSeconds(1), clock.instant());
  }

  @Test
  void tickingThenEachReadingMovesOnByTheStepAndPeekDoesNot() {
    TestClock clock = TestClock.at(START).ticking(Duration.ofMillis(1));

    assertEquals(START, clock.peek());
    assertEquals(START, clock.instant());
    assertEquals(START.plusMillis(1), clock.instant());
    assertEquals(START.plusMillis(2), clock.peek());
    assertEquals(START.plusMillis(2), clock.peek());
  }

  @Test
  void tickingAndWithZoneThenViewsShareOneTimeLine() {
    TestClock utc = TestClock.at(START);
    TestClock ticking = utc.ticking(Duration.ofSeconds(1));
    ZoneId amsterdam = ZoneId.of("Europe/Amsterdam");
    TestClock local = utc.withZone(amsterdam);

    utc.advance(Duration.ofMinutes(5));

    assertEquals(START.plus(Duration.ofMinutes(5)), local.instant());
    assertEquals(amsterdam, local.getZone());
    assertEquals(
        11, ZonedDateTime.now(local).getHour(), "10:05 UTC is 11:05 in Amsterdam in March");
    assertEquals(START.plus(Duration.ofMinutes(5)), ticking.instant());
    assertEquals(
        START.plus(Duration.ofMinutes(5)).plusSeconds(1),
        utc.instant(),
        "the tick moved every view");
    assertEquals(ZoneOffset.UTC, ticking.getZone());
  }

  @Test
  void tickingWhenStepNegativeThenRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TestClock.at(START).ticking(Duration.ofMillis(-1)));

    assertEquals("tick step must not be negative, was PT-0.001S", e.getMessage());
  }

  @Test
  void atWhenNullThenRefused() {
    assertThrows(NullPointerException.class, () -> TestClock.at((Instant) null));
    assertThrows(NullPointerException.class, () -> TestClock.at(START).advance(null));
    assertThrows(NullPointerException.class, () -> TestClock.at(START).set(null));
  }

  @Test
  void advanceWhenFromManyThreadsAtOnceThenNoMoveIsLost() throws Exception {
    TestClock clock = TestClock.at(START);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    try {
      for (int t = 0; t < 8; t++) {
        done.add(
            pool.submit(
                () -> {
                  go.await();
                  for (int i = 0; i < 1_000; i++) {
                    clock.advance(Duration.ofMillis(1));
                  }
                  return null;
                }));
      }
      go.countDown();
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertEquals(START.plusMillis(8_000), clock.instant());
  }

  @Test
  void toStringThenNamesTimeZoneAndTick() {
    assertEquals("TestClock[2026-03-02T10:00:00Z, Z]", TestClock.at(START).toString());
    assertTrue(
        TestClock.at(START)
            .ticking(Duration.ofMillis(1))
            .toString()
            .endsWith(", ticking PT0.001S]"));
  }
}
