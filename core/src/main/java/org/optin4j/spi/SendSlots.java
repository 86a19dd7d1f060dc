package org.optin4j.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The arithmetic of send slots, for {@link SendRateStore} implementations to share (both shipped stores use it): given the next free slot of a rate and the
 * number of slots already handed out in each second of the last hour, it hands out the next ones. The per-second
 * limit spaces slots by {@code 1 s / perSecond} (a generic cell rate algorithm: any one second holds at most that
 * many). The minute and hour caps are counted in whole seconds: a slot in second {@code s} is given only if seconds
 * {@code s - 60 .. s} (61 of them, for minutes) hold fewer than the cap, so that any 60-second span, whatever its
 * start, holds no more than the cap; likewise 3601 seconds for the hour. This errs on the slow side by at most one
 * second in 61.
 *
 * <p>A store reads the state in its unit (under a lock shared by the nodes), runs {@link #reserve}, and writes back
 * {@link #nextSlotMicros()} and {@link #changedSeconds()}. Not thread-safe: one per reservation.
 */
public final class SendSlots {
  /** How many seconds back the caps look: a store need only keep (and read) the counts of this many seconds. */
  public static final long LOOKBACK_SECONDS = 3601;

  private long nextSlotMicros;
  private final java.util.NavigableMap<Long, Integer> countsBySecond;
  private final Map<Long, Integer> changed = new HashMap<>();

  /**
   * Starts from a rate's stored state.
   *
   * @param nextSlotMicros the earliest instant the next slot may have, in microseconds since the epoch
   * @param countsBySecond slots handed out per epoch second, at least for the {@value #LOOKBACK_SECONDS} seconds
   *     before now
   */
  public SendSlots(long nextSlotMicros, Map<Long, Integer> countsBySecond) {
    this.nextSlotMicros = nextSlotMicros;
    this.countsBySecond = new java.util.TreeMap<>(countsBySecond);
  }

  /**
   * Hands out slots, as {@link SendRateStore#reserve} describes.
   *
   * @param rate the rate
   * @param wanted how many slots
   * @param now the current time
   * @param horizon how far ahead slots may lie
   * @return the reservation
   */
  public SendRateStore.Reservation reserve(
      SendRateStore.Limits rate, int wanted, Instant now, Duration horizon) {
    Objects.requireNonNull(rate, "rate");
    if (wanted < 1) {
      throw new IllegalArgumentException("wanted must be 1 or more, was " + wanted);
    }
    if (horizon.isNegative() || horizon.isZero()) {
      throw new IllegalArgumentException("horizon must be positive, was " + horizon);
    }
    long nowMicros = micros(now);
    long endMicros = nowMicros + horizon.toNanos() / 1000;
    long spacing =
        rate.perSecond() > 0 ? (1_000_000L + rate.perSecond() - 1) / rate.perSecond() : 0;
    List<Instant> slots = new ArrayList<>();
    long slot = Math.max(nowMicros, nextSlotMicros);
    while (slots.size() < wanted) {
      slot =
          Math.max(slot, firstSecondWithRoom(rate, Math.floorDiv(slot, 1_000_000L)) * 1_000_000L);
      if (slot >= endMicros) {
        break;
      }
      long second = Math.floorDiv(slot, 1_000_000L);
      countsBySecond.merge(second, 1, Integer::sum);
      changed.merge(second, 1, Integer::sum);
      slots.add(instant(slot));
      slot += spacing;
      nextSlotMicros = slot;
    }
    Instant retryAt =
        slots.size() < wanted
            ? instant(Math.max(nowMicros, slot - (endMicros - nowMicros)))
            : instant(slot);
    return new SendRateStore.Reservation(slots, retryAt);
  }

  /** The first second from {@code second} on whose minute and hour windows have room for one more slot. */
  private long firstSecondWithRoom(SendRateStore.Limits rate, long second) {
    long s = second;
    // Each window can only be full until its oldest second's slots fall out of it, so this ends
    // within an hour.
    while (full(s, rate.perMinute(), 61) || full(s, rate.perHour(), LOOKBACK_SECONDS)) {
      s++;
    }
    return s;
  }

  private boolean full(long second, int cap, long window) {
    if (cap == 0) {
      return false;
    }
    long sum = 0;
    for (int count : countsBySecond.subMap(second - window, false, second, true).values()) {
      sum += count;
    }
    return sum >= cap;
  }

  /**
   * Returns the earliest instant the next slot may have, after {@link #reserve}.
   *
   * @return microseconds since the epoch
   */
  public long nextSlotMicros() {
    return nextSlotMicros;
  }

  /**
   * Returns the slots handed out by {@link #reserve}, per epoch second, to add to the stored counts.
   *
   * @return seconds and counts
   */
  public Map<Long, Integer> changedSeconds() {
    return Map.copyOf(changed);
  }

  private static long micros(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
  }

  private static Instant instant(long micros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
  }
}
