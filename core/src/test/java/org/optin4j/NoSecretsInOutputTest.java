package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.internal.IssuedToken;
import org.optin4j.internal.TokenCheck;
import org.optin4j.internal.TokenClaims;
import org.optin4j.internal.TokenKind;
import org.optin4j.internal.TokenService;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.SmtpMailer;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.SendOutcome;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Security rule 13 and SECURITY.md, "Keys and other secrets": no key, pepper, password or link token ever shows in a
 * {@code toString()}, an exception message, or a log record — whatever the code path, including failures.
 */
class NoSecretsInOutputTest {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ADDRESS = "secret.person@example.org";

  private final byte[] activeKey = random(32);
  private final byte[] previousKey = random(48);
  private final byte[] pepper = random(32);
  private final String password = "sm7p-Pa55word-do-not-log";
  private final List<String> logged = new CopyOnWriteArrayList<>();
  private final Handler capture =
      new Handler() {
        private final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
          StringBuilder b = new StringBuilder(String.valueOf(formatter.formatMessage(r)));
          if (r.getThrown() != null) {
            StringWriter w = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(w));
            b.append('\n').append(w);
          }
          logged.add(b.toString());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private Logger optin4jLogger;
  private Level previousLevel;

  @BeforeEach
  void captureLogs() {
    optin4jLogger = Logger.getLogger("org.optin4j");
    previousLevel = optin4jLogger.getLevel();
    optin4jLogger.setLevel(
        Level.ALL); // DEBUG (= FINE) too: what an operator turns on when something is wrong
    capture.setLevel(Level.ALL);
    optin4jLogger.addHandler(capture);
  }

  @AfterEach
  void restoreLogs() {
    optin4jLogger.removeHandler(capture);
    optin4jLogger.setLevel(previousLevel);
  }

  private SigningKeys keys() {
    return SigningKeys.builder().active("k2", activeKey).previous("k1", previousKey).build();
  }

  /** Every spelling a secret could take in text. */
  private List<String> spellings(byte[] secret) {
    return List.of(
        Base64.getEncoder().encodeToString(secret),
        Base64.getUrlEncoder().withoutPadding().encodeToString(secret),
        HexFormat.of().formatHex(secret),
        HexFormat.of().withUpperCase().formatHex(secret),
        java.util.Arrays.toString(secret),
        new String(secret, StandardCharsets.ISO_8859_1));
  }

  private List<String> keyMaterial() {
    List<String> all = new ArrayList<>();
    all.addAll(spellings(activeKey));
    all.addAll(spellings(previousKey));
    all.addAll(spellings(pepper));
    all.add(password);
    return all;
  }

  private static void assertFree(String text, List<String> secrets, String what) {
    for (String s : secrets) {
      // A 12-character run of a secret is as good as the secret for search, and for a brute force
      // of the rest.
      for (int i = 0; i + 12 <= s.length(); i += 4) {
        String piece = s.substring(i, i + 12);
        assertFalse(text.contains(piece), () -> what + " contains part of a secret: " + text);
      }
    }
  }

  @Test
  void toStringWhenTypesHoldSecretsThenNeverShowsThem() {
    SmtpMailer mailer =
        SmtpMailer.builder()
            .host("smtp.example.org")
            .port(587)
            .security(SmtpMailer.Security.STARTTLS)
            .username("apikey")
            .password(password)
            .from("news@bakery.example")
            .build();
    SigningKeys keys = keys();
    TokenService tokens =
        new TokenService(
            keys, Fixtures.BASE_URL, TestClock.at("2026-03-02T10:00:00Z"), new SecureRandom());
    IssuedToken issued =
        tokens.issue(
            TokenKind.MANAGE,
            new TokenClaims(SubjectId.random(RANDOM), null, 0),
            Duration.ofDays(1));
    TokenCheck check = tokens.verify(TokenKind.MANAGE, issued.token());
    assertInstanceOf(TokenCheck.Valid.class, check);
    try (OptIn optIn =
        Fixtures.builder(
                InMemoryConsentStore.create(),
                new RecordingMailer(),
                TestClock.at("2026-03-02T10:00:00Z"))
            .signingKeys(keys)
            .suppressionPepper(pepper)
            .mailer(mailer)
            .build()) {
      List<String> secrets = new ArrayList<>(keyMaterial());
      secrets.add(issued.token());
      for (Object o : List.of(mailer, keys, optIn, issued, check, tokens)) {
        assertFree(o.toString(), secrets, o.getClass().getSimpleName() + ".toString()");
      }
      assertTrue(mailer.toString().contains("password=****"), mailer.toString());
      assertEquals("SigningKeys[active=k2, kids=[k2, k1]]", keys.toString());
      assertTrue(
          issued.toString().contains(issued.id()),
          "the token id (jti) is fine to show: it is no credential");
    }
  }

