package org.optin4j.examples.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The bakery "De Gouden Korst" as a Spring Boot 4.0 app: the optin4j starter with one catalog file
 * ({@code optin4j-purposes.json}), Spring Security (a login-protected admin page, optin4j's pages permitted with the
 * README's {@code SecurityFilterChain} lines) and Actuator.
 *
 * <pre>{@code
 * ./mvnw -pl examples-spring-boot -am spring-boot:run      # from the repository root
 * }</pre>
 *
 * <p>Everything is embedded and needs no setup: an H2 database file and the keys in {@code data/spring-boot}
 * ({@link DataDirectory}), and a built-in SMTP capture whose mail is readable at {@code /dev/mailbox}
 * ({@link MailCaptureConfiguration}). {@code spring.datasource.*} and {@code spring.mail.*} replace them, as in any
 * Spring Boot app.
 */
@SpringBootApplication
public class BakeryApplication {
  /** Created by Spring. */
  public BakeryApplication() {}

  /**
   * Runs the app until Ctrl-C.
   *
   * @param args Spring Boot arguments, for example {@code --server.port=8081}
   */
  public static void main(String[] args) {
    run(args);
  }

  /**
   * Starts the app as {@link #main} does; the tests call this.
   *
   * @param args Spring Boot arguments
   * @return the running app; closing it stops the server, then optin4j (unsent mail stays in the outbox), then the
   *     database and the SMTP capture
   */
  public static ConfigurableApplicationContext run(String... args) {
    SpringApplication app = new SpringApplication(BakeryApplication.class);
    // Before any bean exists: the key files that optin4j.*.file name must be there when the
    // starter reads them.
    app.addInitializers(new DataDirectory());
    return app.run(args);
  }
}
