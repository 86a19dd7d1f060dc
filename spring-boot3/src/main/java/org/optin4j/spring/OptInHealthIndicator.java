package org.optin4j.spring;

import java.time.Clock;
import org.optin4j.OptIn;
import org.optin4j.spi.ConsentStore;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

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
 * <p>For Spring Boot 3.5 ({@code org.springframework.boot.actuate.health}): the twin of the Boot 4 starter's class of
 * the same name, over the same {@link OptInHealthCheck}.
 *
 * <p>Thread-safe.
 */
public class OptInHealthIndicator implements HealthIndicator {
  private final OptInHealthCheck check;

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
    this.check = new OptInHealthCheck(optIn, store, settings, clock);
  }

  @Override
  public Health health() {
    OptInHealthCheck.Result result = check.check();
    return Health.status(result.status()).withDetails(result.details()).build();
  }
}
