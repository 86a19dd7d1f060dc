package org.optin4j.internal;

/**
 * The kinds of link token. Each has its own JOSE {@code typ} and audience, and a token of one kind is refused where
 * another is expected (RFC 8725 section 3.11 explicit typing, section 3.9 audience).
 */
public enum TokenKind {
  /** The double opt-in confirmation link. */
  CONFIRM("optin4j-confirm+jwt", "optin4j:confirm"),
  /** The preference center link. */
  MANAGE("optin4j-manage+jwt", "optin4j:manage"),
  /** The RFC 8058 one-click unsubscribe link. */
  UNSUBSCRIBE("optin4j-unsubscribe+jwt", "optin4j:unsubscribe"),
  /** The single-use data request (export) link. */
  DATA_REQUEST("optin4j-data-request+jwt", "optin4j:data-request"),
  /**
   * The short-lived, single-use link mailed to the address on file before an address change or an erasure asked
   * through a preferences link goes ahead (a forwarded preferences link alone must not do either).
   */
  STEP_UP("optin4j-step-up+jwt", "optin4j:step-up"),
  /** The single-use "this was not me" link mailed to the old address after a change of address: it undoes it. */
  NOT_ME("optin4j-not-me+jwt", "optin4j:not-me");

  private final String type;
  private final String audience;

  TokenKind(String type, String audience) {
    this.type = type;
    this.audience = audience;
  }

  /** Returns the JOSE {@code typ} header value. */
  public String type() {
    return type;
  }

  /** Returns the {@code aud} claim value. */
  public String audience() {
    return audience;
  }
}