  @Test
  void toStringWhenMailCarriesLinkTokensThenShowsNeitherTokensNorAddress() {
    RecordingMailer recorder = new RecordingMailer();
    TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), recorder, clock)
            .signingKeys(keys())
            .suppressionPepper(pepper)
            .build()) {
      optIn.request(ConsentRequest.of(ADDRESS, Locale.ENGLISH, NEWSLETTER));
      optIn.operations().dispatchNow();
      MailMessage confirmation = recorder.last();
      String confirmToken = Fixtures.token(confirmation.text(), "confirm");
      optIn.confirm(confirmToken, ConfirmationChoice.all(), Evidence.of("203.0.113.7", "Firefox"));
      optIn.operations().dispatchNow();
      MailMessage receipt = recorder.last();
      String unsubscribeToken = Fixtures.token(receipt.text(), "unsubscribe");
      String preferencesToken = Fixtures.token(receipt.text(), "preferences");
      for (MailMessage m : List.of(confirmation, receipt)) {
        String s = m.toString();
        assertFree(
            s, List.of(confirmToken, unsubscribeToken, preferencesToken), "MailMessage.toString()");
        assertFalse(s.contains("secret.person"), s);
        assertTrue(s.contains("s***@example.org"), s);
      }
    }
  }

  @Test
  void exceptionsWhenKeysOrSecretsAreBadThenNeverQuoteThem() {
    String badBase64 = Base64.getEncoder().encodeToString(activeKey).replace('A', '!') + "!";
    List<String> secrets =
        List.of(badBase64, password, Base64.getEncoder().encodeToString(activeKey));
    List<RuntimeException> thrown = new ArrayList<>();
    thrown.add(
        assertThrows(
            ConfigurationException.class, () -> SigningKeys.builder().active("k1", badBase64)));
    thrown.add(
        assertThrows(
            ConfigurationException.class,
            () -> SigningKeys.builder().active("k1", java.util.Arrays.copyOf(activeKey, 31))));
    thrown.add(
        assertThrows(
            ConfigurationException.class,
            () -> SigningKeys.builder().active("k1", activeKey).previous("k1", activeKey).build()));
    thrown.add(
        assertThrows(
            ConfigurationException.class,
            () ->
                SmtpMailer.builder()
                    .host("127.0.0.1")
                    .security(SmtpMailer.Security.NONE)
                    .username("u")
                    .password(password)
                    .from("news@bakery.example")
                    .build()));
    thrown.add(
        assertThrows(
            ConfigurationException.class,
            () ->
                Fixtures.builder(
                        InMemoryConsentStore.create(),
                        new RecordingMailer(),
                        TestClock.at("2026-03-02T10:00:00Z"))
                    .suppressionPepper(java.util.Arrays.copyOf(pepper, 31))
                    .build()));
    for (RuntimeException e : thrown) {
      StringWriter w = new StringWriter();
      e.printStackTrace(new PrintWriter(w));
      assertFree(w.toString(), secrets, "exception");
      assertFree(w.toString(), spellings(java.util.Arrays.copyOf(activeKey, 31)), "exception");
      assertFree(w.toString(), spellings(java.util.Arrays.copyOf(pepper, 31)), "exception");
    }
  }

  @Test
  void logsWhenEverythingFailsThenHoldNoTokenKeyPepperOrAddress() throws Exception {
    RecordingMailer recorder = new RecordingMailer();
    TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
    CountDownLatch gaveUp = new CountDownLatch(1);
    try (OptIn optIn =
        Fixtures.builder(InMemoryConsentStore.create(), recorder, clock)
            .signingKeys(keys())
            .suppressionPepper(pepper)
            .listener(
                change -> {
                  throw new IllegalStateException(
                      "listener broke on " + change); // a careless listener's message
                })
            .listenerRetries(1, Duration.ZERO)
            .listenerFailureHandler((change, e) -> gaveUp.countDown())
            .build()) {
      optIn.request(ConsentRequest.of(ADDRESS, Locale.ENGLISH, NEWSLETTER));
      recorder.answer(m -> new SendOutcome.TransientFailure("451 try again later"));
      optIn.operations().dispatchNow();
      clock.advance(Duration.ofMinutes(5));
      recorder.answer(m -> new SendOutcome.Sent());
      optIn.operations().dispatchNow();
      String confirmToken = Fixtures.token(recorder.last().text(), "confirm");
      String tampered = confirmToken.substring(0, confirmToken.length() - 2) + "AA";
      assertInstanceOf(ConfirmationPreview.Invalid.class, optIn.preview(tampered));
      assertInstanceOf(
          ConfirmationResult.Invalid.class,
          optIn.confirm(tampered, ConfirmationChoice.all(), Evidence.NONE));
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          optIn.confirm(
              confirmToken, ConfirmationChoice.all(), Evidence.of("203.0.113.7", "Firefox")));
      assertTrue(gaveUp.await(10, TimeUnit.SECONDS), "the listener failure was reported");
      recorder.answer(m -> new SendOutcome.PermanentFailure("550 no such user"));
      optIn.operations().dispatchNow();
      assertTrue(optIn.verifyPreferencesToken(confirmToken).isEmpty());
      assertInstanceOf(
          UnsubscribeResult.Invalid.class,
          optIn.unsubscribe(tampered, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));

      assertFalse(logged.isEmpty(), "the failures above were logged");
      List<String> secrets = new ArrayList<>(keyMaterial());
      secrets.add(confirmToken);
      secrets.add(tampered);
      for (String record : logged) {
        assertFree(record, secrets, "log record");
        assertFalse(record.contains("secret.person"), record);
      }
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
