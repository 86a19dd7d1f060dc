package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class EvidencePolicyTest {
  private static final String AGENT =
      "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0 with a long tail for good measure";

  // ---------------------------------------------------------------------------------------------------------------
  // FULL and NONE

  @Test
  void applyWhenFullThenKeepsBothAsReceived() {
    Evidence raw = Evidence.of("192.0.2.123", AGENT);

    assertSame(raw, EvidencePolicy.FULL.apply(raw));
    assertEquals("192.0.2.123", EvidencePolicy.FULL.apply(raw).ip());
    assertEquals(AGENT, EvidencePolicy.FULL.apply(raw).userAgent());
  }

  @Test
  void applyWhenNoneThenKeepsNeither() {
    Evidence kept = EvidencePolicy.NONE.apply(Evidence.of("2001:db8::1", AGENT));

    assertNull(kept.ip());
    assertNull(kept.userAgent());
    assertEquals(Evidence.NONE, kept);
  }

  @ParameterizedTest
  @EnumSource(EvidencePolicy.class)
  void applyWhenNoEvidenceThenNoEvidence(EvidencePolicy policy) {
    assertEquals(Evidence.NONE, policy.apply(Evidence.NONE));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // TRUNCATED: IP addresses

  @ParameterizedTest
  @CsvSource({
    "192.0.2.123, 192.0.2.0",
    "10.1.2.3, 10.1.2.0",
    "255.255.255.255, 255.255.255.0",
    "0.0.0.0, 0.0.0.0",
    "192.0.2.1:8080, 192.0.2.0",
    "' 192.0.2.7 ', 192.0.2.0",
  })
  void applyWhenTruncatedAndIpv4ThenKeepsSlash24(String ip, String expected) {
    assertEquals(expected, EvidencePolicy.TRUNCATED.apply(Evidence.of(ip, null)).ip());
  }

  @ParameterizedTest
  @CsvSource({
    "2001:db8:85a3:8d3:1319:8a2e:370:7348, 2001:db8:85a3::",
    "2001:0db8:85a3:0000:0000:8a2e:0370:7334, 2001:db8:85a3::",
    "2001:DB8:85A3::8A2E:370:7334, 2001:db8:85a3::",
    "2001:db8::1, 2001:db8::",
    "2001:db8:0:1::, 2001:db8::",
    "2001:0:5::1, 2001:0:5::",
    "0:0:5::1, 0:0:5::",
    "::1, ::",
    "::, ::",
    "fe80::1%eth0, fe80::",
    "[2001:db8:85a3::1], 2001:db8:85a3::",
    "[2001:db8:85a3::1]:443, 2001:db8:85a3::",
    "2001:db8:1:2:3:4:192.0.2.1, 2001:db8:1::",
    "64:ff9b::192.0.2.1, 64:ff9b::",
  })
  void applyWhenTruncatedAndIpv6ThenKeepsSlash48(String ip, String expected) {
    assertEquals(expected, EvidencePolicy.TRUNCATED.apply(Evidence.of(ip, null)).ip());
  }

  @ParameterizedTest
  @CsvSource({
    "::ffff:192.0.2.1, ::ffff:192.0.2.0",
    "::FFFF:192.0.2.200, ::ffff:192.0.2.0",
    "::ffff:c000:0201, ::ffff:192.0.2.0",
    "[::ffff:192.0.2.1]:80, ::ffff:192.0.2.0",
  })
  void applyWhenTruncatedAndIpv4MappedThenKeepsIpv4Slash24(String ip, String expected) {
    assertEquals(expected, EvidencePolicy.TRUNCATED.apply(Evidence.of(ip, null)).ip());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "unknown",
        "localhost",
        "999.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "a.b.c.d",
        "192.0.2.1:8080:1",
        "2001:db8:::1",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "2001:db8::g",
        "12345::1",
        "[2001:db8::1",
        "2001:db8::1.2.3.999",
        "::ffff:1.2.3",
      })
  void applyWhenTruncatedAndNotAnIpThenKeepsNothing(String ip) {
    assertNull(EvidencePolicy.TRUNCATED.apply(Evidence.of(ip, null)).ip());
  }

  @Test
  void applyWhenTruncatedThenNoIpv4OctetBeyondTheThirdSurvives() {
    for (String ip :
        List.of(
            "192.0.2.137", "192.0.2.137:65535", "::ffff:192.0.2.137", "[::ffff:192.0.2.137]:1")) {
      String kept = EvidencePolicy.TRUNCATED.apply(Evidence.of(ip, null)).ip();
      assertTrue(kept.endsWith(".0") && !kept.contains("137"), ip + " -> " + kept);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // TRUNCATED: user agent

  @Test
  void applyWhenTruncatedThenUserAgentCutTo64() {
    Evidence kept = EvidencePolicy.TRUNCATED.apply(Evidence.of(null, AGENT));

    assertEquals(AGENT.substring(0, 64), kept.userAgent());
    assertNull(kept.ip());
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 63, 64})
  void applyWhenTruncatedAndUserAgentShortThenKept(int length) {
    String agent = "x".repeat(length);

    assertEquals(agent, EvidencePolicy.TRUNCATED.apply(Evidence.of(null, agent)).userAgent());
  }

  @Test
  void applyWhenTruncatedAndCutFallsInSurrogatePairThenPairDropped() {
    String agent = "x".repeat(63) + "\uD83D\uDE00" + "tail"; // an emoji at chars 63-64

    String kept = EvidencePolicy.TRUNCATED.apply(Evidence.of(null, agent)).userAgent();

    assertEquals("x".repeat(63), kept);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Evidence cleaning (applies under every policy)

  @Test
  void evidenceWhenControlCharactersThenStripped() {
    Evidence e = Evidence.of("192.0.2.1\r\n", "Mozilla\r\nX-Injected: 1\u0000\t\u007f\u0085end");

    assertEquals("192.0.2.1", e.ip());
    assertEquals("MozillaX-Injected: 1end", e.userAgent());
  }

  @Test
  void evidenceWhenControlCharactersThenAlsoStrippedBeforeTruncation() {
    Evidence kept = EvidencePolicy.TRUNCATED.apply(Evidence.of("192.0\n.2.1", "a\nb"));

    assertEquals("192.0.2.0", kept.ip());
    assertEquals("ab", kept.userAgent());
  }

  @Test
  void evidenceWhenTooLongThenIpCutTo45AndAgentTo512() {
    Evidence e = Evidence.of("1".repeat(100), "u".repeat(1000));

    assertEquals(45, e.ip().length());
    assertEquals(512, e.userAgent().length());
  }

  @Test
  void evidenceWhenLongestIpv6TextThenKeptWhole() {
    String longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    assertEquals(45, longest.length());

    assertEquals(longest, Evidence.of(longest, null).ip());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "\r\n", "\u0000"})
  void evidenceWhenBlankOrOnlyControlThenNull(String value) {
    Evidence e = Evidence.of(value, value);

    assertNull(e.ip());
    assertNull(e.userAgent());
  }

  @Test
  void evidenceWhenSurroundedBySpacesThenStripped() {
    assertEquals(new Evidence("192.0.2.1", "agent"), Evidence.of("  192.0.2.1 ", " agent  "));
  }
}
