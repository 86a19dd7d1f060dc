package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PurposeIdTest {

  static Stream<String> validIds() {
    return Stream.of("a", "newsletter", "news-letter", "offers-2025", "x1", "a" + "b".repeat(62));
  }

  @ParameterizedTest
  @MethodSource("validIds")
  void ofWhenValidThenKeepsValue(String value) {
    PurposeId id = PurposeId.of(value);

    assertEquals(value, id.value());
    assertEquals(value, id.toString());
    assertEquals(new PurposeId(value), id);
  }

  static Stream<String> invalidIds() {
    return Stream.of(
        "",
        "Newsletter",
        "NEWSLETTER",
        "1newsletter",
        "-newsletter",
        "news_letter",
        "news letter",
        "news.letter",
        " newsletter",
        "newsletter\n",
        "nieuwsbrief\u00e9",
        "newsletter\u0000",
        "a" + "b".repeat(63));
  }

  @ParameterizedTest
  @MethodSource("invalidIds")
  void ofWhenInvalidThenRefused(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PurposeId.of(value));

    assertTrue(
        e.getMessage().startsWith("invalid purpose id (expected [a-z][a-z0-9-]{0,62}): "),
        e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"News", "news letter"})
  void ofWhenInvalidThenMessageQuotesValue(String value) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PurposeId.of(value));

    assertEquals(
        "invalid purpose id (expected [a-z][a-z0-9-]{0,62}): \"" + value + '"', e.getMessage());
  }

  @Test
  void ofWhenInvalidAndLongThenMessageAbbreviated() {
    String value = "X".repeat(500);

    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PurposeId.of(value));

    assertEquals(
        "invalid purpose id (expected [a-z][a-z0-9-]{0,62}): \"" + "X".repeat(70) + "\"...",
        e.getMessage());
  }

  @Test
  void ofWhenNullThenNamesIt() {
    assertEquals(
        "purpose id",
        assertThrows(NullPointerException.class, () -> PurposeId.of(null)).getMessage());
  }

  @Test
  void tryParseWhenValidThenTheIdAndWhenInvalidOrAbsentThenEmptyWithoutThrowing() {
    assertEquals(
        java.util.Optional.of(PurposeId.of("newsletter")), PurposeId.tryParse("newsletter"));
    assertEquals(java.util.Optional.empty(), PurposeId.tryParse("News Letter"));
    assertEquals(java.util.Optional.empty(), PurposeId.tryParse(""));
    assertEquals(java.util.Optional.empty(), PurposeId.tryParse("x".repeat(64)));
    assertEquals(java.util.Optional.empty(), PurposeId.tryParse(null));
  }

  @Test
  void compareToWhenSortedThenByValue() {
    List<PurposeId> sorted =
        Stream.of("offers", "events", "newsletter", "news").map(PurposeId::of).sorted().toList();

    assertEquals(
        List.of("events", "news", "newsletter", "offers"),
        sorted.stream().map(PurposeId::value).toList());
  }
}
