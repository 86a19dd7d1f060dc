package org.optin4j.spi;

/** The kinds of mail the library sends; each has its own template and its own caps. */
public enum MailKind {
  /** The double opt-in confirmation request (neutral, transactional). */
  CONFIRMATION,
  /** Sent after confirmation: what was agreed to, with the preference and one-click unsubscribe links. */
  RECEIPT
}
