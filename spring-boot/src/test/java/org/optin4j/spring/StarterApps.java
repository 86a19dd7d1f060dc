package org.optin4j.spring;

import static org.springframework.security.config.Customizer.withDefaults;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.Ordered;
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
      http.authorizeHttpRequests(
              a -> a.requestMatchers("/optin/**").permitAll().anyRequest().authenticated())
          .csrf(c -> c.ignoringRequestMatchers("/optin/**"))
          .formLogin(withDefaults());
      return http.build();
    }
  }

  /** Boot's default security, with the optin4j filter moved to the highest precedence, ahead of every other filter. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class FilterFirst {
    @Bean
    static BeanPostProcessor optin4jFilterFirst() {
      return new BeanPostProcessor() {
        @Override
        public Object postProcessAfterInitialization(Object bean, String name) {
          if (OptInAutoConfiguration.FILTER_REGISTRATION.equals(name)
              && bean instanceof FilterRegistrationBean<?> r) {
            r.setOrder(Ordered.HIGHEST_PRECEDENCE);
          }
          return bean;
        }
      };
    }
  }
}
