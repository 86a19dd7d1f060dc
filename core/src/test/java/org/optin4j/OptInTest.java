package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.optin4j.Fixtures.EVENTS;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.optin4j.keys.SigningKeys;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.DispatchReport;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentListener;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.SendOutcome;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

class OptInTest {
  private static final Evidence BROWSER =
      Evidence.of("203.0.113.77", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");

  private final TestClock clock = TestClock.at("2026-03-02T10:00:00Z");
  private final RecordingMailer mailer = new RecordingMailer();
  private final InMemoryConsentStore store = InMemoryConsentStore.create();
  private final OptIn optIn = Fixtures.builder(store, mailer, clock).build();

  @AfterEach
  void close() {
    optIn.close();
  }

  private RequestResult.Accepted subscribe(String email, PurposeId... purposes) {
    RequestResult r =
        optIn.request(
            ConsentRequest.of(email, Locale.ENGLISH, purposes)
                .withSource("https://bakery.example/signup")
                .withEvidence(BROWSER));
    return assertInstanceOf(RequestResult.Accepted.class, r);
  }

  private String confirmToken() {
    optIn.operations().dispatchNow();
    return Fixtures.token(mailer.last().text(), "confirm");
  }

  @Test
  void dispatchNowWhenOutboxHoldsManyBatchesThenConnectionsSendInParallelEachReusedAcrossBatches()
      throws Exception {
    java.util.concurrent.CountDownLatch together = new java.util.concurrent.CountDownLatch(3);
    java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    RecordingMailer recording = new RecordingMailer();
    org.optin4j.spi.Mailer meeting =
        new org.optin4j.spi.Mailer() {
          @Override
          public List<org.optin4j.spi.SendOutcome> send(List<org.optin4j.spi.MailMessage> batch) {
            return recording.send(batch);
          }

          @Override
          public org.optin4j.spi.MailerSession openSession() {
            org.optin4j.spi.MailerSession session = recording.openSession();
            return new org.optin4j.spi.MailerSession() {
              @Override
              public List<org.optin4j.spi.SendOutcome> send(
                  List<org.optin4j.spi.MailMessage> batch) {
                return session.send(batch);
              }

              @Override
              public void sendEach(
                  List<org.optin4j.spi.MailMessage> batch, OutcomeListener listener) {
                threads.add(Thread.currentThread());
                together.countDown();
                try {
                  // Each of three connections waits here until all three send at once.
                  together.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                session.sendEach(batch, listener);
              }

              @Override
              public void close() {
                session.close();
              }
            };
          }
        };
    try (OptIn node =
        Fixtures.builder(InMemoryConsentStore.create(), meeting, clock)
            .dispatch(Duration.ofMinutes(1), 2, Duration.ofMinutes(2))
            .sendingRate(org.optin4j.mail.SendingRate.unlimited().withConnections(3))
            .build()) {
      for (int i = 0; i < 20; i++) {
        assertInstanceOf(
            RequestResult.Accepted.class,
            node.request(ConsentRequest.of("p" + i + "@example.org", Locale.ENGLISH, NEWSLETTER)));
      }

      assertEquals(20, node.operations().dispatchNow().sent());

      assertEquals(0, together.getCount(), "three connections sent at the same time");
      assertEquals(3, threads.size());
      assertEquals(20, recording.sent().stream().map(m -> m.to()).distinct().count(), "none twice");
      assertEquals(
          List.of(3, 3),
          List.of(recording.sessionsOpened(), recording.sessionsClosed()),
          "one session per connection for the whole round, all closed at its end");
    }
  }

  @Test
  void
      dispatchNowWhenOneConnectionAndSeveralBatchesThenAllGoThroughOneMailerSessionClosedAtTheEnd() {
    RecordingMailer recording = new RecordingMailer();
    try (OptIn small =
        Fixtures.builder(InMemoryConsentStore.create(), recording, clock)
            .dispatch(Duration.ofMinutes(1), 2, Duration.ofMinutes(2))
            .sendingRate(org.optin4j.mail.SendingRate.unlimited().withConnections(1))
            .build()) {
      for (int i = 0; i < 5; i++) {
        assertInstanceOf(
            RequestResult.Accepted.class,
            small.request(ConsentRequest.of("s" + i + "@example.org", Locale.ENGLISH, NEWSLETTER)));
      }

      assertEquals(5, small.operations().dispatchNow().sent());

      assertEquals(List.of(2, 2, 1), recording.batchSizes());
      assertEquals(5, recording.sent().size());
      assertEquals(
          List.of(1, 1),
          List.of(recording.sessionsOpened(), recording.sessionsClosed()),
          "one session for the round, closed when it ends");
      assertEquals(0, small.operations().dispatchNow().total());
      assertEquals(List.of(2, 2), List.of(recording.sessionsOpened(), recording.sessionsClosed()));
    }
  }

  @Test
  void requestWhenNewAddressThenPendingConsentsAndOneConfirmationMailForAll() {
    RequestResult.Accepted r = subscribe("Ann@Example.ORG", NEWSLETTER, EVENTS);

    assertEquals(Set.of(NEWSLETTER, EVENTS), r.pending());
    List<Consent> consents = optIn.consents(r.subjectId());
    assertEquals(2, consents.size());
    assertTrue(consents.stream().allMatch(c -> c.state() == ConsentState.PENDING));
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));

    assertEquals(1, optIn.operations().dispatchNow().sent());
    assertEquals(1, mailer.sent().size());
    MailMessage mail = mailer.last();
    assertEquals("ann@example.org", mail.to().value());
    assertTrue(
        mail.text().contains("Monthly newsletter") && mail.text().contains("Event invitations"));
    assertFalse(mail.headers().containsKey("List-Unsubscribe"), "confirmation mail is neutral");
  }

