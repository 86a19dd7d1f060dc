package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.optin4j.keys.SigningKeys;

/**
 * Fuzzes {@link TokenService#verify(TokenKind, String)}, which sees every token of every kind that arrives in a link
 * or a form. It must never throw; anything it accepts must carry a real HS256 signature by one of our keys over
 * exactly its header and payload (checked here with plain {@link Mac}, independently of Nimbus), with the claims the
 * kind requires. The committed inputs (in {@code TokenServiceFuzzTestInputs/verify/}) are real tokens of every kind
 * signed with {@link #KEYS}, and hostile variants of them.
 */
class TokenServiceFuzzTest {
  /** Fixed keys and clock, so that the committed tokens stay valid. */
  static final byte[] ACTIVE = key(1);

  static final byte[] PREVIOUS = key(101);
  static final SigningKeys KEYS =
      SigningKeys.builder().active("k2", ACTIVE).previous("k1", PREVIOUS).build();
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-02T10:00:00Z"), ZoneOffset.UTC);
  static final String ISSUER = "https://bakery.example/optin";
  private static final TokenService SERVICE =
      new TokenService(KEYS, ISSUER, CLOCK, new SecureRandom());

  @FuzzTest(maxDuration = "2m")
  void verify(byte[] data) {
    String token = new String(data, StandardCharsets.UTF_8);
    for (TokenKind kind : TokenKind.values()) {
      TokenCheck check = SERVICE.verify(kind, token);
      assertNotNull(check);
      if (check instanceof TokenCheck.Invalid) {
        continue;
      }
      assertTrue(token.length() <= TokenService.MAX_TOKEN_LENGTH, "oversized token accepted");
      int dot = token.lastIndexOf('.');
      String signed = token.substring(0, dot);
      byte[] signature = Base64.getUrlDecoder().decode(token.substring(dot + 1));
      assertTrue(
          MessageDigest.isEqual(hmac(ACTIVE, signed), signature)
              || MessageDigest.isEqual(hmac(PREVIOUS, signed), signature),
          "accepted without our signature");
      String header =
          new String(
              Base64.getUrlDecoder().decode(signed.substring(0, signed.indexOf('.'))),
              StandardCharsets.UTF_8);
      assertTrue(
          header.contains("\"HS256\"") && header.contains(kind.type()),
          "wrong alg or typ accepted");
      TokenClaims claims =
          check instanceof TokenCheck.Valid v ? v.claims() : ((TokenCheck.Expired) check).claims();
      assertNotNull(claims.subject());
      if (kind == TokenKind.CONFIRM) {
        assertTrue(
            claims.requestId() != null && claims.generation() >= 1,
            "confirm token without req or gen");
      }
    }
  }

  /** The committed inputs start from real tokens: if they went stale, fuzzing would start from nothing. */
  @org.junit.jupiter.api.Test
  void committedValidTokensStillVerify() throws Exception {
    for (TokenKind kind : TokenKind.values()) {
      String name =
          "TokenServiceFuzzTestInputs/verify/valid-"
              + kind.name().toLowerCase(java.util.Locale.ROOT);
      try (java.io.InputStream in = TokenServiceFuzzTest.class.getResourceAsStream(name)) {
        assertNotNull(in, name);
        String token = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(SERVICE.verify(kind, token) instanceof TokenCheck.Valid, name);
      }
    }
  }

  static byte[] key(int seed) {
    byte[] k = new byte[32];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) (seed + i * 7);
    }
    return k;
  }

  private static byte[] hmac(byte[] key, String signed) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(signed.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
