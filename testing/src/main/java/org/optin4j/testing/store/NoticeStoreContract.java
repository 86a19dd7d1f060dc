package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.notice;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.optin4j.Notice;

/**
 * The part of the store contract for notice versioning: one version per distinct text and key (language and purpose
 * set), found by hash, the text kept exactly, and no version consumed by a unit that rolled back.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class NoticeStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected NoticeStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void saveNoticeWhenWorkThrowsThenNoticeGoneAndVersionNotConsumed() {
    Notice first = notice(Locale.ENGLISH, "first text", NEWSLETTER);
    Notice second = notice(Locale.ENGLISH, "second text", NEWSLETTER);

    throwAfter(tx -> assertEquals(1, tx.notices().saveNotice(first).version()));

    assertEquals(Optional.empty(), read(tx -> tx.notices().notice(first.hash())));
    assertEquals(1, read(tx -> tx.notices().saveNotice(second)).version());
    assertEquals(2, read(tx -> tx.notices().saveNotice(first)).version());
  }

  @Test
  void saveNoticeWhenInformationPageThenVersionedUnderItsOwnKeyAndFoundWithNoPurposes() {
    Notice notice =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "notice", NEWSLETTER)));
    Notice page = notice(Locale.ENGLISH, "the full information, v1");

    Notice first = read(tx -> tx.notices().saveNotice(page));
    Notice second =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "the full information, v2")));

    assertEquals(1, notice.version());
    assertEquals(1, first.version());
    assertEquals(2, second.version());
    Notice found = read(tx -> tx.notices().notice(page.hash())).orElseThrow();
    assertEquals(page, found);
    assertEquals(List.of(), found.purposes());
    // Notices keep counting their own versions, apart from the page's.
    Notice notice2 =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "notice 2", NEWSLETTER)));
    assertEquals(2, notice2.version());
  }

  @Test
  void saveNoticeWhenFirstTextOfKeyThenVersion1AndFindableByHash() {
    Notice candidate = notice(Locale.ENGLISH, "We send a monthly newsletter.", NEWSLETTER, OFFERS);

    Notice stored = read(tx -> tx.notices().saveNotice(candidate));

    assertEquals(candidate, stored);
    assertEquals(1, stored.version());
    assertEquals(Optional.of(stored), read(tx -> tx.notices().notice(candidate.hash())));
  }

  @Test
  void saveNoticeWhenDifferentTextsSameKeyThenVersions1And2() {
    Notice first =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));

    assertEquals(1, first.version());
    assertEquals(2, second.version());
    assertEquals(Optional.of(first), read(tx -> tx.notices().notice(first.hash())));
    assertEquals(Optional.of(second), read(tx -> tx.notices().notice(second.hash())));
  }

  @Test
  void saveNoticeWhenSameTextTwiceThenSameVersionAndNoVersionConsumed() {
    Notice first =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice again =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));
    Notice firstOnceMore =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));

    assertEquals(first, again);
    assertEquals(first, firstOnceMore);
    assertEquals(2, second.version());
  }

  @Test
  void saveNoticeWhenKnownHashThenExistingReturnedNotTheCandidate() {
    Notice original =
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice laterCandidate =
        new Notice(5, original.hash(), Locale.ENGLISH, List.of(NEWSLETTER), "text one", at(999));

    Notice stored = read(tx -> tx.notices().saveNotice(laterCandidate));

    assertEquals(original, stored);
    assertEquals(T0, stored.createdAt());
  }

  @Test
  void saveNoticeThenCandidateVersionIgnored() {
    Notice candidate =
        new Notice(42, Notice.sha256("text"), Locale.ENGLISH, List.of(NEWSLETTER), "text", T0);

    Notice stored = read(tx -> tx.notices().saveNotice(candidate));

    assertEquals(1, stored.version());
    assertEquals(candidate.hash(), stored.hash());
    assertEquals(candidate.text(), stored.text());
  }

  @Test
  void saveNoticeWhenOtherKeyThenVersionsStartAt1() {
    assertEquals(
        1,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en one", NEWSLETTER)))
            .version());
    assertEquals(
        2,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en two", NEWSLETTER)))
            .version());

    assertEquals(
        1,
        read(tx -> tx.notices().saveNotice(notice(Locale.GERMAN, "de eins", NEWSLETTER)))
            .version());
    assertEquals(
        1,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en both", NEWSLETTER, OFFERS)))
            .version());
    assertEquals(
        1,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en offers", OFFERS))).version());
    assertEquals(
        3,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en three", NEWSLETTER)))
            .version());
    assertEquals(
        2,
        read(tx -> tx.notices().saveNotice(notice(Locale.GERMAN, "de zwei", NEWSLETTER)))
            .version());
  }

  @Test
  void saveNoticeWhenPurposesInOtherOrderThenSameKey() {
    assertEquals(
        1,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER, OFFERS)))
            .version());

    assertEquals(
        2,
        read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "two", OFFERS, NEWSLETTER)))
            .version());
  }

  @Test
  void saveNoticeWhenSeveralInOneTransactionThenVersionsCounted() {
    List<Integer> versions =
        read(
            tx ->
                List.of(
                    tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
                    tx.notices().saveNotice(notice(Locale.ENGLISH, "two", NEWSLETTER)).version(),
                    tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
                    tx.notices()
                        .saveNotice(notice(Locale.ENGLISH, "three", NEWSLETTER))
                        .version()));

    assertEquals(List.of(1, 2, 1, 3), versions);
  }

  @Test
  void saveNoticeThenTextKeptExactly() {
    String text =
        "Controller: Shop GmbH, Straße 1\r\nPurposes:\n\t• newsletter — monthly 📰\n"
            + "«Widerruf jederzeit»  trailing spaces   \n"
            + "ä".repeat(5000)
            + "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP";
    Notice candidate = notice(Locale.forLanguageTag("de-AT"), text, NEWSLETTER);

    read(tx -> tx.notices().saveNotice(candidate));

    Notice found = read(tx -> tx.notices().notice(candidate.hash())).orElseThrow();
    assertEquals(text, found.text());
    assertEquals(Locale.forLanguageTag("de-AT"), found.locale());
    assertEquals(List.of(NEWSLETTER), found.purposes());
  }

  @Test
  void noticeWhenUnknownHashThenEmpty() {
    read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)));

    assertEquals(Optional.empty(), read(tx -> tx.notices().notice(Notice.sha256("two"))));
  }
}
