package org.optin4j.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.internal.HistoryChain;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;
import org.optin4j.testing.store.BatchReadStoreContract;
import org.optin4j.testing.store.CampaignQueueStoreContract;
import org.optin4j.testing.store.FeedStoreContract;
import org.optin4j.testing.store.HistoryStoreContract;
import org.optin4j.testing.store.NoticeStoreContract;
import org.optin4j.testing.store.OutboxStoreContract;
import org.optin4j.testing.store.RegisterStoreContract;
import org.optin4j.testing.store.ReportStoreContract;
import org.optin4j.testing.store.RequestStoreContract;
import org.optin4j.testing.store.RetentionStoreContract;
import org.optin4j.testing.store.SendRateStoreContract;
import org.optin4j.testing.store.StoreContract;
import org.optin4j.testing.store.SubjectStoreContract;
import org.optin4j.testing.store.TransactionStoreContract;
import org.optin4j.testing.store.WebhookStoreContract;

/**
 * Runs every part of the store contract against {@link InMemoryConsentStore}, one nested class per part (reported as
 * {@code InMemoryConsentStoreTest$Outbox} and so on), plus what only the memory store promises.
 */
class InMemoryConsentStoreTest extends StoreContract {

  InMemoryConsentStoreTest() {
    super(InMemoryConsentStore::create);
  }

