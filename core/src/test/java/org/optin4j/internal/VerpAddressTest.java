package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Optional;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.optin4j.SubjectId;

class VerpAddressTest {
  private static final SecretKeySpec PEPPER =
      new SecretKeySpec(
          "a test pepper of 32+ bytes, not random".getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  private final VerpAddress verp = new VerpAddress("bounces", "bounces.bakery.example", PEPPER);
  private final SubjectId ann = SubjectId.random(new SecureRandom());

  @Test
  void addressNamesSubjectAndMailAndFitsInALocalPart() {
    String address = verp.of(ann, "mail-id-0123456789abcd").orElseThrow().value();

    assertTrue(address.startsWith("bounces+"), address);
    assertTrue(address.indexOf('@') <= 64, address);
    VerpAddress.Tagged tag = verp.read(address).orElseThrow();
    assertEquals(ann, tag.subject());
    assertTrue(verp.names(tag, "mail-id-0123456789abcd"));
    assertFalse(verp.names(tag, "mail-id-0123456789abce"));
  }

  @Test
  void readWhenCaseFoldedOrBracketedThenStillVerifies() {
    String address = verp.of(ann, "m1").orElseThrow().value();
    assertEquals(ann, verp.read(address.toUpperCase(Locale.ROOT)).orElseThrow().subject());
    assertEquals(ann, verp.read("  " + address + " ").orElseThrow().subject());
  }

  @Test
  void readWhenTagForgedOrKeyDiffersThenEmpty() {
    String address = verp.of(ann, "m1").orElseThrow().value();
    int at = address.indexOf('@');
    for (int i = "bounces+".length(); i < at; i++) {
      char c = address.charAt(i);
      String changed = address.substring(0, i) + (c == 'a' ? 'b' : 'a') + address.substring(i + 1);
      assertEquals(Optional.empty(), verp.read(changed), changed);
    }
    VerpAddress other =
        new VerpAddress(
            "bounces",
            "bounces.bakery.example",
            new SecretKeySpec(
                "another pepper of 32 bytes or more!".getBytes(StandardCharsets.UTF_8),
                "HmacSHA256"));
    assertEquals(Optional.empty(), other.read(address));
    assertTrue(other.isOurs(address), "ours by shape, refused by MAC");
  }

  @Test
  void readWhenOtherDomainOrLocalPartThenEmpty() {
    String address = verp.of(ann, "m1").orElseThrow().value();
    assertEquals(Optional.empty(), verp.read(address.replace("bakery", "bakerz")));
    assertEquals(Optional.empty(), verp.read("x" + address));
    assertFalse(verp.isOurs("ann@example.org"));
  }

  @Test
  void constructorRefusesUnusableLocalPartOrDomain() {
    assertThrows(
        IllegalArgumentException.class, () -> new VerpAddress("Bounces", "b.example", PEPPER));
    assertThrows(IllegalArgumentException.class, () -> new VerpAddress("a+b", "b.example", PEPPER));
    assertThrows(
        IllegalArgumentException.class, () -> new VerpAddress("a".repeat(17), "b.example", PEPPER));
    assertThrows(
        IllegalArgumentException.class, () -> new VerpAddress("bounces", "no domain", PEPPER));
  }
}
