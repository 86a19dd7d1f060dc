package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RetentionTest {
  private static final Duration TWO_YEARS = Duration.ofDays(730);
  private static final Duration THREE_YEARS = Duration.ofDays(1095);

  @Test
  void fixedWhenValidThenKeepsBothPeriods() {
    Retention r = Retention.fixed(TWO_YEARS, THREE_YEARS);

    assertEquals(new Retention.Fixed(TWO_YEARS, THREE_YEARS), r);
    assertEquals(THREE_YEARS, r.proofRetention());
  }

  @Test
  void untilWithdrawnWhenValidThenKeepsProofRetention() {
    Retention r = Retention.untilWithdrawn(THREE_YEARS);

    assertEquals(new Retention.UntilWithdrawn(THREE_YEARS), r);
    assertEquals(THREE_YEARS, r.proofRetention());
  }

  @Test
  void proofRetentionWhenZeroThenAccepted() {
    assertEquals(Duration.ZERO, Retention.fixed(TWO_YEARS, Duration.ZERO).proofRetention());
    assertEquals(Duration.ZERO, Retention.untilWithdrawn(Duration.ZERO).proofRetention());
  }

  @ParameterizedTest
  @ValueSource(strings = {"PT0S", "-PT1S", "-P730D"})
  void fixedWhenPeriodNotPositiveThenMessageNamesItAndValue(String period) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Retention.fixed(Duration.parse(period), THREE_YEARS));

    assertEquals(
        "retention period must be positive, was " + Duration.parse(period), e.getMessage());
  }

  @Test
  void fixedWhenProofRetentionNegativeThenMessageNamesItAndValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Retention.fixed(TWO_YEARS, Duration.ofSeconds(-1)));

    assertEquals("proof retention must not be negative, was PT-1S", e.getMessage());
  }

  @Test
  void untilWithdrawnWhenProofRetentionNegativeThenMessageNamesItAndValue() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Retention.untilWithdrawn(Duration.ofDays(-1)));

    assertEquals("proof retention must not be negative, was PT-24H", e.getMessage());
  }

  @Test
  void constructorsWhenNullThenNamesPeriod() {
    assertEquals(
        "retention period",
        assertThrows(NullPointerException.class, () -> Retention.fixed(null, THREE_YEARS))
            .getMessage());
    assertEquals(
        "proof retention",
        assertThrows(NullPointerException.class, () -> Retention.fixed(TWO_YEARS, null))
            .getMessage());
    assertEquals(
        "proof retention",
        assertThrows(NullPointerException.class, () -> Retention.untilWithdrawn(null))
            .getMessage());
  }

  @Test
  void kindsWhenSameProofRetentionThenNotEqual() {
    assertNotEquals(
        Retention.untilWithdrawn(THREE_YEARS), Retention.fixed(THREE_YEARS, THREE_YEARS));
  }

  @Test
  void retentionWhenInspectedThenSealedToTheTwoKinds() {
    assertTrue(Retention.class.isSealed());
    assertEquals(
        Set.of(Retention.Fixed.class, Retention.UntilWithdrawn.class),
        Set.of(Retention.class.getPermittedSubclasses()));
  }
}
