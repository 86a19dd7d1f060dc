package org.optin4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.optin4j.spi.StoreFixtures.NEWSLETTER;
import static org.optin4j.spi.StoreFixtures.OFFERS;
import static org.optin4j.spi.StoreFixtures.SURVEYS;
import static org.optin4j.spi.StoreFixtures.T0;
import static org.optin4j.spi.StoreFixtures.at;
import static org.optin4j.spi.StoreFixtures.email;
import static org.optin4j.spi.StoreFixtures.event;
import static org.optin4j.spi.StoreFixtures.mail;
import static org.optin4j.spi.StoreFixtures.notice;
import static org.optin4j.spi.StoreFixtures.noticeRef;
import static org.optin4j.spi.StoreFixtures.openRequest;
import static org.optin4j.spi.StoreFixtures.pendingConsent;
import static org.optin4j.spi.StoreFixtures.subject;
import static org.optin4j.spi.StoreFixtures.subjectId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.optin4j.campaign.Campaign;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.breach.Incident;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.rights.RightsRequest;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.internal.HistoryVerifier;

/**
 * The definition of a correct {@link ConsentStore}: every implementation extends this class and passes every test.
 *
 * <p>The suite uses the SPI only and tests only what its Javadoc promises: transactions that keep all of a unit or
 * nothing, unique keys, notice versioning, single use of tokens, the outbox's dedupe, claims and leases, and the
 * orderings of the list queries. Times are fixed instants: stored times are whole seconds from {@link
 * StoreFixtures#T0}, so that a database keeping milliseconds loses nothing, and boundary queries probe one millisecond
 * either side. Concurrency tests use start gates, never sleeps.
 *
 * <p>{@link #newStore()} is called once per test and must return an empty store. Not thread-safe itself; JUnit runs
 * each test on a fresh instance.
 */
public abstract class ConsentStoreContract {

  private static final long CONCURRENCY_TIMEOUT_SECONDS = 60;

  /** The store under test, fresh for each test. */
  protected ConsentStore store;

  /**
   * Returns a new, empty store. Called once per test.
   *
   * @return the store
   */
  protected abstract ConsentStore newStore();

