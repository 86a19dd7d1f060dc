package org.optin4j.rights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.ConfigurationException;
import org.optin4j.ConfirmationChoice;
import org.optin4j.ConfirmationPreview;
import org.optin4j.ConfirmationResult;
import org.optin4j.ConsentRequest;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Fixtures;
import org.optin4j.OptIn;
import org.optin4j.RequestResult;
import org.optin4j.SubjectId;
import org.optin4j.UnsubscribeResult;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;
import org.optin4j.testing.OptInFlow;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * A forwarded preferences link through the Java API: a change of address or an erasure needs a step-up from the
 * address on file; links carry the address generation; the old address can undo a change ("this was not me").
 */
class SubjectRightsStepUpTest {
  private static final String ANN = "ann@example.org";
  private static final String MALLORY = "mallory@evil.example";

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final OptIn optIn =
      Fixtures.builder(store, mailer, clock).evidencePolicy(EvidencePolicy.FULL).build();
  private final SubjectRights rights = optIn.rights();

  @AfterEach
  void close() {
    optIn.close();
  }

  /** Ann confirmed the newsletter; her receipt (with preferences and unsubscribe links) is the last mail. */
  private SubjectId confirmed(String email) {
    return OptInFlow.of(optIn, mailer, clock)
        .pauseAfterwards(Duration.ofMinutes(5))
        .confirmed(
            ConsentRequest.of(email, Locale.ENGLISH, NEWSLETTER)
                .withEvidence(Evidence.of("203.0.113.9", "Firefox")),
            Evidence.NONE);
  }

  private List<MailMessage> dispatchedTo(String address) {
    optIn.operations().dispatchNow();
    return mailer.sent().stream().filter(m -> m.to().value().equals(address)).toList();
  }

  private MailMessage lastTo(String address) {
    List<MailMessage> mails = dispatchedTo(address);
    assertFalse(mails.isEmpty(), "no mail to " + address);
    return mails.get(mails.size() - 1);
  }

  /** Mallory, holding Ann's forwarded preferences link, asks to move the subscription to his address. */
  private String takeoverAttempt(String preferencesToken) {
    assertInstanceOf(
        StepUpResult.Sent.class,
        rights.stepUpAddressChange(
            preferencesToken, MALLORY, Locale.ENGLISH, Evidence.of("198.51.100.7", "curl")));
    return Fixtures.token(lastTo(ANN).text(), "preferences/step-up");
  }

