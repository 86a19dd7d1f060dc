package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.optin4j.ConfigurationException;
import org.optin4j.ConsentRequest;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.testing.RecordingMailer;

/** The declarative configuration's keys, one by one: each problem names its key, all at once. */
class OptInConfigTest {
  @TempDir Path dir;

  /** A complete, valid configuration on an in-memory store; tests change one key at a time. */
  private Map<String, String> valid() throws Exception {
    Path key = Files.createTempFile(dir, "key", ".txt"); // created owner-only
    Files.writeString(key, Base64.getEncoder().encodeToString(AbstractHostedFlowIT.randomKey()));
    Path catalog = dir.resolve("purposes.json");
    Files.writeString(
        catalog,
        "{\"locales\":[\"en\"],\"purposes\":[{\"id\":\"news\",\"retention\":\"until-withdrawn\","
            + "\"proofRetention\":\"P3Y\",\"recipients\":[],\"automatedDecisions\":\"none\",\"texts\":{\"en\":{\"title\":\"News\",\"description\":\"Our news.\","
            + "\"data\":\"Your email address\"}}}]}");
    Map<String, String> m = new HashMap<>();
    m.put("baseUrl", "https://shop.example/optin");
    m.put("catalog", "file:" + catalog);
    m.put("controller.name", "Shop");
    m.put("controller.address", "Main St 1");
    m.put("controller.email", "privacy@shop.example");
    m.put("controller.supervisoryAuthority.name", "Autoriteit Persoonsgegevens");
    m.put("controller.supervisoryAuthority.url", "https://autoriteitpersoonsgegevens.nl");
    m.put("smtp.host", "127.0.0.1");
    m.put("smtp.from", "noreply@shop.example");
    m.put("signing.key.file", key.toString());
    m.put("suppressionPepper.file", key.toString());
    m.put("store", "memory");
    m.put("forTestsOrDemos", "true");
    return m;
  }

  private static List<String> problems(Map<String, String> m) {
    return assertThrows(ConfigurationException.class, () -> OptInConfig.fromMap(m).optInBuilder())
        .problems();
  }

  private static void assertProblem(Map<String, String> m, String expected) {
    assertStartsWith(problems(m), expected);
  }

  /** Each expected text begins one of the problems. */
  private static void assertStartsWith(List<String> problems, String... expected) {
    for (String e : expected) {
      assertTrue(problems.stream().anyMatch(p -> p.startsWith(e)), e + " not in " + problems);
    }
  }

  /** The expected problems are named, and the secret appears in none of them. */
  private static void assertNamedNotShown(
      Map<String, String> m, String secret, String... expected) {
    List<String> problems = problems(m);
    assertStartsWith(problems, expected);
    assertFalse(problems.toString().contains(secret), problems.toString());
  }

  private String h2Url(String name) {
    return "jdbc:h2:file:" + dir.resolve(name) + ";TRACE_LEVEL_FILE=0";
  }

  @Test
  void validMapBuildsOptInAndFilter() throws Exception {
    OptInConfig config = OptInConfig.fromMap(valid());
    try (OptIn optIn = config.optInBuilder().build()) {
      assertEquals("/optin", config.filterBuilder(optIn).settings().prefix());
    }
  }

