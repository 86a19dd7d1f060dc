package org.optin4j;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the data of a purpose is kept (GDPR Art. 5(1)(e), Art. 13(2)(a)).
 *
 * <p>Either a fixed period from confirmation, after which the consent expires and the data is purged, or "until
 * withdrawn", after which the proof of consent is still kept for a limitation period (Art. 7(1) burden of proof).
 * Instances are immutable and thread-safe.
 */
public sealed interface Retention {

  /** How long the proof of a consent (events, notice reference) is kept after the consent ends. */
  Duration proofRetention();

  /**
   * Data is kept for a fixed period after confirmation.
   *
   * @param period how long after confirmation the consent is valid; positive
   * @param proofRetention how long proof is kept after the period ends; zero or positive
   */
  record Fixed(Duration period, Duration proofRetention) implements Retention {
    /** Validates the periods. */
    public Fixed {
      requirePositive(period, "retention period");
      requireNotNegative(proofRetention, "proof retention");
    }
  }

  /**
   * Data is kept until the subject withdraws.
   *
   * @param proofRetention how long proof is kept after withdrawal; zero or positive
   */
  record UntilWithdrawn(Duration proofRetention) implements Retention {
    /** Validates the period. */
    public UntilWithdrawn {
      requireNotNegative(proofRetention, "proof retention");
    }
  }

  /**
   * Returns a fixed retention.
   *
   * @param period validity after confirmation
   * @param proofRetention how long proof is kept afterwards
   * @return the retention
   */
  static Retention fixed(Duration period, Duration proofRetention) {
    return new Fixed(period, proofRetention);
  }

  /**
   * Returns an until-withdrawn retention.
   *
   * @param proofRetention how long proof is kept after withdrawal
   * @return the retention
   */
  static Retention untilWithdrawn(Duration proofRetention) {
    return new UntilWithdrawn(proofRetention);
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive, was " + d);
    }
  }

  private static void requireNotNegative(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative()) {
      throw new IllegalArgumentException(name + " must not be negative, was " + d);
    }
  }
}
