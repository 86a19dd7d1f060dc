package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.optin4j.Controller;
import org.optin4j.LegalBasis;
import org.optin4j.Notice;
import org.optin4j.NoticeLayers;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.Recipient;
import org.optin4j.Retention;
import org.optin4j.text.TextBundle;

/**
 * Every element GDPR Art. 13(1)-(2) asks for is in the rendered notice (both layers) and in the information page, in
 * every shipped language, taken from the catalog's and the controller's values: a line that disappears from a
 * translation or from the renderer fails here.
 */
class NoticeElementsTest {
  private static final TextBundle FRAME =
      TextBundle.shipped(
          "notice text", "org.optin4j.internal.notice", NoticeElementsTest.class.getClassLoader());

  private static final Recipient MAIL = Recipient.inEea("Brevo SAS", "FR");
  private static final Recipient ANALYTICS =
      Recipient.transfer(
          "Plausible Insights Inc.", "US", Recipient.Safeguard.STANDARD_CONTRACTUAL_CLAUSES);

  private static final Controller CONTROLLER =
      new Controller(
              "De Gouden Korst B.V.",
              "Bakkerstraat 1, 3511 AB Utrecht",
              "privacy@goudenkorst.example",
              "https://goudenkorst.example/privacy")
          .withDpoContact("dpo@goudenkorst.example")
          .withSupervisoryAuthority(
              "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");

  static List<String> languages() {
    return TextBundle.LANGUAGES;
  }

