package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.optin4j.jdbc.JdbcConsentStore;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * SECURITY.md, "After a leak": what a stolen signing key or a copy of the database is worth, and that revoking a key
 * kills the links it signed while every confirmed consent stays provable.
 */
class KeyCompromiseTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();

  @Test
  void revokingALeakedKeyKillsItsLinksButKeepsConfirmedConsents() {
    ConsentStore store = InMemoryConsentStore.create();
    SigningKeys leaked = SigningKeys.generate("k1");
    String confirmLink;
    String unsubscribeLink;
    String preferencesLink;
    SubjectId ann;
    try (OptIn before = node(store, leaked)) {
      ann =
          assertInstanceOf(
                  RequestResult.Accepted.class,
                  before.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)))
              .subjectId();
      before.operations().dispatchNow();
      before.confirm(
          Fixtures.token(mailer.last().text(), "confirm"),
          ConfirmationChoice.all(),
          Evidence.of("203.0.113.7", "Firefox"));
      before.operations().dispatchNow();
      unsubscribeLink = Fixtures.token(mailer.last().text(), "unsubscribe");
      preferencesLink = Fixtures.token(mailer.last().text(), "preferences");
      before.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER));
      before.operations().dispatchNow();
      confirmLink = Fixtures.token(mailer.last().text(), "confirm");
    }

    // The leaked kid is dropped, not kept as a verify-only previous key: a new active key takes
    // over.
    try (OptIn after = node(store, SigningKeys.generate("k2"))) {
      assertTrue(
          after.mayMail("ann@example.org", NEWSLETTER),
          "confirmed consents never depended on the key");
      assertEquals(ConsentState.CONFIRMED, after.consents(ann).get(0).state());
      assertFalse(after.proof().history(ann).isEmpty(), "the proof (events) is untouched");

      assertInstanceOf(ConfirmationPreview.Invalid.class, after.preview(confirmLink));
      assertInstanceOf(
          ConfirmationResult.Invalid.class,
          after.confirm(confirmLink, ConfirmationChoice.all(), Evidence.NONE));
      assertInstanceOf(ResendResult.Invalid.class, after.resendConfirmation(confirmLink));
      assertInstanceOf(
          UnsubscribeResult.Invalid.class,
          after.unsubscribe(unsubscribeLink, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
      assertTrue(after.verifyPreferencesToken(preferencesLink).isEmpty());
      assertTrue(
          after.mayMail("ann@example.org", NEWSLETTER), "a dead unsubscribe link withdrew nothing");

      // Links minted now carry the new kid and work; Bob signs up again and gets a working link.
      assertTrue(
          after
              .verifyPreferencesToken(Fixtures.token(after.preferencesUrl(ann), "preferences"))
              .isPresent());
      clock.advance(Duration.ofMinutes(5));
      after.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER));
      after.operations().dispatchNow();
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          after.confirm(
              Fixtures.token(mailer.last().text(), "confirm"),
              ConfirmationChoice.all(),
              Evidence.NONE));
    }
  }

  @Test
  void aStolenKeyWithoutTheDatabaseForgesNothingUseful() {
    ConsentStore store = InMemoryConsentStore.create();
    SigningKeys keys = SigningKeys.generate("k1");
    try (OptIn optIn = node(store, keys)) {
      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
      optIn.operations().dispatchNow();
      // The attacker signs with the real key but must guess the 128-bit random subject and request
      // ids.
      org.optin4j.internal.TokenService forger =
          new org.optin4j.internal.TokenService(
              keys, Fixtures.BASE_URL, clock, new java.security.SecureRandom());
      SubjectId guess = SubjectId.random(new java.security.SecureRandom());
      String forged =
          forger
              .issue(
                  org.optin4j.internal.TokenKind.CONFIRM,
                  new org.optin4j.internal.TokenClaims(guess, "guessed-request", 1),
                  Duration.ofHours(1))
              .token();
      assertInstanceOf(
          ConfirmationResult.Invalid.class,
          optIn.confirm(forged, ConfirmationChoice.all(), Evidence.NONE));
      String forgedManage =
          forger
              .issue(
                  org.optin4j.internal.TokenKind.MANAGE,
                  new org.optin4j.internal.TokenClaims(guess, null, 0),
                  Duration.ofHours(1))
              .token();
      assertTrue(optIn.verifyPreferencesToken(forgedManage).isEmpty());
    }
  }

  @Test
  void theDatabaseNeverHoldsAWorkingLink() throws Exception {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:key-compromise;DB_CLOSE_DELAY=-1");
    ds.setUser("sa");
    JdbcConsentStore store = JdbcConsentStore.builder(ds).createSchema(true).build();
    try (OptIn optIn = node(store, SigningKeys.generate("k1"))) {
      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
      optIn.operations().dispatchNow();
      String confirm = Fixtures.token(mailer.last().text(), "confirm");
      optIn.confirm(confirm, ConfirmationChoice.all(), Evidence.NONE);
      optIn.operations().dispatchNow();
      String unsubscribe = Fixtures.token(mailer.last().text(), "unsubscribe");
      String dump = dump(ds);
      assertTrue(dump.contains("ann@example.org"), "the dump sees the data");
      for (String token : new String[] {confirm, unsubscribe}) {
        String signature = token.substring(token.lastIndexOf('.') + 1);
        assertFalse(dump.contains(signature), "a token's signature is in the database");
      }
    } finally {
      try (Connection c = ds.getConnection();
          Statement st = c.createStatement()) {
        st.execute("SHUTDOWN");
      }
    }
  }

  private OptIn node(ConsentStore store, SigningKeys keys) {
    return Fixtures.builder(store, mailer, clock).signingKeys(keys).build();
  }

  private static String dump(JdbcDataSource ds) throws Exception {
    StringBuilder b = new StringBuilder();
    try (Connection c = ds.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SCRIPT NOSETTINGS")) {
      while (rs.next()) {
        b.append(rs.getString(1)).append('\n');
      }
    }
    return new String(b.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
  }
}
