package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.OptIn;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.Mailer;
import org.optin4j.testing.TestClock;

/** Start-up validation, form tokens and rate limits, without a container. */
class OptInFilterConfigTest {
  /** These tests configure the filter and send nothing. */
  private final Mailer mailer = mock(Mailer.class);

  private final OptIn optIn =
      OptIn.builder()
          .catalog(TestApp.catalog())
          .controller(
              new Controller("Shop", "Main St 1", "privacy@shop.example", null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(InMemoryConsentStore.create())
          .mailer(mailer)
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(AbstractHostedFlowIT.randomKey())
          .baseUrl("https://shop.example/app/optin")
          .build();

  @AfterEach
  void close() {
    optIn.close();
    verify(mailer, never()).send(any());
    verify(mailer, never()).openSession();
  }

  @Test
  void perAddressLimitIsOffByDefaultBecauseTheCoreCapIsExact() {
    assertEquals(0, OptInFilter.builder(optIn).settings().addressLimit());
    assertEquals(
        2,
        OptInFilter.builder(optIn)
            .rateLimitPerAddress(2, Duration.ofHours(1))
            .settings()
            .addressLimit());
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> OptInFilter.builder(optIn).rateLimitPerAddress(-1, Duration.ofHours(1)).build());
    assertTrue(
        e.getMessage().contains("rateLimitPerAddress max must be 1 to 1000, was -1"),
        e.getMessage());
  }

  @Test
  void buildWhenSettingsInvalidThenNamesEveryOne() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                OptInFilter.builder(optIn)
                    .prefix("optin/")
                    .formKey(new byte[8])
                    .rateLimitPerIp(0, Duration.ofMinutes(1))
                    .trustedProxies("proxy.example")
                    .allowedOrigins("https://x.example/path")
                    .stylesheet("http://cdn.example/a.css")
                    .formPaths("/contact?x")
                    .emailField("e mail")
                    .build());
    String m = e.getMessage();
    for (String name :
        new String[] {
          "prefix",
          "formKey",
          "rateLimitPerIp",
          "trustedProxies",
          "allowedOrigins",
          "stylesheet",
          "formPaths",
          "emailField"
        }) {
      assertTrue(m.contains(name), name + " not named in: " + m);
    }
  }

  @Test
  void propertiesFileWhenKeysUnknownMissingOrInvalidThenNamesEveryKey() throws Exception {
    java.nio.file.Path props = java.nio.file.Files.createTempFile("optin4j", ".properties");
    java.nio.file.Files.writeString(
        props,
        String.join(
            "\n",
            "baseUrl=https://shop.example/optin",
            "catalog=classpath:/no-such-catalog.json",
            "controller.name=Shop",
            "controller.address=Main St 1",
            "smtp.hots=typo",
            "smtp.smtputf8=yes",
            "smtp.from=noreply@shop.example",
            "signing.key.env=OPTIN4J_TEST_SURELY_UNSET_VARIABLE",
            "confirmationTtl=two days",
            "rateLimit.perIp=lots"));
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> OptInConfig.fromProperties("file:" + props).load());
    String m = e.getMessage();
    for (String expected :
        new String[] {
          "smtp.hots: unknown key",
          "smtp.smtputf8: invalid value (must be true or false)",
          "catalog:",
          "controller.email: required",
          "smtp.host: required",
          "signing.key.env:",
          "suppressionPepper",
          "confirmationTtl:",
          "rateLimit.perIp:"
        }) {
      assertTrue(m.contains(expected), expected + " not in: " + m);
    }
    ConfigurationException missing =
        assertThrows(
            ConfigurationException.class,
            () -> OptInConfig.fromProperties("file:/no/such/file.properties"));
    assertTrue(
        missing.getMessage().contains("configuration file:/no/such/file.properties: not found"),
        missing.getMessage());
  }

  @Test
  void propertiesFileWhenSecretFileOpenToGroupOrOthersThenRefusedAsSecretsFromFileRefusesIt(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path signingKey = dir.resolve("signing.key");
    java.nio.file.Files.writeString(
        signingKey, java.util.Base64.getEncoder().encodeToString(AbstractHostedFlowIT.randomKey()));
    java.nio.file.Path smtpPassword = dir.resolve("smtp.password");
    java.nio.file.Files.writeString(smtpPassword, "mail-relay-password");
    java.nio.file.Path props = dir.resolve("optin4j.properties");
    java.nio.file.Files.writeString(
        props,
        "signing.key.file="
            + signingKey
            + "\nsmtp.host=smtp.example\n"
            + "smtp.username=shop\nsmtp.password.file="
            + smtpPassword
            + "\n");

    for (java.nio.file.Path f : java.util.List.of(signingKey, smtpPassword)) {
      java.nio.file.Files.setPosixFilePermissions(
          f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    }
    String open =
        assertThrows(
                ConfigurationException.class,
                () -> OptInConfig.fromProperties("file:" + props).load())
            .getMessage();
    assertTrue(
        open.contains(
            "signing.key.file: secret file " + signingKey + ": group or others have access"),
        open);
    assertTrue(
        open.contains(
            "smtp.password.file: secret file " + smtpPassword + ": group or others have access"),
        open);
    assertFalse(open.contains("mail-relay-password"), open);

    for (java.nio.file.Path f : java.util.List.of(signingKey, smtpPassword)) {
      java.nio.file.Files.setPosixFilePermissions(
          f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }
    String ownerOnly =
        assertThrows(
                ConfigurationException.class,
                () -> OptInConfig.fromProperties("file:" + props).load())
            .getMessage(); // other settings are still missing
    assertFalse(ownerOnly.contains("signing.key"), ownerOnly);
    assertFalse(ownerOnly.contains("smtp.password"), ownerOnly);
  }

  @Test
  void propertiesFileWhenReceiptKeyInvalidThenNamedAndWhenValidThenAccepted() throws Exception {
    java.nio.file.Path bad = java.nio.file.Files.createTempFile("optin4j-receipt", ".jwk");
    java.nio.file.Files.writeString(bad, "{\"kty\":\"oct\",\"k\":\"AAAA\"}");
    java.nio.file.Path good = java.nio.file.Files.createTempFile("optin4j-receipt", ".jwk");
    java.nio.file.Files.writeString(
        good, org.optin4j.keys.ReceiptKeys.generate("r1").activePrivateJwk());
    java.nio.file.Path props = java.nio.file.Files.createTempFile("optin4j", ".properties");

    java.nio.file.Files.writeString(
        props, "receiptKeys.jwk.file=" + bad + "\njurisdiction=EU/NL\n");
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> OptInConfig.fromProperties("file:" + props).load());
    assertTrue(e.getMessage().contains("receiptKeys.jwk: receipt keys:"), e.getMessage());
    assertFalse(e.getMessage().contains("jurisdiction"), e.getMessage());

    java.nio.file.Files.writeString(props, "receiptKeys.jwk.file=" + good + "\n");
    ConfigurationException other =
        assertThrows(
            ConfigurationException.class, () -> OptInConfig.fromProperties("file:" + props).load());
    assertFalse(other.getMessage().contains("receiptKeys"), other.getMessage());
  }

  @Test
  void messagesWhenAppOverridesSomeKeysThenThoseKeysInThatLanguageOnly() {
    // com/shop/optin-pages_de.properties (test resources) replaces subscribe.title and prefs.intro
    // in German.
    Pages pages =
        new Pages(OptInFilter.builder(optIn).messages("com.shop.optin-pages").settings(), optIn);
    Pages shipped = new Pages(OptInFilter.builder(optIn).settings(), optIn);

    assertEquals("Newsletter bestellen", pages.t(Locale.GERMAN, "subscribe.title"));
    assertEquals(
        "Hier sehen Sie, was Shop Ihnen schickt.",
        pages.t(Locale.GERMAN, "prefs.intro", "controller", "Shop"));
    assertEquals(
        shipped.t(Locale.GERMAN, "subscribe.intro"), pages.t(Locale.GERMAN, "subscribe.intro"));
    assertEquals(
        shipped.t(Locale.ENGLISH, "subscribe.title"), pages.t(Locale.ENGLISH, "subscribe.title"));
    assertEquals("Anmelden", shipped.t(Locale.GERMAN, "subscribe.title"));
  }

  @Test
  void messagesWhenOverrideUsesAPlaceholderTheTextLacksThenRefusedAtStartNamingIt() {
    OptInFilter.Settings settings =
        OptInFilter.builder(optIn).messages("com.shop.old-pages").settings();

    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> new Pages(settings, optIn));

    assertEquals(
        List.of(
            "com/shop/old-pages.properties: prefs.intro: unknown placeholder {0}; this text has"
                + " {controller}"),
        e.problems());
  }

  @Test
  void jsonApiWhenSwitchedOnAllowsItsOwnOriginAndTheListedOnesWithTheirKeys() {
    OptInFilter.Settings off = OptInFilter.builder(optIn).settings();
    assertFalse(off.api());
    OptInFilter.Settings s =
        OptInFilter.builder(optIn)
            .api(true)
            .apiAllowedOrigins("https://front.example", "http://localhost:5173")
            .apiKeys("a".repeat(32), "b".repeat(40))
            .settings();
    assertTrue(s.api());
    assertEquals(
        java.util.Set.of("https://shop.example", "https://front.example", "http://localhost:5173"),
        s.apiAllowedOrigins());
    assertEquals(2, s.apiKeys().size());
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                OptInFilter.builder(optIn)
                    .apiAllowedOrigins("*", "https://front.example/")
                    .apiKeys("s3cr3t")
                    .build());
    assertEquals(3, e.problems().size(), e.problems().toString());
    assertFalse(e.getMessage().contains("s3cr3t"), "never the key: " + e.getMessage());
  }

  @Test
  void builtWithDefaultsDerivesBaseUrlFromOptIn() {
    OptInFilter.Settings s = OptInFilter.builder(optIn).settings();
    assertEquals("https://shop.example/app/optin", s.baseUrl());
    assertEquals("/app/optin", s.basePath());
    assertTrue(s.allowedOrigins().contains("https://shop.example"));
  }

  @Test
  void linkContextIsTheKindAndTheLinksSha256AndStaysSoAcrossCalls() {
    FormTokens tokens =
        new FormTokens(new byte[32], TestClock.at(Instant.now()), Duration.ofHours(1));
    // SHA-256("abc"), FIPS 180-2 appendix B.1, in base64url
    String abc = "confirm:ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0";
    assertEquals(abc, tokens.linkContext("confirm", "abc"));
    assertEquals("manage:" + abc.substring(8), tokens.linkContext("manage", "abc"));
    assertEquals(abc, tokens.linkContext("confirm", "abc"));
  }

  @Test
  void formTokenWhenOtherContextTamperedOrExpiredThenRefused() {
    TestClock clock = TestClock.at(Instant.now()).ticking(Duration.ofMillis(1));
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    FormTokens tokens = new FormTokens(key, clock, Duration.ofHours(1));
    String t = tokens.issue(FormTokens.signupContext());
    assertTrue(tokens.verify(FormTokens.signupContext(), t));
    assertFalse(tokens.verify(tokens.linkContext("confirm", "abc"), t));
    assertFalse(tokens.verify(FormTokens.signupContext(), t.substring(0, t.length() - 1) + "x"));
    assertFalse(tokens.verify(FormTokens.signupContext(), null));
    assertFalse(
        new FormTokens(AbstractHostedFlowIT.randomKey(), clock, Duration.ofHours(1))
            .verify(FormTokens.signupContext(), t),
        "another key");
    clock.advance(Duration.ofHours(2));
    assertFalse(tokens.verify(FormTokens.signupContext(), t), "expired");
  }

  @Test
  void rateLimiterWhenOverLimitThenRetryAfterAndNextWindowAllows() {
    TestClock clock = TestClock.at(Instant.now()).ticking(Duration.ofMillis(1));
    RateLimiter limiter = new RateLimiter(2, Duration.ofMinutes(1), 1 << 20, clock);
    assertEquals(0, limiter.acquire("a"));
    assertEquals(0, limiter.acquire("a"));
    long wait = limiter.acquire("a");
    assertTrue(wait >= 1 && wait <= 60 + 30, "Retry-After " + wait);
    assertEquals(0, limiter.acquire("b"), "another key has its own counter");
    // Retry-After points into the next window, where the last window's count still weighs as it
    // fades.
    clock.advance(Duration.ofSeconds(wait));
    assertEquals(0, limiter.acquire("a"), "the next window, after Retry-After");
  }

  @Test
  void clientAddressTrustsForwardedForOnlyFromTrustedProxies() {
    assertEquals("v6:20010db800000001", ClientAddress.limitKey("2001:db8:0:1::5"));
    assertEquals("v4:192.0.2.7", ClientAddress.limitKey("192.0.2.7"));
    ClientAddress.Range r = ClientAddress.Range.parse("10.0.0.0/8");
    assertTrue(r.contains(ClientAddress.parse("10.1.2.3")));
    assertFalse(r.contains(ClientAddress.parse("11.1.2.3")));
    assertEquals(null, ClientAddress.Range.parse("proxy.example"), "host names are never resolved");
  }
}