  @Test
  void requestRecordsRequestEventWithNoticeSourceAndTruncatedEvidence() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    ConsentEvent e = optIn.proof().history(r.subjectId()).get(0);

    assertEquals(ConsentEvent.Type.REQUESTED, e.type());
    assertEquals(NEWSLETTER, e.purpose());
    assertEquals(clock.instant(), e.at());
    assertEquals("https://bakery.example/signup", e.source());
    assertEquals(Channel.FORM, e.channel());
    assertEquals("203.0.113.0", e.evidence().ip());
    assertEquals(r.requestId(), e.requestId());
    Notice notice = optIn.noticeByHash(e.notice().hash()).orElseThrow();
    assertEquals(Notice.sha256(notice.text()), e.notice().hash());
    assertTrue(notice.text().contains("De Gouden Korst B.V."));
    assertTrue(notice.text().contains("until you withdraw your consent"));
  }

  @Test
  void requestWhenInvalidAddressThenRefusedBeforeARequestExistsAndNothingStored() {
    // The address is parsed once, before the request is built: an invalid one never reaches
    // request(...).
    AddressCheck.Refused refused =
        assertInstanceOf(AddressCheck.Refused.class, EmailAddress.check("not-an-address"));
    assertEquals(AddressCheck.Reason.NO_AT, refused.reason());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ConsentRequest.of("not-an-address", Locale.ENGLISH, NEWSLETTER));
    assertEquals(refused.message(), e.getMessage());
    assertEquals(0, optIn.operations().dispatchNow().total());
    assertTrue(optIn.findSubject("not-an-address").isEmpty());
  }

  @Test
  void requestWhenUnknownPurposeThenIllegalArgument() {
    ConsentRequest r =
        ConsentRequest.of("ann@example.org", Locale.ENGLISH, PurposeId.of("unknown"));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> optIn.request(r));
    assertTrue(e.getMessage().contains("unknown"));
  }

  @Test
  void requestWhenLocaleUnsupportedThenFallsBackToDefault() {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(ConsentRequest.of("ann@example.org", Locale.JAPANESE, NEWSLETTER)));
    assertEquals(Locale.ENGLISH, optIn.consents(r.subjectId()).get(0).notice().locale());
  }

  @Test
  void requestInDutchRecordsDutchNotice() {
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("ann@example.org", Locale.forLanguageTag("nl-BE"), NEWSLETTER)));
    Consent c = optIn.consents(r.subjectId()).get(0);
    assertEquals(Locale.forLanguageTag("nl"), c.notice().locale());
    assertTrue(
        optIn
            .noticeByHash(c.notice().hash())
            .orElseThrow()
            .text()
            .contains("Maandelijkse nieuwsbrief"));
  }

  @Test
  void confirmWhenValidThenConfirmedWithEvidenceAndTokenIdAndReceiptWithOneClickUnsubscribe() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);
    String token = confirmToken();
    clock.advance(Duration.ofMinutes(5));

    ConfirmationResult result =
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.of("198.51.100.9", "Safari"));

    ConfirmationResult.Confirmed ok = assertInstanceOf(ConfirmationResult.Confirmed.class, result);
    assertEquals(2, ok.confirmed().size());
    assertTrue(optIn.mayMail("ANN@example.org", NEWSLETTER));
    ConsentEvent confirmed =
        optIn.proof().history(r.subjectId()).stream()
            .filter(e -> e.type() == ConsentEvent.Type.CONFIRMED)
            .findFirst()
            .orElseThrow();
    assertEquals(Channel.CONFIRMATION_LINK, confirmed.channel());
    assertEquals("198.51.100.0", confirmed.evidence().ip());
    assertEquals(clock.instant(), confirmed.at());
    assertTrue(confirmed.tokenId() != null && !confirmed.tokenId().isBlank());

    mailer.clear();
    assertEquals(1, optIn.operations().dispatchNow().sent());
    MailMessage receipt = mailer.last();
    assertEquals("List-Unsubscribe=One-Click", receipt.headers().get("List-Unsubscribe-Post"));
    String header = receipt.headers().get("List-Unsubscribe");
    assertTrue(header.startsWith("<" + Fixtures.BASE_URL + "/unsubscribe?token="), header);
    String manage = Fixtures.token(receipt.text(), "preferences");
    assertEquals(r.subjectId(), optIn.verifyPreferencesToken(manage).orElseThrow());
  }

  @Test
  void previewChangesNothing() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    int events = optIn.proof().history(r.subjectId()).size();

    ConfirmationPreview.Ready ready =
        assertInstanceOf(ConfirmationPreview.Ready.class, optIn.preview(token));
    optIn.preview(token);

    assertEquals(List.of(NEWSLETTER), ready.purposes().stream().map(Purpose::id).toList());
    assertEquals(optIn.consents(r.subjectId()).get(0).notice().hash(), ready.notice().hash());
    assertEquals(events, optIn.proof().history(r.subjectId()).size());
    assertEquals(ConsentState.PENDING, optIn.consents(r.subjectId()).get(0).state());
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(ConfirmationPreview.AlreadyConfirmed.class, optIn.preview(token));
  }

  @Test
  void confirmWhenRepeatedThenAlreadyConfirmedAndNoNewEvent() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    int events = optIn.proof().history(r.subjectId()).size();

    assertInstanceOf(
        ConfirmationResult.AlreadyConfirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertEquals(events, optIn.proof().history(r.subjectId()).size());
  }

  @Test
  void confirmWhenManyThreadsAtOnceThenExactlyOneWins() throws Exception {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<ConfirmationResult>> results = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      results.add(
          pool.submit(
              () -> {
                start.await();
                return optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE);
              }));
    }
    start.countDown();
    int confirmed = 0;
    for (Future<ConfirmationResult> f : results) {
      ConfirmationResult c = f.get(10, TimeUnit.SECONDS);
      if (c instanceof ConfirmationResult.Confirmed) {
        confirmed++;
      } else {
        assertInstanceOf(ConfirmationResult.AlreadyConfirmed.class, c);
      }
    }
    pool.shutdown();
    assertEquals(1, confirmed);
    assertEquals(
        1,
        optIn.proof().history(r.subjectId()).stream()
            .filter(e -> e.type() == ConsentEvent.Type.CONFIRMED)
            .count());
  }

  @Test
  void confirmWhenSubsetChosenThenOthersRecordedAsDeclined() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);
    String token = confirmToken();

    ConfirmationResult.Confirmed ok =
        assertInstanceOf(
            ConfirmationResult.Confirmed.class,
            optIn.confirm(token, ConfirmationChoice.only(EVENTS), Evidence.NONE));

    assertEquals(List.of(EVENTS), ok.confirmed().stream().map(Consent::purpose).toList());
    assertTrue(optIn.mayMail("ann@example.org", EVENTS));
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    Consent newsletter =
        optIn.consents(r.subjectId()).stream()
            .filter(c -> c.purpose().equals(NEWSLETTER))
            .findFirst()
            .orElseThrow();
    assertEquals(ConsentState.WITHDRAWN, newsletter.state());
  }

  @Test
  void declineRecordsEveryPurposeAsDeclinedAndUsesUpTheLink() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);
    String token = confirmToken();

    ConfirmationResult.Confirmed none =
        assertInstanceOf(ConfirmationResult.Confirmed.class, optIn.decline(token, Evidence.NONE));

    assertTrue(none.confirmed().isEmpty());
    assertTrue(
        optIn.consents(r.subjectId()).stream().allMatch(c -> c.state() == ConsentState.WITHDRAWN));
    assertInstanceOf(
        ConfirmationResult.AlreadyConfirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    mailer.clear();
    assertEquals(0, optIn.operations().dispatchNow().total(), "no receipt for a decline");
  }

  @Test
  void zeroMinIntervalAllowsTwoRequestsInTheSameInstant() {
    try (OptIn o =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .confirmationMailCap(3, Duration.ZERO)
            .build()) {
      assertInstanceOf(
          RequestResult.Accepted.class,
          o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
      assertInstanceOf(
          RequestResult.Accepted.class,
          o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, EVENTS)));
      assertEquals(Fixtures.BASE_URL, o.baseUrl());
    }
  }

  @Test
  void confirmWhenChosenPurposeNotOfferedThenNotOfferedNothingRecordedAndLinkStillWorks() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    int events = optIn.proof().history(r.subjectId()).size();

    ConfirmationResult.NotOffered refused =
        assertInstanceOf(
            ConfirmationResult.NotOffered.class,
            optIn.confirm(token, ConfirmationChoice.only(NEWSLETTER, EVENTS), Evidence.NONE));

    assertEquals(Set.of(EVENTS), refused.purposes());
    assertEquals(events, optIn.proof().history(r.subjectId()).size());
    assertEquals(ConsentState.PENDING, optIn.consents(r.subjectId()).get(0).state());
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
  }

  @Test
  void confirmationChoiceWhenOnlyNoPurposeThenRefusedSoThatEmptyNeverMeansAll() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ConfirmationChoice.only(Set.of()));
    assertTrue(e.getMessage().contains("OptIn.decline"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfirmationChoice.only());
    assertEquals(
        ConfirmationChoice.only(Set.of(EVENTS, NEWSLETTER)),
        ConfirmationChoice.only(NEWSLETTER, EVENTS));
  }

  @Test
  void confirmWithChoiceOfAllThenEveryPurposeOfTheRequestConfirmed() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);

    ConfirmationResult.Confirmed ok =
        assertInstanceOf(
            ConfirmationResult.Confirmed.class,
            optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE));

    assertEquals(
        List.of(NEWSLETTER, EVENTS).stream().sorted().toList(),
        ok.confirmed().stream().map(Consent::purpose).sorted().toList());
    assertTrue(
        optIn.consents(r.subjectId()).stream().allMatch(c -> c.state() == ConsentState.CONFIRMED));
  }

  @Test
  void confirmWhenTokenExpiredThenOffersResendAndOldLinkDiesAfterResend() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    clock.advance(Duration.ofHours(49));

    assertInstanceOf(
        ConfirmationResult.Expired.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(ConfirmationPreview.Expired.class, optIn.preview(token));
    assertEquals(ConsentState.PENDING, optIn.consents(r.subjectId()).get(0).state());

    assertInstanceOf(ResendResult.Resent.class, optIn.resendConfirmation(token));
    String fresh = confirmToken();
    assertNotEquals(token, fresh);
    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(fresh, ConfirmationChoice.all(), Evidence.NONE));
  }

  @Test
  void resendWhenLinkStillValidThenEarlierLinkStopsWorking() {
    subscribe("ann@example.org", NEWSLETTER);
    String first = confirmToken();
    clock.advance(Duration.ofMinutes(10));

    assertInstanceOf(ResendResult.Resent.class, optIn.resendConfirmation(first));
    String second = confirmToken();

    assertInstanceOf(ConfirmationPreview.Invalid.class, optIn.preview(first));
    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(first, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(second, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(ResendResult.AlreadyConfirmed.class, optIn.resendConfirmation(second));
  }

  @Test
  void confirmWhenTokenTamperedOrGarbageThenInvalid() {
    subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    char last = token.charAt(token.length() - 1);
    String tampered = token.substring(0, token.length() - 1) + (last == 'A' ? 'B' : 'A');

    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(tampered, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm("garbage", ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(null, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(ConfirmationPreview.Invalid.class, optIn.preview(tampered));
    assertInstanceOf(ResendResult.Invalid.class, optIn.resendConfirmation(tampered));
  }

  @Test
  void confirmWhenTokenFromAnotherInstanceKeyThenInvalid() {
    subscribe("ann@example.org", NEWSLETTER);
    String token = confirmToken();
    try (OptIn other =
        Fixtures.builder(store, mailer, clock).signingKeys(SigningKeys.generate("k1")).build()) {
      assertInstanceOf(
          ConfirmationResult.Invalid.class,
          other.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    }
  }

  @Test
  void confirmWhenSigningKeyRotatedThenOldLinksStillWork() {
    byte[] oldKey = new byte[32];
    byte[] newKey = new byte[32];
    new java.security.SecureRandom().nextBytes(oldKey);
    new java.security.SecureRandom().nextBytes(newKey);
    try (OptIn before =
        Fixtures.builder(store, mailer, clock)
            .signingKeys(SigningKeys.builder().active("2026-01", oldKey).build())
            .build()) {
      before.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));
      before.operations().dispatchNow();
    }
    String token = Fixtures.token(mailer.last().text(), "confirm");
    try (OptIn after =
        Fixtures.builder(store, mailer, clock)
            .signingKeys(
                SigningKeys.builder().active("2026-02", newKey).previous("2026-01", oldKey).build())
            .build()) {
      assertInstanceOf(
          ConfirmationResult.Confirmed.class,
          after.confirm(token, ConfirmationChoice.all(), Evidence.NONE));
    }
  }

  @Test
  void requestWhenAllPurposesConfirmedThenAlreadyConfirmedAndNoMail() {
    subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    optIn.operations().dispatchNow();
    mailer.clear();
    clock.advance(Duration.ofHours(1));

    RequestResult r =
        optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));

    assertInstanceOf(RequestResult.AlreadyConfirmed.class, r);
    assertEquals(0, optIn.operations().dispatchNow().total());
  }

  @Test
  void requestWhenSomeConfirmedThenOnlyTheOthersPending() {
    subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    clock.advance(Duration.ofHours(1));

    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);

    assertEquals(Set.of(EVENTS), r.pending());
    assertEquals(Set.of(NEWSLETTER), r.alreadyConfirmed());
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void requestWhenDailyCapReachedThenThrottledAndNoMail() {
    for (int i = 0; i < 3; i++) {
      subscribe("ann@example.org", NEWSLETTER);
      clock.advance(Duration.ofMinutes(3));
    }
    RequestResult r =
        optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER));

    RequestResult.Throttled t = assertInstanceOf(RequestResult.Throttled.class, r);
    assertEquals(java.time.Instant.parse("2026-03-03T00:00:00Z"), t.retryAfter());
    // Each request superseded the one before, so only the newest link goes out.
    assertEquals(1, optIn.operations().dispatchNow().sent());
  }

  @Test
  void requestWhenTooSoonAfterLastMailThenThrottled() {
    subscribe("ann@example.org", NEWSLETTER);
    clock.advance(Duration.ofSeconds(30));
    assertInstanceOf(
        RequestResult.Throttled.class,
        optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
    clock.advance(Duration.ofMinutes(2));
    assertInstanceOf(
        RequestResult.Accepted.class,
        optIn.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
  }

  @Test
  void capHoldsAcrossRestartsBecauseItIsCountedInTheStore() {
    for (int i = 0; i < 3; i++) {
      subscribe("ann@example.org", NEWSLETTER);
      clock.advance(Duration.ofMinutes(3));
    }
    try (OptIn restarted = Fixtures.builder(store, mailer, clock).build()) {
      assertInstanceOf(
          RequestResult.Throttled.class,
          restarted.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
    }
  }

  @Test
  void reRequestWhilePendingPointsConsentToNewRequestAndOldLinkStopsWorking() {
    subscribe("ann@example.org", NEWSLETTER);
    String first = confirmToken();
    clock.advance(Duration.ofMinutes(5));
    subscribe("ann@example.org", NEWSLETTER);
    String second = confirmToken();

    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(first, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(second, ConfirmationChoice.all(), Evidence.NONE));
  }

  @Test
  void withdrawIsImmediateRecordsChannelAndResubscribeNeedsFreshDoubleOptIn() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    clock.advance(Duration.ofDays(3));

    Withdrawal w =
        optIn.withdraw(r.subjectId(), Set.of(NEWSLETTER), Channel.PREFERENCE_CENTER, Evidence.NONE);

    assertEquals(Set.of(NEWSLETTER), w.withdrawn());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertTrue(optIn.mayMail("ann@example.org", EVENTS));
    ConsentEvent last =
        optIn.proof().history(r.subjectId()).get(optIn.proof().history(r.subjectId()).size() - 1);
    assertEquals(ConsentEvent.Type.WITHDRAWN, last.type());
    assertEquals(Channel.PREFERENCE_CENTER, last.channel());
    assertEquals(clock.instant(), last.at());

    assertEquals(
        Set.of(),
        optIn.withdraw(r.subjectId(), Set.of(NEWSLETTER), Channel.API, Evidence.NONE).withdrawn());

    RequestResult.Accepted again = subscribe("ann@example.org", NEWSLETTER);
    assertEquals(Set.of(NEWSLETTER), again.pending());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER));
  }

  @Test
  void unsubscribeWithReceiptLinkWithdrawsEverything() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER, EVENTS);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    optIn.operations().dispatchNow();
    String header = mailer.last().headers().get("List-Unsubscribe");
    String token = Fixtures.token(header, "unsubscribe");
    assertEquals(r.subjectId(), optIn.verifyUnsubscribeToken(token).orElseThrow());

    UnsubscribeResult.Unsubscribed u =
        assertInstanceOf(
            UnsubscribeResult.Unsubscribed.class,
            optIn.unsubscribe(token, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));

    assertEquals(Set.of(NEWSLETTER, EVENTS), u.withdrawal().withdrawn());
    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("ann@example.org", EVENTS));
    assertInstanceOf(
        UnsubscribeResult.Invalid.class,
        optIn.unsubscribe("x" + token, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
  }

  @Test
  void tokensOfOneKindAreRefusedAsAnother() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    String confirm = confirmToken();
    String manage = Fixtures.token(optIn.preferencesUrl(r.subjectId()), "preferences");
    String unsubscribe = Fixtures.token(optIn.unsubscribeUrl(r.subjectId()), "unsubscribe");

    assertTrue(optIn.verifyPreferencesToken(confirm).isEmpty());
    assertTrue(optIn.verifyPreferencesToken(unsubscribe).isEmpty());
    assertTrue(optIn.verifyUnsubscribeToken(manage).isEmpty());
    assertInstanceOf(
        ConfirmationResult.Invalid.class,
        optIn.confirm(manage, ConfirmationChoice.all(), Evidence.NONE));
    assertInstanceOf(
        UnsubscribeResult.Invalid.class,
        optIn.unsubscribe(manage, Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE));
  }

  @Test
  void mayMailWhenFixedRetentionRanOutThenFalse() {
    subscribe("ann@example.org", EVENTS);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    assertTrue(optIn.mayMail("ann@example.org", EVENTS));
    clock.advance(Duration.ofDays(366));
    assertFalse(optIn.mayMail("ann@example.org", EVENTS));
  }

  @Test
  void mayMailWhenUnknownAddressOrPurposeOrGarbageThenFalse() {
    assertFalse(optIn.mayMail("nobody@example.org", NEWSLETTER));
    assertFalse(optIn.mayMail("not an address", NEWSLETTER));
    assertFalse(optIn.mayMail("ann@example.org", PurposeId.of("unknown")));
  }

  @Test
  void noticeWhenTextChangesThenNewVersionAndOldConsentKeepsOldText() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    Consent before = optIn.consents(r.subjectId()).get(0);
    String oldText = optIn.noticeByHash(before.notice().hash()).orElseThrow().text();

    Purpose changed =
        Purpose.builder("newsletter")
            .version(2)
            .text(
                Locale.ENGLISH, "Weekly newsletter", "Bread news every week.", "your email address")
            .text(
                Locale.forLanguageTag("nl"),
                "Wekelijkse nieuwsbrief",
                "Elke week broodnieuws.",
                "je e-mailadres")
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.untilWithdrawn(Duration.ofDays(3 * 365)))
            .build();
    PurposeCatalog v2 =
        PurposeCatalog.builder()
            .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
            .add(changed)
            .add(Fixtures.events())
            .build();
    try (OptIn updated = Fixtures.builder(store, mailer, clock).catalog(v2).build()) {
      clock.advance(Duration.ofMinutes(5));
      RequestResult.Accepted r2 =
          assertInstanceOf(
              RequestResult.Accepted.class,
              updated.request(ConsentRequest.of("bob@example.org", Locale.ENGLISH, NEWSLETTER)));
      Consent after = updated.consents(r2.subjectId()).get(0);

      assertEquals(before.notice().version() + 1, after.notice().version());
      assertNotEquals(before.notice().hash(), after.notice().hash());
      assertEquals(2, after.purposeVersion());
      assertEquals(before, optIn.consents(r.subjectId()).get(0));
      assertEquals(oldText, updated.noticeByHash(before.notice().hash()).orElseThrow().text());
      assertTrue(oldText.contains("Monthly newsletter"));
    }
  }

  @Test
  void noticeWhenSameTextThenSameVersion() {
    Notice a = optIn.notice(Set.of(NEWSLETTER, EVENTS), Locale.ENGLISH);
    Notice b = optIn.notice(Set.of(EVENTS, NEWSLETTER), Locale.UK);
    assertEquals(a, b);
    assertEquals(1, a.version());
    assertTrue(a.text().contains("Monthly newsletter") && a.text().contains("Event invitations"));
  }

  @Test
  void requestWithShownNoticeRecordsThatNoticeEvenForSubsetOfPurposes() {
    Notice shown = optIn.notice(Set.of(NEWSLETTER, EVENTS), Locale.ENGLISH);
    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                    .withShownNotice(shown)));
    assertEquals(shown.ref(), optIn.consents(r.subjectId()).get(0).notice());
  }

  @Test
  void requestWithShownNoticeRecordsTheStoredVersionWhateverVersionTheCallersCopyClaims() {
    Notice shown = optIn.notice(Set.of(NEWSLETTER), Locale.ENGLISH);
    Notice claimed =
        new Notice(
            7, shown.hash(), shown.locale(), shown.purposes(), shown.text(), shown.createdAt());

    RequestResult.Accepted r =
        assertInstanceOf(
            RequestResult.Accepted.class,
            optIn.request(
                ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                    .withShownNotice(claimed)));

    assertEquals(shown.ref(), optIn.consents(r.subjectId()).get(0).notice());
  }

  @Test
  void noticeByHashWhenFormShowedItThenTheSameNoticeAndUnknownHashEmpty() {
    Notice shown = optIn.notice(Set.of(NEWSLETTER, EVENTS), Locale.ENGLISH);

    assertEquals(Optional.of(shown), optIn.noticeByHash(shown.hash()));
    assertEquals(Optional.empty(), optIn.noticeByHash("0".repeat(64)));
  }

  @Test
  void requestWithUnknownOrForeignNoticeThenStaleNotice() {
    Notice dutch = optIn.notice(Set.of(NEWSLETTER), Locale.forLanguageTag("nl"));
    Notice onlyEvents = optIn.notice(Set.of(EVENTS), Locale.ENGLISH);
    String otherText = "A text this service never rendered.";
    Notice unknown =
        new Notice(
            1,
            Notice.sha256(otherText),
            Locale.ENGLISH,
            List.of(NEWSLETTER),
            otherText,
            clock.instant());
    Notice unknownPurpose =
        new Notice(
            1,
            Notice.sha256(otherText),
            Locale.ENGLISH,
            List.of(NEWSLETTER, PurposeId.of("gone")),
            otherText,
            clock.instant());
    assertInstanceOf(
        RequestResult.StaleNotice.class,
        optIn.request(
            ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                .withShownNotice(dutch)));
    assertInstanceOf(
        RequestResult.StaleNotice.class,
        optIn.request(
            ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                .withShownNotice(onlyEvents)));
    assertInstanceOf(
        RequestResult.StaleNotice.class,
        optIn.request(
            ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                .withShownNotice(unknown)));
    assertInstanceOf(
        RequestResult.StaleNotice.class,
        optIn.request(
            ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)
                .withShownNotice(unknownPurpose)));
    assertTrue(optIn.findSubject("ann@example.org").isEmpty());
  }

  @Test
  void purposeWithoutDoubleOptInIsConfirmedAtOnceWithReceipt() {
    Purpose direct =
        Purpose.builder("account-news")
            .doubleOptIn(false)
            .text(Locale.ENGLISH, "Account news", "Changes to your account.", "your email address")
            .text(
                Locale.forLanguageTag("nl"),
                "Accountnieuws",
                "Wijzigingen in je account.",
                "je e-mailadres")
            .noRecipients()
            .noAutomatedDecisions()
            .retention(Retention.untilWithdrawn(Duration.ZERO))
            .build();
    PurposeCatalog c =
        PurposeCatalog.builder()
            .locales(Locale.ENGLISH, Locale.forLanguageTag("nl"))
            .add(Fixtures.newsletter())
            .add(direct)
            .build();
    try (OptIn o =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock).catalog(c).build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, direct.id())));
      assertEquals(Set.of(direct.id()), r.confirmedNow());
      assertTrue(o.mayMail("ann@example.org", direct.id()));
      o.operations().dispatchNow();
      assertTrue(mailer.last().headers().containsKey("List-Unsubscribe"));
    }
  }

  @Test
  void listenerIsToldAfterCommitAndFailingListenerIsRetriedThenReported() throws Exception {
    List<ConsentChange> seen = new CopyOnWriteArrayList<>();
    List<ConsentChange> reported = new CopyOnWriteArrayList<>();
    CountDownLatch gaveUp = new CountDownLatch(1);
    ConsentListener crm = mock(ConsentListener.class);
    doThrow(new IllegalStateException("CRM down")).when(crm).onChange(any());
    try (OptIn o =
        Fixtures.builder(InMemoryConsentStore.create(), mailer, clock)
            .listener(seen::add)
            .listener(crm)
            .listenerRetries(3, Duration.ofMillis(10))
            .listenerFailureHandler(
                (change, e) -> {
                  reported.add(change);
                  gaveUp.countDown();
                })
            .build()) {
      RequestResult.Accepted r =
          assertInstanceOf(
              RequestResult.Accepted.class,
              o.request(ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER)));
      o.operations().dispatchNow();
      ConfirmationResult c =
          o.confirm(
              Fixtures.token(mailer.last().text(), "confirm"),
              ConfirmationChoice.all(),
              Evidence.NONE);
      assertInstanceOf(ConfirmationResult.Confirmed.class, c);

      assertTrue(gaveUp.await(5, TimeUnit.SECONDS));
      verify(crm, times(3)).onChange(any());
      assertEquals(ConsentChange.Type.CONFIRMED, reported.get(0).type());
      assertEquals(ConsentChange.Type.CONFIRMED, seen.get(0).type());
      assertEquals("ann@example.org", seen.get(0).email().value());
      assertTrue(o.mayMail("ann@example.org", NEWSLETTER), "a failing listener does not roll back");
      assertEquals(r.subjectId(), seen.get(0).subjectId());
    }
  }

  @Test
  void dispatchWhenTransientFailureThenRetriesWithBackoffAndSendsOnce() {
    subscribe("ann@example.org", NEWSLETTER);
    mailer.answer(m -> new SendOutcome.TransientFailure("SMTP 451"));
    DispatchReport first = optIn.operations().dispatchNow();
    assertEquals(1, first.retrying());
    assertEquals(0, optIn.operations().dispatchNow().total(), "not due before the backoff passed");

    mailer.answer(m -> new SendOutcome.Sent());
    clock.advance(Duration.ofSeconds(31));
    assertEquals(1, optIn.operations().dispatchNow().sent());
    clock.advance(Duration.ofHours(2));
    assertEquals(0, optIn.operations().dispatchNow().total());
    assertEquals(1, mailer.sent().size());
  }

  @Test
  void dispatchWhenPermanentFailureThenMarkedFailedAndNotRetried() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    mailer.answer(m -> new SendOutcome.PermanentFailure("SMTP 550"));
    assertEquals(1, optIn.operations().dispatchNow().failed());
    clock.advance(Duration.ofHours(2));
    assertEquals(0, optIn.operations().dispatchNow().total());
    OutboxMail mail = optIn.operations().mails(r.subjectId()).get(0);
    assertEquals(OutboxMail.Status.FAILED, mail.status());
    assertEquals("SMTP 550", mail.lastError());
  }

  @Test
  void permanentFailureOfReceiptMarksTheAddressUndeliverableUntilConfirmedAgain() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    mailer.answer(m -> new SendOutcome.PermanentFailure("SMTP 550"));

    optIn.operations().dispatchNow();

    assertFalse(optIn.mayMail("ann@example.org", NEWSLETTER));
    ConsentEvent last =
        optIn.proof().history(r.subjectId()).get(optIn.proof().history(r.subjectId()).size() - 1);
    assertEquals(ConsentEvent.Type.UNDELIVERABLE, last.type());
    assertEquals(Channel.SYSTEM, last.channel());
    assertEquals("delivery failed: SMTP 550", last.source());
    assertEquals(ConsentState.EXPIRED, optIn.consents(r.subjectId()).get(0).state());

    mailer.answer(m -> new SendOutcome.Sent());
    clock.advance(Duration.ofMinutes(5));
    subscribe("ann@example.org", NEWSLETTER);
    optIn.confirm(confirmToken(), ConfirmationChoice.all(), Evidence.NONE);
    assertTrue(optIn.mayMail("ann@example.org", NEWSLETTER), "a new confirmation lifts the mark");
  }

  @Test
  void permanentFailureOfConfirmationExpiresTheRequest() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    mailer.answer(m -> new SendOutcome.PermanentFailure("SMTP 550"));
    optIn.operations().dispatchNow();
    assertEquals(ConsentState.EXPIRED, optIn.consents(r.subjectId()).get(0).state());
  }

  @Test
  void dispatchWhenAttemptsRunOutThenFailed() {
    RequestResult.Accepted r = subscribe("ann@example.org", NEWSLETTER);
    mailer.answer(m -> new SendOutcome.TransientFailure("SMTP 421"));
    for (int i = 0; i < 5; i++) {
      optIn.operations().dispatchNow();
      clock.advance(Duration.ofMinutes(31));
    }
    OutboxMail mail = optIn.operations().mails(r.subjectId()).get(0);
    assertEquals(OutboxMail.Status.FAILED, mail.status());
    assertEquals(5, mail.attempts());
  }

  @Test
  void dispatchWhenRequestSupersededBeforeSendingThenOnlyNewestLinkGoesOut() {
    RequestResult.Accepted first = subscribe("ann@example.org", NEWSLETTER);
    clock.advance(Duration.ofMinutes(3));
    RequestResult.Accepted second = subscribe("ann@example.org", NEWSLETTER);

    assertEquals(1, optIn.operations().dispatchNow().sent());

    assertEquals(1, mailer.sent().size());
    List<OutboxMail> mails = optIn.operations().mails(first.subjectId());
    assertEquals(OutboxMail.Status.SKIPPED, mails.get(0).status());
    assertEquals(first.requestId(), mails.get(0).requestId());
    assertEquals(OutboxMail.Status.SENT, mails.get(1).status());
    assertEquals(second.requestId(), mails.get(1).requestId());
    assertInstanceOf(
        ConfirmationResult.Confirmed.class,
        optIn.confirm(
            Fixtures.token(mailer.last().text(), "confirm"),
            ConfirmationChoice.all(),
            Evidence.NONE));
  }

  @Test
  void dispatchSendsBatchesInOneCallToTheMailer() {
    for (int i = 0; i < 7; i++) {
      subscribe("user" + i + "@example.org", NEWSLETTER);
    }
    assertEquals(7, optIn.operations().dispatchNow().sent());
    assertEquals(List.of(7), mailer.batchSizes());
  }

  @Test
  void backgroundDispatcherSendsAfterStart() throws Exception {
    optIn.start();
    subscribe("ann@example.org", NEWSLETTER);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (mailer.sent().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(1, mailer.sent().size());
  }

  @Test
  void operatorListingsPageSubjectsAndSummariseTheOutbox() {
    subscribe("ann@example.org", NEWSLETTER);
    clock.advance(Duration.ofMinutes(1));
    subscribe("bob@example.org", NEWSLETTER);

    assertEquals(2L, optIn.operations().countSubjects());
    assertEquals(
        List.of("bob@example.org", "ann@example.org"),
        optIn.operations().subjects(0, 10).stream().map(s -> s.email().value()).toList());
    assertEquals(
        java.util.Map.of(OutboxMail.Status.QUEUED, 2L), optIn.operations().outboxSummary());
    optIn.operations().dispatchNow();
    assertEquals(java.util.Map.of(OutboxMail.Status.SENT, 2L), optIn.operations().outboxSummary());
    assertThrows(IllegalArgumentException.class, () -> optIn.operations().subjects(-1, 10));
    assertThrows(IllegalArgumentException.class, () -> optIn.operations().subjects(0, 1001));
  }

  @Test
  void buildWhenSettingsMissingThenNamesEveryOne() {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> OptIn.builder().build());
    for (String name :
        List.of("catalog", "controller", "store", "mailer", "signingKeys", "baseUrl")) {
      assertTrue(e.getMessage().contains(name + " is required"), e.getMessage());
    }
  }

  @Test
  void buildWhenValuesInvalidThenPreciseMessages() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                Fixtures.builder(store, mailer, clock)
                    .baseUrl("http://bakery.example/optin")
                    .confirmationTtl(Duration.ZERO)
                    .confirmationMailCap(0, Duration.ofMinutes(1))
                    .build());
    assertTrue(
        e.problems()
            .contains(
                "baseUrl must use https (http only for localhost), was http://bakery.example/optin"),
        e.getMessage());
    assertTrue(
        e.problems().contains("confirmationTtl must be between PT1H and PT72H, was PT0S"),
        e.getMessage());
    assertTrue(
        e.problems().contains("confirmationMailCap perDay must be 1 to 20, was 0"), e.getMessage());
  }

  @Test
  void buildWhenBaseUrlHasTrailingSlashOrIsRelativeThenRefused() {
    assertThrows(
        ConfigurationException.class,
        () ->
            Fixtures.builder(store, mailer, clock)
                .baseUrl("https://bakery.example/optin/")
                .build());
    assertThrows(
        ConfigurationException.class,
        () -> Fixtures.builder(store, mailer, clock).baseUrl("/optin").build());
    Fixtures.builder(store, mailer, clock).baseUrl("http://localhost:8080/optin").build().close();
  }

  @Test
  void toStringOfServiceAndRequestHoldsNoSecretsOrAddresses() {
    ConsentRequest r = ConsentRequest.of("ann@example.org", Locale.ENGLISH, NEWSLETTER);
    assertFalse(r.toString().contains("ann@"));
    assertFalse(optIn.toString().contains("k1"));
    assertFalse(EmailAddress.parse("ann@example.org").toString().contains("ann"));
  }
}
