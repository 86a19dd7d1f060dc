package org.optin4j;

/**
 * How a consent change reached the library; recorded with every event so that withdrawal "as easy as giving"
 * (GDPR Art. 7(3)) can be shown.
 */
public enum Channel {
  /** A signup form (hosted page or the app's own form). */
  FORM,
  /** The confirmation link in the double opt-in mail. */
  CONFIRMATION_LINK,
  /** The preference center. */
  PREFERENCE_CENTER,
  /** An RFC 8058 one-click unsubscribe. */
  ONE_CLICK_UNSUBSCRIBE,
  /** A direct call of the API by the application. */
  API,
  /** An operator acting on the subject's behalf. */
  OPERATOR,
  /** The library itself (expiry, retention). */
  SYSTEM,
  /** An import of another tool's export ({@code optIn.imports()}); the event's source names the file and its hash. */
  IMPORT
}
