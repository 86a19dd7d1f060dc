package org.optin4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.ConfigurationException;

class TextBundleTest {
  private static final String SAMPLE = "org.optin4j.internal.texts.sample";
  private static final Map<String, String> VALUES = Map.of("name", "Ann {day}", "day", "Monday");

  private static TextBundle sample() {
    return TextBundle.shipped("sample text", SAMPLE, TextBundleTest.class.getClassLoader());
  }

  @Test
  void textWhenPlaceholdersThenEachReplacedLiterallyOnce() {
    TextBundle texts = sample();

    // The value "Ann {day}" is not scanned again, and the apostrophe needs no MessageFormat
    // quoting.
    assertEquals("Hello Ann {day}, it's Monday.", texts.text(Locale.ENGLISH, "greeting", VALUES));
    assertEquals("Bonjour Ann {day}, c'est Monday.", texts.text(Locale.FRENCH, "greeting", VALUES));
  }

  @Test
  void textWhenBracesAreNoPlaceholderThenLiteral() {
    assertEquals("Keep {a b}, {} and {", sample().text(Locale.ENGLISH, "braces"));
  }

  @Test
  void shippedWhenTranslationLacksKeyThenRefusedNamingLanguageAndKeys() {
    // A missing translation must fail the build (ShippedTextsTest) and the start, never show the
    // default language
    // silently (GDPR Art. 12(1): in the language the person reads).
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                TextBundle.shipped(
                    "sample text",
                    "org.optin4j.internal.texts.lacking",
                    TextBundleTest.class.getClassLoader()));

    assertTrue(
        e.getMessage().contains("lacking_nl.properties lacks braces, only.default"),
        e.getMessage());
  }

  @Test
  void textWhenLanguageNotShippedThenDefaultLanguage() {
    assertEquals("Plain", sample().text(Locale.forLanguageTag("es"), "plain"));
    assertEquals("Gewoon", sample().text(Locale.forLanguageTag("nl-BE"), "plain"));
    assertEquals("en", TextBundle.language(Locale.forLanguageTag("pt-BR")));
    assertEquals("nl", TextBundle.language(Locale.forLanguageTag("nl-BE")));
  }

  @Test
  void textWhenPlaceholderHasNoValueThenRefusedNamingIt() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> sample().text(Locale.ENGLISH, "greeting", Map.of("name", "Ann")));

    assertTrue(
        e.getMessage().contains("greeting") && e.getMessage().contains("{day}"), e.getMessage());
  }

  @Test
  void textWhenKeyUnknownThenRefusedNamingIt() {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> sample().text(Locale.ENGLISH, "nope"));

    assertEquals("sample text missing: nope", e.getMessage());
  }

  @Test
  void shippedWhenLanguageFileMissingThenRefusedNamingIt() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                TextBundle.shipped(
                    "sample text",
                    "org.optin4j.internal.texts.partial",
                    TextBundleTest.class.getClassLoader()));

    assertTrue(
        e.getMessage().contains("org/optin4j/internal/texts/partial_nl.properties"),
        e.getMessage());
  }

  @Test
  void overriddenByWhenAppBundleThenKeyByKeyLanguageFileFirstThenCommonFile() {
    TextBundle texts = sample().overriddenBy("org.optin4j.internal.texts.app");

    assertEquals("App einfach", texts.text(Locale.GERMAN, "plain"));
    assertEquals("Servus Ann {day}", texts.text(Locale.GERMAN, "greeting", VALUES));
    assertEquals("App plain", texts.text(Locale.forLanguageTag("nl"), "plain"));
    assertEquals("App plain", texts.text(Locale.ENGLISH, "plain"));
    // Keys the app does not override keep the shipped text of the language.
    assertEquals(
        "Hallo Ann {day}, het is Monday.",
        texts.text(Locale.forLanguageTag("nl"), "greeting", VALUES));
    assertEquals("Only in English", texts.text(Locale.GERMAN, "only.default"));
    // The shipped texts themselves are untouched.
    assertEquals("Einfach", texts.shippedTexts("de").get("plain"));
    assertEquals("Einfach", sample().text(Locale.GERMAN, "plain"));
  }

  @Test
  void overriddenByWhenUnknownKeyOrPlaceholderThenRefusedNamingEach() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> sample().overriddenBy("org.optin4j.internal.texts.bad"));

    assertEquals(
        List.of(
            "org/optin4j/internal/texts/bad_nl.properties: greeting: unknown placeholder {who}; this text has {name}, {day}",
            "org/optin4j/internal/texts/bad_nl.properties: greting: unknown key (not a sample text of optin4j)",
            "org/optin4j/internal/texts/bad_nl.properties: plain: unknown placeholder {name}; this text has none"),
        e.problems());
  }

  @Test
  void overriddenByWhenNoFileThenRefusedNamingWhatWasLookedFor() {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> sample().overriddenBy("com.shop.missing"));

    assertTrue(e.getMessage().contains("com/shop/missing.properties"), e.getMessage());
    assertTrue(e.getMessage().contains("com/shop/missing_<language>.properties"), e.getMessage());
  }

  @Test
  void overriddenByWhenBaseNameIsAPathThenRefused() {
    assertThrows(ConfigurationException.class, () -> sample().overriddenBy("../etc/passwd"));
  }

  @Test
  void placeholdersWhenTextThenNamesInOrderWithoutRepeats() {
    assertEquals(List.of("b", "a"), List.copyOf(TextBundle.placeholders("{b} {a} {b} {} {x y}")));
    assertEquals(Set.of(), TextBundle.placeholders("none"));
  }
}
