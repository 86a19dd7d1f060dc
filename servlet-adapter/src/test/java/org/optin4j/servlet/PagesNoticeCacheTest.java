package org.optin4j.servlet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.Mockito.mock;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Controller;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.Mailer;

/** The notice with its checkboxes is rendered once per notice and page, and a changed notice renders anew. */
class PagesNoticeCacheTest {
  private final OptIn optIn =
      OptIn.builder()
          .catalog(TestApp.catalog())
          .controller(
              new Controller("Shop", "Main St 1", "privacy@shop.example", null)
                  .withSupervisoryAuthority(
                      "Autoriteit Persoonsgegevens", "https://autoriteitpersoonsgegevens.nl"))
          .store(InMemoryConsentStore.create())
          .mailer(mock(Mailer.class))
          .signingKeys(SigningKeys.generate("k1"))
          .suppressionPepper(AbstractHostedFlowIT.randomKey())
          .baseUrl("https://shop.example/app/optin")
          .build();
  private final Pages pages = new Pages(OptInFilter.builder(optIn).settings(), optIn);
  private final List<Purpose> purposes = optIn.catalog().purposes();
  private final Set<PurposeId> all = purposes.stream().map(Purpose::id).collect(Collectors.toSet());

  @AfterEach
  void close() {
    optIn.close();
  }

  private String render(Notice notice, Set<PurposeId> ticked, String base) {
    return pages
        .noticeAndChoices(
            new Html(),
            notice,
            purposes,
            Locale.ENGLISH,
            "purpose",
            ticked,
            "optin-purpose-",
            "optin-notice-text",
            base)
        .toString();
  }

  private Notice current() {
    return optIn.notice(all, Locale.ENGLISH);
  }

  @Test
  void aRepeatedViewGetsTheSameHtmlFromOneRendering() {
    String first = render(current(), all, "/app/optin");
    String again = render(current(), all, "/app/optin");
    assertEquals(first, again);
    assertEquals(1, pages.rendered().fragments());
    assertTrue(first.contains("checked"), first);
  }

  @Test
  void aNewNoticeVersionRendersTheNewVersion() {
    Notice v1 = current();
    String first = render(v1, all, "/app/optin");
    String second = render(v1.withVersion(v1.version() + 1), all, "/app/optin");
    assertTrue(first.contains("Notice version " + v1.version() + ","), first);
    assertTrue(second.contains("Notice version " + (v1.version() + 1) + ","), second);
    assertFalse(second.contains("Notice version " + v1.version() + ","), second);
  }

  @Test
  void aChangedNoticeTextRendersTheNewText() {
    Notice old = current();
    String text = "We changed this notice: <new> & improved.";
    Notice changed =
        new Notice(
            old.version(), Notice.sha256(text), old.locale(), old.purposes(), text, Instant.now());
    render(old, all, "/app/optin");
    String shown = render(changed, all, "/app/optin");
    assertTrue(shown.contains("We changed this notice: &lt;new&gt; &amp; improved."), shown);
    assertFalse(shown.contains(old.text().substring(0, 40)), shown);
  }

  @Test
  void theTickedBoxesAndTheSitePathArePartOfWhatIsCached() {
    Notice notice = current();
    String ticked = render(notice, all, "/app/optin");
    String unticked = render(notice, Set.of(), "/app/optin");
    String elsewhere = render(notice, all, "/other/optin");
    assertTrue(ticked.contains("checked"));
    assertFalse(unticked.contains("checked"), unticked);
    assertTrue(elsewhere.contains("/other/optin"), elsewhere);
    assertFalse(elsewhere.contains("/app/optin"), elsewhere);
  }

  @Test
  void theDateTimeIsWrittenAsTheLocalizedFormatterOfTheLanguageWritesIt() {
    for (String language : List.of("en", "nl", "de", "fr", "es", "it", "pl", "ja")) {
      Locale locale = Locale.forLanguageTag(language);
      java.time.format.DateTimeFormatter localized =
          java.time.format.DateTimeFormatter.ofLocalizedDateTime(
                  java.time.format.FormatStyle.LONG, java.time.format.FormatStyle.SHORT)
              .withLocale(locale)
              .withZone(java.time.ZoneOffset.UTC);
      for (Instant at :
          List.of(
              Instant.parse("2026-01-02T03:04:05Z"),
              Instant.parse("2026-12-31T23:59:59Z"),
              Instant.parse("2027-07-14T12:00:00Z"))) {
        assertEquals(localized.format(at) + " UTC", pages.dateTime(at, locale), language);
        assertEquals(pages.dateTime(at, locale), pages.dateTime(at, locale));
      }
    }
  }

  @Test
  void theCacheIsBoundedAndPagesBeyondItStillRender() {
    Notice notice = current();
    for (int i = 0; i < Pages.Rendered.LIMIT + 40; i++) {
      String html = render(notice, all, "/site" + i + "/optin");
      assertTrue(html.contains("/site" + i + "/optin") || !html.contains("/optin"), html);
    }
    assertEquals(Pages.Rendered.LIMIT, pages.rendered().fragments());
    String beyond = render(notice, all, "/site-beyond/optin");
    assertEquals(beyond, render(notice, all, "/site-beyond/optin"));
  }
}
