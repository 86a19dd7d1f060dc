package org.optin4j.examples.boot;

import static org.springframework.security.config.Customizer.withDefaults;

import java.security.SecureRandom;
import java.util.Base64;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Spring Security: the home page, the stylesheet and {@code /actuator/health} are public, optin4j's pages are permitted
 * with the README's lines, everything else (the admin page, the mailbox) needs the login of the one user
 * {@code admin}, whose password is {@code bakery.admin-password} or, without it, new at each start and printed.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
  @Bean
  SecurityFilterChain security(HttpSecurity http) throws Exception {
    http.authorizeHttpRequests(
            a ->
                a.requestMatchers("/optin/**")
                    .permitAll()
                    .requestMatchers("/", "/site.css", "/favicon.ico", "/error", "/actuator/health")
                    .permitAll()
                    .anyRequest()
                    .hasRole("ADMIN"))
        // optin4j checks its own CSRF tokens and origins; RFC 8058 one-click POSTs from mailbox
        // providers carry neither a cookie nor a token, so Spring's CSRF filter would answer them
        // 403.
        .csrf(c -> c.ignoringRequestMatchers("/optin/**"))
        // The app's own pages (optin4j's set their own headers): no script, no framing; the
        // mailbox shows mails' text and headers, always encoded.
        .headers(
            h ->
                h.contentSecurityPolicy(
                    c ->
                        c.policyDirectives(
                            "default-src 'none'; style-src 'self'; img-src 'self'; "
                                + "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")))
        .formLogin(withDefaults())
        .logout(withDefaults());
    return http.build();
  }

  @Bean
  AdminAccount adminAccount(@Value("${bakery.admin-password:}") String password) {
    if (!password.isBlank()) {
      return new AdminAccount(password, false);
    }
    byte[] b = new byte[15];
    new SecureRandom().nextBytes(b);
    return new AdminAccount(Base64.getUrlEncoder().withoutPadding().encodeToString(b), true);
  }

  @Bean
  UserDetailsService users(AdminAccount admin) {
    return new InMemoryUserDetailsManager(
        User.withUsername(AdminAccount.USER)
            .password(
                PasswordEncoderFactories.createDelegatingPasswordEncoder().encode(admin.password()))
            .roles("ADMIN")
            .build());
  }

  /**
   * The operator's login.
   *
   * @param password the password
   * @param generated whether it was generated at this start (then it is printed)
   */
  record AdminAccount(String password, boolean generated) {
    static final String USER = "admin";

    @Override
    public String toString() {
      return "AdminAccount[user=" + USER + ", password=(hidden)]";
    }
  }
}
