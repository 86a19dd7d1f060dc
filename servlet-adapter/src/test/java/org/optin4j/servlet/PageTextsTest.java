package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.optin4j.text.TextBundle;

/**
 * The page texts in every shipped language (the notice and mail texts: core's ShippedTextsTest; the app's overrides:
 * OptInFilterConfigTest).
 */
class PageTextsTest {
  private static final TextBundle TEXTS =
      TextBundle.shipped(
          "page text", "org.optin4j.servlet.pages", PageTextsTest.class.getClassLoader());

  static List<String> languages() {
    return TextBundle.LANGUAGES;
  }

  @ParameterizedTest
  @MethodSource("languages")
  void translationWhenShippedThenEveryKeyOfTheDefaultLanguageAndNoOther(String language) {
    assertEquals(
        new TreeSet<>(TEXTS.shippedTexts(TextBundle.LANGUAGES.get(0)).keySet()),
        new TreeSet<>(TEXTS.shippedTexts(language).keySet()),
        language);
  }

  @ParameterizedTest
  @MethodSource("languages")
  void translationWhenShippedThenOnlyPlaceholdersOfTheDefaultText(String language) {
    Map<String, String> defaults = TEXTS.shippedTexts(TextBundle.LANGUAGES.get(0));

    TEXTS
        .shippedTexts(language)
        .forEach(
            (key, text) -> {
              assertTrue(
                  TextBundle.placeholders(defaults.getOrDefault(key, ""))
                      .containsAll(TextBundle.placeholders(text)),
                  () -> language + " " + key + ": " + text);
              // Named placeholders only: {0} is the positional syntax of before, and a lone brace
              // would be shown as it is.
              assertFalse(
                  text.replaceAll("\\{[A-Za-z][A-Za-z0-9]*}", "").matches("(?s).*[{}].*"),
                  () -> language + " " + key + ": " + text);
            });
  }
}
