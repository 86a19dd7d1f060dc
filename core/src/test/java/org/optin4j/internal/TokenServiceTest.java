package org.optin4j.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;
import org.optin4j.SubjectId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.testing.TestClock;

class TokenServiceTest {
  private static final String ISSUER = "https://shop.example/";
  private static final Instant START = Instant.parse("2030-05-06T07:08:09.250Z");
  private static final Duration TTL = Duration.ofHours(48);
  private static final SubjectId SUBJECT = new SubjectId("AbCdEfGhIjKlMnOpQrStUv");
  private static final TokenClaims CONFIRM_CLAIMS = new TokenClaims(SUBJECT, "req-42", 3);
  private static final Base64.Encoder B64URL = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder B64URL_DECODER = Base64.getUrlDecoder();

  private final byte[] key1 = randomKey();
  private final byte[] key2 = randomKey();
  private final TestClock clock = TestClock.at(START);
  private final TokenService service = service(SigningKeys.builder().active("k1", key1).build());

  // --- round trips and issued shape
  // -------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(TokenKind.class)
  void verifyWhenIssuedTokenOfSameKindThenValidWithClaims(TokenKind kind) {
    TokenClaims claims = claimsFor(kind);
    IssuedToken issued = service.issue(kind, claims, TTL);

    TokenCheck check = service.verify(kind, issued.token());

    TokenCheck.Valid valid = assertInstanceOf(TokenCheck.Valid.class, check);
    assertEquals(claims, valid.claims());
    assertEquals(issued.id(), valid.id());
    assertEquals(issued.expiresAt(), valid.expiresAt());
  }

  @ParameterizedTest
  @EnumSource(TokenKind.class)
  void issueThenHeaderAndClaimsFollowTheTokenFormat(TokenKind kind) throws Exception {
    IssuedToken issued = service.issue(kind, claimsFor(kind), TTL);

    SignedJWT jwt = SignedJWT.parse(issued.token());
    JWSHeader header = jwt.getHeader();
    assertEquals(JWSAlgorithm.HS256, header.getAlgorithm());
    assertEquals(kind.type(), header.getType().getType());
    assertEquals("k1", header.getKeyID());
    assertEquals(Set.of("alg", "typ", "kid"), header.getIncludedParams());
    JWTClaimsSet claims = jwt.getJWTClaimsSet();
    assertEquals(ISSUER, claims.getIssuer());
    assertEquals(List.of(kind.audience()), claims.getAudience());
    assertEquals(SUBJECT.value(), claims.getSubject());
    assertEquals(START.getEpochSecond(), claims.getIssueTime().toInstant().getEpochSecond());
    assertEquals(
        START.plus(TTL).getEpochSecond(), claims.getExpirationTime().toInstant().getEpochSecond());
    assertEquals(issued.id(), claims.getJWTID());
    assertEquals(22, issued.id().length(), "128 bits in base64url");
    // A single audience is written as a string, not an array (RFC 7519 section 4.1.3 allows both).
    assertTrue(payloadJson(issued.token()).contains("\"aud\":\"" + kind.audience() + "\""));
  }