  @Nested
  class Transactions extends TransactionStoreContract {
    Transactions() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Subjects extends SubjectStoreContract {
    Subjects() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class History extends HistoryStoreContract {
    History() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Notices extends NoticeStoreContract {
    Notices() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Requests extends RequestStoreContract {
    Requests() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Outbox extends OutboxStoreContract {
    Outbox() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class CampaignQueue extends CampaignQueueStoreContract {
    CampaignQueue() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Retention extends RetentionStoreContract {
    Retention() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Registers extends RegisterStoreContract {
    Registers() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Feed extends FeedStoreContract {
    Feed() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Webhooks extends WebhookStoreContract {
    Webhooks() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class Reports extends ReportStoreContract {
    Reports() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class SendRates extends SendRateStoreContract {
    SendRates() {
      super(InMemoryConsentStore::create);
    }
  }

  @Nested
  class BatchReads extends BatchReadStoreContract {
    BatchReads() {
      super(InMemoryConsentStore::create);
    }
  }

  @Test
  void createThenIndependentEmptyStores() {
    InMemoryConsentStore other = InMemoryConsentStore.create();
    givenSubjects("ann");

    assertNotSame(store, other);
    assertEquals(
        Optional.empty(), other.inTransaction(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  // --- transactions ---

  @Test
  void inTransactionWhenNestedOnSameThreadThenIllegalStateAndOuterRolledBack() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                tx(
                    outer -> {
                      outer.subjects().insertSubject(subject("ann"));
                      store.inTransaction(inner -> inner.subjects().subject(subjectId("ann")));
                    }));

    assertTrue(e.getMessage().contains("nested"), e.getMessage());
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  void inTransactionWhenNestedCallRefusedAndCaughtThenOuterStillCommits() {
    tx(
        outer -> {
          outer.subjects().insertSubject(subject("ann"));
          assertThrows(IllegalStateException.class, () -> store.inTransaction(inner -> null));
        });

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  void transactionWhenUsedAfterItEndedThenIllegalState() {
    ConsentStore.Transaction leaked = store.inTransaction(tx -> tx);

    assertThrows(IllegalStateException.class, () -> leaked.subjects().subject(subjectId("ann")));
    assertThrows(
        IllegalStateException.class, () -> leaked.subjects().insertSubject(subject("ann")));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  void transactionWhenUsedFromAnotherThreadThenIllegalState() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Throwable fromOtherThread =
          read(
              tx -> {
                Future<Throwable> f =
                    pool.submit(
                        () -> {
                          try {
                            tx.subjects().insertSubject(subject("ann"));
                            return null;
                          } catch (IllegalStateException expected) {
                            return expected;
                          }
                        });
                try {
                  return f.get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              });
      assertInstanceOf(IllegalStateException.class, fromOtherThread);
    } finally {
      pool.shutdownNow();
    }
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  void inTransactionWhenDuplicateKeySwallowedThenStoreExceptionWithDuplicateAsCause() {
    givenSubjects("ann");
    AtomicReference<DuplicateKeyException> swallowed = new AtomicReference<>();

    StoreException e =
        assertThrows(
            StoreException.class,
            () ->
                tx(
                    tx -> {
                      tx.subjects().insertSubject(subject("bob"));
                      try {
                        tx.subjects()
                            .insertSubject(new Subject(subjectId("other"), email("ann"), T0));
                      } catch (DuplicateKeyException d) {
                        swallowed.set(d);
                      }
                    }));

    assertSame(swallowed.get(), e.getCause());
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
  }

  @Test
  void transactionWhenUsedAfterDuplicateKeyThenStoreException() {
    givenSubjects("ann");

    assertThrows(
        StoreException.class,
        () ->
            tx(
                tx -> {
                  try {
                    tx.subjects().insertSubject(subject("ann"));
                  } catch (DuplicateKeyException expected) {
                    // swallowed on purpose
                  }
                  StoreException e =
                      assertThrows(
                          StoreException.class, () -> tx.subjects().subject(subjectId("ann")));
                  assertInstanceOf(DuplicateKeyException.class, e.getCause());
                }));
  }

  @Test
  void duplicateKeyMessageThenFreeOfPersonalData() {
    givenSubjects("ann");

    DuplicateKeyException e =
        assertThrows(
            DuplicateKeyException.class,
            () ->
                tx(
                    tx ->
                        tx.subjects()
                            .insertSubject(new Subject(subjectId("other"), email("ann"), T0))));

    assertTrue(
        !e.getMessage().contains("ann") && !e.getMessage().contains("example"), e.getMessage());
  }

  // --- constraints beyond the SPI text ---

  @Test
  void writesWhenSubjectUnknownThenStoreExceptionAndNothingKept() {
    assertThrows(
        StoreException.class,
        () ->
            tx(
                tx ->
                    tx.subjects()
                        .saveConsent(pendingConsent(subjectId("ghost"), NEWSLETTER, "req-1", T0))));
    assertThrows(
        StoreException.class,
        () ->
            tx(
                tx ->
                    HistoryChain.append(
                        tx.history(),
                        event(subjectId("ghost"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0))));
    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ghost"), T0))));
    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ghost"), email("ghost"), T0))));

    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ghost"))));
    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ghost"))));
    assertEquals(Optional.empty(), read(tx -> tx.requests().request("req-1")));
    assertEquals(List.of(), read(tx -> tx.outbox().mails(subjectId("ghost"))));
  }

  @Test
  void updatesWhenRowUnknownThenStoreException() {
    givenSubjects("ann");

    assertThrows(StoreException.class, () -> tx(tx -> tx.subjects().updateSubject(subject("bob"))));
    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.requests().updateRequest(openRequest("req-1", subjectId("ann"), T0))));
    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.outbox().updateMail(mail("m1", subjectId("ann"), email("ann"), T0))));
  }

  @Test
  void updateSubjectThenOnlyAddressChanges() {
    givenSubjects("ann");

    tx(tx -> tx.subjects().updateSubject(new Subject(subjectId("ann"), email("ann2"), at(999))));

    assertEquals(
        Optional.of(new Subject(subjectId("ann"), email("ann2"), T0)),
        read(tx -> tx.subjects().subject(subjectId("ann"))));
  }

  @Test
  void updateMailThenOnlyDispatchStateChanges() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));
    OutboxMail tampered =
        new OutboxMail(
            "m1",
            MailKind.RECEIPT,
            subjectId("ann"),
            email("other"),
            "req-x",
            9,
            Locale.GERMAN,
            List.of(OFFERS),
            "other-key",
            OutboxMail.Status.SENT,
            1,
            at(5),
            null,
            at(5),
            at(6),
            null);

    tx(tx -> tx.outbox().updateMail(tampered));

    OutboxMail stored = read(tx -> tx.outbox().mails(subjectId("ann"))).get(0);
    assertEquals(
        new OutboxMail(
            "m1",
            queued.kind(),
            queued.subjectId(),
            queued.recipient(),
            queued.requestId(),
            queued.generation(),
            queued.locale(),
            queued.purposes(),
            queued.dedupeKey(),
            OutboxMail.Status.SENT,
            1,
            at(5),
            null,
            queued.createdAt(),
            at(6),
            null),
        stored);
    assertEquals(1, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void updateRequestWhenOtherSubjectThenIllegalArgument() {
    givenSubjects("ann", "bob");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));

    assertThrows(
        IllegalArgumentException.class,
        () -> tx(tx -> tx.requests().updateRequest(openRequest("req-1", subjectId("bob"), T0))));
  }

  @Test
  void insertRequestWhenIdTakenThenDuplicateKey() {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));

    assertThrows(
        DuplicateKeyException.class,
        () -> tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), at(5)))));

    assertEquals(T0, read(tx -> tx.requests().request("req-1")).orElseThrow().requestedAt());
  }

  @Test
  void enqueueWhenMailIdTakenWithOtherDedupeKeyThenDuplicateKey() {
    givenSubjects("ann");
    tx(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)));

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx ->
                    tx.outbox()
                        .enqueue(
                            mail(
                                "m1",
                                MailKind.CONFIRMATION,
                                subjectId("ann"),
                                email("ann"),
                                "key-2",
                                T0))));
  }

