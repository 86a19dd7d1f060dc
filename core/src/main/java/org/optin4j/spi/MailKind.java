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