  /** Runs the takeover to its end: Ann's step-up and Mallory's confirmation; returns Ann's "not me" token. */
  private String takenOver(String preferencesToken) {
    String stepUp = takeoverAttempt(preferencesToken);
    assertInstanceOf(StepUpConfirmation.AddressChangeStarted.class, rights.confirmStepUp(stepUp));
    String confirm = Fixtures.token(lastTo(MALLORY).text(), "confirm");
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(confirm, ConfirmationChoice.all(), Evidence.NONE));
    return Fixtures.token(lastTo(ANN).text(), "preferences/not-me");
  }

  @Test
  void stepUpAddressChangeWhenForwardedLinkThenNoMailToNewAddressAndStepUpMailToAddressOnFile() {
    SubjectId ann = confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    mailer.clear();

    StepUpResult r = rights.stepUpAddressChange(prefs, MALLORY, Locale.ENGLISH, Evidence.NONE);

    assertEquals(new StepUpResult.Sent(ann, clock.instant().plus(Duration.ofHours(1))), r);
    assertTrue(dispatchedTo(MALLORY).isEmpty(), "not a word to the new address before the step-up");
    MailMessage stepUp = lastTo(ANN);
    assertTrue(stepUp.subject().contains("change your email address"), stepUp.subject());
    assertFalse(stepUp.headers().containsKey("List-Unsubscribe"));
    String token = Fixtures.token(stepUp.text(), "preferences/step-up");
    StepUpPreview.AddressChange preview =
        assertInstanceOf(StepUpPreview.AddressChange.class, rights.previewStepUp(token));
    assertEquals(MALLORY, preview.newAddress().value());
    assertEquals(ANN, optIn.subject(ann).orElseThrow().email().value(), "nothing changed");
    assertTrue(optIn.mayMail(ANN, NEWSLETTER));
  }

  @Test
  void confirmStepUpThenNewAddressGetsDoubleOptInAndOldAddressANoticeWithUndoLink() {
    SubjectId ann = confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    String stepUp = takeoverAttempt(prefs);

    StepUpConfirmation started = rights.confirmStepUp(stepUp);

    assertEquals(
        new StepUpConfirmation.AddressChangeStarted(ann, EmailAddress.parse(MALLORY)), started);
    assertInstanceOf(StepUpConfirmation.Invalid.class, rights.confirmStepUp(stepUp), "single use");
    assertInstanceOf(StepUpPreview.Invalid.class, rights.previewStepUp(stepUp));
    assertEquals(
        ANN,
        optIn.subject(ann).orElseThrow().email().value(),
        "the old address works until confirmed");
    String confirm = Fixtures.token(lastTo(MALLORY).text(), "confirm");
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(confirm, ConfirmationChoice.all(), Evidence.NONE));
    assertEquals(MALLORY, optIn.subject(ann).orElseThrow().email().value());
    assertEquals(2, optIn.subject(ann).orElseThrow().addressGeneration());
    MailMessage notice = lastTo(ANN);
    assertTrue(notice.subject().contains("was changed"), notice.subject());
    String notMe = Fixtures.token(notice.text(), "preferences/not-me");
    assertEquals(java.util.Optional.of(ann), rights.verifyNotMeToken(notMe));
  }

  @Test
  void restoreAddressThenOldAddressBackAndLinksIssuedForTheNewOneStopWorking() {
    SubjectId ann = confirmed(ANN);
    String notMe = takenOver(Fixtures.token(mailer.last().text(), "preferences"));
    optIn.rights().mailReceipt(ann);
    MailMessage malloryReceipt = lastTo(MALLORY);
    String malloryPrefs = Fixtures.token(malloryReceipt.text(), "preferences");
    String malloryUnsubscribe = Fixtures.token(malloryReceipt.text(), "unsubscribe");
    assertTrue(optIn.verifyPreferencesToken(malloryPrefs).isPresent());

    AddressRestore restored = rights.restoreAddress(notMe, Evidence.of("203.0.113.9", "Firefox"));

    assertEquals(new AddressRestore.Restored(ann, EmailAddress.parse(ANN)), restored);
    assertEquals(ANN, optIn.subject(ann).orElseThrow().email().value());
    assertEquals(3, optIn.subject(ann).orElseThrow().addressGeneration());
    assertTrue(optIn.verifyPreferencesToken(malloryPrefs).isEmpty());
    assertTrue(optIn.verifyUnsubscribeToken(malloryUnsubscribe).isEmpty());
    assertInstanceOf(
        UnsubscribeResult.Invalid.class,
        optIn.unsubscribe(malloryUnsubscribe, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
    assertInstanceOf(
        StepUpResult.InvalidLink.class,
        rights.stepUpAddressChange(
            malloryPrefs, "mallory2@evil.example", Locale.ENGLISH, Evidence.NONE));
    assertTrue(optIn.mayMail(ANN, NEWSLETTER));
    assertFalse(optIn.mayMail(MALLORY, NEWSLETTER));
    assertInstanceOf(
        AddressRestore.Invalid.class, rights.restoreAddress(notMe, Evidence.NONE), "single use");
    String fresh = Fixtures.token(lastTo(ANN).text(), "preferences");
    assertEquals(
        java.util.Optional.of(ann),
        optIn.verifyPreferencesToken(fresh),
        "a receipt brings working links");
    assertTrue(
        optIn.proof().history(ann).stream()
            .anyMatch(e -> "address-change-undone".equals(e.source())));
  }

  @Test
  void restoreAddressThenWhatWasAskedForTheOtherAddressSinceTheChangeIsVoid() {
    SubjectId ann = confirmed(ANN);
    String notMe = takenOver(Fixtures.token(mailer.last().text(), "preferences"));
    clock.advance(Duration.ofMinutes(5));
    optIn.request(ConsentRequest.of(MALLORY, Locale.ENGLISH, Fixtures.EVENTS));
    String malloryConfirm = Fixtures.token(lastTo(MALLORY).text(), "confirm");
    clock.advance(
        Duration.ofMinutes(3)); // past the cap's minimum interval after Mallory's confirmation mail
    assertInstanceOf(
        StepUpResult.Sent.class,
        rights.stepUpAddressChange(
            Fixtures.token(optIn.preferencesUrl(ann), "preferences"),
            "mallory2@evil.example",
            Locale.ENGLISH,
            Evidence.NONE));
    String mallory2StepUp = Fixtures.token(lastTo(MALLORY).text(), "preferences/step-up");

    assertInstanceOf(AddressRestore.Restored.class, rights.restoreAddress(notMe, Evidence.NONE));

    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(malloryConfirm, ConfirmationChoice.all(), Evidence.NONE));
    assertFalse(optIn.mayMail(ANN, Fixtures.EVENTS));
    assertEquals(
        ConsentState.EXPIRED,
        optIn.consents(ann).stream()
            .filter(c -> c.purpose().equals(Fixtures.EVENTS))
            .findFirst()
            .orElseThrow()
            .state());
    assertInstanceOf(StepUpConfirmation.Invalid.class, rights.confirmStepUp(mallory2StepUp));
  }

  @Test
  void restoreAddressWhenUndoLinkExpiredOrOldAddressTakenThenInvalid() {
    SubjectId ann = confirmed(ANN);
    String notMe = takenOver(Fixtures.token(mailer.last().text(), "preferences"));
    clock.advance(
        Duration.ofMinutes(3)); // past the cap's minimum interval after the step-up mail to Ann
    confirmed(
        ANN); // someone signed up with Ann's old address meanwhile: it is another subject's now

    assertInstanceOf(AddressRestore.Invalid.class, rights.restoreAddress(notMe, Evidence.NONE));
    assertEquals(MALLORY, optIn.subject(ann).orElseThrow().email().value());

    clock.advance(Duration.ofDays(15));
    assertTrue(rights.verifyNotMeToken(notMe).isEmpty());
  }

  @Test
  void linksSentBeforeAnAddressChangeAreRefusedAfterIt() {
    SubjectId ann = confirmed(ANN);
    MailMessage receipt = mailer.last();
    String prefs = Fixtures.token(receipt.text(), "preferences");
    String unsubscribe = Fixtures.token(receipt.text(), "unsubscribe");
    rights.requestAddressChange(ann, "ann.new@example.org", Locale.ENGLISH, Evidence.NONE);
    String confirm = Fixtures.token(lastTo("ann.new@example.org").text(), "confirm");
    assertTrue(
        optIn.verifyPreferencesToken(prefs).isPresent(), "the old address works until confirmed");

    optIn.confirm(confirm, ConfirmationChoice.all(), Evidence.NONE);

    assertTrue(optIn.verifyPreferencesToken(prefs).isEmpty());
    assertTrue(optIn.verifyUnsubscribeToken(unsubscribe).isEmpty());
    assertInstanceOf(
        UnsubscribeResult.Invalid.class,
        optIn.unsubscribe(unsubscribe, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
    assertTrue(optIn.mayMail("ann.new@example.org", NEWSLETTER), "the old link withdrew nothing");
    assertInstanceOf(StepUpResult.InvalidLink.class, rights.stepUpErasure(prefs, Locale.ENGLISH));
    String current = optIn.preferencesUrl(ann);
    assertTrue(
        optIn.verifyPreferencesToken(current.substring(current.indexOf("token=") + 6)).isPresent());
  }

  @Test
  void stepUpLinkSentBeforeAnAddressChangeIsRefusedAfterIt() {
    SubjectId ann = confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    assertInstanceOf(StepUpResult.Sent.class, rights.stepUpErasure(prefs, Locale.ENGLISH));
    String eraseLink = Fixtures.token(lastTo(ANN).text(), "preferences/step-up");
    rights.requestAddressChange(ann, "ann.new@example.org", Locale.ENGLISH, Evidence.NONE);
    optIn.confirm(
        Fixtures.token(lastTo("ann.new@example.org").text(), "confirm"),
        ConfirmationChoice.all(),
        Evidence.NONE);

    assertInstanceOf(StepUpPreview.Invalid.class, rights.previewStepUp(eraseLink));
    assertInstanceOf(StepUpConfirmation.Invalid.class, rights.confirmStepUp(eraseLink));
    assertTrue(optIn.subject(ann).isPresent());
  }

  @Test
  void stepUpErasureWhenForwardedLinkThenNothingErasedUntilTheStepUpLinkIsUsed() {
    SubjectId ann = confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");

    assertInstanceOf(StepUpResult.Sent.class, rights.stepUpErasure(prefs, Locale.ENGLISH));

    assertTrue(optIn.subject(ann).isPresent());
    assertTrue(optIn.mayMail(ANN, NEWSLETTER));
    MailMessage stepUp = lastTo(ANN);
    assertTrue(stepUp.subject().contains("delete your data"), stepUp.subject());
    String token = Fixtures.token(stepUp.text(), "preferences/step-up");
    assertInstanceOf(StepUpPreview.Erasure.class, rights.previewStepUp(token));
    assertTrue(optIn.subject(ann).isPresent(), "opening the link erases nothing");

    assertEquals(new StepUpConfirmation.Erased(ann), rights.confirmStepUp(token));

    assertTrue(optIn.subject(ann).isEmpty());
    assertTrue(rights.isSuppressed(ANN));
    assertInstanceOf(StepUpConfirmation.Invalid.class, rights.confirmStepUp(token));
  }

  @Test
  void stepUpLinkWhenExpiredThenExpiredAndNothingChanges() {
    SubjectId ann = confirmed(ANN);
    String stepUp = takeoverAttempt(Fixtures.token(mailer.last().text(), "preferences"));
    clock.advance(Duration.ofMinutes(62));

    assertInstanceOf(StepUpPreview.Expired.class, rights.previewStepUp(stepUp));
    assertInstanceOf(StepUpConfirmation.Expired.class, rights.confirmStepUp(stepUp));

    assertTrue(dispatchedTo(MALLORY).isEmpty());
    assertEquals(ANN, optIn.subject(ann).orElseThrow().email().value());
  }

  @Test
  void stepUpTokenRefusedWhereAnyOtherKindIsExpectedAndOthersRefusedAsStepUp() {
    confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    String stepUp = takeoverAttempt(prefs);

    assertTrue(optIn.verifyPreferencesToken(stepUp).isEmpty());
    assertTrue(optIn.verifyUnsubscribeToken(stepUp).isEmpty());
    assertInstanceOf(ConfirmationPreview.Invalid.class, optIn.preview(stepUp));
    assertTrue(rights.verifyNotMeToken(stepUp).isEmpty());
    assertInstanceOf(StepUpResult.InvalidLink.class, rights.stepUpErasure(stepUp, Locale.ENGLISH));
    assertInstanceOf(StepUpConfirmation.Invalid.class, rights.confirmStepUp(prefs));
    assertInstanceOf(StepUpPreview.Invalid.class, rights.previewStepUp(prefs));
    assertInstanceOf(AddressRestore.Invalid.class, rights.restoreAddress(prefs, Evidence.NONE));
    assertInstanceOf(AddressRestore.Invalid.class, rights.restoreAddress(stepUp, Evidence.NONE));
  }

  @Test
  void stepUpAddressChangeWhenSameAddressInvalidAddressOrBadLinkThenNoMail() {
    confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    mailer.clear();

    assertInstanceOf(
        StepUpResult.Unchanged.class,
        rights.stepUpAddressChange(prefs, "ANN@example.org", Locale.ENGLISH, Evidence.NONE));
    assertInstanceOf(
        StepUpResult.InvalidAddress.class,
        rights.stepUpAddressChange(prefs, "nope", Locale.ENGLISH, Evidence.NONE));
    assertInstanceOf(
        StepUpResult.InvalidLink.class,
        rights.stepUpAddressChange("garbage", MALLORY, Locale.ENGLISH, Evidence.NONE));
    assertInstanceOf(StepUpResult.InvalidLink.class, rights.stepUpErasure(null, Locale.ENGLISH));

    optIn.operations().dispatchNow();
    assertTrue(mailer.sent().isEmpty());
  }

  @Test
  void stepUpMailsWhenDailyCapReachedThenThrottled() {
    confirmed(ANN);
    String prefs = Fixtures.token(mailer.last().text(), "preferences");
    // The signup's confirmation mail took the first of the inbox's three slots today: one cap for
    // all such mails.
    for (int i = 0; i < 2; i++) {
      assertInstanceOf(StepUpResult.Sent.class, rights.stepUpErasure(prefs, Locale.ENGLISH));
      assertInstanceOf(
          StepUpResult.Throttled.class,
          rights.stepUpErasure(prefs, Locale.ENGLISH),
          "the confirmation-mail cap's minimum interval holds for step-up mails too");
      clock.advance(Duration.ofMinutes(3));
    }

    assertInstanceOf(StepUpResult.Throttled.class, rights.stepUpErasure(prefs, Locale.ENGLISH));
  }

  @Test
  void exportWhenForwardedLinkTriedToMoveTheAddressThenStillMailedToTheAddressOnFile() {
    SubjectId ann = confirmed(ANN);
    takeoverAttempt(Fixtures.token(mailer.last().text(), "preferences"));

    assertTrue(rights.requestDataExport(ann));

    assertTrue(dispatchedTo(MALLORY).isEmpty());
    assertTrue(
        lastTo(ANN).attachments().stream().anyMatch(a -> a.fileName().equals("my-data.json")));
  }

  @Test
  void receiptQueuedBeforeAnAddressChangeIsNotSentToTheOldAddress() {
    SubjectId ann = confirmed(ANN);
    mailer.clear();
    assertTrue(rights.mailReceipt(ann)); // queued, not yet sent
    rights.requestAddressChange(ann, "ann.new@example.org", Locale.ENGLISH, Evidence.NONE);
    store.inTransaction(
        tx -> {
          // Confirm the change before the dispatcher runs: the receipt to the old address is still
          // queued.
          tx.subjects()
              .updateSubject(
                  tx.subjects()
                      .subject(ann)
                      .orElseThrow()
                      .movedTo(EmailAddress.parse("ann.new@example.org")));
          return null;
        });

    optIn.operations().dispatchNow();

    assertTrue(
        mailer.sent().stream()
            .noneMatch(m -> m.to().value().equals(ANN) && m.subject().contains("confirmed")),
        "no receipt with working links to an address no longer on file");
    OutboxMail receipt =
        optIn.operations().mails(ann).stream()
            .filter(m -> m.kind() == MailKind.RECEIPT)
            .reduce((a, b) -> b)
            .orElseThrow();
    assertEquals(OutboxMail.Status.SKIPPED, receipt.status());
  }

  @Test
  void purgeWhenAddressChangeNeverConfirmedThenThirdPartyAddressGoneAfterExpiryAndGrace() {
    SubjectId ann = confirmed(ANN);
    RequestResult.Accepted change =
        assertInstanceOf(
            RequestResult.Accepted.class,
            rights.requestAddressChange(
                ann, "third@example.org", Locale.ENGLISH, Evidence.of("198.51.100.7", "curl")));
    optIn.operations().dispatchNow();

    clock.advance(Duration.ofHours(49).plus(Duration.ofDays(6)));
    optIn.operations().purge();
    assertTrue(
        store.read(tx -> tx.requests().addressChange(change.requestId())).isPresent(),
        "kept during the grace");

    clock.advance(Duration.ofDays(2));
    optIn.operations().purge();

    assertTrue(store.read(tx -> tx.requests().addressChange(change.requestId())).isEmpty());
    assertTrue(store.read(tx -> tx.requests().request(change.requestId())).isEmpty());
    assertTrue(optIn.subject(ann).isPresent(), "the subject stays");
  }

  @Test
  void purgeWhenAddressChangeConfirmedThenReplacedAddressKeptWhileItCanBeUndone() {
    SubjectId ann = confirmed(ANN);
    RequestResult.Accepted change =
        assertInstanceOf(
            RequestResult.Accepted.class,
            rights.requestAddressChange(ann, "ann.new@example.org", Locale.ENGLISH, Evidence.NONE));
    optIn.confirm(
        Fixtures.token(lastTo("ann.new@example.org").text(), "confirm"),
        ConfirmationChoice.all(),
        Evidence.NONE);

    clock.advance(Duration.ofDays(14));
    optIn.operations().purge();
    assertEquals(
        ANN,
        store.read(tx -> tx.requests().replacedAddress(change.requestId())).orElseThrow().value());

    clock.advance(Duration.ofDays(8));
    optIn.operations().purge();
    assertTrue(store.read(tx -> tx.requests().replacedAddress(change.requestId())).isEmpty());
  }

  @Test
  void purgeWhenRequestNeverConfirmedThenItsEvidenceGoneAfterExpiryAndGrace() {
    SubjectId ann = confirmed(ANN);
    RequestResult.Accepted second =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of(ANN, Locale.ENGLISH, Fixtures.EVENTS)
                    .withEvidence(Evidence.of("203.0.113.9", "Firefox"))));
    assertEquals(ann, second.subjectId());
    PendingRequest before =
        store.read(tx -> tx.requests().request(second.requestId())).orElseThrow();
    assertEquals("203.0.113.9", before.evidence().ip());

    clock.advance(Duration.ofHours(49).plus(Duration.ofDays(7)).plus(Duration.ofMinutes(1)));
    optIn.operations().purge();

    PendingRequest after =
        store.read(tx -> tx.requests().request(second.requestId())).orElseThrow();
    assertEquals(Evidence.NONE, after.evidence());
    assertEquals(PendingRequest.Status.EXPIRED, after.status());
  }

  @Test
  void buildWhenStepUpTtlOutOfRangeThenConfigurationExceptionNamingIt() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
                    .stepUpTtl(Duration.ofDays(2))
                    .build());

    assertTrue(
        e.getMessage().contains("stepUpTtl must be between PT5M and PT24H, was PT48H"),
        e.getMessage());
  }

  @Test
  void stepUpTtlWhenConfiguredThenLinkLivesThatLong() {
    try (OptIn o =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .stepUpTtl(Duration.ofMinutes(10))
            .build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of(ANN, Locale.ENGLISH, NEWSLETTER)));
      o.operations().dispatchNow();
      o.confirm(
          Fixtures.token(mailer.last().text(), "confirm"), ConfirmationChoice.all(), Evidence.NONE);
      o.operations().dispatchNow();
      clock.advance(Duration.ofMinutes(3));
      StepUpResult.Sent sent =
          assertInstanceOf(
              StepUpResult.Sent.class,
              o.rights()
                  .stepUpErasure(
                      o.preferencesUrl(r.subjectId()).replaceFirst(".*token=", ""),
                      Locale.ENGLISH));
      assertEquals(clock.instant().plus(Duration.ofMinutes(10)), sent.expiresAt());
      o.operations().dispatchNow();
      String token = Fixtures.token(mailer.last().text(), "preferences/step-up");
      clock.advance(Duration.ofMinutes(12));
      assertInstanceOf(StepUpConfirmation.Expired.class, o.rights().confirmStepUp(token));
    }
  }
}
