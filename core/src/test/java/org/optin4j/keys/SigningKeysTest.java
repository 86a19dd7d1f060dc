package org.optin4j.keys;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.optin4j.ConfigurationException;

class SigningKeysTest {
  private static final String TOO_LONG_KID =
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" + "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; // 65 characters
  private final byte[] secret = randomKey(32);
  private final byte[] other = randomKey(32);

  @Test
  void buildWhenActiveKeyOf256BitsThenAccepted() {
    SigningKeys keys = SigningKeys.builder().active("k1", secret).build();

    assertEquals("k1", keys.activeKid());
    assertArrayEquals(secret, keys.secret("k1"));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 16, 31})
  void activeWhenKeyShorterThan256BitsThenRefused(int bytes) {
    byte[] shortKey = randomKey(bytes);

    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> SigningKeys.builder().active("k1", shortKey));
    assertTrue(e.getMessage().contains("at least 256"), e.getMessage());
  }

  @Test
  void previousWhenKeyShorterThan256BitsThenRefused() {
    byte[] shortKey = randomKey(31);

    assertThrows(
        ConfigurationException.class, () -> SigningKeys.builder().previous("old", shortKey));
  }

  @Test
  void activeWhenBase64KeyShorterThan256BitsThenRefused() {
    String encoded = Base64.getEncoder().encodeToString(randomKey(31));

    assertThrows(ConfigurationException.class, () -> SigningKeys.builder().active("k1", encoded));
  }

  @ParameterizedTest
  @ValueSource(ints = {0x00, 0x41, 0xff})
  void activeWhenKeyIsOneRepeatedByteThenRefusedAsNotRandom(int value) {
    byte[] constant = new byte[64];
    Arrays.fill(constant, (byte) value);

    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> SigningKeys.builder().active("k1", constant));
    assertTrue(e.getMessage().contains("not random"), e.getMessage());
  }

  @Test
  void activeWhenBase64OfAllZeroKeyThenRefusedAsNotRandom() {
    String encoded = Base64.getEncoder().encodeToString(new byte[32]);

    assertThrows(ConfigurationException.class, () -> SigningKeys.builder().active("k1", encoded));
  }

  @Test
  void activeWhenBase64AndBase64UrlThenBothDecode() {
    byte[] withUrlUnsafeBytes = secret.clone();
    withUrlUnsafeBytes[0] = (byte) 0xfb;
    withUrlUnsafeBytes[1] = (byte) 0xff;
    String plain = Base64.getEncoder().encodeToString(withUrlUnsafeBytes);
    String url = Base64.getUrlEncoder().withoutPadding().encodeToString(withUrlUnsafeBytes);

    assertArrayEquals(
        withUrlUnsafeBytes, SigningKeys.builder().active("k1", plain).build().secret("k1"));
    assertArrayEquals(
        withUrlUnsafeBytes, SigningKeys.builder().active("k1", url).build().secret("k1"));
    assertArrayEquals(
        withUrlUnsafeBytes,
        SigningKeys.builder().active("k1", " " + plain + "\n").build().secret("k1"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not base64!", "@@@@", "Q", "a+b-c/d_", "=====", "Zm9v\u00e9YmFy"})
  void activeWhenBadBase64ThenRefusedWithoutEchoingIt(String encoded) {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> SigningKeys.builder().active("k1", encoded));
    assertFalse(e.getMessage().contains(encoded), "the message must not echo the secret");
  }

  @Test
  void previousWhenBadBase64ThenRefused() {
    assertThrows(ConfigurationException.class, () -> SigningKeys.builder().previous("old", "***"));
  }

  @Test
  void buildWhenPreviousKidEqualsActiveKidThenRefused() {
    SigningKeys.Builder builder = SigningKeys.builder().active("k1", secret).previous("k1", other);

    ConfigurationException e = assertThrows(ConfigurationException.class, builder::build);
    assertTrue(e.getMessage().contains("used twice"), e.getMessage());
  }

  @Test
  void buildWhenNoActiveKeyThenRefused() {
    SigningKeys.Builder builder = SigningKeys.builder().previous("old", secret);

    assertThrows(ConfigurationException.class, builder::build);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "a/b", "k\u00e9", TOO_LONG_KID})
  void activeWhenKidInvalidThenRefused(String kid) {
    assertThrows(ConfigurationException.class, () -> SigningKeys.builder().active(kid, secret));
  }

  @Test
  void activeWhenNullArgumentsThenRefused() {
    assertThrows(NullPointerException.class, () -> SigningKeys.builder().active(null, secret));
    assertThrows(
        NullPointerException.class, () -> SigningKeys.builder().active("k1", (byte[]) null));
    assertThrows(
        NullPointerException.class, () -> SigningKeys.builder().active("k1", (String) null));
  }

  @Test
  void toStringWhenKeysPresentThenNamesKidsButNoKeyMaterial() {
    SigningKeys keys = SigningKeys.builder().active("k2", secret).previous("k1", other).build();

    String text = keys.toString();
    assertTrue(text.contains("k2") && text.contains("k1"), text);
    for (byte[] key : List.of(secret, other)) {
      assertFalse(text.contains(Base64.getEncoder().encodeToString(key)), text);
      assertFalse(text.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(key)), text);
      assertFalse(text.toLowerCase().contains(HexFormat.of().formatHex(key)), text);
      assertFalse(text.contains(Arrays.toString(key)), text);
    }
  }

  @Test
  void kidsWhenPreviousKeysThenActiveFirstAndAllVerifiable() {
    SigningKeys keys = SigningKeys.builder().previous("k1", other).active("k2", secret).build();

    assertEquals(List.of("k2", "k1"), List.copyOf(keys.kids()));
    assertArrayEquals(other, keys.secret("k1"));
    assertNull(keys.secret("k9"));
    assertThrows(UnsupportedOperationException.class, () -> keys.kids().remove("k1"));
  }

  @Test
  void secretWhenCallerMutatesCopyThenRingUnchanged() {
    SigningKeys keys = SigningKeys.builder().active("k1", secret).build();

    byte[] copy = keys.secret("k1");
    assertNotSame(copy, keys.secret("k1"));
    Arrays.fill(copy, (byte) 0);
    assertArrayEquals(secret, keys.secret("k1"));
  }

  @Test
  void buildWhenCallerMutatesInputArrayLaterThenRingUnchanged() {
    byte[] input = secret.clone();
    SigningKeys keys = SigningKeys.builder().active("k1", input).build();

    Arrays.fill(input, (byte) 0);
    assertArrayEquals(secret, keys.secret("k1"));
  }

  @Test
  void generateThenFreshRandom256BitKey() {
    SigningKeys a = SigningKeys.generate("k1");
    SigningKeys b = SigningKeys.generate("k1");

    assertEquals(32, a.secret("k1").length);
    assertFalse(Arrays.equals(a.secret("k1"), b.secret("k1")));
  }

  private static byte[] randomKey(int bytes) {
    byte[] key = new byte[bytes];
    new SecureRandom().nextBytes(key);
    return key;
  }
}
