package org.optin4j.spring;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.optin4j.OptIn;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.OutboxStatus;
import org.optin4j.spi.ConsentStore;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * optin4j's health for Spring Boot Actuator (component {@code optin4j}):
 *
 * <ul>
 *   <li>{@code DOWN}: the store does not answer (the outbox count failed).</li>
 *   <li>{@code OUT_OF_SERVICE}: the outbox is stuck (its oldest due mail has waited longer than {@code
 *       optin4j.monitoring.outbox-stuck-after}) or failing (the last mail that got an answer failed for good within
 *       {@code optin4j.monitoring.failing-window}: a refused sender, a blocked host).</li>
 *   <li>{@code UP} otherwise.</li>
 * </ul>
 * Details: the store type and, for JDBC, its dialect and the schema version it checked at start; the outbox backlog,
 * failed mails and oldest due age; {@code stuck} and {@code failing}. Counts, times and names only, never personal
 * data; the exception of a store failure is named by its class only. The outbox is counted at most once per {@code
 * optin4j.monitoring.outbox-count-max-age}.
 *
 * <p>Thread-safe.
 */
public class OptInHealthIndicator implements HealthIndicator {
  private final OptIn optIn;
  private final ConsentStore store;
  private final OptInMonitoringProperties settings;
  private final Clock clock;

  /**
   * Creates the indicator.
   *
   * @param optIn the service
   * @param store its store, for the details, or {@code null} if unknown (an application's own {@code OptIn})
   * @param settings thresholds and the outbox count's maximum age
   * @param clock the clock
   */
  public OptInHealthIndicator(
      OptIn optIn, ConsentStore store, OptInMonitoringProperties settings, Clock clock) {
    this.optIn = optIn;
    this.store = store;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public Health health() {
    Health.Builder health = Health.up();
    storeDetails(health);
    OutboxStatus outbox;
    try {
      outbox = optIn.operations().outboxStatus(settings.outboxCountMaxAge());
    } catch (RuntimeException e) {
      return health.down().withDetail("error", e.getClass().getName()).build();
    }
    Instant now = clock.instant();
    Optional<Duration> age = outbox.oldestDueAge(now);
    boolean stuck = age.isPresent() && age.get().compareTo(settings.outboxStuckAfter()) > 0;
    boolean failing = outbox.failing(now, settings.failingWindow());
    health
        .withDetail("outboxBacklog", outbox.backlog())
        .withDetail("outboxFailed", outbox.failed())
        .withDetail("outboxOldestDueAge", age.map(Duration::toString).orElse("unknown"))
        .withDetail("stuck", stuck)
        .withDetail("failing", failing);
    return (stuck || failing ? health.status(Status.OUT_OF_SERVICE) : health).build();
  }

  private void storeDetails(Health.Builder health) {
    if (store instanceof JdbcConsentStore jdbc) {
      health
          .withDetail("store", "jdbc")
          .withDetail("dialect", jdbc.dialect().name())
          // The store refuses to start on any other version: this is the version the database
          // holds.
          .withDetail("schemaVersion", JdbcConsentStore.SCHEMA_VERSION);
    } else if (store instanceof InMemoryConsentStore) {
      health.withDetail("store", "memory");
    } else if (store != null) {
      health.withDetail("store", store.getClass().getName());
    }
  }
}
