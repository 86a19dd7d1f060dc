package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.IDN;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DomainNameTest {

  @ParameterizedTest
  @CsvSource({
    // RFC 3492 section 7.1, samples (A), (L) and (B); and the labels of the IDN tests, checked
    // against Python's codec.
    "ليهمابتكلموشعربي؟, egbpdaj6bu4bxfgehfvwxn",
    "3年B組金八先生, 3B-ww4c5e180e575a65lsy2b",
    "他们为什么不说中文, ihqwcrb4cv8a8dqg056pqjye",
    "bücher, bcher-kva",
    "straße, strae-oqa",
    "σοφία, kxae4bpq",
    "ü, tda",
  })
  void punycodeWhenKnownVectorThenEncodesAndDecodesBothWays(String unicode, String encoded) {
    assertEquals(encoded, DomainName.Punycode.encode(unicode));
    assertEquals(unicode, DomainName.Punycode.decode(encoded));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"bücher", "münchen", "пример", "例え", "テスト", "ελληνικά", "한국", "देवनागरी", "مثال"})
  void toAsciiWhenNoDeviationCharacterThenAgreesWithJavaNetIdn(String label) {
    // Where IDNA 2003 and 2008 agree, the JDK's implementation is an independent check of this one.
    assertEquals(IDN.toASCII(label + ".example"), DomainName.toAscii(label + ".example").ascii());
  }

  @ParameterizedTest
  @ValueSource(strings = {"zz", "-", "é-kva", "99999999999999999999"})
  void punycodeWhenNotValidThenDecodesToNull(String encoded) {
    assertNull(DomainName.Punycode.decode(encoded));
  }

  @ParameterizedTest
  @CsvSource({
    "xn--bcher-kva.example, bücher.example",
    "example.org, example.org",
    "xn--zz.example, xn--zz.example"
  })
  void toUnicodeWhenALabelThenULabelAndUndecodableKept(String ascii, String unicode) {
    assertEquals(unicode, DomainName.toUnicode(ascii));
  }
}
