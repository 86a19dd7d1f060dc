package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class EmailAddressTest {

  // ---------------------------------------------------------------------------------------------------------------
  // Normalisation

  @ParameterizedTest
  @CsvSource({
    "ann@example.org, ann@example.org",
    "Ann@Example.ORG, ann@example.org",
    "ANN.SMITH@EXAMPLE.ORG, ann.smith@example.org",
    "Ann+News@Sub.Example.Org, ann+news@sub.example.org",
  })
  void parseWhenMixedCaseThenLocalPartAndDomainLowercased(String input, String expected) {
    assertEquals(expected, EmailAddress.parse(input).value());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "  ann@example.org",
        "ann@example.org  ",
        " \u2003ann@example.org\u2003 ",
        "\u3000ann@example.org"
      })
  void parseWhenSurroundedBySpacesThenTrimmed(String input) {
    assertEquals("ann@example.org", EmailAddress.parse(input).value());
  }

  @ParameterizedTest
  @CsvSource({
    "ann@bücher.example, ann@xn--bcher-kva.example",
    "ann@BÜCHER.example, ann@xn--bcher-kva.example",
    "ANN@BÜCHER.EXAMPLE, ann@xn--bcher-kva.example",
    "ann@münchen.de, ann@xn--mnchen-3ya.de",
    "ann@пример.рф, ann@xn--e1afmkfd.xn--p1ai",
    "ann@例え.テスト, ann@xn--r8jz45g.xn--zckzah",
    "ann@xn--bcher-kva.example, ann@xn--bcher-kva.example",
    "ann@XN--BCHER-KVA.EXAMPLE, ann@xn--bcher-kva.example",
  })
  void parseWhenInternationalisedDomainThenALabel(String input, String expected) {
    assertEquals(expected, EmailAddress.parse(input).value());
  }

  @Test
  void parseWhenIdeographicFullStopThenDot() {
    // IDNA (RFC 3490 section 3.1) treats U+3002 as a label separator.
    assertEquals("ann@example.org", EmailAddress.parse("ann@example\u3002org").value());
  }

  @ParameterizedTest
  @CsvSource({
    "ann@example.org., ann@example.org",
    "ann@bücher.example., ann@xn--bcher-kva.example"
  })
  void parseWhenTrailingDotThenRemoved(String input, String expected) {
    assertEquals(expected, EmailAddress.parse(input).value());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann.smith@example.org",
        "ann+newsletter@example.org",
        "a.b.c+d+e@example.org",
        "!#$%&'*+/=?^_`{|}~-@example.org",
        "a@example.org",
        "ann@a.b.c.d.example",
        "ann@1example.org",
        "ann@ex-ample.org",
        "ann@example.co.uk",
      })
  void parseWhenAlreadyNormalThenUnchanged(String input) {
    EmailAddress address = EmailAddress.parse(input);

    assertEquals(input, address.value());
    assertEquals(address, new EmailAddress(input));
  }

  @Test
  void parseWhenDotsAndTagsThenKept() {
    assertNotEquals(
        EmailAddress.parse("ann.smith@example.org"), EmailAddress.parse("annsmith@example.org"));
    assertNotEquals(EmailAddress.parse("ann+x@example.org"), EmailAddress.parse("ann@example.org"));
  }

  @Test
  void parseWhenSameAddressInDifferentFormsThenEqual() {
    assertEquals(
        EmailAddress.parse("ann@xn--bcher-kva.example"),
        EmailAddress.parse(" ANN@Bücher.Example. "));
    assertEquals(
        EmailAddress.parse("ann@xn--bcher-kva.example").hashCode(),
        EmailAddress.parse(" ANN@Bücher.Example. ").hashCode());
  }

  @Test
  void localPartAndDomainThenSplitAtLastAt() {
    EmailAddress address = EmailAddress.parse("Ann.Smith+x@Bücher.Example");

    assertEquals("ann.smith+x", address.localPart());
    assertEquals("xn--bcher-kva.example", address.domain());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Refusals

  static Stream<Arguments> controlCharacters() {
    return Stream.of(
            "ann@example.org\r\n",
            "ann@example.org\n",
            "ann@example.org\r",
            "\r\nann@example.org",
            "\nann@example.org",
            "ann@example.org\u0000",
            "\u0000ann@example.org",
            "ann\r\n@example.org",
            "ann@exa\nmple.org",
            "ann\u0000@example.org",
            "ann@example.org\r\nBcc: victim@example.org",
            "ann@example.org\tx",
            "\tann@example.org",
            "ann@example.org\u007f",
            "ann@example.org\u0085")
        .map(Arguments::of);
  }

  @ParameterizedTest
  @MethodSource("controlCharacters")
  void parseWhenControlCharacterAnywhereThenRefused(String input) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));

    assertEquals(
        "invalid email address: contains a control character or an invalid domain", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"ann\"@example.org",
        "\"ann smith\"@example.org",
        "\"ann@home\"@example.org",
        "\"a\\\"b\"@example.org",
      })
  void parseWhenQuotedLocalPartThenRefused(String input) {
    assertRefused(input, "local part has characters outside the RFC 5322 dot-atom");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann(comment)@example.org",
        "ann smith@example.org",
        "ann,bob@example.org",
        "ann@bob@example.org",
        "<ann>@example.org",
      })
  void parseWhenLocalPartOutsideDotAtomThenRefused(String input) {
    assertRefused(input, "local part has characters outside the RFC 5322 dot-atom");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann..smith@example.org",
        ".ann@example.org",
        "ann.@example.org",
        "..@example.org"
      })
  void parseWhenLocalPartHasDoubleOrEdgeDotThenRefused(String input) {
    assertRefused(input, "local part has characters outside the RFC 5322 dot-atom");
  }

  @ParameterizedTest
  @CsvSource({
    "jürgen@example.org, jürgen@example.org",
    "Anné@example.org, anné@example.org",
    "ZOË@Example.org, zoë@example.org",
    "用户@例子.广告, 用户@xn--fsqu00a.xn--4rr70v",
    "почта@пример.рф, почта@xn--e1afmkfd.xn--p1ai",
  })
  void parseWhenLocalPartNotAsciiThenKeptAsTypedAndLowercased(String input, String expected) {
    EmailAddress address = EmailAddress.parse(input);

    assertEquals(expected, address.value());
    assertTrue(address.needsSmtpUtf8());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\u212Aim@example.org", // KELVIN SIGN: NFKC and lowercase make it ASCII k, so it must not
        // pass as kim@
        "ﬀ@example.org", // a ligature: compatibility characters are refused, never rewritten
        "ａnn@example.org", // full-width a
        "zoe\u0308@example.org", // e and a combining diaeresis: not NFC
      })
  void parseWhenLocalPartNotNfkcThenRefused(String input) {
    assertRefused(
        input, "local part has Unicode compatibility characters or is not in normal form NFKC");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann\u00a0smith@example.org",
        "ann\u200Dsmith@example.org",
        "ann\u202Esmith@example.org",
        "ann€@example.org",
        "ann…@example.org"
      })
  void parseWhenLocalPartHasNonAsciiSpaceFormatOrSymbolThenRefused(String input) {
    assertRefused(input, "local part has characters outside the RFC 5322 dot-atom");
  }

  @ParameterizedTest
  @ValueSource(strings = {"pаypal@example.org", "аnn.smith@example.org", "αnn@example.org"})
  void parseWhenLocalPartMixesScriptsThenRefused(String input) {
    assertRefused(input, "local part mixes scripts");
  }

  @Test
  void parseWhenLocalPartIsDottedIWithoutAsciiLowercaseThenKeptNotFoldedToAscii() {
    // U+0130 lowercases to ASCII i: kept as typed, so it never passes as ilker@.
    assertEquals("\u0130lker@example.org", EmailAddress.parse("\u0130lker@example.org").value());
    assertNotEquals(
        EmailAddress.parse("ilker@example.org"), EmailAddress.parse("\u0130lker@example.org"));
  }

  @Test
  void parseWhenUnicodeLocalPartOver64OctetsThenRefused() {
    assertEquals(
        "ü".repeat(32) + "@example.org",
        EmailAddress.parse("ü".repeat(32) + "@example.org").value());
    assertRefused("ü".repeat(33) + "@example.org", "local part must have 1 to 64 characters");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // IDNA 2008 / UTS 46, round trips, mis-decoded input

  @ParameterizedTest
  @CsvSource({
    "ann@straße.de, ann@xn--strae-oqa.de",
    "ann@STRASSE.de, ann@strasse.de",
    "ann@ẞtraße.de, ann@xn--trae-unad.de", // capital sharp s lowers to ß, not ss
    "ann@xn--strae-oqa.de, ann@xn--strae-oqa.de",
    "ann@σοφία.gr, ann@xn--kxae4bpq.gr", // final sigma kept (IDNA 2003 maps it to σ)
    "ann@ｂücher.example, ann@xn--bcher-kva.example", // full-width b folds to b
    "ann@مثال.إختبار, ann@xn--mgbh0fb.xn--kgbechtv",
    "ann@l·l.cat, ann@xn--ll-0ea.cat",
  })
  void parseWhenDeviationOrCompatibilityCharactersThenNontransitionalALabel(
      String input, String expected) {
    assertEquals(expected, EmailAddress.parse(input).value());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "idn@bÃ¼cher.example", // bücher read as ISO-8859-1: the bug that mailed
        // xn--b14cher-xwa2143e
        "zoÃ«@example.org",
        "ann@cafÃ©.example",
        "donâ€™t@example.org", // ’ read as windows-1252
      })
  void parseWhenTextLooksMisdecodedThenRefused(String input) {
    assertRefused(input, "looks like UTF-8 text decoded with the wrong character set");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ann@pаypal.example", "ann@xn--pypal-4ve.example", "ann@gοogle.example"})
  void parseWhenDomainLabelMixesScriptsThenRefused(String input) {
    assertRefused(input, "domain mixes scripts in one label");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ann@例えtest.テスト", "ann@日本ひらがなカタカナ.example", "ann@한국中文.example"})
  void parseWhenScriptMixIsHighlyRestrictiveThenAccepted(String input) {
    assertTrue(EmailAddress.tryParse(input).isPresent(), input);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann@xn--b14cher-xwa2143e.example", // decodes to b, ã, 1, fraction slash, 4, cher: not IDNA
        // 2008
        "ann@xn--zz.example", // not Punycode
        "ann@xn--bcher-kva-.example",
        "ann@xn--abc.example", // decodes to ASCII only
        "ann@xn--bcher-kva-bcher-kva.example",
      })
  void parseWhenALabelDoesNotRoundTripThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann@b⒈com.example", // NFKC would turn ⒈ into "1." and add a label
        "ann@bü\u200Dcher.example", // ZWJ without a virama before it
        "ann@bü\u200Ccher.example",
        "ann@bü☃cher.example", // a symbol
        "ann@\u0308bücher.example", // starts with a combining mark
        "ann@-bücher.example",
        "ann@bü-cher-.example",
        "ann@a·b.cat", // middle dot outside l·l
        "ann@bü\u0378cher.example", // unassigned
      })
  void parseWhenLabelNotValidIdna2008ThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @Test
  void parseWhenZeroWidthJoinerFollowsViramaThenKept() {
    // CONTEXTJ rule 1 (RFC 5892 A.2): DEVANAGARI KA, VIRAMA, ZWJ, SSA.
    EmailAddress a = EmailAddress.parse("ann@\u0915\u094D\u200D\u0937.example");

    assertEquals("ann@\u0915\u094D\u200D\u0937.example", a.unicode());
    assertNotEquals(
        EmailAddress.parse("ann@\u0915\u094D\u0937.example"), a); // IDNA 2003 would delete the ZWJ
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"ann@\u05D0\u05D1.1example", "ann@1\u05D0.example", "ann@\u05D0a\u05D1.example"})
  void parseWhenBidiRuleBrokenThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @ParameterizedTest
  @CsvSource({
    "idn@bücher.example, idn@xn--bcher-kva.example, idn@bücher.example",
    "idn@xn--bcher-kva.example, idn@xn--bcher-kva.example, idn@bücher.example",
    "ann@straße.de, ann@xn--strae-oqa.de, ann@straße.de",
    "zoë@пример.рф, zoë@xn--e1afmkfd.xn--p1ai, zoë@пример.рф",
    "ann@example.org, ann@example.org, ann@example.org",
  })
  void unicodeWhenEitherSpellingThenSameCanonicalValueAndUnicodeForm(
      String input, String value, String unicode) {
    EmailAddress a = EmailAddress.parse(input);

    assertEquals(value, a.value());
    assertEquals(unicode, a.unicode());
    assertEquals(a, EmailAddress.parse(a.unicode()), "A-label -> U-label -> A-label");
  }

  @Test
  void needsSmtpUtf8WhenOnlyDomainIsUnicodeThenFalse() {
    assertFalse(EmailAddress.parse("idn@bücher.example").needsSmtpUtf8());
    assertTrue(EmailAddress.parse("zoë@example.org").needsSmtpUtf8());
  }

  @Test
  void constructorWhenStoredALabelWouldNowBeRefusedThenStillReadable() {
    // Stored before mixed-script labels were refused: reading it back must not fail.
    EmailAddress stored = new EmailAddress("ann@xn--pypal-4ve.example");

    assertEquals("ann@xn--pypal-4ve.example", stored.value());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"ann@example..org", "ann@.example.org", "ann@example.org..", "ann@..", "ann@."})
  void parseWhenDomainHasEmptyLabelThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann@[192.0.2.1]",
        "ann@[IPv6:2001:db8::1]",
        "ann@192.0.2.1",
        "ann@[example.org]",
      })
  void parseWhenIpLiteralDomainThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"ann@localhost", "ann@example", "ann@com", "ann@bücher", "ann@localhost."})
  void parseWhenSingleLabelDomainThenRefused(String input) {
    assertRefused(input, "domain needs at least two labels");
  }

  @ParameterizedTest
  @ValueSource(strings = {"ann@example.123", "ann@1.2.3.4", "ann@example.0"})
  void parseWhenTopLevelDomainNumericThenRefused(String input) {
    assertRefused(input, "top-level domain cannot be numeric");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ann@-example.org",
        "ann@example-.org",
        "ann@exa_mple.org",
        "ann@exa mple.org",
        "ann@example.org/x",
        "ann@example.o%rg",
      })
  void parseWhenDomainLabelInvalidThenRefused(String input) {
    assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
  }

  @Test
  void parseWhenLocalPartOf64ThenAcceptedAnd65Refused() {
    String local64 = "a".repeat(64);

    assertEquals(local64 + "@example.org", EmailAddress.parse(local64 + "@example.org").value());
    assertRefused("a" + local64 + "@example.org", "local part must have 1 to 64 characters");
  }

  @Test
  void parseWhenTotalOf254ThenAcceptedAnd255Refused() {
    String local = "a".repeat(64);
    String at254 =
        local + '@' + "b".repeat(63) + '.' + "c".repeat(63) + '.' + "d".repeat(57) + ".org";
    String at255 =
        local + '@' + "b".repeat(63) + '.' + "c".repeat(63) + '.' + "d".repeat(58) + ".org";
    assertEquals(254, at254.length());
    assertEquals(255, at255.length());

    assertEquals(at254, EmailAddress.parse(at254).value());
    assertRefused(at255, "longer than 254 characters");
  }

  @Test
  void parseWhenIdnDomainGrowsPast254ThenRefused() {
    // 251 characters as typed; the A-label of the third label adds 7, so 258 on the wire.
    String unicode =
        "a".repeat(64)
            + '@'
            + "b".repeat(63)
            + '.'
            + "c".repeat(63)
            + '.'
            + "bücher".repeat(9)
            + ".org";
    assertEquals(251, unicode.length());

    assertRefused(unicode, "longer than 254 characters");
  }

  @Test
  void parseWhenInputHugeThenRefusedBeforeAnyUnicodeWork() {
    // Punycode's cost grows with the square of a label's length: a megabyte of ü must not cost
    // minutes.
    String huge = "ann@" + "ü".repeat(1_000_000) + ".example";

    assertTimeoutPreemptively(
        Duration.ofSeconds(2), () -> assertRefused(huge, "longer than 254 characters"));
  }

  @Test
  void parseWhenLabelLongerThan63ThenRefused() {
    assertThrows(
        IllegalArgumentException.class, () -> EmailAddress.parse("ann@" + "b".repeat(64) + ".org"));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''               | no @",
        "'   '            | no @",
        "annexample.org   | no @",
        "@example.org     | local part must have 1 to 64 characters",
        "ann@             | domain must have 1 to 253 characters",
        "@                | local part must have 1 to 64 characters",
        "ann＠example.org | no @",
      })
  void parseWhenPartMissingThenNamesReason(String input, String reason) {
    assertRefused(input, reason);
  }

  @Test
  void parseWhenRefusedThenMessageOmitsInput() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> EmailAddress.parse("secret.person@exa_mple.org"));

    assertFalse(e.getMessage().contains("secret"), e.getMessage());
  }

  @Test
  void parseWhenNullThenNullPointerException() {
    assertThrows(NullPointerException.class, () -> EmailAddress.parse(null));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // tryParse, the canonical constructor, toString

  @Test
  void tryParseWhenValidThenNormalisedAddress() {
    assertEquals(
        Optional.of(new EmailAddress("ann@xn--bcher-kva.example")),
        EmailAddress.tryParse(" Ann@Bücher.example "));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "ann",
        "ann@localhost",
        "ann@example.org\r\n",
        "\"ann\"@example.org",
        "ann@[192.0.2.1]"
      })
  void tryParseWhenInvalidThenEmpty(String input) {
    assertEquals(Optional.empty(), EmailAddress.tryParse(input));
  }

  @Test
  void tryParseWhenNullThenEmpty() {
    assertEquals(Optional.empty(), EmailAddress.tryParse(null));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Ann@example.org",
        "ann@Example.org",
        " ann@example.org",
        "ann@example.org ",
        "ann@example.org.",
        "ann@bücher.example",
        "ZOË@example.org",
        "ann@example.org\n",
        "ann@localhost",
        "",
      })
  void constructorWhenNotNormalisedOrInvalidThenRefused(String value) {
    assertThrows(IllegalArgumentException.class, () -> new EmailAddress(value));
  }

  @Test
  void constructorWhenNullThenNullPointerException() {
    assertThrows(NullPointerException.class, () -> new EmailAddress(null));
  }

  @ParameterizedTest
  @CsvSource({
    "ann@example.org, a***@example.org",
    "a@example.org, a***@example.org",
    "zed.smith+tag@xn--bcher-kva.example, z***@xn--bcher-kva.example",
    "\uD840\uDC00nn@example.org, \uD840\uDC00***@example.org",
  })
  void toStringWhenCalledThenMasksLocalPart(String value, String masked) {
    EmailAddress address = new EmailAddress(value);

    assertEquals(masked, address.toString());
    assertEquals(value, address.value());
  }

  @Test
  void toStringWhenCalledThenNeverContainsFullLocalPart() {
    assertFalse(EmailAddress.parse("secret.person@example.org").toString().contains("secret"));
  }

  @Test
  void checkWhenValidThenValidWithTheAddressParseGives() {
    AddressCheck.Valid valid =
        assertInstanceOf(AddressCheck.Valid.class, EmailAddress.check("  Ann@Bücher.Example. "));

    assertEquals(EmailAddress.parse("ann@xn--bcher-kva.example"), valid.address());
    assertEquals(Optional.of(valid.address()), EmailAddress.tryParse("  Ann@Bücher.Example. "));
  }

  @Test
  void checkWhenNoInputThenRefusedAsMissing() {
    assertEquals(
        new AddressCheck.Refused(AddressCheck.Reason.MISSING, "invalid email address: missing"),
        EmailAddress.check(null));
  }

  static Stream<Arguments> refusals() {
    return Stream.of(
        Arguments.of(
            "ann@example.org\r\nBcc: x@example.org", AddressCheck.Reason.CONTROL_CHARACTER),
        Arguments.of("a".repeat(250) + "@example.org", AddressCheck.Reason.TOO_LONG),
        Arguments.of("idn@bÃ¼cher.example", AddressCheck.Reason.WRONG_CHARACTER_SET),
        Arguments.of("ann.example.org", AddressCheck.Reason.NO_AT),
        Arguments.of("", AddressCheck.Reason.NO_AT),
        Arguments.of("@example.org", AddressCheck.Reason.LOCAL_PART_LENGTH),
        Arguments.of("ann..lee@example.org", AddressCheck.Reason.LOCAL_PART_SYNTAX),
        Arguments.of("\"ann\"@example.org", AddressCheck.Reason.LOCAL_PART_SYNTAX),
        Arguments.of("ｚｏｅ@example.org", AddressCheck.Reason.LOCAL_PART_UNICODE),
        Arguments.of("ann@", AddressCheck.Reason.DOMAIN_LENGTH),
        Arguments.of("ann@localhost", AddressCheck.Reason.DOMAIN_SYNTAX),
        Arguments.of("ann@exa_mple.org", AddressCheck.Reason.DOMAIN_SYNTAX),
        Arguments.of("ann@example.123", AddressCheck.Reason.DOMAIN_SYNTAX),
        Arguments.of("ann@pаypal.example", AddressCheck.Reason.DOMAIN_IDNA));
  }

  @ParameterizedTest
  @MethodSource("refusals")
  void checkWhenRefusedThenStableReasonAndTheMessageParseThrowsWithoutTheInput(
      String input, AddressCheck.Reason reason) {
    AddressCheck.Refused refused =
        assertInstanceOf(AddressCheck.Refused.class, EmailAddress.check(input));

    assertEquals(reason, refused.reason(), refused.message());
    assertTrue(refused.message().startsWith("invalid email address: "), refused.message());
    assertEquals(
        refused.message(),
        assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input)).getMessage());
    assertEquals(Optional.empty(), EmailAddress.tryParse(input));
    if (input.length() > 3) {
      assertFalse(refused.message().contains(input.strip()), refused.message());
    }
  }

  private static void assertRefused(String input, String reason) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> EmailAddress.parse(input));
    assertEquals("invalid email address: " + reason, e.getMessage());
    // The value form says the same, so a form shows what parse would have thrown.
    AddressCheck.Refused refused =
        assertInstanceOf(AddressCheck.Refused.class, EmailAddress.check(input));
    assertEquals(e.getMessage(), refused.message());
  }
}
