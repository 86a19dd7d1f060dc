package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Fuzzes {@link EmailAddress#parse(String)}, which sees every address typed into a form. Documented outcomes only: a
 * normalised address that is stable, ASCII but for an RFC 6531 local part of letters, marks and digits, that survives
 * the round trip through its Unicode form, free of control characters and accepted by strict Jakarta Mail parsing
 * (security rule 12), or an {@link IllegalArgumentException} whose message does not echo the input.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs the committed inputs in {@code EmailAddressFuzzTestInputs/parse/} as a
 * regression test; how to fuzz is in SECURITY.md, "Fuzzing".
 */
class EmailAddressFuzzTest {
  private static final Set<String> REASONS =
      Stream.of(
              "contains a control character or an invalid domain",
              "longer than 254 characters",
              "no @",
              "local part must have 1 to 64 characters",
              "local part has characters outside the RFC 5322 dot-atom",
              "domain must have 1 to 253 characters",
              "domain needs at least two labels",
              "domain has an invalid label",
              "top-level domain cannot be numeric",
              "looks like UTF-8 text decoded with the wrong character set",
              "local part has Unicode compatibility characters or is not in normal form NFKC",
              "local part mixes scripts",
              "domain has an A-label that is not valid Punycode of a mapped U-label",
              "domain has a label that does not survive a round trip through Punycode",
              "domain has a label that starts or ends with a hyphen",
              "domain has a label with hyphens in positions 3 and 4",
              "domain has a label that starts with a combining mark",
              "domain has a joiner character outside the context IDNA 2008 allows",
              "domain has a character that IDNA 2008 does not allow",
              "domain breaks the Bidi rule of RFC 5893",
              "domain mixes scripts in one label")
          .map(r -> "invalid email address: " + r)
          .collect(Collectors.toSet());

  @FuzzTest(maxDuration = "2m")
  void parse(byte[] data) {
    String input = text(data);
    EmailAddress address;
    try {
      address = EmailAddress.parse(input);
    } catch (IllegalArgumentException e) {
      // One of the documented reasons, none of which quotes the input.
      assertTrue(REASONS.contains(e.getMessage()), () -> "undocumented failure: " + e.getMessage());
      assertEquals(Optional.empty(), EmailAddress.tryParse(input));
      return;
    }
    String v = address.value();
    assertTrue(v.getBytes(StandardCharsets.UTF_8).length <= 254, "too long");
    assertTrue(
        address.domain().chars().allMatch(c -> c > 0x20 && c < 0x7f), "domain not printable ASCII");
    assertTrue(
        address
            .localPart()
            .codePoints()
            .allMatch(
                c ->
                    c > 0x20
                        && c != 0x7f
                        && (c < 0x80
                            || Character.isLetterOrDigit(c)
                            || Character.getType(c) == Character.NON_SPACING_MARK
                            || Character.getType(c) == Character.COMBINING_SPACING_MARK)),
        "local part has a space, control or symbol");
    assertEquals(address.needsSmtpUtf8(), !address.localPart().chars().allMatch(c -> c < 0x80));
    assertEquals(
        address,
        EmailAddress.parse(address.unicode()),
        "A-label -> U-label -> A-label does not round-trip");
    assertEquals(address, EmailAddress.parse(v), "normalisation is not idempotent");
    assertEquals(address, new EmailAddress(v));
    assertEquals(Optional.of(address), EmailAddress.tryParse(input));
    assertEquals(v, address.localPart() + "@" + address.domain());
    try {
      new InternetAddress(v, true).validate();
    } catch (AddressException e) {
      throw new AssertionError(
          "accepted, but strict RFC 822 parsing refuses it: " + e.getMessage(), e);
    }
    if (address.localPart().length() > 1) {
      assertFalse(address.toString().contains(address.localPart() + "@"), "toString does not mask");
    }
  }

  /**
   * The input as text: UTF-8, so committed inputs are readable; a leading NUL byte switches to UTF-16BE so that the
   * fuzzer can reach any Java string, lone surrogates included.
   */
  static String text(byte[] data) {
    if (data.length > 0 && data[0] == 0) {
      return new String(data, 1, data.length - 1, StandardCharsets.UTF_16BE);
    }
    return new String(data, StandardCharsets.UTF_8);
  }
}
