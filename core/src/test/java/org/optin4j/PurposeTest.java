package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PurposeTest {
  private static final Retention RETENTION = Retention.untilWithdrawn(Duration.ofDays(3 * 365));
  private static final PurposeText EN_TEXT =
      new PurposeText("Newsletter", "Monthly news", "Your email address");

  private static Purpose.Builder valid() {
    return Purpose.builder("newsletter")
        .text(Locale.ENGLISH, "Newsletter", "Monthly news", "Your email address")
        .noRecipients()
        .noAutomatedDecisions()
        .retention(RETENTION);
  }

  @Test
  void builderWhenOnlyRequiredSetThenDocumentedDefaults() {
    Purpose p = valid().build();

    assertEquals(PurposeId.of("newsletter"), p.id());
    assertEquals(1, p.version());
    assertEquals(List.of("email"), p.dataCategories());
    assertEquals(LegalBasis.CONSENT, p.legalBasis());
    assertTrue(p.doubleOptIn());
    assertEquals(RETENTION, p.retention());
    assertEquals(Map.of(Locale.ENGLISH, EN_TEXT), p.texts());
  }

  @Test
  void builderWhenEverythingSetThenKept() {
    Purpose p =
        valid()
            .version(4)
            .dataCategories("email", "first-name")
            .legalBasis(LegalBasis.EXPLICIT_CONSENT)
            .doubleOptIn(false)
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.fixed(Duration.ofDays(730), Duration.ZERO))
            .build();

    assertEquals(4, p.version());
    assertEquals(List.of("email", "first-name"), p.dataCategories());
    assertEquals(LegalBasis.EXPLICIT_CONSENT, p.legalBasis());
    assertEquals(false, p.doubleOptIn());
    assertEquals(Retention.fixed(Duration.ofDays(730), Duration.ZERO), p.retention());
  }

  @Test
  void builderWhenRetentionMissingThenNamesPurpose() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Purpose.builder("newsletter").text(Locale.ENGLISH, "T", "D", "E").build());

    assertEquals("purpose newsletter: retention is required", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
  void constructorWhenVersionBelowOneThenNamesPurposeAndValue(int version) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> valid().version(version).build());

    assertEquals("purpose newsletter: version must be 1 or more, was " + version, e.getMessage());
  }

  @Test
  void constructorWhenNoTextThenNamesPurpose() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Purpose.builder("newsletter")
                    .noRecipients()
                    .noAutomatedDecisions()
                    .retention(RETENTION)
                    .build());

    assertEquals("purpose newsletter: needs a text in at least one locale", e.getMessage());
  }

  @Test
  void constructorWhenNoDataCategoryThenNamesPurpose() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> valid().dataCategories().build());

    assertEquals("purpose newsletter: needs at least one data category", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"Email", "first name", "1st-name", "", "e_mail", "émail"})
  void constructorWhenDataCategoryInvalidThenNamesPurposeAndCategory(String category) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> valid().dataCategories("email", category).build());

    assertEquals("purpose newsletter: invalid data category \"" + category + '"', e.getMessage());
  }

  @Test
  void constructorWhenNullComponentThenNamesIt() {
    Map<Locale, PurposeText> texts = Map.of(Locale.ENGLISH, EN_TEXT);
    List<String> cats = List.of("email");
    PurposeId id = PurposeId.of("newsletter");
    assertNpe(
        "id",
        () ->
            new Purpose(
                null, 1, texts, cats, LegalBasis.CONSENT, RETENTION, true, 1, List.of(), Map.of()));
    assertNpe(
        "texts",
        () ->
            new Purpose(
                id, 1, null, cats, LegalBasis.CONSENT, RETENTION, true, 1, List.of(), Map.of()));
    assertNpe(
        "dataCategories",
        () ->
            new Purpose(
                id, 1, texts, null, LegalBasis.CONSENT, RETENTION, true, 1, List.of(), Map.of()));
    assertNpe(
        "legalBasis",
        () -> new Purpose(id, 1, texts, cats, null, RETENTION, true, 1, List.of(), Map.of()));
    assertNpe(
        "retention",
        () ->
            new Purpose(
                id, 1, texts, cats, LegalBasis.CONSENT, null, true, 1, List.of(), Map.of()));
    assertNpe(
        "automatedDecisions",
        () ->
            new Purpose(
                id, 1, texts, cats, LegalBasis.CONSENT, RETENTION, true, 1, List.of(), null));
    assertNpe(
        "recipients",
        () ->
            new Purpose(
                id, 1, texts, cats, LegalBasis.CONSENT, RETENTION, true, 1, null, Map.of()));
  }

  @Test
  void buildWhenRecipientsNotDeclaredThenRefusedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Purpose.builder("newsletter")
                    .text(Locale.ENGLISH, "News", "Our news.", "Your email address")
                    .retention(RETENTION)
                    .build());

    assertTrue(
        e.getMessage().contains("purpose newsletter: recipients is required"), e.getMessage());
  }

  @Test
  void buildWhenAutomatedDecisionsNotDeclaredThenRefusedNamingTheField() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Purpose.builder("newsletter")
                    .text(Locale.ENGLISH, "News", "Our news.", "Your email address")
                    .retention(RETENTION)
                    .noRecipients()
                    .build());

    assertTrue(
        e.getMessage()
            .contains("purpose newsletter: automatedDecisions is required (GDPR Art. 13(2)(f))"),
        e.getMessage());
  }

  @Test
  void buildWhenNoAutomatedDecisionsThenEmptyStatement() {
    Purpose p = valid().build();

    assertEquals(Map.of(), p.automatedDecisions());
    assertEquals(Optional.empty(), p.automatedDecisions(Locale.ENGLISH));
  }

  @Test
  void buildWhenAutomatedDecisionsThenKeptPerLanguage() {
    Purpose p =
        valid()
            .text(Locale.GERMAN, "Neues", "Unsere Neuigkeiten.", "Ihre E-Mail-Adresse")
            .automatedDecisions(Locale.ENGLISH, "We count opens to send fewer mails.")
            .automatedDecisions(Locale.forLanguageTag("de-AT"), "Wir zählen Öffnungen.")
            .build();

    assertEquals(
        Optional.of("We count opens to send fewer mails."), p.automatedDecisions(Locale.UK));
    assertEquals(Optional.of("Wir zählen Öffnungen."), p.automatedDecisions(Locale.GERMANY));
  }

  @Test
  void buildWhenAutomatedDecisionsMissLanguageOfTextsThenRefusedNamingIt() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                valid()
                    .text(Locale.GERMAN, "Neues", "Unsere Neuigkeiten.", "Ihre E-Mail-Adresse")
                    .automatedDecisions(Locale.ENGLISH, "We count opens.")
                    .build());

    assertEquals(
        "purpose newsletter: automatedDecisions has no text for de (GDPR Art. 13(2)(f): every"
            + " language of the purpose's texts)",
        e.getMessage());
  }

  @Test
  void buildWhenAutomatedDecisionsBlankThenRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> valid().automatedDecisions(Locale.ENGLISH, "  ").build());
  }

  @Test
  void buildWhenRecipientsThenKeptInOrder() {
    Recipient mail = Recipient.inEea("Brevo SAS", "FR");
    Recipient cdn = Recipient.transfer("Fastly Inc.", "US", Recipient.Safeguard.ADEQUACY_DECISION);

    Purpose p = valid().recipients(mail, cdn).build();

    assertEquals(List.of(mail, cdn), p.recipients());
  }

  @Test
  void constructorWhenTextKeyedByRegionalLocaleThenKeyedByLanguage() {
    Purpose p =
        valid()
            .text(Locale.forLanguageTag("nl-BE"), "Nieuwsbrief", "Nieuws", "Je e-mailadres")
            .build();

    assertEquals(
        List.of(Locale.ENGLISH, Locale.forLanguageTag("nl")), List.copyOf(p.texts().keySet()));
    assertEquals("Nieuwsbrief", p.text(Locale.forLanguageTag("nl-NL")).orElseThrow().title());
    assertEquals(Optional.of(EN_TEXT), p.text(Locale.US));
    assertEquals(Optional.empty(), p.text(Locale.GERMAN));
  }

  @Test
  void textWhenLocaleHasNoLanguageThenRefused() {
    Purpose p = valid().build();

    assertThrows(IllegalArgumentException.class, () -> p.text(Locale.ROOT));
  }

  @Test
  void constructorWhenInputsChangeAfterwardsThenPurposeUnchanged() {
    Map<Locale, PurposeText> texts = new LinkedHashMap<>(Map.of(Locale.ENGLISH, EN_TEXT));
    List<String> cats = new ArrayList<>(List.of("email"));
    Purpose p =
        new Purpose(
            PurposeId.of("newsletter"),
            1,
            texts,
            cats,
            LegalBasis.CONSENT,
            RETENTION,
            true,
            1,
            List.of(),
            Map.of());

    texts.clear();
    cats.add("first-name");

    assertEquals(1, p.texts().size());
    assertEquals(List.of("email"), p.dataCategories());
    assertThrows(UnsupportedOperationException.class, () -> p.texts().clear());
    assertThrows(UnsupportedOperationException.class, () -> p.dataCategories().clear());
  }

  @Test
  void builderWhenIdInvalidThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> Purpose.builder("News Letter"));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // PurposeText

  @Test
  void purposeTextWhenPaddedThenStripped() {
    assertEquals(
        EN_TEXT, new PurposeText("  Newsletter ", "\tMonthly news\n", " Your email address "));
  }

  @ParameterizedTest
  @ValueSource(strings = {"title", "description", "data"})
  void purposeTextWhenBlankThenNamesField(String field) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new PurposeText(
                    field.equals("title") ? " " : "T",
                    field.equals("description") ? "" : "D",
                    field.equals("data") ? "\n\t" : "E"));

    assertEquals("purpose " + field + " must not be blank", e.getMessage());
  }

  @Test
  void purposeTextWhenNullThenNamesField() {
    assertNpe("title", () -> new PurposeText(null, "D", "E"));
    assertNpe("description", () -> new PurposeText("T", null, "E"));
    assertNpe("data", () -> new PurposeText("T", "D", null));
  }

  private static void assertNpe(String name, Runnable r) {
    assertEquals(name, assertThrows(NullPointerException.class, r::run).getMessage());
  }
}
