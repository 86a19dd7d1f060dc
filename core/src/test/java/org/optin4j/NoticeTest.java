package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class NoticeTest {
  private static final Instant CREATED = Instant.parse("2025-03-01T10:00:00Z");
  private static final PurposeId NEWSLETTER = PurposeId.of("newsletter");
  private static final PurposeId OFFERS = PurposeId.of("offers");
  private static final PurposeId EVENTS = PurposeId.of("events");
  private static final String TEXT =
      "Bakkerij de Gouden Korst B.V. asks your consent for: Monthly newsletter.";

  @ParameterizedTest
  @CsvSource({
    "'', e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "abc, ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  })
  void sha256WhenKnownVectorThenLowercaseHex(String text, String hash) {
    // FIPS 180-2 test vectors.
    assertEquals(hash, Notice.sha256(text));
  }

  @Test
  void sha256WhenNonAsciiThenHashesUtf8Bytes() throws NoSuchAlgorithmException {
    byte[] utf8 = {(byte) 0xc3, (byte) 0xa9, 'n'}; // "én"
    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(utf8));

    assertEquals(expected, Notice.sha256("én"));
    assertEquals(expected, Notice.sha256(new String(utf8, StandardCharsets.UTF_8)));
  }

  @Test
  void constructorWhenHashMatchesTextThenAccepted() {
    Notice notice = notice(TEXT, Notice.sha256(TEXT), List.of(NEWSLETTER));

    assertEquals(TEXT, notice.text());
    assertEquals(Notice.sha256(TEXT), notice.hash());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Bakkerij de Gouden Korst B.V. asks your consent for: Monthly newsletter!",
        "",
        " " + TEXT
      })
  void constructorWhenHashOfAnotherTextThenRefused(String otherText) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> notice(TEXT, Notice.sha256(otherText), List.of(NEWSLETTER)));

    assertEquals("notice hash does not match its text", e.getMessage());
  }

  @Test
  void constructorWhenHashUppercaseThenRefused() {
    String upper = Notice.sha256(TEXT).toUpperCase(Locale.ROOT);

    assertThrows(IllegalArgumentException.class, () -> notice(TEXT, upper, List.of(NEWSLETTER)));
  }

  @Test
  void constructorWhenPurposesUnsortedThenSortedAndImmutable() {
    Notice notice = notice(TEXT, Notice.sha256(TEXT), List.of(OFFERS, NEWSLETTER, EVENTS));

    assertEquals(List.of(EVENTS, NEWSLETTER, OFFERS), notice.purposes());
    assertThrows(UnsupportedOperationException.class, () -> notice.purposes().clear());
  }

  @Test
  void constructorWhenPurposeTwiceThenListedOnce() {
    Notice notice = notice(TEXT, Notice.sha256(TEXT), List.of(OFFERS, NEWSLETTER, OFFERS));

    assertEquals(List.of(NEWSLETTER, OFFERS), notice.purposes());
    assertEquals("en:newsletter+offers", notice.key());
  }

  @Test
  void constructorWhenNoPurposeThenInformationPageCountedUnderItsOwnKey() {
    Notice page = notice(TEXT, Notice.sha256(TEXT), List.of());

    assertTrue(page.isInformationPage());
    assertEquals("en:*", page.key());
    assertFalse(notice(TEXT, Notice.sha256(TEXT), List.of(NEWSLETTER)).isInformationPage());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1})
  void constructorWhenVersionBelowOneThenRefused(int version) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new Notice(
                    version,
                    Notice.sha256(TEXT),
                    Locale.ENGLISH,
                    List.of(NEWSLETTER),
                    TEXT,
                    CREATED));

    assertEquals("notice version must be 1 or more", e.getMessage());
  }

  @Test
  void constructorWhenComponentNullThenNamesIt() {
    String hash = Notice.sha256(TEXT);
    List<PurposeId> ids = List.of(NEWSLETTER);
    assertNpe("hash", () -> new Notice(1, null, Locale.ENGLISH, ids, TEXT, CREATED));
    assertNpe("locale", () -> new Notice(1, hash, null, ids, TEXT, CREATED));
    assertNpe("text", () -> new Notice(1, hash, Locale.ENGLISH, ids, null, CREATED));
    assertNpe("createdAt", () -> new Notice(1, hash, Locale.ENGLISH, ids, TEXT, null));
    assertThrows(
        NullPointerException.class, () -> new Notice(1, hash, Locale.ENGLISH, null, TEXT, CREATED));
  }

  @ParameterizedTest
  @CsvSource({
    "en, newsletter, en:newsletter",
    "nl, offers newsletter, nl:newsletter+offers",
    "en-GB, offers events newsletter, en-GB:events+newsletter+offers",
  })
  void keyWhenLocaleAndPurposesThenLanguageTagColonSortedPurposesJoinedByPlus(
      String tag, String purposes, String expected) {
    List<PurposeId> ids = java.util.Arrays.stream(purposes.split(" ")).map(PurposeId::of).toList();
    Locale locale = Locale.forLanguageTag(tag);

    assertEquals(expected, Notice.key(locale, ids));
    assertEquals(expected, new Notice(1, Notice.sha256(TEXT), locale, ids, TEXT, CREATED).key());
  }

  @Test
  void keyWhenPurposeOrderDiffersThenSameKey() {
    assertEquals(
        Notice.key(Locale.ENGLISH, List.of(OFFERS, NEWSLETTER)),
        Notice.key(Locale.ENGLISH, List.of(NEWSLETTER, OFFERS)));
  }

  @Test
  void refWhenCalledThenPointsAtVersionHashAndLocale() {
    Notice notice =
        new Notice(
            7,
            Notice.sha256(TEXT),
            Locale.forLanguageTag("nl"),
            List.of(NEWSLETTER),
            TEXT,
            CREATED);

    assertEquals(
        new Consent.NoticeRef(7, Notice.sha256(TEXT), Locale.forLanguageTag("nl")), notice.ref());
  }

  @Test
  void withVersionWhenStoreAssignsVersionThenKeepsEverythingElse() {
    Notice candidate = notice(TEXT, Notice.sha256(TEXT), List.of(OFFERS, NEWSLETTER));

    Notice stored = candidate.withVersion(4);

    assertEquals(
        new Notice(4, candidate.hash(), Locale.ENGLISH, candidate.purposes(), TEXT, CREATED),
        stored);
    assertEquals(candidate.key(), stored.key());
  }

  @Test
  void withVersionWhenZeroThenRefused() {
    Notice candidate = notice(TEXT, Notice.sha256(TEXT), List.of(NEWSLETTER));

    assertThrows(IllegalArgumentException.class, () -> candidate.withVersion(0));
  }

  private static Notice notice(String text, String hash, List<PurposeId> purposes) {
    return new Notice(1, hash, Locale.ENGLISH, purposes, text, CREATED);
  }

  private static void assertNpe(String name, Runnable r) {
    assertEquals(name, assertThrows(NullPointerException.class, r::run).getMessage());
  }
}
