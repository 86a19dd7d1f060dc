package org.optin4j.servlet;

import java.util.List;
import java.util.Locale;
import java.util.MissingResourceException;
import java.util.ResourceBundle;

/**
 * Page texts in en, nl, de and fr ({@code pages_*.properties}, UTF-8), optionally overridden key by key by an app
 * bundle. Placeholders are {@code {0}}, {@code {1}}, ... replaced literally (no MessageFormat quoting rules, so an
 * apostrophe in a translation needs no escaping). Values are plain text: callers encode them.
 *
 * <p>Immutable and thread-safe (resource bundles are cached by the JDK).
 */
final class Messages {
  static final List<String> LANGUAGES = List.of("en", "nl", "de", "fr");
  private static final String BASE = "org.optin4j.servlet.pages";

  private final String overrideBase;

  Messages(String overrideBase) {
    this.overrideBase = overrideBase;
  }

  String get(Locale locale, String key, Object... args) {
    String text = null;
    if (overrideBase != null) {
      text = lookup(overrideBase, locale, key, Thread.currentThread().getContextClassLoader());
    }
    if (text == null) {
      text = lookup(BASE, locale, key, Messages.class.getClassLoader());
    }
    if (text == null) {
      throw new IllegalStateException("page text missing: " + key);
    }
    for (int i = 0; i < args.length; i++) {
      text = text.replace("{" + i + "}", String.valueOf(args[i]));
    }
    return text;
  }

  private static String lookup(String base, Locale locale, String key, ClassLoader loader) {
    try {
      ResourceBundle b = ResourceBundle.getBundle(base, locale, loader == null ? Messages.class.getClassLoader()
          : loader, ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
      return b.containsKey(key) ? b.getString(key) : null;
    } catch (MissingResourceException e) {
      return null;
    }
  }
}
