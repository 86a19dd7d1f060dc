package org.optin4j;

/** The outcome of {@link OptIn#unsubscribe(String, Channel, Evidence)}. */
public sealed interface UnsubscribeResult {
  /**
   * The token was valid; every active or pending purpose is withdrawn (possibly none, if already done).
   *
   * @param withdrawal what was withdrawn
   */
  record Unsubscribed(Withdrawal withdrawal) implements UnsubscribeResult {}

  /** The token is not a valid unsubscribe token. */
  record Invalid() implements UnsubscribeResult {}
}
