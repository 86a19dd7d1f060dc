package org.optin4j;

/**
 * The lawful basis of a purpose (GDPR Art. 6(1), Art. 9(2)). optin4j manages consent, so the bases are the two kinds
 * of consent; other bases (contract, legitimate interest) need no opt-in and are out of scope.
 */
public enum LegalBasis {
  /** Consent under Art. 6(1)(a). */
  CONSENT,
  /** Explicit consent under Art. 9(2)(a), for special categories of data. */
  EXPLICIT_CONSENT
}
