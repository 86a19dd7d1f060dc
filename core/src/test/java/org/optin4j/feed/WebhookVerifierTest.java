package org.optin4j.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {
  // The Standard Webhooks reference libraries' signing example
  // (github.com/standard-webhooks/standard-webhooks,
  // libraries/go/webhook_test.go TestWebhookSign, and the same values in the C# and Java tests).
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long SPEC_TIMESTAMP = 1614265330;
  private static final String SPEC_BODY = "{\"test\": 2432232314}";
  private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  private static Clock at(long seconds) {
    return Clock.fixed(Instant.ofEpochSecond(seconds), ZoneOffset.UTC);
  }

  private static Map<String, List<String>> headers(String id, long ts, String signature) {
    return Map.of(
        "Webhook-Id", List.of(id),
        "WEBHOOK-TIMESTAMP", List.of(Long.toString(ts)),
        "webhook-signature", List.of(signature));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void signWhenSpecExampleThenSpecSignature() {
    WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);

    assertEquals(SPEC_SIGNATURE, secret.sign(SPEC_ID, SPEC_TIMESTAMP, bytes(SPEC_BODY)));
  }

  @Test
  void verifyWhenSpecExampleThenMessageReturned() {
    WebhookVerifier verifier =
        WebhookVerifier.of(at(SPEC_TIMESTAMP), WebhookSecret.parse(SPEC_SECRET));

    WebhookMessage m =
        verifier.verify(headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE), bytes(SPEC_BODY));

    assertEquals(new WebhookMessage(SPEC_ID, Instant.ofEpochSecond(SPEC_TIMESTAMP), SPEC_BODY), m);
  }

  @Test
  void signWhenRandomSecretsAndBodiesThenEqualsIndependentHmac() {
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 50; i++) {
      byte[] key = new byte[24 + random.nextInt(41)];
      random.nextBytes(key);
      byte[] body = new byte[random.nextInt(300)];
      random.nextBytes(body);
      String id = "msg_" + random.nextInt(1_000_000);
      long ts = 1_700_000_000L + random.nextInt(1_000_000);

      String expected =
          "v1,"
              + Base64.getEncoder()
                  .encodeToString(hmacSha256(key, concat(bytes(id + "." + ts + "."), body)));

      assertEquals(expected, WebhookSecret.ofKey(key).sign(id, ts, body));
    }
  }

  @Test
  void verifyWhenSeveralSignaturesAndOneMatchesThenAccepted() {
    WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);
    String header = "v1a,AAAA v1,bm90IGl0 garbage " + SPEC_SIGNATURE;

    WebhookVerifier.of(at(SPEC_TIMESTAMP), secret)
        .verify(headers(SPEC_ID, SPEC_TIMESTAMP, header), bytes(SPEC_BODY));
  }

  @Test
  void verifyWhenRotationThenEitherSecretVerifies() {
    WebhookSecret old = WebhookSecret.generate(new SecureRandom());
    WebhookSecret fresh = WebhookSecret.generate(new SecureRandom());
    String signedByOld = old.sign("msg_1", 100, bytes("{}"));

    WebhookVerifier both = WebhookVerifier.of(at(100), fresh, old);
    both.verify(headers("msg_1", 100, signedByOld), bytes("{}"));

    WebhookVerificationException e =
        assertThrows(
            WebhookVerificationException.class,
            () ->
                WebhookVerifier.of(at(100), fresh)
                    .verify(headers("msg_1", 100, signedByOld), bytes("{}")));
    assertEquals(WebhookVerificationException.Reason.NO_MATCHING_SIGNATURE, e.reason());
  }

  @Test
  void verifyWhenBodyOrIdChangedThenNoMatchingSignature() {
    WebhookVerifier verifier =
        WebhookVerifier.of(at(SPEC_TIMESTAMP), WebhookSecret.parse(SPEC_SECRET));

    assertReason(
        WebhookVerificationException.Reason.NO_MATCHING_SIGNATURE,
        () ->
            verifier.verify(
                headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE), bytes("{\"test\":2432232314}")));
    assertReason(
        WebhookVerificationException.Reason.NO_MATCHING_SIGNATURE,
        () ->
            verifier.verify(
                headers("msg_other", SPEC_TIMESTAMP, SPEC_SIGNATURE), bytes(SPEC_BODY)));
  }

  @Test
  void verifyWhenTimestampOutsideFiveMinutesThenRefusedInsideAccepted() {
    WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);
    Map<String, List<String>> h = headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE);

    WebhookVerifier.of(at(SPEC_TIMESTAMP + 300), secret).verify(h, bytes(SPEC_BODY));
    WebhookVerifier.of(at(SPEC_TIMESTAMP - 300), secret).verify(h, bytes(SPEC_BODY));
    assertReason(
        WebhookVerificationException.Reason.TIMESTAMP_OUT_OF_TOLERANCE,
        () -> WebhookVerifier.of(at(SPEC_TIMESTAMP + 301), secret).verify(h, bytes(SPEC_BODY)));
    assertReason(
        WebhookVerificationException.Reason.TIMESTAMP_OUT_OF_TOLERANCE,
        () -> WebhookVerifier.of(at(SPEC_TIMESTAMP - 301), secret).verify(h, bytes(SPEC_BODY)));
    WebhookVerifier.of(at(SPEC_TIMESTAMP + 3600), secret)
        .withTolerance(Duration.ofHours(2))
        .verify(h, bytes(SPEC_BODY));
  }

  @Test
  void verifyWhenHeaderMissingOrTimestampMalformedThenPreciseReason() {
    WebhookVerifier verifier =
        WebhookVerifier.of(at(SPEC_TIMESTAMP), WebhookSecret.parse(SPEC_SECRET));

    assertReason(
        WebhookVerificationException.Reason.MISSING_HEADER,
        () ->
            verifier.verify(
                Map.of("webhook-id", List.of(SPEC_ID), "webhook-timestamp", List.of("1")),
                bytes(SPEC_BODY)));
    assertReason(
        WebhookVerificationException.Reason.MALFORMED_TIMESTAMP,
        () ->
            verifier.verify(
                Map.of(
                    "webhook-id", List.of(SPEC_ID),
                    "webhook-timestamp", List.of("yesterday"),
                    "webhook-signature", List.of(SPEC_SIGNATURE)),
                bytes(SPEC_BODY)));
  }

  @Test
  void verifyWhenHeadersByFunctionThenSameAnswer() {
    Map<String, String> h =
        Map.of(
            "webhook-id", SPEC_ID,
            "webhook-timestamp", Long.toString(SPEC_TIMESTAMP),
            "webhook-signature", SPEC_SIGNATURE);

    WebhookMessage m =
        WebhookVerifier.of(at(SPEC_TIMESTAMP), WebhookSecret.parse(SPEC_SECRET))
            .verify(h::get, bytes(SPEC_BODY));

    assertEquals(SPEC_ID, m.id());
  }

  @Test
  void exceptionAndVerifierTextWhenRefusedThenNoSecretOrSignature() {
    WebhookSecret secret = WebhookSecret.parse(SPEC_SECRET);
    WebhookVerifier verifier = WebhookVerifier.of(at(SPEC_TIMESTAMP), secret);
    WebhookVerificationException e =
        assertThrows(
            WebhookVerificationException.class,
            () ->
                verifier.verify(
                    headers(SPEC_ID, SPEC_TIMESTAMP, SPEC_SIGNATURE), bytes("tampered")));

    for (String text : List.of(e.getMessage(), verifier.toString())) {
      assertFalse(text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), text);
      assertFalse(text.contains("g0hM9SsE"), text);
    }
  }

  private static void assertReason(
      WebhookVerificationException.Reason reason, org.junit.jupiter.api.function.Executable call) {
    assertEquals(reason, assertThrows(WebhookVerificationException.class, call).reason());
  }

  /** HMAC (RFC 2104) over SHA-256 written out here, independent of javax.crypto.Mac. */
  private static byte[] hmacSha256(byte[] key, byte[] message) {
    try {
      int block = 64;
      byte[] k = key.length > block ? MessageDigest.getInstance("SHA-256").digest(key) : key;
      byte[] ipad = new byte[block];
      byte[] opad = new byte[block];
      for (int i = 0; i < block; i++) {
        byte b = i < k.length ? k[i] : 0;
        ipad[i] = (byte) (b ^ 0x36);
        opad[i] = (byte) (b ^ 0x5c);
      }
      byte[] inner = MessageDigest.getInstance("SHA-256").digest(concat(ipad, message));
      return MessageDigest.getInstance("SHA-256").digest(concat(opad, inner));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
