package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.Fixtures.NEWSLETTER;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.optin4j.internal.OutboxDispatcher;
import org.optin4j.memory.InMemoryConsentStore;
import org.optin4j.operations.DispatchReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.SendOutcome;
import org.optin4j.testing.RecordingMailer;
import org.optin4j.testing.TestClock;

/**
 * Delivery semantics of the outbox (security rules 25-27): each outcome recorded as the server answers, unsent claims
 * given back on close, the lease renewed while a batch runs long, and one {@code Message-ID} per outbox mail.
 */
class OutboxDeliveryTest {
  private static final Duration LEASE = Duration.ofSeconds(30);

  private final TestClock clock = TestClock.at("2026-05-04T10:00:00Z");
  private final ConsentStore store = InMemoryConsentStore.create();

  private OptIn node(Mailer mailer) {
    return Fixtures.builder(store, mailer, clock)
        .dispatch(Duration.ofMinutes(1), 10, LEASE)
        .build();
  }

  private void queue(OptIn node, int count) {
    for (int i = 0; i < count; i++) {
      assertInstanceOf(
          RequestResult.Accepted.class,
          node.request(ConsentRequest.of("p" + i + "@example.org", Locale.ENGLISH, NEWSLETTER)));
    }
  }

  private long count(OutboxMail.Status status) {
    return store
        .read((ConsentStore.Transaction unit) -> unit.outbox().countMailsByStatus())
        .getOrDefault(status, 0L);
  }

  private List<OutboxMail> allMails() {
    return store.read(
        tx -> {
          List<OutboxMail> all = new ArrayList<>();
          for (Subject s : tx.subjects().subjects(0, 1000)) {
            all.addAll(tx.outbox().mails(s.id()));
          }
          return all;
        });
  }

  @Test
  void dispatchWhenServerAnsweredAMailThenItIsRecordedSentBeforeTheNextGoesOut() {
    RecordingMailer mailer = new RecordingMailer();
    List<Long> sentBefore = new CopyOnWriteArrayList<>();
    mailer.answerInBatch(
        (mail, i) -> {
          sentBefore.add(count(OutboxMail.Status.SENT));
          return new SendOutcome.Sent();
        });
    try (OptIn a = node(mailer)) {
      queue(a, 4);

      assertEquals(4, a.operations().dispatchNow().sent());
    }

    assertEquals(
        List.of(0L, 1L, 2L, 3L), sentBefore, "mail i goes out after i outcomes were committed");
  }

  @Test
  void dispatchWhenClosedMidBatchThenUnsentMailsReleasedAndAnotherNodeSendsThemAtOnce() {
    RecordingMailer mailerA = new RecordingMailer();
    OptIn a = node(mailerA);
    queue(a, 5);
    mailerA.answerInBatch(
        (mail, i) -> {
          if (i == 1) {
            a.close(); // the node is shut down while mail 1 is on the wire
          }
          return new SendOutcome.Sent();
        });

    assertEquals(2, a.operations().dispatchNow().sent(), "mail 1 finished, nothing after it");

    assertEquals(3, count(OutboxMail.Status.QUEUED));
    assertEquals(0, count(OutboxMail.Status.CLAIMED));
    assertTrue(
        allMails().stream()
            .filter(m -> m.status() == OutboxMail.Status.QUEUED)
            .allMatch(m -> m.leaseUntil() == null && m.attempts() == 0),
        "released without lease, no attempt used");
    RecordingMailer mailerB = new RecordingMailer();
    try (OptIn b = node(mailerB)) {
      assertEquals(
          3, b.operations().dispatchNow().sent(), "taken over without waiting for a lease");
    }
    assertEquals(2, mailerA.sent().size());
    assertEquals(3, mailerB.sent().size());
  }

  @Test
  void dispatchWhenBatchRunsLongerThanHalfTheLeaseThenLeaseRenewedAndNoOtherNodeTakesTheRest() {
    RecordingMailer mailerA = new RecordingMailer();
    RecordingMailer mailerB = new RecordingMailer();
    try (OptIn a = node(mailerA);
        OptIn b = node(mailerB)) {
      queue(a, 5);
      List<Integer> takenByB = new CopyOnWriteArrayList<>();
      mailerA.answerInBatch(
          (mail, i) -> {
            clock.advance(
                Duration.ofSeconds(
                    20)); // each mail takes 20 s: the batch lasts 100 s, the lease is 30 s
            takenByB.add(b.operations().dispatchNow().total());
            return new SendOutcome.Sent();
          });

      assertEquals(5, a.operations().dispatchNow().sent());

      assertEquals(List.of(0, 0, 0, 0, 0), takenByB);
      assertEquals(5, mailerA.sent().size());
      assertEquals(0, mailerB.sent().size());
      assertEquals(5, count(OutboxMail.Status.SENT));
    }
  }