  @Test
  void appendEventWhenSequenceSetThenIllegalArgument() {
    givenSubjects("ann");

    assertThrows(
        IllegalArgumentException.class,
        () ->
            tx(
                tx ->
                    HistoryChain.append(
                        tx.history(),
                        event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)
                            .withSequence(5))));
  }

  @Test
  void claimMailsWhenArgumentsInvalidThenIllegalArgument() {
    assertThrows(
        IllegalArgumentException.class, () -> read(tx -> tx.outbox().claimMails(at(1), at(2), -1)));
    assertThrows(
        IllegalArgumentException.class, () -> read(tx -> tx.outbox().claimMails(at(2), at(2), 1)));
    assertThrows(
        IllegalArgumentException.class, () -> read(tx -> tx.outbox().claimMails(at(2), at(1), 1)));
  }

  @Test
  void claimMailsWhenClaimedWithoutLeaseEndThenClaimable() {
    givenSubjects("ann");
    OutboxMail odd = mail("m1", subjectId("ann"), email("ann"), T0).claimed(null);
    tx(tx -> tx.outbox().enqueue(odd));

    assertEquals(
        List.of(odd.claimed(at(300))), read(tx -> tx.outbox().claimMails(at(1), at(300), 10)));
  }

  @Test
  void methodsWhenNullArgumentThenNullPointer() {
    assertThrows(NullPointerException.class, () -> store.inTransaction(null));
    assertThrows(NullPointerException.class, () -> read(tx -> tx.subjects().subjectByEmail(null)));
    assertThrows(NullPointerException.class, () -> tx(tx -> tx.subjects().insertSubject(null)));
    assertThrows(NullPointerException.class, () -> read(tx -> tx.requests().useToken(null, at(1))));
    assertThrows(
        NullPointerException.class,
        () -> read(tx -> tx.outbox().countMails(email("ann"), null, T0)));
  }

  // --- returned values ---

  @Test
  void listsThenUnmodifiableSnapshots() {
    givenSubjects("ann");
    tx(
        tx -> {
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
          HistoryChain.append(
              tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0));
          tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0));
        });
    var consents = read(tx -> tx.subjects().consents(subjectId("ann")));
    var events = read(tx -> tx.history().events(subjectId("ann")));
    var requests = read(tx -> tx.requests().openRequests(subjectId("ann")));
    var mails = read(tx -> tx.outbox().mails(subjectId("ann")));

    tx(
        tx -> {
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-2", at(1)));
          HistoryChain.append(
              tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(1)));
          tx.requests().insertRequest(openRequest("req-2", subjectId("ann"), at(1)));
          tx.outbox().enqueue(mail("m2", subjectId("ann"), email("ann"), at(1)));
        });

    assertEquals(1, consents.size());
    assertEquals(1, events.size());
    assertEquals(1, requests.size());
    assertEquals(1, mails.size());
    assertThrows(UnsupportedOperationException.class, () -> consents.clear());
    assertThrows(UnsupportedOperationException.class, () -> events.clear());
    assertThrows(UnsupportedOperationException.class, () -> requests.clear());
    assertThrows(UnsupportedOperationException.class, () -> mails.clear());
  }

  @Test
  void openRequestsThenOrderedByRequestTimeThenId() {
    givenSubjects("ann");
    PendingRequest late = openRequest("a", subjectId("ann"), at(20));
    PendingRequest earlyB = openRequest("c", subjectId("ann"), at(10));
    PendingRequest earlyA = openRequest("b", subjectId("ann"), at(10));
    tx(tx -> List.of(late, earlyB, earlyA).forEach(tx.requests()::insertRequest));

    assertEquals(
        List.of(earlyA, earlyB, late), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }
}
