package org.optin4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The environment variables: defaults, and a message naming the variable for every invalid value. */
class SettingsTest {
  private static final Path CWD = Path.of("/srv/bakery");

  private static List<String> problems(Map<String, String> env) {
    return assertThrows(
            Settings.InvalidSettingsException.class, () -> Settings.fromEnvironment(env, CWD))
        .problems();
  }

  private static void assertProblem(Map<String, String> env, String variable) {
    List<String> problems = problems(env);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith(variable + ": ")), problems.toString());
  }

  @Test
  void fromEnvironmentWhenEmptyThenDefaults() {
    Settings s = Settings.fromEnvironment(Map.of("HOME", "/root", "PATH", "/bin"), CWD);
    assertEquals(8080, s.port());
    assertEquals("127.0.0.1", s.bindAddress());
    assertEquals("http://localhost:8080", s.siteUrl(8080));
    assertEquals(Path.of("/srv/bakery/data"), s.dataDir());
    assertNull(s.smtp());
    assertNull(s.jdbc());
    assertNull(s.adminPassword());
  }

  @Test
  void fromEnvironmentWhenAllSetThenRead() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "PORT",
                "9090",
                "OPTIN4J_BASE_URL",
                "https://bakery.example/",
                "OPTIN4J_DATA_DIR",
                "/var/lib/bakery",
                "OPTIN4J_SMTP_HOST",
                "smtp.example.org",
                "OPTIN4J_SMTP_PORT",
                "2587",
                "OPTIN4J_JDBC_URL",
                "jdbc:postgresql://db/bakery",
                "OPTIN4J_JDBC_USER",
                "bakery",
                "OPTIN4J_JDBC_PASSWORD",
                "s3cret",
                "OPTIN4J_ADMIN_PASSWORD",
                "a-long-password"),
            CWD);
    assertEquals(9090, s.port());
    assertEquals("https://bakery.example", s.siteUrl(9090));
    assertEquals(Path.of("/var/lib/bakery"), s.dataDir());
    assertEquals(new Settings.Smtp("smtp.example.org", 2587, "starttls", null, null), s.smtp());
    assertEquals(new Settings.Jdbc("jdbc:postgresql://db/bakery", "bakery", "s3cret"), s.jdbc());
    assertTrue(
        !s.toString().contains("s3cret") && !s.toString().contains("a-long-password"),
        "no secrets in toString");
  }

  @Test
  void fromEnvironmentWhenNonLoopbackBindWithBuiltInCaptureThenRefusedNamingTheFix() {
    List<String> problems =
        problems(
            Map.of(
                "OPTIN4J_BIND_ADDRESS", "0.0.0.0", "OPTIN4J_BASE_URL", "https://bakery.example"));

    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).startsWith("OPTIN4J_BIND_ADDRESS: 0.0.0.0 is reachable from the network"),
        problems.get(0));
    assertTrue(
        problems.get(0).contains("/dev/mailbox")
            && problems.get(0).contains("set OPTIN4J_SMTP_HOST")
            && problems.get(0).contains("bind to 127.0.0.1"),
        problems.get(0));
  }

  @Test
  void fromEnvironmentWhenNonLoopbackBindWithoutHttpsBaseUrlThenRefusedNamingTheFix() {
    for (Map<String, String> env :
        List.of(
            Map.of("OPTIN4J_BIND_ADDRESS", "::", "OPTIN4J_SMTP_HOST", "smtp.example.org"),
            Map.of(
                "OPTIN4J_BIND_ADDRESS",
                "10.0.0.5",
                "OPTIN4J_SMTP_HOST",
                "smtp.example.org",
                "OPTIN4J_BASE_URL",
                "http://localhost:8080"))) {
      List<String> problems = problems(env);
      assertTrue(
          problems.stream()
              .anyMatch(
                  p ->
                      p.startsWith("OPTIN4J_BASE_URL: must be the site's public https URL")
                          && p.contains(
                              "OPTIN4J_BIND_ADDRESS is "
                                  + env.get("OPTIN4J_BIND_ADDRESS")
                                  + ", not loopback")),
          problems.toString());
    }
  }

  @Test
  void fromEnvironmentWhenNonLoopbackBindWithRealSmtpAndHttpsBaseUrlThenAccepted() {
    Settings s =
        Settings.fromEnvironment(
            Map.of(
                "OPTIN4J_BIND_ADDRESS",
                "0.0.0.0",
                "OPTIN4J_SMTP_HOST",
                "smtp.example.org",
                "OPTIN4J_BASE_URL",
                "https://bakery.example"),
            CWD);

    assertEquals("0.0.0.0", s.bindAddress());
  }

  @Test
  void fromEnvironmentWhenLoopbackBindThenBuiltInCaptureAndPlainHttpAllowed() {
    for (String loopback : List.of("127.0.0.1", "127.0.0.2", "localhost", "LocalHost", "::1")) {
      Settings s = Settings.fromEnvironment(Map.of("OPTIN4J_BIND_ADDRESS", loopback), CWD);
      assertNull(s.smtp(), loopback);
    }
  }

  @Test
  void constructorWhenDoorsOpenThenRefusedSoSampleAppNeverStarts() {
    Settings.InvalidSettingsException e =
        assertThrows(
            Settings.InvalidSettingsException.class,
            () -> new Settings(0, "0.0.0.0", null, CWD, null, null, "a-long-password"));

    assertEquals(2, e.problems().size(), e.problems().toString());
    assertTrue(e.problems().get(0).startsWith("OPTIN4J_BIND_ADDRESS: "), e.problems().toString());
    assertTrue(e.problems().get(1).startsWith("OPTIN4J_BASE_URL: "), e.problems().toString());
  }

  @Test
  void fromEnvironmentWhenSmtpHostOnlyThenLoopbackPlainElseStarttls() {
    assertEquals(
        new Settings.Smtp("localhost", 25, "none", null, null),
        Settings.fromEnvironment(Map.of("OPTIN4J_SMTP_HOST", "localhost"), CWD).smtp());
    assertEquals(
        new Settings.Smtp("mail.example", 587, "starttls", null, null),
        Settings.fromEnvironment(Map.of("OPTIN4J_SMTP_HOST", "mail.example"), CWD).smtp());
  }

  @Test
  void fromEnvironmentWhenPortInvalidThenNamesPort() {
    assertProblem(Map.of("PORT", "eighty"), "PORT");
    assertProblem(Map.of("PORT", "70000"), "PORT");
    assertProblem(Map.of("PORT", "-1"), "PORT");
  }

  @Test
  void fromEnvironmentWhenBaseUrlInvalidThenNamesIt() {
    assertProblem(Map.of("OPTIN4J_BASE_URL", "bakery.example"), "OPTIN4J_BASE_URL");
    assertProblem(Map.of("OPTIN4J_BASE_URL", "http://bakery.example"), "OPTIN4J_BASE_URL");
    assertProblem(Map.of("OPTIN4J_BASE_URL", "https://bakery.example/shop"), "OPTIN4J_BASE_URL");
    assertProblem(Map.of("OPTIN4J_BASE_URL", "https://bakery.example?x=1"), "OPTIN4J_BASE_URL");
    assertProblem(Map.of("OPTIN4J_BASE_URL", "ht tp://x"), "OPTIN4J_BASE_URL");
  }

  @Test
  void fromEnvironmentWhenSmtpInvalidThenNamesIt() {
    assertProblem(Map.of("OPTIN4J_SMTP_PORT", "25"), "OPTIN4J_SMTP_PORT");
    assertProblem(
        Map.of("OPTIN4J_SMTP_HOST", "smtp.example", "OPTIN4J_SMTP_PORT", "0"), "OPTIN4J_SMTP_PORT");
    assertProblem(Map.of("OPTIN4J_SMTP_HOST", "bad host\r\n"), "OPTIN4J_SMTP_HOST");
    assertProblem(
        Map.of("OPTIN4J_SMTP_HOST", "smtp.example", "OPTIN4J_SMTP_SECURITY", "ssl"),
        "OPTIN4J_SMTP_SECURITY");
    assertProblem(
        Map.of(
            "OPTIN4J_SMTP_HOST",
            "localhost",
            "OPTIN4J_SMTP_USERNAME",
            "u",
            "OPTIN4J_SMTP_PASSWORD",
            "p"),
        "OPTIN4J_SMTP_SECURITY");
    assertProblem(
        Map.of("OPTIN4J_SMTP_HOST", "smtp.example", "OPTIN4J_SMTP_USERNAME", "u"),
        "OPTIN4J_SMTP_PASSWORD");
  }

  @Test
  void fromEnvironmentWhenJdbcInvalidThenNamesIt() {
    assertProblem(Map.of("OPTIN4J_JDBC_URL", "jdbc:oracle:thin:@db"), "OPTIN4J_JDBC_URL");
    assertProblem(Map.of("OPTIN4J_JDBC_USER", "bakery"), "OPTIN4J_JDBC_USER");
    assertProblem(Map.of("OPTIN4J_JDBC_PASSWORD", "x"), "OPTIN4J_JDBC_PASSWORD");
  }

  @Test
  void fromEnvironmentWhenAdminPasswordShortThenNamesIt() {
    List<String> problems = problems(Map.of("OPTIN4J_ADMIN_PASSWORD", "secret"));
    assertEquals(
        List.of("OPTIN4J_ADMIN_PASSWORD: must have at least 12 characters, had 6"), problems);
  }

  @Test
  void fromEnvironmentWhenUnknownOptin4jVariableThenNamesIt() {
    assertProblem(Map.of("OPTIN4J_SMTP_HOTS", "smtp.example"), "OPTIN4J_SMTP_HOTS");
  }

  @Test
  void fromEnvironmentWhenSeveralInvalidThenAllReported() {
    List<String> problems =
        problems(Map.of("PORT", "x", "OPTIN4J_BASE_URL", "ftp://x", "OPTIN4J_JDBC_USER", "u"));
    assertEquals(3, problems.size(), problems.toString());
  }

  @Test
  void startWhenDatabaseUnreachableThenNamesJdbcUrl(@org.junit.jupiter.api.io.TempDir Path dir) {
    Settings s =
        new Settings(
            0,
            "127.0.0.1",
            null,
            dir,
            null,
            new Settings.Jdbc("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2", "x", null),
            "a-long-password");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> SampleApp.start(s));
    assertTrue(e.getMessage().startsWith("OPTIN4J_JDBC_URL: "), e.getMessage());
  }
}
