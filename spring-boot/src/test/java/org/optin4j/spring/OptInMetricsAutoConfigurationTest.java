package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.spi.OptInMetrics;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** When the meters are made, and when they back off (on Boot 4 and, compiled again by the 3.5 starter, 3.5). */
class OptInMetricsAutoConfigurationTest {
  private final WebApplicationContextRunner runner =
      new WebApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  OptInAutoConfiguration.class, OptInMetricsAutoConfiguration.class))
          .withUserConfiguration(OptInAutoConfigurationTest.MailSenderConfig.class)
          .withPropertyValues(OptInAutoConfigurationTest.properties());

  private final WebApplicationContextRunner withMicrometer =
      runner.withConfiguration(AutoConfigurations.of(micrometerAutoConfigurations()));

  /**
   * Boot's own Micrometer auto-configurations, which make the {@code MeterRegistry}: their package differs between
   * Boot 4 and 3.5, and this test runs on both.
   */
  private static Class<?>[] micrometerAutoConfigurations() {
    String boot4 = "org.springframework.boot.micrometer.metrics.autoconfigure.";
    String boot35 = "org.springframework.boot.actuate.autoconfigure.metrics.";
    String base = present(boot4 + "MetricsAutoConfiguration") ? boot4 : boot35;
    return Stream.of(
            "MetricsAutoConfiguration",
            "export.simple.SimpleMetricsExportAutoConfiguration",
            "CompositeMeterRegistryAutoConfiguration")
        .map(name -> load(base + name))
        .toArray(Class<?>[]::new);
  }

  private static boolean present(String className) {
    try {
      Class.forName(className);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static Class<?> load(String className) {
    try {
      return Class.forName(className);
    } catch (ClassNotFoundException e) {
      throw new AssertionError(className, e);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class OwnMetricsConfig {
    @Bean
    OptInMetrics ownMetrics() {
      return new OptInMetrics() {};
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
}
