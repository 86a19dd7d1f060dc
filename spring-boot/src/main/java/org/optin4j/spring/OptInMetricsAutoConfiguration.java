package org.optin4j.spring;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.optin4j.OptIn;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OptInMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * optin4j's meters and health for Spring Boot 4 applications, each only when its library is there:
 *
 * <ul>
 *   <li>With Micrometer and a {@code MeterRegistry} bean: an {@link OptInMeterBinder}, which {@link
 *       OptInAutoConfiguration} sets as the service's {@link OptInMetrics}. Backs off when the application defines
 *       an {@code OptInMetrics} bean of its own (that one is used instead).</li>
 *   <li>With Actuator's health API and an {@code OptIn} bean: an {@link OptInHealthIndicator} named {@value
 *       #HEALTH_INDICATOR} (component {@code optin4j}), unless {@code management.health.optin4j.enabled=false} or
 *       the application defines a bean of that name.</li>
 * </ul>
 * Thresholds are {@code optin4j.monitoring.*} ({@link OptInMonitoringProperties}).
 */
@AutoConfiguration(
    after = OptInAutoConfiguration.class,
    afterName = {
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(OptIn.class)
@EnableConfigurationProperties(OptInMonitoringProperties.class)
public class OptInMetricsAutoConfiguration {
  /** The bean name of the health indicator; define a bean of this name to replace it. */
  public static final String HEALTH_INDICATOR = "optin4jHealthIndicator";

  /** Creates the configuration; Spring calls this. */
  public OptInMetricsAutoConfiguration() {}

  /** The meters, with Micrometer. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  @ConditionalOnBean(MeterRegistry.class)
  public static class Meters {
    /** Creates the configuration; Spring calls this. */
    public Meters() {}

    /**
     * The meter binder, which is also the service's metrics.
     *
     * @param optIn the service, looked up when a gauge is read
     * @param settings the outbox count's maximum age
     * @return the binder
     */
    @Bean
    @ConditionalOnMissingBean(OptInMetrics.class)
    public OptInMeterBinder optin4jMeterBinder(
        ObjectProvider<OptIn> optIn, OptInMonitoringProperties settings) {
      return new OptInMeterBinder(
          optIn::getObject, settings.outboxCountMaxAge(), Clock.systemUTC());
    }
  }

  /** The health indicator, with Actuator. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(HealthIndicator.class)
  @ConditionalOnBean(OptIn.class)
  public static class HealthCheck {
    /** Creates the configuration; Spring calls this. */
    public HealthCheck() {}

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
}
