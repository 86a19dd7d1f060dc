package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.AdditionalAnswers.delegatesTo;
import static org.mockito.Mockito.doReturn;
import static org.mockito.Mockito.mock;
import static org.optin4j.Fixtures.NEWSLETTER;

import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.internal.ServiceCore;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.rights.StepUpResult;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Internationalised addresses end to end in the core: IDN domains (one person under both spellings, mailed at the
 * A-label, exported as typed), RFC 6531 local parts (refused without SMTPUTF8, accepted with it), mis-decoded input.
 */
class InternationalAddressTest {
  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final OptIn optIn =
      Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private SubjectId confirmed(OptIn o, String email) {
    return OptInFlow.of(o, mailer, clock)
        .pauseAfterwards(Duration.ofMinutes(5))
        .confirmed(email, NEWSLETTER);
  }

  @Test
  void requestWhenIdnDomainThenConfirmationMailGoesToTheALabel() {
    optIn.request(ConsentRequest.of("idn@bücher.example", Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();

    MailMessage mail = mailer.last();
    assertEquals("idn@xn--bcher-kva.example", mail.to().value());
    assertEquals("idn@bücher.example", mail.to().unicode());
  }

  @Test
  void requestWhenEitherSpellingOfTheDomainThenOneSubject() {
    RequestResult.Accepted unicode =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("idn@bücher.example", Locale.ENGLISH, NEWSLETTER)));
    clock.advance(Duration.ofMinutes(10));
    RequestResult.Accepted ascii =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("IDN@XN--BCHER-KVA.EXAMPLE", Locale.ENGLISH, NEWSLETTER)));

    assertEquals(unicode.subjectId(), ascii.subjectId());
  }

  @Test
  void eraseWhenIdnAddressThenSuppressionMatchesBothSpellings() {
    SubjectId id = confirmed(optIn, "idn@bücher.example");
    SubjectId other = confirmed(optIn, "idn2@xn--bcher-kva.example");

    assertTrue(optIn.rights().erase(id, Channel.OPERATOR));
    assertTrue(optIn.rights().erase(other, Channel.OPERATOR));

    assertTrue(optIn.rights().isSuppressed("idn@xn--bcher-kva.example"));
    assertTrue(optIn.rights().isSuppressed("IDN@Bücher.example"));
    assertTrue(optIn.rights().isSuppressed("idn2@bücher.example"));
    assertTrue(optIn.rights().isSuppressed("idn2@xn--bcher-kva.example"));
    assertFalse(optIn.rights().isSuppressed("idn@bucher.example"));
  }

  @Test
  void suppressionKeyOfAnAsciiAddressIsTheHmacOfItsLowercaseFormAsBefore() throws Exception {
    // Stored suppression hashes of ASCII addresses stay valid: the canonical form of an ASCII
    // address did not change.
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Fixtures.PEPPER, "HmacSHA256"));
    String expected =
        HexFormat.of()
            .formatHex(mac.doFinal("ann.smith+x@example.org".getBytes(StandardCharsets.UTF_8)));

    assertEquals(
        expected,
        ServiceCore.addressKey(
            new SecretKeySpec(Fixtures.PEPPER, "HmacSHA256"),
            EmailAddress.parse(" Ann.Smith+X@Example.ORG ")));
  }

  @Test
  void exportWhenIdnAddressThenShowsItAsTypedAndValidatesAgainstTheSchema() throws Exception {
    SubjectId id = confirmed(optIn, "Zoe@Bücher.example");

    String json = optIn.rights().exportJson(id).orElseThrow();

    assertTrue(json.contains("\"email\":\"zoe@bücher.example\""), json);
    Schema schema =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
            .getSchema(Files.readString(Path.of("../docs/export-schema.json")), InputFormat.JSON);
    assertEquals(List.of(), schema.validate(json, InputFormat.JSON));
  }

  @Test
  void requestWhenLocalPartNotAsciiAndMailerLacksSmtpUtf8ThenRefusedSayingWhyAndNothingQueued() {
    RequestResult r =
        optIn.request(ConsentRequest.of("zoë@example.org", Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();

    RequestResult.InvalidAddress invalid = assertInstanceOf(RequestResult.InvalidAddress.class, r);
    assertEquals(
        "invalid email address: the local part is not ASCII, and the mail server is not set up for SMTPUTF8"
            + " (RFC 6531)",
        invalid.reason());
    assertFalse(optIn.canMail(EmailAddress.parse("zoë@example.org")));
    assertTrue(
        optIn.canMail(EmailAddress.parse("zoe@bücher.example")),
        "an IDN domain alone needs no SMTPUTF8");
    assertTrue(optIn.findSubject("zoë@example.org").isEmpty());
    assertTrue(mailer.sent().isEmpty());
  }

  @Test
  void requestWhenLocalPartNotAsciiAndMailerSendsSmtpUtf8ThenMailedUnchanged() {
    Mailer utf8 = mock(Mailer.class, delegatesTo(mailer));
    doReturn(true).when(utf8).sendsSmtpUtf8();
    try (OptIn o = Fixtures.builder(InMemoryConsentStore.create(), utf8, clock).build()) {
      SubjectId id = confirmed(o, "Zoë@Bücher.example");

      assertTrue(o.canMail(EmailAddress.parse("zoë@example.org")));
      assertEquals("zoë@xn--bcher-kva.example", o.subject(id).orElseThrow().email().value());
      assertEquals("zoë@xn--bcher-kva.example", mailer.sent().get(0).to().value());
      assertTrue(o.mayMail("zoë@bücher.example", NEWSLETTER));
    }
  }

  @Test
  void requestAddressChangeWhenLocalPartNotAsciiAndMailerLacksSmtpUtf8ThenRefused() {
    SubjectId id = confirmed(optIn, "ann@example.org");

    RequestResult r =
        optIn.rights().requestAddressChange(id, "zoë@example.org", Locale.ENGLISH, Evidence.NONE);

    assertInstanceOf(RequestResult.InvalidAddress.class, r);
  }

  @Test
  void stepUpAddressChangeWhenLocalPartNotAsciiAndMailerLacksSmtpUtf8ThenRefusedBeforeAnyMail() {
    confirmed(optIn, "ann@example.org");
    String preferences = Fixtures.token(mailer.last().text(), "preferences");
    mailer.clear();

    StepUpResult r =
        optIn
            .rights()
            .stepUpAddressChange(preferences, "zoë@example.org", Locale.ENGLISH, Evidence.NONE);
    optIn.operations().dispatchNow();

    assertInstanceOf(StepUpResult.InvalidAddress.class, r);
    assertTrue(mailer.sent().isEmpty());
  }

  @Test
  void signupWhenAddressLooksMisdecodedThenRefusedSayingWhyBeforeAnyRequestAndNothingMailed() {
    // "bücher" as UTF-8 bytes read as ISO-8859-1: IDNA 2003 made the valid, different domain
    // xn--b14cher-xwa2143e.
    AddressCheck r = EmailAddress.check("idn@bÃ¼cher.example");

    assertEquals(
        new AddressCheck.Refused(
            AddressCheck.Reason.WRONG_CHARACTER_SET,
            "invalid email address: looks like UTF-8 text decoded with the wrong character set"),
        r);
    assertThrows(
        IllegalArgumentException.class,
        () -> ConsentRequest.of("idn@bÃ¼cher.example", Locale.ENGLISH, NEWSLETTER));
    optIn.operations().dispatchNow();
    assertTrue(mailer.sent().isEmpty());
  }
}
