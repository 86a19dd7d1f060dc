package org.optin4j.spring;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import org.optin4j.OptIn;
import org.optin4j.spi.OptInMetrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * optin4j's meters, when Micrometer is there and the application has a {@code MeterRegistry} bean: an {@link
 * OptInMeterBinder}, which {@link OptInAutoConfiguration} sets as the service's {@link OptInMetrics}. Backs off when
 * the application defines an {@code OptInMetrics} bean of its own (that one is used instead). The same class serves
 * Spring Boot 4 and 3.5 ({@code afterName} names both lines' Micrometer auto-configurations). The health indicator is
 * {@link OptInHealthAutoConfiguration}. Thresholds are {@code optin4j.monitoring.*} ({@link
 * OptInMonitoringProperties}).
 */
@AutoConfiguration(
    after = OptInAutoConfiguration.class,
    afterName = {
      // Spring Boot 4
      "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
      // Spring Boot 3.5
      "org.springframework.boot.actuate.autoconfigure.metrics.MetricsAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.CompositeMeterRegistryAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.metrics.export.simple.SimpleMetricsExportAutoConfiguration"
    })
@ConditionalOnClass(OptIn.class)
@EnableConfigurationProperties(OptInMonitoringProperties.class)
public class OptInMetricsAutoConfiguration {
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
}
