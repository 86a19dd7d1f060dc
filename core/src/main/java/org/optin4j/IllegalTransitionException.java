package org.optin4j;

/**
 * A consent was asked to move to a state its state machine does not allow (for example from {@code ERASED} back to
 * {@code CONFIRMED}).
 *
 * <p>The {@link OptIn} service never triggers it: it checks states and answers with a result value. It guards direct
 * use of {@link Consent}'s transition methods, for example by a custom store.
 */
public final class IllegalTransitionException extends OptInException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param from the current state
   * @param to the requested state
   */
  public IllegalTransitionException(ConsentState from, ConsentState to) {
    super("illegal consent transition " + from + " -> " + to);
  }
}