  @Test
  void
      dispatchWhenLeaseRanOutAndAnotherNodeTookOverThenBatchStopsAndOnlyTheMailOnTheWireGoesTwiceWithOneMessageId() {
    RecordingMailer mailerA = new RecordingMailer();
    RecordingMailer mailerB = new RecordingMailer();
    try (OptIn a = node(mailerA);
        OptIn b = node(mailerB)) {
      queue(a, 4);
      mailerA.answerInBatch(
          (mail, i) -> {
            if (i == 0) {
              clock.advance(
                  Duration.ofSeconds(
                      40)); // the first mail hangs past the lease; node B takes everything over
              assertEquals(4, b.operations().dispatchNow().sent());
            }
            return new SendOutcome.Sent();
          });

      a.operations().dispatchNow();

      assertEquals(
          1, mailerA.sent().size(), "A stopped once its renewal found the rest taken over");
      assertEquals(4, mailerB.sent().size());
      assertEquals(mailerA.sent().get(0).messageKey(), mailerB.sent().get(0).messageKey());
      assertEquals(mailerA.sent().get(0).to(), mailerB.sent().get(0).to());
      assertEquals(4, count(OutboxMail.Status.SENT));
    }
  }

  @Test
  void dispatchWhenMailRetriedThenSameMessageKeyEachAttemptAndDistinctPerMail() {
    RecordingMailer mailer = new RecordingMailer();
    AtomicBoolean first = new AtomicBoolean(true);
    mailer.answer(
        m ->
            first.getAndSet(false)
                ? new SendOutcome.TransientFailure("SMTP 451")
                : new SendOutcome.Sent());
    try (OptIn a = node(mailer)) {
      queue(a, 2);
      DispatchReport firstRound = a.operations().dispatchNow();
      assertEquals(1, firstRound.retrying());
      clock.advance(Duration.ofMinutes(5));

      assertEquals(1, a.operations().dispatchNow().sent());
    }

    List<String> keys = mailer.attempts().stream().map(MailMessage::messageKey).toList();
    assertEquals(3, keys.size());
    assertEquals(keys.get(0), keys.get(2), "the retry of the first mail carries its first key");
    assertNotEquals(keys.get(0), keys.get(1));
    assertTrue(keys.get(0).matches("[0-9a-f]{32}"), keys.get(0));
  }

  @Test
  void messageKeyThenKeyedByInstallationAndFreeOfTheOutboxId() {
    SecretKeySpec one = new SecretKeySpec(Fixtures.PEPPER, "HmacSHA256");
    SecretKeySpec other =
        new SecretKeySpec("another installation's pepper, 32+ bytes".getBytes(), "HmacSHA256");

    String key = OutboxDispatcher.messageKey(one, "mail-1");

    assertEquals(
        key,
        OutboxDispatcher.messageKey(new SecretKeySpec(Fixtures.PEPPER, "HmacSHA256"), "mail-1"));
    assertNotEquals(key, OutboxDispatcher.messageKey(one, "mail-2"));
    assertNotEquals(key, OutboxDispatcher.messageKey(other, "mail-1"));
    assertTrue(!key.contains("mail-1") && key.length() == 32);
  }

  @Test
  void dispatchWhenSubjectErasedWhileItsMailIsOnTheWireThenBatchGoesOn() {
    RecordingMailer mailer = new RecordingMailer();
    try (OptIn a = node(mailer)) {
      queue(a, 3);
      SubjectId first =
          allMails().stream()
              .min(
                  java.util.Comparator.comparing(OutboxMail::createdAt)
                      .thenComparing(OutboxMail::id))
              .orElseThrow()
              .subjectId();
      mailer.answerInBatch(
          (mail, i) -> {
            if (i == 0) {
              // the person erases their data while the first mail is being sent: its outbox row is
              // deleted
              store.inTransaction(tx -> tx.subjects().eraseSubject(first, false));
            }
            return new SendOutcome.Sent();
          });

      DispatchReport report = a.operations().dispatchNow();

      assertEquals(3, mailer.sent().size(), "the mails after the erased one still went out");
      assertEquals(2, count(OutboxMail.Status.SENT));
      assertEquals(0, count(OutboxMail.Status.CLAIMED));
      assertTrue(report.sent() >= 2, report.toString());
    }
  }

  @Test
  void releaseWhenMailClaimedThenQueuedWithoutLeaseAndDueAsBefore() {
    try (OptIn a = node(new RecordingMailer())) {
      queue(a, 1);
    }
    Instant now = clock.instant();
    OutboxMail claimed =
        store.inTransaction(tx -> tx.outbox().claimMails(now, now.plus(LEASE), 10)).get(0);

    assertEquals(
        1,
        (int)
            store.inTransaction(
                tx -> tx.outbox().releaseClaims(List.of(claimed.id()), now.plus(LEASE))));

    OutboxMail released = allMails().get(0);
    assertEquals(OutboxMail.Status.QUEUED, released.status());
    assertNull(released.leaseUntil());
    assertEquals(claimed.nextAttemptAt(), released.nextAttemptAt());
    assertEquals(
        Map.of(OutboxMail.Status.QUEUED, 1L),
        store.read((ConsentStore.Transaction unit) -> unit.outbox().countMailsByStatus()));
  }
}
