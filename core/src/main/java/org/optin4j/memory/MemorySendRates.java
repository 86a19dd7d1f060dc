package org.optin4j.memory;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.optin4j.spi.SendRateStore;
import org.optin4j.spi.SendSlots;

/**
 * The in-memory SendRateStore: units of the memory store run one at a time, which makes each reservation atomic. One
 * per unit of work; not thread-safe.
 */
record MemorySendRates(MemoryUnit unit, MemoryState state) implements SendRateStore {

  @Override
  public Reservation reserve(Limits rate, int wanted, Instant now, Duration horizon) {
    unit.checkWrite();
    Objects.requireNonNull(rate, "rate");
    Objects.requireNonNull(now, "now");
    Map<Long, Integer> counts =
        new HashMap<>(state.sendSlotCounts.getOrDefault(rate.name(), Map.of()));
    long oldest = now.getEpochSecond() - SendSlots.LOOKBACK_SECONDS;
    counts.keySet().removeIf(second -> second < oldest);
    SendSlots slots = new SendSlots(state.sendNextSlots.getOrDefault(rate.name(), 0L), counts);
    Reservation reservation = slots.reserve(rate, wanted, now, horizon);
    slots.changedSeconds().forEach((second, count) -> counts.merge(second, count, Integer::sum));
    unit.put(state.sendSlotCounts, rate.name(), Map.copyOf(counts));
    unit.put(state.sendNextSlots, rate.name(), slots.nextSlotMicros());
    return reservation;
  }
}
