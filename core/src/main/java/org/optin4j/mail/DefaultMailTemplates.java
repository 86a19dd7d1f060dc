package org.optin4j.mail;

import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailTemplates;

/**
 * The built-in mail templates in English, Dutch, German and French. Immutable and thread-safe.
 */
public final class DefaultMailTemplates implements MailTemplates {

  /** Creates the templates. */
  public DefaultMailTemplates() {}

  @Override
  public Rendered render(MailKind kind, Model model) {
    throw new UnsupportedOperationException("TEMPORARY: being implemented");
  }
}
