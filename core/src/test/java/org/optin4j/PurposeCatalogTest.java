package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class PurposeCatalogTest {
  private static final Locale EN = Locale.ENGLISH;
  private static final Locale NL = Locale.forLanguageTag("nl");
  private static final Retention UNTIL_WITHDRAWN =
      Retention.untilWithdrawn(Duration.ofDays(3 * 365));

  // ---------------------------------------------------------------------------------------------------------------
  // Builder and queries

  @Nested
  class Builder {
    @Test
    void buildWhenValidThenKeepsInsertionOrder() {
      PurposeCatalog catalog =
          PurposeCatalog.builder()
              .locales(EN)
              .add(purpose("newsletter", EN))
              .add(purpose("events", EN))
              .add(purpose("offers", EN))
              .build();

      assertEquals(
          List.of("newsletter", "events", "offers"),
          catalog.purposes().stream().map(p -> p.id().value()).toList());
    }

    @Test
    void buildWhenLocalesHaveRegionsThenKeepsLanguageOnlyInOrder() {
      PurposeCatalog catalog =
          PurposeCatalog.builder()
              .locales(Locale.forLanguageTag("nl-BE"), Locale.UK, Locale.forLanguageTag("nl-NL"))
              .add(purpose("newsletter", EN, NL))
              .build();

      assertEquals(List.of(NL, EN), catalog.locales());
      assertEquals(NL, catalog.defaultLocale());
    }

    @Test
    void buildWhenTranslationMissingThenNamesPurposeAndLocale() {
      PurposeCatalog.Builder builder =
          PurposeCatalog.builder()
              .locales(EN, NL)
              .add(purpose("newsletter", EN))
              .add(purpose("events", NL));

      ConfigurationException e = assertThrows(ConfigurationException.class, builder::build);

      assertEquals(
          List.of(
              "purpose newsletter: missing translation for locale nl",
              "purpose events: missing translation for locale en"),
          e.problems());
    }

    @Test
    void buildWhenNoLocaleAndNoPurposeThenNamesBoth() {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> PurposeCatalog.builder().build());

      assertEquals(
          List.of(
              "purpose catalog: at least one locale is required",
              "purpose catalog: at least one purpose is required"),
          e.problems());
    }

    @Test
    void addWhenIdTakenThenRefused() {
      PurposeCatalog.Builder builder = PurposeCatalog.builder().add(purpose("newsletter", EN));

      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> builder.add(purpose("newsletter", EN)));
      assertEquals("duplicate purpose: newsletter", e.getMessage());
    }

    @Test
    void purposesWhenModifiedThenRefused() {
      PurposeCatalog catalog =
          PurposeCatalog.builder().locales(EN).add(purpose("newsletter", EN)).build();

      assertThrows(UnsupportedOperationException.class, () -> catalog.purposes().clear());
      assertThrows(UnsupportedOperationException.class, () -> catalog.locales().clear());
    }

    @Test
    void purposeAndRequireWhenKnownOrUnknownThenFindOrRefuse() {
      Purpose newsletter = purpose("newsletter", EN);
      PurposeCatalog catalog = PurposeCatalog.builder().locales(EN).add(newsletter).build();

      assertEquals(Optional.of(newsletter), catalog.purpose(PurposeId.of("newsletter")));
      assertSame(newsletter, catalog.require(PurposeId.of("newsletter")));
      assertEquals(Optional.empty(), catalog.purpose(PurposeId.of("events")));
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> catalog.require(PurposeId.of("events")));
      assertEquals("unknown purpose: events", e.getMessage());
    }
  }

  @Nested
  class Resolve {
    private final PurposeCatalog catalog =
        PurposeCatalog.builder().locales(EN, NL).add(purpose("newsletter", EN, NL)).build();

    @ParameterizedTest
    @CsvSource({
      "nl, nl",
      "en, en",
      "nl-BE, nl",
      "nl-NL-x-private, nl",
      "en-US, en",
      "de, en",
      "de-DE, en",
      "fr, en",
    })
    void resolveWhenLanguageSupportedThenItElseDefault(String wished, String expected) {
      assertEquals(Locale.forLanguageTag(expected), catalog.resolve(Locale.forLanguageTag(wished)));
    }

    @Test
    void resolveWhenNullOrNoLanguageThenDefault() {
      assertEquals(EN, catalog.resolve(null));
      assertEquals(EN, catalog.resolve(Locale.ROOT));
      assertEquals(EN, catalog.resolve(new Locale.Builder().setRegion("NL").build()));
    }

    @Test
    void resolveWhenDefaultIsSecondLanguageListedFirstThenIt() {
      PurposeCatalog dutchFirst =
          PurposeCatalog.builder().locales(NL, EN).add(purpose("newsletter", EN, NL)).build();

      assertEquals(NL, dutchFirst.resolve(Locale.GERMAN));
      assertEquals(EN, dutchFirst.resolve(Locale.US));
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Loading: the full examples (the same as in docs/purpose-catalog.md)

  @Nested
  class FullExamples {
    @Test
    void fromPropertiesWhenFullExampleThenReadsEveryKey() {
      assertFullExample(load("catalogs/full.properties", PurposeCatalog::fromProperties));
    }

    @Test
    void fromJsonWhenFullExampleThenReadsEveryKey() {
      assertFullExample(load("catalogs/full.json", PurposeCatalog::fromJson));
    }

    @Test
    void fromJsonAndFromPropertiesWhenSameCatalogThenEqualPurposes() {
      assertEquals(
          load("catalogs/full.properties", PurposeCatalog::fromProperties).purposes(),
          load("catalogs/full.json", PurposeCatalog::fromJson).purposes());
    }

    @Test
    void loadWhenExtensionKnownThenPicksFormat(@TempDir Path dir) throws IOException {
      Path props = dir.resolve("purposes.properties");
      Path json = dir.resolve("purposes.json");
      try (InputStream in = resource("catalogs/full.properties")) {
        Files.copy(in, props);
      }
      try (InputStream in = resource("catalogs/full.json")) {
        Files.copy(in, json);
      }

      assertFullExample(PurposeCatalog.load(props));
      assertFullExample(PurposeCatalog.load(json));
    }

    @Test
    void loadWhenOtherExtensionThenNamesFile(@TempDir Path dir) throws IOException {
      Path yaml = Files.writeString(dir.resolve("purposes.yaml"), "locales: [en]");

      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> PurposeCatalog.load(yaml));
      assertEquals(
          List.of("purpose catalog purposes.yaml: expected a .json or .properties file"),
          e.problems());
    }

    private void assertFullExample(PurposeCatalog catalog) {
      assertEquals(List.of(EN, NL), catalog.locales());
      assertEquals(EN, catalog.defaultLocale());
      assertEquals(
          List.of("newsletter", "events"),
          catalog.purposes().stream().map(p -> p.id().value()).toList());

      Purpose newsletter = catalog.require(PurposeId.of("newsletter"));
      assertEquals(2, newsletter.version());
      assertEquals(List.of("email", "first-name"), newsletter.dataCategories());
      assertEquals(LegalBasis.CONSENT, newsletter.legalBasis());
      assertEquals(UNTIL_WITHDRAWN, newsletter.retention());
      assertTrue(newsletter.doubleOptIn());
      assertEquals(
          new PurposeText(
              "Monthly newsletter",
              "We send you our newsletter about new breads, once a month.",
              "Your email address and first name."),
          newsletter.text(EN).orElseThrow());
      assertEquals(
          new PurposeText(
              "Maandelijkse nieuwsbrief",
              "We sturen je één keer per maand onze nieuwsbrief over nieuwe broden.",
              "Je e-mailadres en voornaam."),
          newsletter.text(NL).orElseThrow());

      Purpose events = catalog.require(PurposeId.of("events"));
      assertEquals(1, events.version(), "default version");
      assertEquals(List.of("email"), events.dataCategories(), "default data categories");
      assertEquals(LegalBasis.CONSENT, events.legalBasis(), "default legal basis");
      assertTrue(events.doubleOptIn(), "default double opt-in");
      assertEquals(Retention.fixed(Duration.ofDays(180), Duration.ofDays(365)), events.retention());
      assertEquals("Uitnodigingen", events.text(NL).orElseThrow().title());
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Loading: properties

  @Nested
  class FromProperties {
    @Test
    void fromPropertiesWhenValidThenKeepsOrderOfPurposesKeyNotOfFile() {
      Map<String, String> p = validProperties();
      p.put("purposes", "offers,events,newsletter");
      addPropertiesPurpose(p, "offers");

      PurposeCatalog catalog = fromProperties(p);

      assertEquals(
          List.of("offers", "events", "newsletter"),
          catalog.purposes().stream().map(x -> x.id().value()).toList());
    }

    @Test
    void fromPropertiesWhenOptionalKeysSetThenUsesThem() {
      Map<String, String> p = validProperties();
      p.put("purpose.newsletter.version", "7");
      p.put("purpose.newsletter.data-categories", " email , first-name,birth-date ");
      p.put("purpose.newsletter.legal-basis", "explicit-consent");
      p.put("purpose.newsletter.double-opt-in", "false");
      p.put("purpose.newsletter.title.en", "   Padded title   ");

      Purpose newsletter = fromProperties(p).require(PurposeId.of("newsletter"));

      assertEquals(7, newsletter.version());
      assertEquals(List.of("email", "first-name", "birth-date"), newsletter.dataCategories());
      assertEquals(LegalBasis.EXPLICIT_CONSENT, newsletter.legalBasis());
      assertFalse(newsletter.doubleOptIn());
      assertEquals("Padded title", newsletter.text(EN).orElseThrow().title());
    }

    @Test
    void fromPropertiesWhenUtf8WithByteOrderMarkThenReadsIt() {
      String text = "\uFEFF" + serialise(validProperties()).replace("Title nl", "Één titel");

      PurposeCatalog catalog = PurposeCatalog.fromProperties(utf8(text));

      assertEquals(
          "Één titel", catalog.require(PurposeId.of("newsletter")).text(NL).orElseThrow().title());
    }

    @Test
    void fromPropertiesWhenTranslationMissingThenNamesKey() {
      assertProblems(
          p -> p.remove("purpose.newsletter.title.nl"),
          "purpose.newsletter.title.nl: missing translation");
    }

    @Test
    void fromPropertiesWhenWholeLanguageMissingThenNamesEveryKey() {
      assertProblems(
          p -> {
            p.remove("purpose.events.title.nl");
            p.remove("purpose.events.description.nl");
            p.remove("purpose.events.data.nl");
          },
          "purpose.events.title.nl: missing translation",
          "purpose.events.description.nl: missing translation",
          "purpose.events.data.nl: missing translation");
    }

    @Test
    void fromPropertiesWhenTextBlankThenNamesKey() {
      assertProblems(
          p -> p.put("purpose.newsletter.description.en", "   "),
          "purpose.newsletter.description.en: must not be blank");
    }

    @Test
    void fromPropertiesWhenTextInLanguageNotInLocalesThenNamesKey() {
      assertProblems(
          p -> p.put("purpose.newsletter.title.de", "Newsletter"),
          "purpose.newsletter.title.de: locale not in locales");
    }

    @Test
    void fromPropertiesWhenUnknownTopLevelKeyThenNamesKey() {
      assertProblems(p -> p.put("locale", "en"), "locale: unknown key");
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "purpose.newsletter.colour",
          "purpose.newsletter.proofRetention",
          "purpose.newsletter.subtitle.en",
          "purpose.newsletter.title",
          "purpose.newsletter.title.en.extra",
          "purpose.newsletter.version.en",
          "purpose.newsletter",
          "purpose",
          "purposes.newsletter",
          "Purpose.newsletter.version",
        })
    void fromPropertiesWhenUnknownPurposeKeyThenNamesKey(String key) {
      assertProblems(p -> p.put(key, "x"), key + ": unknown key");
    }

    @Test
    void fromPropertiesWhenPurposeNotListedThenNamesKeyAndReason() {
      assertProblems(
          p -> {
            p.put("purpose.offers.retention", "P1Y");
            p.put("purpose.offers.title.en", "Offers");
          },
          "purpose.offers.retention: unknown key (purpose offers is not listed in purposes)",
          "purpose.offers.title.en: unknown key (purpose offers is not listed in purposes)");
    }

    @Test
    void fromPropertiesWhenKeyDefinedTwiceThenNamesKey() {
      String text = serialise(validProperties()) + "purpose.newsletter.proof-retention=P5Y\n";

      ConfigurationException e =
          assertThrows(
              ConfigurationException.class, () -> PurposeCatalog.fromProperties(utf8(text)));

      assertEquals(List.of("purpose.newsletter.proof-retention: duplicate key"), e.problems());
    }

    @ParameterizedTest
    @ValueSource(strings = {"locales", "purposes"})
    void fromPropertiesWhenRequiredTopLevelKeyMissingThenNamesOnlyIt(String key) {
      assertProblems(p -> p.remove(key), key + ": missing required key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"retention", "proof-retention"})
    void fromPropertiesWhenRetentionMissingThenNamesKey(String field) {
      assertProblems(
          p -> p.remove("purpose.events." + field),
          "purpose.events." + field + ": missing required key");
    }

    @Test
    void fromPropertiesWhenListedPurposeHasNoKeysThenNamesEveryRequiredKey() {
      assertProblems(
          p -> p.put("purposes", "newsletter,events,offers"),
          "purpose.offers.retention: missing required key",
          "purpose.offers.proof-retention: missing required key",
          "purpose.offers.recipients: missing required key",
          "purpose.offers.automated-decisions: required (GDPR Art. 13(2)(f)); none, or the logic and"
              + " consequences in purpose.offers.automated-decisions.<locale>",
          "purpose.offers.title.en: missing translation",
          "purpose.offers.description.en: missing translation",
          "purpose.offers.data.en: missing translation",
          "purpose.offers.title.nl: missing translation",
          "purpose.offers.description.nl: missing translation",
          "purpose.offers.data.nl: missing translation");
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "''          | locales: must not be empty",
          "en,,nl      | locales: empty entry in \"en,,nl\"",
          "en,nl,      | locales: empty entry in \"en,nl,\"",
          "EN,nl       | locales: \"EN\" is not a lowercase ISO 639 language code such as en or nl",
          "en-GB,nl    | locales: \"en-GB\" is not a lowercase ISO 639 language code such as en or nl",
          "en_GB,nl    | locales: \"en_GB\" is not a lowercase ISO 639 language code such as en or nl",
          "xx,nl       | locales: \"xx\" is not a lowercase ISO 639 language code such as en or nl",
          "en,nl,en    | locales: duplicate locale en",
        })
    void fromPropertiesWhenLocalesInvalidThenNamesKey(String locales, String problem) {
      assertProblems(p -> p.put("locales", locales), problem);
    }

    @Test
    void fromPropertiesWhenThreeLetterLanguageThenAccepted() {
      Map<String, String> p = validProperties();
      p.put("locales", "en,nl,fil");
      for (String purpose : List.of("newsletter", "events")) {
        for (String field : List.of("title", "description", "data")) {
          p.put("purpose." + purpose + '.' + field + ".fil", "Filipino " + field);
        }
      }

      assertEquals(List.of(EN, NL, Locale.forLanguageTag("fil")), fromProperties(p).locales());
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "''                     | purposes: must not be empty",
          "newsletter,,events     | purposes: empty entry in \"newsletter,,events\"",
          "newsletter,Events      | purposes: invalid purpose id \"Events\" (expected [a-z][a-z0-9-]{0,62})",
          "newsletter,events,newsletter | purposes: duplicate purpose newsletter",
        })
    void fromPropertiesWhenPurposesInvalidThenNamesKeyOnly(String purposes, String problem) {
      assertProblems(p -> p.put("purposes", purposes), problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "two", "1.5", "+2", "", "9999999999"})
    void fromPropertiesWhenVersionInvalidThenNamesKey(String version) {
      assertProblems(
          p -> p.put("purpose.newsletter.version", version),
          "purpose.newsletter.version: must be a whole number of 1 or more, was \""
              + version
              + '"');
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "''               | purpose.newsletter.data-categories: must not be empty",
          "email,           | purpose.newsletter.data-categories: empty entry in \"email,\"",
          "email,First-Name | purpose.newsletter.data-categories: invalid data category \"First-Name\" (expected [a-z][a-z0-9-]{0,62})",
          "email,first name | purpose.newsletter.data-categories: invalid data category \"first name\" (expected [a-z][a-z0-9-]{0,62})",
          "email,email      | purpose.newsletter.data-categories: duplicate data category email",
        })
    void fromPropertiesWhenDataCategoriesInvalidThenNamesKey(String categories, String problem) {
      assertProblems(p -> p.put("purpose.newsletter.data-categories", categories), problem);
    }

    @ParameterizedTest
    @ValueSource(strings = {"legitimate-interest", "CONSENT", "explicit_consent", ""})
    void fromPropertiesWhenLegalBasisInvalidThenNamesKey(String basis) {
      assertProblems(
          p -> p.put("purpose.newsletter.legal-basis", basis),
          "purpose.newsletter.legal-basis: must be consent or explicit-consent, was \""
              + basis
              + '"');
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "TRUE", "1", ""})
    void fromPropertiesWhenDoubleOptInNotBooleanThenNamesKey(String value) {
      assertProblems(
          p -> p.put("purpose.newsletter.double-opt-in", value),
          "purpose.newsletter.double-opt-in: must be true or false, was \"" + value + '"');
    }

    @ParameterizedTest
    @CsvSource({
      "P2Y, 730",
      "P6M, 180",
      "P1Y6M, 545",
      "P30D, 30",
      "P2W, 14",
      "P1Y2M3D, 428",
      "P100Y, 36500",
      "p2y, 730",
    })
    void fromPropertiesWhenRetentionIsPeriodThenYearIs365AndMonth30Days(String period, long days) {
      Map<String, String> p = validProperties();
      p.put("purpose.events.retention", period);
      p.put("purpose.events.proof-retention", period);

      Retention retention = fromProperties(p).require(PurposeId.of("events")).retention();

      assertEquals(Retention.fixed(Duration.ofDays(days), Duration.ofDays(days)), retention);
    }

    @ParameterizedTest
    @CsvSource({"PT48H, PT48H", "P1DT12H, PT36H", "PT90M, PT1H30M", "pt48h, PT48H"})
    void fromPropertiesWhenRetentionIsDurationThenExact(String value, String expected) {
      Map<String, String> p = validProperties();
      p.put("purpose.events.retention", value);

      Retention retention = fromProperties(p).require(PurposeId.of("events")).retention();

      assertEquals(new Retention.Fixed(Duration.parse(expected), Duration.ofDays(365)), retention);
    }

    @Test
    void fromPropertiesWhenProofRetentionZeroThenAccepted() {
      Map<String, String> p = validProperties();
      p.put("purpose.newsletter.proof-retention", "P0D");

      assertEquals(
          Retention.untilWithdrawn(Duration.ZERO),
          fromProperties(p).require(PurposeId.of("newsletter")).retention());
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "2 years     | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"2 years\"",
          "forever     | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"forever\"",
          "Until-Withdrawn | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"Until-Withdrawn\"",
          "P1YT2H      | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"P1YT2H\"",
          "P1Y2DT3H    | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"P1Y2DT3H\"",
          "''          | expected until-withdrawn or an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"\"",
          "P0D         | must be positive, was \"P0D\"",
          "PT0S        | must be positive, was \"PT0S\"",
          "-P1D        | must not be negative, was \"-P1D\"",
          "P-1Y        | must not be negative, was \"P-1Y\"",
          "P1Y-6M      | must not be negative, was \"P1Y-6M\"",
          "PT1H-30M    | must not be negative, was \"PT1H-30M\"",
          "P101Y       | must be at most 100 years (P100Y), was \"P101Y\"",
          "P99999999Y  | must be at most 100 years (P100Y), was \"P99999999Y\"",
        })
    void fromPropertiesWhenRetentionInvalidThenNamesKey(String value, String problem) {
      assertProblems(
          p -> p.put("purpose.events.retention", value), "purpose.events.retention: " + problem);
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "until-withdrawn | expected an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"until-withdrawn\"",
          "three years     | expected an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"three years\"",
          "-P3Y            | must not be negative, was \"-P3Y\"",
        })
    void fromPropertiesWhenProofRetentionInvalidThenNamesKey(String value, String problem) {
      assertProblems(
          p -> p.put("purpose.newsletter.proof-retention", value),
          "purpose.newsletter.proof-retention: " + problem);
    }

    @Test
    void fromPropertiesWhenManyProblemsThenReportsAllAtOnce() {
      ConfigurationException e =
          assertThrows(
              ConfigurationException.class,
              () ->
                  fromProperties(
                      modified(
                          p -> {
                            p.put("colour", "blue");
                            p.put("purpose.newsletter.version", "0");
                            p.remove("purpose.events.retention");
                            p.remove("purpose.events.data.en");
                            p.put("purpose.newsletter.title.fr", "Lettre");
                          })));

      assertEquals(
          List.of(
              "purpose.newsletter.version: must be a whole number of 1 or more, was \"0\"",
              "purpose.events.retention: missing required key",
              "purpose.events.data.en: missing translation",
              "colour: unknown key",
              "purpose.newsletter.title.fr: locale not in locales"),
          e.problems());
      assertEquals(String.join("; ", e.problems()), e.getMessage());
    }

    @Test
    void fromPropertiesWhenNotUtf8ThenRefusedWithCause() {
      byte[] latin1 =
          serialise(validProperties())
              .replace("Title nl", "Één")
              .getBytes(StandardCharsets.ISO_8859_1);

      ConfigurationException e =
          assertThrows(
              ConfigurationException.class,
              () -> PurposeCatalog.fromProperties(new ByteArrayInputStream(latin1)));

      assertEquals("purpose catalog: not valid UTF-8", e.getMessage());
      assertInstanceOf(CharacterCodingException.class, e.getCause());
    }

    @Test
    void fromPropertiesWhenEscapeMalformedThenRefusedWithCause() {
      String text = serialise(validProperties()) + "purpose.newsletter.title.en=\\uZZZZ\n";

      ConfigurationException e =
          assertThrows(
              ConfigurationException.class, () -> PurposeCatalog.fromProperties(utf8(text)));

      assertTrue(
          e.getMessage().startsWith("purpose catalog: malformed properties file"), e.getMessage());
      assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    @Test
    void fromPropertiesWhenEmptyThenNamesBothRequiredKeys() {
      ConfigurationException e =
          assertThrows(
              ConfigurationException.class,
              () -> PurposeCatalog.fromProperties(utf8("# nothing\n")));

      assertEquals(
          List.of("locales: missing required key", "purposes: missing required key"), e.problems());
    }

    @Test
    void fromPropertiesWhenStreamFailsThenConfigurationExceptionWithCause() {
      InputStream broken =
          new InputStream() {
            @Override
            public int read() throws IOException {
              throw new IOException("disk on fire");
            }
          };

      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> PurposeCatalog.fromProperties(broken));

      assertEquals("purpose catalog: cannot read (disk on fire)", e.getMessage());
      assertInstanceOf(IOException.class, e.getCause());
    }

    private void assertProblems(Consumer<Map<String, String>> change, String... expected) {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> fromProperties(modified(change)));
      assertEquals(List.of(expected), e.problems());
    }

    private Map<String, String> modified(Consumer<Map<String, String>> change) {
      Map<String, String> p = validProperties();
      change.accept(p);
      return p;
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Loading: JSON

  @Nested
  class FromJson {
    @Test
    void fromJsonWhenValidThenKeepsArrayOrder() {
      Map<String, Object> doc = validJson();
      purposes(doc).add(0, jsonPurpose("offers"));

      assertEquals(
          List.of("offers", "newsletter", "events"),
          fromJson(doc).purposes().stream().map(x -> x.id().value()).toList());
    }

    @Test
    void fromJsonWhenOptionalMembersSetThenUsesThem() {
      Map<String, Object> doc = validJson();
      purpose(doc, 0).put("version", 3);
      purpose(doc, 0).put("dataCategories", List.of("email", "first-name"));
      purpose(doc, 0).put("legalBasis", "explicit-consent");
      purpose(doc, 0).put("doubleOptIn", false);
      purpose(doc, 0).put("retention", "P2Y");

      Purpose newsletter = fromJson(doc).require(PurposeId.of("newsletter"));

      assertEquals(3, newsletter.version());
      assertEquals(List.of("email", "first-name"), newsletter.dataCategories());
      assertEquals(LegalBasis.EXPLICIT_CONSENT, newsletter.legalBasis());
      assertFalse(newsletter.doubleOptIn());
      assertEquals(
          Retention.fixed(Duration.ofDays(730), Duration.ofDays(3 * 365)), newsletter.retention());
    }

    @Test
    void fromJsonWhenDefaultsOmittedThenDocumentedDefaults() {
      Purpose events = fromJson(validJson()).require(PurposeId.of("events"));

      assertEquals(1, events.version());
      assertEquals(List.of("email"), events.dataCategories());
      assertEquals(LegalBasis.CONSENT, events.legalBasis());
      assertTrue(events.doubleOptIn());
    }

    @Test
    void fromJsonWhenTranslationMissingThenNamesKey() {
      assertProblems(
          doc -> texts(doc, 1).remove("nl"), "purposes[1].texts.nl: missing translation");
    }

    @Test
    void fromJsonWhenTextInLanguageNotInLocalesThenNamesKey() {
      assertProblems(
          doc -> texts(doc, 1).put("de", jsonText("de")),
          "purposes[1].texts.de: locale not in locales");
    }

    @ParameterizedTest
    @ValueSource(strings = {"title", "description", "data"})
    void fromJsonWhenTextFieldMissingThenNamesKey(String field) {
      assertProblems(
          doc -> text(doc, 0, "nl").remove(field),
          "purposes[0].texts.nl." + field + ": missing required key");
    }

    @Test
    void fromJsonWhenTextFieldBlankThenNamesKey() {
      assertProblems(
          doc -> text(doc, 0, "en").put("data", " \t "),
          "purposes[0].texts.en.data: must not be blank");
    }

    @Test
    void fromJsonWhenUnknownKeyAtAnyLevelThenNamesKey() {
      assertProblems(
          doc -> {
            doc.put("version", 1);
            purpose(doc, 1).put("proof-retention", "P3Y");
            text(doc, 0, "en").put("subtitle", "x");
          },
          "version: unknown key",
          "purposes[0].texts.en.subtitle: unknown key",
          "purposes[1].proof-retention: unknown key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"locales", "purposes"})
    void fromJsonWhenRequiredTopLevelKeyMissingThenNamesOnlyIt(String key) {
      assertProblems(doc -> doc.remove(key), key + ": missing required key");
    }

    @ParameterizedTest
    @ValueSource(strings = {"id", "retention", "proofRetention", "texts"})
    void fromJsonWhenRequiredPurposeKeyMissingThenNamesKey(String key) {
      assertProblems(
          doc -> purpose(doc, 1).remove(key), "purposes[1]." + key + ": missing required key");
    }

    @Test
    void fromJsonWhenPurposeIdInvalidOrDuplicateThenNamesKey() {
      assertProblems(
          doc -> {
            purpose(doc, 1).put("id", "newsletter");
            purposes(doc).add(jsonPurpose("Offers"));
          },
          "purposes[1].id: duplicate purpose newsletter",
          "purposes[2].id: invalid purpose id \"Offers\" (expected [a-z][a-z0-9-]{0,62})");
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "'\"en\"'          | locales: must be an array of strings, was a string",
          "'[]'              | locales: must not be empty",
          "'[\"en\", 1]'     | locales[1]: must be a string, was a number",
          "'[\"en\", null]'  | locales[1]: must be a string, was null",
          "'[\"en\", \"nl-BE\"]' | locales: \"nl-BE\" is not a lowercase ISO 639 language code such as en or nl",
          "'[\"en\", \"nl\", \"nl\"]' | locales: duplicate locale nl",
        })
    void fromJsonWhenLocalesInvalidThenNamesKey(String json, String problem) {
      assertProblems(doc -> doc.put("locales", parseValue(json)), problem);
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "'{}'          | purposes: must be an array of objects, was an object",
          "'[]'          | purposes: must not be empty",
          "'null'        | purposes: must be an array of objects, was null",
          "'[\"newsletter\"]' | purposes[0]: must be an object, was a string",
        })
    void fromJsonWhenPurposesInvalidThenNamesKey(String json, String problem) {
      assertProblems(doc -> doc.put("purposes", parseValue(json)), problem);
    }

    @ParameterizedTest
    @CsvSource(
        delimiter = '|',
        value = {
          "version        | '\"2\"'      | purposes[0].version: must be a whole number of 1 or more, was a string",
          "version        | '2.0'        | purposes[0].version: must be a whole number of 1 or more, was 2.0",
          "version        | '0'          | purposes[0].version: must be a whole number of 1 or more, was 0",
          "version        | '3000000000' | purposes[0].version: must be a whole number of 1 or more, was 3000000000",
          "version        | 'null'       | purposes[0].version: must be a whole number of 1 or more, was null",
          "dataCategories | '\"email\"'  | purposes[0].dataCategories: must be an array of strings, was a string",
          "dataCategories | '[]'         | purposes[0].dataCategories: must not be empty",
          "dataCategories | '[\"email\", true]' | purposes[0].dataCategories[1]: must be a string, was a boolean",
          "dataCategories | '[\"E-mail\"]' | purposes[0].dataCategories: invalid data category \"E-mail\" (expected [a-z][a-z0-9-]{0,62})",
          "legalBasis     | '1'          | purposes[0].legalBasis: must be a string, was a number",
          "legalBasis     | '\"contract\"' | purposes[0].legalBasis: must be consent or explicit-consent, was \"contract\"",
          "retention      | '730'        | purposes[0].retention: must be a string, was a number",
          "retention      | '\"P0D\"'    | purposes[0].retention: must be positive, was \"P0D\"",
          "proofRetention | '{}'         | purposes[0].proofRetention: must be a string, was an object",
          "proofRetention | '\"3y\"'     | purposes[0].proofRetention: expected an ISO-8601 period such as P2Y, P6M, P30D or PT48H, was \"3y\"",
          "doubleOptIn    | '\"true\"'   | purposes[0].doubleOptIn: must be true or false, was a string",
          "doubleOptIn    | '1'          | purposes[0].doubleOptIn: must be true or false, was 1",
          "texts          | '[]'         | purposes[0].texts: must be an object, was an array",
          "id             | '7'          | purposes[0].id: must be a string, was a number",
        })
    void fromJsonWhenPurposeMemberHasWrongTypeOrValueThenNamesKey(
        String member, String json, String problem) {
      assertProblems(doc -> purpose(doc, 0).put(member, parseValue(json)), problem);
    }

    @Test
    void fromJsonWhenTextHasWrongTypeThenNamesKey() {
      assertProblems(
          doc -> {
            texts(doc, 0).put("en", "Monthly newsletter");
            text(doc, 1, "nl").put("title", null);
          },
          "purposes[0].texts.en: must be an object, was a string",
          "purposes[1].texts.nl.title: must be a string, was null");
    }

    @Test
    void fromJsonWhenManyProblemsThenReportsAllAtOnce() {
      ConfigurationException e =
          assertThrows(
              ConfigurationException.class,
              () ->
                  fromJson(
                      modified(
                          doc -> {
                            doc.put("colour", "blue");
                            purpose(doc, 0).put("version", 0);
                            purpose(doc, 1).remove("retention");
                            texts(doc, 1).put("de", jsonText("de"));
                          })));

      assertEquals(
          List.of(
              "colour: unknown key",
              "purposes[0].version: must be a whole number of 1 or more, was 0",
              "purposes[1].retention: missing required key",
              "purposes[1].texts.de: locale not in locales"),
          e.problems());
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "",
          "not json",
          "[1]",
          "{\"locales\": [\"en\"],}",
          "{\"locales\": [\"en\"], \"locales\": [\"nl\"]}",
          "{\"locales\": [\"en\"]} {}",
          "{\"locales\": [\"en\"] // comment\n}",
          "{'locales': ['en']}",
          "{\"locales\": [\"en\"]",
        })
    void fromJsonWhenMalformedThenConfigurationExceptionWrappingParserError(String json) {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> PurposeCatalog.fromJson(utf8(json)));

      assertEquals(
          "purpose catalog: malformed JSON (expected one object; comments, trailing commas and duplicate keys are"
              + " not allowed)",
          e.getMessage());
      assertInstanceOf(ParseException.class, e.getCause());
    }

    @Test
    void fromJsonWhenEmptyArrayThenRefusedForMissingKeys() {
      // Nimbus' parser reads a top-level [] as an empty object; it is refused all the same.
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> PurposeCatalog.fromJson(utf8("[]")));

      assertEquals(
          List.of("locales: missing required key", "purposes: missing required key"), e.problems());
    }

    @Test
    void fromJsonWhenNotUtf8ThenRefusedWithCause() {
      byte[] bytes = "{\"locales\": [\"\u00e9\"]}".getBytes(StandardCharsets.ISO_8859_1);

      ConfigurationException e =
          assertThrows(
              ConfigurationException.class,
              () -> PurposeCatalog.fromJson(new ByteArrayInputStream(bytes)));

      assertEquals("purpose catalog: not valid UTF-8", e.getMessage());
      assertInstanceOf(CharacterCodingException.class, e.getCause());
    }

    @Test
    void fromJsonWhenByteOrderMarkThenReadsIt() {
      String json = "\uFEFF" + JSONObjectUtils.toJSONString(validJson());

      assertEquals(2, PurposeCatalog.fromJson(utf8(json)).purposes().size());
    }

    private void assertProblems(Consumer<Map<String, Object>> change, String... expected) {
      ConfigurationException e =
          assertThrows(ConfigurationException.class, () -> fromJson(modified(change)));
      assertEquals(List.of(expected), e.problems());
    }

    private Map<String, Object> modified(Consumer<Map<String, Object>> change) {
      Map<String, Object> doc = validJson();
      change.accept(doc);
      return doc;
    }

    private Object parseValue(String json) {
      try {
        return JSONObjectUtils.parse("{\"v\":" + json + "}").get("v");
      } catch (ParseException e) {
        throw new IllegalArgumentException(json, e);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Fixtures

  static Purpose purpose(String id, Locale... locales) {
    Purpose.Builder b =
        Purpose.builder(id).noRecipients().noAutomatedDecisions().retention(UNTIL_WITHDRAWN);
    for (Locale l : locales) {
      b.text(l, "Title " + l, "Description " + l, "Data " + l);
    }
    return b.build();
  }

  /** A valid two-purpose, two-language catalog; a mutable map so that tests can break one key. */
  static Map<String, String> validProperties() {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("locales", "en,nl");
    p.put("purposes", "newsletter,events");
    p.put("purpose.newsletter.retention", "until-withdrawn");
    p.put("purpose.newsletter.proof-retention", "P3Y");
    p.put("purpose.newsletter.recipients", "none");
    p.put("purpose.newsletter.automated-decisions", "none");
    addTexts(p, "newsletter");
    p.put("purpose.events.retention", "P6M");
    p.put("purpose.events.proof-retention", "P1Y");
    p.put("purpose.events.recipients", "none");
    p.put("purpose.events.automated-decisions", "none");
    addTexts(p, "events");
    return p;
  }

  private static void addPropertiesPurpose(Map<String, String> p, String id) {
    p.put("purpose." + id + ".retention", "P1Y");
    p.put("purpose." + id + ".proof-retention", "P1Y");
    p.put("purpose." + id + ".recipients", "none");
    p.put("purpose." + id + ".automated-decisions", "none");
    addTexts(p, id);
  }

  private static void addTexts(Map<String, String> p, String id) {
    for (String lang : List.of("en", "nl")) {
      p.put("purpose." + id + ".title." + lang, "Title " + lang);
      p.put("purpose." + id + ".description." + lang, "Description " + lang);
      p.put("purpose." + id + ".data." + lang, "Data " + lang);
    }
  }

  static String serialise(Map<String, String> p) {
    return p.entrySet().stream()
        .map(e -> e.getKey() + '=' + e.getValue() + '\n')
        .collect(Collectors.joining());
  }

  static PurposeCatalog fromProperties(Map<String, String> p) {
    return PurposeCatalog.fromProperties(utf8(serialise(p)));
  }

  /** A valid two-purpose, two-language catalog as mutable maps and lists. */
  static Map<String, Object> validJson() {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("locales", new ArrayList<>(List.of("en", "nl")));
    List<Object> purposes = new ArrayList<>();
    Map<String, Object> newsletter = jsonPurpose("newsletter");
    newsletter.put("retention", "until-withdrawn");
    newsletter.put("proofRetention", "P3Y");
    newsletter.put("recipients", List.of());
    newsletter.put("automatedDecisions", "none");
    purposes.add(newsletter);
    purposes.add(jsonPurpose("events"));
    doc.put("purposes", purposes);
    return doc;
  }

  private static Map<String, Object> jsonPurpose(String id) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("id", id);
    p.put("retention", "P6M");
    p.put("proofRetention", "P1Y");
    p.put("recipients", List.of());
    p.put("automatedDecisions", "none");
    Map<String, Object> texts = new LinkedHashMap<>();
    texts.put("en", jsonText("en"));
    texts.put("nl", jsonText("nl"));
    p.put("texts", texts);
    return p;
  }

  private static Map<String, Object> jsonText(String lang) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("title", "Title " + lang);
    t.put("description", "Description " + lang);
    t.put("data", "Data " + lang);
    return t;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> purposes(Map<String, Object> doc) {
    return (List<Object>) doc.get("purposes");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> purpose(Map<String, Object> doc, int i) {
    return (Map<String, Object>) purposes(doc).get(i);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> texts(Map<String, Object> doc, int i) {
    return (Map<String, Object>) purpose(doc, i).get("texts");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> text(Map<String, Object> doc, int i, String lang) {
    return (Map<String, Object>) texts(doc, i).get(lang);
  }

  static PurposeCatalog fromJson(Map<String, Object> doc) {
    return PurposeCatalog.fromJson(utf8(JSONObjectUtils.toJSONString(doc)));
  }

  static InputStream utf8(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  static PurposeCatalog load(String name, Function<InputStream, PurposeCatalog> loader) {
    try (InputStream in = resource(name)) {
      return loader.apply(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static InputStream resource(String name) {
    InputStream in = PurposeCatalogTest.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new UncheckedIOException(new IOException("missing test resource " + name));
    }
    return in;
  }
}
