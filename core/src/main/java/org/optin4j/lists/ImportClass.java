package org.optin4j.lists;

/**
 * What one imported entry (one row, one purpose) proves, decided from the row alone before it meets the store
 * ({@code docs/import.md} has the rules per format).
 *
 * <p>GDPR Art. 7(1): the controller must be able to show that the person consented; an export without a confirmation
 * time shows only that someone subscribed the address.
 */
public enum ImportClass {
  /** A confirmation time (with or without IP): kept as a confirmed consent with its evidence and the source named. */
  PROVEN,
  /** A subscription without proof of confirmation: kept pending, not mailable until the person confirms again. */
  UNPROVEN,
  /** The person unsubscribed: kept as a withdrawn consent, so that the address is never mailed again for it. */
  WITHDRAWN,
  /** The address bounced for good (Mailchimp's "cleaned"): kept with an undeliverable mark, never mailed again. */
  UNDELIVERABLE
}
