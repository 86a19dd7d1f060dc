package org.optin4j.jdbc;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.optin4j.jdbc.JdbcConsentStore.Dialect;
import org.optin4j.spi.SendRateStore;
import org.optin4j.spi.SendSlots;

/**
 * The JDBC SendRateStore (tables of {@code V7__send_rates.sql}): a reservation locks the rate's row ({@code SELECT
 * ... FOR UPDATE}), so that nodes reserve one after another, reads the slots counted in the last hour, and writes
 * the new next slot and counts in the same unit. Four to six statements per reservation, whatever the number of
 * slots. One per unit of work; not thread-safe.
 */
record JdbcSendRates(JdbcTransaction tx, java.sql.Connection c, JdbcSendRates.Sql sql)
    implements SendRateStore {

  /** The statements, built once per table prefix with the other {@link Statements}. Immutable. */
  static final class Sql {
    final String insertRate;
    final String lockRate;
    final String updateRate;
    final String counts;
    final String purgeCounts;
    final String addCount;
    final String insertCount;

    Sql(String prefix, Dialect dialect) {
      String rate = prefix + "send_rate";
      String slots = prefix + "send_slots";
      insertRate =
          "INSERT INTO "
              + rate
              + " (name, next_slot) VALUES (?, ?)"
              + (dialect == Dialect.POSTGRESQL ? " ON CONFLICT (name) DO NOTHING" : "");
      lockRate = "SELECT next_slot FROM " + rate + " WHERE name = ? FOR UPDATE";
      updateRate = "UPDATE " + rate + " SET next_slot = ? WHERE name = ?";
      counts = "SELECT epoch_second, slots FROM " + slots + " WHERE name = ? AND epoch_second >= ?";
      purgeCounts = "DELETE FROM " + slots + " WHERE name = ? AND epoch_second < ?";
      addCount = "UPDATE " + slots + " SET slots = slots + ? WHERE name = ? AND epoch_second = ?";
      insertCount = "INSERT INTO " + slots + " (name, epoch_second, slots) VALUES (?, ?, ?)";
    }
  }

  @Override
  public Reservation reserve(Limits rate, int wanted, Instant now, Duration horizon) {
    tx.checkWritable();
    Objects.requireNonNull(rate, "rate");
    Objects.requireNonNull(now, "now");
    String name = rate.name();
    java.util.Optional<Long> locked = lock(name);
    if (locked.isEmpty()) {
      // Creates the row on first use; a node that loses the race to another finds it there.
      tx.insertIfAbsent("create a sending rate", sql.insertRate, name, Instant.EPOCH);
      locked = lock(name);
    }
    long next =
        locked.orElseThrow(
            () -> new org.optin4j.StoreException("sending rate row missing: " + name));
    // Only the hour cap needs an hour of counts; the minute cap needs 61 seconds.
    long oldest = now.getEpochSecond() - (rate.perHour() > 0 ? SendSlots.LOOKBACK_SECONDS : 61);
    Map<Long, Integer> counts = new HashMap<>();
    boolean capped = rate.perMinute() > 0 || rate.perHour() > 0;
    if (capped) {
      tx.query(
          "read send slots",
          sql.counts,
          ps -> {
            ps.setString(1, name);
            ps.setLong(2, oldest);
          },
          rs -> counts.put(rs.getLong(1), rs.getInt(2)));
    }
    SendSlots slots = new SendSlots(next, counts);
    Reservation reservation = slots.reserve(rate, wanted, now, horizon);
    if (reservation.slots().isEmpty()) {
      return reservation;
    }
    tx.update(
        "reserve send slots",
        sql.updateRate,
        ps -> {
          ps.setLong(1, slots.nextSlotMicros());
          ps.setString(2, name);
        });
    if (capped) {
      tx.update(
          "purge send slots",
          sql.purgeCounts,
          ps -> {
            ps.setString(1, name);
            ps.setLong(2, oldest);
          });
      writeCounts(name, slots.changedSeconds(), counts);
    }
    return reservation;
  }

  private java.util.Optional<Long> lock(String name) {
    return tx.queryOne(
        "lock a sending rate", sql.lockRate, ps -> ps.setString(1, name), rs -> rs.getLong(1));
  }

  /** Adds the new slots to their seconds' counts; the rate's row lock keeps other nodes off these rows. */
  private void writeCounts(String name, Map<Long, Integer> changed, Map<Long, Integer> stored) {
    tx.checkOpen();
    try (PreparedStatement add = c.prepareStatement(sql.addCount);
        PreparedStatement insert = c.prepareStatement(sql.insertCount)) {
      boolean adds = false;
      boolean inserts = false;
      for (Map.Entry<Long, Integer> e : changed.entrySet()) {
        if (stored.containsKey(e.getKey())) {
          add.setInt(1, e.getValue());
          add.setString(2, name);
          add.setLong(3, e.getKey());
          add.addBatch();
          adds = true;
        } else {
          insert.setString(1, name);
          insert.setLong(2, e.getKey());
          insert.setInt(3, e.getValue());
          insert.addBatch();
          inserts = true;
        }
      }
      if (adds) {
        add.executeBatch();
      }
      if (inserts) {
        insert.executeBatch();
      }
    } catch (SQLException e) {
      throw tx.failed(SqlErrors.wrap("count send slots", e));
    }
  }
}
