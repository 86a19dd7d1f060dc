package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.ConsentState.CONFIRMED;
import static org.optin4j.ConsentState.ERASED;
import static org.optin4j.ConsentState.EXPIRED;
import static org.optin4j.ConsentState.PENDING;
import static org.optin4j.ConsentState.WITHDRAWN;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConsentTest {
  private static final Instant REQUESTED = Instant.parse("2025-03-01T10:00:00Z");
  private static final Instant CONFIRMED_AT = Instant.parse("2025-03-01T10:05:00Z");
  private static final Instant ENDED = Instant.parse("2025-06-01T08:00:00Z");
  private static final Instant NOW = Instant.parse("2025-09-01T12:00:00Z");

  private static final SubjectId SUBJECT = new SubjectId("AAAAAAAAAAAAAAAAAAAAAA");
  private static final Consent.NoticeRef NOTICE =
      new Consent.NoticeRef(1, Notice.sha256("notice v1"), Locale.ENGLISH);
  private static final Consent.NoticeRef NEW_NOTICE =
      new Consent.NoticeRef(2, Notice.sha256("notice v2"), Locale.forLanguageTag("nl"));
  private static final Purpose NEWSLETTER = purpose(1);
  private static final Purpose NEWSLETTER_V2 = purpose(2);

  private static Purpose purpose(int version) {
    return Purpose.builder("newsletter")
        .version(version)
        .text(Locale.ENGLISH, "Newsletter", "News", "Your email address")
        .noRecipients()
        .noAutomatedDecisions()
        .retention(Retention.untilWithdrawn(Duration.ofDays(365)))
        .build();
  }

  /** A consent that reached the state through the legal path. */
  static Consent in(ConsentState state) {
    Consent pending = Consent.pending(SUBJECT, NEWSLETTER, "req-1", NOTICE, REQUESTED);
    return switch (state) {
      case PENDING -> pending;
      case CONFIRMED -> pending.confirm(CONFIRMED_AT);
      case WITHDRAWN -> pending.confirm(CONFIRMED_AT).withdraw(ENDED);
      case EXPIRED -> pending.confirm(CONFIRMED_AT).expire(ENDED);
      case ERASED -> pending.confirm(CONFIRMED_AT).erase(ENDED);
    };
  }

  /** Moves a consent to a state through the one method for that target. */
  static Consent moveTo(Consent consent, ConsentState target) {
    return moveTo(consent, target, NOW);
  }

  static Consent moveTo(Consent consent, ConsentState target, Instant at) {
    return switch (target) {
      case PENDING -> consent.rerequest(NEWSLETTER_V2, "req-2", NEW_NOTICE, at);
      case CONFIRMED -> consent.confirm(at);
      case WITHDRAWN -> consent.withdraw(at);
      case EXPIRED -> consent.expire(at);
      case ERASED -> consent.erase(at);
    };
  }

  static List<Arguments> allPairs() {
    return ConsentStateTest.allPairs();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transitions

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @MethodSource("allPairs")
  void transitionWhenAnyPairThenAllowedOnesSucceedAndOthersThrow(
      ConsentState from, ConsentState to, boolean allowed) {
    Consent before = in(from);

    if (allowed) {
      Consent after = moveTo(before, to);
      assertEquals(to, after.state());
      assertEquals(SUBJECT, after.subjectId());
      assertEquals(NEWSLETTER.id(), after.purpose());
      assertFalse(after.restricted());
    } else {
      IllegalTransitionException e =
          assertThrows(IllegalTransitionException.class, () -> moveTo(before, to));
      assertEquals("illegal consent transition " + from + " -> " + to, e.getMessage());
    }
    assertEquals(in(from), before, "a consent is immutable");
  }

  @Test
  void pendingWhenCreatedThenRecordsPurposeVersionRequestAndNotice() {
    Consent c = Consent.pending(SUBJECT, NEWSLETTER_V2, "req-1", NOTICE, REQUESTED);

    assertEquals(PENDING, c.state());
    assertEquals(NEWSLETTER_V2.id(), c.purpose());
    assertEquals(2, c.purposeVersion());
    assertEquals("req-1", c.requestId());
    assertEquals(NOTICE, c.notice());
    assertEquals(REQUESTED, c.requestedAt());
    assertNull(c.confirmedAt());
    assertNull(c.endedAt());
    assertFalse(c.restricted());
    assertFalse(c.isActive());
  }

  @Test
  void confirmWhenPendingThenSetsConfirmedAtAndIsActive() {
    Consent c = in(PENDING).confirm(NOW);

    assertEquals(NOW, c.confirmedAt());
    assertNull(c.endedAt());
    assertEquals(REQUESTED, c.requestedAt());
    assertEquals("req-1", c.requestId());
    assertEquals(NOTICE, c.notice());
    assertTrue(c.isActive());
  }

  @Test
  void withdrawWhenConfirmedThenKeepsConfirmedAtAndSetsEndedAt() {
    Consent c = in(CONFIRMED).withdraw(NOW);

    assertEquals(CONFIRMED_AT, c.confirmedAt());
    assertEquals(NOW, c.endedAt());
    assertFalse(c.isActive());
  }

  @Test
  void withdrawWhenPendingThenCancelsWithoutConfirmedAt() {
    Consent c = in(PENDING).withdraw(NOW);

    assertEquals(WITHDRAWN, c.state());
    assertNull(c.confirmedAt());
    assertEquals(NOW, c.endedAt());
  }

  @ParameterizedTest
  @EnumSource(
      value = ConsentState.class,
      names = {"PENDING", "CONFIRMED"})
  void expireWhenPendingOrConfirmedThenSetsEndedAt(ConsentState from) {
    Consent c = in(from).expire(NOW);

    assertEquals(EXPIRED, c.state());
    assertEquals(in(from).confirmedAt(), c.confirmedAt());
    assertEquals(NOW, c.endedAt());
    assertFalse(c.isActive());
  }

  @ParameterizedTest
  @EnumSource(
      value = ConsentState.class,
      names = {"WITHDRAWN", "EXPIRED"})
  void rerequestWhenEndedThenFreshPendingUnderCurrentPurposeVersionAndNotice(ConsentState from) {
    Consent c = in(from).rerequest(NEWSLETTER_V2, "req-2", NEW_NOTICE, NOW);

    assertEquals(PENDING, c.state());
    assertEquals(2, c.purposeVersion());
    assertEquals("req-2", c.requestId());
    assertEquals(NEW_NOTICE, c.notice());
    assertEquals(NOW, c.requestedAt());
    assertNull(c.confirmedAt());
    assertNull(c.endedAt());
  }

  @ParameterizedTest
  @EnumSource(value = ConsentState.class, names = "ERASED", mode = EnumSource.Mode.EXCLUDE)
  void eraseWhenNotErasedThenEndedAtIsErasureTime(ConsentState from) {
    Consent c = in(from).erase(NOW);

    assertEquals(ERASED, c.state());
    assertEquals(NOW, c.endedAt());
    assertFalse(c.isActive());
  }

  @Test
  void supersedeWhenPendingThenPointsAtNewRequest() {
    Consent c = in(PENDING).supersede(NEWSLETTER_V2, "req-2", NEW_NOTICE, NOW);

    assertEquals(PENDING, c.state());
    assertEquals(2, c.purposeVersion());
    assertEquals("req-2", c.requestId());
    assertEquals(NEW_NOTICE, c.notice());
    assertEquals(NOW, c.requestedAt());
  }

  @ParameterizedTest
  @EnumSource(value = ConsentState.class, names = "PENDING", mode = EnumSource.Mode.EXCLUDE)
  void supersedeWhenNotPendingThenIllegalTransition(ConsentState from) {
    Consent c = in(from);

    IllegalTransitionException e =
        assertThrows(
            IllegalTransitionException.class,
            () -> c.supersede(NEWSLETTER_V2, "req-2", NEW_NOTICE, NOW));
    assertEquals("illegal consent transition " + from + " -> PENDING", e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(
      value = ConsentState.class,
      names = {"CONFIRMED", "WITHDRAWN", "EXPIRED", "ERASED"})
  void transitionWhenTimeMissingThenRefused(ConsentState to) {
    Consent from = to == CONFIRMED ? in(PENDING) : in(CONFIRMED);

    assertThrows(IllegalArgumentException.class, () -> moveTo(from, to, null));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Restriction (GDPR Art. 18)

  @Test
  void restrictWhenConfirmedThenInactiveButStillConfirmed() {
    Consent restricted = in(CONFIRMED).restrict(true);

    assertEquals(CONFIRMED, restricted.state());
    assertTrue(restricted.restricted());
    assertFalse(restricted.isActive());
    assertEquals(CONFIRMED_AT, restricted.confirmedAt());
  }

  @Test
  void restrictWhenLiftedThenActiveAgain() {
    Consent lifted = in(CONFIRMED).restrict(true).restrict(false);

    assertFalse(lifted.restricted());
    assertTrue(lifted.isActive());
    assertEquals(in(CONFIRMED), lifted);
  }

  @ParameterizedTest
  @EnumSource(value = ConsentState.class, names = "CONFIRMED", mode = EnumSource.Mode.EXCLUDE)
  void restrictWhenNotConfirmedThenIllegalTransition(ConsentState state) {
    Consent c = in(state);

    assertThrows(IllegalTransitionException.class, () -> c.restrict(true));
    assertThrows(IllegalTransitionException.class, () -> c.restrict(false));
  }

  @Test
  void withdrawWhenRestrictedThenRestrictionEndsWithConsent() {
    Consent c = in(CONFIRMED).restrict(true).withdraw(NOW);

    assertEquals(WITHDRAWN, c.state());
    assertFalse(c.restricted());
  }

  @ParameterizedTest
  @EnumSource(ConsentState.class)
  void isActiveWhenAnyStateThenOnlyConfirmed(ConsentState state) {
    assertEquals(state == CONFIRMED, in(state).isActive());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Record validation

  @Nested
  class Validation {
    @Test
    void constructorWhenConfirmedWithoutConfirmedAtThenRefused() {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> consent(CONFIRMED, null, null, false));
      assertEquals("a confirmed consent needs confirmedAt and has no endedAt", e.getMessage());
    }

    @Test
    void constructorWhenConfirmedWithEndedAtThenRefused() {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> consent(CONFIRMED, CONFIRMED_AT, ENDED, false));
      assertEquals("a confirmed consent needs confirmedAt and has no endedAt", e.getMessage());
    }

    @Test
    void constructorWhenPendingWithConfirmedAtOrEndedAtThenRefused() {
      assertEquals(
          "a pending consent has neither confirmedAt nor endedAt",
          assertThrows(
                  IllegalArgumentException.class, () -> consent(PENDING, CONFIRMED_AT, null, false))
              .getMessage());
      assertEquals(
          "a pending consent has neither confirmedAt nor endedAt",
          assertThrows(IllegalArgumentException.class, () -> consent(PENDING, null, ENDED, false))
              .getMessage());
    }

    @ParameterizedTest
    @EnumSource(
        value = ConsentState.class,
        names = {"WITHDRAWN", "EXPIRED", "ERASED"})
    void constructorWhenEndedWithoutEndedAtThenRefused(ConsentState state) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> consent(state, CONFIRMED_AT, null, false));
      assertEquals("an ended consent needs endedAt", e.getMessage());
    }

    @ParameterizedTest
    @EnumSource(
        value = ConsentState.class,
        names = {"WITHDRAWN", "EXPIRED", "ERASED"})
    void constructorWhenEndedWithOrWithoutConfirmedAtThenAccepted(ConsentState state) {
      assertEquals(state, consent(state, null, ENDED, false).state());
      assertEquals(state, consent(state, CONFIRMED_AT, ENDED, false).state());
    }

    @ParameterizedTest
    @EnumSource(value = ConsentState.class, names = "CONFIRMED", mode = EnumSource.Mode.EXCLUDE)
    void constructorWhenRestrictedButNotConfirmedThenRefused(ConsentState state) {
      Instant confirmedAt = state == PENDING ? null : CONFIRMED_AT;
      Instant endedAt = state == PENDING ? null : ENDED;

      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> consent(state, confirmedAt, endedAt, true));
      assertEquals("only a confirmed consent can be restricted, was " + state, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, Integer.MIN_VALUE})
    void constructorWhenPurposeVersionBelowOneThenRefused(int version) {
      assertThrows(
          IllegalArgumentException.class,
          () ->
              new Consent(
                  SUBJECT,
                  NEWSLETTER.id(),
                  version,
                  PENDING,
                  "req-1",
                  NOTICE,
                  REQUESTED,
                  null,
                  null,
                  false));
    }

    @Test
    void constructorWhenRequiredComponentNullThenNamesIt() {
      PurposeId id = NEWSLETTER.id();
      assertNpe(
          "subjectId",
          () -> new Consent(null, id, 1, PENDING, "r", NOTICE, REQUESTED, null, null, false));
      assertNpe(
          "purpose",
          () -> new Consent(SUBJECT, null, 1, PENDING, "r", NOTICE, REQUESTED, null, null, false));
      assertNpe(
          "state",
          () -> new Consent(SUBJECT, id, 1, null, "r", NOTICE, REQUESTED, null, null, false));
      assertNpe(
          "requestId",
          () -> new Consent(SUBJECT, id, 1, PENDING, null, NOTICE, REQUESTED, null, null, false));
      assertNpe(
          "notice",
          () -> new Consent(SUBJECT, id, 1, PENDING, "r", null, REQUESTED, null, null, false));
      assertNpe(
          "requestedAt",
          () -> new Consent(SUBJECT, id, 1, PENDING, "r", NOTICE, null, null, null, false));
    }

    private Consent consent(
        ConsentState state, Instant confirmedAt, Instant endedAt, boolean restricted) {
      return new Consent(
          SUBJECT,
          NEWSLETTER.id(),
          1,
          state,
          "req-1",
          NOTICE,
          REQUESTED,
          confirmedAt,
          endedAt,
          restricted);
    }

    private void assertNpe(String name, Runnable r) {
      assertEquals(name, assertThrows(NullPointerException.class, r::run).getMessage());
    }
  }

  @Nested
  class NoticeRefValidation {
    private final String hash = Notice.sha256("text");

    @Test
    void constructorWhenValidThenKeepsComponents() {
      Consent.NoticeRef ref = new Consent.NoticeRef(3, hash, Locale.ENGLISH);

      assertEquals(3, ref.version());
      assertSame(hash, ref.hash());
      assertEquals(Locale.ENGLISH, ref.locale());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1})
    void constructorWhenVersionBelowOneThenRefused(int version) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new Consent.NoticeRef(version, hash, Locale.ENGLISH));
      assertEquals("notice version must be 1 or more", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
        strings = {
          "",
          "abc",
          "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",
          "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          " 3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        })
    void constructorWhenHashNot64LowercaseHexThenRefused(String badHash) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> new Consent.NoticeRef(1, badHash, Locale.ENGLISH));
      assertEquals("notice hash must be 64 lowercase hex digits", e.getMessage());
    }

    @Test
    void constructorWhenHashOrLocaleNullThenNamesIt() {
      assertEquals(
          "hash",
          assertThrows(
                  NullPointerException.class, () -> new Consent.NoticeRef(1, null, Locale.ENGLISH))
              .getMessage());
      assertEquals(
          "locale",
          assertThrows(NullPointerException.class, () -> new Consent.NoticeRef(1, hash, null))
              .getMessage());
    }

    @Test
    void refWhenTakenFromNoticeThenSameVersionHashAndLocale() {
      Notice notice =
          new Notice(4, hash, Locale.ENGLISH, List.of(NEWSLETTER.id()), "text", REQUESTED);

      assertEquals(new Consent.NoticeRef(4, hash, Locale.ENGLISH), notice.ref());
    }
  }
}
