package org.optin4j.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.jdbc.JdbcConsentStore;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The meters and the health endpoint in a Spring Boot app with Actuator, Spring Security and a JDBC store on H2: a
 * signup shows in {@code optin4j.*} meters once its mail went out through GreenMail, and {@code
 * /actuator/health/optin4j} answers UP with the store's details and no personal data.
 */
@SpringBootTest(
    classes = StarterMetricsHealthH2Test.App.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:startermetrics;DB_CLOSE_DELAY=-1",
      "management.endpoints.web.exposure.include=health,metrics",
      "management.endpoint.health.show-details=always"
    })
class StarterMetricsHealthH2Test {
  @LocalServerPort int port;
  @Autowired OptIn optIn;
  @Autowired MeterRegistry registry;

  /** An app that lets the monitoring endpoints through, as one scraped from inside its network would. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {
    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(
          a ->
              a.requestMatchers("/optin/**", "/actuator/**")
                  .permitAll()
                  .anyRequest()
                  .authenticated());
      return http.build();
    }
  }

  @DynamicPropertySource
  static void mailServer(DynamicPropertyRegistry registry) {
    registry.add("spring.mail.port", () -> AbstractStarterFlowTest.MAIL.getSmtp().getPort());
  }

  @Test
  void aSignupShowsInTheMetersAndTheHealthEndpointSaysUp() throws Exception {
    StarterHttp http = new StarterHttp(port);
    assertThat(
            optIn.request(
                ConsentRequest.of(
                    "ann-metrics@example.org", Locale.ENGLISH, new PurposeId("newsletter"))))
        .isInstanceOf(RequestResult.Accepted.class);
    assertThat(registry.get("optin4j.signups").tags("outcome", "accepted").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("optin4j.mails.queued").tags("kind", "confirmation").counter().count())
        .isEqualTo(1);
    Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
    while (registry.find("optin4j.mails.sent").counter() == null
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
    }
    assertThat(registry.get("optin4j.mails.sent").tags("kind", "confirmation").counter().count())
        .isEqualTo(1);
    assertThat(registry.get("optin4j.mails.dispatch.latency").timer().count()).isEqualTo(1);

    StarterHttp.Response signups = http.get("/actuator/metrics/optin4j.signups");
    assertThat(signups.status()).isEqualTo(200);
    assertThat(signups.body()).contains("\"outcome\"").contains("accepted").doesNotContain("@");

    StarterHttp.Response health = http.get("/actuator/health/optin4j");
    assertThat(health.status()).as(health.body()).isEqualTo(200);
    assertThat(health.body())
        .contains("\"status\":\"UP\"")
        .contains("\"store\":\"jdbc\"")
        .contains("\"dialect\":\"H2\"")
        .contains("\"schemaVersion\":" + JdbcConsentStore.SCHEMA_VERSION)
        .contains("\"stuck\":false")
        .contains("\"failing\":false")
        .doesNotContain("@")
        .doesNotContain("example.org");
  }
}
