package org.optin4j.lists;

import java.time.Duration;
import java.util.Objects;

/**
 * How bounce and complaint reports are handled ({@link Bounces}): how many temporary bounces within how many days mark
 * an address undeliverable, and how long reports set aside are kept. Immutable and thread-safe.
 *
 * @param softBounceLimit this many temporary bounces (of different mails) ...
 * @param softBounceWindow ... within this window mark the address undeliverable
 * @param asideRetention how long a report set aside is kept for the operator (it may hold addresses: GDPR Art. 5(1)(e))
 */
public record BounceSettings(
    int softBounceLimit, Duration softBounceWindow, Duration asideRetention) {
  /** Three temporary bounces in 14 days; reports set aside kept 30 days. */
  public static final BounceSettings DEFAULTS =
      new BounceSettings(3, Duration.ofDays(14), Duration.ofDays(30));

  /** Validates the components. */
  public BounceSettings {
    Objects.requireNonNull(softBounceWindow, "softBounceWindow");
    Objects.requireNonNull(asideRetention, "asideRetention");
    if (softBounceLimit < 1 || softBounceLimit > 100) {
      throw new IllegalArgumentException(
          "softBounceLimit must be 1 to 100, was " + softBounceLimit);
    }
    if (softBounceWindow.compareTo(Duration.ofHours(1)) < 0
        || softBounceWindow.compareTo(Duration.ofDays(365)) > 0) {
      throw new IllegalArgumentException("softBounceWindow must be 1 hour to 365 days");
    }
    if (asideRetention.compareTo(Duration.ofDays(1)) < 0
        || asideRetention.compareTo(Duration.ofDays(365)) > 0) {
      throw new IllegalArgumentException("asideRetention must be 1 to 365 days");
    }
  }
}
