package org.optin4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.optin4j.EmailAddress;

class MailMessageTest {
  private static MailMessage mail() {
    return new MailMessage(
        EmailAddress.parse("ann@example.org"), "Subject", "text", null, Map.of(), List.of());
  }

  @Test
  void withMessageKeyThenKeptAndEverythingElseUnchanged() {
    MailMessage keyed = mail().withMessageKey("0123456789abcdef0123456789abcdef");

    assertEquals("0123456789abcdef0123456789abcdef", keyed.messageKey());
    assertNull(mail().messageKey());
    assertEquals(
        mail(),
        new MailMessage(
            keyed.to(),
            keyed.subject(),
            keyed.text(),
            keyed.html(),
            keyed.headers(),
            keyed.attachments()));
  }

  @Test
  void withMessageKeyWhenNotAnIdLeftPartThenRefused() {
    for (String bad :
        List.of(
            "short", "has@at-sign-in-it", "has space in it", "x".repeat(65), "line\r\nbreak-x")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> mail().withMessageKey(bad));
      assertEquals("messageKey must be 8 to 64 letters, digits and hyphens", e.getMessage());
    }
  }
}
