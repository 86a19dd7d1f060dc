package org.optin4j.examples.boot;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.optin4j.OptIn;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sample app started in-process by {@link BakeryApplication#run}, the path {@code spring-boot:run} takes, on a
 * free port of its own (the links in its mails then carry the real port), with a known admin password.
 */
final class RunningBakery implements AutoCloseable {
  static final String ADMIN_PASSWORD = "bread-of-the-month-2026";

  private final ConfigurableApplicationContext context;
  private final String site;

  private RunningBakery(ConfigurableApplicationContext context, String site) {
    this.context = context;
    this.site = site;
  }

  /**
   * Starts the app on a free port.
   *
   * @param dataDir the data folder
   * @param args further Spring Boot arguments, for example {@code --spring.datasource.url=...}
   */
  static RunningBakery start(Path dataDir, String... args) throws IOException {
    return start(dataDir, BakeryHttp.freePort(), args);
  }

  /**
   * Starts the app on a given port: a restart must keep it, since the base URL (with its port) is the issuer of the
   * links already mailed.
   */
  static RunningBakery start(Path dataDir, int port, String... args) {
    List<String> all = new ArrayList<>();
    all.add("--server.port=" + port);
    all.add("--bakery.data-dir=" + dataDir);
    all.add("--bakery.admin-password=" + ADMIN_PASSWORD);
    all.addAll(List.of(args));
    return new RunningBakery(
        BakeryApplication.run(all.toArray(String[]::new)), "http://localhost:" + port);
  }

  String site() {
    return site;
  }

  ConfigurableApplicationContext context() {
    return context;
  }

  OptIn optIn() {
    return context.getBean(OptIn.class);
  }

  /** A client without cookies: a visitor, a link opened from a mail, a mailbox provider. */
  BakeryHttp visitor() {
    return BakeryHttp.visitor(site);
  }

  /** A client that keeps its cookies, signed in as the admin. */
  BakeryHttp admin() {
    BakeryHttp admin = BakeryHttp.browser(site);
    BakeryHttp.Response login = admin.logIn("admin", ADMIN_PASSWORD);
    if (login.status() != 302 || login.header("Location").contains("error")) {
      throw new AssertionError("admin login failed: " + login.status() + " " + login.headers());
    }
    return admin;
  }

  @Override
  public void close() {
    context.close();
  }
}
