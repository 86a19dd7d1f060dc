package org.optin4j.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.ApplicationContext;
import org.springframework.web.filter.CharacterEncodingFilter;

/** Non-ASCII form input with the filter at the starter's default order, after Boot's own encoding filter. */
@SpringBootTest(
    classes = StarterApps.DefaultSecurity.class,
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = "spring.datasource.url=jdbc:h2:mem:starter-nonascii-default;DB_CLOSE_DELAY=-1")
class StarterNonAsciiDefaultOrderTest extends AbstractStarterNonAsciiTest {
  @Autowired ApplicationContext context;

  @Test
  void theFilterRunsAtItsDefaultOrderAfterBootsEncodingFilter() {
    FilterRegistrationBean<?> registration =
        context.getBean(OptInAutoConfiguration.FILTER_REGISTRATION, FilterRegistrationBean.class);
    assertEquals(OptInAutoConfiguration.FILTER_ORDER, registration.getOrder());
    assertTrue(
        context.getBeanNamesForType(CharacterEncodingFilter.class).length > 0,
        "Boot's encoding filter is on");
  }
}
