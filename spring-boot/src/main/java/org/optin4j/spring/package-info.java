/**
 * Spring Boot auto-configuration of optin4j: {@link org.optin4j.spring.OptInAutoConfiguration} builds, starts and
 * closes an {@link org.optin4j.OptIn} from {@code optin4j.*} properties, on the application's {@code DataSource} and
 * {@code JavaMailSender}, and registers the {@link org.optin4j.servlet.OptInFilter} ahead of Spring Security. Every
 * bean backs off when the application defines its own. Spring types stay in this package.
 */
package org.optin4j.spring;
