package org.optin4j;

import java.time.Instant;

/** The outcome of {@link OptIn#resendConfirmation(String)}. */
public sealed interface ResendResult {
  /** A new link was queued; every earlier link of the request stopped working. */
  record Resent() implements ResendResult {}

  /**
   * The per-address cap is reached.
   *
   * @param retryAfter when another mail may go out
   */
  record Throttled(Instant retryAfter) implements ResendResult {}

  /** The request was confirmed already. */
  record AlreadyConfirmed() implements ResendResult {}

  /** The token is not a valid confirmation token of a request that can still be confirmed. */
  record Invalid() implements ResendResult {}
}
