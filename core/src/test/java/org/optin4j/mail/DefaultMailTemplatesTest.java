package org.optin4j.mail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.optin4j.ConfigurationException;
import org.optin4j.Controller;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailTemplates.Model;
import org.optin4j.spi.MailTemplates.PurposeLine;
import org.optin4j.spi.MailTemplates.Rendered;
import org.owasp.encoder.Encode;

class DefaultMailTemplatesTest {
  private static final String CONFIRM =
      "https://bakery.example/optin/confirm?t=eyJ0eXAiOiJjb25maXJtIn0.a.b&x=1";
  private static final String PREFS =
      "https://bakery.example/optin/preferences?t=eyJ0eXAiOiJtYW5hZ2UifQ.c.d";
  private static final String UNSUB =
      "https://bakery.example/optin/unsubscribe?t=eyJ0eXAiOiJ1bnN1YiJ9.e.f";
  private static final Instant EXPIRES = Instant.parse("2025-03-16T10:00:00Z");
  private static final Controller CONTROLLER =
      new Controller(
              "Bakkerij de Gouden Korst B.V.",
              "Broodstraat 1, 1234 AB Utrecht",
              "privacy@bakery.example",
              "https://bakery.example/privacy")
          .withSupervisoryAuthority(
              "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");

  private final DefaultMailTemplates templates = new DefaultMailTemplates();

  private static Model confirmation(
      Locale locale, Controller controller, List<PurposeLine> purposes) {
    return new Model(locale, controller, purposes, CONFIRM, null, EXPIRES);
  }

  private static Model receipt(Locale locale) {
    return new Model(
        locale,
        CONTROLLER,
        List.of(new PurposeLine("Newsletter", "Weekly bread news.")),
        PREFS,
        UNSUB,
        null);
  }

  private static List<PurposeLine> purposes() {
    return List.of(
        new PurposeLine("Nieuwsbrief", "Wekelijks nieuws over brood."),
        new PurposeLine("Aanbiedingen", "Kortingen op gebak."));
  }

  @ParameterizedTest
  @CsvSource({
    "en, Please confirm, Confirm my subscription, ignore this email, March",
    "nl, Bevestig je inschrijving, Inschrijving bevestigen, Negeer deze e-mail, maart",
    "de, Bitte bestätigen, Anmeldung bestätigen, ignorieren Sie diese E-Mail, März",
    "fr, Veuillez confirmer, Confirmer mon inscription, ignorez ce message, mars"
  })
  void renderConfirmationWhenLocaleThenItsLanguage(
      String language, String subjectWord, String button, String ignore, String month) {
    Rendered r =
        templates.render(
            MailKind.CONFIRMATION,
            confirmation(Locale.forLanguageTag(language), CONTROLLER, purposes()));

    assertTrue(r.subject().contains(subjectWord), r.subject());
    assertTrue(r.subject().contains(CONTROLLER.name()), r.subject());
    assertTrue(r.html().contains("<html lang=\"" + language + "\">"));
    assertTrue(r.html().contains(">" + button + "</a>"), r.html());
    for (String body : List.of(r.text(), r.html())) {
      assertTrue(body.contains(ignore), body);
      assertTrue(
          body.contains(month) && body.contains("2025"), "expiry in the mail's language: " + body);
      assertTrue(body.contains("UTC"), body);
      assertTrue(
          body.contains("Nieuwsbrief") && body.contains("Wekelijks nieuws over brood."), body);
      assertTrue(body.contains("Aanbiedingen") && body.contains("Kortingen op gebak."), body);
      assertTrue(body.contains("Broodstraat 1, 1234 AB Utrecht"), body);
      assertTrue(body.contains("privacy@bakery.example"), body);
    }
    // The link sits on a line of its own in the text, and is a real link plus visible address in
    // the HTML.
    assertTrue(r.text().lines().anyMatch(CONFIRM::equals), r.text());
    String encoded = CONFIRM.replace("&", "&amp;");
    assertTrue(r.html().contains("<a href=\"" + encoded + "\""), r.html());
    assertTrue(r.html().contains(">" + encoded + "</a>"), r.html());
  }

