package org.optin4j.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;
import org.optin4j.ConfirmationChoice;
import org.optin4j.Consent;
import org.optin4j.ConsentRequest;
import org.optin4j.Evidence;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.keys.ReceiptKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/** Signed consent receipts (GDPR Art. 7(1)): issue, mail, verify, and refuse every kind of forgery. */
class ConsentReceiptsTest {
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final ReceiptKeys keys = ReceiptKeys.generate("r1");
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .receiptKeys(keys)
          .jurisdiction("EU/NL")
          .build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(String email, PurposeId... purposes) {
    return OptInFlow.of(optIn, mailer, clock)
        .readingTime(Duration.ofMinutes(7))
        .confirmed(email, purposes);
  }

  private static String attachedReceipt(MailMessage mail) {
    assertEquals(1, mail.attachments().size(), mail.toString());
    MailMessage.Attachment a = mail.attachments().get(0);
    assertEquals("consent-receipt.jws", a.fileName());
    assertEquals("application/jose", a.contentType());
    return new String(a.content(), StandardCharsets.US_ASCII);
  }

  @Test
  void confirmThenReceiptMailCarriesSignedReceiptThatVerifiesWithThePublishedKeySet() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER, EVENTS);
    String jws = attachedReceipt(mailer.last());

    ReceiptVerification.Valid valid =
        assertInstanceOf(
            ReceiptVerification.Valid.class,
            ConsentReceipts.verify(jws, optIn.rights().receiptJwks()));

    ConsentReceipt r = valid.receipt();
    assertEquals("r1", valid.kid());
    assertEquals("KI-CR-v1.1.0", r.version());
    assertEquals("EU/NL", r.jurisdiction());
    assertEquals(ann, r.subjectId());
    assertFalse(
        r.json().contains("ann@example.org"), "the receipt names the opaque id, never the address");
    assertEquals(Fixtures.controller().name(), r.controllerName());
    assertEquals(Fixtures.controller().address(), r.controllerAddress());
    assertEquals("privacy@bakery.example", r.controllerContact());
    assertEquals("https://bakery.example/privacy", r.policyUrl());
    assertEquals(clock.instant().getEpochSecond(), r.consentTimestamp().getEpochSecond());
    assertEquals(Fixtures.BASE_URL, r.issuer());
    assertEquals("en", r.language());
    assertTrue(
        r.withdrawalMethod().contains(Fixtures.BASE_URL + "/preferences"), r.withdrawalMethod());
    List<Consent> consents = optIn.consents(ann);
    assertEquals(
        List.of(EVENTS, NEWSLETTER),
        r.purposes().stream().map(ConsentReceipt.ReceiptPurpose::id).toList());
    ConsentReceipt.ReceiptPurpose events = r.purposes().get(0);
    assertEquals("Event invitations", events.title());
    assertEquals("GDPR Art. 6(1)(a)", events.legalBasis());
    assertEquals(List.of("email", "first-name"), events.dataCategories());
    assertTrue(
        events.termination().startsWith("ends at 2027-03-02T10:07:00Z"), events.termination());
    assertEquals("until withdrawn", r.purposes().get(1).termination());
    assertEquals(consents.get(0).notice().hash(), events.noticeHash());
    assertEquals(consents.get(0).notice().version(), events.noticeVersion());
    assertEquals("en", events.noticeLanguage());
    // The receipt anchors the stored history: its head hash is in the subject's chain.
    ConsentEvent anchored = optIn.proof().history(ann).get(r.historyPosition() - 1);
    assertEquals(anchored.seal().hash(), r.historyHash());
    assertEquals(ConsentEvent.Type.CONFIRMED, anchored.type());
  }

  @Test
  void receiptOnRequestCoversEveryConfirmedPurposeAndMailReceiptSendsIt() {
    SubjectId ann = confirmed("ann@example.org", NEWSLETTER);
    clock.advance(Duration.ofDays(1));
    RequestResult.Accepted more =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, EVENTS)));
    optIn.operations().dispatchNow();
    optIn.confirm(
        Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
    assertEquals(ann, more.subjectId());

    ConsentReceipt r =
        assertInstanceOf(
                ReceiptVerification.Valid.class,
                ConsentReceipts.verify(
                    optIn.rights().receipt(ann).orElseThrow(), optIn.rights().receiptJwks()))
            .receipt();
    assertEquals(2, r.purposes().size());

    optIn.operations().dispatchNow();
    mailer.clear();
    assertTrue(optIn.rights().mailReceipt(ann));
    assertTrue(optIn.rights().mailReceipt(ann));
    assertTrue(optIn.rights().mailReceipt(ann));
    assertFalse(optIn.rights().mailReceipt(ann), "at most 3 a day");
    optIn.operations().dispatchNow();
    assertEquals(3, mailer.sent().size());
    MailMessage copy = mailer.last();
    assertEquals("ann@example.org", copy.to().value());
    assertTrue(copy.headers().containsKey("List-Unsubscribe"));
    assertInstanceOf(
        ReceiptVerification.Valid.class,
        ConsentReceipts.verify(attachedReceipt(copy), optIn.rights().receiptJwks()));
  }

  @Test
  void receiptWhenNothingConfirmedOrNoSubjectThenEmpty() {
    RequestResult.Accepted pending =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));

    assertEquals(Optional.empty(), optIn.rights().receipt(pending.subjectId()));
    assertFalse(optIn.rights().mailReceipt(pending.subjectId()));
    assertEquals(Optional.empty(), optIn.rights().receipt(new SubjectId("nobody-nobody-nobody-0")));
  }

  @Test
  void withoutReceiptKeysThenNoReceiptIsSignedAndKeySetIsEmpty() {
    try (OptIn plain = Fixtures.optIn(mailer, clock)) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              plain.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
      plain.operations().dispatchNow();
      plain.confirm(
          Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
      plain.operations().dispatchNow();

      assertEquals(List.of(), mailer.last().attachments());
      assertEquals(Optional.empty(), plain.rights().receipt(r.subjectId()));
      assertEquals("{\"keys\":[]}", plain.rights().receiptJwks());
    }
  }

  // --- forgeries
  // -------------------------------------------------------------------------------------------------

  private String receipt() {
    return optIn.rights().receipt(confirmed("ann@example.org", NEWSLETTER)).orElseThrow();
  }

  private static String invalid(ReceiptVerification v) {
    return assertInstanceOf(ReceiptVerification.Invalid.class, v).reason();
  }

  @Test
  void verifyWhenPayloadTamperedThenInvalid() {
    String[] parts = receipt().split("\\.");
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("\"jurisdiction\":\"EU/NL\"", "\"jurisdiction\":\"US\"");
    String forged =
        parts[0]
            + "."
            + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[2];

    assertEquals(
        "signature does not verify",
        invalid(ConsentReceipts.verify(forged, optIn.rights().receiptJwks())));
  }

  @Test
  void verifyWhenHeaderTamperedThenInvalid() {
    String[] parts = receipt().split("\\.");
    String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
    String forgedHeader =
        header.replace("\"kid\":\"r1\"", "\"kid\":\"r1\",\"x5u\":\"https://evil.example/k\"");
    assertFalse(header.equals(forgedHeader), header);

    String withX5u =
        B64.encodeToString(forgedHeader.getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + "."
            + parts[2];
    assertEquals(
        "header may only carry alg, typ and kid",
        invalid(ConsentReceipts.verify(withX5u, optIn.rights().receiptJwks())));
    String otherType =
        B64.encodeToString(
                header.replace("consent-receipt+jwt", "JWT").getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + "."
            + parts[2];
    assertEquals(
        "typ must be consent-receipt+jwt",
        invalid(ConsentReceipts.verify(otherType, optIn.rights().receiptJwks())));
  }

  @Test
  void verifyWhenSignatureTamperedThenInvalid() {
    String jws = receipt();
    String[] parts = jws.split("\\.");
    byte[] sig = Base64.getUrlDecoder().decode(parts[2]);
    sig[10] ^= 1;

    assertEquals(
        "signature does not verify",
        invalid(
            ConsentReceipts.verify(
                parts[0] + "." + parts[1] + "." + B64.encodeToString(sig),
                optIn.rights().receiptJwks())));
    assertTrue(
        invalid(
                    ConsentReceipts.verify(
                        parts[0] + "." + parts[1] + ".", optIn.rights().receiptJwks()))
                .length()
            > 0);
  }

  @Test
  void verifyWithAnotherKeyOfTheSameKidThenInvalid() {
    String jws = receipt();

    assertEquals(
        "signature does not verify",
        invalid(ConsentReceipts.verify(jws, ReceiptKeys.generate("r1").publicJwks())));
    assertEquals(
        "no EC P-256 key with the receipt's kid in the key set",
        invalid(ConsentReceipts.verify(jws, ReceiptKeys.generate("r2").publicJwks())));
  }

  @Test
  void verifyWhenAlgNoneThenInvalid() {
    String[] parts = receipt().split("\\.");
    String none =
        B64.encodeToString(
                "{\"alg\":\"none\",\"typ\":\"consent-receipt+jwt\",\"kid\":\"r1\"}"
                    .getBytes(StandardCharsets.UTF_8))
            + "."
            + parts[1]
            + ".";

    assertEquals(
        "not a compact JWS with a JWS algorithm",
        invalid(ConsentReceipts.verify(none, optIn.rights().receiptJwks())));
  }

  @Test
  void verifyWhenHs256SignedWithThePublicKeyAsSecretThenInvalid() throws Exception {
    String[] parts = receipt().split("\\.");
    // The classic confusion attack: an HMAC keyed with the public key text everyone can download.
    byte[] secret = optIn.rights().receiptJwks().getBytes(StandardCharsets.UTF_8);
    JWSObject hs =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.HS256)
                .type(new JOSEObjectType("consent-receipt+jwt"))
                .keyID("r1")
                .build(),
            new Payload(Base64.getUrlDecoder().decode(parts[1])));
    hs.sign(new MACSigner(secret));

    assertEquals(
        "algorithm must be ES256, was HS256",
        invalid(ConsentReceipts.verify(hs.serialize(), optIn.rights().receiptJwks())));
  }

  @Test
  void verifyWhenAttackerEmbedsHisOwnKeyInTheHeaderThenInvalid() throws Exception {
    ECKey attacker = new ECKeyGenerator(Curve.P_256).keyID("r1").generate();
    String[] parts = receipt().split("\\.");
    JWSObject forged =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("consent-receipt+jwt"))
                .keyID("r1")
                .jwk(attacker.toPublicJWK())
                .build(),
            new Payload(Base64.getUrlDecoder().decode(parts[1])));
    forged.sign(new ECDSASigner(attacker));

    assertEquals(
        "header may only carry alg, typ and kid",
        invalid(ConsentReceipts.verify(forged.serialize(), optIn.rights().receiptJwks())));
    // Without the jwk header, his signature does not verify against the published key either.
    JWSObject plain =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("consent-receipt+jwt"))
                .keyID("r1")
                .build(),
            new Payload(Base64.getUrlDecoder().decode(parts[1])));
    plain.sign(new ECDSASigner(attacker));
    assertEquals(
        "signature does not verify",
        invalid(ConsentReceipts.verify(plain.serialize(), optIn.rights().receiptJwks())));
  }

  @Test
  void verifyWhenGarbageOrHugeOrBadKeySetThenInvalidWithoutThrowing() {
    String jws = receipt();
    for (String garbage : new String[] {"", "a.b.c", "....", "x".repeat(70_000), null}) {
      assertInstanceOf(
          ReceiptVerification.Invalid.class,
          ConsentReceipts.verify(garbage, optIn.rights().receiptJwks()));
    }
    for (String set :
        new String[] {
          "", "{}", "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"kid\":\"r1\"}]}", null
        }) {
      assertInstanceOf(ReceiptVerification.Invalid.class, ConsentReceipts.verify(jws, set));
    }
  }

  @Test
  void verifyWhenSignedJsonIsNotAReceiptThenInvalid() throws Exception {
    ECKey key = ECKey.parse(keys.activePrivateJwk());
    JWSObject other =
        new JWSObject(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .type(new JOSEObjectType("consent-receipt+jwt"))
                .keyID("r1")
                .build(),
            new Payload("{\"hello\":1}"));
    other.sign(new ECDSASigner(key));

    assertEquals(
        "malformed receipt payload",
        invalid(ConsentReceipts.verify(other.serialize(), optIn.rights().receiptJwks())));
  }

  // --- keys
  // ------------------------------------------------------------------------------------------------------

  @Test
  void receiptKeysFromJwkThenSameKeySignsForTheSameKeySet() {
    ReceiptKeys loaded = ReceiptKeys.fromJwk(keys.activePrivateJwk());

    assertEquals("r1", loaded.activeKid());
    assertEquals(keys.publicJwks(), loaded.publicJwks());
    assertFalse(keys.publicJwks().contains("\"d\""), "the key set is public");
    assertTrue(keys.activePrivateJwk().contains("\"d\""));
    assertEquals("ReceiptKeys[active=r1, kids=[r1]]", keys.toString());
  }

  @Test
  void receiptKeysFromPemThenUsableAndMismatchedPairRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    KeyPair other = g.generateKeyPair();

    ReceiptKeys loaded =
        ReceiptKeys.fromPem(
            "pem-1",
            pem("PRIVATE KEY", pair.getPrivate().getEncoded()),
            pem("PUBLIC KEY", pair.getPublic().getEncoded()));
    assertEquals("pem-1", loaded.activeKid());

    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                ReceiptKeys.fromPem(
                    "pem-2",
                    pem("PRIVATE KEY", pair.getPrivate().getEncoded()),
                    pem("PUBLIC KEY", other.getPublic().getEncoded())));
    assertTrue(e.getMessage().contains("do not belong together"), e.getMessage());
    assertThrows(
        ConfigurationException.class, () -> ReceiptKeys.fromPem("pem-3", "no pem", "no pem"));
  }

  @Test
  void receiptKeysRefuseOtherCurvesRsaPublicOnlyActiveAndBadKids() throws Exception {
    String p384 = new ECKeyGenerator(Curve.P_384).keyID("k").generate().toJSONString();
    assertThrows(ConfigurationException.class, () -> ReceiptKeys.fromJwk(p384));
    assertThrows(ConfigurationException.class, () -> ReceiptKeys.fromJwk(keys.activePublicJwk()));
    assertThrows(
        ConfigurationException.class,
        () -> ReceiptKeys.fromJwk("{\"kty\":\"oct\",\"k\":\"AAAA\"}"));
    assertThrows(ConfigurationException.class, () -> ReceiptKeys.generate("bad kid!"));
    assertThrows(ConfigurationException.class, () -> keys.withPrevious(keys.activePublicJwk()));
  }

  @Test
  void afterKeyRotationOldReceiptsStillVerifyWithTheNewKeySet() {
    String old = receipt();
    ReceiptKeys rotated = ReceiptKeys.generate("r2").withPrevious(keys.activePublicJwk());

    assertEquals(List.of("r2", "r1"), rotated.kids());
    assertInstanceOf(
        ReceiptVerification.Valid.class, ConsentReceipts.verify(old, rotated.publicJwks()));
  }

  private static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder().encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }
}
