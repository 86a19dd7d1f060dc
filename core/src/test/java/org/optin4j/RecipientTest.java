package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Recipients and transfers as GDPR Art. 13(1)(e)-(f) asks them to be told. */
class RecipientTest {
  @Test
  void constructorWhenInsideEeaThenNoTransfer() {
    Recipient r = Recipient.inEea("  Brevo SAS ", "FR");

    assertEquals("Brevo SAS", r.name());
    assertFalse(r.outsideEea());
    assertTrue(Recipient.inEea("Posten", "NO").safeguard() == null);
  }

  @Test
  void constructorWhenOutsideEeaWithoutSafeguardThenRefusedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Recipient.inEea("Mailgun", "US"));

    assertEquals(
        "recipient Mailgun: safeguard is required for a transfer outside the EEA, to US (GDPR Art."
            + " 13(1)(f))",
        e.getMessage());
  }

  @Test
  void constructorWhenOutsideEeaWithSafeguardThenTransfer() {
    Recipient r =
        Recipient.transfer("Mailgun", "US", Recipient.Safeguard.STANDARD_CONTRACTUAL_CLAUSES);

    assertTrue(r.outsideEea());
  }

  @Test
  void constructorWhenSafeguardInsideEeaThenRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Recipient.transfer("Brevo", "FR", Recipient.Safeguard.ADEQUACY_DECISION));
  }

  @Test
  void constructorWhenCountryUnknownOrBlankNameThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> Recipient.inEea("Brevo", "fr"));
    assertThrows(IllegalArgumentException.class, () -> Recipient.inEea("Brevo", "XX"));
    assertThrows(IllegalArgumentException.class, () -> Recipient.inEea(" ", "FR"));
    assertThrows(NullPointerException.class, () -> Recipient.inEea("Brevo", null));
  }
}
