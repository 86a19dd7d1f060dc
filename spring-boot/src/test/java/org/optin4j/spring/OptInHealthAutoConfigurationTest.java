package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * When the health indicator is made, and when it backs off. Written without Actuator's types, which live in other
 * packages in Boot 4 and 3.5: the Boot 3.5 starter compiles and runs this class again against its own twin of {@link
 * OptInHealthAutoConfiguration}.
 */
class OptInHealthAutoConfigurationTest {
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  OptInAutoConfiguration.class, OptInHealthAutoConfiguration.class))
          .withUserConfiguration(OptInAutoConfigurationTest.MailSenderConfig.class)
          .withPropertyValues(OptInAutoConfigurationTest.properties());

  @Configuration(proxyBeanMethods = false)
  static class OwnHealthConfig {
    /** Any bean of the indicator's name replaces it, whatever its type. */
    @Bean(OptInHealthAutoConfiguration.HEALTH_INDICATOR)
    Object ownHealth() {
      return new Object();
    }
  }

  @Test
  void theHealthIndicatorReportsTheStoreAndTheOutbox() {
    runner.run(
        context -> {
          OptInHealthIndicator indicator =
              context.getBean(
                  OptInHealthAutoConfiguration.HEALTH_INDICATOR, OptInHealthIndicator.class);
          var health = indicator.health();
          assertThat(health.getStatus().getCode()).isEqualTo("UP");
          assertThat(health.getDetails())
              .containsEntry("store", "memory")
              .containsEntry("outboxBacklog", 0L)
              .containsEntry("stuck", false)
              .containsEntry("failing", false);
        });
  }

  @Test
  void theHealthIndicatorBacksOffWhenDisabledDefinedByTheApplicationOrWithoutActuator() {
    runner
        .withPropertyValues("management.health.optin4j.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(OptInHealthIndicator.class));
    runner
        .withUserConfiguration(OwnHealthConfig.class)
        .run(
            context -> {
              assertThat(context).doesNotHaveBean(OptInHealthIndicator.class);
              assertThat(context).hasBean(OptInHealthAutoConfiguration.HEALTH_INDICATOR);
            });
    runner
        .withClassLoader(
            new FilteredClassLoader(
                "org.springframework.boot.health", "org.springframework.boot.actuate.health"))
        .run(
            context -> {
              assertThat(context).hasNotFailed();
              assertThat(context).doesNotHaveBean(OptInHealthIndicator.class);
            });
  }
}
