package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * What the builder refuses for GDPR Art. 13, and the information page and notice layers the service hands out.
 */
class OptInBuilderArticle13Test {
  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");

  private OptIn.Builder builder() {
    return Fixtures.builder(InMemoryConsentStore.create(), new RecordingMailer(), clock);
  }

  @Test
  void buildWhenControllerHasNoSupervisoryAuthorityThenRefusedNamingTheField() {
    Controller c = Fixtures.controller();
    Controller without =
        new Controller(c.name(), c.address(), c.contactEmail(), c.privacyPolicyUrl());

    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> builder().controller(without).build());

    assertTrue(
        e.getMessage().contains("controller supervisoryAuthority is required (GDPR Art. 13(2)(d))"),
        e.getMessage());
  }

  @Test
  void informationPageWhenLanguageOfTheCatalogThenHashedTextNamingEveryPurpose() {
    try (OptIn optIn = builder().build()) {
      InformationPage nl = optIn.informationPage(Locale.forLanguageTag("nl-BE"));

      assertEquals(Locale.forLanguageTag("nl"), nl.locale());
      assertEquals(Notice.sha256(nl.text()), nl.hash());
      for (Purpose p : optIn.catalog().purposes()) {
        assertTrue(nl.text().contains(p.text(nl.locale()).orElseThrow().title()), nl.text());
      }
      assertTrue(nl.text().contains("Autoriteit Persoonsgegevens"), nl.text());
      assertEquals(nl, optIn.informationPage(Locale.forLanguageTag("nl")));
    }
  }

  @Test
  void noticeLayersWhenCurrentNoticeThenJoinToItsText() {
    try (OptIn optIn = builder().build()) {
      Notice notice = optIn.notice(Set.of(Fixtures.NEWSLETTER, Fixtures.EVENTS), Locale.ENGLISH);

      NoticeLayers layers = optIn.noticeLayers(notice).orElseThrow();

      assertEquals(notice.text(), layers.text());
      assertEquals(2, layers.purposes().size());
      assertEquals("https://bakery.example/privacy", layers.privacyPolicyUrl());
    }
  }
}
