package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The statement on automated decisions and profiling in catalog files (GDPR Art. 13(2)(f)): required, {@code none} a
 * statement, otherwise the logic and consequences in every language.
 */
class PurposeAutomatedDecisionsFilesTest {
  private static final String PROPERTIES =
      "locales=en,nl\npurposes=newsletter\n"
          + "purpose.newsletter.retention=until-withdrawn\npurpose.newsletter.proof-retention=P1Y\n"
          + "purpose.newsletter.recipients=none\n"
          + "%s"
          + "purpose.newsletter.title.en=News\npurpose.newsletter.description.en=Monthly.\n"
          + "purpose.newsletter.data.en=Your address.\n"
          + "purpose.newsletter.title.nl=Nieuws\npurpose.newsletter.description.nl=Maandelijks.\n"
          + "purpose.newsletter.data.nl=Je adres.\n";
  private static final String JSON =
      "{\"locales\":[\"en\",\"nl\"],\"purposes\":[{\"id\":\"newsletter\",\"retention\":\"until-withdrawn\","
          + "\"proofRetention\":\"P1Y\",\"recipients\":[],%s\"texts\":{"
          + "\"en\":{\"title\":\"News\",\"description\":\"Monthly.\",\"data\":\"Your address.\"},"
          + "\"nl\":{\"title\":\"Nieuws\",\"description\":\"Maandelijks.\",\"data\":\"Je adres.\"}}}]}";

  private static ByteArrayInputStream in(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<Locale, String> fromProperties(String lines) {
    return PurposeCatalog.fromProperties(in(String.format(PROPERTIES, lines)))
        .require(PurposeId.of("newsletter"))
        .automatedDecisions();
  }

  private static Map<Locale, String> fromJson(String member) {
    return PurposeCatalog.fromJson(in(String.format(JSON, member)))
        .require(PurposeId.of("newsletter"))
        .automatedDecisions();
  }

  private static List<String> propertiesProblems(String lines) {
    return assertThrows(ConfigurationException.class, () -> fromProperties(lines)).problems();
  }

  private static List<String> jsonProblems(String member) {
    return assertThrows(ConfigurationException.class, () -> fromJson(member)).problems();
  }

  @Test
  void catalogFilesWhenNoneThenStatementOfNoneFromBothFormats() {
    assertEquals(Map.of(), fromProperties("purpose.newsletter.automated-decisions=none\n"));
    assertEquals(Map.of(), fromJson("\"automatedDecisions\":\"none\","));
  }

  @Test
  void catalogFilesWhenLogicPerLanguageThenReadTheSameFromBothFormats() {
    Map<Locale, String> expected =
        Map.of(
            Locale.ENGLISH, "We count opens.", Locale.forLanguageTag("nl"), "We tellen openingen.");

    assertEquals(
        expected,
        fromProperties(
            "purpose.newsletter.automated-decisions.en=We count opens.\n"
                + "purpose.newsletter.automated-decisions.nl=We tellen openingen.\n"));
    assertEquals(
        expected,
        fromJson(
            "\"automatedDecisions\":{\"en\":\"We count opens.\",\"nl\":\"We tellen openingen.\"},"));
  }

  @Test
  void catalogFilesWhenStatementMissingThenRefusedNamingTheKey() {
    assertEquals(
        List.of(
            "purpose.newsletter.automated-decisions: required (GDPR Art. 13(2)(f)); none, or the"
                + " logic and consequences in purpose.newsletter.automated-decisions.<locale>"),
        propertiesProblems(""));
    assertEquals(
        List.of(
            "purposes[0].automatedDecisions: required (GDPR Art. 13(2)(f)); \"none\", or the logic"
                + " and consequences per locale"),
        jsonProblems(""));
  }

  @Test
  void catalogFilesWhenTranslationMissingThenRefusedNamingIt() {
    assertEquals(
        List.of("purpose.newsletter.automated-decisions.nl: missing translation"),
        propertiesProblems("purpose.newsletter.automated-decisions.en=We count opens.\n"));
    assertEquals(
        List.of("purposes[0].automatedDecisions.nl: missing translation"),
        jsonProblems("\"automatedDecisions\":{\"en\":\"We count opens.\"},"));
  }

  @Test
  void catalogFilesWhenNoneAndLogicOrOtherWordThenRefused() {
    assertEquals(
        List.of(
            "purpose.newsletter.automated-decisions: none, yet"
                + " purpose.newsletter.automated-decisions.<locale> describes automated decisions"),
        propertiesProblems(
            "purpose.newsletter.automated-decisions=none\n"
                + "purpose.newsletter.automated-decisions.en=We count opens.\n"
                + "purpose.newsletter.automated-decisions.nl=We tellen.\n"));
    assertEquals(
        List.of(
            "purpose.newsletter.automated-decisions: must be none, was \"no\"; describe automated"
                + " decisions per language in purpose.newsletter.automated-decisions.<locale>"),
        propertiesProblems("purpose.newsletter.automated-decisions=no\n"));
    assertEquals(
        List.of(
            "purposes[0].automatedDecisions: must be \"none\" or an object of texts per locale, was"
                + " a string"),
        jsonProblems("\"automatedDecisions\":\"no\","));
  }

  @Test
  void catalogFilesWhenLogicInUnlistedLanguageThenRefused() {
    assertEquals(
        List.of("purpose.newsletter.automated-decisions.de: locale not in locales"),
        propertiesProblems(
            "purpose.newsletter.automated-decisions=none\n"
                + "purpose.newsletter.automated-decisions.de=Wir zählen.\n"));
  }
}
