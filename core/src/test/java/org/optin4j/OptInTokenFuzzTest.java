package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.rights.AddressRestore;
import org.optin4j.rights.StepUpConfirmation;
import org.optin4j.rights.StepUpPreview;
import org.optin4j.rights.StepUpResult;
import org.optin4j.rights.SubjectRights;
import org.optin4j.testing.RecordingMailer;

/**
 * Fuzzes every {@link OptIn} entry point that takes a link token: {@code preview}, {@code confirm}, {@code decline},
 * {@code resendConfirmation}, {@code unsubscribe}, {@code verifyPreferencesToken} and {@code verifyUnsubscribeToken},
 * and those of its rights facet: {@code stepUpAddressChange}, {@code stepUpErasure}, {@code previewStepUp},
 * {@code confirmStepUp}, {@code verifyNotMeToken} and {@code restoreAddress}.
 * Whatever the string, each answers one of its documented values and never throws.
 *
 * <p>The service runs on fixed keys, a fixed clock and a seeded random source, so the subjects, requests and tokens
 * of {@link #SERVICE} are the same in every run: the committed inputs ({@code OptInTokenFuzzTestInputs/tokens/}) are
 * real confirm, preferences and unsubscribe tokens of it, so fuzzing starts from links that reach the store.
 */
class OptInTokenFuzzTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-02T10:00:00Z"), ZoneOffset.UTC);
  static final RecordingMailer MAILER = new RecordingMailer();
  static final OptIn SERVICE = service();

  @FuzzTest(maxDuration = "2m")
  void tokens(byte[] data) {
    String token = new String(data, StandardCharsets.UTF_8);
    Evidence evidence = Evidence.of("203.0.113.7", "fuzzer");
    ConfirmationPreview preview = SERVICE.preview(token);
    assertNotNull(preview);
    assertOneOf(
        SERVICE.confirm(token, ConfirmationChoice.only(Fixtures.NEWSLETTER), evidence),
        ConfirmationResult.class);
    assertOneOf(SERVICE.decline(token, evidence), ConfirmationResult.class);
    assertOneOf(SERVICE.resendConfirmation(token), ResendResult.class);
    assertOneOf(
        SERVICE.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, evidence),
        UnsubscribeResult.class);
    assertNotNull(SERVICE.verifyPreferencesToken(token));
    assertNotNull(SERVICE.verifyUnsubscribeToken(token));
    SubjectRights rights = SERVICE.rights();
    assertOneOf(
        rights.stepUpAddressChange(token, "carol@example.org", Locale.ENGLISH, evidence),
        StepUpResult.class);
    assertOneOf(rights.stepUpErasure(token, Locale.ENGLISH), StepUpResult.class);
    assertOneOf(rights.previewStepUp(token), StepUpPreview.class);
    assertOneOf(rights.confirmStepUp(token), StepUpConfirmation.class);
    assertNotNull(rights.verifyNotMeToken(token));
    assertOneOf(rights.restoreAddress(token, evidence), AddressRestore.class);
  }

  /** The committed inputs are this fixture's links: the fixture is deterministic, so fuzzing starts inside. */
  @org.junit.jupiter.api.Test
  void committedInputsAreTheFixturesLinks() throws Exception {
    List<String> links = links();
    assertTrue(links.size() >= 3, links::toString);
    for (int i = 1; i <= links.size(); i++) {
      try (java.io.InputStream in =
          OptInTokenFuzzTest.class.getResourceAsStream(
              "OptInTokenFuzzTestInputs/tokens/link-" + i)) {
        assertNotNull(in, "link-" + i);
        org.junit.jupiter.api.Assertions.assertEquals(
            links.get(i - 1), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
  }

  private static void assertOneOf(Object result, Class<?> sealedType) {
    assertNotNull(result);
    assertTrue(sealedType.isInstance(result) && sealedType.isSealed(), result::toString);
  }

  /** The service with one pending request (ann) and one confirmed subject (bob), identical in every run. */
  static OptIn service() {
    SecureRandom seeded;
    try {
      seeded = SecureRandom.getInstance("SHA1PRNG");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    seeded.setSeed(20260302L);
    OptIn optIn =
        OptIn.builder()
            .catalog(Fixtures.catalog())
            .controller(Fixtures.controller())
            .store(InMemoryConsentStore.create())
            .mailer(MAILER)
            .signingKeys(SigningKeys.builder().active("k1", fixedKey()).build())
            .suppressionPepper(Fixtures.PEPPER)
            .baseUrl(Fixtures.BASE_URL)
            .clock(CLOCK)
            .random(seeded)
            .confirmationMailCap(20, java.time.Duration.ZERO)
            .build();
    optIn.request(
        ConsentRequest.of("ann@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER, Fixtures.EVENTS));
    optIn.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER));
    optIn.operations().dispatchNow();
    optIn.confirm(
        Fixtures.token(MAILER.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    optIn.operations().dispatchNow();
    return optIn;
  }

  private static byte[] fixedKey() {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (1 + i * 7);
    }
    return k;
  }

  /** The links of the fixture's mails, for the committed inputs. */
  static List<String> links() {
    List<String> out = new java.util.ArrayList<>();
    for (var m : MAILER.sent()) {
      for (String page : List.of("confirm", "preferences", "unsubscribe")) {
        try {
          out.add(Fixtures.token(m.text(), page));
        } catch (AssertionError none) {
          // this mail has no such link
        }
      }
    }
    return out;
  }
}
