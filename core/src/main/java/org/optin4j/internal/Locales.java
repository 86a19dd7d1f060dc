package org.optin4j.internal;

import java.util.Locale;

/** Locale handling shared by the model: texts are chosen by language only. */
public final class Locales {
  private Locales() {}

  public static Locale languageOnly(Locale locale) {
    String language = locale.getLanguage();
    if (language.isEmpty()) {
      throw new IllegalArgumentException("locale must name a language, was \"" + locale + '"');
    }
    return Locale.forLanguageTag(language);
  }
}
