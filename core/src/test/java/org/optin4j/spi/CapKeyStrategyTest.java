package org.optin4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.optin4j.EmailAddress;

class CapKeyStrategyTest {
  private static String key(String address) {
    return CapKeyStrategy.providerAware().capKey(EmailAddress.parse(address));
  }

  @ParameterizedTest
  @CsvSource({
    "Victim@Example.org,             victim@example.org",
    "victim+1@example.org,           victim@example.org",
    "victim+a+b@example.org,         victim@example.org",
    "first.last+news@example.org,    first.last@example.org",
    "v.i.c.t.i.m@gmail.com,          victim@gmail.com",
    "V.Ictim+20@GMail.com,           victim@gmail.com",
    "victim@googlemail.com,          victim@gmail.com",
    "vic.tim+x@googlemail.com,       victim@gmail.com",
    "+tag@example.org,               @example.org",
    "victim@mail.gmail.com,          victim@mail.gmail.com",
  })
  void providerAwareWhenVariantThenKeyOfItsInbox(String address, String expected) {
    assertEquals(expected, key(address));
  }

  @Test
  void providerAwareWhenDotsOutsideGmailThenTheyCount() {
    assertNotEquals(key("jane.doe@example.org"), key("janedoe@example.org"));
    assertNotEquals(key("jane.doe@gmail.com.evil.example"), key("janedoe@gmail.com.evil.example"));
  }

  @Test
  void exactAddressWhenVariantThenTheNormalisedAddressItself() {
    assertEquals(
        "victim+1@gmail.com",
        CapKeyStrategy.exactAddress().capKey(EmailAddress.parse("Victim+1@GMail.com")));
  }
}