  private static PurposeCatalog catalog() {
    Purpose.Builder newsletter =
        Purpose.builder("newsletter")
            .recipients(MAIL, ANALYTICS)
            .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)));
    Purpose.Builder health =
        Purpose.builder("allergies")
            .dataCategories("email", "allergies")
            .legalBasis(LegalBasis.EXPLICIT_CONSENT)
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.fixed(Duration.ofDays(2 * 365), Duration.ofDays(365)));
    List<Locale> locales = new ArrayList<>();
    for (String language : TextBundle.LANGUAGES) {
      Locale l = Locale.forLanguageTag(language);
      locales.add(l);
      newsletter.text(l, "News " + language, "Recipes, " + language + ".", "mail " + language);
      newsletter.automatedDecisions(l, "Opens counted, " + language + ".");
      health.text(l, "Allergy " + language, "Safe bread, " + language + ".", "allergy " + language);
    }
    return PurposeCatalog.builder()
        .locales(locales.toArray(Locale[]::new))
        .add(newsletter.build())
        .add(health.build())
        .build();
  }

  @ParameterizedTest
  @MethodSource("languages")
  void renderWhenLanguageShippedThenEveryArticle13ElementInTheNotice(String language) {
    Locale locale = Locale.forLanguageTag(language);
    PurposeCatalog catalog = catalog();
    NoticeRenderer renderer = new NoticeRenderer(catalog, CONTROLLER);
    Set<PurposeId> all = Set.of(PurposeId.of("newsletter"), PurposeId.of("allergies"));

    String text = renderer.render(all, locale);

    assertElements(text, catalog, renderer, locale);
    // The short layer comes first: each purpose's what, why and how long before the "more" line.
    String shortLayer = text.substring(0, text.indexOf(renderer.moreHeading(locale)));
    for (Purpose p : catalog.purposes()) {
      PurposeText t = p.text(locale).orElseThrow();
      assertContains(shortLayer, FRAME.text(locale, "data") + ' ' + t.data());
      assertContains(shortLayer, FRAME.text(locale, "why") + ' ' + t.description());
      assertContains(
          shortLayer,
          FRAME.text(locale, "retention") + ' ' + renderer.describe(p.retention(), locale));
    }
    assertContains(shortLayer, CONTROLLER.privacyPolicyUrl());
  }

  @ParameterizedTest
  @MethodSource("languages")
  void renderInformationWhenLanguageShippedThenEveryArticle13Element(String language) {
    Locale locale = Locale.forLanguageTag(language);
    PurposeCatalog catalog = catalog();
    NoticeRenderer renderer = new NoticeRenderer(catalog, CONTROLLER);

    String text = renderer.renderInformation(locale);

    assertElements(text, catalog, renderer, locale);
    assertContains(text, CONTROLLER.privacyPolicyUrl());
    for (Purpose p : catalog.purposes()) {
      PurposeText t = p.text(locale).orElseThrow();
      assertContains(text, t.data());
      assertContains(text, t.description());
      assertContains(text, renderer.describe(p.retention(), locale));
    }
  }

  @ParameterizedTest
  @MethodSource("languages")
  void renderWhenSameInputsThenSameBytes(String language) {
    Locale locale = Locale.forLanguageTag(language);
    Set<PurposeId> all = Set.of(PurposeId.of("newsletter"));

    assertEquals(
        new NoticeRenderer(catalog(), CONTROLLER).render(all, locale),
        new NoticeRenderer(catalog(), CONTROLLER).render(all, locale));
    assertEquals(
        new NoticeRenderer(catalog(), CONTROLLER).renderInformation(locale),
        new NoticeRenderer(catalog(), CONTROLLER).renderInformation(locale));
  }

  @ParameterizedTest
  @MethodSource("languages")
  void layersWhenRenderedThenPartsJoinToExactlyTheHashedText(String language) {
    Locale locale = Locale.forLanguageTag(language);
    PurposeCatalog catalog = catalog();
    NoticeRenderer renderer = new NoticeRenderer(catalog, CONTROLLER);
    List<PurposeId> all = List.of(PurposeId.of("newsletter"), PurposeId.of("allergies"));
    String text = renderer.render(all, locale);
    Notice notice = new Notice(1, Notice.sha256(text), locale, all, text, Instant.EPOCH);

    NoticeLayers layers = renderer.layers(notice).orElseThrow();

    assertEquals(text, layers.text());
    assertEquals(2, layers.purposes().size());
    assertTrue(layers.purposes().get(0).contains("News " + language), layers.purposes().get(0));
    assertTrue(layers.purposes().get(1).contains("Allergy " + language), layers.purposes().get(1));
    assertTrue(layers.summary().contains(CONTROLLER.name()), layers.summary());
    assertEquals(FRAME.text(locale, "summary.link"), layers.informationLink());
    assertEquals(CONTROLLER.privacyPolicyUrl(), layers.privacyPolicyUrl());
    assertTrue(layers.details().contains(FRAME.text(locale, "rights")), layers.details());
  }

  @ParameterizedTest
  @MethodSource("languages")
  void layersWhenNoticeStoredBeforeLayeringThenEmpty(String language) {
    Locale locale = Locale.forLanguageTag(language);
    // The flat form of earlier versions: it stays valid proof (its hash covers it) and is shown as
    // one text.
    String text = "Shop asks for your consent.\n\n1. News\n   Why: news\n\nWithdraw any time.\n";
    Notice old =
        new Notice(
            1,
            Notice.sha256(text),
            locale,
            List.of(PurposeId.of("newsletter")),
            text,
            Instant.EPOCH);

    assertTrue(new NoticeRenderer(catalog(), CONTROLLER).layers(old).isEmpty());
  }

  /** What both the notice and the information page must say. */
  private static void assertElements(
      String text, PurposeCatalog catalog, NoticeRenderer renderer, Locale locale) {
    // Art. 13(1)(a): identity and contact; (b): the data protection officer.
    assertContains(text, CONTROLLER.name());
    assertContains(text, CONTROLLER.address());
    assertContains(text, CONTROLLER.contactEmail());
    assertContains(text, CONTROLLER.dpoContact());
    for (Purpose p : catalog.purposes()) {
      // (c): purpose and legal basis.
      assertContains(text, p.text(locale).orElseThrow().title());
      assertContains(
          text,
          FRAME.text(locale, "legal-basis")
              + ' '
              + FRAME.text(
                  locale,
                  p.legalBasis() == LegalBasis.EXPLICIT_CONSENT
                      ? "legal-basis.explicit-consent"
                      : "legal-basis.consent"));
      // (e), (f): recipients, the third country and the safeguard.
      assertContains(text, FRAME.text(locale, "recipients"));
      for (Recipient r : p.recipients()) {
        assertContains(text, r.name());
        assertContains(text, new Locale("", r.country()).getDisplayCountry(locale));
      }
      if (p.recipients().isEmpty()) {
        assertContains(
            text, FRAME.text(locale, "recipients.none", Map.of("controller", CONTROLLER.name())));
      }
      // 13(2)(f): automated decisions and profiling, or the statement that there are none.
      assertContains(
          text,
          FRAME.text(locale, "automated")
              + ' '
              + p.automatedDecisions(locale).orElse(FRAME.text(locale, "automated.none")));
      // 13(2)(a): how long (the proof period too).
      assertContains(text, renderer.describe(p.retention(), locale));
    }
    assertContains(text, FRAME.text(locale, "safeguard.standard-contractual-clauses"));
    // 13(2)(b)-(e): rights, withdrawal, complaint, no obligation.
    assertContains(text, FRAME.text(locale, "rights"));
    assertContains(text, FRAME.text(locale, "withdraw"));
    assertContains(text, CONTROLLER.supervisoryAuthority().name());
    assertContains(text, CONTROLLER.supervisoryAuthority().url());
    assertContains(text, FRAME.text(locale, "obligation"));
  }

  private static void assertContains(String text, String expected) {
    assertTrue(text.contains(expected), () -> "missing \"" + expected + "\" in:\n" + text);
  }
}
