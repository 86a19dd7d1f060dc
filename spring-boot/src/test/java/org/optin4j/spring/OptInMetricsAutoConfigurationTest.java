package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.spi.OptInMetrics;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When the meters and the health indicator are made, and when they back off. */
class OptInMetricsAutoConfigurationTest {
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  OptInAutoConfiguration.class, OptInMetricsAutoConfiguration.class))
          .withUserConfiguration(OptInAutoConfigurationTest.MailSenderConfig.class)
          .withPropertyValues(OptInAutoConfigurationTest.properties());

  private final WebApplicationContextRunner withMicrometer =
      runner.withConfiguration(
          AutoConfigurations.of(
              MetricsAutoConfiguration.class,
              SimpleMetricsExportAutoConfiguration.class,
              CompositeMeterRegistryAutoConfiguration.class));

  @Configuration(proxyBeanMethods = false)
  static class OwnMetricsConfig {
    @Bean
    OptInMetrics ownMetrics() {
      return new OptInMetrics() {};
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnHealthConfig {
    @Bean(OptInMetricsAutoConfiguration.HEALTH_INDICATOR)
    org.springframework.boot.health.contributor.HealthIndicator ownHealth() {
      return () -> org.springframework.boot.health.contributor.Health.unknown().build();
    }
  }

  @Test
  void withARegistryTheServiceReportsToTheBinder() {
    withMicrometer.run(
        context -> {
          assertThat(context).hasSingleBean(OptInMeterBinder.class);
          OptIn optIn = context.getBean(OptIn.class);
          assertThat(
                  optIn.request(
                      ConsentRequest.of(
                          "ann@example.org", Locale.ENGLISH, new PurposeId("newsletter"))))
              .isInstanceOf(RequestResult.Accepted.class);
          MeterRegistry registry = context.getBean(MeterRegistry.class);
          assertThat(registry.get("optin4j.signups").tags("outcome", "accepted").counter().count())
              .isEqualTo(1);
          assertThat(registry.get("optin4j.outbox.backlog").gauge()).isNotNull();
        });
  }

  @Test
  void withoutARegistryOrWithoutMicrometerThereIsNoBinder() {
    runner.run(context -> assertThat(context).doesNotHaveBean(OptInMeterBinder.class));
    runner
        .withClassLoader(new FilteredClassLoader("io.micrometer"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(OptInMeterBinder.class);
            });
  }

  @Test
  void anApplicationsOwnMetricsWinOverTheBinder() {
    withMicrometer
        .withUserConfiguration(OwnMetricsConfig.class)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(OptInMeterBinder.class);
              assertThat(context).hasSingleBean(OptInMetrics.class);
            });
  }

  @Test
  void theHealthIndicatorReportsTheStoreAndTheOutbox() {
    runner.run(
        context -> {
          OptInHealthIndicator health =
              context.getBean(
                  OptInMetricsAutoConfiguration.HEALTH_INDICATOR, OptInHealthIndicator.class);
          var h = health.health();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails())
              .containsEntry("store", "memory")
              .containsEntry("outboxBacklog", 0L)
              .containsEntry("stuck", false)
              .containsEntry("failing", false);
        });
  }

  @Test
  void theHealthIndicatorBacksOffWhenDisabledOrDefinedByTheApplication() {
    runner
        .withPropertyValues("management.health.optin4j.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(OptInHealthIndicator.class));
    runner
        .withUserConfiguration(OwnHealthConfig.class)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(OptInHealthIndicator.class);
              assertThat(context).hasBean(OptInMetricsAutoConfiguration.HEALTH_INDICATOR);
            });
    runner
        .withClassLoader(
            new FilteredClassLoader(
                org.springframework.boot.health.contributor.HealthIndicator.class))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(OptInHealthIndicator.class);
            });
  }
}
