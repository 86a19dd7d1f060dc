package org.optin4j.spring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.optin4j.OptIn;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.OutboxStatus;
import org.optin4j.spi.ConsentStore;

/**
 * What {@link OptInHealthIndicator} reports, worked out without Actuator's types: Actuator's health API lives in
 * {@code org.springframework.boot.health.contributor} in Boot 4 and in {@code org.springframework.boot.actuate.health}
 * in Boot 3.5, so each Boot line's starter has its own small indicator over this one check.
 *
 * <p>Thread-safe.
 */
final class OptInHealthCheck {
  /** Actuator's status codes used here (the same strings on both Boot lines). */
  static final String UP = "UP";

  static final String DOWN = "DOWN";
  static final String OUT_OF_SERVICE = "OUT_OF_SERVICE";

  /**
   * A status code and its details: counts, times and names only, never personal data.
   *
   * @param status {@link #UP}, {@link #DOWN} or {@link #OUT_OF_SERVICE}
   * @param details in the order they are shown
   */
  record Result(String status, Map<String, Object> details) {}

  private final OptIn optIn;
  private final ConsentStore store;
  private final OptInMonitoringProperties settings;
  private final Clock clock;

  OptInHealthCheck(
      OptIn optIn, ConsentStore store, OptInMonitoringProperties settings, Clock clock) {
    this.optIn = optIn;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
  }

  Result check() {
    Map<String, Object> details = new LinkedHashMap<>();
    storeDetails(details);
    OutboxStatus outbox;
    try {
      outbox = optIn.operations().outboxStatus(settings.outboxCountMaxAge());
    } catch (RuntimeException e) {
      // The class only: a driver's message may carry a URL, a user name or a row's values.
      details.put("error", e.getClass().getName());
      return new Result(DOWN, details);
    }
    Instant now = clock.instant();
    Optional<Duration> age = outbox.oldestDueAge(now);
    boolean stuck = age.isPresent() && age.get().compareTo(settings.outboxStuckAfter()) > 0;
    boolean failing = outbox.failing(now, settings.failingWindow());
    details.put("outboxBacklog", outbox.backlog());
    details.put("outboxFailed", outbox.failed());
    details.put("outboxOldestDueAge", age.map(Duration::toString).orElse("unknown"));
    details.put("stuck", stuck);
    details.put("failing", failing);
    return new Result(stuck || failing ? OUT_OF_SERVICE : UP, details);
  }

  private void storeDetails(Map<String, Object> details) {
    if (store instanceof JdbcConsentStore jdbc) {
      details.put("store", "jdbc");
      details.put("dialect", jdbc.dialect().name());
      // The store refuses to start on any other version: this is the version the database holds.
      details.put("schemaVersion", JdbcConsentStore.SCHEMA_VERSION);
    } else if (store instanceof InMemoryConsentStore) {
      details.put("store", "memory");
    } else if (store != null) {
      details.put("store", store.getClass().getName());
    }
  }
}
