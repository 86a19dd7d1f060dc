package org.optin4j.servlet;

/**
 * What the drop-in did with a POST to one of the app's own forms ({@link OptInFilter.Builder#formPaths}): the filter
 * stores it as the request attribute {@link #ATTRIBUTE} and passes the request on to the app.
 *
 * <p>{@link Requested} is the same whether the address was new, pending, confirmed or throttled (security rule 8), so
 * the app's answer cannot tell them apart either. A failed CSRF or origin check (403) or a rate limit (429) is
 * answered by the filter itself; the app never sees those requests.
 */
public sealed interface SignupOutcome {

  /** The request attribute under which the outcome is stored. */
  String ATTRIBUTE = "org.optin4j.servlet.SignupOutcome";

  /** A double opt-in was started (or silently dropped as a duplicate, a throttled address or a bot). */
  record Requested() implements SignupOutcome {}

  /** No purpose was ticked: nothing was done. */
  record NothingChosen() implements SignupOutcome {}

  /**
   * The address is not valid; nothing was recorded. Show the form again.
   *
   * @param reason why, in English, free of the input
   */
  record InvalidAddress(String reason) implements SignupOutcome {}

  /** The notice texts changed while the form was open; nothing was recorded. Show the form again. */
  record NoticeChanged() implements SignupOutcome {}

  /** The {@link HumanCheck} failed; nothing was recorded. */
  record HumanCheckFailed() implements SignupOutcome {}
}
