package org.optin4j.lists;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.FileInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Amazon SES notifications through SNS, signed with a key pair and certificate made for the test (keytool), the
 * certificate handed out by an injected fetcher: valid signatures (versions 1 and 2) drive the outcomes, an invalid one,
 * a foreign topic or a signing certificate URL off Amazon's SNS hosts is refused and keeps nothing.
 */
class SesSnsNotificationTest {
  private static final String TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-bounces";
  private static final String CERT_URL =
      "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem";
  private static PrivateKey key;
  private static X509Certificate certificate;

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
          .bounceAddress("bounces", BouncesTest.DOMAIN)
          .build();
  private final List<URI> fetched = new ArrayList<>();
  private final SnsSettings settings =
      new SnsSettings(
          Set.of(TOPIC),
          url -> {
            fetched.add(url);
            return certificate;
          });

  @BeforeAll
  static void keyPairAndCertificate(@TempDir Path dir) throws Exception {
    Path store = dir.resolve("sns.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "sns",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=sns.test.example",
                "-validity",
                "3650",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                "test-pass",
                "-keypass",
                "test-pass")
            .redirectErrorStream(true)
            .start();
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, keytool.exitValue(), new String(keytool.getInputStream().readAllBytes()));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (FileInputStream in = new FileInputStream(store.toFile())) {
      ks.load(in, "test-pass".toCharArray());
    }
    key = (PrivateKey) ks.getKey("sns", "test-pass".toCharArray());
    certificate = (X509Certificate) ks.getCertificate("sns");
    Files.deleteIfExists(store);
  }

  @AfterEach
  void close() {
    optIn.close();
  }

  private String confirmedVerp(String email) {
    return ReportMessages.confirmedVerp(optIn, mailer, email);
  }

  private static String bounce(String verp, String type, String status) {
    return JSONObjectUtils.toJSONString(
        Map.of(
            "notificationType",
            "Bounce",
            "bounce",
            Map.of(
                "bounceType",
                type,
                "bounceSubType",
                "General",
                "bouncedRecipients",
                List.of(
                    Map.of(
                        "emailAddress",
                        "ann@example.org",
                        "status",
                        status,
                        "diagnosticCode",
                        "smtp; 550 " + status + " mailbox does not exist"))),
            "mail",
            Map.of(
                "source",
                verp,
                "messageId",
                "0102019a-ses-id",
                "destination",
                List.of("ann@example.org"))));
  }

  private static String complaint(String verp) {
    return JSONObjectUtils.toJSONString(
        Map.of(
            "notificationType",
            "Complaint",
            "complaint",
            Map.of(
                "complainedRecipients",
                List.of(Map.of("emailAddress", "ann@example.org")),
                "complaintFeedbackType",
                "abuse"),
            "mail",
            Map.of("source", verp, "messageId", "0102019a-ses-id")));
  }

  /** An SNS message around {@code message}, signed as SNS signs (the string of its fields), in the given version. */
  private static Map<String, Object> sns(
      String type, String message, String version, String certUrl) throws Exception {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("Type", type);
    m.put("MessageId", "6f1c2b4e-0000-4000-8000-000000000001");
    m.put("TopicArn", TOPIC);
    m.put("Message", message);
    m.put("Timestamp", "2026-03-02T10:00:05.000Z");
    if (!type.equals("Notification")) {
      m.put("Token", "2336412f37fb687f5d51e6e2425c464de12884");
      m.put(
          "SubscribeURL",
          "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336");
    }
    m.put("SignatureVersion", version);
    m.put("SigningCertURL", certUrl);
    sign(m);
    return m;
  }

  private static void sign(Map<String, Object> m) throws Exception {
    List<String> fields =
        m.get("Type").equals("Notification")
            ? List.of("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
            : List.of(
                "Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type");
    StringBuilder s = new StringBuilder();
    for (String f : fields) {
      if (m.containsKey(f)) {
        s.append(f).append('\n').append(m.get(f)).append('\n');
      }
    }
    Signature signer =
        Signature.getInstance(
            m.get("SignatureVersion").equals("1") ? "SHA1withRSA" : "SHA256withRSA");
    signer.initSign(key);
    signer.update(s.toString().getBytes(StandardCharsets.UTF_8));
    m.put("Signature", Base64.getEncoder().encodeToString(signer.sign()));
  }

  private ReportOutcome post(Map<String, Object> m) {
    return optIn.bounces().sns(JSONObjectUtils.toJSONString(m), settings);
  }

  @Test
  void validVersion2PermanentBounceMarksTheAddressUndeliverable() throws Exception {
    String verp = confirmedVerp("ann@example.org");

    ReportOutcome outcome =
        post(sns("Notification", bounce(verp, "Permanent", "5.1.1"), "2", CERT_URL));

    assertEquals("5.1.1", assertInstanceOf(ReportOutcome.Undeliverable.class, outcome).status());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertEquals(List.of(URI.create(CERT_URL)), fetched);
  }

  @Test
  void validVersion1TransientBounceIsCounted() throws Exception {
    String verp = confirmedVerp("ann@example.org");

    ReportOutcome outcome =
        post(sns("Notification", bounce(verp, "Transient", "4.2.2"), "1", CERT_URL));

    assertEquals(1, assertInstanceOf(ReportOutcome.SoftBounce.class, outcome).count());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void validComplaintWithdrawsEveryPurpose() throws Exception {
    String verp = confirmedVerp("ann@example.org");

    ReportOutcome outcome = post(sns("Notification", complaint(verp), "2", CERT_URL));

    assertEquals(
        Set.of(NEWSLETTER), assertInstanceOf(ReportOutcome.Complaint.class, outcome).withdrawn());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void invalidSignatureIsRefusedAndKeepsNothing() throws Exception {
    String verp = confirmedVerp("ann@example.org");
    Map<String, Object> m = sns("Notification", bounce(verp, "Transient", "4.2.2"), "2", CERT_URL);
    m.put("Message", bounce(verp, "Permanent", "5.1.1")); // changed after signing

    ReportOutcome.Refused r = assertInstanceOf(ReportOutcome.Refused.class, post(m));

    assertTrue(r.reason().contains("does not verify"), r.reason());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.bounces().setAside(10).isEmpty());
  }

  @Test
  void signingCertificateOffAmazonSnsHostsIsRefusedWithoutFetching() throws Exception {
    String verp = confirmedVerp("ann@example.org");
    for (String url :
        List.of(
            "http://sns.eu-west-1.amazonaws.com/cert.pem",
            "https://sns.eu-west-1.amazonaws.com.attacker.example/cert.pem",
            "https://attacker.example/sns.eu-west-1.amazonaws.com/cert.pem",
            "https://sns.eu-west-1.amazonaws.com:8443/cert.pem")) {
      ReportOutcome outcome =
          post(sns("Notification", bounce(verp, "Permanent", "5.1.1"), "2", url));
      assertInstanceOf(ReportOutcome.Refused.class, outcome, url);
    }
    assertTrue(fetched.isEmpty());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void foreignTopicOrOtherVersionIsRefused() throws Exception {
    String verp = confirmedVerp("ann@example.org");
    Map<String, Object> foreign = sns("Notification", complaint(verp), "2", CERT_URL);
    foreign.put("TopicArn", "arn:aws:sns:eu-west-1:999999999999:theirs");
    sign(foreign);
    assertInstanceOf(ReportOutcome.Refused.class, post(foreign));
    assertInstanceOf(
        ReportOutcome.Refused.class, post(sns("Notification", complaint(verp), "3", CERT_URL)));
    assertInstanceOf(ReportOutcome.Refused.class, optIn.bounces().sns("not json", settings));
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void subscriptionConfirmationIsVerifiedAndLeftToTheOperator() throws Exception {
    ReportOutcome outcome =
        post(
            sns(
                "SubscriptionConfirmation",
                "You have chosen to subscribe to the topic.",
                "2",
                CERT_URL));

    assertTrue(
        assertInstanceOf(ReportOutcome.NothingToDo.class, outcome)
            .reason()
            .contains("SubscribeURL"));
  }
}
