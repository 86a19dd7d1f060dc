package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.optin4j.text.TextBundle;

/** The notice and mail texts of core in every shipped language (the page texts: servlet-adapter's PageTextsTest). */
class ShippedTextsTest {
  static Stream<Arguments> translations() {
    List<Arguments> out = new ArrayList<>();
    for (String base : List.of("org.optin4j.internal.notice", "org.optin4j.mail.messages")) {
      for (String language : TextBundle.LANGUAGES) {
        out.add(Arguments.of(base, language));
      }
    }
    return out.stream();
  }

  @ParameterizedTest
  @MethodSource("translations")
  void translationWhenShippedThenEveryKeyOfTheDefaultLanguageAndNoOther(
      String base, String language) {
    TextBundle texts = TextBundle.shipped("text", base, ShippedTextsTest.class.getClassLoader());

    assertEquals(
        new TreeSet<>(texts.shippedTexts(TextBundle.LANGUAGES.get(0)).keySet()),
        new TreeSet<>(texts.shippedTexts(language).keySet()),
        base + "_" + language);
  }

  @ParameterizedTest
  @MethodSource("translations")
  void translationWhenShippedThenOnlyPlaceholdersOfTheDefaultText(String base, String language) {
    TextBundle texts = TextBundle.shipped("text", base, ShippedTextsTest.class.getClassLoader());
    Map<String, String> defaults = texts.shippedTexts(TextBundle.LANGUAGES.get(0));

    texts
        .shippedTexts(language)
        .forEach(
            (key, text) -> {
              assertTrue(
                  TextBundle.placeholders(defaults.getOrDefault(key, ""))
                      .containsAll(TextBundle.placeholders(text)),
                  () -> base + "_" + language + " " + key + ": " + text);
              // Named placeholders only: {0} is the positional syntax of before, and a lone brace
              // would be shown as it is.
              assertFalse(
                  text.replaceAll("\\{[A-Za-z][A-Za-z0-9]*}", "").matches("(?s).*[{}].*"),
                  () -> base + "_" + language + " " + key + ": " + text);
            });
  }
}