  @BeforeEach
  void createStore() {
    store = newStore();
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transactions
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void inTransactionThenReturnsWhatTheWorkReturned() {
    assertEquals("result", store.inTransaction(tx -> "result"));
    assertNull(store.inTransaction(tx -> null));
  }

  @Test
  void inTransactionWhenWorkCompletesThenWritesVisibleToLaterTransactions() {
    tx(tx -> {
      tx.insertSubject(subject("ann"));
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    });

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.consents(subjectId("ann"))).size());
  }

  @Test
  void inTransactionThenWorkSeesItsOwnWrites() {
    tx(tx -> {
      tx.insertSubject(subject("ann"));
      assertEquals(Optional.of(subject("ann")), tx.subjectByEmail(email("ann")));
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      assertEquals(1, tx.consents(subjectId("ann")).size());
      tx.insertRequest(openRequest("req-1", subjectId("ann"), T0));
      assertTrue(tx.request("req-1").isPresent());
      assertTrue(tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
      assertEquals(1, tx.mails(subjectId("ann")).size());
      assertEquals(1, tx.countMails(email("ann"), MailKind.CONFIRMATION, T0));
    });
  }

  @Test
  void inTransactionWhenWorkThrowsThenSameExceptionPropagates() {
    IllegalStateException thrown = new IllegalStateException("boom");

    RuntimeException caught = assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
      throw thrown;
    }));

    assertSame(thrown, caught);
  }

  @Test
  void inTransactionWhenWorkThrowsThenNoWriteOfAnyKindIsKept() {
    givenSubjects("bob");
    Notice candidate = notice(Locale.ENGLISH, "rolled back text", NEWSLETTER);
    RuntimeException boom = new RuntimeException("boom");

    RuntimeException caught = assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
      writeAnnAndRenameBob(tx, candidate);
      throw boom;
    }));

    assertSame(boom, caught);
    assertNoTraceOfTheUnit(candidate);
  }

  @Test
  void inTransactionWhenWorkThrowsErrorThenSameErrorPropagatesAndNothingIsKept() {
    givenSubjects("bob");
    Notice candidate = notice(Locale.ENGLISH, "rolled back text", NEWSLETTER);
    Error error = new AssertionError("an error, not an exception");

    Error caught = assertThrows(Error.class, () -> store.inTransaction(tx -> {
      writeAnnAndRenameBob(tx, candidate);
      throw error;
    }));

    assertSame(error, caught);
    assertNoTraceOfTheUnit(candidate);
  }

  @Test
  void inTransactionWhenWorkThrowsCheckedExceptionSneakilyThenSameExceptionPropagatesAndNothingIsKept() {
    givenSubjects("bob");
    Notice candidate = notice(Locale.ENGLISH, "rolled back text", NEWSLETTER);
    Exception checked = new Exception("checked, thrown sneakily");

    Throwable caught = assertThrows(Exception.class, () -> store.inTransaction(tx -> {
      writeAnnAndRenameBob(tx, candidate);
      throw ConsentStoreContract.<RuntimeException>sneaky(checked);
    }));

    assertSame(checked, caught);
    assertNoTraceOfTheUnit(candidate);
  }

  @Test
  void inTransactionWhenWorkThrowsThenStoreStillUsable() {
    assertThrows(IllegalStateException.class, () -> store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      throw new IllegalStateException("boom");
    }));

    tx(tx -> tx.insertSubject(subject("ann")));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void inTransactionWhenConcurrentReaderThenWritesOfOneUnitBecomeVisibleTogether() throws Exception {
    int units = 100;
    AtomicBoolean writerDone = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> writer = pool.submit(() -> {
        await(start);
        try {
          for (int i = 0; i < units; i++) {
            int n = i;
            tx(tx -> {
              tx.insertSubject(subject("first" + n));
              tx.insertSubject(subject("second" + n));
            });
          }
        } finally {
          writerDone.set(true);
        }
        return null;
      });
      Future<Integer> reader = pool.submit(() -> {
        await(start);
        int torn = 0;
        do {
          for (int i = 0; i < units; i++) {
            int n = i;
            // Read the later write first: if it is visible, the commit happened, so the earlier one must be too
            // (this holds under READ COMMITTED as well as under a lock).
            boolean torn1 = read(tx -> tx.subjectByEmail(email("second" + n)).isPresent()
                && tx.subject(subjectId("first" + n)).isEmpty());
            if (torn1) {
              torn++;
            }
          }
        } while (!writerDone.get());
        return torn;
      });
      start.countDown();
      writer.get(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      assertEquals(0, reader.get(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "units seen half written");
    } finally {
      pool.shutdownNow();
    }
    assertTrue(read(tx -> tx.subject(subjectId("second" + (units - 1)))).isPresent());
  }

  // --- rollback of each kind of change to existing rows ---

  @Test
  void updateSubjectWhenWorkThrowsThenAddressRestored() {
    givenSubjects("ann");

    throwAfter(tx -> tx.updateSubject(new Subject(subjectId("ann"), email("ann2"), T0)));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("ann2"))));
    tx(tx -> tx.insertSubject(subject("ann2")));
  }

  @Test
  void saveConsentWhenWorkThrowsThenPreviousConsentRestored() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.saveConsent(pending));

    throwAfter(tx -> {
      tx.saveConsent(pending.confirm(at(60)));
      tx.saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-1", T0));
    });

    assertEquals(List.of(pending), read(tx -> tx.consents(subjectId("ann"))));
    assertEquals(Optional.of(pending), read(tx -> tx.consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.consent(subjectId("ann"), OFFERS)));
  }

  @Test
  void appendEventWhenWorkThrowsThenEventGoneAndLaterSequencesStillIncrease() {
    givenSubjects("ann");
    ConsentEvent first = read(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED,
        T0)));

    throwAfter(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60))));
    ConsentEvent third = read(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN,
        at(120))));

    assertEquals(List.of(first, third), read(tx -> tx.events(subjectId("ann"))));
    assertTrue(third.sequence() > first.sequence());
  }

  @Test
  void saveNoticeWhenWorkThrowsThenNoticeGoneAndVersionNotConsumed() {
    Notice first = notice(Locale.ENGLISH, "first text", NEWSLETTER);
    Notice second = notice(Locale.ENGLISH, "second text", NEWSLETTER);

    throwAfter(tx -> assertEquals(1, tx.saveNotice(first).version()));

    assertEquals(Optional.empty(), read(tx -> tx.notice(first.hash())));
    assertEquals(1, read(tx -> tx.saveNotice(second)).version());
    assertEquals(2, read(tx -> tx.saveNotice(first)).version());
  }

  @Test
  void updateRequestWhenWorkThrowsThenPreviousRequestRestored() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.insertRequest(open));

    throwAfter(tx -> tx.updateRequest(open.nextGeneration(at(7200)).withStatus(PendingRequest.Status.CONFIRMED,
        at(60))));

    assertEquals(Optional.of(open), read(tx -> tx.request("req-1")));
    assertEquals(List.of(open), read(tx -> tx.openRequests(subjectId("ann"))));
  }

  @Test
  void useTokenWhenWorkThrowsThenTokenUnusedAfterwards() {
    throwAfter(tx -> assertTrue(tx.useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.useToken("jti-1", at(3600))));
  }

  @Test
  void enqueueWhenWorkThrowsThenMailGoneAndDedupeKeyFree() {
    givenSubjects("ann");

    throwAfter(tx -> assertTrue(tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));

    assertEquals(List.of(), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(List.of(), read(tx -> tx.claimMails(at(1), at(301), 10)));
    assertTrue(flag(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));
  }

  @Test
  void claimMailsWhenWorkThrowsThenMailsStillQueuedAndClaimable() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(queued));

    throwAfter(tx -> assertEquals(1, tx.claimMails(at(1), at(301), 10).size()));

    assertEquals(List.of(queued), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(List.of(queued.claimed(at(302))), read(tx -> tx.claimMails(at(2), at(302), 10)));
  }

  @Test
  void updateMailWhenWorkThrowsThenPreviousStateRestored() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(queued));
    OutboxMail claimed = read(tx -> tx.claimMails(at(1), at(301), 10)).get(0);

    throwAfter(tx -> tx.updateMail(claimed.sent(at(2))));

    assertEquals(List.of(claimed), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(List.of(claimed.claimed(at(601))), read(tx -> tx.claimMails(at(301), at(601), 10)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Subjects
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void subjectByEmailWhenLocalPartNotAsciiThenStoredAndFoundExactly() {
    // RFC 6531 local parts are stored as UTF-8 text and compared exactly: "zoë" is neither "zoe" nor "zoë" in NFD.
    EmailAddress zoe = EmailAddress.parse("zoë@bücher.example");
    tx(tx -> {
      tx.insertSubject(new Subject(subjectId("zoe"), zoe, T0));
      tx.insertSubject(new Subject(subjectId("plain"), EmailAddress.parse("zoe@bücher.example"), T0));
    });

    assertEquals(Optional.of(new Subject(subjectId("zoe"), zoe, T0)), read(tx -> tx.subjectByEmail(zoe)));
    assertEquals("zoë@xn--bcher-kva.example", read(tx -> tx.subject(subjectId("zoe"))).orElseThrow().email().value());
    assertEquals(subjectId("plain"),
        read(tx -> tx.subjectByEmail(EmailAddress.parse("zoe@xn--bcher-kva.example"))).orElseThrow().id());
  }

  @Test
  void subjectWhenUnknownThenEmpty() {
    givenSubjects("ann");

    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("bob"))));
  }

  @Test
  void readThenSeesWhatWasCommittedAndReturnsTheWorksResult() {
    givenSubjects("ann");
    tx(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    assertEquals(Optional.of(subject("ann")), store.read(tx -> tx.subjectByEmail(email("ann"))));
    assertEquals(1, store.read(tx -> tx.events(subjectId("ann"))).size());
    assertEquals(1, store.read(tx -> tx.historyHead(subjectId("ann"))).orElseThrow().position());
  }

  @Test
  void readWhenWorkWritesThenIllegalStateAndNothingIsWritten() {
    givenSubjects("ann");
    List<java.util.function.Consumer<ConsentStore.Transaction>> writes = List.of(
        tx -> tx.insertSubject(subject("bob")),
        tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)),
        tx -> tx.lockHistory(subjectId("ann")),
        tx -> tx.useToken("jti-1", at(3600)),
        tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)),
        tx -> tx.claimMails(at(1), at(301), 10),
        tx -> tx.renewClaims(List.of("m1"), at(301), at(601)),
        tx -> tx.releaseClaims(List.of("m1"), at(301)),
        tx -> tx.saveNode(node("node-a", "https://a.example", at(1))),
        tx -> tx.suppress("key", T0),
        tx -> tx.eraseSubject(subjectId("ann"), false));
    for (var write : writes) {
      assertThrows(IllegalStateException.class, () -> store.read(tx -> {
        write.accept(tx);
        return null;
      }));
    }

    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("bob"))));
    assertEquals(List.of(), read(tx -> tx.events(subjectId("ann"))));
    boolean firstUse = read(tx -> tx.useToken("jti-1", at(3600)));
    assertTrue(firstUse, "the token was not used by the refused unit");
    assertEquals(List.of(), read(tx -> tx.mails(subjectId("ann"))));
    boolean suppressed = read(tx -> tx.isSuppressed("key"));
    assertFalse(suppressed);
    assertTrue(read(tx -> tx.subject(subjectId("ann"))).isPresent());
  }

  @Test
  void readWhenWorkThrowsThenSameExceptionPropagates() {
    IllegalArgumentException thrown = new IllegalArgumentException("boom");

    assertSame(thrown, assertThrows(IllegalArgumentException.class, () -> store.read(tx -> {
      throw thrown;
    })));
    assertEquals(0L, read(ConsentStore.Transaction::countSubjects));
  }

  @Test
  void insertSubjectThenFoundByIdAndByEmail() {
    Subject ann = new Subject(subjectId("ann"), email("ann"), at(Duration.ofDays(3).plusSeconds(7)));

    tx(tx -> tx.insertSubject(ann));

    assertEquals(Optional.of(ann), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.of(ann), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenEmailTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class,
        () -> tx(tx -> tx.insertSubject(new Subject(subjectId("other"), email("ann"), at(60)))));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("other"))));
  }

  @Test
  void insertSubjectWhenIdTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class,
        () -> tx(tx -> tx.insertSubject(new Subject(subjectId("ann"), email("other"), at(60)))));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("other"))));
  }

  @Test
  void insertSubjectWhenEmailTakenInSameTransactionThenDuplicateKeyAndNothingKept() {
    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.insertSubject(subject("ann"));
      tx.insertSubject(new Subject(subjectId("other"), email("ann"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateThenEarlierWritesOfTheUnitRolledBack() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.insertSubject(subject("bob"));
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      tx.insertSubject(new Subject(subjectId("other"), email("ann"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("bob"))));
    assertEquals(List.of(), read(tx -> tx.consents(subjectId("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateSwallowedByWorkThenUnitStillRolledBack() {
    givenSubjects("ann");

    // DuplicateKeyException promises "the transaction is rolled back": catching it must not save the unit's other
    // writes. Whether inTransaction then throws (a StoreException) or returns is left to the store.
    try {
      tx(tx -> {
        tx.insertSubject(subject("bob"));
        try {
          tx.insertSubject(new Subject(subjectId("other"), email("ann"), T0));
          fail("expected a DuplicateKeyException");
        } catch (DuplicateKeyException expected) {
          // swallowed on purpose
        }
      });
    } catch (StoreException acceptable) {
      // the store reported the rollback
    }

    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("bob"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenConcurrentSignupsOfOneAddressThenExactlyOneWins() throws Exception {
    int threads = 8;
    List<Boolean> won = concurrently(threads, i -> {
      try {
        tx(tx -> tx.insertSubject(new Subject(subjectId("racer" + i), email("ann"), T0)));
        return true;
      } catch (DuplicateKeyException lost) {
        return false;
      }
    });

    assertEquals(1, won.stream().filter(w -> w).count());
    SubjectId winner = subjectId("racer" + won.indexOf(true));
    assertEquals(Optional.of(winner), read(tx -> tx.subjectByEmail(email("ann"))).map(Subject::id));
  }

  @Test
  void updateSubjectThenFoundByNewAddressAndOldAddressFree() {
    givenSubjects("ann");
    Subject moved = new Subject(subjectId("ann"), email("ann.new"), T0);

    tx(tx -> tx.updateSubject(moved));

    assertEquals(Optional.of(moved), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.of(moved), read(tx -> tx.subjectByEmail(email("ann.new"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("ann"))));
    Subject newcomer = new Subject(subjectId("newcomer"), email("ann"), at(60));
    tx(tx -> tx.insertSubject(newcomer));
    assertEquals(Optional.of(newcomer), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenSameAddressThenUnchanged() {
    givenSubjects("ann");

    tx(tx -> tx.updateSubject(subject("ann")));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenThenDuplicateKeyAndRollback() {
    givenSubjects("ann", "bob");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.insertSubject(subject("cid"));
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      tx.updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
    }));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.of(subject("bob")), read(tx -> tx.subjectByEmail(email("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("cid"))));
    assertEquals(List.of(), read(tx -> tx.consents(subjectId("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenEarlierInSameTransactionThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.insertSubject(subject("bob"));
      tx.updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("bob"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjectByEmail(email("ann"))));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Consents
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void consentsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.consents(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.consent(subjectId("ann"), NEWSLETTER)));
  }

  @Test
  void saveConsentThenFoundWithEveryComponent() {
    givenSubjects("ann");
    Consent restricted = new Consent(subjectId("ann"), NEWSLETTER, 3, ConsentState.CONFIRMED, "req-7",
        new Consent.NoticeRef(4, Notice.sha256("n"), Locale.forLanguageTag("de-CH")), at(10), at(70), null, true);
    Consent withdrawn = new Consent(subjectId("ann"), OFFERS, 1, ConsentState.WITHDRAWN, "req-8", noticeRef("x"),
        at(20), at(80), at(3600), false);
    Consent expired = new Consent(subjectId("ann"), SURVEYS, 2, ConsentState.EXPIRED, "req-9", noticeRef("y"),
        at(30), null, at(7200), false);

    tx(tx -> {
      tx.saveConsent(restricted);
      tx.saveConsent(withdrawn);
      tx.saveConsent(expired);
    });

    assertEquals(Optional.of(restricted), read(tx -> tx.consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(Optional.of(withdrawn), read(tx -> tx.consent(subjectId("ann"), OFFERS)));
    assertEquals(Optional.of(expired), read(tx -> tx.consent(subjectId("ann"), SURVEYS)));
  }

  @Test
  void saveConsentWhenSameSubjectAndPurposeThenReplaced() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.saveConsent(pending));

    Consent confirmed = pending.confirm(at(60));
    tx(tx -> tx.saveConsent(confirmed));
    Consent withdrawn = confirmed.withdraw(at(120));
    tx(tx -> tx.saveConsent(withdrawn));

    assertEquals(List.of(withdrawn), read(tx -> tx.consents(subjectId("ann"))));
    assertEquals(Optional.of(withdrawn), read(tx -> tx.consent(subjectId("ann"), NEWSLETTER)));
  }

  @Test
  void saveConsentWhenReplacedInSameTransactionThenLastWins() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);

    tx(tx -> {
      tx.saveConsent(pending);
      tx.saveConsent(pending.confirm(at(60)));
    });

    assertEquals(List.of(pending.confirm(at(60))), read(tx -> tx.consents(subjectId("ann"))));
  }

  @Test
  void consentsThenOrderedByPurposeId() {
    givenSubjects("ann");

    tx(tx -> {
      tx.saveConsent(pendingConsent(subjectId("ann"), SURVEYS, "req-1", T0));
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    });
    tx(tx -> tx.saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-2", at(1))));

    assertEquals(List.of(NEWSLETTER, OFFERS, SURVEYS),
        read(tx -> tx.consents(subjectId("ann"))).stream().map(Consent::purpose).toList());
  }

  @Test
  void consentsThenOnlyThoseOfTheSubject() {
    givenSubjects("ann", "bob");
    Consent anns = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    Consent bobs = pendingConsent(subjectId("bob"), NEWSLETTER, "req-2", T0);

    tx(tx -> {
      tx.saveConsent(anns);
      tx.saveConsent(bobs);
    });

    assertEquals(List.of(anns), read(tx -> tx.consents(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.consents(subjectId("bob"))));
    assertEquals(Optional.of(bobs), read(tx -> tx.consent(subjectId("bob"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.consent(subjectId("bob"), OFFERS)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void eventsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.events(subjectId("ann"))));
  }

  @Test
  void appendEventThenPositiveSequenceAssignedAndEverythingElseKept() {
    givenSubjects("ann");
    ConsentEvent event = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);

    ConsentEvent stored = read(tx -> tx.appendEvent(event));

    assertTrue(stored.sequence() > 0, "sequence " + stored.sequence());
    assertEquals(event.withSequence(stored.sequence()), stored.withSeal(null));
    assertEquals(1, stored.seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, stored.seal().previousHash());
    assertEquals(List.of(stored), read(tx -> tx.events(subjectId("ann"))));
  }

  @Test
  void appendEventThenSequencesStrictlyIncreaseAcrossSubjectsAndTransactions() {
    givenSubjects("ann", "bob");
    List<Long> sequences = new ArrayList<>();

    tx(tx -> {
      sequences.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)).sequence());
      sequences.add(tx.appendEvent(event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)).sequence());
      sequences.add(tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)).sequence());
    });
    tx(tx -> sequences.add(
        tx.appendEvent(event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60))).sequence()));
    tx(tx -> sequences.add(
        tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60))).sequence()));

    for (int i = 1; i < sequences.size(); i++) {
      assertTrue(sequences.get(i) > sequences.get(i - 1), "sequences " + sequences);
    }
  }

  @Test
  void eventsThenOnlyTheSubjectsOrderedBySequence() {
    givenSubjects("ann", "bob");
    List<ConsentEvent> anns = new ArrayList<>();
    // Event times deliberately out of order: the history is ordered by sequence, not by time.
    tx(tx -> {
      anns.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(500))));
      tx.appendEvent(event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(1)));
      anns.add(tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(400))));
    });
    tx(tx -> anns.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(300)))));
    tx(tx -> tx.appendEvent(event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(2))));

    assertEquals(anns, read(tx -> tx.events(subjectId("ann"))));
    assertEquals(2, read(tx -> tx.events(subjectId("bob"))).size());
  }

  @Test
  void eventsThenEvidenceAndNoticeRefsKeptExactly() {
    givenSubjects("ann");
    String longAgent = "Mozilla/5.0 (Ünïcødé; 日本語) 🦊 " + "x".repeat(600);
    List<ConsentEvent> events = List.of(
        new ConsentEvent(0, subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(1), "req-1",
            new Consent.NoticeRef(1, Notice.sha256("a"), Locale.ENGLISH), "https://x.example.org/form?a=1&b=2",
            Channel.FORM, Evidence.of("2001:0db8:85a3:0000:0000:8a2e:0370:7334:extra", longAgent), "jti-1"),
        new ConsentEvent(0, subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(2), "req-1",
            new Consent.NoticeRef(17, Notice.sha256("b"), Locale.forLanguageTag("pt-BR")), null,
            Channel.CONFIRMATION_LINK, Evidence.of("203.0.113.0", null), "jti-2"),
        new ConsentEvent(0, subjectId("ann"), NEWSLETTER, ConsentEvent.Type.RESTRICTED, at(3), null, null, null,
            Channel.OPERATOR, Evidence.of(null, "curl/8.0"), null),
        new ConsentEvent(0, subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN, at(4), null, null, null,
            Channel.ONE_CLICK_UNSUBSCRIBE, Evidence.NONE, "jti-3"),
        new ConsentEvent(0, subjectId("ann"), OFFERS, ConsentEvent.Type.EXPIRED, at(5), "req-2",
            new Consent.NoticeRef(2, Notice.sha256("c"), Locale.forLanguageTag("zh-Hant-TW")), "src",
            Channel.SYSTEM, null, null));

    List<ConsentEvent> stored = read(tx -> events.stream().map(tx::appendEvent).toList());

    List<ConsentEvent> found = read(tx -> tx.events(subjectId("ann")));
    assertEquals(stored, found);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(events.get(i), found.get(i).withSequence(0).withSeal(null));
      assertEquals(events.get(i).evidence(), found.get(i).evidence());
      assertEquals(events.get(i).notice(), found.get(i).notice());
    }
  }

  @Test
  void appendEventWhenConcurrentThenSequencesUniqueAndHistoryOrdered() throws Exception {
    givenSubjects("ann");
    int threads = 8;
    int perThread = 20;

    List<List<Long>> perThreadSequences = concurrently(threads, i -> {
      List<Long> mine = new ArrayList<>();
      for (int j = 0; j < perThread; j++) {
        mine.add(read(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED,
            T0))).sequence());
      }
      return mine;
    });

    Set<Long> all = new HashSet<>();
    perThreadSequences.forEach(all::addAll);
    assertEquals(threads * perThread, all.size());
    List<ConsentEvent> events = read(tx -> tx.events(subjectId("ann")));
    List<Long> history = events.stream().map(ConsentEvent::sequence).toList();
    assertEquals(all, new HashSet<>(history));
    assertIntact(subjectId("ann"), threads * perThread);
    assertEquals(history.stream().sorted().toList(), history);
    for (List<Long> mine : perThreadSequences) {
      assertEquals(mine.stream().sorted().toList(), mine);
    }
  }

  @Test
  void appendEventThenEachSubjectHasItsOwnChainFromPosition1() {
    givenSubjects("ann", "bob");
    List<ConsentEvent> anns = new ArrayList<>();
    tx(tx -> {
      anns.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
      tx.appendEvent(event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      anns.add(tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
    });
    tx(tx -> anns.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)))));

    String previous = ConsentEvent.Seal.GENESIS;
    for (int i = 0; i < anns.size(); i++) {
      ConsentEvent.Seal seal = anns.get(i).seal();
      assertEquals(i + 1, seal.position());
      assertEquals(previous, seal.previousHash());
      assertEquals(anns.get(i).chainHash(seal.position(), previous, seal.detailsDigest()), seal.hash());
      assertEquals(anns.get(i).detailsDigest(seal.detailsSalt()), seal.detailsDigest());
      previous = seal.hash();
    }
    assertEquals(Optional.of(new HistoryHead(subjectId("ann"), 3, previous)),
        read(tx -> tx.historyHead(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.historyHead(subjectId("bob"))).orElseThrow().position());
    assertIntact(subjectId("ann"), 3);
    assertIntact(subjectId("bob"), 1);
  }

  @Test
  void appendEventThenSaltsDifferSoEqualDetailsGiveDifferentDigests() {
    givenSubjects("ann");
    ConsentEvent e = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);
    List<ConsentEvent> stored = read(tx -> List.of(tx.appendEvent(e), tx.appendEvent(e)));

    assertFalse(stored.get(0).seal().detailsSalt().equals(stored.get(1).seal().detailsSalt()));
    assertFalse(stored.get(0).seal().detailsDigest().equals(stored.get(1).seal().detailsDigest()));
  }

  @Test
  void appendEventWhenWorkThrowsThenHeadUnchangedAndChainContinuesWithoutGap() {
    givenSubjects("ann");
    tx(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
    HistoryHead before = read(tx -> tx.historyHead(subjectId("ann"))).orElseThrow();

    throwAfter(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1))));

    assertEquals(Optional.of(before), read(tx -> tx.historyHead(subjectId("ann"))));
    ConsentEvent next = read(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(2))));
    assertEquals(2, next.seal().position());
    assertIntact(subjectId("ann"), 2);
  }

  @Test
  void lockHistoryThenAppendsInTheUnitContinueTheChain() {
    givenSubjects("ann");
    tx(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(tx -> {
      tx.lockHistory(subjectId("ann"));
      tx.lockHistory(subjectId("ann"));
      tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
      tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN, at(2)));
    });

    assertIntact(subjectId("ann"), 3);
  }

  @Test
  void appendEventWhenSubjectInsertedInSameUnitThenChainStartsAtPosition1AndHeadIsStored() {
    List<ConsentEvent> anns = new ArrayList<>();
    tx(tx -> {
      tx.insertSubject(subject("ann"));
      tx.lockHistory(subjectId("ann"));
      anns.add(tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
      anns.add(tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
    });

    assertEquals(1, anns.get(0).seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, anns.get(0).seal().previousHash());
    assertEquals(Optional.of(new HistoryHead(subjectId("ann"), 2, anns.get(1).seal().hash())),
        read(tx -> tx.historyHead(subjectId("ann"))));
    assertEquals(List.of(subjectId("ann")), read(tx -> tx.historySubjects(null, 10)));
    assertIntact(subjectId("ann"), 2);
    ConsentEvent next = read(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(1))));
    assertEquals(3, next.seal().position());
    assertIntact(subjectId("ann"), 3);
  }

  @Test
  void historyHeadInTheUnitThatAppendedThenSeesItsOwnAppends() {
    givenSubjects("ann");
    tx(tx -> tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    HistoryHead seen = read(tx -> {
      tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
      ConsentEvent last = tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(2)));
      HistoryHead head = tx.historyHead(subjectId("ann")).orElseThrow();
      assertEquals(last.seal().hash(), head.hash());
      return head;
    });

    assertEquals(3, seen.position());
    assertEquals(Optional.of(seen), read(tx -> tx.historyHead(subjectId("ann"))));
  }

  @Test
  void eraseSubjectInTheUnitThatInsertedAndAppendedThenNothingIsLeft() {
    tx(tx -> {
      tx.insertSubject(subject("ann"));
      tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      assertTrue(tx.eraseSubject(subjectId("ann"), false));
    });

    assertEquals(Optional.empty(), read(tx -> tx.historyHead(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.events(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.historySubjects(null, 10)));
  }

  @Test
  void historyHeadWhenNoEventThenEmptyEvenAfterLockHistory() {
    givenSubjects("ann");
    tx(tx -> tx.lockHistory(subjectId("ann")));

    assertEquals(Optional.empty(), read(tx -> tx.historyHead(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.historyHead(subjectId("nobody"))));
    assertEquals(List.of(), read(tx -> tx.historySubjects(null, 10)), "no history yet");
  }

  @Test
  void appendEventWhenConcurrentUnitsOfOneSubjectThenOneChainWithoutForkOrGap() throws Exception {
    givenSubjects("ann");
    int threads = 6;
    int perThread = 5;

    concurrently(threads, i -> {
      for (int j = 0; j < perThread; j++) {
        tx(tx -> {
          tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(i)));
          tx.appendEvent(event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(i)));
        });
      }
      return null;
    });

    List<ConsentEvent> events = read(tx -> tx.events(subjectId("ann")));
    assertEquals(threads * perThread * 2, events.size());
    for (int i = 0; i < events.size(); i += 2) {
      // A unit's two events are adjacent in the chain: appends of one subject are serialised per unit.
      assertEquals(events.get(i).seal().hash(), events.get(i + 1).seal().previousHash());
      assertEquals(events.get(i).at(), events.get(i + 1).at());
    }
    assertIntact(subjectId("ann"), threads * perThread * 2);
  }

  @Test
  void historySubjectsThenEveryHistoryOnceInPagesInCodePointOrder() {
    List<String> names = List.of("b-x", "a_y", "A-z", "c", "b_0", "B9", "z");
    tx(tx -> {
      for (String n : names) {
        tx.insertSubject(subject(n));
        tx.appendEvent(event(subjectId(n), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      }
      tx.insertSubject(subject("nohistory"));
    });

    List<SubjectId> seen = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = read(tx -> tx.historySubjects(from, 3));
      seen.addAll(page);
      if (page.size() < 3) {
        break;
      }
      after = page.get(page.size() - 1);
    }

    List<SubjectId> expected = names.stream().map(StoreFixtures::subjectId)
        .sorted(java.util.Comparator.comparing(SubjectId::value)).toList();
    assertEquals(expected, seen);
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Notices
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void saveNoticeWhenFirstTextOfKeyThenVersion1AndFindableByHash() {
    Notice candidate = notice(Locale.ENGLISH, "We send a monthly newsletter.", NEWSLETTER, OFFERS);

    Notice stored = read(tx -> tx.saveNotice(candidate));

    assertEquals(candidate, stored);
    assertEquals(1, stored.version());
    assertEquals(Optional.of(stored), read(tx -> tx.notice(candidate.hash())));
  }

  @Test
  void saveNoticeWhenDifferentTextsSameKeyThenVersions1And2() {
    Notice first = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));

    assertEquals(1, first.version());
    assertEquals(2, second.version());
    assertEquals(Optional.of(first), read(tx -> tx.notice(first.hash())));
    assertEquals(Optional.of(second), read(tx -> tx.notice(second.hash())));
  }

  @Test
  void saveNoticeWhenSameTextTwiceThenSameVersionAndNoVersionConsumed() {
    Notice first = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice again = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));
    Notice firstOnceMore = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));

    assertEquals(first, again);
    assertEquals(first, firstOnceMore);
    assertEquals(2, second.version());
  }

  @Test
  void saveNoticeWhenKnownHashThenExistingReturnedNotTheCandidate() {
    Notice original = read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice laterCandidate = new Notice(5, original.hash(), Locale.ENGLISH, List.of(NEWSLETTER), "text one", at(999));

    Notice stored = read(tx -> tx.saveNotice(laterCandidate));

    assertEquals(original, stored);
    assertEquals(T0, stored.createdAt());
  }

  @Test
  void saveNoticeThenCandidateVersionIgnored() {
    Notice candidate = new Notice(42, Notice.sha256("text"), Locale.ENGLISH, List.of(NEWSLETTER), "text", T0);

    Notice stored = read(tx -> tx.saveNotice(candidate));

    assertEquals(1, stored.version());
    assertEquals(candidate.hash(), stored.hash());
    assertEquals(candidate.text(), stored.text());
  }

  @Test
  void saveNoticeWhenOtherKeyThenVersionsStartAt1() {
    assertEquals(1, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "en one", NEWSLETTER))).version());
    assertEquals(2, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "en two", NEWSLETTER))).version());

    assertEquals(1, read(tx -> tx.saveNotice(notice(Locale.GERMAN, "de eins", NEWSLETTER))).version());
    assertEquals(1, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "en both", NEWSLETTER, OFFERS))).version());
    assertEquals(1, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "en offers", OFFERS))).version());
    assertEquals(3, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "en three", NEWSLETTER))).version());
    assertEquals(2, read(tx -> tx.saveNotice(notice(Locale.GERMAN, "de zwei", NEWSLETTER))).version());
  }

  @Test
  void saveNoticeWhenPurposesInOtherOrderThenSameKey() {
    assertEquals(1, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER, OFFERS))).version());

    assertEquals(2, read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "two", OFFERS, NEWSLETTER))).version());
  }

  @Test
  void saveNoticeWhenSeveralInOneTransactionThenVersionsCounted() {
    List<Integer> versions = read(tx -> List.of(
        tx.saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
        tx.saveNotice(notice(Locale.ENGLISH, "two", NEWSLETTER)).version(),
        tx.saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
        tx.saveNotice(notice(Locale.ENGLISH, "three", NEWSLETTER)).version()));

    assertEquals(List.of(1, 2, 1, 3), versions);
  }

  @Test
  void saveNoticeThenTextKeptExactly() {
    String text = "Controller: Shop GmbH, Straße 1\r\nPurposes:\n\t• newsletter — monthly 📰\n"
        + "«Widerruf jederzeit»  trailing spaces   \n" + "ä".repeat(5000) + "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP";
    Notice candidate = notice(Locale.forLanguageTag("de-AT"), text, NEWSLETTER);

    read(tx -> tx.saveNotice(candidate));

    Notice found = read(tx -> tx.notice(candidate.hash())).orElseThrow();
    assertEquals(text, found.text());
    assertEquals(Locale.forLanguageTag("de-AT"), found.locale());
    assertEquals(List.of(NEWSLETTER), found.purposes());
  }

  @Test
  void noticeWhenUnknownHashThenEmpty() {
    read(tx -> tx.saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)));

    assertEquals(Optional.empty(), read(tx -> tx.notice(Notice.sha256("two"))));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Requests
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void insertRequestThenFoundByIdWithEveryComponent() {
    givenSubjects("ann");
    PendingRequest request = new PendingRequest("req-Zx9_1", subjectId("ann"), Set.of(SURVEYS, NEWSLETTER),
        new Consent.NoticeRef(3, Notice.sha256("n"), Locale.forLanguageTag("nl")), null,
        Evidence.of("198.51.100.23", "Mozilla/5.0 (Ünïcødé)"), at(5), at(Duration.ofHours(72)), 1,
        PendingRequest.Status.OPEN, null);

    tx(tx -> tx.insertRequest(request));

    assertEquals(Optional.of(request), read(tx -> tx.request("req-Zx9_1")));
  }

  @Test
  void requestWhenUnknownThenEmpty() {
    givenSubjects("ann");
    tx(tx -> tx.insertRequest(openRequest("req-1", subjectId("ann"), T0)));

    assertEquals(Optional.empty(), read(tx -> tx.request("req-2")));
  }

  @Test
  void updateRequestThenGenerationExpiryAndStatusReplaced() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.insertRequest(open));

    PendingRequest resent = open.nextGeneration(at(Duration.ofHours(60)));
    tx(tx -> tx.updateRequest(resent));
    assertEquals(Optional.of(resent), read(tx -> tx.request("req-1")));

    PendingRequest confirmed = resent.withStatus(PendingRequest.Status.CONFIRMED, at(600));
    tx(tx -> tx.updateRequest(confirmed));
    assertEquals(Optional.of(confirmed), read(tx -> tx.request("req-1")));
    assertEquals(2, confirmed.generation());
  }

  @Test
  void openRequestsThenOnlyOpenOnesOfTheSubject() {
    givenSubjects("ann", "bob");
    PendingRequest open1 = openRequest("req-1", subjectId("ann"), T0);
    PendingRequest open2 = openRequest("req-2", subjectId("ann"), at(10));
    PendingRequest confirmed = openRequest("req-3", subjectId("ann"), at(20));
    PendingRequest superseded = openRequest("req-4", subjectId("ann"), at(30));
    PendingRequest expired = openRequest("req-5", subjectId("ann"), at(40));
    PendingRequest bobs = openRequest("req-6", subjectId("bob"), at(50));
    tx(tx -> List.of(open1, open2, confirmed, superseded, expired, bobs).forEach(tx::insertRequest));

    tx(tx -> {
      tx.updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(100)));
      tx.updateRequest(superseded.withStatus(PendingRequest.Status.SUPERSEDED, at(100)));
      tx.updateRequest(expired.withStatus(PendingRequest.Status.EXPIRED, at(100)));
    });

    assertEquals(Set.of(open1, open2), Set.copyOf(read(tx -> tx.openRequests(subjectId("ann")))));
    assertEquals(2, read(tx -> tx.openRequests(subjectId("ann"))).size());
    assertEquals(List.of(bobs), read(tx -> tx.openRequests(subjectId("bob"))));
  }

  @Test
  void openRequestsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.openRequests(subjectId("ann"))));
  }

  @Test
  void openRequestsWhenRequestClosedThenNoLongerListed() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.insertRequest(open));
    assertEquals(List.of(open), read(tx -> tx.openRequests(subjectId("ann"))));

    tx(tx -> tx.updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, at(5))));

    assertEquals(List.of(), read(tx -> tx.openRequests(subjectId("ann"))));
  }

  @Test
  void requestWhenConcurrentReadModifyWriteThenNoUpdateLost() throws Exception {
    givenSubjects("ann");
    tx(tx -> tx.insertRequest(openRequest("req-1", subjectId("ann"), T0)));
    int threads = 8;
    int perThread = 10;

    concurrently(threads, i -> {
      for (int j = 0; j < perThread; j++) {
        tx(tx -> {
          PendingRequest current = tx.request("req-1").orElseThrow();
          tx.updateRequest(current.nextGeneration(current.expiresAt().plusSeconds(1)));
        });
      }
      return null;
    });

    assertEquals(1 + threads * perThread, read(tx -> tx.request("req-1")).orElseThrow().generation());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Tokens
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void useTokenThenTrueOnceAndFalseAfter() {
    assertTrue(flag(tx -> tx.useToken("jti-1", at(3600))));

    assertFalse(flag(tx -> tx.useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.useToken("jti-1", at(7200))));
  }

  @Test
  void useTokenWhenUsedTwiceInOneTransactionThenSecondFalse() {
    List<Boolean> answers = read(tx -> List.of(tx.useToken("jti-1", at(3600)), tx.useToken("jti-1", at(3600))));

    assertEquals(List.of(true, false), answers);
  }

  @Test
  void useTokenThenIdsIndependent() {
    assertTrue(flag(tx -> tx.useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.useToken("jti-2", at(3600))));
    assertTrue(flag(tx -> tx.useToken("JTI-1", at(3600))), "token ids are case-sensitive");
  }

  @Test
  void useTokenWhenConcurrentSameIdThenExactlyOneTrue() throws Exception {
    int threads = 16;

    List<Boolean> answers = concurrently(threads, i -> read(tx -> tx.useToken("jti-race", at(3600))));

    assertEquals(1, answers.stream().filter(a -> a).count(), "answers " + answers);
    assertFalse(flag(tx -> tx.useToken("jti-race", at(3600))));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Outbox
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void enqueueThenListedWithEveryComponent() {
    givenSubjects("ann");
    OutboxMail mail = new OutboxMail("m-1", MailKind.RECEIPT, subjectId("ann"), email("ann"), null, 0,
        Locale.forLanguageTag("fr-CA"), List.of(OFFERS, NEWSLETTER), "receipt:req-1:1", OutboxMail.Status.QUEUED, 0,
        at(30), null, at(10), null, null);

    assertTrue(flag(tx -> tx.enqueue(mail)));

    assertEquals(List.of(mail), read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void mailsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void enqueueWhenDedupeKeyTakenThenFalseAndFirstKept() {
    givenSubjects("ann");
    OutboxMail first = mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0);
    OutboxMail duplicate = mail("m2", MailKind.RECEIPT, subjectId("ann"), email("ann"), "key-1", at(60));
    assertTrue(flag(tx -> tx.enqueue(first)));

    assertFalse(flag(tx -> tx.enqueue(duplicate)));

    assertEquals(List.of(first), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.RECEIPT, T0));
  }

  @Test
  void enqueueWhenDedupeKeyTakenInSameTransactionThenFalse() {
    givenSubjects("ann");

    List<Boolean> answers = read(tx -> List.of(
        tx.enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)),
        tx.enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0))));

    assertEquals(List.of(true, false), answers);
    assertEquals(1, read(tx -> tx.mails(subjectId("ann"))).size());
  }

  @Test
  void enqueueWhenDedupeKeyOfSentMailThenStillFalse() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)));
    OutboxMail claimed = read(tx -> tx.claimMails(at(1), at(301), 10)).get(0);
    tx(tx -> tx.updateMail(claimed.sent(at(2))));

    assertFalse(flag(tx -> tx.enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1",
        at(100)))));
    assertEquals(1, read(tx -> tx.mails(subjectId("ann"))).size());
  }

  @Test
  void mailQueuedAtWhenDedupeKeyTakenThenItsCreationTimeWhateverItsStatus() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1", at(7))));
    OutboxMail claimed = read(tx -> tx.claimMails(at(8), at(308), 10)).get(0);
    tx(tx -> tx.updateMail(claimed.sent(at(9))));

    assertEquals(Optional.of(at(7)), read(tx -> tx.mailQueuedAt("cap:ann:1")));
  }

  @Test
  void mailQueuedAtWhenDedupeKeyUnknownThenEmpty() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1", at(7))));

    assertEquals(Optional.empty(), read(tx -> tx.mailQueuedAt("cap:ann:2")));
    assertEquals(Optional.empty(), read(tx -> tx.mailQueuedAt("CAP:ANN:1")), "dedupe keys are case-sensitive");
    assertEquals(Optional.empty(), read(tx -> tx.mailQueuedAt("cap:ann:")), "an exact match, not a prefix");
  }

  @Test
  void mailQueuedAtSeesTheTransactionsOwnEnqueueAndForgetsARolledBackOne() {
    givenSubjects("ann");

    assertEquals(Optional.of(at(7)), read(tx -> {
      tx.enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1", at(7)));
      return tx.mailQueuedAt("cap:ann:1");
    }));
    throwAfter(tx -> tx.enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:2",
        at(8))));
    assertEquals(Optional.empty(), read(tx -> tx.mailQueuedAt("cap:ann:2")));
  }

  @Test
  void mailsThenOnlyTheSubjectsOrderedByCreatedAtThenId() {
    givenSubjects("ann", "bob");
    OutboxMail late = mail("a-late", subjectId("ann"), email("ann"), at(300));
    OutboxMail earlyB = mail("b-early", subjectId("ann"), email("ann"), at(100));
    OutboxMail earlyA = mail("a-early", subjectId("ann"), email("ann"), at(100));
    OutboxMail first = mail("z-first", subjectId("ann"), email("ann"), at(50));
    OutboxMail bobs = mail("bob-1", subjectId("bob"), email("bob"), at(200));
    tx(tx -> List.of(late, earlyB, bobs).forEach(tx::enqueue));
    tx(tx -> List.of(earlyA, first).forEach(tx::enqueue));

    assertEquals(List.of(first, earlyA, earlyB, late), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.mails(subjectId("bob"))));
  }

  @Test
  void countMailsThenOnlyKindAndRecipientFromSinceInclusive() {
    givenSubjects("ann", "bob");
    tx(tx -> {
      tx.enqueue(mail("c1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k1", at(100)));
      tx.enqueue(mail("c2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k2", at(200)));
      tx.enqueue(mail("c3", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k3", at(300)));
      tx.enqueue(mail("r1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "k4", at(200)));
      tx.enqueue(mail("b1", MailKind.CONFIRMATION, subjectId("bob"), email("bob"), "k5", at(200)));
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
    tx(tx -> {
      for (int i = 0; i < 4; i++) {
        tx.enqueue(mail("m" + i, subjectId("ann"), email("ann"), at(i)));
      }
    });
    List<OutboxMail> claimed = read(tx -> tx.claimMails(at(10), at(310), 3));
    tx(tx -> {
      tx.updateMail(claimed.get(0).sent(at(11)));
      tx.updateMail(claimed.get(1).failed("550 5.1.1"));
    });

    assertEquals(4, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void countMailsWhenAddressChangedThenCountsByMailRecipient() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    tx(tx -> tx.updateSubject(new Subject(subjectId("ann"), email("ann.new"), T0)));

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
    tx(tx -> List.of(m3, m1, m4, m2).forEach(tx::enqueue));

    List<OutboxMail> first = read(tx -> tx.claimMails(at(100), at(400), 3));
    List<OutboxMail> rest = read(tx -> tx.claimMails(at(100), at(400), 3));

    assertEquals(List.of(m1.claimed(at(400)), m2.claimed(at(400)), m3.claimed(at(400))), first);
    assertEquals(List.of(m4.claimed(at(400))), rest);
    assertEquals(List.of(), read(tx -> tx.claimMails(at(100), at(400), 3)));
  }

  @Test
  void renewClaimsWhenStillHeldThenNewLeaseAndNotReclaimableUntilIt() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), T0);
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(m1, m2).forEach(tx::enqueue));
    read(tx -> tx.claimMails(at(1), at(300), 10));

    int renewed = read(tx -> tx.renewClaims(List.of("m1", "m2", "m1"), at(300), at(500)));

    assertEquals(2, renewed);
    assertEquals(List.of(), read(tx -> tx.claimMails(at(300), at(600), 10)), "the old lease end no longer frees them");
    assertEquals(List.of(m1.claimed(at(800)), m2.claimed(at(800))),
        read(tx -> tx.claimMails(at(500), at(800), 10)));
  }

  @Test
  void renewClaimsWhenAnotherCallerReclaimedOrMailFinishedThenLeftAloneAndNotCounted() {
    givenSubjects("ann");
    OutboxMail taken = mail("taken", subjectId("ann"), email("ann"), T0);
    OutboxMail sent = mail("sent", subjectId("ann"), email("ann"), T0);
    OutboxMail held = mail("held", subjectId("ann"), email("ann"), at(250));
    tx(tx -> List.of(taken, sent).forEach(tx::enqueue));
    List<OutboxMail> first = read(tx -> tx.claimMails(at(1), at(300), 10));
    tx(tx -> tx.updateMail(first.stream().filter(m -> m.id().equals("sent")).findFirst().orElseThrow()
        .sent(at(2))));
    read(tx -> tx.claimMails(at(300), at(600), 10)); // "taken": its lease ran out, another caller claimed it
    tx(tx -> tx.enqueue(held));
    read(tx -> tx.claimMails(at(300), at(600), 10));

    int renewed = read(tx -> tx.renewClaims(List.of("taken", "sent", "held", "unknown"), at(300), at(900)));

    assertEquals(0, renewed, "none is held until at(300) any more");
    assertEquals(1, (int) read(tx -> tx.renewClaims(List.of("taken"), at(600), at(900))));
    List<OutboxMail> stored = read(tx -> tx.mails(subjectId("ann")));
    assertEquals(OutboxMail.Status.SENT, stored.stream().filter(m -> m.id().equals("sent")).findFirst()
        .orElseThrow().status());
    assertEquals(at(600), stored.stream().filter(m -> m.id().equals("held")).findFirst().orElseThrow().leaseUntil());
  }

  @Test
  void renewClaimsWhenNewLeaseNotAfterHeldThenIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> read(tx -> tx.renewClaims(List.of("m1"), at(300), at(300))));
  }

  @Test
  void releaseClaimsWhenHeldThenQueuedWithoutLeaseDueAsBeforeAndClaimableAtOnce() {
    givenSubjects("ann");
    OutboxMail queued = new OutboxMail("m1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "req-9", 0,
        Locale.GERMAN, List.of(NEWSLETTER), "receipt:req-9", OutboxMail.Status.QUEUED, 2, at(50), null, at(10), null,
        "421 4.7.0 try later");
    OutboxMail other = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(queued, other).forEach(tx::enqueue));
    read(tx -> tx.claimMails(at(60), at(360), 10));

    int released = read(tx -> tx.releaseClaims(List.of("m1"), at(360)));

    assertEquals(1, released);
    OutboxMail stored = read(tx -> tx.mails(subjectId("ann"))).stream().filter(m -> m.id().equals("m1"))
        .findFirst().orElseThrow();
    assertEquals(queued, stored, "queued again exactly as before the claim: attempts, due time, last error");
    assertEquals(List.of(queued.claimed(at(400))), read(tx -> tx.claimMails(at(61), at(400), 10)),
        "claimable at once, the other mail's claim untouched");
  }

  @Test
  void releaseClaimsWhenHeldByAnotherLeaseThenLeftAlone() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    read(tx -> tx.claimMails(at(1), at(300), 10));
    read(tx -> tx.claimMails(at(300), at(600), 10)); // reclaimed by another caller after the first lease ran out

    assertEquals(0, (int) read(tx -> tx.releaseClaims(List.of("m1"), at(300))));
    assertEquals(at(600), read(tx -> tx.mails(subjectId("ann"))).get(0).leaseUntil());
  }

  private static NodeRegistration node(String id, String issuer, java.time.Instant seenAt) {
    return new NodeRegistration(id, issuer, java.util.Set.of("https://shop.example/optin", "https://b\u00e4cker.example"),
        "k2", java.util.Map.of("k1", "00112233445566778899aabbccddeeff", "k2", "ffeeddccbbaa99887766554433221100"),
        T0, seenAt);
  }

  @Test
  void saveNodeThenListedByNodeIdWithEveryComponent() {
    NodeRegistration b = node("node-b", "https://bakery.example/optin", at(10));
    NodeRegistration a = new NodeRegistration("node-a", "https://bakery.example/optin", java.util.Set.of(), "k1",
        java.util.Map.of("k1", "0011223344556677"), at(1), at(2));

    tx(tx -> {
      tx.saveNode(b);
      tx.saveNode(a);
    });

    assertEquals(List.of(a, b), read(ConsentStore.Transaction::nodes));
  }

  @Test
  void saveNodeWhenSameNodeIdThenReplaced() {
    NodeRegistration first = node("node-a", "https://bakery.example/optin", at(10));
    tx(tx -> tx.saveNode(first));

    tx(tx -> tx.saveNode(first.seen(at(40))));

    assertEquals(List.of(first.seen(at(40))), read(ConsentStore.Transaction::nodes));
  }

  @Test
  void deleteNodeThenGoneAndSecondDeleteSaysSo() {
    tx(tx -> {
      tx.saveNode(node("node-a", "https://a.example", at(1)));
      tx.saveNode(node("node-b", "https://b.example", at(1)));
    });

    boolean first = read(tx -> tx.deleteNode("node-a"));
    boolean second = read(tx -> tx.deleteNode("node-a"));
    assertTrue(first);
    assertFalse(second);
    assertEquals(List.of("node-b"), read(tx -> tx.nodes().stream().map(NodeRegistration::nodeId).toList()));
  }

  @Test
  void saveNodeWhenWorkThrowsThenNothingRegistered() {
    throwAfter(tx -> tx.saveNode(node("node-a", "https://a.example", at(1))));

    assertEquals(List.of(), read(ConsentStore.Transaction::nodes));
  }

  @Test
  void claimMailsWhenLimitZeroThenNothingClaimed() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(m1));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(100), at(400), 0)));
    assertEquals(List.of(m1), read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void claimMailsThenOnlyMailsDueByNowInclusive() {
    givenSubjects("ann");
    OutboxMail due = mail("due", subjectId("ann"), email("ann"), at(100));
    OutboxMail notYet = mail("not-yet", subjectId("ann"), email("ann"), at(101));
    tx(tx -> List.of(due, notYet).forEach(tx::enqueue));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(99), at(400), 10)));
    assertEquals(List.of(due.claimed(at(400))), read(tx -> tx.claimMails(at(100), at(400), 10)));
    assertEquals(List.of(notYet.claimed(at(401))), read(tx -> tx.claimMails(at(101), at(401), 10)));
  }

  @Test
  void claimMailsThenStoredAsClaimedWithLeaseAndOtherwiseUnchanged() {
    givenSubjects("ann");
    OutboxMail queued = new OutboxMail("m-1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "req-9", 0,
        Locale.GERMAN, List.of(NEWSLETTER), "receipt:req-9", OutboxMail.Status.QUEUED, 2, at(50), null, at(10), null,
        "421 4.7.0 try later");
    tx(tx -> tx.enqueue(queued));

    List<OutboxMail> claimed = read(tx -> tx.claimMails(at(60), at(360), 10));

    assertEquals(List.of(queued.claimed(at(360))), claimed);
    OutboxMail stored = read(tx -> tx.mails(subjectId("ann"))).get(0);
    assertEquals(OutboxMail.Status.CLAIMED, stored.status());
    assertEquals(at(360), stored.leaseUntil());
    assertEquals(queued.claimed(at(360)), stored);
  }

  @Test
  void claimMailsWhenLeaseLiveThenNotClaimedAgain() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(queued));
    read(tx -> tx.claimMails(at(1), at(300), 10));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(2), at(302), 10)));
    assertEquals(List.of(), read(tx -> tx.claimMails(at(299), at(599), 10)));
  }

  @Test
  void claimMailsWhenLeaseExpiredThenReclaimedWithNewLease() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(queued));
    read(tx -> tx.claimMails(at(1), at(300), 10));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(300).minusMillis(1), at(600), 10)));
    List<OutboxMail> reclaimed = read(tx -> tx.claimMails(at(300), at(600), 10));

    assertEquals(List.of(queued.claimed(at(600))), reclaimed);
    assertEquals(List.of(queued.claimed(at(600))), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.claimMails(at(599), at(900), 10)));
  }

  @Test
  void claimMailsWhenExpiredLeasesAndQueuedMailsThenOldestDueFirst() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), at(10));
    OutboxMail m3 = mail("m3", subjectId("ann"), email("ann"), at(30));
    tx(tx -> List.of(m1, m3).forEach(tx::enqueue));
    read(tx -> tx.claimMails(at(35), at(100), 10));
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), at(20));
    OutboxMail m4 = mail("m4", subjectId("ann"), email("ann"), at(40));
    tx(tx -> List.of(m4, m2).forEach(tx::enqueue));

    List<OutboxMail> claimed = read(tx -> tx.claimMails(at(200), at(500), 3));

    assertEquals(List.of(m1.claimed(at(500)), m2.claimed(at(500)), m3.claimed(at(500))), claimed);
  }

  @Test
  void claimMailsThenSentFailedAndSkippedNeverClaimed() {
    givenSubjects("ann");
    tx(tx -> {
      tx.enqueue(mail("sent", subjectId("ann"), email("ann"), T0));
      tx.enqueue(mail("failed", subjectId("ann"), email("ann"), T0));
      tx.enqueue(mail("skipped-claimed", subjectId("ann"), email("ann"), T0));
    });
    List<OutboxMail> claimed = read(tx -> tx.claimMails(at(1), at(300), 10));
    assertEquals(3, claimed.size());
    tx(tx -> {
      tx.enqueue(mail("skipped-queued", subjectId("ann"), email("ann"), at(2)));
      for (OutboxMail m : claimed) {
        tx.updateMail(switch (m.id()) {
          case "sent" -> m.sent(at(2));
          case "failed" -> m.failed("550 5.1.1 no such user");
          default -> m.skipped("superseded");
        });
      }
    });
    tx(tx -> tx.updateMail(mail("skipped-queued", subjectId("ann"), email("ann"), at(2)).skipped("confirmed")));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(Duration.ofDays(365)), at(Duration.ofDays(366)), 10)));
    assertEquals(4, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void updateMailWhenSkippedThenStoredAsGiven() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.enqueue(queued));

    tx(tx -> tx.updateMail(queued.skipped("superseded by a resend")));

    assertEquals(List.of(queued.skipped("superseded by a resend")), read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void updateMailThenDispatchStateReplaced() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.claimMails(at(1), at(300), 10)).get(0);

    OutboxMail sent = claimed.sent(at(2));
    tx(tx -> tx.updateMail(sent));

    OutboxMail stored = read(tx -> tx.mails(subjectId("ann"))).get(0);
    assertEquals(sent, stored);
    assertEquals(OutboxMail.Status.SENT, stored.status());
    assertEquals(1, stored.attempts());
    assertEquals(at(2), stored.sentAt());
    assertNull(stored.leaseUntil());
  }

  @Test
  void updateMailsThenEachStoredAsUpdateMailWould() {
    givenSubjects("ann");
    tx(tx -> {
      tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0));
      tx.enqueue(mail("m2", subjectId("ann"), email("ann"), at(1)));
      tx.enqueue(mail("m3", subjectId("ann"), email("ann"), at(2)));
    });
    List<OutboxMail> claimed = read(tx -> tx.claimMails(at(3), at(300), 10));
    List<OutboxMail> outcomes = List.of(claimed.get(0).sent(at(4)), claimed.get(1).retryAt(at(120), "421 later"),
        claimed.get(2).failed("550 no such user"));

    tx(tx -> tx.updateMails(outcomes));

    assertEquals(outcomes, read(tx -> tx.mails(subjectId("ann"))));
    tx(tx -> tx.updateMails(List.of()));
    assertEquals(outcomes, read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void updateMailsWhenOneIsNotStoredThenStoreExceptionAndNoneChanged() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.claimMails(at(1), at(300), 10)).get(0);
    OutboxMail stranger = mail("nope", subjectId("ann"), email("ann"), T0);

    assertThrows(StoreException.class, () -> tx(tx -> tx.updateMails(List.of(claimed.sent(at(2)), stranger))));

    assertEquals(List.of(claimed), read(tx -> tx.mails(subjectId("ann"))));
  }

  @Test
  void updateMailWhenRetryScheduledThenClaimableFromNextAttemptOn() {
    givenSubjects("ann");
    tx(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    OutboxMail claimed = read(tx -> tx.claimMails(at(1), at(300), 10)).get(0);
    OutboxMail retry = claimed.retryAt(at(120), "421 4.7.0 try later");
    tx(tx -> tx.updateMail(retry));
    assertEquals(List.of(retry), read(tx -> tx.mails(subjectId("ann"))));

    assertEquals(List.of(), read(tx -> tx.claimMails(at(119), at(419), 10)));
    List<OutboxMail> again = read(tx -> tx.claimMails(at(120), at(420), 10));

    assertEquals(List.of(retry.claimed(at(420))), again);
    assertEquals(1, again.get(0).attempts());
    assertEquals("421 4.7.0 try later", again.get(0).lastError());
  }

  @Test
  void claimMailsWhenConcurrentClaimersThenNoMailTwiceAndAllClaimed() throws Exception {
    givenSubjects("ann");
    int total = 100;
    tx(tx -> {
      for (int i = 0; i < total; i++) {
        tx.enqueue(mail(String.format("m%03d", i), subjectId("ann"), email("ann"), at(i)));
      }
    });

    List<List<String>> perClaimer = concurrently(2, i -> {
      List<String> mine = new ArrayList<>();
      List<OutboxMail> batch;
      do {
        batch = read(tx -> tx.claimMails(at(1000), at(2000), 7));
        batch.forEach(m -> mine.add(m.id()));
        for (OutboxMail m : batch) {
          assertEquals(OutboxMail.Status.CLAIMED, m.status());
          assertEquals(at(2000), m.leaseUntil());
        }
      } while (!batch.isEmpty());
      return mine;
    });

    List<String> all = new ArrayList<>();
    perClaimer.forEach(all::addAll);
    assertEquals(total, all.size(), "claims in total");
    assertEquals(total, new HashSet<>(all).size(), "distinct mails claimed");
    assertTrue(read(tx -> tx.mails(subjectId("ann"))).stream()
        .allMatch(m -> m.status() == OutboxMail.Status.CLAIMED && at(2000).equals(m.leaseUntil())));
  }

  @Test
  void claimMailsWhenConcurrentClaimersAfterLeaseExpiryThenNoMailTwice() throws Exception {
    givenSubjects("ann");
    int total = 40;
    tx(tx -> {
      for (int i = 0; i < total; i++) {
        tx.enqueue(mail(String.format("m%03d", i), subjectId("ann"), email("ann"), at(i)));
      }
    });
    assertEquals(total, read(tx -> tx.claimMails(at(100), at(200), total)).size());

    List<List<String>> perClaimer = concurrently(4, i -> {
      List<String> mine = new ArrayList<>();
      List<OutboxMail> batch;
      do {
        batch = read(tx -> tx.claimMails(at(200), at(500), 3));
        batch.forEach(m -> mine.add(m.id()));
      } while (!batch.isEmpty());
      return mine;
    });

    List<String> all = new ArrayList<>();
    perClaimer.forEach(all::addAll);
    assertEquals(total, all.size());
    assertEquals(total, new HashSet<>(all).size());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Erasure, suppression, address changes
  // ---------------------------------------------------------------------------------------------------------------

  /** Stores Ann with a confirmed newsletter consent, two events, an open request and a queued mail. */
  private SubjectId annWithEverything() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      tx.insertRequest(openRequest("req-1", ann, at(0)));
      tx.saveConsent(pendingConsent(ann, NEWSLETTER, "req-1", at(0)).confirm(at(60)));
      tx.appendEvent(event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, at(0)));
      tx.appendEvent(event(ann, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)));
      tx.saveAddressChange("req-1", email("ann-new"));
      tx.enqueue(mail("m-1", ann, email("ann"), at(0)));
      return null;
    });
    return ann;
  }

  @Test
  void updateSubjectThenAddressGenerationStoredWithTheAddress() {
    givenSubjects("ann");
    Subject moved = subject("ann").movedTo(email("ann.new"));

    tx(tx -> tx.updateSubject(moved));

    assertEquals(2, read(tx -> tx.subject(subjectId("ann"))).orElseThrow().addressGeneration());
    assertEquals(Optional.of(moved), read(tx -> tx.subjectByEmail(email("ann.new"))));
    Subject back = moved.movedTo(email("ann"));
    tx(tx -> tx.updateSubject(back));
    assertEquals(Optional.of(back), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(3, back.addressGeneration());
  }

  @Test
  void saveReplacedAddressThenReadBackAndGoneWithErasure() {
    SubjectId ann = annWithEverything();
    assertEquals(Optional.empty(), read(tx -> tx.replacedAddress("req-1")));

    tx(tx -> tx.saveReplacedAddress("req-1", email("ann-old")));

    assertEquals(Optional.of(email("ann-old")), read(tx -> tx.replacedAddress("req-1")));
    assertEquals(Optional.of(email("ann-new")), read(tx -> tx.addressChange("req-1")), "the new address stays");
    tx(tx -> tx.eraseSubject(ann, true));
    assertEquals(Optional.empty(), read(tx -> tx.replacedAddress("req-1")));
  }

  @Test
  void saveReplacedAddressWhenNoAddressChangeThenStoreException() {
    givenSubjects("ann");
    tx(tx -> tx.insertRequest(openRequest("req-1", subjectId("ann"), at(0))));

    assertThrows(StoreException.class, () -> tx(tx -> tx.saveReplacedAddress("req-1", email("ann-old"))));
  }

  @Test
  void deleteStaleAddressChangesWhenUnconfirmedAndExpiredThenRowAndRequestGone() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest lapsed = openRequest("req-old", ann, at(0)); // expires at(48 h)
    PendingRequest fresh = openRequest("req-new", ann, at(Duration.ofDays(3)));
    tx(tx -> {
      tx.insertRequest(lapsed);
      tx.saveAddressChange("req-old", email("third-party"));
      tx.insertRequest(fresh);
      tx.saveAddressChange("req-new", email("other-party"));
    });
    Instant cutoff = lapsed.expiresAt().plusMillis(1);

    int deleted = read(tx -> tx.deleteStaleAddressChanges(lapsed.expiresAt(), T0, 100));
    assertEquals(0, deleted, "strictly before the cut-off");
    deleted = store.inTransaction(tx -> tx.deleteStaleAddressChanges(cutoff, T0, 100));

    assertEquals(1, deleted);
    assertEquals(Optional.empty(), read(tx -> tx.addressChange("req-old")));
    assertEquals(Optional.empty(), read(tx -> tx.request("req-old")), "the request of a third party's address too");
    assertEquals(Optional.of(email("other-party")), read(tx -> tx.addressChange("req-new")));
    assertTrue(read(tx -> tx.request("req-new")).isPresent());
  }

  @Test
  void deleteStaleAddressChangesWhenConfirmedThenKeptUntilItsCutOffAndRequestStays() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest request = openRequest("req-1", ann, at(0));
    tx(tx -> {
      tx.insertRequest(request);
      tx.saveAddressChange("req-1", email("ann-new"));
      tx.updateRequest(request.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
      tx.saveReplacedAddress("req-1", email("ann"));
    });
    Instant farFuture = at(Duration.ofDays(365));

    assertEquals(0, (int) read(tx -> tx.deleteStaleAddressChanges(farFuture, at(60), 100)));
    assertEquals(Optional.of(email("ann")), read(tx -> tx.replacedAddress("req-1")));
    assertEquals(1, (int) read(tx -> tx.deleteStaleAddressChanges(farFuture, at(61), 100)));

    assertEquals(Optional.empty(), read(tx -> tx.replacedAddress("req-1")));
    assertEquals(Optional.empty(), read(tx -> tx.addressChange("req-1")));
    assertEquals(PendingRequest.Status.CONFIRMED, read(tx -> tx.request("req-1")).orElseThrow().status());
  }

  @Test
  void deleteStaleAddressChangesThenAtMostLimit() {
    givenSubjects("ann");
    tx(tx -> {
      for (int i = 0; i < 3; i++) {
        tx.insertRequest(openRequest("req-" + i, subjectId("ann"), at(0)));
        tx.saveAddressChange("req-" + i, email("new" + i));
      }
    });
    Instant later = at(Duration.ofDays(30));

    assertEquals(2, (int) read(tx -> tx.deleteStaleAddressChanges(later, T0, 2)));
    assertEquals(1, (int) read(tx -> tx.deleteStaleAddressChanges(later, T0, 2)));
  }

  @Test
  void clearLapsedRequestEvidenceThenOnlyUnconfirmedExpiredRequestsLoseIt() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest expired = openRequest("req-expired", ann, at(0));
    PendingRequest confirmed = openRequest("req-confirmed", ann, at(0));
    PendingRequest open = openRequest("req-open", ann, at(Duration.ofDays(10)));
    tx(tx -> {
      tx.insertRequest(expired);
      tx.updateRequest(expired.withStatus(PendingRequest.Status.EXPIRED, at(Duration.ofDays(2))));
      tx.insertRequest(confirmed);
      tx.updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
      tx.insertRequest(open);
    });
    Instant cutoff = at(Duration.ofDays(9));

    int cleared = store.inTransaction(tx -> tx.clearLapsedRequestEvidence(cutoff, 100));

    assertEquals(1, cleared);
    assertEquals(Evidence.NONE, read(tx -> tx.request("req-expired")).orElseThrow().evidence());
    assertEquals(confirmed.evidence(), read(tx -> tx.request("req-confirmed")).orElseThrow().evidence());
    assertEquals(open.evidence(), read(tx -> tx.request("req-open")).orElseThrow().evidence());
    assertEquals(0, (int) store.inTransaction(tx -> tx.clearLapsedRequestEvidence(cutoff, 100)), "done once");
  }

  @Test
  void eraseSubjectWhenKeepingStubThenPersonalDataGoneAndEventsDeidentified() {
    SubjectId ann = annWithEverything();

    boolean first = store.inTransaction(tx -> tx.eraseSubject(ann, true));
    boolean second = store.inTransaction(tx -> tx.eraseSubject(ann, true));
    assertTrue(first);
    assertFalse(second, "a second erasure finds nothing");

    store.inTransaction(tx -> {
      assertTrue(tx.subject(ann).isEmpty());
      assertTrue(tx.subjectByEmail(email("ann")).isEmpty());
      assertTrue(tx.consents(ann).isEmpty());
      assertTrue(tx.request("req-1").isEmpty());
      assertTrue(tx.addressChange("req-1").isEmpty());
      assertTrue(tx.mails(ann).isEmpty());
      assertEquals(0, tx.countMails(email("ann"), MailKind.CONFIRMATION, T0));
      List<ConsentEvent> events = tx.events(ann);
      assertEquals(2, events.size());
      for (ConsentEvent e : events) {
        assertEquals(Evidence.NONE, e.evidence());
        assertNull(e.source());
        assertNull(e.tokenId());
      }
      assertEquals(ConsentEvent.Type.CONFIRMED, events.get(1).type());
      assertEquals(at(60), events.get(1).at());
      for (ConsentEvent e : events) {
        assertNull(e.seal().detailsSalt(), "the salt goes with the details");
        assertNotNull(e.seal().detailsDigest());
      }
      assertEquals(2, tx.historyHead(ann).orElseThrow().position());
      return null;
    });
    // The stub verifies but for the removed details, which only an erasure event explains.
    HistoryVerification check = read(tx -> HistoryVerifier.verify(ann, tx.events(ann), tx.historyHead(ann)));
    assertEquals(HistoryVerification.Reason.EVIDENCE_REMOVED,
        assertInstanceOf(HistoryVerification.Broken.class, check).reason());
    assertTrue(read(tx -> tx.historySubjects(null, 10)).contains(ann), "a stub's history stays listed");
  }

  @Test
  void eraseSubjectWhenKeepingStubAfterErasedEventThenChainStillVerifies() {
    SubjectId ann = annWithEverything();
    tx(tx -> {
      tx.appendEvent(new ConsentEvent(0, ann, NEWSLETTER, ConsentEvent.Type.ERASED, at(90), "req-1",
          noticeRef("notice text"), null, Channel.OPERATOR, Evidence.NONE, null));
      tx.eraseSubject(ann, true);
    });

    assertIntact(ann, 3);
  }

  @Test
  void eraseSubjectWhenNotKeepingStubThenNoEventsAndAddressReusable() {
    SubjectId ann = annWithEverything();
    store.inTransaction(tx -> {
      tx.eraseSubject(ann, false);
      return null;
    });
    store.inTransaction(tx -> {
      assertTrue(tx.events(ann).isEmpty());
      assertTrue(tx.historyHead(ann).isEmpty());
      assertFalse(tx.historySubjects(null, 10).contains(ann));
      tx.insertSubject(new Subject(subjectId("ann2"), email("ann"), at(100)));
      assertTrue(tx.enqueue(mail("m-1-again", subjectId("ann2"), email("ann"), at(100))));
      return null;
    });
  }

  @Test
  void eraseSubjectWhenUnknownThenNothingHappens() {
    annWithEverything();
    boolean erased = store.inTransaction(tx -> tx.eraseSubject(subjectId("nobody"), true));
    assertFalse(erased);
    store.inTransaction(tx -> {
      assertTrue(tx.subject(subjectId("ann")).isPresent());
      return null;
    });
  }

  @Test
  void eraseSubjectRollsBackWithItsTransaction() {
    SubjectId ann = annWithEverything();
    throwAfter(tx -> tx.eraseSubject(ann, false));
    store.inTransaction(tx -> {
      assertTrue(tx.subject(ann).isPresent());
      assertEquals(2, tx.events(ann).size());
      assertEquals("203.0.113.7", tx.events(ann).get(0).evidence().ip());
      assertEquals(1, tx.mails(ann).size());
      return null;
    });
  }

  @Test
  void eraseSubjectWhenTwoTransactionsEraseAtOnceThenExactlyOneErases() throws Exception {
    for (int round = 0; round < 5; round++) {
      String name = "twice" + round;
      store.inTransaction(tx -> {
        tx.insertSubject(subject(name));
        tx.saveConsent(pendingConsent(subjectId(name), NEWSLETTER, "r", at(0)));
        return null;
      });
      List<Boolean> results = concurrently(4, i -> store.inTransaction(tx -> tx.eraseSubject(subjectId(name), false)));
      assertEquals(1, results.stream().filter(b -> b).count(), results.toString());
    }
  }

  @Test
  void findRequestReadsTheSameRequestAsRequest() {
    store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      tx.insertRequest(openRequest("req-1", subjectId("ann"), at(0)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(tx.request("req-1"), tx.findRequest("req-1"));
      assertTrue(tx.findRequest("req-unknown").isEmpty());
      return null;
    });
  }

  @Test
  void subjectsArePagedNewestFirstAndCounted() {
    store.inTransaction(tx -> {
      tx.insertSubject(new Subject(subjectId("old"), email("old"), at(0)));
      tx.insertSubject(new Subject(subjectId("mid"), email("mid"), at(10)));
      tx.insertSubject(new Subject(subjectId("new"), email("new"), at(20)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(List.of(subjectId("new"), subjectId("mid")),
          tx.subjects(0, 2).stream().map(Subject::id).toList());
      assertEquals(List.of(subjectId("old")), tx.subjects(2, 2).stream().map(Subject::id).toList());
      assertTrue(tx.subjects(3, 2).isEmpty());
      assertEquals(3L, tx.countSubjects());
      assertEquals(email("mid"), tx.subjects(1, 1).get(0).email());
      return null;
    });
  }

  @Test
  void mailsAreCountedByStatus() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      for (String id : List.of("a", "b", "c")) {
        tx.enqueue(mail(id, ann, email("ann"), at(0)));
      }
      assertEquals(java.util.Map.of(OutboxMail.Status.QUEUED, 3L), tx.countMailsByStatus());
      return null;
    });
    store.inTransaction(tx -> {
      OutboxMail first = tx.claimMails(at(1), at(100), 1).get(0);
      tx.updateMail(first.sent(at(2)));
      return null;
    });
    store.inTransaction(tx -> {
      java.util.Map<OutboxMail.Status, Long> counts = tx.countMailsByStatus();
      assertEquals(2L, counts.get(OutboxMail.Status.QUEUED));
      assertEquals(1L, counts.get(OutboxMail.Status.SENT));
      assertNull(counts.get(OutboxMail.Status.FAILED));
      return null;
    });
  }

  @Test
  void suppressIsIdempotentAndUnsuppressRemoves() {
    String key = "ab".repeat(32);
    store.inTransaction(tx -> {
      assertFalse(tx.isSuppressed(key));
      tx.suppress(key, at(0));
      tx.suppress(key, at(10));
      assertTrue(tx.isSuppressed(key));
      assertFalse(tx.isSuppressed("cd".repeat(32)));
      return null;
    });
    store.inTransaction(tx -> {
      assertTrue(tx.isSuppressed(key));
      tx.unsuppress(key);
      tx.unsuppress(key);
      return null;
    });
    store.inTransaction(tx -> {
      assertFalse(tx.isSuppressed(key));
      return null;
    });
    throwAfter(tx -> tx.suppress(key, at(20)));
    store.inTransaction(tx -> {
      assertFalse(tx.isSuppressed(key), "rolled back");
      return null;
    });
  }

  @Test
  void addressChangeIsStoredPerRequest() {
    annWithEverything();
    store.inTransaction(tx -> {
      assertEquals(Optional.of(email("ann-new")), tx.addressChange("req-1"));
      assertTrue(tx.addressChange("req-other").isEmpty());
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Retention queries
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void openRequestsExpiredBeforeReturnsOnlyOpenExpiredOldestFirstUpToLimit() {
    store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      tx.insertRequest(openRequest("r-late", subjectId("ann"), at(100)));
      tx.insertRequest(openRequest("r-early", subjectId("ann"), at(0)));
      tx.insertRequest(openRequest("r-done", subjectId("ann"), at(0)).withStatus(PendingRequest.Status.CONFIRMED,
          at(10)));
      tx.insertRequest(openRequest("r-fresh", subjectId("ann"), at(Duration.ofDays(10))));
      return null;
    });
    Instant cutoff = at(Duration.ofHours(48)).plusSeconds(101);
    store.inTransaction(tx -> {
      assertEquals(List.of("r-early", "r-late"),
          tx.openRequestsExpiredBefore(cutoff, 10).stream().map(PendingRequest::id).toList());
      assertEquals(List.of("r-early"),
          tx.openRequestsExpiredBefore(cutoff, 1).stream().map(PendingRequest::id).toList());
      assertEquals(List.of("r-early"), tx.openRequestsExpiredBefore(at(Duration.ofHours(48)).plusMillis(1), 10)
          .stream().map(PendingRequest::id).toList());
      assertTrue(tx.openRequestsExpiredBefore(at(Duration.ofHours(48)), 10).isEmpty(), "strictly before");
      return null;
    });
  }

  @Test
  void confirmedBeforeReturnsConfirmedConsentsOfThatPurposeOnly() {
    store.inTransaction(tx -> {
      for (String name : List.of("ann", "bob", "cat")) {
        tx.insertSubject(subject(name));
      }
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "r", at(0)).confirm(at(10)));
      tx.saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "r", at(0)).confirm(at(500)));
      tx.saveConsent(pendingConsent(subjectId("cat"), NEWSLETTER, "r", at(0)));
      tx.saveConsent(pendingConsent(subjectId("cat"), OFFERS, "r", at(0)).confirm(at(5)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(List.of(subjectId("ann")),
          tx.confirmedBefore(NEWSLETTER, at(100), 10).stream().map(Consent::subjectId).toList());
      assertEquals(2, tx.confirmedBefore(NEWSLETTER, at(501), 10).size());
      assertEquals(1, tx.confirmedBefore(NEWSLETTER, at(501), 1).size());
      assertEquals(List.of(subjectId("cat")),
          tx.confirmedBefore(OFFERS, at(100), 10).stream().map(Consent::subjectId).toList());
      return null;
    });
  }

  @Test
  void dormantSubjectsAreThoseWithoutLiveConsentWhoseLastEndIsBeforeTheCutoff() {
    store.inTransaction(tx -> {
      for (String name : List.of("active", "pending", "ended", "recent", "bare")) {
        tx.insertSubject(new Subject(subjectId(name), email(name), at(0)));
      }
      tx.saveConsent(pendingConsent(subjectId("active"), NEWSLETTER, "r", at(0)).confirm(at(1)));
      tx.saveConsent(pendingConsent(subjectId("pending"), NEWSLETTER, "r", at(0)));
      tx.saveConsent(pendingConsent(subjectId("ended"), NEWSLETTER, "r", at(0)).withdraw(at(50)));
      tx.saveConsent(pendingConsent(subjectId("ended"), OFFERS, "r", at(0)).expire(at(60)));
      tx.saveConsent(pendingConsent(subjectId("recent"), NEWSLETTER, "r", at(0)).withdraw(at(500)));
      return null;
    });
    store.inTransaction(tx -> {
      Set<SubjectId> dormant = new HashSet<>(tx.dormantSubjects(at(100), 10));
      assertEquals(Set.of(subjectId("ended"), subjectId("bare")), dormant);
      assertTrue(tx.dormantSubjects(at(60), 10).contains(subjectId("bare")));
      assertFalse(tx.dormantSubjects(at(60), 10).contains(subjectId("ended")), "last end must be before");
      assertEquals(1, tx.dormantSubjects(at(1000), 1).size());
      return null;
    });
  }

  // --- set-based retention: expireOpenRequests, lapsedSignups, deleteLapsedSignups -------------------------------

  /** A subject created at {@code at(0)} with a signup: an open request at {@code requestedAt}, pending consents, and
   * a REQUESTED event per purpose sealed into its history. */
  private void signup(ConsentStore.Transaction tx, String name, String requestId, Instant requestedAt,
      PurposeId... purposes) {
    SubjectId id = subjectId(name);
    if (tx.subject(id).isEmpty()) {
      tx.insertSubject(new Subject(id, email(name), at(0)));
    }
    PendingRequest r = openRequest(requestId, id, requestedAt);
    tx.insertRequest(new PendingRequest(r.id(), id, Set.of(purposes), r.notice(), r.source(), r.evidence(),
        r.requestedAt(), r.expiresAt(), r.generation(), r.status(), r.closedAt()));
    for (PurposeId p : purposes) {
      tx.saveConsent(pendingConsent(id, p, requestId, requestedAt));
      tx.appendEvent(new ConsentEvent(0, id, p, ConsentEvent.Type.REQUESTED, requestedAt, requestId,
          noticeRef("notice text"), "signup-form", Channel.FORM, Evidence.of("198.51.100.1", "Mozilla/5.0"), null));
    }
  }

  private HistoryVerification verify(SubjectId id) {
    return read(tx -> HistoryVerifier.verify(id, tx.events(id), tx.historyHead(id)));
  }

  @Test
  void expireOpenRequestsExpiresPendingConsentsSealsEventsAndClosesRequests() {
    Instant now = at(Duration.ofDays(3));
    tx(tx -> {
      signup(tx, "ann", "r-ann", at(0), NEWSLETTER, OFFERS);
      signup(tx, "bob", "r-bob", at(Duration.ofDays(2)), NEWSLETTER);
    });

    assertEquals(1, (int) read(tx -> tx.expireOpenRequests(now, now, 10)));

    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      for (Consent c : tx.consents(ann)) {
        assertEquals(ConsentState.EXPIRED, c.state());
        assertEquals(now, c.endedAt());
      }
      assertEquals(PendingRequest.Status.EXPIRED, tx.request("r-ann").orElseThrow().status());
      assertEquals(now, tx.request("r-ann").orElseThrow().closedAt());
      List<ConsentEvent> events = tx.events(ann);
      assertEquals(4, events.size());
      for (ConsentEvent e : events.subList(2, 4)) {
        assertEquals(ConsentEvent.Type.EXPIRED, e.type());
        assertEquals(now, e.at());
        assertEquals("r-ann", e.requestId());
        assertEquals(Channel.SYSTEM, e.channel());
        assertEquals(Evidence.NONE, e.evidence());
        assertNull(e.source());
        assertNull(e.tokenId());
        assertEquals(noticeRef("notice text"), e.notice());
      }
      assertEquals(Set.of(NEWSLETTER, OFFERS), Set.of(events.get(2).purpose(), events.get(3).purpose()));
      assertEquals(4, tx.historyHead(ann).orElseThrow().position());
      assertEquals(PendingRequest.Status.OPEN, tx.request("r-bob").orElseThrow().status(), "not expired yet");
      assertEquals(ConsentState.PENDING, tx.consents(subjectId("bob")).get(0).state());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(ann));
    assertEquals(0, (int) read(tx -> tx.expireOpenRequests(now, now, 10)), "nothing left");
  }

  @Test
  void expireOpenRequestsKeepsConfirmedConsentsOfTheSameSubject() {
    Instant now = at(Duration.ofDays(5));
    SubjectId cat = subjectId("cat");
    tx(tx -> {
      signup(tx, "cat", "r-1", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(cat, NEWSLETTER).orElseThrow().confirm(at(60)));
      tx.updateRequest(tx.request("r-1").orElseThrow().withStatus(PendingRequest.Status.CONFIRMED, at(60)));
      tx.appendEvent(new ConsentEvent(0, cat, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60), "r-1",
          noticeRef("notice text"), null, Channel.FORM, Evidence.NONE, null));
      signup(tx, "cat", "r-2", at(Duration.ofDays(1)), OFFERS);
    });

    assertEquals(1, (int) read(tx -> tx.expireOpenRequests(now, now, 10)));

    store.inTransaction(tx -> {
      assertEquals(ConsentState.CONFIRMED, tx.consent(cat, NEWSLETTER).orElseThrow().state());
      assertEquals(ConsentState.EXPIRED, tx.consent(cat, OFFERS).orElseThrow().state());
      assertEquals(PendingRequest.Status.CONFIRMED, tx.request("r-1").orElseThrow().status());
      assertEquals(1, tx.events(cat).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED).count());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(cat));
  }

  @Test
  void expireOpenRequestsLeavesReconsentRequestsAndConsentsPendingForAnotherRequest() {
    Instant now = at(Duration.ofDays(5));
    SubjectId ann = subjectId("ann");
    SubjectId dan = subjectId("dan");
    tx(tx -> {
      signup(tx, "ann", "r-old", at(0), NEWSLETTER);
      // A later request took the consent over, and expired too: only it may end the consent.
      signup(tx, "ann", "r-new", at(Duration.ofDays(1)), NEWSLETTER);
      signup(tx, "dan", "r-dan", at(0), NEWSLETTER);
      PendingRequest r = tx.request("r-dan").orElseThrow();
      tx.updateRequest(new PendingRequest(r.id(), dan, r.purposes(), r.notice(), PendingRequest.RECONSENT_SOURCE,
          r.evidence(), r.requestedAt(), r.expiresAt(), r.generation(), r.status(), r.closedAt()));
    });

    assertEquals(2, (int) read(tx -> tx.expireOpenRequests(now, now, 10)));

    store.inTransaction(tx -> {
      assertEquals(PendingRequest.Status.EXPIRED, tx.request("r-old").orElseThrow().status());
      assertEquals(PendingRequest.Status.EXPIRED, tx.request("r-new").orElseThrow().status());
      List<ConsentEvent> expired = tx.events(ann).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED)
          .toList();
      assertEquals(1, expired.size(), "one event, for the request the consent was pending for");
      assertEquals("r-new", expired.get(0).requestId());
      assertEquals(PendingRequest.Status.OPEN, tx.request("r-dan").orElseThrow().status(), "re-consent: per item");
      assertEquals(ConsentState.PENDING, tx.consent(dan, NEWSLETTER).orElseThrow().state());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(ann));
  }

  @Test
  void expireOpenRequestsTakesTheOldestUpToTheLimit() {
    Instant now = at(Duration.ofDays(10));
    tx(tx -> {
      signup(tx, "ann", "r-ann", at(300), NEWSLETTER);
      signup(tx, "bob", "r-bob", at(100), NEWSLETTER);
      signup(tx, "cat", "r-cat", at(200), NEWSLETTER);
    });

    assertEquals(2, (int) read(tx -> tx.expireOpenRequests(now, now, 2)));

    store.inTransaction(tx -> {
      assertEquals(PendingRequest.Status.EXPIRED, tx.request("r-bob").orElseThrow().status());
      assertEquals(PendingRequest.Status.EXPIRED, tx.request("r-cat").orElseThrow().status());
      assertEquals(PendingRequest.Status.OPEN, tx.request("r-ann").orElseThrow().status());
      return null;
    });
    assertEquals(0, (int) read(tx -> tx.expireOpenRequests(at(Duration.ofHours(48)).plusSeconds(300), now, 10)),
        "strictly before");
    assertEquals(1, (int) read(tx -> tx.expireOpenRequests(now, now, 10)));
  }

  @Test
  void expireOpenRequestsWhenSeveralUnitsRunAtOnceThenEachRequestExpiresOnce() throws Exception {
    int n = 60;
    Instant now = at(Duration.ofDays(5));
    tx(tx -> {
      for (int i = 0; i < n; i++) {
        signup(tx, "s" + i, "r-" + i, at(i), NEWSLETTER, OFFERS);
      }
    });

    List<Integer> counts = concurrently(4, i -> {
      int total = 0;
      while (true) {
        int done = store.inTransaction(tx -> tx.expireOpenRequests(now, now, 7));
        if (done == 0) {
          return total;
        }
        total += done;
      }
    });
    // Units that found everything locked stop early; what they skipped was expired by the others.
    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    for (int i = 0; i < n; i++) {
      SubjectId id = subjectId("s" + i);
      store.inTransaction(tx -> {
        assertEquals(2, tx.events(id).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED).count());
        return null;
      });
      assertInstanceOf(HistoryVerification.Intact.class, verify(id));
    }
  }

  /** Subjects for the lapsed-signup tests, against the cut-off {@code at(Duration.ofDays(10))}. */
  private void givenSignupsAroundTheCutoff() {
    tx(tx -> {
      // Lapsed: the link ran out before the cut-off, and the purge job never marked it.
      signup(tx, "lapsed-open", "r-lo", at(0), NEWSLETTER, OFFERS);
      // Lapsed: marked expired before the cut-off.
      signup(tx, "lapsed-marked", "r-lm", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(subjectId("lapsed-marked"), NEWSLETTER).orElseThrow().expire(at(Duration.ofDays(3))));
      tx.updateRequest(tx.request("r-lm").orElseThrow().withStatus(PendingRequest.Status.EXPIRED,
          at(Duration.ofDays(3))));
      // Lapsed: declined (withdrawn without ever confirming) before the cut-off.
      signup(tx, "declined", "r-d", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(subjectId("declined"), NEWSLETTER).orElseThrow().withdraw(at(60)));
      tx.updateRequest(tx.request("r-d").orElseThrow().withStatus(PendingRequest.Status.EXPIRED, at(60)));
      // Within the grace: the link ran out after the cut-off.
      signup(tx, "in-grace", "r-ig", at(Duration.ofDays(9)), NEWSLETTER);
      // Ended within the grace.
      signup(tx, "ended-late", "r-el", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(subjectId("ended-late"), NEWSLETTER).orElseThrow().expire(at(Duration.ofDays(11))));
      // Confirmed once, withdrawn long ago: proof of consent is kept for its own period.
      signup(tx, "was-confirmed", "r-wc", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(subjectId("was-confirmed"), NEWSLETTER).orElseThrow().confirm(at(60))
          .withdraw(at(120)));
      // One confirmed purpose, one expired pending one.
      signup(tx, "mixed", "r-m1", at(0), NEWSLETTER);
      tx.saveConsent(tx.consent(subjectId("mixed"), NEWSLETTER).orElseThrow().confirm(at(60)));
      signup(tx, "mixed", "r-m2", at(100), OFFERS);
      // An old lapsed signup, and a fresh request still open.
      signup(tx, "came-back", "r-cb1", at(0), NEWSLETTER);
      signup(tx, "came-back", "r-cb2", at(Duration.ofDays(9)), OFFERS);
      // No consent at all (left to the dormant-subject step).
      tx.insertSubject(new Subject(subjectId("bare"), email("bare"), at(0)));
    });
  }

  @Test
  void lapsedSignupsListsNeverConfirmedSubjectsWhoseSignupLapsedBeforeTheCutoff() {
    givenSignupsAroundTheCutoff();
    tx(tx -> {
      // created after the cut-off, with a request that (by a clock jump) already lapsed: still too young.
      tx.insertSubject(new Subject(subjectId("young"), email("young"), at(Duration.ofDays(10))));
      tx.insertRequest(new PendingRequest("r-y", subjectId("young"), Set.of(NEWSLETTER), noticeRef("notice text"),
          null, Evidence.NONE, at(0), at(60), 1, PendingRequest.Status.OPEN, null));
      tx.saveConsent(pendingConsent(subjectId("young"), NEWSLETTER, "r-y", at(0)));
    });
    Instant cutoff = at(Duration.ofDays(10));

    List<SubjectId> all = read(tx -> tx.lapsedSignups(cutoff, null, 100));

    assertEquals(Set.of(subjectId("lapsed-open"), subjectId("lapsed-marked"), subjectId("declined")),
        new HashSet<>(all));
    assertEquals(3, all.size());
    List<SubjectId> paged = new ArrayList<>(read(tx -> tx.lapsedSignups(cutoff, null, 2)));
    assertEquals(2, paged.size());
    paged.addAll(read(tx -> tx.lapsedSignups(cutoff, paged.get(1), 2)));
    assertEquals(all, paged, "pages continue after the last id, in the store's order");
    assertEquals(List.of(subjectId("declined")), read(tx -> tx.lapsedSignups(at(Duration.ofHours(48)), null, 100)),
        "the link must have run out, or the consent ended, strictly before the cut-off");
  }

  @Test
  void deleteLapsedSignupsDeletesWhatEraseSubjectWouldAndLeavesTheOthers() {
    givenSignupsAroundTheCutoff();
    SubjectId lapsed = subjectId("lapsed-open");
    tx(tx -> {
      tx.enqueue(mail("m-lapsed", lapsed, email("lapsed-open"), at(0)));
      tx.saveAddressChange("r-lo", email("elsewhere"));
    });
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> everyone = read(tx -> tx.subjects(Set.of(), Set.of(), null, 100));
    assertEquals(9, everyone.size());

    assertEquals(3, (int) read(tx -> tx.deleteLapsedSignups(everyone, cutoff)));

    store.inTransaction(tx -> {
      for (String name : List.of("lapsed-open", "lapsed-marked", "declined")) {
        SubjectId id = subjectId(name);
        assertTrue(tx.subject(id).isEmpty(), name);
        assertTrue(tx.subjectByEmail(email(name)).isEmpty(), name);
        assertTrue(tx.consents(id).isEmpty(), name);
        assertTrue(tx.events(id).isEmpty(), "no proof is needed of a consent never given: " + name);
        assertTrue(tx.historyHead(id).isEmpty(), name);
        assertTrue(tx.openRequests(id).isEmpty(), name);
        assertTrue(tx.mails(id).isEmpty(), name);
        assertFalse(tx.historySubjects(null, 100).contains(id), name);
      }
      assertTrue(tx.request("r-lo").isEmpty());
      assertTrue(tx.addressChange("r-lo").isEmpty());
      assertEquals(0, tx.countMails(email("lapsed-open"), MailKind.CONFIRMATION, T0));
      for (String name : List.of("in-grace", "ended-late", "was-confirmed", "mixed", "came-back", "bare")) {
        assertTrue(tx.subject(subjectId(name)).isPresent(), name);
      }
      SubjectId mixed = subjectId("mixed");
      assertEquals(ConsentState.CONFIRMED, tx.consent(mixed, NEWSLETTER).orElseThrow().state(),
          "a confirmed consent is never touched");
      assertEquals(ConsentState.PENDING, tx.consent(mixed, OFFERS).orElseThrow().state());
      assertEquals(2, tx.events(mixed).size());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("mixed")));
    assertEquals(0, (int) read(tx -> tx.deleteLapsedSignups(everyone, cutoff)), "nothing left to delete");
    assertTrue(read(tx -> tx.lapsedSignups(cutoff, null, 100)).isEmpty());
  }

  @Test
  void deleteLapsedSignupsChecksAgainSoASubjectThatSignedUpSinceIsKept() {
    givenSignupsAroundTheCutoff();
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> listed = read(tx -> tx.lapsedSignups(cutoff, null, 100));
    tx(tx -> {
      tx.lockHistory(subjectId("lapsed-marked"));
      signup(tx, "lapsed-marked", "r-again", at(Duration.ofDays(9)), NEWSLETTER);
    });

    assertEquals(2, (int) read(tx -> tx.deleteLapsedSignups(listed, cutoff)));

    assertTrue(read(tx -> tx.subject(subjectId("lapsed-marked"))).isPresent());
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("lapsed-marked")));
  }

  @Test
  void deleteLapsedSignupsWhenSeveralUnitsRunAtOnceThenEachSubjectIsDeletedOnce() throws Exception {
    int n = 40;
    tx(tx -> {
      for (int i = 0; i < n; i++) {
        signup(tx, "gone" + i, "r-" + i, at(i), NEWSLETTER);
      }
    });
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> ids = read(tx -> tx.lapsedSignups(cutoff, null, 1000));
    assertEquals(n, ids.size());

    List<Integer> counts = concurrently(4, i -> {
      int total = 0;
      for (int round = 0; round < 3; round++) {
        total += store.inTransaction(tx -> tx.deleteLapsedSignups(ids, cutoff));
      }
      return total;
    });

    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(0L, (long) read(ConsentStore.Transaction::countSubjects));
  }

  @Test
  void deleteLapsedSignupsRefusesMoreThanAThousandIds() {
    List<SubjectId> many = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      many.add(subjectId("x" + i));
    }
    assertThrows(IllegalArgumentException.class, () -> read(tx -> tx.deleteLapsedSignups(many, T0)));
    assertEquals(0, (int) read(tx -> tx.deleteLapsedSignups(List.of(), T0)));
  }

  @Test
  void deleteUsedTokensRemovesOnlyExpiredOnesUpToLimit() {
    store.inTransaction(tx -> {
      tx.useToken("old-1", at(10));
      tx.useToken("old-2", at(20));
      tx.useToken("live", at(1000));
      return null;
    });
    assertEquals(1, (int) store.inTransaction(tx -> tx.deleteUsedTokens(at(100), 1)));
    assertEquals(1, (int) store.inTransaction(tx -> tx.deleteUsedTokens(at(100), 10)));
    assertEquals(0, (int) store.inTransaction(tx -> tx.deleteUsedTokens(at(100), 10)));
    store.inTransaction(tx -> {
      assertFalse(tx.useToken("live", at(1000)), "a live token stays used");
      assertTrue(tx.useToken("old-1", at(2000)), "a purged id is unknown again");
      return null;
    });
  }

  @Test
  void deleteFinishedMailsKeepsQueuedAndClaimedOnes() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      tx.insertSubject(subject("ann"));
      for (String id : List.of("sent", "failed", "skipped", "queued", "claimed", "sent-late")) {
        tx.enqueue(mail(id, ann, email("ann"), id.equals("sent-late") ? at(500) : at(0)));
      }
      return null;
    });
    store.inTransaction(tx -> {
      for (OutboxMail m : tx.claimMails(at(1), at(100), 10)) {
        switch (m.id()) {
          case "sent", "sent-late" -> tx.updateMail(m.sent(at(2)));
          case "failed" -> tx.updateMail(m.failed("SMTP 550"));
          case "skipped" -> tx.updateMail(m.skipped("superseded"));
          case "queued" -> tx.updateMail(m.retryAt(at(3), "SMTP 451"));
          default -> { }
        }
      }
      return null;
    });
    assertEquals(3, (int) store.inTransaction(tx -> tx.deleteFinishedMails(at(400), 10)));
    store.inTransaction(tx -> {
      assertEquals(Set.of("queued", "claimed", "sent-late"),
          new HashSet<>(tx.mails(ann).stream().map(OutboxMail::id).toList()));
      assertEquals(3, tx.countMails(email("ann"), MailKind.CONFIRMATION, T0));
      assertTrue(tx.enqueue(mail("sent", ann, email("ann"), at(600))), "dedupe key of a purged mail is free");
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Breach register, audiences, campaigns
  // ---------------------------------------------------------------------------------------------------------------

  private static Incident incident(String id, Instant discoveredAt, Set<org.optin4j.PurposeId> purposes) {
    return new Incident(id, discoveredAt, discoveredAt.plusSeconds(600), "Backup copy left on a public bucket.\n"
        + "Second line, \u00fcnicode.", List.of("email address", "consent history"), List.of("newsletter subscribers"),
        purposes, Incident.Status.OPEN, null, null, null);
  }

  @Test
  void saveIncidentThenFoundWithEveryComponentAndReplacedOnUpdate() {
    Incident open = incident("inc-1", at(0), Set.of(NEWSLETTER, OFFERS));
    tx(tx -> tx.saveIncident(open));
    assertEquals(Optional.of(open), read(tx -> tx.incident("inc-1")));

    Incident notified = open.authorityNotified(at(3600)).withSubjectNotice(
        new Incident.SubjectNotice("About your data", "What happened.\n\nWhat we did.", at(7200)));
    tx(tx -> tx.saveIncident(notified));
    assertEquals(Optional.of(notified), read(tx -> tx.incident("inc-1")));
    Incident closed = notified.closed(at(9000));
    tx(tx -> tx.saveIncident(closed));
    assertEquals(Optional.of(closed), read(tx -> tx.incident("inc-1")));
    assertEquals(Optional.empty(), read(tx -> tx.incident("inc-2")));
  }

  @Test
  void incidentsThenLatestDiscoveryFirstAndAllPurposesKeptAsEmpty() {
    Incident all = incident("inc-all", at(100), Set.of());
    Incident older = incident("inc-old", at(50), Set.of(SURVEYS));
    tx(tx -> {
      tx.saveIncident(older);
      tx.saveIncident(all);
    });

    assertEquals(List.of(all, older), read(ConsentStore.Transaction::incidents));
    assertTrue(read(tx -> tx.incident("inc-all")).orElseThrow().affectsEverySubject());
  }

  @Test
  void saveIncidentWhenWorkThrowsThenNothingKept() {
    throwAfter(tx -> tx.saveIncident(incident("inc-1", at(0), Set.of())));

    assertEquals(List.of(), read(ConsentStore.Transaction::incidents));
  }

  @Test
  void subjectsThenEveryoneOrThoseWithConsentsForPurposesInStatesEachOnceInPages() {
    givenSubjects("ann", "bob", "cy", "dee", "eve");
    tx(tx -> {
      tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "r1", T0).confirm(at(1)));
      tx.saveConsent(pendingConsent(subjectId("ann"), OFFERS, "r1", T0).confirm(at(1)));
      tx.saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "r2", T0).withdraw(at(2)));
      tx.saveConsent(pendingConsent(subjectId("cy"), OFFERS, "r3", T0));
      tx.saveConsent(pendingConsent(subjectId("dee"), SURVEYS, "r4", T0).confirm(at(1)));
    });

    assertEquals(Set.of("ann", "bob", "cy", "dee", "eve"), names(pages(Set.of(), Set.of(), 2)));
    assertEquals(Set.of("ann", "bob", "cy"), names(pages(Set.of(NEWSLETTER, OFFERS), Set.of(), 2)));
    assertEquals(Set.of("ann"), names(pages(Set.of(NEWSLETTER, OFFERS), Set.of(ConsentState.CONFIRMED), 1)));
    assertEquals(Set.of("ann", "cy"),
        names(pages(Set.of(OFFERS), Set.of(ConsentState.CONFIRMED, ConsentState.PENDING), 1)));
    assertEquals(Set.of(), names(pages(Set.of(SURVEYS), Set.of(ConsentState.WITHDRAWN), 3)));
  }

  private List<SubjectId> pages(Set<org.optin4j.PurposeId> purposes, Set<ConsentState> states, int size) {
    List<SubjectId> all = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = read(tx -> tx.subjects(purposes, states, from, size));
      assertTrue(page.size() <= size);
      all.addAll(page);
      if (page.size() < size) {
        assertEquals(all.size(), new HashSet<>(all).size(), "each subject once: " + all);
        return all;
      }
      after = page.get(page.size() - 1);
    }
  }

  private static Set<String> names(List<SubjectId> ids) {
    Set<String> names = new HashSet<>();
    ids.forEach(id -> names.add(id.value().replaceAll("-+$", "")));
    return names;
  }

  @Test
  void insertCampaignThenFoundAndDuplicateIdRefused() {
    Campaign c = new Campaign("camp-1", NEWSLETTER, "Bread of the month", "Rye.\n\nSpelt.", "<p>Rye</p>", at(5));
    Campaign textOnly = new Campaign("camp-2", OFFERS, "Offers", "Cheap rolls.", null, at(6));
    tx(tx -> {
      tx.insertCampaign(c);
      tx.insertCampaign(textOnly);
    });

    assertEquals(Optional.of(c), read(tx -> tx.campaign("camp-1")));
    assertEquals(Optional.of(textOnly), read(tx -> tx.campaign("camp-2")));
    assertEquals(Optional.empty(), read(tx -> tx.campaign("camp-3")));
    assertThrows(DuplicateKeyException.class, () -> tx(tx -> tx.insertCampaign(c)));
  }

  @Test
  void countMailsByStatusThenCountsTheMailsOfOneRequestIdByStatus() {
    givenSubjects("ann", "bob");
    tx(tx -> {
      tx.enqueue(OutboxMail.queued("m1", MailKind.CAMPAIGN, subjectId("ann"), email("ann"), "camp-1", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d1", at(0)));
      tx.enqueue(OutboxMail.queued("m2", MailKind.CAMPAIGN, subjectId("bob"), email("bob"), "camp-1", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d2", at(0)));
      tx.enqueue(OutboxMail.queued("m3", MailKind.CAMPAIGN, subjectId("bob"), email("bob"), "camp-2", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d3", at(0)));
    });
    tx(tx -> {
      List<OutboxMail> claimed = tx.claimMails(at(1), at(100), 1);
      tx.updateMail(claimed.get(0).sent(at(2)));
    });

    java.util.Map<OutboxMail.Status, Integer> counts = read(tx -> tx.countMailsByStatus("camp-1"));
    assertEquals(2, counts.values().stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(java.util.Map.of(), read(tx -> tx.countMailsByStatus("camp-9")));
    assertEquals(java.util.Map.of(OutboxMail.Status.QUEUED, 1), read(tx -> tx.countMailsByStatus("camp-2")));
  }

  @Test
  void saveRightsRequestThenFoundReplacedAndOpenOnesListedByDeadline() {
    RightsRequest late = RightsRequest.received("rr-1", subjectId("ann"), RightsRequest.Type.ERASURE, at(100));
    RightsRequest early = RightsRequest.received("rr-2", subjectId("bob"), RightsRequest.Type.ACCESS, at(50));
    RightsRequest done = RightsRequest.received("rr-3", subjectId("cy"), RightsRequest.Type.WITHDRAWAL, at(10))
        .completed(at(20), "withdrawn: [newsletter]");
    tx(tx -> {
      tx.saveRightsRequest(late);
      tx.saveRightsRequest(early);
      tx.saveRightsRequest(done);
    });

    assertEquals(Optional.of(late), read(tx -> tx.rightsRequest("rr-1")));
    assertEquals(Optional.of(done), read(tx -> tx.rightsRequest("rr-3")));
    assertEquals(Optional.empty(), read(tx -> tx.rightsRequest("rr-9")));
    assertEquals(List.of(early, late), read(ConsentStore.Transaction::openRightsRequests));

    RightsRequest extended = early.extendedDeadline();
    tx(tx -> tx.saveRightsRequest(extended));
    assertEquals(List.of(late, extended), read(ConsentStore.Transaction::openRightsRequests));
    tx(tx -> tx.saveRightsRequest(late.completed(at(200), "subject erased")));
    assertEquals(List.of(extended), read(ConsentStore.Transaction::openRightsRequests));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------------------------

  /**
   * Runs a unit of work that returns nothing.
   *
   * @param work the work
   */
  protected final void tx(Consumer<ConsentStore.Transaction> work) {
    store.inTransaction(tx -> {
      work.accept(tx);
      return null;
    });
  }

  /**
   * Runs a unit of work and returns its result.
   *
   * @param work the work
   * @param <T> the result type
   * @return the result
   */
  protected final <T> T read(Function<ConsentStore.Transaction, T> work) {
    return store.inTransaction(work);
  }

  /**
   * Inserts fixture subjects ({@link StoreFixtures#subject(String)}) in one transaction.
   *
   * @param names the names
   */
  protected final void givenSubjects(String... names) {
    tx(tx -> {
      for (String name : names) {
        tx.insertSubject(subject(name));
      }
    });
  }

  /**
   * Runs a unit of work that answers yes or no.
   *
   * @param work the work
   * @return the answer
   */
  protected final boolean flag(Function<ConsentStore.Transaction, Boolean> work) {
    return store.inTransaction(work);
  }

  /**
   * Counts mails in a transaction of its own.
   *
   * @param recipient the address
   * @param kind the kind
   * @param since the start of the window
   * @return the count
   */
  protected final int count(EmailAddress recipient, MailKind kind, Instant since) {
    return store.inTransaction(tx -> tx.countMails(recipient, kind, since));
  }

  /**
   * Asserts that a subject's history verifies with the given number of events.
   *
   * @param id the subject
   * @param events the expected number of events
   */
  protected final void assertIntact(SubjectId id, int events) {
    HistoryVerification check = read(tx -> HistoryVerifier.verify(id, tx.events(id), tx.historyHead(id)));
    assertEquals(new HistoryVerification.Intact(id, events,
        read(tx -> tx.historyHead(id)).map(HistoryHead::hash).orElse(ConsentEvent.Seal.GENESIS)), check);
  }

  private void throwAfter(Consumer<ConsentStore.Transaction> work) {
    RuntimeException boom = new RuntimeException("boom");
    RuntimeException caught = assertThrows(RuntimeException.class, () -> store.inTransaction(tx -> {
      work.accept(tx);
      throw boom;
    }));
    assertSame(boom, caught);
  }

  private void writeAnnAndRenameBob(ConsentStore.Transaction tx, Notice candidate) {
    tx.insertSubject(subject("ann"));
    tx.updateSubject(new Subject(subjectId("bob"), email("bob2"), T0));
    tx.saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    tx.appendEvent(event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
    tx.saveNotice(candidate);
    tx.insertRequest(openRequest("req-1", subjectId("ann"), T0));
    assertTrue(tx.useToken("jti-1", at(3600)));
    assertTrue(tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
  }

  private void assertNoTraceOfTheUnit(Notice candidate) {
    assertEquals(Optional.empty(), read(tx -> tx.subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("bob")), read(tx -> tx.subjectByEmail(email("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjectByEmail(email("bob2"))));
    assertEquals(List.of(), read(tx -> tx.consents(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.events(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.notice(candidate.hash())));
    assertEquals(Optional.empty(), read(tx -> tx.request("req-1")));
    assertEquals(List.of(), read(tx -> tx.openRequests(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(List.of(), read(tx -> tx.claimMails(at(1), at(301), 10)));
    // Nothing was used or taken: the same writes succeed now.
    assertTrue(flag(tx -> tx.useToken("jti-1", at(3600))));
    assertEquals(1, read(tx -> tx.saveNotice(candidate)).version());
    givenSubjects("ann");
    assertTrue(flag(tx -> tx.enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));
    tx(tx -> tx.insertRequest(openRequest("req-1", subjectId("ann"), T0)));
  }

  /**
   * Runs a task on several threads at once (released together by a start gate) and returns their results in thread
   * order. Fails on the first task that threw, or if the tasks do not finish within a minute.
   *
   * @param threads how many
   * @param task the task, given the thread index
   * @param <T> the result type
   * @return the results
   * @throws Exception if a task failed
   */
  protected static <T> List<T> concurrently(int threads, IndexedTask<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int index = i;
        Callable<T> c = () -> {
          ready.countDown();
          await(start);
          return task.run(index);
        };
        futures.add(pool.submit(c));
      }
      assertTrue(ready.await(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "threads did not start");
      start.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A task of {@link #concurrently}.
   *
   * @param <T> the result type
   */
  @FunctionalInterface
  protected interface IndexedTask<T> {
    /**
     * Runs the task.
     *
     * @param index the thread index, from 0
     * @return the result
     * @throws Exception on failure
     */
    T run(int index) throws Exception;
  }

  private static void await(CountDownLatch latch) throws InterruptedException {
    assertTrue(latch.await(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "start gate not opened");
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }

}