  @Test
  void bounceKeysGiveEveryMailItsVerpEnvelopeSender() throws Exception {
    Map<String, String> m = valid();
    m.put("bounces.local-part", "bounces");
    m.put("bounces.domain", "bounces.shop.example");
    RecordingMailer mailer = new RecordingMailer();
    try (OptIn optIn = OptInConfig.fromMap(m).optInBuilder().mailer(mailer).build()) {
      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, PurposeId.of("news")));
      optIn.operations().dispatchNow();
      String verp = mailer.last().returnPath().value();
      assertTrue(verp.matches("bounces\\+[^@]+@bounces\\.shop\\.example"), verp);
    }
    m.put("bounces.local-part", "Bounces!");
    assertProblem(m, "bounces.*: ");
  }

  @Test
  void jsonApiKeysSwitchItOnWithOriginsAndAKeyInEitherSpelling() throws Exception {
    String apiKey = "feed-reader-key-0123456789abcdefghijklmnopqrstuv";
    for (boolean kebab : new boolean[] {false, true}) {
      Map<String, String> m = valid();
      m.put("api.enabled", "true");
      m.put(kebab ? "api.allowed-origins" : "api.allowedOrigins", "https://front.example");
      m.put("api.key.value", apiKey);
      OptInConfig config = OptInConfig.fromMap(m);
      try (OptIn optIn = config.optInBuilder().build()) {
        OptInFilter.Settings s = config.filterBuilder(optIn).settings();
        assertTrue(s.api());
        assertTrue(s.apiAllowedOrigins().contains("https://front.example"));
        assertEquals(1, s.apiKeys().size());
      }
    }
    OptInConfig off = OptInConfig.fromMap(valid());
    try (OptIn optIn = off.optInBuilder().build()) {
      assertFalse(off.filterBuilder(optIn).settings().api(), "off unless switched on");
    }
  }

  @Test
  void jsonApiKeysWhenInvalidAreNamedAndTheKeyIsNotShown() throws Exception {
    Map<String, String> m = valid();
    m.put("api.enabled", "yes");
    assertProblem(m, "api.enabled: ");
    m.put("api.enabled", "true");
    m.put("api.allowedOrigins", "https://front.example/path");
    m.put("api.key.value", "short-secret");
    OptInConfig config = OptInConfig.fromMap(m);
    try (OptIn optIn = config.optInBuilder().build()) {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> config.filterBuilder(optIn).settings());
      assertStartsWith(e.problems(), "apiAllowedOrigins: ", "apiKeys: ");
      assertFalse(e.getMessage().contains("short-secret"), e.getMessage());
    }
  }

  @Test
  void starterKebabCaseSpellingReadsAsTheSameKeys() throws Exception {
    Map<String, String> m = valid();
    m.remove("forTestsOrDemos");
    m.put("for-tests-or-demos", "true");
    m.put("suppression-pepper.file", m.remove("suppressionPepper.file"));
    m.put("controller.privacy-policy-url", "https://shop.example/privacy");
    OptInConfig config = OptInConfig.fromMap(m);
    try (OptIn optIn = config.optInBuilder().build()) {
      assertEquals("/optin", config.filterBuilder(optIn).settings().prefix());
    }

    m.put("forTestsOrDemos", "true");
    assertProblem(m, "forTestsOrDemos: set twice, also as for-tests-or-demos");
    m.remove("forTestsOrDemos");
    m.put("no-such-key", "x");
    assertProblem(m, "no-such-key: unknown key");
  }

  @Test
  void memoryStoreWithoutForTestsOrDemosIsRefusedSayingWhyAndWhatToSet() throws Exception {
    Map<String, String> m = valid();
    m.remove("forTestsOrDemos");
    List<String> problems = problems(m);
    assertEquals(1, problems.size(), problems.toString());
    String p = problems.get(0);
    assertTrue(p.startsWith("store=memory: "), p);
    assertTrue(p.contains("loses every proof of consent"), p);
    assertTrue(p.contains("at the next restart"), p);
    assertTrue(p.contains("forTestsOrDemos=true"), p);
    assertTrue(p.contains("store.jndi"), p);

    m.put("forTestsOrDemos", "false");
    assertProblem(m, "store=memory: ");
    m.put("forTestsOrDemos", "yes");
    assertEquals(List.of("forTestsOrDemos: invalid value (must be true or false)"), problems(m));
  }

  @Test
  void storeKeysEachNamedWhenInvalid() throws Exception {
    Map<String, String> m = valid();
    m.put("store", "nosql");
    assertProblem(m, "store: must be jdbc or memory, was nosql");

    m.put("store", "memory");
    m.put("store.url", h2Url("unused"));
    m.put("jdbc.tablePrefix", "shop_");
    assertProblem(m, "store.url: only with store=jdbc");
    assertProblem(m, "jdbc.tablePrefix: only with store=jdbc");

    m = valid();
    m.remove("store");
    m.remove("forTestsOrDemos");
    assertProblem(m, "store.jndi or store.url: required with store=jdbc (the default)");

    m.put("store.jndi", "java:comp/env/jdbc/optin4j");
    m.put("store.url", h2Url("unused"));
    assertProblem(m, "store.jndi and store.url: set only one");

    m.remove("store.url");
    m.put("store.username", "shop");
    m.put("store.password.env", "OPTIN4J_TEST_SURELY_UNSET_VARIABLE");
    assertStartsWith(
        problems(m),
        "store.username: only with store.url",
        "store.password.env: only with store.url",
        "store.jndi: JNDI name java:comp/env/jdbc/optin4j: cannot be looked up");
  }

  @Test
  void storeUrlKeysEachNamedWhenInvalidAndNoPasswordShown() throws Exception {
    Map<String, String> m = valid();
    m.remove("store");
    m.put("store.url", "jdbc:nosuchdb://db.example/shop?password=hunter2");
    m.put("store.password.env", "OPTIN4J_TEST_SURELY_UNSET_VARIABLE");
    m.put("store.dialect", "oracle");
    m.put("jdbc.createSchema", "yes");
    assertNamedNotShown(
        m,
        "hunter2",
        "store.url: JDBC URL jdbc:nosuchdb://db.example/shop?password=***: no JDBC driver",
        "store.password.env: environment variable OPTIN4J_TEST_SURELY_UNSET_VARIABLE is not set",
        "store.dialect: invalid value (must be H2, POSTGRESQL or MARIADB, was oracle)",
        "jdbc.createSchema: invalid value (must be true or false)");

    m.put("store.url", h2Url("prefix"));
    m.remove("store.password.env");
    m.remove("store.dialect");
    m.remove("jdbc.createSchema");
    m.put("jdbc.tablePrefix", "Shop-");
    assertEquals(
        List.of(
            "jdbc.tablePrefix: invalid value (table prefix must match [a-z][a-z0-9_]{0,29}, was"
                + " \"Shop-\")"),
        problems(m));
  }

  @Test
  void noConnectionIsOpenedWhileAnyKeyIsInvalid() throws Exception {
    Map<String, String> m = valid();
    m.remove("store");
    m.put("store.url", h2Url("untouched"));
    m.put("jdbc.createSchema", "true");
    m.put("smtp.hots", "typo");
    assertEquals(List.of("smtp.hots: unknown key"), problems(m));
    assertFalse(Files.exists(dir.resolve("untouched.mv.db")), "a connection was opened");
  }

  @Test
  void missingSchemaNamesTheStoreKeyAndCreateSchema() throws Exception {
    Map<String, String> m = valid();
    m.remove("store");
    m.put("store.url", h2Url("empty"));
    List<String> problems = problems(m);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).startsWith("store.url: cannot use the database: "), problems.toString());
    assertTrue(
        problems.get(0).endsWith("(jdbc.createSchema=true creates a missing schema)"),
        problems.toString());
  }

  @Test
  void jdbcStoreByUrlCreatesTheSchemaOnceAndFindsItAgain() throws Exception {
    Map<String, String> m = valid();
    m.remove("store");
    m.remove("forTestsOrDemos");
    m.put("store.url", h2Url("kept"));
    m.put("store.username", "sa");
    m.put("store.dialect", "h2");
    m.put("jdbc.tablePrefix", "shop_");
    m.put("jdbc.createSchema", "true");
    OptInConfig.fromMap(m).optInBuilder().build().close();
    m.remove("jdbc.createSchema");
    try (OptIn again = OptInConfig.fromMap(m).optInBuilder().build()) {
      assertTrue(again.findSubject("nobody@example.org").isEmpty());
    }
  }

  @Test
  void filterKeysAreCheckedWithTheOthersAndNamedByTheFilterBuilder() throws Exception {
    Map<String, String> m = valid();
    m.put("rateLimit.slots", "lots");
    m.put("formKey.env", "OPTIN4J_TEST_SURELY_UNSET_VARIABLE");
    m.put("controller.email", "");
    assertStartsWith(
        problems(m),
        "rateLimit.slots: invalid value",
        "formKey.env: ",
        "controller.email: required");

    m = valid();
    m.put("prefix", "optin/");
    OptInConfig config = OptInConfig.fromMap(m);
    try (OptIn optIn = config.optInBuilder().build()) {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> config.filterBuilder(optIn).build());
      assertTrue(e.getMessage().contains("prefix must be a path"), e.getMessage());
    }
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "baseUrl|''|baseUrl: required",
        "catalog|file:/no/such/purposes.txt|catalog: invalid value (must name a .json or .properties file)",
        "catalog|file:/no/such/purposes.json|catalog: invalid value (file:/no/such/purposes.json not found)",
        "controller.name|''|controller.name: required",
        "controller.address|''|controller.address: required",
        "smtp.host|''|smtp.host: required",
        "smtp.from|''|smtp.from: required",
        "smtp.port|twenty-five|smtp.port: invalid value",
        "smtp.security|TLS|smtp.security: invalid value",
        "smtp.smtputf8|yes|smtp.smtputf8: invalid value (must be true or false)",
        "smtp.password.env|OPTIN4J_TEST_SURELY_UNSET_VARIABLE|smtp.password.env: environment variable",
        "signing.key.file|/no/such/key|signing.key.file: ",
        "signing.previous.k0.env|OPTIN4J_TEST_SURELY_UNSET_VARIABLE|signing.previous.k0.env: ",
        "suppressionPepper.file|/no/such/pepper|suppressionPepper.file: ",
        "receiptKeys.jwk.env|OPTIN4J_TEST_SURELY_UNSET_VARIABLE|receiptKeys.jwk.env: ",
        "confirmationTtl|2 days|confirmationTtl: invalid value (expected an ISO-8601 duration",
        "preferencesTtl|P1X|preferencesTtl: invalid value (expected an ISO-8601 duration",
        "unsubscribeTtl|forever|unsubscribeTtl: invalid value (expected an ISO-8601 duration",
        "evidencePolicy|ALL|evidencePolicy: invalid value",
        "mailCap.perDay|three|mailCap.perDay: invalid value",
        "mailCap.minInterval|2m|mailCap.minInterval: invalid value",
        "sending.perSecond|fast|sending.perSecond: invalid value",
        "sending.connections|0|sending.*: sending rate connections must be 1 to 64, was 0",
        "sending.perHour|-1|sending.*: sending rate perHour must be 0 (no cap) or more, was -1",
        "bounces.localPart|bounces|bounces.localPart and bounces.domain: set both or neither",
        "bounces.domain|bounces.bakery.example|bounces.localPart and bounces.domain: set both or neither",
        "formTokenTtl|1d|formTokenTtl: invalid value",
        "rateLimit.perIp|30|rateLimit.perIp: invalid value (expected max/window such as 30/PT10M",
        "rateLimit.perAddress|x/PT1H|rateLimit.perAddress: invalid value",
        "rateLimit.slots|many|rateLimit.slots: invalid value",
        "formKey.file|/no/such/form.key|formKey.file: ",
        "store|sql|store: must be jdbc or memory, was sql",
        "forTestsOrDemos|1|forTestsOrDemos: invalid value (must be true or false)"
      })
  void eachKeyWhenInvalidIsNamed(String key, String value, String expected) throws Exception {
    Map<String, String> m = valid();
    m.put(key, value);
    assertProblem(m, expected);
  }

  @Test
  void secretsFromAMapValueAsASecretStoreHandsThemOver() throws Exception {
    Map<String, String> m = valid();
    m.remove("signing.key.file");
    m.put(
        "signing.key.value",
        Base64.getUrlEncoder().withoutPadding().encodeToString(AbstractHostedFlowIT.randomKey()));
    OptInConfig.fromMap(m).optInBuilder().build().close();

    m.put("signing.key.file", m.get("suppressionPepper.file"));
    m.remove("suppressionPepper.file");
    m.put("suppressionPepper.value", "not base64, a secret!");
    m.put("smtp.password.value", " ");
    assertNamedNotShown(
        m,
        "a secret!",
        "signing.key: set only one of .env, .file and .value",
        "suppressionPepper.value: not valid base64",
        "smtp.password.value: empty");
  }

  @Test
  void secretValueInAPropertiesFileIsRefusedSayingWhereSecretsGo() throws Exception {
    Path file = dir.resolve("optin4j.properties");
    Files.writeString(
        file,
        "formKey.value="
            + Base64.getEncoder().encodeToString(AbstractHostedFlowIT.randomKey())
            + "\nstore.password.value=hunter2\n");
    List<String> problems =
        assertThrows(
                ConfigurationException.class,
                () -> OptInConfig.fromProperties("file:" + file).optInBuilder())
            .problems();
    assertStartsWith(
        problems,
        "formKey.value: a secret is never written in a properties file; name an environment variable"
            + " (.env) or an owner-only file (.file), or pass the value in a Map",
        "store.password.value: a secret is never written");
    assertFalse(problems.toString().contains("hunter2"), problems.toString());
  }

  @Test
  void unknownKeysAndSourcesAreNamedAndValuesNeverShown() throws Exception {
    Map<String, String> m = valid();
    m.put("store.pasword.env", "DB_PASSWORD");
    m.put("forTestOrDemos", "true");
    List<String> problems = problems(m);
    assertTrue(problems.contains("store.pasword.env: unknown key"), problems.toString());
    assertTrue(problems.contains("forTestOrDemos: unknown key"), problems.toString());
    assertEquals("OptInConfig[a Map]", OptInConfig.fromMap(m).toString());

    ConfigurationException wrongScheme =
        assertThrows(
            ConfigurationException.class,
            () -> OptInConfig.fromProperties("/etc/optin4j.properties"));
    assertEquals(
        List.of("configuration /etc/optin4j.properties: must start with classpath: or file:"),
        wrongScheme.problems());
  }
}
