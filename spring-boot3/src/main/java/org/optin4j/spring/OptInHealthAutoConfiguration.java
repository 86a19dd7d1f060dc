package org.optin4j.spring;

import java.time.Clock;
import org.optin4j.OptIn;
import org.optin4j.spi.ConsentStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * optin4j's Actuator health indicator, when Actuator's health API is there and there is an {@code OptIn} bean: an
 * {@link OptInHealthIndicator} named {@value #HEALTH_INDICATOR} (component {@code optin4j}), unless {@code
 * management.health.optin4j.enabled=false} or the application defines a bean of that name.
 *
 * <p>For Spring Boot 3.5 ({@code org.springframework.boot.actuate.health}): the twin of the Boot 4 starter's class of
 * the same name; both run the same {@link OptInHealthCheck}.
 */
@AutoConfiguration(after = OptInAutoConfiguration.class)
@ConditionalOnClass({OptIn.class, HealthIndicator.class})
@ConditionalOnBean(OptIn.class)
@EnableConfigurationProperties(OptInMonitoringProperties.class)
public class OptInHealthAutoConfiguration {
  /** The bean name of the health indicator; define a bean of this name to replace it. */
  public static final String HEALTH_INDICATOR = "optin4jHealthIndicator";

  /** Creates the configuration; Spring calls this. */
  public OptInHealthAutoConfiguration() {}

  /**
   * The health indicator.
   *
   * @param optIn the service
   * @param store the store, if there is exactly one bean of it (for the details)
   * @param settings thresholds
   * @return the indicator
   */
  @Bean(HEALTH_INDICATOR)
  @ConditionalOnMissingBean(name = HEALTH_INDICATOR)
  @ConditionalOnEnabledHealthIndicator("optin4j")
  public OptInHealthIndicator optin4jHealthIndicator(
      OptIn optIn, ObjectProvider<ConsentStore> store, OptInMonitoringProperties settings) {
    return new OptInHealthIndicator(optIn, store.getIfUnique(), settings, Clock.systemUTC());
  }
}
