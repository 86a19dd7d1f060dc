package org.optin4j;

import java.util.EnumSet;
import java.util.Set;

/**
 * The life cycle of one consent (one subject, one purpose).
 *
 * <pre>
 *   PENDING ---confirm---&gt; CONFIRMED ---withdraw---&gt; WITHDRAWN
 *      |                      |                          |
 *      +--expire--&gt; EXPIRED &lt;-+ (retention ran out)       |
 *      +--withdraw (cancel) --&gt; WITHDRAWN                |
 *   WITHDRAWN / EXPIRED ---new request (fresh double opt-in)---&gt; PENDING
 *   any state ---erase---&gt; ERASED (final)
 * </pre>
 *
 * <p>A consent is active, and mail for its purpose allowed, only in {@link #CONFIRMED} (GDPR Art. 7(3): withdrawal
 * ends it at once; Art. 17: erasure is final for that record).
 */
public enum ConsentState {
  /** Requested; waiting for the person to confirm their address. */
  PENDING,
  /** Confirmed by double opt-in; processing is allowed. */
  CONFIRMED,
  /** Withdrawn by the person or on their behalf. */
  WITHDRAWN,
  /** Lapsed: the request was never confirmed in time, or the retention period ran out. */
  EXPIRED,
  /** Personal data erased; only de-identified proof may remain. */
  ERASED;

  /**
   * Tells whether the state machine allows moving from this state to another.
   *
   * @param next the target state
   * @return whether the transition is legal
   */
  public boolean canMoveTo(ConsentState next) {
    return allowedNext().contains(next);
  }

  /** Returns the states this state may move to. */
  public Set<ConsentState> allowedNext() {
    return switch (this) {
      case PENDING -> EnumSet.of(CONFIRMED, WITHDRAWN, EXPIRED, ERASED);
      case CONFIRMED -> EnumSet.of(WITHDRAWN, EXPIRED, ERASED);
      case WITHDRAWN, EXPIRED -> EnumSet.of(PENDING, ERASED);
      case ERASED -> EnumSet.noneOf(ConsentState.class);
    };
  }
}
