package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;

/**
 * The part of the store contract for the mail outbox: dedupe keys, the counts behind the confirmation-mail caps,
 * claims and leases (mail someone waits for before campaign mail, then oldest due first, never one mail twice under
 * concurrent claimers), renewal and release of claims,
 * and the dispatch state written back.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class OutboxStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected OutboxStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void enqueueWhenWorkThrowsThenMailGoneAndDedupeKeyFree() {
    givenSubjects("ann");

    throwAfter(
        tx -> assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));

    assertEquals(List.of(), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(1), at(301), 10)));
    assertTrue(flag(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));
  }

  @Test
  void claimMailsWhenWorkThrowsThenMailsStillQueuedAndClaimable() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));

    throwAfter(tx -> assertEquals(1, tx.outbox().claimMails(at(1), at(301), 10).size()));

    assertEquals(List.of(queued), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(
        List.of(queued.claimed(at(302))), read(tx -> tx.outbox().claimMails(at(2), at(302), 10)));
  }

  @Test
  void updateMailWhenWorkThrowsThenPreviousStateRestored() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(301), 10)).get(0);

    throwAfter(tx -> tx.outbox().updateMail(claimed.sent(at(2))));

    assertEquals(List.of(claimed), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(
        List.of(claimed.claimed(at(601))),
        read(tx -> tx.outbox().claimMails(at(301), at(601), 10)));
  }

  @Test
  void enqueueThenListedWithEveryComponent() {
    givenSubjects("ann");
    OutboxMail mail =
        new OutboxMail(
            "m-1",
            MailKind.RECEIPT,
            subjectId("ann"),
            email("ann"),
            null,
            0,
            Locale.forLanguageTag("fr-CA"),
            List.of(OFFERS, NEWSLETTER),
            "receipt:req-1:1",
            OutboxMail.Status.QUEUED,
            0,
            at(30),
            null,
            at(10),
            null,
            null);

    assertTrue(flag(tx -> tx.outbox().enqueue(mail)));

    assertEquals(List.of(mail), read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void mailsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void enqueueWhenDedupeKeyTakenThenFalseAndFirstKept() {
    givenSubjects("ann");
    OutboxMail first =
        mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0);
    OutboxMail duplicate =
        mail("m2", MailKind.RECEIPT, subjectId("ann"), email("ann"), "key-1", at(60));
    assertTrue(flag(tx -> tx.outbox().enqueue(first)));

    assertFalse(flag(tx -> tx.outbox().enqueue(duplicate)));

    assertEquals(List.of(first), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.RECEIPT, T0));
  }

  @Test
  void enqueueWhenDedupeKeyTakenInSameTransactionThenFalse() {
    givenSubjects("ann");

    List<Boolean> answers =
        read(
            tx ->
                List.of(
                    tx.outbox()
                        .enqueue(
                            mail(
                                "m1",
                                MailKind.CONFIRMATION,
                                subjectId("ann"),
                                email("ann"),
                                "key-1",
                                T0)),
                    tx.outbox()
                        .enqueue(
                            mail(
                                "m2",
                                MailKind.CONFIRMATION,
                                subjectId("ann"),
                                email("ann"),
                                "key-1",
                                T0))));

    assertEquals(List.of(true, false), answers);
    assertEquals(1, read(tx -> tx.outbox().mails(subjectId("ann"))).size());
  }

  @Test
  void enqueueWhenDedupeKeyOfSentMailThenStillFalse() {
    givenSubjects("ann");
    tx(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(301), 10)).get(0);
    tx(tx -> tx.outbox().updateMail(claimed.sent(at(2))));

    assertFalse(
        flag(
            tx ->
                tx.outbox()
                    .enqueue(
                        mail(
                            "m2",
                            MailKind.CONFIRMATION,
                            subjectId("ann"),
                            email("ann"),
                            "key-1",
                            at(100)))));
    assertEquals(1, read(tx -> tx.outbox().mails(subjectId("ann"))).size());
  }

  @Test
  void mailQueuedAtWhenDedupeKeyTakenThenItsCreationTimeWhateverItsStatus() {
    givenSubjects("ann");
    tx(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "m1",
                        MailKind.CONFIRMATION,
                        subjectId("ann"),
                        email("ann"),
                        "cap:ann:1",
                        at(7))));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(8), at(308), 10)).get(0);
    tx(tx -> tx.outbox().updateMail(claimed.sent(at(9))));

    assertEquals(Optional.of(at(7)), read(tx -> tx.outbox().mailQueuedAt("cap:ann:1")));
  }

  @Test
  void mailQueuedAtWhenDedupeKeyUnknownThenEmpty() {
    givenSubjects("ann");
    tx(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "m1",
                        MailKind.CONFIRMATION,
                        subjectId("ann"),
                        email("ann"),
                        "cap:ann:1",
                        at(7))));

    assertEquals(Optional.empty(), read(tx -> tx.outbox().mailQueuedAt("cap:ann:2")));
    assertEquals(
        Optional.empty(),
        read(tx -> tx.outbox().mailQueuedAt("CAP:ANN:1")),
        "dedupe keys are case-sensitive");
    assertEquals(
        Optional.empty(),
        read(tx -> tx.outbox().mailQueuedAt("cap:ann:")),
        "an exact match, not a prefix");
  }

  @Test
  void mailQueuedAtSeesTheTransactionsOwnEnqueueAndForgetsARolledBackOne() {
    givenSubjects("ann");

    assertEquals(
        Optional.of(at(7)),
        read(
            tx -> {
              tx.outbox()
                  .enqueue(
                      mail(
                          "m1",
                          MailKind.CONFIRMATION,
                          subjectId("ann"),
                          email("ann"),
                          "cap:ann:1",
                          at(7)));
              return tx.outbox().mailQueuedAt("cap:ann:1");
            }));
    throwAfter(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "m2",
                        MailKind.CONFIRMATION,
                        subjectId("ann"),
                        email("ann"),
                        "cap:ann:2",
                        at(8))));
    assertEquals(Optional.empty(), read(tx -> tx.outbox().mailQueuedAt("cap:ann:2")));
  }

  @Test
  void mailsThenOnlyTheSubjectsOrderedByCreatedAtThenId() {
    givenSubjects("ann", "bob");
    OutboxMail late = mail("a-late", subjectId("ann"), email("ann"), at(300));
    OutboxMail earlyB = mail("b-early", subjectId("ann"), email("ann"), at(100));
    OutboxMail earlyA = mail("a-early", subjectId("ann"), email("ann"), at(100));
    OutboxMail first = mail("z-first", subjectId("ann"), email("ann"), at(50));
    OutboxMail bobs = mail("bob-1", subjectId("bob"), email("bob"), at(200));
    tx(tx -> List.of(late, earlyB, bobs).forEach(tx.outbox()::enqueue));
    tx(tx -> List.of(earlyA, first).forEach(tx.outbox()::enqueue));

    assertEquals(
        List.of(first, earlyA, earlyB, late), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.outbox().mails(subjectId("bob"))));
  }

  @Test
  void countMailsThenOnlyKindAndRecipientFromSinceInclusive() {
    givenSubjects("ann", "bob");
    tx(
        tx -> {
          tx.outbox()
              .enqueue(
                  mail("c1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k1", at(100)));
          tx.outbox()
              .enqueue(
                  mail("c2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k2", at(200)));
          tx.outbox()
              .enqueue(
                  mail("c3", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k3", at(300)));
          tx.outbox()
              .enqueue(mail("r1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "k4", at(200)));
          tx.outbox()
              .enqueue(
                  mail("b1", MailKind.CONFIRMATION, subjectId("bob"), email("bob"), "k5", at(200)));
        });

    assertEquals(3, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(3, count(email("ann"), MailKind.CONFIRMATION, at(100)));
    assertEquals(2, count(email("ann"), MailKind.CONFIRMATION, at(100).plusMillis(1)));
    assertEquals(2, count(email("ann"), MailKind.CONFIRMATION, at(101)));
    assertEquals(2, count(email("ann"), MailKind.CONFIRMATION, at(200)));
    assertEquals(1, count(email("ann"), MailKind.CONFIRMATION, at(201)));
    assertEquals(1, count(email("ann"), MailKind.CONFIRMATION, at(300)));
    assertEquals(0, count(email("ann"), MailKind.CONFIRMATION, at(301)));
    assertEquals(1, count(email("ann"), MailKind.RECEIPT, T0));
    assertEquals(0, count(email("ann"), MailKind.RECEIPT, at(201)));
    assertEquals(1, count(email("bob"), MailKind.CONFIRMATION, T0));
    assertEquals(0, count(email("cid"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void countMailsThenCountsRegardlessOfStatus() {
    givenSubjects("ann");
    tx(
        tx -> {
          for (int i = 0; i < 4; i++) {
            tx.outbox().enqueue(mail("m" + i, subjectId("ann"), email("ann"), at(i)));
          }
        });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(10), at(310), 3));
    tx(
        tx -> {
          tx.outbox().updateMail(claimed.get(0).sent(at(11)));
          tx.outbox().updateMail(claimed.get(1).failed("550 5.1.1"));
        });

    assertEquals(4, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void countMailsWhenAddressChangedThenCountsByMailRecipient() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    tx(tx -> tx.subjects().updateSubject(new Subject(subjectId("ann"), email("ann.new"), T0)));

    assertEquals(1, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(0, count(email("ann.new"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void claimMailsThenDueQueuedMailsOldestDueFirstAtMostLimit() {
    givenSubjects("ann");
    OutboxMail m3 = mail("m3", subjectId("ann"), email("ann"), at(30));
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), at(10));
    OutboxMail m4 = mail("m4", subjectId("ann"), email("ann"), at(40));
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), at(20));
    tx(tx -> List.of(m3, m1, m4, m2).forEach(tx.outbox()::enqueue));

    List<OutboxMail> first = read(tx -> tx.outbox().claimMails(at(100), at(400), 3));
    List<OutboxMail> rest = read(tx -> tx.outbox().claimMails(at(100), at(400), 3));

    assertEquals(List.of(m1.claimed(at(400)), m2.claimed(at(400)), m3.claimed(at(400))), first);
    assertEquals(List.of(m4.claimed(at(400))), rest);
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(100), at(400), 3)));
  }

  @Test
  void claimMailsWhenConfirmationQueuedAfterThousandCampaignMailsThenClaimedInNextBatch() {
    givenSubjects("ann");
    tx(
        tx -> {
          for (int i = 0; i < 1000; i++) {
            tx.outbox()
                .enqueue(
                    mail(
                        "campaign-" + i,
                        MailKind.CAMPAIGN,
                        subjectId("ann"),
                        email("ann"),
                        "campaign-key-" + i,
                        at(1)));
          }
        });
    OutboxMail confirmation = mail("confirmation", subjectId("ann"), email("ann"), at(5));
    tx(tx -> tx.outbox().enqueue(confirmation));

    List<OutboxMail> batch = read(tx -> tx.outbox().claimMails(at(10), at(310), 50));

    assertEquals(50, batch.size());
    assertEquals(confirmation.claimed(at(310)), batch.get(0), "the confirmation first");
    assertTrue(
        batch.subList(1, 50).stream().allMatch(m -> m.kind() == MailKind.CAMPAIGN),
        "the rest of the batch filled with campaign mail");
  }

  @Test
  void claimMailsWhenCampaignLeaseExpiredThenWaitingMailFirstThenCampaignOldestDueFirst() {
    givenSubjects("ann");
    OutboxMail c1 = mail("c1", MailKind.CAMPAIGN, subjectId("ann"), email("ann"), "c1", at(1));
    OutboxMail c2 = mail("c2", MailKind.CAMPAIGN, subjectId("ann"), email("ann"), "c2", at(2));
    tx(tx -> List.of(c1, c2).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(3), at(300), 1)); // c1's lease runs out at 300
    OutboxMail receipt =
        mail("r1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "r1", at(350));

    tx(tx -> tx.outbox().enqueue(receipt));
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(400), at(700), 3));

    assertEquals(
        List.of(receipt.claimed(at(700)), c1.claimed(at(700)), c2.claimed(at(700))), claimed);
  }

  @Test
  void renewClaimsWhenStillHeldThenNewLeaseAndNotReclaimableUntilIt() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), T0);
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(m1, m2).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));

    int renewed = read(tx -> tx.outbox().renewClaims(List.of("m1", "m2", "m1"), at(300), at(500)));

    assertEquals(2, renewed);
    assertEquals(
        List.of(),
        read(tx -> tx.outbox().claimMails(at(300), at(600), 10)),
        "the old lease end no longer frees them");
    assertEquals(
        List.of(m1.claimed(at(800)), m2.claimed(at(800))),
        read(tx -> tx.outbox().claimMails(at(500), at(800), 10)));
  }

  @Test
  void renewClaimsWhenAnotherCallerReclaimedOrMailFinishedThenLeftAloneAndNotCounted() {
    givenSubjects("ann");
    OutboxMail taken = mail("taken", subjectId("ann"), email("ann"), T0);
    OutboxMail sent = mail("sent", subjectId("ann"), email("ann"), T0);
    OutboxMail held = mail("held", subjectId("ann"), email("ann"), at(250));
    tx(tx -> List.of(taken, sent).forEach(tx.outbox()::enqueue));
    List<OutboxMail> first = read(tx -> tx.outbox().claimMails(at(1), at(300), 10));
    tx(
        tx ->
            tx.outbox()
                .updateMail(
                    first.stream()
                        .filter(m -> m.id().equals("sent"))
                        .findFirst()
                        .orElseThrow()
                        .sent(at(2))));
    read(
        tx ->
            tx.outbox()
                .claimMails(
                    at(300), at(600), 10)); // "taken": its lease ran out, another caller claimed it
    tx(tx -> tx.outbox().enqueue(held));
    read(tx -> tx.outbox().claimMails(at(300), at(600), 10));

    int renewed =
        read(
            tx ->
                tx.outbox()
                    .renewClaims(List.of("taken", "sent", "held", "unknown"), at(300), at(900)));

    assertEquals(0, renewed, "none is held until at(300) any more");
    assertEquals(1, (int) read(tx -> tx.outbox().renewClaims(List.of("taken"), at(600), at(900))));
    List<OutboxMail> stored = read(tx -> tx.outbox().mails(subjectId("ann")));
    assertEquals(
        OutboxMail.Status.SENT,
        stored.stream().filter(m -> m.id().equals("sent")).findFirst().orElseThrow().status());
    assertEquals(
        at(600),
        stored.stream().filter(m -> m.id().equals("held")).findFirst().orElseThrow().leaseUntil());
  }

  @Test
  void renewClaimsWhenNewLeaseNotAfterHeldThenIllegalArgument() {
    assertThrows(
        IllegalArgumentException.class,
        () -> read(tx -> tx.outbox().renewClaims(List.of("m1"), at(300), at(300))));
  }

  @Test
  void releaseClaimsWhenHeldThenQueuedWithoutLeaseDueAsBeforeAndClaimableAtOnce() {
    givenSubjects("ann");
    OutboxMail queued = receiptQueuedAgainAfterTwoAttempts("m1");
    OutboxMail other = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(queued, other).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(60), at(360), 10));

    int released = read(tx -> tx.outbox().releaseClaims(List.of("m1"), at(360)));

    assertEquals(1, released);
    OutboxMail stored =
        read(tx -> tx.outbox().mails(subjectId("ann"))).stream()
            .filter(m -> m.id().equals("m1"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        queued, stored, "queued again exactly as before the claim: attempts, due time, last error");
    assertEquals(
        List.of(queued.claimed(at(400))),
        read(tx -> tx.outbox().claimMails(at(61), at(400), 10)),
        "claimable at once, the other mail's claim untouched");
  }

  @Test
  void releaseClaimsWhenHeldByAnotherLeaseThenLeftAlone() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));
    read(
        tx ->
            tx.outbox()
                .claimMails(
                    at(300), at(600),
                    10)); // reclaimed by another caller after the first lease ran out

    assertEquals(0, (int) read(tx -> tx.outbox().releaseClaims(List.of("m1"), at(300))));
    assertEquals(at(600), read(tx -> tx.outbox().mails(subjectId("ann"))).get(0).leaseUntil());
  }

  @Test
  void claimMailsWhenLimitZeroThenNothingClaimed() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(m1));

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(100), at(400), 0)));
    assertEquals(List.of(m1), read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void claimMailsThenOnlyMailsDueByNowInclusive() {
    givenSubjects("ann");
    OutboxMail due = mail("due", subjectId("ann"), email("ann"), at(100));
    OutboxMail notYet = mail("not-yet", subjectId("ann"), email("ann"), at(101));
    tx(tx -> List.of(due, notYet).forEach(tx.outbox()::enqueue));

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(99), at(400), 10)));
    assertEquals(
        List.of(due.claimed(at(400))), read(tx -> tx.outbox().claimMails(at(100), at(400), 10)));
    assertEquals(
        List.of(notYet.claimed(at(401))), read(tx -> tx.outbox().claimMails(at(101), at(401), 10)));
  }

  @Test
  void claimMailsThenStoredAsClaimedWithLeaseAndOtherwiseUnchanged() {
    givenSubjects("ann");
    OutboxMail queued = receiptQueuedAgainAfterTwoAttempts("m-1");
    tx(tx -> tx.outbox().enqueue(queued));

    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(60), at(360), 10));

    assertEquals(List.of(queued.claimed(at(360))), claimed);
    OutboxMail stored = read(tx -> tx.outbox().mails(subjectId("ann"))).get(0);
    assertEquals(OutboxMail.Status.CLAIMED, stored.status());
    assertEquals(at(360), stored.leaseUntil());
    assertEquals(queued.claimed(at(360)), stored);
  }

  @Test
  void claimMailsWhenLeaseLiveThenNotClaimedAgain() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(2), at(302), 10)));
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(299), at(599), 10)));
  }

  @Test
  void claimMailsWhenLeaseExpiredThenReclaimedWithNewLease() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));

    assertEquals(
        List.of(), read(tx -> tx.outbox().claimMails(at(300).minusMillis(1), at(600), 10)));
    List<OutboxMail> reclaimed = read(tx -> tx.outbox().claimMails(at(300), at(600), 10));

    assertEquals(List.of(queued.claimed(at(600))), reclaimed);
    assertEquals(List.of(queued.claimed(at(600))), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(599), at(900), 10)));
  }

  @Test
  void claimMailsWhenExpiredLeasesAndQueuedMailsThenOldestDueFirst() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), at(10));
    OutboxMail m3 = mail("m3", subjectId("ann"), email("ann"), at(30));
    tx(tx -> List.of(m1, m3).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(35), at(100), 10));
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), at(20));
    OutboxMail m4 = mail("m4", subjectId("ann"), email("ann"), at(40));
    tx(tx -> List.of(m4, m2).forEach(tx.outbox()::enqueue));

    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(200), at(500), 3));

    assertEquals(List.of(m1.claimed(at(500)), m2.claimed(at(500)), m3.claimed(at(500))), claimed);
  }

  @Test
  void claimMailsThenSentFailedAndSkippedNeverClaimed() {
    givenSubjects("ann");
    tx(
        tx -> {
          tx.outbox().enqueue(mail("sent", subjectId("ann"), email("ann"), T0));
          tx.outbox().enqueue(mail("failed", subjectId("ann"), email("ann"), T0));
          tx.outbox().enqueue(mail("skipped-claimed", subjectId("ann"), email("ann"), T0));
        });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(1), at(300), 10));
    assertEquals(3, claimed.size());
    tx(
        tx -> {
          tx.outbox().enqueue(mail("skipped-queued", subjectId("ann"), email("ann"), at(2)));
          for (OutboxMail m : claimed) {
            tx.outbox()
                .updateMail(
                    switch (m.id()) {
                      case "sent" -> m.sent(at(2));
                      case "failed" -> m.failed("550 5.1.1 no such user");
                      default -> m.skipped("superseded");
                    });
          }
        });
    tx(
        tx ->
            tx.outbox()
                .updateMail(
                    mail("skipped-queued", subjectId("ann"), email("ann"), at(2))
                        .skipped("confirmed")));

    assertEquals(
        List.of(),
        read(tx -> tx.outbox().claimMails(at(Duration.ofDays(365)), at(Duration.ofDays(366)), 10)));
    assertEquals(4, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void updateMailWhenSkippedThenStoredAsGiven() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));

    tx(tx -> tx.outbox().updateMail(queued.skipped("superseded by a resend")));

    assertEquals(
        List.of(queued.skipped("superseded by a resend")),
        read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void updateMailThenDispatchStateReplaced() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(300), 10)).get(0);

    OutboxMail sent = claimed.sent(at(2));
    tx(tx -> tx.outbox().updateMail(sent));

    OutboxMail stored = read(tx -> tx.outbox().mails(subjectId("ann"))).get(0);
    assertEquals(sent, stored);
    assertEquals(OutboxMail.Status.SENT, stored.status());
    assertEquals(1, stored.attempts());
    assertEquals(at(2), stored.sentAt());
    assertNull(stored.leaseUntil());
  }

  @Test
  void updateMailsThenEachStoredAsUpdateMailWould() {
    givenSubjects("ann");
    tx(
        tx -> {
          tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0));
          tx.outbox().enqueue(mail("m2", subjectId("ann"), email("ann"), at(1)));
          tx.outbox().enqueue(mail("m3", subjectId("ann"), email("ann"), at(2)));
        });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(3), at(300), 10));
    List<OutboxMail> outcomes =
        List.of(
            claimed.get(0).sent(at(4)),
            claimed.get(1).retryAt(at(120), "421 later"),
            claimed.get(2).failed("550 no such user"));

    tx(tx -> tx.outbox().updateMails(outcomes));

    assertEquals(outcomes, read(tx -> tx.outbox().mails(subjectId("ann"))));
    tx(tx -> tx.outbox().updateMails(List.of()));
    assertEquals(outcomes, read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void updateMailsWhenOneIsNotStoredThenStoreExceptionAndNoneChanged() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(300), 10)).get(0);
    OutboxMail stranger = mail("nope", subjectId("ann"), email("ann"), T0);

    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.outbox().updateMails(List.of(claimed.sent(at(2)), stranger))));

    assertEquals(List.of(claimed), read(tx -> tx.outbox().mails(subjectId("ann"))));
  }

  @Test
  void updateMailWhenRetryScheduledThenClaimableFromNextAttemptOn() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(300), 10)).get(0);
    OutboxMail retry = claimed.retryAt(at(120), "421 4.7.0 try later");
    tx(tx -> tx.outbox().updateMail(retry));
    assertEquals(List.of(retry), read(tx -> tx.outbox().mails(subjectId("ann"))));

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(119), at(419), 10)));
    List<OutboxMail> again = read(tx -> tx.outbox().claimMails(at(120), at(420), 10));

    assertEquals(List.of(retry.claimed(at(420))), again);
    assertEquals(1, again.get(0).attempts());
    assertEquals("421 4.7.0 try later", again.get(0).lastError());
  }

  @Test
  void claimMailsWhenConcurrentClaimersThenNoMailTwiceAndAllClaimed() throws Exception {
    int total = 100;
    givenQueuedMails(total);

    List<String> all =
        claimConcurrentlyUntilNoneLeft(
            2,
            at(1000),
            at(2000),
            7,
            m -> {
              assertEquals(OutboxMail.Status.CLAIMED, m.status());
              assertEquals(at(2000), m.leaseUntil());
            });

    assertEquals(total, all.size(), "claims in total");
    assertEquals(total, new HashSet<>(all).size(), "distinct mails claimed");
    assertTrue(
        read(tx -> tx.outbox().mails(subjectId("ann"))).stream()
            .allMatch(
                m -> m.status() == OutboxMail.Status.CLAIMED && at(2000).equals(m.leaseUntil())));
  }

  @Test
  void claimMailsWhenConcurrentClaimersAfterLeaseExpiryThenNoMailTwice() throws Exception {
    int total = 40;
    givenQueuedMails(total);
    assertEquals(total, read(tx -> tx.outbox().claimMails(at(100), at(200), total)).size());

    List<String> all = claimConcurrentlyUntilNoneLeft(4, at(200), at(500), 3, m -> {});

    assertEquals(total, all.size());
    assertEquals(total, new HashSet<>(all).size());
  }

  /**
   * Returns a receipt to Ann that is queued again after two attempts (the last refused with a 421), created at {@code
   * at(10)} and due at {@code at(50)}: every component set, so that a claim or a release that loses one shows.
   *
   * @param id the mail id
   * @return the mail
   */
  private static OutboxMail receiptQueuedAgainAfterTwoAttempts(String id) {
    return new OutboxMail(
        id,
        MailKind.RECEIPT,
        subjectId("ann"),
        email("ann"),
        "req-9",
        0,
        Locale.GERMAN,
        List.of(NEWSLETTER),
        "receipt:req-9",
        OutboxMail.Status.QUEUED,
        2,
        at(50),
        null,
        at(10),
        null,
        "421 4.7.0 try later");
  }

  /**
   * Queues mails {@code m000}, {@code m001} and so on to Ann, each due one second after the one before from {@link
   * org.optin4j.testing.store.StoreFixtures#T0}.
   *
   * @param total how many
   */
  private void givenQueuedMails(int total) {
    givenSubjects("ann");
    tx(
        tx -> {
          for (int i = 0; i < total; i++) {
            tx.outbox()
                .enqueue(mail(String.format("m%03d", i), subjectId("ann"), email("ann"), at(i)));
          }
        });
  }

  /**
   * Claims on several threads at once, each in batches until a claim returns nothing.
   *
   * @param claimers how many threads
   * @param now the time of every claim
   * @param leaseUntil the lease of every claim
   * @param batch the limit of every claim
   * @param check run on every claimed mail, on the claimer's thread
   * @return the ids claimed, by every claimer
   * @throws Exception if a claimer failed
   */
  private List<String> claimConcurrentlyUntilNoneLeft(
      int claimers, Instant now, Instant leaseUntil, int batch, Consumer<OutboxMail> check)
      throws Exception {
    List<List<String>> perClaimer =
        concurrently(
            claimers,
            i -> {
              List<String> mine = new ArrayList<>();
              List<OutboxMail> claimed;
              do {
                claimed = read(tx -> tx.outbox().claimMails(now, leaseUntil, batch));
                claimed.forEach(m -> mine.add(m.id()));
                claimed.forEach(check);
              } while (!claimed.isEmpty());
              return mine;
            });

    List<String> all = new ArrayList<>();
    perClaimer.forEach(all::addAll);
    return all;
  }

  @Test
  void mailsAreCountedByStatus() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          for (String id : List.of("a", "b", "c")) {
            tx.outbox().enqueue(mail(id, ann, email("ann"), at(0)));
          }
          assertEquals(
              java.util.Map.of(OutboxMail.Status.QUEUED, 3L), tx.outbox().countMailsByStatus());
          return null;
        });
    store.inTransaction(
        tx -> {
          OutboxMail first = tx.outbox().claimMails(at(1), at(100), 1).get(0);
          tx.outbox().updateMail(first.sent(at(2)));
          return null;
        });
    store.inTransaction(
        tx -> {
          java.util.Map<OutboxMail.Status, Long> counts = tx.outbox().countMailsByStatus();
          assertEquals(2L, counts.get(OutboxMail.Status.QUEUED));
          assertEquals(1L, counts.get(OutboxMail.Status.SENT));
          assertNull(counts.get(OutboxMail.Status.FAILED));
          return null;
        });
  }

  @Test
  void countMailsByStatusThenCountsTheMailsOfOneRequestIdByStatus() {
    givenSubjects("ann", "bob");
    tx(
        tx -> {
          tx.outbox()
              .enqueue(
                  OutboxMail.queued(
                      "m1",
                      MailKind.CAMPAIGN,
                      subjectId("ann"),
                      email("ann"),
                      "camp-1",
                      0,
                      Locale.ENGLISH,
                      List.of(NEWSLETTER),
                      "d1",
                      at(0)));
          tx.outbox()
              .enqueue(
                  OutboxMail.queued(
                      "m2",
                      MailKind.CAMPAIGN,
                      subjectId("bob"),
                      email("bob"),
                      "camp-1",
                      0,
                      Locale.ENGLISH,
                      List.of(NEWSLETTER),
                      "d2",
                      at(0)));
          tx.outbox()
              .enqueue(
                  OutboxMail.queued(
                      "m3",
                      MailKind.CAMPAIGN,
                      subjectId("bob"),
                      email("bob"),
                      "camp-2",
                      0,
                      Locale.ENGLISH,
                      List.of(NEWSLETTER),
                      "d3",
                      at(0)));
        });
    tx(
        tx -> {
          List<OutboxMail> claimed = tx.outbox().claimMails(at(1), at(100), 1);
          tx.outbox().updateMail(claimed.get(0).sent(at(2)));
        });

    java.util.Map<OutboxMail.Status, Integer> counts =
        read(tx -> tx.outbox().countMailsByStatus("camp-1"));
    assertEquals(2, counts.values().stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(java.util.Map.of(), read(tx -> tx.outbox().countMailsByStatus("camp-9")));
    assertEquals(
        java.util.Map.of(OutboxMail.Status.QUEUED, 1),
        read(tx -> tx.outbox().countMailsByStatus("camp-2")));
  }
}
