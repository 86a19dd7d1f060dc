package org.optin4j.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.security.SecureRandom;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class WebhookSecretTest {

  @Test
  void generateThenWhsecFormThatParsesBack() {
    WebhookSecret s = WebhookSecret.generate(new SecureRandom());

    assertTrue(s.encoded().startsWith("whsec_"));
    assertEquals(32, Base64.getDecoder().decode(s.encoded().substring(6)).length);
    assertEquals(s, WebhookSecret.parse(s.encoded()));
    assertEquals(s.id(), WebhookSecret.parse(s.encoded()).id());
    assertNotEquals(s, WebhookSecret.generate(new SecureRandom()));
  }

  @Test
  void toStringThenIdOnlyNeverTheSecret() {
    WebhookSecret s = WebhookSecret.generate(new SecureRandom());

    assertEquals("WebhookSecret[" + s.id() + "]", s.toString());
    assertFalse(s.toString().contains(s.encoded().substring(6)));
    assertTrue(s.id().matches("whk_[0-9a-f]{16}"), s.id());
  }

  @Test
  void parseWhenKeyTooShortTooLongOrNotBase64ThenRefusedWithoutEchoingIt() {
    String short23 = "whsec_" + Base64.getEncoder().encodeToString(new byte[23]);
    String long65 = "whsec_" + Base64.getEncoder().encodeToString(new byte[65]);

    assertThrows(IllegalArgumentException.class, () -> WebhookSecret.parse(short23));
    assertThrows(IllegalArgumentException.class, () -> WebhookSecret.parse(long65));
    assertThrows(
        IllegalArgumentException.class,
        () -> WebhookSecret.parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> WebhookSecret.parse("whsec_s3cr3t!!"));
    assertFalse(e.getMessage().contains("s3cr3t"), e.getMessage());
    WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[24]));
    WebhookSecret.parse("whsec_" + Base64.getEncoder().encodeToString(new byte[64]));
  }
}
