package org.optin4j.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SendingRateTest {

  @Test
  void unlimitedThenFourConnectionsAndNoLimit() {
    SendingRate rate = SendingRate.unlimited();

    assertEquals(4, rate.connections());
    assertFalse(rate.isLimited());
    assertEquals(Double.POSITIVE_INFINITY, rate.sustainedPerSecond());
  }

  @Test
  void sustainedPerSecondWhenCapsAreTighterThenTheTightest() {
    assertEquals(20.0, SendingRate.perSecond(20).sustainedPerSecond());
    assertEquals(10.0, SendingRate.perSecond(20).withPerMinute(600).sustainedPerSecond());
    assertEquals(1.0, SendingRate.perSecond(20).withPerHour(3600).sustainedPerSecond());
    assertTrue(SendingRate.unlimited().withPerHour(1).isLimited());
  }

  @Test
  void constructWhenInvalidThenMessageNamesTheField() {
    assertEquals(
        "sending rate connections must be 1 to 64, was 0",
        assertThrows(
                IllegalArgumentException.class, () -> SendingRate.unlimited().withConnections(0))
            .getMessage());
    assertEquals(
        "sending rate perMinute must be 0 (no cap) or more, was -1",
        assertThrows(
                IllegalArgumentException.class, () -> SendingRate.perSecond(1).withPerMinute(-1))
            .getMessage());
    assertThrows(IllegalArgumentException.class, () -> SendingRate.perSecond(0));
    assertThrows(IllegalArgumentException.class, () -> SendingRate.unlimited().withName("a b"));
  }
}
