package org.optin4j.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock a test moves by hand: give it to {@code OptIn.builder().clock(...)} (or any class that takes a
 * {@link Clock}), then {@link #advance(Duration)} it past a link's expiry, a retention period or a retry delay instead
 * of waiting.
 *
 * <p>It stands still between moves unless it was made {@link #ticking(Duration) ticking}: then every reading moves it
 * on by a step, the way a real clock moves between two requests, so that two readings are never equal.
 *
 * <p>{@link #withZone(ZoneId)} and {@link #ticking(Duration)} give views of the same time line: moving one moves all
 * of them. The zone is UTC unless a view says otherwise.
 *
 * <p>Thread-safe: the time is one atomic reference, so a test thread may move it while the code under test reads it
 * on other threads.
 */
public final class TestClock extends Clock {
  private final AtomicReference<Instant> now;
  private final ZoneId zone;
  private final Duration tick;

  private TestClock(AtomicReference<Instant> now, ZoneId zone, Duration tick) {
    this.now = now;
    this.zone = zone;
    this.tick = tick;
  }

  /**
   * A clock standing at {@code start}, in UTC.
   *
   * @param start the first instant it reads
   * @return the clock
   */
  public static TestClock at(Instant start) {
    return new TestClock(
        new AtomicReference<>(Objects.requireNonNull(start, "start")),
        ZoneOffset.UTC,
        Duration.ZERO);
  }

  /**
   * A clock standing at an ISO-8601 instant, in UTC.
   *
   * @param start for example {@code "2026-03-02T10:00:00Z"}
   * @return the clock
   * @throws java.time.format.DateTimeParseException if {@code start} is not an instant
   */
  public static TestClock at(String start) {
    return at(Instant.parse(Objects.requireNonNull(start, "start")));
  }

  /**
   * This clock's time line, moved on by {@code step} after every reading. Code that orders events by their time (or
   * refuses two equal times) then sees each reading after the one before, without the test moving the clock.
   *
   * @param step how far each reading moves the clock; zero for a clock that stands still
   * @return a view of the same time line that ticks
   * @throws IllegalArgumentException if {@code step} is negative
   */
  public TestClock ticking(Duration step) {
    Objects.requireNonNull(step, "step");
    if (step.isNegative()) {
      throw new IllegalArgumentException("tick step must not be negative, was " + step);
    }
    return new TestClock(now, zone, step);
  }

  /**
   * Moves the clock forward (or, with a negative amount, back).
   *
   * @param amount how far
   */
  public void advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    now.updateAndGet(i -> i.plus(amount));
  }

  /**
   * Sets the clock to an instant, later or earlier than its time now.
   *
   * @param instant the new time
   */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  /**
   * The time now, without the reading moving a {@link #ticking(Duration) ticking} clock.
   *
   * @return the current instant
   */
  public Instant peek() {
    return now.get();
  }

  @Override
  public Instant instant() {
    return tick.isZero() ? now.get() : now.getAndUpdate(i -> i.plus(tick));
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /**
   * A view of this clock's time line in another zone: moving either moves both.
   *
   * @param newZone the zone
   * @return the view
   */
  @Override
  public TestClock withZone(ZoneId newZone) {
    return new TestClock(now, Objects.requireNonNull(newZone, "zone"), tick);
  }

  @Override
  public String toString() {
    return "TestClock["
        + now.get()
        + ", "
        + zone
        + (tick.isZero() ? "" : ", ticking " + tick)
        + "]";
  }
}
