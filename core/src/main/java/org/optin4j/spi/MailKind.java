package org.optin4j.spi;

/** The kinds of mail the library sends; each has its own template and its own caps. */
public enum MailKind {
  /** The double opt-in confirmation request (neutral, transactional). */
  CONFIRMATION,
  /** Sent after confirmation: what was agreed to, with the preference and one-click unsubscribe links. */
  RECEIPT,
  /** The confirmation request sent to a new address before it replaces the old one (rectification). */
  ADDRESS_CONFIRMATION,
  /** The subject's data export, attached as JSON (access and portability). */
  DATA_EXPORT,
  /**
   * Sent to the address on file when an address change was asked through a preferences link: the short-lived,
   * single-use step-up link that lets the change go on (only then does the new address get its double opt-in).
   */
  ADDRESS_CHANGE_STEP_UP,
  /**
   * Sent to the address on file when an erasure was asked through a preferences link: the short-lived, single-use
   * step-up link without which nothing is erased.
   */
  ERASURE_STEP_UP,
  /**
   * Sent to the old address once a change of address is confirmed: says so, with the single-use "this was not me"
   * link that undoes the change.
   */
  ADDRESS_CHANGED_NOTICE,
  /**
   * A personal data breach notification (GDPR Art. 34) written by the controller; it reaches every affected address
   * on file, withdrawn consents included. {@link MailTemplates} are not asked to render it: the controller's text is
   * sent as written, with the controller's name and contact as footer.
   */
  BREACH_NOTICE,
  /**
   * The app's own mail for a purpose (a newsletter issue), sent only while the consent is confirmed and unrestricted,
   * with {@code List-Id}, {@code List-Unsubscribe} and {@code List-Unsubscribe-Post}. {@link MailTemplates} are not
   * asked to render it: the campaign's subject, text and HTML are sent as the app wrote them.
   */
  CAMPAIGN
}
