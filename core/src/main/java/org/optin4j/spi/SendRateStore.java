package org.optin4j.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The part of a unit of work that shares a sending rate ({@code org.optin4j.mail.SendingRate}) among the nodes that dispatch from one store: a node
 * reserves send slots (the instants at which it may hand one mail each to the server) before sending, and the store
 * hands out each slot once, so that all nodes together keep the rate and its minute and hour caps.
 *
 * <p>Reservations are atomic across nodes (on databases: the rate's row is locked for the unit). A slot reserved and
 * not used (a node stopped) is lost, which errs on the slow side. Obtained from
 * {@link ConsentStore.Transaction#sendRates()}; valid only while its unit runs, on its thread. Not thread-safe.
 */
public interface SendRateStore {

  /**
   * Reserves up to {@code wanted} send slots for the rate named {@link Limits#name()}: the earliest free ones at
   * or after {@code now} and before {@code now + horizon}, spaced by at least one second divided by
   * {@link Limits#perSecond()}, such that no 60 seconds hold more than {@link Limits#perMinute()} slots
   * and no 3600 seconds more than {@link Limits#perHour()} (caps of 0 do not apply). {@link SendSlots} does the
   * arithmetic over the stored state.
   *
   * @param rate the rate
   * @param wanted how many slots, 1 or more
   * @param now the current time
   * @param horizon how far ahead slots may lie, positive
   * @return the slots, possibly none, and when to ask again if fewer than wanted were free
   */
  Reservation reserve(Limits rate, int wanted, Instant now, Duration horizon);

  /**
   * The limits of one sending rate, as the store keeps them (the public {@code org.optin4j.mail.SendingRate} gives
   * them with {@code limits()}).
   *
   * @param name the rate's name: reservations under one name share the slots
   * @param perSecond messages per second, 0 for no limit
   * @param perMinute messages in any 60 seconds, 0 for no cap
   * @param perHour messages in any 3600 seconds, 0 for no cap
   */
  record Limits(String name, int perSecond, int perMinute, int perHour) {
    /** Validates the limits. */
    public Limits {
      java.util.Objects.requireNonNull(name, "name");
      if (perSecond < 0 || perMinute < 0 || perHour < 0) {
        throw new IllegalArgumentException(
            "limits must be 0 or more, were " + perSecond + ", " + perMinute + ", " + perHour);
      }
    }
  }

  /**
   * Send slots reserved.
   *
   * @param slots the slots, earliest first (each one mail)
   * @param retryAt when a further reservation may succeed, if fewer slots than wanted were given; else the instant
   *     after the last slot
   */
  record Reservation(List<Instant> slots, Instant retryAt) {
    /** Copies the slots; requires a retry time. */
    public Reservation {
      slots = List.copyOf(slots);
      java.util.Objects.requireNonNull(retryAt, "retryAt");
    }
  }
}
