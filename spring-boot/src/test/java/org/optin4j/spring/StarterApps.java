package org.optin4j.spring;

import static org.springframework.security.config.Customizer.withDefaults;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/** The Spring Boot apps the starter's tests run: nothing but the starter, a catalog and Spring Security. */
final class StarterApps {
  private StarterApps() {}

  /** Spring Boot's default security: every request authenticated, CSRF on; no line about optin4j at all. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class DefaultSecurity {}

  /** The {@code SecurityFilterChain} lines the README documents. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class DocumentedSecurity {
    @Bean
    SecurityFilterChain security(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(a -> a.requestMatchers("/optin/**").permitAll().anyRequest().authenticated())
          .csrf(c -> c.ignoringRequestMatchers("/optin/**"))
          .formLogin(withDefaults());
      return http.build();
    }
  }
}