  @ParameterizedTest
  @CsvSource({
    "en, is confirmed, Manage my preferences, Unsubscribe, withdraw your consent at any time",
    "nl, is bevestigd, Mijn voorkeuren beheren, Afmelden, op elk moment intrekken",
    "de, ist bestätigt, Einstellungen verwalten, Abmelden, jederzeit widerrufen",
    "fr, est confirmée, Gérer mes préférences, Me désinscrire, retirer votre consentement à tout moment"
  })
  void renderReceiptWhenLocaleThenItsLanguageWithBothLinks(
      String language, String subjectWord, String prefs, String unsubscribe, String withdraw) {
    Rendered r = templates.render(MailKind.RECEIPT, receipt(Locale.forLanguageTag(language)));

    assertTrue(r.subject().contains(subjectWord), r.subject());
    assertTrue(r.html().contains("<html lang=\"" + language + "\">"));
    assertTrue(r.html().contains(">" + prefs + "</a>"), r.html());
    assertTrue(r.html().contains(">" + unsubscribe + "</a>"), r.html());
    for (String body : List.of(r.text(), r.html())) {
      assertTrue(body.contains(withdraw), body);
      assertTrue(body.contains("Newsletter") && body.contains("Weekly bread news."), body);
    }
    List<String> lines = r.text().lines().toList();
    assertTrue(lines.contains(PREFS), r.text());
    assertTrue(lines.contains(UNSUB), r.text());
    assertTrue(r.html().contains("<a href=\"" + PREFS + "\""));
    assertTrue(r.html().contains("<a href=\"" + UNSUB + "\""));
    assertTrue(r.html().contains(">" + UNSUB + "</a>"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"en", "nl", "de", "fr"})
  void renderConfirmationWhenAnyLocaleThenNoUnsubscribeOrAdvertising(String language) {
    List<PurposeLine> neutral = List.of(new PurposeLine("Newsletter", "Weekly bread news."));
    Rendered r =
        templates.render(
            MailKind.CONFIRMATION,
            confirmation(Locale.forLanguageTag(language), CONTROLLER, neutral));

    Pattern forbidden =
        Pattern.compile(
            "unsubscri|afmeld|uitschrijv|abmeld|abbestell|désinscri|désabonn|offer|aanbieding|angebot|promo|rabatt"
                + "|korting|réduction|sale\\b|% off|<img|src=|https?://(?!bakery\\.example/)",
            Pattern.CASE_INSENSITIVE);
    for (String body : List.of(r.subject(), r.text(), r.html())) {
      assertFalse(
          forbidden.matcher(body).find(),
          () -> "found " + matchOf(forbidden, body) + " in " + body);
    }
  }

  private static String matchOf(Pattern p, String s) {
    var m = p.matcher(s);
    return m.find() ? m.group() : "";
  }

  @Test
  void renderWhenValuesHoldMarkupThenHtmlEncodesThem() {
    Controller evil =
        new Controller(
                "Bad <script>alert(1)</script> & \"Co\" 'Ltd'",
                "1 \"Quote\" St <b>",
                "privacy@bakery.example",
                null)
            .withSupervisoryAuthority(
                "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");
    List<PurposeLine> purposes =
        List.of(new PurposeLine("<img src=x onerror=alert(2)>", "Fish & \"chips\" 'ok'"));

    Rendered r =
        templates.render(MailKind.CONFIRMATION, confirmation(Locale.ENGLISH, evil, purposes));

    assertFalse(r.html().contains("<script>"), r.html());
    assertFalse(r.html().contains("<img"), r.html());
    assertFalse(r.html().contains("<b>"), r.html());
    assertFalse(r.html().contains("\"Co\""), r.html());
    assertTrue(
        r.html()
            .contains("Bad &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34; &#39;Ltd&#39;"),
        r.html());
    assertTrue(r.html().contains("Fish &amp; &#34;chips&#34; &#39;ok&#39;"), r.html());
    // The text body is not HTML: values stay as they are.
    assertTrue(r.text().contains("Fish & \"chips\" 'ok'"), r.text());
  }

  @Test
  void renderWhenControllerNameHasLineBreakThenSubjectStaysOneLine() {
    Controller odd =
        new Controller("Bakery\r\nBcc: x@evil.example", "Street 1", "privacy@bakery.example", null)
            .withSupervisoryAuthority(
                "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl");

    Rendered r =
        templates.render(MailKind.CONFIRMATION, confirmation(Locale.ENGLISH, odd, purposes()));

    assertFalse(r.subject().contains("\r") || r.subject().contains("\n"), r.subject());
  }

  @Test
  void renderWhenLinkIsNotHttpThenRefusedWithoutEchoingIt() {
    Model model =
        new Model(
            Locale.ENGLISH, CONTROLLER, purposes(), "javascript:alert('secret-token')", null, null);

    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> templates.render(MailKind.CONFIRMATION, model));

    assertFalse(e.getMessage().contains("secret-token"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"es", "pt-BR", "zh-Hans-CN", "und"})
  void renderWhenUnknownLocaleThenEnglish(String tag) {
    Locale previous = Locale.getDefault();
    Locale.setDefault(Locale.GERMAN); // the JVM default must not leak in
    try {
      Rendered r =
          templates.render(
              MailKind.CONFIRMATION,
              confirmation(Locale.forLanguageTag(tag), CONTROLLER, purposes()));

      assertTrue(r.subject().startsWith("Please confirm your subscription"), r.subject());
      assertTrue(r.html().contains("<html lang=\"en\">"));
      assertTrue(r.text().contains("March"), r.text());
    } finally {
      Locale.setDefault(previous);
    }
  }

  @Test
  void renderWhenRegionalVariantThenLanguageTexts() {
    Rendered r = templates.render(MailKind.RECEIPT, receipt(Locale.forLanguageTag("nl-BE")));

    assertTrue(r.subject().contains("is bevestigd"), r.subject());
  }

  @Test
  void renderWhenNoExpiryThenNoExpiryLine() {
    Model model = new Model(Locale.ENGLISH, CONTROLLER, purposes(), CONFIRM, null, null);

    Rendered r = templates.render(MailKind.CONFIRMATION, model);

    assertFalse(r.text().contains("works until"), r.text());
  }

  @Test
  void htmlWhenRenderedThenSelfContained() {
    for (MailKind kind : MailKind.values()) {
      if (kind == MailKind.BREACH_NOTICE || kind == MailKind.CAMPAIGN) {
        continue; // the controller's own content, not rendered by templates (see the next test)
      }
      Rendered r =
          templates.render(
              kind,
              kind == MailKind.RECEIPT
                  ? receipt(Locale.ENGLISH)
                  : confirmation(Locale.ENGLISH, CONTROLLER, purposes()));
      String html = r.html();
      assertTrue(html.startsWith("<!DOCTYPE html>"));
      assertFalse(html.contains("<img"), html);
      assertFalse(html.contains("<link"), html);
      assertFalse(html.contains("<script"), html);
      assertFalse(html.contains("<style"), html);
      assertFalse(html.contains("src="), html);
      assertTrue(html.contains("<title>" + r.subject() + "</title>"), html);
    }
  }

  @ParameterizedTest
  @CsvSource({
    "ADDRESS_CHANGE_STEP_UP, en, change your email address, nothing changes",
    "ADDRESS_CHANGE_STEP_UP, nl, e-mailadres bij, er verandert niets",
    "ADDRESS_CHANGE_STEP_UP, de, E-Mail-Adresse bei, Es ändert sich nichts",
    "ADDRESS_CHANGE_STEP_UP, fr, changer votre adresse, rien ne change",
    "ERASURE_STEP_UP, en, delete your data, nothing is deleted",
    "ERASURE_STEP_UP, nl, gegevens bij, er wordt niets verwijderd",
    "ERASURE_STEP_UP, de, Daten bei, Es wird nichts gelöscht",
    "ERASURE_STEP_UP, fr, supprimer vos données, rien n'est supprimé",
    "ADDRESS_CHANGED_NOTICE, en, was changed, every link sent to the other address stops working",
    "ADDRESS_CHANGED_NOTICE, nl, is gewijzigd, werkt niet meer",
    "ADDRESS_CHANGED_NOTICE, de, wurde geändert, funktioniert nicht mehr",
    "ADDRESS_CHANGED_NOTICE, fr, a été changée, cessera de fonctionner"
  })
  void renderWhenStepUpOrNoticeThenSaysWhatHappensNextInItsLanguageWithLinkAndExpiry(
      MailKind kind, String language, String inSubject, String inText) {
    Rendered r =
        templates.render(
            kind, confirmation(Locale.forLanguageTag(language), CONTROLLER, purposes()));

    assertTrue(r.subject().contains(inSubject), r.subject());
    assertTrue(r.text().contains(inText), r.text());
    assertTrue(r.text().contains(CONFIRM), "the link, on its own line");
    assertTrue(r.html().contains(Encode.forHtmlAttribute(CONFIRM)), r.html());
    assertTrue(r.text().contains("2025"), "until when the link works");
    assertFalse(r.text().toLowerCase(Locale.ROOT).contains("unsubscribe"), r.text());
  }

  @Test
  void renderWhenControllerWrittenKindThenRefused() {
    for (MailKind kind : List.of(MailKind.BREACH_NOTICE, MailKind.CAMPAIGN)) {
      org.junit.jupiter.api.Assertions.assertThrows(
          IllegalArgumentException.class, () -> templates.render(kind, receipt(Locale.ENGLISH)));
    }
  }

  @Test
  void overriddenByWhenAppReplacesOneTextThenOnlyThatTextChanges() {
    // com/shop/optin-mails_en.properties (test resources) replaces confirmation.subject, nothing
    // else.
    DefaultMailTemplates overridden = DefaultMailTemplates.overriddenBy("com.shop.optin-mails");
    Model model = confirmation(Locale.ENGLISH, CONTROLLER, purposes());

    Rendered r = overridden.render(MailKind.CONFIRMATION, model);
    Rendered original = templates.render(MailKind.CONFIRMATION, model);

    assertEquals("Confirm your bakery news from " + CONTROLLER.name(), r.subject());
    assertEquals(original.text(), r.text());
    assertEquals(
        original.html().replace(Encode.forHtml(original.subject()), Encode.forHtml(r.subject())),
        r.html());
    assertTrue(r.text().contains("Someone asked, with this email address"), r.text());
    // Another language keeps its own text.
    assertEquals(
        templates.render(
            MailKind.CONFIRMATION, confirmation(Locale.GERMAN, CONTROLLER, purposes())),
        overridden.render(
            MailKind.CONFIRMATION, confirmation(Locale.GERMAN, CONTROLLER, purposes())));
  }

  @Test
  void overriddenByWhenNoSuchBundleThenRefusedNamingIt() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () -> DefaultMailTemplates.overriddenBy("com.shop.no-such-mails"));

    assertTrue(e.getMessage().contains("com/shop/no-such-mails"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"nl", "de", "fr"})
  void bundleWhenTranslatedThenSameKeysAsEnglish(String language) throws IOException {
    assertEquals(load("en").stringPropertyNames(), load(language).stringPropertyNames());
  }

  private static Properties load(String language) throws IOException {
    Properties p = new Properties();
    try (InputStream in =
        DefaultMailTemplates.class.getResourceAsStream("messages_" + language + ".properties")) {
      p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
    return p;
  }
}
