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
  DATA_EXPORT
}
