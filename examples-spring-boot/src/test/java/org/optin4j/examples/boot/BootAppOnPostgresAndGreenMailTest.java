package org.optin4j.examples.boot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.tomcat.TomcatWebServer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;

/**
 * Issue 13's first "Done when" line, for Spring Boot 4.0: a Boot app with Spring Security and Actuator that adds the
 * starter and one catalog file (this sample) passes, over real HTTP on embedded Tomcat with PostgreSQL and GreenMail,
 * signup, confirm (the link from the mail), RFC 8058 one-click unsubscribe (no cookie, no CSRF token, 200) and the
 * preference page; then {@code /actuator/health} (status only for visitors, optin4j's component with its details
 * for the admin) and the Micrometer meters ({@code /actuator/metrics/optin4j.*}) show the walk's counts.
 *
 * <p>PostgreSQL at 127.0.0.1:5432, database {@code test}, user {@code postgres} ({@code -Doptin4j.pg.user}), trust
 * authentication; the class works in a schema of its own and drops it. Without the server the class fails; it never
 * skips. GreenMail stands for the app's SMTP server through {@code spring.mail.host} and {@code spring.mail.port},
 * so the sample's built-in capture is off.
 */
class BootAppOnPostgresAndGreenMailTest {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
  private static final String USER = System.getProperty("optin4j.pg.user", "postgres");
  private static final String SCHEMA =
      "optin4j_boot_sample_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  private static final Pattern LINK = Pattern.compile("https?://[^\\s\"<>]+");

  @TempDir static Path temp;
  static GreenMail smtp;
  static RunningBakery app;

  @BeforeAll
  static void start() throws Exception {
    execute("CREATE SCHEMA " + SCHEMA);
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP).dynamicPort());
    smtp.start();
    app =
        RunningBakery.start(
            temp.resolve("data"),
            "--spring.datasource.url=" + URL + "?currentSchema=" + SCHEMA,
            "--spring.datasource.username=" + USER,
            "--spring.mail.host=127.0.0.1",
            "--spring.mail.port=" + smtp.getSmtp().getPort());
  }

  @AfterAll
  static void stop() throws SQLException {
    try {
      if (app != null) {
        app.close();
      }
      if (smtp != null) {
        smtp.stop();
      }
    } finally {
      execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
    }
  }

  @Test
  void runsOnEmbeddedTomcatWithItsTablesInPostgresAndNoBuiltInCapture() throws SQLException {
    WebServerApplicationContext web =
        assertInstanceOf(WebServerApplicationContext.class, app.context());
    assertInstanceOf(TomcatWebServer.class, web.getWebServer());
    assertTrue(app.context().getBeanProvider(GreenMail.class).getIfAvailable() == null);
    try (Connection c = DriverManager.getConnection(URL, USER, "");
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = '"
                    + SCHEMA
                    + "' AND table_name LIKE 'optin4j\\_%'")) {
      assertTrue(rs.next() && rs.getInt(1) > 0, "optin4j's tables in " + SCHEMA);
    }
  }

  @Test
  void signupConfirmOneClickUnsubscribeThenPreferencePage() throws Exception {
    String email = "cas@example.org";
    BakeryFlow.signUpConfirmUnsubscribe(app, new Inbox(), email);
    assertTrue(app.optIn().findSubject(email).isPresent());

    // Issue 13, "Done when": "with /actuator/health and the Micrometer meters showing the counts".
    // A visitor sees only the status; the admin sees optin4j's component and the meters.
    BakeryHttp.Response health = app.visitor().get("/actuator/health");
    assertEquals(200, health.status(), health.body());
    assertTrue(health.body().contains("\"status\":\"UP\""), health.body());
    assertFalse(health.body().contains("components"), "no details for visitors: " + health.body());
    assertNull(health.header("Set-Cookie"));

    BakeryHttp admin = app.admin();
    BakeryHttp.Response optin4j = admin.get("/actuator/health/optin4j");
    assertEquals(200, optin4j.status(), optin4j.body());
    assertTrue(optin4j.body().contains("\"status\":\"UP\""), optin4j.body());
    assertTrue(optin4j.body().contains("\"dialect\":\"POSTGRESQL\""), optin4j.body());
    assertFalse(optin4j.body().contains(email), "no address in the health details");

    assertEquals(1.0, meter(admin, "optin4j.signups"), "one signup");
    assertEquals(1.0, meter(admin, "optin4j.confirmations"), "one purpose confirmed");
    assertEquals(1.0, meter(admin, "optin4j.unsubscribes"), "one unsubscribe");
    assertTrue(meter(admin, "optin4j.mails.sent") >= 1.0, "the confirmation mail at least");
  }

  /** The COUNT of a meter as {@code /actuator/metrics/{name}} gives it (summed over its tags). */
  private static double meter(BakeryHttp admin, String name) {
    BakeryHttp.Response r = admin.get("/actuator/metrics/" + name);
    assertEquals(200, r.status(), name + ": " + r.body());
    Matcher count =
        Pattern.compile("\\{\"statistic\":\"COUNT\",\"value\":([0-9.E+-]+)\\}").matcher(r.body());
    assertTrue(count.find(), name + ": " + r.body());
    return Double.parseDouble(count.group(1));
  }

  private static void execute(String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection(URL, USER, "");
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** Reads the mails on the SMTP server, as the person's mail client would. */
  private static final class Inbox implements BakeryFlow.Mails {
    @Override
    public String link(String to, String kind) throws Exception {
      for (MimeMessage m : newestFirst(to)) {
        Matcher link = LINK.matcher(BakeryPages.text(m));
        while (link.find()) {
          if (link.group().contains("/optin/" + kind + "?")) {
            return link.group();
          }
        }
      }
      throw new AssertionError("no " + kind + " link in the mails to " + to);
    }

    @Override
    public String oneClickUnsubscribe(String to) throws Exception {
      for (MimeMessage m : newestFirst(to)) {
        String header = m.getHeader("List-Unsubscribe", null);
        if (header != null) {
          assertEquals("List-Unsubscribe=One-Click", m.getHeader("List-Unsubscribe-Post", null));
          Matcher link = LINK.matcher(header.replace('>', ' '));
          assertTrue(link.find(), header);
          return link.group();
        }
      }
      throw new AssertionError("no List-Unsubscribe header in the mails to " + to);
    }

    private static List<MimeMessage> newestFirst(String to) throws Exception {
      List<MimeMessage> out = new ArrayList<>();
      for (MimeMessage m : smtp.getReceivedMessages()) {
        if (m.getAllRecipients()[0].toString().equals(to)) {
          out.add(0, m);
        }
      }
      return out;
    }
  }
}
