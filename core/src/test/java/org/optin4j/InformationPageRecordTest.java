package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.NoticeStore;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * The information page is stored, versioned and hashed like notices, and every notice names the page it links to, so
 * that the proof of a consent shows which full information (GDPR Art. 13) the person could open; stored once per
 * version, not per request.
 */
class InformationPageRecordTest {
  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final ConsentStore memory = InMemoryConsentStore.create();
  private final AtomicInteger noticeStoreCalls = new AtomicInteger();

  private OptIn optIn(PurposeCatalog catalog) {
    return Fixtures.builder(counting(memory), new RecordingMailer(), clock)
        .catalog(catalog)
        .build();
  }

  @Test
  void informationPageWhenFirstAskedThenStoredAsVersion1FindableByHash() {
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      InformationPage page = optIn.informationPage(Locale.ENGLISH);

      assertEquals(1, page.version());
      Notice stored = optIn.noticeByHash(page.hash()).orElseThrow();
      assertTrue(stored.isInformationPage());
      assertEquals(page.text(), stored.text());
      assertEquals(page, InformationPage.of(stored));
    }
  }

  @Test
  void noticeWhenRenderedThenNamesTheStoredInformationPageItLinksTo() {
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      Notice notice = optIn.notice(Set.of(Fixtures.NEWSLETTER), Locale.forLanguageTag("nl"));

      InformationPage linked = optIn.linkedInformationPage(notice).orElseThrow();

      assertEquals(optIn.informationPage(Locale.forLanguageTag("nl")), linked);
      assertTrue(notice.text().contains(linked.hash()), notice.text());
      // The second layer carries it: the short layer at the checkboxes stays short.
      assertTrue(optIn.noticeLayers(notice).orElseThrow().details().contains(linked.hash()));
    }
  }

  @Test
  void requestWhenNoticeNeverViewedThenConsentProofReachesTheInformationPage() {
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER));

      Subject ann = optIn.findSubject("ann@example.org").orElseThrow();
      Consent consent = optIn.consents(ann.id()).get(0);
      Notice shown = optIn.noticeByHash(consent.notice().hash()).orElseThrow();
      InformationPage linked = optIn.linkedInformationPage(shown).orElseThrow();
      assertEquals(optIn.informationPage(Locale.ENGLISH).hash(), linked.hash());
    }
  }

  @Test
  void informationPageWhenCatalogChangesThenVersion2AndOldNoticeKeepsItsPage() {
    Notice old;
    InformationPage first;
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      old = optIn.notice(Set.of(Fixtures.NEWSLETTER), Locale.ENGLISH);
      first = optIn.informationPage(Locale.ENGLISH);
    }
    PurposeCatalog changed =
        PurposeCatalog.builder()
            .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
            .add(Fixtures.newsletter())
            .build();
    try (OptIn optIn = optIn(changed)) {
      InformationPage second = optIn.informationPage(Locale.ENGLISH);

      assertEquals(2, second.version());
      assertNotEquals(first.hash(), second.hash());
      assertEquals(first, optIn.linkedInformationPage(old).orElseThrow());
      Notice current = optIn.notice(Set.of(Fixtures.NEWSLETTER), Locale.ENGLISH);
      assertNotEquals(old.hash(), current.hash());
      assertEquals(second, optIn.linkedInformationPage(current).orElseThrow());
    }
  }

  @Test
  void viewsAndSignupsWhenPageAndNoticeStoredThenNoFurtherNoticeStoreCalls() {
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      Notice shown = optIn.notice(Set.of(Fixtures.NEWSLETTER), Locale.ENGLISH);
      optIn.informationPage(Locale.ENGLISH);
      int before = noticeStoreCalls.get();

      for (int i = 0; i < 5; i++) {
        optIn.informationPage(Locale.ENGLISH);
        optIn.notice(Set.of(Fixtures.NEWSLETTER), Locale.ENGLISH);
        optIn.request(
            ConsentRequest.of("p" + i + "@example.org", Locale.ENGLISH, Fixtures.NEWSLETTER)
                .withShownNotice(shown));
      }

      assertEquals(before, noticeStoreCalls.get());
    }
  }

  @Test
  void linkedInformationPageWhenNoticeFromBeforePagesWereStoredThenEmpty() {
    try (OptIn optIn = optIn(Fixtures.catalog())) {
      String text = "Shop asks for your consent.\n\n1. News\n   Why: news\n";
      Notice old =
          new Notice(
              1,
              Notice.sha256(text),
              Locale.ENGLISH,
              List.of(Fixtures.NEWSLETTER),
              text,
              clock.instant());

      assertTrue(optIn.linkedInformationPage(old).isEmpty());
    }
  }

  /** The store, counting every call to the notice part of its units. */
  private ConsentStore counting(ConsentStore store) {
    return proxy(
        ConsentStore.class,
        store,
        (method, args) -> {
          if (args != null && args.length == 1 && args[0] instanceof Function<?, ?> work) {
            @SuppressWarnings("unchecked")
            Function<ConsentStore.Transaction, Object> w =
                (Function<ConsentStore.Transaction, Object>) work;
            args[0] = (Function<ConsentStore.Transaction, Object>) tx -> w.apply(countingTx(tx));
          }
          return args;
        });
  }

  private ConsentStore.Transaction countingTx(ConsentStore.Transaction tx) {
    return (ConsentStore.Transaction)
        Proxy.newProxyInstance(
            getClass().getClassLoader(),
            new Class<?>[] {ConsentStore.Transaction.class},
            (p, m, a) -> {
              Object result = invoke(m, tx, a);
              if (m.getName().equals("notices")) {
                NoticeStore notices = (NoticeStore) result;
                return proxy(
                    NoticeStore.class,
                    notices,
                    (method, args) -> {
                      noticeStoreCalls.incrementAndGet();
                      return args;
                    });
              }
              return result;
            });
  }

  private interface ArgsRewriter {
    Object[] rewrite(java.lang.reflect.Method method, Object[] args);
  }

  private <T> T proxy(Class<T> type, T target, ArgsRewriter rewriter) {
    InvocationHandler h = (p, m, a) -> invoke(m, target, rewriter.rewrite(m, a));
    return type.cast(Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {type}, h));
  }

  private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args)
      throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
