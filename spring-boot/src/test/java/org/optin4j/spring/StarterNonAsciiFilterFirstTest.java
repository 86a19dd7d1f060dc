package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.core.Ordered;
import org.springframework.web.filter.CharacterEncodingFilter;

/**
 * Non-ASCII form input with the filter at the highest precedence and no encoding filter in the chain at all (Boot's is
 * switched off), which is where a plain Tomcat WAR without {@code request-character-encoding} stands: the filter's own
 * UTF-8 default is all that decodes the form.
 */
@SpringBootTest(
    classes = StarterApps.FilterFirst.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "spring.datasource.url=jdbc:h2:mem:starter-nonascii-first;DB_CLOSE_DELAY=-1",
      // Boot 4's name, then Boot 3.5's for the same switch (the starter's tests run on both lines).
      "spring.servlet.encoding.enabled=false",
      "server.servlet.encoding.enabled=false"
    })
class StarterNonAsciiFilterFirstTest extends AbstractStarterNonAsciiTest {
  @Autowired ApplicationContext context;

  @Test
  void theFilterRunsFirstAndNoEncodingFilterIsThere() {
    FilterRegistrationBean<?> registration =
        context.getBean(OptInAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class);
    assertEquals(Ordered.HIGHEST_PRECEDENCE, registration.getOrder());
    assertEquals(
        0, context.getBeanNamesForType(CharacterEncodingFilter.class).length, "no encoding filter");
  }
}