  @Test
  void issueWhenConfirmThenReqIsStringAndGenIsInteger() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);

    String payload = payloadJson(issued.token());
    assertTrue(payload.contains("\"req\":\"req-42\""), payload);
    assertTrue(payload.contains("\"gen\":3"), payload);
  }

  @Test
  void issueWhenKindHasNoRequestThenNoReqOrGenClaim() {
    IssuedToken issued =
        service.issue(TokenKind.UNSUBSCRIBE, new TokenClaims(SUBJECT, null, 0), TTL);

    String payload = payloadJson(issued.token());
    assertFalse(payload.contains("\"req\""), payload);
    assertFalse(payload.contains("\"gen\""), payload);
    TokenCheck.Valid valid =
        assertInstanceOf(
            TokenCheck.Valid.class, service.verify(TokenKind.UNSUBSCRIBE, issued.token()));
    assertEquals(new TokenClaims(SUBJECT, null, 0), valid.claims());
  }

  @Test
  void issueWhenManageCarriesRequestAndGenerationThenTheyRoundTrip() {
    TokenClaims claims = new TokenClaims(SUBJECT, "req-7", 2);
    IssuedToken issued = service.issue(TokenKind.MANAGE, claims, TTL);

    TokenCheck.Valid valid =
        assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.MANAGE, issued.token()));
    assertEquals(claims, valid.claims());
  }

  @Test
  void issueWhenCalledTwiceThenTokensAndIdsDiffer() {
    Set<String> ids = new HashSet<>();
    Set<String> tokens = new HashSet<>();
    for (int i = 0; i < 1_000; i++) {
      IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
      ids.add(issued.id());
      tokens.add(issued.token());
    }
    assertEquals(1_000, ids.size());
    assertEquals(1_000, tokens.size());
  }

  @Test
  void issueThenTokenContainsNoEmailLikeData() {
    for (TokenKind kind : TokenKind.values()) {
      IssuedToken issued = service.issue(kind, claimsFor(kind), TTL);
      String[] parts = issued.token().split("\\.");
      String decoded =
          new String(B64URL_DECODER.decode(parts[0]), UTF_8)
              + new String(B64URL_DECODER.decode(parts[1]), UTF_8);
      assertFalse(decoded.contains("@"), decoded);
      assertFalse(issued.token().contains("@"));
      assertFalse(issued.toString().contains(issued.token()), "toString must not reveal the token");
    }
  }

  @Test
  void issueThenExpiresAtIsWholeSecondsFromTheClock() {
    IssuedToken issued =
        service.issue(TokenKind.MANAGE, claimsFor(TokenKind.MANAGE), Duration.ofMinutes(30));

    assertEquals(Instant.parse("2030-05-06T07:38:09Z"), issued.expiresAt());
  }

  // --- issue refusals
  // ---------------------------------------------------------------------------------------------

  @Test
  void issueWhenConfirmWithoutRequestIdThenRefused() {
    TokenClaims claims = new TokenClaims(SUBJECT, null, 1);

    assertThrows(
        IllegalArgumentException.class, () -> service.issue(TokenKind.CONFIRM, claims, TTL));
  }

  @Test
  void issueWhenConfirmWithoutGenerationThenRefused() {
    TokenClaims claims = new TokenClaims(SUBJECT, "req-1", 0);

    assertThrows(
        IllegalArgumentException.class, () -> service.issue(TokenKind.CONFIRM, claims, TTL));
  }

  @Test
  void issueWhenRequestIdBlankThenRefused() {
    TokenClaims claims = new TokenClaims(SUBJECT, " ", 1);

    assertThrows(
        IllegalArgumentException.class, () -> service.issue(TokenKind.CONFIRM, claims, TTL));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1})
  void issueWhenTtlNotPositiveThenRefused(long seconds) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, Duration.ofSeconds(seconds)));
    assertTrue(e.getMessage().contains("TTL must be positive"), e.getMessage());
  }

  @Test
  void issueWhenTtlOverflowsThenRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, Duration.ofSeconds(Long.MAX_VALUE)));
  }

  @Test
  void issueWhenTokenWouldBeOversizedThenRefused() {
    TokenClaims claims = new TokenClaims(SUBJECT, "r".repeat(2_000), 1);

    assertThrows(
        IllegalArgumentException.class, () -> service.issue(TokenKind.CONFIRM, claims, TTL));
  }

  @Test
  void constructWhenIssuerBlankThenRefused() {
    SigningKeys keys = SigningKeys.builder().active("k1", key1).build();

    assertThrows(
        IllegalArgumentException.class,
        () -> new TokenService(keys, " ", clock, new SecureRandom()));
    assertThrows(
        NullPointerException.class, () -> new TokenService(keys, null, clock, new SecureRandom()));
    assertThrows(
        NullPointerException.class, () -> new TokenService(keys, ISSUER, null, new SecureRandom()));
    assertThrows(NullPointerException.class, () -> new TokenService(keys, ISSUER, clock, null));
    assertThrows(
        NullPointerException.class,
        () -> new TokenService(null, ISSUER, clock, new SecureRandom()));
  }

  // --- kind confusion, audience, issuer
  // ---------------------------------------------------------------------------

  @Test
  void verifyWhenTokenOfOneKindIsPresentedAsAnotherThenInvalid() {
    for (TokenKind issuedAs : TokenKind.values()) {
      String token = service.issue(issuedAs, claimsFor(issuedAs), TTL).token();
      for (TokenKind expected : TokenKind.values()) {
        if (expected != issuedAs) {
          assertInvalid(service.verify(expected, token), issuedAs + " accepted as " + expected);
        }
      }
    }
  }

  @Test
  void verifyWhenTypIsWrongThenInvalid() {
    String token =
        sign(header("HS256", "optin4j-manage+jwt", "k1"), claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenTypIsMissingThenInvalid() {
    String token = sign("{\"alg\":\"HS256\",\"kid\":\"k1\"}", claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenTypIsGenericJwtThenInvalid() {
    String token = sign(header("HS256", "JWT", "k1"), claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenForgedTokenWithAllRightPartsThenValid() {
    // Guards the forgery helpers: the negative tests below differ from this one in one detail each.
    String token =
        sign(header("HS256", TokenKind.CONFIRM.type(), "k1"), claimsJson(TokenKind.CONFIRM), key1);

    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void issueWhenAddressGenerationGivenThenAgnClaimRoundTrips() {
    TokenClaims claims = new TokenClaims(SUBJECT, null, 0, 4);
    IssuedToken issued = service.issue(TokenKind.MANAGE, claims, TTL);

    assertTrue(payloadJson(issued.token()).contains("\"agn\":4"), payloadJson(issued.token()));
    TokenCheck.Valid valid =
        assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.MANAGE, issued.token()));
    assertEquals(claims, valid.claims());
    assertEquals(4, valid.claims().sentForAddressGeneration());
  }

  @Test
  void verifyWhenNoAgnClaimThenSentForTheFirstAddressGeneration() {
    // Links signed before tokens carried the address generation were sent when every subject had
    // generation 1.
    IssuedToken issued =
        service.issue(TokenKind.UNSUBSCRIBE, new TokenClaims(SUBJECT, null, 0), TTL);

    TokenCheck.Valid valid =
        assertInstanceOf(
            TokenCheck.Valid.class, service.verify(TokenKind.UNSUBSCRIBE, issued.token()));
    assertEquals(0, valid.claims().addressGeneration());
    assertEquals(1, valid.claims().sentForAddressGeneration());
  }

  @Test
  void verifyWhenForgedAgnIsAPositiveIntegerThenValid() {
    // Guards the forgery of the next test: it differs from this one in the agn value only.
    String payload = claimsJson(TokenKind.MANAGE).replaceFirst("\\}$", ",\"agn\":3}");

    TokenCheck.Valid valid =
        assertInstanceOf(
            TokenCheck.Valid.class,
            service.verify(
                TokenKind.MANAGE,
                sign(header("HS256", TokenKind.MANAGE.type(), "k1"), payload, key1)));
    assertEquals(3, valid.claims().addressGeneration());
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(
      strings = {"0", "-1", "1.5", "\"2\"", "4294967296", "true"})
  void verifyWhenAgnIsNotAPositiveIntegerThenInvalid(String agn) {
    String payload =
        claimsJson(TokenKind.MANAGE)
            .replaceFirst(
                "\\}$", ",\"agn\":" + java.util.regex.Matcher.quoteReplacement(agn) + "}");

    assertInvalid(
        service.verify(
            TokenKind.MANAGE, sign(header("HS256", TokenKind.MANAGE.type(), "k1"), payload, key1)));
  }

  @Test
  void verifyWhenAudIsWrongThenInvalid() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM)).audience("optin4j:manage").build();

    assertInvalid(service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  @Test
  void verifyWhenAudHasSeveralValuesThenInvalid() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM))
            .audience(List.of(TokenKind.CONFIRM.audience(), "other"))
            .build();

    assertInvalid(service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  @Test
  void verifyWhenIssIsWrongThenInvalid() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM)).issuer("https://evil.example/").build();

    assertInvalid(service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  @Test
  void verifyWhenIssuedByServiceWithOtherIssuerAndSameKeyThenInvalid() {
    TokenService other =
        new TokenService(
            SigningKeys.builder().active("k1", key1).build(),
            "https://other.example/",
            clock,
            new SecureRandom());
    String token = other.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  // --- algorithms
  // -------------------------------------------------------------------------------------------------

  @Test
  void verifyWhenAlgIsNoneThenInvalid() {
    String unsigned =
        b64(header("none", TokenKind.CONFIRM.type(), "k1"))
            + "."
            + b64(claimsJson(TokenKind.CONFIRM))
            + ".";

    assertInvalid(service.verify(TokenKind.CONFIRM, unsigned));
    // Even with a signature-shaped third part.
    String withSignature = unsigned + B64URL.encodeToString(new byte[32]);
    assertInvalid(service.verify(TokenKind.CONFIRM, withSignature));
  }

  @ParameterizedTest
  @ValueSource(strings = {"HS384", "HS512"})
  void verifyWhenSignedWithOtherHmacAndSameKeyThenInvalid(String alg) {
    // A 512-bit key is long enough for every HMAC, so Nimbus' MACVerifier alone, which takes the
    // algorithm from the
    // header, would accept these tokens. The service refuses them twice over: for the alg, and
    // because their 48- or
    // 64-byte signature is not the 32 bytes of HS256.
    byte[] longKey = randomKey(64);
    TokenService withLongKey = service(SigningKeys.builder().active("k1", longKey).build());
    String token =
        sign(
            header(alg, TokenKind.CONFIRM.type(), "k1"),
            claimsJson(TokenKind.CONFIRM),
            longKey,
            "HmacSHA" + alg.substring(2));

    assertInvalid(withLongKey.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenSignedWithRs256ThenInvalid() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    KeyPair pair = generator.generateKeyPair();
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.RS256)
            .type(new JOSEObjectType(TokenKind.CONFIRM.type()))
            .keyID("k1")
            .build();
    SignedJWT jwt = new SignedJWT(header, claims(TokenKind.CONFIRM));
    jwt.sign(new RSASSASigner(pair.getPrivate()));

    assertInvalid(service.verify(TokenKind.CONFIRM, jwt.serialize()));
    // The same header with an HMAC-sized signature gets past the shape check and is refused for its
    // alg.
    String hmacSized =
        sign(header("RS256", TokenKind.CONFIRM.type(), "k1"), claimsJson(TokenKind.CONFIRM), key1);
    assertInvalid(service.verify(TokenKind.CONFIRM, hmacSized));
  }

  @Test
  void verifyWhenSignedWithAnotherSecretUnderTheSameKidThenInvalid() {
    String token =
        sign(header("HS256", TokenKind.CONFIRM.type(), "k1"), claimsJson(TokenKind.CONFIRM), key2);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  // --- tampering
  // --------------------------------------------------------------------------------------------------

  @Test
  void verifyWhenAnyBitOfSignatureIsFlippedThenInvalid() {
    assertEveryBitFlipRefused(2);
  }

  @Test
  void verifyWhenAnyBitOfPayloadIsFlippedThenInvalid() {
    assertEveryBitFlipRefused(1);
  }

  @Test
  void verifyWhenAnyBitOfHeaderIsFlippedThenInvalid() {
    assertEveryBitFlipRefused(0);
  }

  @Test
  void verifyWhenSignatureSpelledNonCanonicallyThenInvalid() {
    String token = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    char last = token.charAt(token.length() - 1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // Setting the two unused low bits of the last character decodes to the same 32 bytes.
    char sameBytes = alphabet.charAt(alphabet.indexOf(last) | 1);
    String stem = token.substring(0, token.length() - 1);

    assertInvalid(service.verify(TokenKind.CONFIRM, stem + sameBytes));
    assertInvalid(service.verify(TokenKind.CONFIRM, token + "="));
    assertInvalid(service.verify(TokenKind.CONFIRM, token + "!"));
    assertInvalid(service.verify(TokenKind.CONFIRM, " " + token));
    assertInvalid(service.verify(TokenKind.CONFIRM, token + "\n"));
    assertInvalid(
        service.verify(TokenKind.CONFIRM, stem.substring(0, 20) + "+" + stem.substring(21) + last));
    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenSegmentsAreSwappedBetweenTokensThenInvalid() {
    String[] a = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token().split("\\.");
    String[] b = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token().split("\\.");

    assertInvalid(service.verify(TokenKind.CONFIRM, a[0] + "." + b[1] + "." + a[2]));
  }

  // --- times
  // ------------------------------------------------------------------------------------------------------

  @Test
  void verifyWhenExpiredBeyondSkewThenExpiredWithClaims() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    clock.set(issued.expiresAt().plusSeconds(61));

    TokenCheck.Expired expired =
        assertInstanceOf(
            TokenCheck.Expired.class, service.verify(TokenKind.CONFIRM, issued.token()));
    assertEquals(CONFIRM_CLAIMS, expired.claims());
    assertEquals(issued.id(), expired.id());
    assertEquals(issued.expiresAt(), expired.expiredAt());
  }

  @Test
  void verifyWhenExpiredWithinSkewThenValid() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    clock.set(issued.expiresAt().plusSeconds(60));

    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, issued.token()));
  }

  @Test
  void verifyWhenExpiredButOfAnotherKindThenInvalid() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    clock.set(issued.expiresAt().plus(Duration.ofDays(1)));

    assertInvalid(service.verify(TokenKind.MANAGE, issued.token()));
  }

  @Test
  void verifyWhenExpiredAndTamperedThenInvalid() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    clock.set(issued.expiresAt().plus(Duration.ofDays(1)));

    assertInvalid(service.verify(TokenKind.CONFIRM, flipBit(issued.token(), 2, 5)));
  }

  @Test
  void verifyWhenIssuedAtWithinSkewInTheFutureThenValid() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    // The verifying node's clock is 59 s behind the issuing node's (iat is truncated to 07:08:09).
    clock.set(Instant.parse("2030-05-06T07:07:10Z"));

    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, issued.token()));
  }

  @Test
  void verifyWhenIssuedAtTooFarInTheFutureThenInvalid() {
    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
    clock.set(Instant.parse("2030-05-06T07:07:08Z"));

    assertInvalid(service.verify(TokenKind.CONFIRM, issued.token()));
  }

  @Test
  void verifyWhenNotBeforeInTheFutureThenInvalid() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM))
            .notBeforeTime(java.util.Date.from(START.plus(Duration.ofMinutes(10))))
            .build();

    assertInvalid(service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  @Test
  void verifyWhenNotBeforeInThePastThenValid() {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM))
            .notBeforeTime(java.util.Date.from(START.minus(Duration.ofMinutes(10))))
            .build();

    assertInstanceOf(
        TokenCheck.Valid.class,
        service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  // --- keys
  // -------------------------------------------------------------------------------------------------------

  @Test
  void verifyWhenKidUnknownThenInvalid() {
    String token =
        sign(header("HS256", TokenKind.CONFIRM.type(), "k9"), claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenKidMissingThenInvalid() {
    String token =
        sign(
            "{\"alg\":\"HS256\",\"typ\":\"" + TokenKind.CONFIRM.type() + "\"}",
            claimsJson(TokenKind.CONFIRM),
            key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  // --- headers spelled as this service writes them (checked without a header parse)
  // ------------------------------------------------

  @ParameterizedTest
  @EnumSource(TokenKind.class)
  void issuedTokensOfEveryKindAndKeyCarryAHeaderTheServiceKnows(TokenKind kind) {
    String old = service.issue(kind, claimsFor(kind), TTL).token();
    TokenService rotated =
        service(SigningKeys.builder().active("k2", key2).previous("k1", key1).build());
    String fresh = rotated.issue(kind, claimsFor(kind), TTL).token();

    assertTrue(service.knowsHeaderOf(old));
    assertTrue(rotated.knowsHeaderOf(old));
    assertTrue(rotated.knowsHeaderOf(fresh));
    assertFalse(service.knowsHeaderOf(fresh)); // k2 is not in the old ring
    assertInstanceOf(TokenCheck.Valid.class, rotated.verify(kind, old));
    assertInstanceOf(TokenCheck.Valid.class, rotated.verify(kind, fresh));
  }

  @Test
  void verifyWhenKnownHeaderOfAnotherKindThenInvalid() {
    String manage = service.issue(TokenKind.MANAGE, claimsFor(TokenKind.MANAGE), TTL).token();
    assertTrue(service.knowsHeaderOf(manage));

    assertInvalid(service.verify(TokenKind.CONFIRM, manage));
  }

  @Test
  void verifyWhenKnownHeaderButPayloadSwappedThenInvalid() {
    String a = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    String b = service.issue(TokenKind.CONFIRM, new TokenClaims(SUBJECT, "req-43", 1), TTL).token();
    String[] pa = a.split("\\.");
    String[] pb = b.split("\\.");
    String swapped = pa[0] + "." + pb[1] + "." + pa[2];
    assertTrue(service.knowsHeaderOf(swapped));

    assertInvalid(service.verify(TokenKind.CONFIRM, swapped));
  }

  @Test
  void verifyWhenKnownHeaderSignedWithAnotherKeyThenInvalid() throws Exception {
    String token = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    String signingInput = token.substring(0, token.lastIndexOf('.'));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key2, "HmacSHA256"));
    String forged =
        signingInput + "." + B64URL.encodeToString(mac.doFinal(signingInput.getBytes(UTF_8)));
    assertTrue(service.knowsHeaderOf(forged));

    assertInvalid(service.verify(TokenKind.CONFIRM, forged));
  }

  @Test
  void verifyWhenHeaderSpelledOtherwiseThenCheckedInFullAndValid() {
    // The same header with white space in it: not a spelling this service writes, so
    // the full parse checks it, and it is as valid as before.
    String token =
        sign(
            "{ \"alg\": \"HS256\", \"typ\": \""
                + TokenKind.CONFIRM.type()
                + "\", \"kid\": \"k1\" }",
            claimsJson(TokenKind.CONFIRM),
            key1);
    assertFalse(service.knowsHeaderOf(token));

    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenSignedWithRotatedOutPreviousKeyThenValid() {
    String oldToken = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    TokenService rotated =
        service(SigningKeys.builder().active("k2", key2).previous("k1", key1).build());

    assertInstanceOf(TokenCheck.Valid.class, rotated.verify(TokenKind.CONFIRM, oldToken));
  }

  @Test
  void issueWhenPreviousKeysExistThenSignsWithActiveKey() throws Exception {
    TokenService rotated =
        service(SigningKeys.builder().active("k2", key2).previous("k1", key1).build());
    String token = rotated.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();

    assertEquals("k2", SignedJWT.parse(token).getHeader().getKeyID());
    assertInstanceOf(TokenCheck.Valid.class, rotated.verify(TokenKind.CONFIRM, token));
    // The old ring does not know k2.
    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenKeyRemovedFromRingThenInvalid() {
    String oldToken = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    TokenService withoutK1 = service(SigningKeys.builder().active("k2", key2).build());

    assertInvalid(withoutK1.verify(TokenKind.CONFIRM, oldToken));
  }

  @Test
  void verifyWhenKidPointsToOtherKeyOfTheRingThenInvalid() {
    TokenService rotated =
        service(SigningKeys.builder().active("k2", key2).previous("k1", key1).build());
    // Signed with k1's secret but labelled k2.
    String token =
        sign(header("HS256", TokenKind.CONFIRM.type(), "k2"), claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(rotated.verify(TokenKind.CONFIRM, token));
  }

  // --- refused header parameters
  // ----------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"jku\":\"https://evil.example/jwks.json\"",
        "\"x5u\":\"https://evil.example/cert.pem\"",
        "\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
        "\"x5c\":[\"MIIBszCCAVmgAwIBAgIUZf\"]",
        "\"crit\":[\"exp\"],\"exp\":1",
        "\"crit\":[]",
        "\"cty\":\"JWT\"",
        "\"b64\":false,\"crit\":[\"b64\"]",
        "\"x5t\":\"dGh1bWI\"",
        "\"custom\":1"
      })
  void verifyWhenUnexpectedHeaderParameterPresentThenInvalid(String extra) {
    String header =
        "{\"alg\":\"HS256\",\"typ\":\""
            + TokenKind.CONFIRM.type()
            + "\",\"kid\":\"k1\","
            + extra
            + "}";
    String token = sign(header, claimsJson(TokenKind.CONFIRM), key1);

    assertInvalid(service.verify(TokenKind.CONFIRM, token));
  }

  @Test
  void verifyWhenJkuHeaderPresentThenInvalid() {
    String header =
        "{\"alg\":\"HS256\",\"typ\":\""
            + TokenKind.CONFIRM.type()
            + "\",\"kid\":\"k1\",\"jku\":\"https://evil.example/jwks.json\"}";

    assertInvalid(
        service.verify(TokenKind.CONFIRM, sign(header, claimsJson(TokenKind.CONFIRM), key1)));
  }

  @Test
  void verifyWhenHeaderHasDuplicateAlgThenInvalid() {
    String header =
        "{\"alg\":\"none\",\"alg\":\"HS256\",\"typ\":\""
            + TokenKind.CONFIRM.type()
            + "\",\"kid\":\"k1\"}";

    assertInvalid(
        service.verify(TokenKind.CONFIRM, sign(header, claimsJson(TokenKind.CONFIRM), key1)));
  }

  // --- required claims
  // --------------------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"jti", "sub", "exp", "iat", "iss", "aud"})
  void verifyWhenRequiredClaimMissingThenInvalid(String claim) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.MANAGE)).claim(claim, null).build();
    assertFalse(claims.toString().contains("\"" + claim + "\""), claims.toString());

    assertInvalid(service.verify(TokenKind.MANAGE, signed(TokenKind.MANAGE, claims, key1)));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"short", "", "123e4567-e89b-12d3-a456-426614174000", "QUJDREVGR0hJSktMTU5PUA+"})
  void verifyWhenJtiIsNotA128BitBase64UrlIdThenInvalid(String jti) {
    JWTClaimsSet claims = new JWTClaimsSet.Builder(claims(TokenKind.MANAGE)).jwtID(jti).build();

    assertInvalid(service.verify(TokenKind.MANAGE, signed(TokenKind.MANAGE, claims, key1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"req", "gen"})
  void verifyWhenConfirmLacksRequestOrGenerationThenInvalid(String claim) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM)).claim(claim, null).build();
    assertFalse(claims.toString().contains("\"" + claim + "\""), claims.toString());

    assertInvalid(service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-1", "1.5", "\"3\"", "4294967297", "true"})
  void verifyWhenGenerationIsNotAPositiveIntThenInvalid(String json) {
    for (TokenKind kind : List.of(TokenKind.CONFIRM, TokenKind.MANAGE)) {
      String payload = claimsJson(kind).replace("\"gen\":3", "\"gen\":" + json);
      assertTrue(payload.contains("\"gen\":" + json), payload);

      assertInvalid(
          service.verify(kind, sign(header("HS256", kind.type(), "k1"), payload, key1)),
          kind.name());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"42", "\"\"", "\" \"", "null", "[\"a\"]"})
  void verifyWhenRequestIdIsNotANonBlankStringThenInvalid(String json) {
    String payload = claimsJson(TokenKind.CONFIRM).replace("\"req\":\"req-42\"", "\"req\":" + json);
    assertTrue(payload.contains("\"req\":" + json), payload);

    assertInvalid(
        service.verify(
            TokenKind.CONFIRM,
            sign(header("HS256", TokenKind.CONFIRM.type(), "k1"), payload, key1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"42", "\"\"", "[\"a\"]"})
  void verifyWhenManageRequestIdIsNotANonBlankStringThenInvalid(String json) {
    String payload = claimsJson(TokenKind.MANAGE).replace("\"req\":\"req-42\"", "\"req\":" + json);
    assertTrue(payload.contains("\"req\":" + json), payload);

    assertInvalid(
        service.verify(
            TokenKind.MANAGE, sign(header("HS256", TokenKind.MANAGE.type(), "k1"), payload, key1)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-a-subject-id", "someone@example.com", ""})
  void verifyWhenSubjectIsNotASubjectIdThenInvalid(String subject) {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.MANAGE)).subject(subject).build();

    assertInvalid(service.verify(TokenKind.MANAGE, signed(TokenKind.MANAGE, claims, key1)));
  }

  @Test
  void verifyWhenPayloadIsNotAnObjectThenInvalid() {
    String header = header("HS256", TokenKind.CONFIRM.type(), "k1");

    assertInvalid(service.verify(TokenKind.CONFIRM, sign(header, "[1,2]", key1)));
    assertInvalid(service.verify(TokenKind.CONFIRM, sign(header, "\"x\"", key1)));
    assertInvalid(service.verify(TokenKind.CONFIRM, sign(header, "{", key1)));
    assertInvalid(service.verify(TokenKind.CONFIRM, sign(header, "{\"exp\":\"tomorrow\"}", key1)));
  }

  @Test
  void verifyWhenUnknownClaimPresentThenIgnored() {
    // RFC 7519 section 4: claims that are not understood are ignored, which keeps rolling upgrades
    // possible.
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder(claims(TokenKind.CONFIRM)).claim("x-later", "v").build();

    assertInstanceOf(
        TokenCheck.Valid.class,
        service.verify(TokenKind.CONFIRM, signed(TokenKind.CONFIRM, claims, key1)));
  }

  // --- size and garbage
  // -------------------------------------------------------------------------------------------

  @Test
  void verifyWhenValidlySignedTokenIs2048CharsThenValidAnd2049ThenInvalid() {
    String atLimit = signedTokenOfLength(TokenService.MAX_TOKEN_LENGTH);
    String overLimit = signedTokenOfLength(TokenService.MAX_TOKEN_LENGTH + 1);

    assertEquals(2048, atLimit.length());
    assertEquals(2049, overLimit.length());
    assertInstanceOf(TokenCheck.Valid.class, service.verify(TokenKind.CONFIRM, atLimit));
    assertInvalid(service.verify(TokenKind.CONFIRM, overLimit));
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(
      strings = {
        " ",
        "   ",
        "\t\n",
        "a.b.c",
        "..",
        "...",
        "a..c",
        ".b.c",
        "a.b.",
        "abc",
        "null",
        "{}",
        "eyJhbGciOiJIUzI1NiJ9",
        "eyJhbGciOiJIUzI1NiJ9.e30",
        "eyJhbGciOiJIUzI1NiJ9.e30.",
        "\u0000.\u0000.\u0000",
        "ey\u00e9.ey.sig",
        "Bearer eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "e30.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "W10.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "_____.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
      })
  void verifyWhenGarbageThenInvalid(String token) {
    for (TokenKind kind : TokenKind.values()) {
      assertInvalid(service.verify(kind, token));
    }
  }

  @Test
  void verifyWhenHugeBase64SegmentsThenInvalid() {
    String sig = "A".repeat(43);
    assertInvalid(
        service.verify(TokenKind.CONFIRM, "A".repeat(1_000) + "." + "A".repeat(1_000) + "." + sig));
    assertInvalid(service.verify(TokenKind.CONFIRM, "A".repeat(100_000) + ".e30." + sig));
    assertInvalid(service.verify(TokenKind.CONFIRM, "eyJ".repeat(1_000_000)));
    // Deeply nested JSON inside the size limit.
    String nested = "{\"alg\":" + "[".repeat(700) + "]".repeat(700) + "}";
    String token = b64(nested) + ".e30." + sig;
    assertTrue(token.length() <= TokenService.MAX_TOKEN_LENGTH);
    assertInvalid(service.verify(TokenKind.CONFIRM, token));
    String unclosed = b64("{\"alg\":" + "[".repeat(1_480)) + ".e30." + sig;
    assertTrue(unclosed.length() <= TokenService.MAX_TOKEN_LENGTH);
    assertInvalid(service.verify(TokenKind.CONFIRM, unclosed));
  }

  @Test
  void verifyWhenRandomInputThenInvalidAndNeverThrows() {
    Random random = new Random(20300506L);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\":,";
    for (int i = 0; i < 5_000; i++) {
      int length = random.nextInt(300);
      StringBuilder s = new StringBuilder(length);
      for (int j = 0; j < length; j++) {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      assertInvalid(service.verify(TokenKind.CONFIRM, s.toString()));
    }
    for (int i = 0; i < 2_000; i++) {
      String token =
          b64(randomJsonish(random))
              + "."
              + b64(randomJsonish(random))
              + "."
              + B64URL.encodeToString(new byte[32]);
      assertInvalid(service.verify(TokenKind.CONFIRM, token));
    }
  }

  @Test
  void verifyWhenTokenTruncatedAnywhereThenInvalid() {
    String token = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    for (int end = 0; end < token.length(); end++) {
      assertInvalid(service.verify(TokenKind.CONFIRM, token.substring(0, end)));
      assertInvalid(service.verify(TokenKind.CONFIRM, token.substring(end + 1)));
    }
  }

  // --- thread-safety
  // ----------------------------------------------------------------------------------------------

  @Test
  void issueAndVerifyWhenCalledConcurrentlyThenAllValid() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        results.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 500; i++) {
                    IssuedToken issued = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL);
                    TokenCheck check = service.verify(TokenKind.CONFIRM, issued.token());
                    if (!(check instanceof TokenCheck.Valid valid)
                        || !valid.id().equals(issued.id())) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> result : results) {
        assertTrue(result.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // --- helpers
  // ----------------------------------------------------------------------------------------------------

  private TokenService service(SigningKeys keys) {
    return new TokenService(keys, ISSUER, clock, new SecureRandom());
  }

  private static TokenClaims claimsFor(TokenKind kind) {
    return kind == TokenKind.CONFIRM ? CONFIRM_CLAIMS : new TokenClaims(SUBJECT, null, 0);
  }

  /** Claims as the service would write them for a kind at START, with req and gen for every kind. */
  private static JWTClaimsSet claims(TokenKind kind) {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .audience(kind.audience())
        .subject(SUBJECT.value())
        .issueTime(java.util.Date.from(START))
        .expirationTime(java.util.Date.from(START.plus(TTL)))
        .jwtID("QUJDREVGR0hJSktMTU5PUA")
        .claim("req", "req-42")
        .claim("gen", 3)
        .build();
  }

  private static String claimsJson(TokenKind kind) {
    return claims(kind).toString();
  }

  private static String header(String alg, String typ, String kid) {
    return "{\"alg\":\"" + alg + "\",\"typ\":\"" + typ + "\",\"kid\":\"" + kid + "\"}";
  }

  private static String signed(TokenKind kind, JWTClaimsSet claims, byte[] key) {
    return sign(header("HS256", kind.type(), "k1"), claims.toString(), key);
  }

  private static String sign(String headerJson, String payloadJson, byte[] key) {
    return sign(headerJson, payloadJson, key, "HmacSHA256");
  }

  /** Builds a compact JWS by hand, so that tests can forge what Nimbus' own builders would not produce. */
  private static String sign(
      String headerJson, String payloadJson, byte[] key, String jcaAlgorithm) {
    String signingInput = b64(headerJson) + "." + b64(payloadJson);
    try {
      Mac mac = Mac.getInstance(jcaAlgorithm);
      mac.init(new SecretKeySpec(key, jcaAlgorithm));
      return signingInput + "." + B64URL.encodeToString(mac.doFinal(signingInput.getBytes(UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** A CONFIRM token signed with key1 of exactly the given length, padded with spaces in the JSON. */
  private String signedTokenOfLength(int length) {
    String payload = claimsJson(TokenKind.CONFIRM);
    String header = header("HS256", TokenKind.CONFIRM.type(), "k1");
    for (int headerPad = 0; headerPad < 4; headerPad++) {
      for (int payloadPad = 0; payloadPad < length; payloadPad++) {
        String h = header.substring(0, header.length() - 1) + " ".repeat(headerPad) + "}";
        String p =
            payload.substring(0, payload.length() - 1)
                + ",\"pad\":\""
                + "p".repeat(payloadPad)
                + "\"}";
        int size = b64(h).length() + 1 + b64(p).length() + 1 + 43;
        if (size == length) {
          return sign(h, p, key1);
        }
        if (size > length) {
          break;
        }
      }
    }
    throw new AssertionError("no padding gives length " + length);
  }

  private static String b64(String json) {
    return B64URL.encodeToString(json.getBytes(UTF_8));
  }

  private static String payloadJson(String token) {
    return new String(B64URL_DECODER.decode(token.split("\\.")[1]), UTF_8);
  }

  private void assertEveryBitFlipRefused(int segment) {
    String token = service.issue(TokenKind.CONFIRM, CONFIRM_CLAIMS, TTL).token();
    int bytes = B64URL_DECODER.decode(token.split("\\.")[segment]).length;
    for (int i = 0; i < bytes; i++) {
      for (int bit = 0; bit < 8; bit++) {
        String tampered = flipBit(token, segment, i * 8 + bit);
        assertNotEquals(token, tampered);
        assertInvalid(
            service.verify(TokenKind.CONFIRM, tampered),
            "segment " + segment + " bit " + (i * 8 + bit));
      }
    }
  }

  private static String flipBit(String token, int segment, int bitIndex) {
    String[] parts = token.split("\\.");
    byte[] decoded = B64URL_DECODER.decode(parts[segment]);
    decoded[bitIndex / 8] ^= (byte) (1 << (bitIndex % 8));
    parts[segment] = B64URL.encodeToString(decoded);
    return String.join(".", parts);
  }

  private static String randomJsonish(Random random) {
    String[] pieces = {
      "{",
      "}",
      "[",
      "]",
      "\"alg\"",
      "\"HS256\"",
      "\"none\"",
      ":",
      ",",
      "\"typ\"",
      "\"kid\"",
      "\"k1\"",
      "1e400",
      "-0",
      "null",
      "true",
      "\"\\u0000\"",
      "\"" + TokenKind.CONFIRM.type() + "\"",
      "\"sub\"",
      "\"exp\"",
      "99999999999999999999"
    };
    StringBuilder s = new StringBuilder();
    int n = random.nextInt(20);
    for (int i = 0; i < n; i++) {
      s.append(pieces[random.nextInt(pieces.length)]);
    }
    return s.toString();
  }

  private static void assertInvalid(TokenCheck check) {
    assertInstanceOf(TokenCheck.Invalid.class, check);
  }

  private static void assertInvalid(TokenCheck check, String message) {
    assertInstanceOf(TokenCheck.Invalid.class, check, message);
  }

  private static byte[] randomKey() {
    return randomKey(32);
  }

  private static byte[] randomKey(int bytes) {
    byte[] key = new byte[bytes];
    new SecureRandom().nextBytes(key);
    return key;
  }
}
