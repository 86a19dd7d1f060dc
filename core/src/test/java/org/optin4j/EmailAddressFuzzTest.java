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
 * normalised address that is stable, ASCII, free of control characters and accepted by strict Jakarta Mail parsing
 * (security rule 12), or an {@link IllegalArgumentException} whose message does not echo the input.
 *
 * <p>Without {@code JAZZER_FUZZ} this runs the committed inputs in {@code EmailAddressFuzzTestInputs/parse/} as a
 * regression test; how to fuzz is in SECURITY.md, "Fuzzing".
 */
class EmailAddressFuzzTest {
  private static final Set<String> REASONS = Stream.of(
      "contains a control character or an invalid domain", "longer than 254 characters", "no @",
      "local part must have 1 to 64 characters", "local part has characters outside the RFC 5322 dot-atom",
      "domain must have 1 to 253 characters", "domain needs at least two labels", "domain has an invalid label",
      "top-level domain cannot be numeric").map(r -> "invalid email address: " + r).collect(Collectors.toSet());

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
    assertTrue(v.length() <= 254, "too long");
    assertTrue(v.chars().allMatch(c -> c > 0x20 && c < 0x7f), "not printable ASCII");
    assertEquals(address, EmailAddress.parse(v), "normalisation is not idempotent");
    assertEquals(address, new EmailAddress(v));
    assertEquals(Optional.of(address), EmailAddress.tryParse(input));
    assertEquals(v, address.localPart() + "@" + address.domain());
    try {
      new InternetAddress(v, true).validate();
    } catch (AddressException e) {
      throw new AssertionError("accepted, but strict RFC 822 parsing refuses it: " + e.getMessage(), e);
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
