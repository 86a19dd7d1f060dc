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
import org.optin4j.internal.HistoryChain;
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
      tx.subjects().insertSubject(subject("ann"));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    });

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.subjects().consents(subjectId("ann"))).size());
  }

  @Test
  void inTransactionThenWorkSeesItsOwnWrites() {
    tx(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      assertEquals(Optional.of(subject("ann")), tx.subjects().subjectByEmail(email("ann")));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      assertEquals(1, tx.subjects().consents(subjectId("ann")).size());
      tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0));
      assertTrue(tx.requests().request("req-1").isPresent());
      assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
      assertEquals(1, tx.outbox().mails(subjectId("ann")).size());
      assertEquals(1, tx.outbox().countMails(email("ann"), MailKind.CONFIRMATION, T0));
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
      tx.subjects().insertSubject(subject("ann"));
      throw new IllegalStateException("boom");
    }));

    tx(tx -> tx.subjects().insertSubject(subject("ann")));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
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
              tx.subjects().insertSubject(subject("first" + n));
              tx.subjects().insertSubject(subject("second" + n));
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
            boolean torn1 = read(tx -> tx.subjects().subjectByEmail(email("second" + n)).isPresent()
                && tx.subjects().subject(subjectId("first" + n)).isEmpty());
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
    assertTrue(read(tx -> tx.subjects().subject(subjectId("second" + (units - 1)))).isPresent());
  }

  // --- rollback of each kind of change to existing rows ---

  @Test
  void updateSubjectWhenWorkThrowsThenAddressRestored() {
    givenSubjects("ann");

    throwAfter(tx -> tx.subjects().updateSubject(new Subject(subjectId("ann"), email("ann2"), T0)));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann2"))));
    tx(tx -> tx.subjects().insertSubject(subject("ann2")));
  }

  @Test
  void saveConsentWhenWorkThrowsThenPreviousConsentRestored() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.subjects().saveConsent(pending));

    throwAfter(tx -> {
      tx.subjects().saveConsent(pending.confirm(at(60)));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-1", T0));
    });

    assertEquals(List.of(pending), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(Optional.of(pending), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("ann"), OFFERS)));
  }

  @Test
  void appendEventWhenWorkThrowsThenEventGoneAndLaterSequencesStillIncrease() {
    givenSubjects("ann");
    ConsentEvent first = read(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER,
        ConsentEvent.Type.REQUESTED,
        T0)));

    throwAfter(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(60))));
    ConsentEvent third = read(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER,
        ConsentEvent.Type.WITHDRAWN,
        at(120))));

    assertEquals(List.of(first, third), read(tx -> tx.history().events(subjectId("ann"))));
    assertTrue(third.sequence() > first.sequence());
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
  void updateRequestWhenWorkThrowsThenPreviousRequestRestored() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));

    throwAfter(tx -> tx.requests().updateRequest(
        open.nextGeneration(at(7200)).withStatus(PendingRequest.Status.CONFIRMED, at(60))));

    assertEquals(Optional.of(open), read(tx -> tx.requests().request("req-1")));
    assertEquals(List.of(open), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void useTokenWhenWorkThrowsThenTokenUnusedAfterwards() {
    throwAfter(tx -> assertTrue(tx.requests().useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
  }

  @Test
  void enqueueWhenWorkThrowsThenMailGoneAndDedupeKeyFree() {
    givenSubjects("ann");

    throwAfter(tx -> assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));

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
    assertEquals(List.of(queued.claimed(at(302))), read(tx -> tx.outbox().claimMails(at(2), at(302), 10)));
  }

  @Test
  void updateMailWhenWorkThrowsThenPreviousStateRestored() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(301), 10)).get(0);

    throwAfter(tx -> tx.outbox().updateMail(claimed.sent(at(2))));

    assertEquals(List.of(claimed), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(List.of(claimed.claimed(at(601))), read(tx -> tx.outbox().claimMails(at(301), at(601), 10)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Subjects
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void subjectByEmailWhenLocalPartNotAsciiThenStoredAndFoundExactly() {
    // RFC 6531 local parts are stored as UTF-8 text and compared exactly: "zoë" is neither "zoe" nor "zoë" in NFD.
    EmailAddress zoe = EmailAddress.parse("zoë@bücher.example");
    tx(tx -> {
      tx.subjects().insertSubject(new Subject(subjectId("zoe"), zoe, T0));
      tx.subjects().insertSubject(new Subject(subjectId("plain"), EmailAddress.parse("zoe@bücher.example"), T0));
    });

    assertEquals(Optional.of(new Subject(subjectId("zoe"), zoe, T0)), read(tx -> tx.subjects().subjectByEmail(zoe)));
    assertEquals("zoë@xn--bcher-kva.example",
        read(tx -> tx.subjects().subject(subjectId("zoe"))).orElseThrow().email().value());
    assertEquals(subjectId("plain"),
        read(tx -> tx.subjects().subjectByEmail(EmailAddress.parse("zoe@xn--bcher-kva.example"))).orElseThrow().id());
  }

  @Test
  void subjectWhenUnknownThenEmpty() {
    givenSubjects("ann");

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
  }

  @Test
  void readThenSeesWhatWasCommittedAndReturnsTheWorksResult() {
    givenSubjects("ann");
    tx(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    assertEquals(Optional.of(subject("ann")), store.read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(1, store.read(tx -> tx.history().events(subjectId("ann"))).size());
    assertEquals(1, store.read(tx -> tx.history().head(subjectId("ann"))).orElseThrow().position());
  }

  @Test
  void readWhenWorkWritesThenIllegalStateAndNothingIsWritten() {
    givenSubjects("ann");
    List<java.util.function.Consumer<ConsentStore.Transaction>> writes = List.of(
        tx -> tx.subjects().insertSubject(subject("bob")),
        tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)),
        tx -> tx.history().lock(subjectId("ann")),
        tx -> tx.requests().useToken("jti-1", at(3600)),
        tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)),
        tx -> tx.outbox().claimMails(at(1), at(301), 10),
        tx -> tx.outbox().renewClaims(List.of("m1"), at(301), at(601)),
        tx -> tx.outbox().releaseClaims(List.of("m1"), at(301)),
        tx -> tx.registers().saveNode(node("node-a", "https://a.example", at(1))),
        tx -> tx.subjects().suppress("key", T0),
        tx -> tx.subjects().eraseSubject(subjectId("ann"), false));
    for (var write : writes) {
      assertThrows(IllegalStateException.class, () -> store.read(tx -> {
        write.accept(tx);
        return null;
      }));
    }

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
    boolean firstUse = read(tx -> tx.requests().useToken("jti-1", at(3600)));
    assertTrue(firstUse, "the token was not used by the refused unit");
    assertEquals(List.of(), read(tx -> tx.outbox().mails(subjectId("ann"))));
    boolean suppressed = read(tx -> tx.subjects().isSuppressed("key"));
    assertFalse(suppressed);
    assertTrue(read(tx -> tx.subjects().subject(subjectId("ann"))).isPresent());
  }

  @Test
  void readWhenWorkThrowsThenSameExceptionPropagates() {
    IllegalArgumentException thrown = new IllegalArgumentException("boom");

    assertSame(thrown, assertThrows(IllegalArgumentException.class, () -> store.read(tx -> {
      throw thrown;
    })));
    assertEquals(0L, read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects()));
  }

  @Test
  void insertSubjectThenFoundByIdAndByEmail() {
    Subject ann = new Subject(subjectId("ann"), email("ann"), at(Duration.ofDays(3).plusSeconds(7)));

    tx(tx -> tx.subjects().insertSubject(ann));

    assertEquals(Optional.of(ann), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.of(ann), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenEmailTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class,
        () -> tx(tx -> tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), at(60)))));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("other"))));
  }

  @Test
  void insertSubjectWhenIdTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class,
        () -> tx(tx -> tx.subjects().insertSubject(new Subject(subjectId("ann"), email("other"), at(60)))));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("other"))));
  }

  @Test
  void insertSubjectWhenEmailTakenInSameTransactionThenDuplicateKeyAndNothingKept() {
    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateThenEarlierWritesOfTheUnitRolledBack() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.subjects().insertSubject(subject("bob"));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateSwallowedByWorkThenUnitStillRolledBack() {
    givenSubjects("ann");

    // DuplicateKeyException promises "the transaction is rolled back": catching it must not save the unit's other
    // writes. Whether inTransaction then throws (a StoreException) or returns is left to the store.
    try {
      tx(tx -> {
        tx.subjects().insertSubject(subject("bob"));
        try {
          tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
          fail("expected a DuplicateKeyException");
        } catch (DuplicateKeyException expected) {
          // swallowed on purpose
        }
      });
    } catch (StoreException acceptable) {
      // the store reported the rollback
    }

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenConcurrentSignupsOfOneAddressThenExactlyOneWins() throws Exception {
    int threads = 8;
    List<Boolean> won = concurrently(threads, i -> {
      try {
        tx(tx -> tx.subjects().insertSubject(new Subject(subjectId("racer" + i), email("ann"), T0)));
        return true;
      } catch (DuplicateKeyException lost) {
        return false;
      }
    });

    assertEquals(1, won.stream().filter(w -> w).count());
    SubjectId winner = subjectId("racer" + won.indexOf(true));
    assertEquals(Optional.of(winner), read(tx -> tx.subjects().subjectByEmail(email("ann"))).map(Subject::id));
  }

  @Test
  void updateSubjectThenFoundByNewAddressAndOldAddressFree() {
    givenSubjects("ann");
    Subject moved = new Subject(subjectId("ann"), email("ann.new"), T0);

    tx(tx -> tx.subjects().updateSubject(moved));

    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subjectByEmail(email("ann.new"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    Subject newcomer = new Subject(subjectId("newcomer"), email("ann"), at(60));
    tx(tx -> tx.subjects().insertSubject(newcomer));
    assertEquals(Optional.of(newcomer), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenSameAddressThenUnchanged() {
    givenSubjects("ann");

    tx(tx -> tx.subjects().updateSubject(subject("ann")));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenThenDuplicateKeyAndRollback() {
    givenSubjects("ann", "bob");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.subjects().insertSubject(subject("cid"));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
      tx.subjects().updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
    }));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.of(subject("bob")), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("cid"))));
    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenEarlierInSameTransactionThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(DuplicateKeyException.class, () -> tx(tx -> {
      tx.subjects().insertSubject(subject("bob"));
      tx.subjects().updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
    }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Consents
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void consentsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
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
      tx.subjects().saveConsent(restricted);
      tx.subjects().saveConsent(withdrawn);
      tx.subjects().saveConsent(expired);
    });

    assertEquals(Optional.of(restricted), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(Optional.of(withdrawn), read(tx -> tx.subjects().consent(subjectId("ann"), OFFERS)));
    assertEquals(Optional.of(expired), read(tx -> tx.subjects().consent(subjectId("ann"), SURVEYS)));
  }

  @Test
  void saveConsentWhenSameSubjectAndPurposeThenReplaced() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.subjects().saveConsent(pending));

    Consent confirmed = pending.confirm(at(60));
    tx(tx -> tx.subjects().saveConsent(confirmed));
    Consent withdrawn = confirmed.withdraw(at(120));
    tx(tx -> tx.subjects().saveConsent(withdrawn));

    assertEquals(List.of(withdrawn), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(Optional.of(withdrawn), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
  }

  @Test
  void saveConsentWhenReplacedInSameTransactionThenLastWins() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);

    tx(tx -> {
      tx.subjects().saveConsent(pending);
      tx.subjects().saveConsent(pending.confirm(at(60)));
    });

    assertEquals(List.of(pending.confirm(at(60))), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void consentsThenOrderedByPurposeId() {
    givenSubjects("ann");

    tx(tx -> {
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), SURVEYS, "req-1", T0));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    });
    tx(tx -> tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-2", at(1))));

    assertEquals(List.of(NEWSLETTER, OFFERS, SURVEYS),
        read(tx -> tx.subjects().consents(subjectId("ann"))).stream().map(Consent::purpose).toList());
  }

  @Test
  void consentsThenOnlyThoseOfTheSubject() {
    givenSubjects("ann", "bob");
    Consent anns = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    Consent bobs = pendingConsent(subjectId("bob"), NEWSLETTER, "req-2", T0);

    tx(tx -> {
      tx.subjects().saveConsent(anns);
      tx.subjects().saveConsent(bobs);
    });

    assertEquals(List.of(anns), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.subjects().consents(subjectId("bob"))));
    assertEquals(Optional.of(bobs), read(tx -> tx.subjects().consent(subjectId("bob"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("bob"), OFFERS)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void eventsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
  }

  @Test
  void appendEventThenPositiveSequenceAssignedAndEverythingElseKept() {
    givenSubjects("ann");
    ConsentEvent event = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);

    ConsentEvent stored = read(tx -> HistoryChain.append(tx.history(), event));

    assertTrue(stored.sequence() > 0, "sequence " + stored.sequence());
    assertEquals(event.withSequence(stored.sequence()), stored.withSeal(null));
    assertEquals(1, stored.seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, stored.seal().previousHash());
    assertEquals(List.of(stored), read(tx -> tx.history().events(subjectId("ann"))));
  }

  @Test
  void appendEventThenSequencesStrictlyIncreaseAcrossSubjectsAndTransactions() {
    givenSubjects("ann", "bob");
    List<Long> sequences = new ArrayList<>();

    tx(tx -> {
      sequences.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED,
          T0)).sequence());
      sequences.add(HistoryChain.append(tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED,
          T0)).sequence());
      sequences.add(HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED,
          T0)).sequence());
    });
    tx(tx -> sequences.add(
        HistoryChain.append(tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
            at(60))).sequence()));
    tx(tx -> sequences.add(
        HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
            at(60))).sequence()));

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
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED,
          at(500))));
      HistoryChain.append(tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(1)));
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED,
          at(400))));
    });
    tx(tx -> anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(300)))));
    tx(tx -> HistoryChain.append(tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(2))));

    assertEquals(anns, read(tx -> tx.history().events(subjectId("ann"))));
    assertEquals(2, read(tx -> tx.history().events(subjectId("bob"))).size());
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

    List<ConsentEvent> stored = read(tx -> events.stream().map(unsealed -> HistoryChain.append(tx.history(),
        unsealed)).toList());

    List<ConsentEvent> found = read(tx -> tx.history().events(subjectId("ann")));
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
        mine.add(read(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER,
            ConsentEvent.Type.REQUESTED,
            T0))).sequence());
      }
      return mine;
    });

    Set<Long> all = new HashSet<>();
    perThreadSequences.forEach(all::addAll);
    assertEquals(threads * perThread, all.size());
    List<ConsentEvent> events = read(tx -> tx.history().events(subjectId("ann")));
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
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
      HistoryChain.append(tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
    });
    tx(tx -> anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(60)))));

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
        read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.history().head(subjectId("bob"))).orElseThrow().position());
    assertIntact(subjectId("ann"), 3);
    assertIntact(subjectId("bob"), 1);
  }

  @Test
  void appendEventThenSaltsDifferSoEqualDetailsGiveDifferentDigests() {
    givenSubjects("ann");
    ConsentEvent e = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);
    List<ConsentEvent> stored = read(tx -> List.of(HistoryChain.append(tx.history(), e),
        HistoryChain.append(tx.history(), e)));

    assertFalse(stored.get(0).seal().detailsSalt().equals(stored.get(1).seal().detailsSalt()));
    assertFalse(stored.get(0).seal().detailsDigest().equals(stored.get(1).seal().detailsDigest()));
  }

  @Test
  void appendEventWhenWorkThrowsThenHeadUnchangedAndChainContinuesWithoutGap() {
    givenSubjects("ann");
    tx(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
    HistoryHead before = read(tx -> tx.history().head(subjectId("ann"))).orElseThrow();

    throwAfter(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED,
        at(1))));

    assertEquals(Optional.of(before), read(tx -> tx.history().head(subjectId("ann"))));
    ConsentEvent next = read(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER,
        ConsentEvent.Type.CONFIRMED,
        at(2))));
    assertEquals(2, next.seal().position());
    assertIntact(subjectId("ann"), 2);
  }

  @Test
  void lockHistoryThenAppendsInTheUnitContinueTheChain() {
    givenSubjects("ann");
    tx(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(tx -> {
      tx.history().lock(subjectId("ann"));
      tx.history().lock(subjectId("ann"));
      HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
      HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN, at(2)));
    });

    assertIntact(subjectId("ann"), 3);
  }

  @Test
  void appendEventWhenSubjectInsertedInSameUnitThenChainStartsAtPosition1AndHeadIsStored() {
    List<ConsentEvent> anns = new ArrayList<>();
    tx(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      tx.history().lock(subjectId("ann"));
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
      anns.add(HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
    });

    assertEquals(1, anns.get(0).seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, anns.get(0).seal().previousHash());
    assertEquals(Optional.of(new HistoryHead(subjectId("ann"), 2, anns.get(1).seal().hash())),
        read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(List.of(subjectId("ann")), read(tx -> tx.history().subjects(null, 10)));
    assertIntact(subjectId("ann"), 2);
    ConsentEvent next = read(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER,
        ConsentEvent.Type.CONFIRMED,
        at(1))));
    assertEquals(3, next.seal().position());
    assertIntact(subjectId("ann"), 3);
  }

  @Test
  void historyHeadInTheUnitThatAppendedThenSeesItsOwnAppends() {
    givenSubjects("ann");
    tx(tx -> HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    HistoryHead seen = read(tx -> {
      HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
      ConsentEvent last = HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED,
          at(2)));
      HistoryHead head = tx.history().head(subjectId("ann")).orElseThrow();
      assertEquals(last.seal().hash(), head.hash());
      return head;
    });

    assertEquals(3, seen.position());
    assertEquals(Optional.of(seen), read(tx -> tx.history().head(subjectId("ann"))));
  }

  @Test
  void eraseSubjectInTheUnitThatInsertedAndAppendedThenNothingIsLeft() {
    tx(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      assertTrue(tx.subjects().eraseSubject(subjectId("ann"), false));
    });

    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.history().subjects(null, 10)));
  }

  @Test
  void historyHeadWhenNoEventThenEmptyEvenAfterLockHistory() {
    givenSubjects("ann");
    tx(tx -> tx.history().lock(subjectId("ann")));

    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("nobody"))));
    assertEquals(List.of(), read(tx -> tx.history().subjects(null, 10)), "no history yet");
  }

  @Test
  void appendEventWhenConcurrentUnitsOfOneSubjectThenOneChainWithoutForkOrGap() throws Exception {
    givenSubjects("ann");
    int threads = 6;
    int perThread = 5;

    concurrently(threads, i -> {
      for (int j = 0; j < perThread; j++) {
        tx(tx -> {
          HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(i)));
          HistoryChain.append(tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(i)));
        });
      }
      return null;
    });

    List<ConsentEvent> events = read(tx -> tx.history().events(subjectId("ann")));
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
        tx.subjects().insertSubject(subject(n));
        HistoryChain.append(tx.history(), event(subjectId(n), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      }
      tx.subjects().insertSubject(subject("nohistory"));
    });

    List<SubjectId> seen = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = read(tx -> tx.history().subjects(from, 3));
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

    Notice stored = read(tx -> tx.notices().saveNotice(candidate));

    assertEquals(candidate, stored);
    assertEquals(1, stored.version());
    assertEquals(Optional.of(stored), read(tx -> tx.notices().notice(candidate.hash())));
  }

  @Test
  void saveNoticeWhenDifferentTextsSameKeyThenVersions1And2() {
    Notice first = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));

    assertEquals(1, first.version());
    assertEquals(2, second.version());
    assertEquals(Optional.of(first), read(tx -> tx.notices().notice(first.hash())));
    assertEquals(Optional.of(second), read(tx -> tx.notices().notice(second.hash())));
  }

  @Test
  void saveNoticeWhenSameTextTwiceThenSameVersionAndNoVersionConsumed() {
    Notice first = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice again = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice second = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text two", NEWSLETTER)));
    Notice firstOnceMore = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));

    assertEquals(first, again);
    assertEquals(first, firstOnceMore);
    assertEquals(2, second.version());
  }

  @Test
  void saveNoticeWhenKnownHashThenExistingReturnedNotTheCandidate() {
    Notice original = read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "text one", NEWSLETTER)));
    Notice laterCandidate = new Notice(5, original.hash(), Locale.ENGLISH, List.of(NEWSLETTER), "text one", at(999));

    Notice stored = read(tx -> tx.notices().saveNotice(laterCandidate));

    assertEquals(original, stored);
    assertEquals(T0, stored.createdAt());
  }

  @Test
  void saveNoticeThenCandidateVersionIgnored() {
    Notice candidate = new Notice(42, Notice.sha256("text"), Locale.ENGLISH, List.of(NEWSLETTER), "text", T0);

    Notice stored = read(tx -> tx.notices().saveNotice(candidate));

    assertEquals(1, stored.version());
    assertEquals(candidate.hash(), stored.hash());
    assertEquals(candidate.text(), stored.text());
  }

  @Test
  void saveNoticeWhenOtherKeyThenVersionsStartAt1() {
    assertEquals(1, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en one", NEWSLETTER))).version());
    assertEquals(2, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en two", NEWSLETTER))).version());

    assertEquals(1, read(tx -> tx.notices().saveNotice(notice(Locale.GERMAN, "de eins", NEWSLETTER))).version());
    assertEquals(1, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en both", NEWSLETTER,
        OFFERS))).version());
    assertEquals(1, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en offers", OFFERS))).version());
    assertEquals(3, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "en three", NEWSLETTER))).version());
    assertEquals(2, read(tx -> tx.notices().saveNotice(notice(Locale.GERMAN, "de zwei", NEWSLETTER))).version());
  }

  @Test
  void saveNoticeWhenPurposesInOtherOrderThenSameKey() {
    assertEquals(1, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER, OFFERS))).version());

    assertEquals(2, read(tx -> tx.notices().saveNotice(notice(Locale.ENGLISH, "two", OFFERS, NEWSLETTER))).version());
  }

  @Test
  void saveNoticeWhenSeveralInOneTransactionThenVersionsCounted() {
    List<Integer> versions = read(tx -> List.of(
        tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
        tx.notices().saveNotice(notice(Locale.ENGLISH, "two", NEWSLETTER)).version(),
        tx.notices().saveNotice(notice(Locale.ENGLISH, "one", NEWSLETTER)).version(),
        tx.notices().saveNotice(notice(Locale.ENGLISH, "three", NEWSLETTER)).version()));

    assertEquals(List.of(1, 2, 1, 3), versions);
  }

  @Test
  void saveNoticeThenTextKeptExactly() {
    String text = "Controller: Shop GmbH, Straße 1\r\nPurposes:\n\t• newsletter — monthly 📰\n"
        + "«Widerruf jederzeit»  trailing spaces   \n" + "ä".repeat(5000) + "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP";
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

    tx(tx -> tx.requests().insertRequest(request));

    assertEquals(Optional.of(request), read(tx -> tx.requests().request("req-Zx9_1")));
  }

  @Test
  void requestWhenUnknownThenEmpty() {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));

    assertEquals(Optional.empty(), read(tx -> tx.requests().request("req-2")));
  }

  @Test
  void updateRequestThenGenerationExpiryAndStatusReplaced() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));

    PendingRequest resent = open.nextGeneration(at(Duration.ofHours(60)));
    tx(tx -> tx.requests().updateRequest(resent));
    assertEquals(Optional.of(resent), read(tx -> tx.requests().request("req-1")));

    PendingRequest confirmed = resent.withStatus(PendingRequest.Status.CONFIRMED, at(600));
    tx(tx -> tx.requests().updateRequest(confirmed));
    assertEquals(Optional.of(confirmed), read(tx -> tx.requests().request("req-1")));
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
    tx(tx -> List.of(open1, open2, confirmed, superseded, expired, bobs).forEach(tx.requests()::insertRequest));

    tx(tx -> {
      tx.requests().updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(100)));
      tx.requests().updateRequest(superseded.withStatus(PendingRequest.Status.SUPERSEDED, at(100)));
      tx.requests().updateRequest(expired.withStatus(PendingRequest.Status.EXPIRED, at(100)));
    });

    assertEquals(Set.of(open1, open2), Set.copyOf(read(tx -> tx.requests().openRequests(subjectId("ann")))));
    assertEquals(2, read(tx -> tx.requests().openRequests(subjectId("ann"))).size());
    assertEquals(List.of(bobs), read(tx -> tx.requests().openRequests(subjectId("bob"))));
  }

  @Test
  void openRequestsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void openRequestsWhenRequestClosedThenNoLongerListed() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));
    assertEquals(List.of(open), read(tx -> tx.requests().openRequests(subjectId("ann"))));

    tx(tx -> tx.requests().updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, at(5))));

    assertEquals(List.of(), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void requestWhenConcurrentReadModifyWriteThenNoUpdateLost() throws Exception {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));
    int threads = 8;
    int perThread = 10;

    concurrently(threads, i -> {
      for (int j = 0; j < perThread; j++) {
        tx(tx -> {
          PendingRequest current = tx.requests().request("req-1").orElseThrow();
          tx.requests().updateRequest(current.nextGeneration(current.expiresAt().plusSeconds(1)));
        });
      }
      return null;
    });

    assertEquals(1 + threads * perThread, read(tx -> tx.requests().request("req-1")).orElseThrow().generation());
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Tokens
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void useTokenThenTrueOnceAndFalseAfter() {
    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));

    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(7200))));
  }

  @Test
  void useTokenWhenUsedTwiceInOneTransactionThenSecondFalse() {
    List<Boolean> answers = read(tx -> List.of(tx.requests().useToken("jti-1", at(3600)),
        tx.requests().useToken("jti-1", at(3600))));

    assertEquals(List.of(true, false), answers);
  }

  @Test
  void useTokenThenIdsIndependent() {
    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.requests().useToken("jti-2", at(3600))));
    assertTrue(flag(tx -> tx.requests().useToken("JTI-1", at(3600))), "token ids are case-sensitive");
  }

  @Test
  void useTokenWhenConcurrentSameIdThenExactlyOneTrue() throws Exception {
    int threads = 16;

    List<Boolean> answers = concurrently(threads, i -> read(tx -> tx.requests().useToken("jti-race", at(3600))));

    assertEquals(1, answers.stream().filter(a -> a).count(), "answers " + answers);
    assertFalse(flag(tx -> tx.requests().useToken("jti-race", at(3600))));
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
    OutboxMail first = mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0);
    OutboxMail duplicate = mail("m2", MailKind.RECEIPT, subjectId("ann"), email("ann"), "key-1", at(60));
    assertTrue(flag(tx -> tx.outbox().enqueue(first)));

    assertFalse(flag(tx -> tx.outbox().enqueue(duplicate)));

    assertEquals(List.of(first), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.RECEIPT, T0));
  }

  @Test
  void enqueueWhenDedupeKeyTakenInSameTransactionThenFalse() {
    givenSubjects("ann");

    List<Boolean> answers = read(tx -> List.of(
        tx.outbox().enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)),
        tx.outbox().enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0))));

    assertEquals(List.of(true, false), answers);
    assertEquals(1, read(tx -> tx.outbox().mails(subjectId("ann"))).size());
  }

  @Test
  void enqueueWhenDedupeKeyOfSentMailThenStillFalse() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "key-1", T0)));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(1), at(301), 10)).get(0);
    tx(tx -> tx.outbox().updateMail(claimed.sent(at(2))));

    assertFalse(flag(tx -> tx.outbox().enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"),
        "key-1",
        at(100)))));
    assertEquals(1, read(tx -> tx.outbox().mails(subjectId("ann"))).size());
  }

  @Test
  void mailQueuedAtWhenDedupeKeyTakenThenItsCreationTimeWhateverItsStatus() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1",
        at(7))));
    OutboxMail claimed = read(tx -> tx.outbox().claimMails(at(8), at(308), 10)).get(0);
    tx(tx -> tx.outbox().updateMail(claimed.sent(at(9))));

    assertEquals(Optional.of(at(7)), read(tx -> tx.outbox().mailQueuedAt("cap:ann:1")));
  }

  @Test
  void mailQueuedAtWhenDedupeKeyUnknownThenEmpty() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1",
        at(7))));

    assertEquals(Optional.empty(), read(tx -> tx.outbox().mailQueuedAt("cap:ann:2")));
    assertEquals(Optional.empty(), read(tx -> tx.outbox().mailQueuedAt("CAP:ANN:1")), "dedupe keys are case-sensitive");
    assertEquals(Optional.empty(), read(tx -> tx.outbox().mailQueuedAt("cap:ann:")), "an exact match, not a prefix");
  }

  @Test
  void mailQueuedAtSeesTheTransactionsOwnEnqueueAndForgetsARolledBackOne() {
    givenSubjects("ann");

    assertEquals(Optional.of(at(7)), read(tx -> {
      tx.outbox().enqueue(mail("m1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:1", at(7)));
      return tx.outbox().mailQueuedAt("cap:ann:1");
    }));
    throwAfter(tx -> tx.outbox().enqueue(mail("m2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "cap:ann:2",
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

    assertEquals(List.of(first, earlyA, earlyB, late), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.outbox().mails(subjectId("bob"))));
  }

  @Test
  void countMailsThenOnlyKindAndRecipientFromSinceInclusive() {
    givenSubjects("ann", "bob");
    tx(tx -> {
      tx.outbox().enqueue(mail("c1", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k1", at(100)));
      tx.outbox().enqueue(mail("c2", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k2", at(200)));
      tx.outbox().enqueue(mail("c3", MailKind.CONFIRMATION, subjectId("ann"), email("ann"), "k3", at(300)));
      tx.outbox().enqueue(mail("r1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "k4", at(200)));
      tx.outbox().enqueue(mail("b1", MailKind.CONFIRMATION, subjectId("bob"), email("bob"), "k5", at(200)));
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
        tx.outbox().enqueue(mail("m" + i, subjectId("ann"), email("ann"), at(i)));
      }
    });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(10), at(310), 3));
    tx(tx -> {
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
  void renewClaimsWhenStillHeldThenNewLeaseAndNotReclaimableUntilIt() {
    givenSubjects("ann");
    OutboxMail m1 = mail("m1", subjectId("ann"), email("ann"), T0);
    OutboxMail m2 = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(m1, m2).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));

    int renewed = read(tx -> tx.outbox().renewClaims(List.of("m1", "m2", "m1"), at(300), at(500)));

    assertEquals(2, renewed);
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(300), at(600), 10)),
        "the old lease end no longer frees them");
    assertEquals(List.of(m1.claimed(at(800)), m2.claimed(at(800))),
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
    tx(tx -> tx.outbox().updateMail(first.stream().filter(m -> m.id().equals("sent")).findFirst().orElseThrow()
        .sent(at(2))));
    read(tx -> tx.outbox().claimMails(at(300), at(600), 10)); // "taken": its lease ran out, another caller claimed it
    tx(tx -> tx.outbox().enqueue(held));
    read(tx -> tx.outbox().claimMails(at(300), at(600), 10));

    int renewed = read(tx -> tx.outbox().renewClaims(List.of("taken", "sent", "held", "unknown"), at(300), at(900)));

    assertEquals(0, renewed, "none is held until at(300) any more");
    assertEquals(1, (int) read(tx -> tx.outbox().renewClaims(List.of("taken"), at(600), at(900))));
    List<OutboxMail> stored = read(tx -> tx.outbox().mails(subjectId("ann")));
    assertEquals(OutboxMail.Status.SENT, stored.stream().filter(m -> m.id().equals("sent")).findFirst()
        .orElseThrow().status());
    assertEquals(at(600), stored.stream().filter(m -> m.id().equals("held")).findFirst().orElseThrow().leaseUntil());
  }

  @Test
  void renewClaimsWhenNewLeaseNotAfterHeldThenIllegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> read(tx -> tx.outbox().renewClaims(List.of("m1"), at(300),
        at(300))));
  }

  @Test
  void releaseClaimsWhenHeldThenQueuedWithoutLeaseDueAsBeforeAndClaimableAtOnce() {
    givenSubjects("ann");
    OutboxMail queued = new OutboxMail("m1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "req-9", 0,
        Locale.GERMAN, List.of(NEWSLETTER), "receipt:req-9", OutboxMail.Status.QUEUED, 2, at(50), null, at(10), null,
        "421 4.7.0 try later");
    OutboxMail other = mail("m2", subjectId("ann"), email("ann"), T0);
    tx(tx -> List.of(queued, other).forEach(tx.outbox()::enqueue));
    read(tx -> tx.outbox().claimMails(at(60), at(360), 10));

    int released = read(tx -> tx.outbox().releaseClaims(List.of("m1"), at(360)));

    assertEquals(1, released);
    OutboxMail stored = read(tx -> tx.outbox().mails(subjectId("ann"))).stream().filter(m -> m.id().equals("m1"))
        .findFirst().orElseThrow();
    assertEquals(queued, stored, "queued again exactly as before the claim: attempts, due time, last error");
    assertEquals(List.of(queued.claimed(at(400))), read(tx -> tx.outbox().claimMails(at(61), at(400), 10)),
        "claimable at once, the other mail's claim untouched");
  }

  @Test
  void releaseClaimsWhenHeldByAnotherLeaseThenLeftAlone() {
    givenSubjects("ann");
    tx(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
    read(tx -> tx.outbox().claimMails(at(1), at(300), 10));
    read(tx -> tx.outbox().claimMails(at(300), at(600),
        10)); // reclaimed by another caller after the first lease ran out

    assertEquals(0, (int) read(tx -> tx.outbox().releaseClaims(List.of("m1"), at(300))));
    assertEquals(at(600), read(tx -> tx.outbox().mails(subjectId("ann"))).get(0).leaseUntil());
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
      tx.registers().saveNode(b);
      tx.registers().saveNode(a);
    });

    assertEquals(List.of(a, b), read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
  }

  @Test
  void saveNodeWhenSameNodeIdThenReplaced() {
    NodeRegistration first = node("node-a", "https://bakery.example/optin", at(10));
    tx(tx -> tx.registers().saveNode(first));

    tx(tx -> tx.registers().saveNode(first.seen(at(40))));

    assertEquals(List.of(first.seen(at(40))), read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
  }

  @Test
  void deleteNodeThenGoneAndSecondDeleteSaysSo() {
    tx(tx -> {
      tx.registers().saveNode(node("node-a", "https://a.example", at(1)));
      tx.registers().saveNode(node("node-b", "https://b.example", at(1)));
    });

    boolean first = read(tx -> tx.registers().deleteNode("node-a"));
    boolean second = read(tx -> tx.registers().deleteNode("node-a"));
    assertTrue(first);
    assertFalse(second);
    assertEquals(List.of("node-b"), read(tx -> tx.registers().nodes().stream().map(NodeRegistration::nodeId).toList()));
  }

  @Test
  void saveNodeWhenWorkThrowsThenNothingRegistered() {
    throwAfter(tx -> tx.registers().saveNode(node("node-a", "https://a.example", at(1))));

    assertEquals(List.of(), read((ConsentStore.Transaction unit) -> unit.registers().nodes()));
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
    assertEquals(List.of(due.claimed(at(400))), read(tx -> tx.outbox().claimMails(at(100), at(400), 10)));
    assertEquals(List.of(notYet.claimed(at(401))), read(tx -> tx.outbox().claimMails(at(101), at(401), 10)));
  }

  @Test
  void claimMailsThenStoredAsClaimedWithLeaseAndOtherwiseUnchanged() {
    givenSubjects("ann");
    OutboxMail queued = new OutboxMail("m-1", MailKind.RECEIPT, subjectId("ann"), email("ann"), "req-9", 0,
        Locale.GERMAN, List.of(NEWSLETTER), "receipt:req-9", OutboxMail.Status.QUEUED, 2, at(50), null, at(10), null,
        "421 4.7.0 try later");
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

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(300).minusMillis(1), at(600), 10)));
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
    tx(tx -> {
      tx.outbox().enqueue(mail("sent", subjectId("ann"), email("ann"), T0));
      tx.outbox().enqueue(mail("failed", subjectId("ann"), email("ann"), T0));
      tx.outbox().enqueue(mail("skipped-claimed", subjectId("ann"), email("ann"), T0));
    });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(1), at(300), 10));
    assertEquals(3, claimed.size());
    tx(tx -> {
      tx.outbox().enqueue(mail("skipped-queued", subjectId("ann"), email("ann"), at(2)));
      for (OutboxMail m : claimed) {
        tx.outbox().updateMail(switch (m.id()) {
          case "sent" -> m.sent(at(2));
          case "failed" -> m.failed("550 5.1.1 no such user");
          default -> m.skipped("superseded");
        });
      }
    });
    tx(tx -> tx.outbox().updateMail(mail("skipped-queued", subjectId("ann"), email("ann"),
        at(2)).skipped("confirmed")));

    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(Duration.ofDays(365)), at(Duration.ofDays(366)), 10)));
    assertEquals(4, count(email("ann"), MailKind.CONFIRMATION, T0));
  }

  @Test
  void updateMailWhenSkippedThenStoredAsGiven() {
    givenSubjects("ann");
    OutboxMail queued = mail("m1", subjectId("ann"), email("ann"), T0);
    tx(tx -> tx.outbox().enqueue(queued));

    tx(tx -> tx.outbox().updateMail(queued.skipped("superseded by a resend")));

    assertEquals(List.of(queued.skipped("superseded by a resend")), read(tx -> tx.outbox().mails(subjectId("ann"))));
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
    tx(tx -> {
      tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0));
      tx.outbox().enqueue(mail("m2", subjectId("ann"), email("ann"), at(1)));
      tx.outbox().enqueue(mail("m3", subjectId("ann"), email("ann"), at(2)));
    });
    List<OutboxMail> claimed = read(tx -> tx.outbox().claimMails(at(3), at(300), 10));
    List<OutboxMail> outcomes = List.of(claimed.get(0).sent(at(4)), claimed.get(1).retryAt(at(120), "421 later"),
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

    assertThrows(StoreException.class, () -> tx(tx -> tx.outbox().updateMails(List.of(claimed.sent(at(2)), stranger))));

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
    givenSubjects("ann");
    int total = 100;
    tx(tx -> {
      for (int i = 0; i < total; i++) {
        tx.outbox().enqueue(mail(String.format("m%03d", i), subjectId("ann"), email("ann"), at(i)));
      }
    });

    List<List<String>> perClaimer = concurrently(2, i -> {
      List<String> mine = new ArrayList<>();
      List<OutboxMail> batch;
      do {
        batch = read(tx -> tx.outbox().claimMails(at(1000), at(2000), 7));
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
    assertTrue(read(tx -> tx.outbox().mails(subjectId("ann"))).stream()
        .allMatch(m -> m.status() == OutboxMail.Status.CLAIMED && at(2000).equals(m.leaseUntil())));
  }

  @Test
  void claimMailsWhenConcurrentClaimersAfterLeaseExpiryThenNoMailTwice() throws Exception {
    givenSubjects("ann");
    int total = 40;
    tx(tx -> {
      for (int i = 0; i < total; i++) {
        tx.outbox().enqueue(mail(String.format("m%03d", i), subjectId("ann"), email("ann"), at(i)));
      }
    });
    assertEquals(total, read(tx -> tx.outbox().claimMails(at(100), at(200), total)).size());

    List<List<String>> perClaimer = concurrently(4, i -> {
      List<String> mine = new ArrayList<>();
      List<OutboxMail> batch;
      do {
        batch = read(tx -> tx.outbox().claimMails(at(200), at(500), 3));
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
      tx.subjects().insertSubject(subject("ann"));
      tx.requests().insertRequest(openRequest("req-1", ann, at(0)));
      tx.subjects().saveConsent(pendingConsent(ann, NEWSLETTER, "req-1", at(0)).confirm(at(60)));
      HistoryChain.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, at(0)));
      HistoryChain.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)));
      tx.requests().saveAddressChange("req-1", email("ann-new"));
      tx.outbox().enqueue(mail("m-1", ann, email("ann"), at(0)));
      return null;
    });
    return ann;
  }

  @Test
  void updateSubjectThenAddressGenerationStoredWithTheAddress() {
    givenSubjects("ann");
    Subject moved = subject("ann").movedTo(email("ann.new"));

    tx(tx -> tx.subjects().updateSubject(moved));

    assertEquals(2, read(tx -> tx.subjects().subject(subjectId("ann"))).orElseThrow().addressGeneration());
    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subjectByEmail(email("ann.new"))));
    Subject back = moved.movedTo(email("ann"));
    tx(tx -> tx.subjects().updateSubject(back));
    assertEquals(Optional.of(back), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(3, back.addressGeneration());
  }

  @Test
  void saveReplacedAddressThenReadBackAndGoneWithErasure() {
    SubjectId ann = annWithEverything();
    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));

    tx(tx -> tx.requests().saveReplacedAddress("req-1", email("ann-old")));

    assertEquals(Optional.of(email("ann-old")), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(Optional.of(email("ann-new")), read(tx -> tx.requests().addressChange("req-1")),
        "the new address stays");
    tx(tx -> tx.subjects().eraseSubject(ann, true));
    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));
  }

  @Test
  void saveReplacedAddressWhenNoAddressChangeThenStoreException() {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), at(0))));

    assertThrows(StoreException.class, () -> tx(tx -> tx.requests().saveReplacedAddress("req-1", email("ann-old"))));
  }

  @Test
  void deleteStaleAddressChangesWhenUnconfirmedAndExpiredThenRowAndRequestGone() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest lapsed = openRequest("req-old", ann, at(0)); // expires at(48 h)
    PendingRequest fresh = openRequest("req-new", ann, at(Duration.ofDays(3)));
    tx(tx -> {
      tx.requests().insertRequest(lapsed);
      tx.requests().saveAddressChange("req-old", email("third-party"));
      tx.requests().insertRequest(fresh);
      tx.requests().saveAddressChange("req-new", email("other-party"));
    });
    Instant cutoff = lapsed.expiresAt().plusMillis(1);

    int deleted = read(tx -> tx.retention().deleteStaleAddressChanges(lapsed.expiresAt(), T0, 100));
    assertEquals(0, deleted, "strictly before the cut-off");
    deleted = store.inTransaction(tx -> tx.retention().deleteStaleAddressChanges(cutoff, T0, 100));

    assertEquals(1, deleted);
    assertEquals(Optional.empty(), read(tx -> tx.requests().addressChange("req-old")));
    assertEquals(Optional.empty(), read(tx -> tx.requests().request("req-old")),
        "the request of a third party's address too");
    assertEquals(Optional.of(email("other-party")), read(tx -> tx.requests().addressChange("req-new")));
    assertTrue(read(tx -> tx.requests().request("req-new")).isPresent());
  }

  @Test
  void deleteStaleAddressChangesWhenConfirmedThenKeptUntilItsCutOffAndRequestStays() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest request = openRequest("req-1", ann, at(0));
    tx(tx -> {
      tx.requests().insertRequest(request);
      tx.requests().saveAddressChange("req-1", email("ann-new"));
      tx.requests().updateRequest(request.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
      tx.requests().saveReplacedAddress("req-1", email("ann"));
    });
    Instant farFuture = at(Duration.ofDays(365));

    assertEquals(0, (int) read(tx -> tx.retention().deleteStaleAddressChanges(farFuture, at(60), 100)));
    assertEquals(Optional.of(email("ann")), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(1, (int) read(tx -> tx.retention().deleteStaleAddressChanges(farFuture, at(61), 100)));

    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(Optional.empty(), read(tx -> tx.requests().addressChange("req-1")));
    assertEquals(PendingRequest.Status.CONFIRMED, read(tx -> tx.requests().request("req-1")).orElseThrow().status());
  }

  @Test
  void deleteStaleAddressChangesThenAtMostLimit() {
    givenSubjects("ann");
    tx(tx -> {
      for (int i = 0; i < 3; i++) {
        tx.requests().insertRequest(openRequest("req-" + i, subjectId("ann"), at(0)));
        tx.requests().saveAddressChange("req-" + i, email("new" + i));
      }
    });
    Instant later = at(Duration.ofDays(30));

    assertEquals(2, (int) read(tx -> tx.retention().deleteStaleAddressChanges(later, T0, 2)));
    assertEquals(1, (int) read(tx -> tx.retention().deleteStaleAddressChanges(later, T0, 2)));
  }

  @Test
  void clearLapsedRequestEvidenceThenOnlyUnconfirmedExpiredRequestsLoseIt() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest expired = openRequest("req-expired", ann, at(0));
    PendingRequest confirmed = openRequest("req-confirmed", ann, at(0));
    PendingRequest open = openRequest("req-open", ann, at(Duration.ofDays(10)));
    tx(tx -> {
      tx.requests().insertRequest(expired);
      tx.requests().updateRequest(expired.withStatus(PendingRequest.Status.EXPIRED, at(Duration.ofDays(2))));
      tx.requests().insertRequest(confirmed);
      tx.requests().updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
      tx.requests().insertRequest(open);
    });
    Instant cutoff = at(Duration.ofDays(9));

    int cleared = store.inTransaction(tx -> tx.retention().clearLapsedRequestEvidence(cutoff, 100));

    assertEquals(1, cleared);
    assertEquals(Evidence.NONE, read(tx -> tx.requests().request("req-expired")).orElseThrow().evidence());
    assertEquals(confirmed.evidence(), read(tx -> tx.requests().request("req-confirmed")).orElseThrow().evidence());
    assertEquals(open.evidence(), read(tx -> tx.requests().request("req-open")).orElseThrow().evidence());
    assertEquals(0, (int) store.inTransaction(tx -> tx.retention().clearLapsedRequestEvidence(cutoff, 100)),
        "done once");
  }

  @Test
  void eraseSubjectWhenKeepingStubThenPersonalDataGoneAndEventsDeidentified() {
    SubjectId ann = annWithEverything();

    boolean first = store.inTransaction(tx -> tx.subjects().eraseSubject(ann, true));
    boolean second = store.inTransaction(tx -> tx.subjects().eraseSubject(ann, true));
    assertTrue(first);
    assertFalse(second, "a second erasure finds nothing");

    store.inTransaction(tx -> {
      assertTrue(tx.subjects().subject(ann).isEmpty());
      assertTrue(tx.subjects().subjectByEmail(email("ann")).isEmpty());
      assertTrue(tx.subjects().consents(ann).isEmpty());
      assertTrue(tx.requests().request("req-1").isEmpty());
      assertTrue(tx.requests().addressChange("req-1").isEmpty());
      assertTrue(tx.outbox().mails(ann).isEmpty());
      assertEquals(0, tx.outbox().countMails(email("ann"), MailKind.CONFIRMATION, T0));
      List<ConsentEvent> events = tx.history().events(ann);
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
      assertEquals(2, tx.history().head(ann).orElseThrow().position());
      return null;
    });
    // The stub verifies but for the removed details, which only an erasure event explains.
    HistoryVerification check = read(tx -> HistoryVerifier.verify(ann, tx.history().events(ann),
        tx.history().head(ann)));
    assertEquals(HistoryVerification.Reason.EVIDENCE_REMOVED,
        assertInstanceOf(HistoryVerification.Broken.class, check).reason());
    assertTrue(read(tx -> tx.history().subjects(null, 10)).contains(ann), "a stub's history stays listed");
  }

  @Test
  void eraseSubjectWhenKeepingStubAfterErasedEventThenChainStillVerifies() {
    SubjectId ann = annWithEverything();
    tx(tx -> {
      HistoryChain.append(tx.history(), new ConsentEvent(0, ann, NEWSLETTER, ConsentEvent.Type.ERASED, at(90), "req-1",
          noticeRef("notice text"), null, Channel.OPERATOR, Evidence.NONE, null));
      tx.subjects().eraseSubject(ann, true);
    });

    assertIntact(ann, 3);
  }

  @Test
  void eraseSubjectWhenNotKeepingStubThenNoEventsAndAddressReusable() {
    SubjectId ann = annWithEverything();
    store.inTransaction(tx -> {
      tx.subjects().eraseSubject(ann, false);
      return null;
    });
    store.inTransaction(tx -> {
      assertTrue(tx.history().events(ann).isEmpty());
      assertTrue(tx.history().head(ann).isEmpty());
      assertFalse(tx.history().subjects(null, 10).contains(ann));
      tx.subjects().insertSubject(new Subject(subjectId("ann2"), email("ann"), at(100)));
      assertTrue(tx.outbox().enqueue(mail("m-1-again", subjectId("ann2"), email("ann"), at(100))));
      return null;
    });
  }

  @Test
  void eraseSubjectWhenUnknownThenNothingHappens() {
    annWithEverything();
    boolean erased = store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId("nobody"), true));
    assertFalse(erased);
    store.inTransaction(tx -> {
      assertTrue(tx.subjects().subject(subjectId("ann")).isPresent());
      return null;
    });
  }

  @Test
  void eraseSubjectRollsBackWithItsTransaction() {
    SubjectId ann = annWithEverything();
    throwAfter(tx -> tx.subjects().eraseSubject(ann, false));
    store.inTransaction(tx -> {
      assertTrue(tx.subjects().subject(ann).isPresent());
      assertEquals(2, tx.history().events(ann).size());
      assertEquals("203.0.113.7", tx.history().events(ann).get(0).evidence().ip());
      assertEquals(1, tx.outbox().mails(ann).size());
      return null;
    });
  }

  @Test
  void eraseSubjectWhenTwoTransactionsEraseAtOnceThenExactlyOneErases() throws Exception {
    for (int round = 0; round < 5; round++) {
      String name = "twice" + round;
      store.inTransaction(tx -> {
        tx.subjects().insertSubject(subject(name));
        tx.subjects().saveConsent(pendingConsent(subjectId(name), NEWSLETTER, "r", at(0)));
        return null;
      });
      List<Boolean> results = concurrently(4, i -> store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId(name),
          false)));
      assertEquals(1, results.stream().filter(b -> b).count(), results.toString());
    }
  }

  @Test
  void findRequestReadsTheSameRequestAsRequest() {
    store.inTransaction(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), at(0)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(tx.requests().request("req-1"), tx.requests().findRequest("req-1"));
      assertTrue(tx.requests().findRequest("req-unknown").isEmpty());
      return null;
    });
  }

  @Test
  void subjectsArePagedNewestFirstAndCounted() {
    store.inTransaction(tx -> {
      tx.subjects().insertSubject(new Subject(subjectId("old"), email("old"), at(0)));
      tx.subjects().insertSubject(new Subject(subjectId("mid"), email("mid"), at(10)));
      tx.subjects().insertSubject(new Subject(subjectId("new"), email("new"), at(20)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(List.of(subjectId("new"), subjectId("mid")),
          tx.subjects().subjects(0, 2).stream().map(Subject::id).toList());
      assertEquals(List.of(subjectId("old")), tx.subjects().subjects(2, 2).stream().map(Subject::id).toList());
      assertTrue(tx.subjects().subjects(3, 2).isEmpty());
      assertEquals(3L, tx.subjects().countSubjects());
      assertEquals(email("mid"), tx.subjects().subjects(1, 1).get(0).email());
      return null;
    });
  }

  @Test
  void mailsAreCountedByStatus() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      for (String id : List.of("a", "b", "c")) {
        tx.outbox().enqueue(mail(id, ann, email("ann"), at(0)));
      }
      assertEquals(java.util.Map.of(OutboxMail.Status.QUEUED, 3L), tx.outbox().countMailsByStatus());
      return null;
    });
    store.inTransaction(tx -> {
      OutboxMail first = tx.outbox().claimMails(at(1), at(100), 1).get(0);
      tx.outbox().updateMail(first.sent(at(2)));
      return null;
    });
    store.inTransaction(tx -> {
      java.util.Map<OutboxMail.Status, Long> counts = tx.outbox().countMailsByStatus();
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
      assertFalse(tx.subjects().isSuppressed(key));
      tx.subjects().suppress(key, at(0));
      tx.subjects().suppress(key, at(10));
      assertTrue(tx.subjects().isSuppressed(key));
      assertFalse(tx.subjects().isSuppressed("cd".repeat(32)));
      return null;
    });
    store.inTransaction(tx -> {
      assertTrue(tx.subjects().isSuppressed(key));
      tx.subjects().unsuppress(key);
      tx.subjects().unsuppress(key);
      return null;
    });
    store.inTransaction(tx -> {
      assertFalse(tx.subjects().isSuppressed(key));
      return null;
    });
    throwAfter(tx -> tx.subjects().suppress(key, at(20)));
    store.inTransaction(tx -> {
      assertFalse(tx.subjects().isSuppressed(key), "rolled back");
      return null;
    });
  }

  @Test
  void addressChangeIsStoredPerRequest() {
    annWithEverything();
    store.inTransaction(tx -> {
      assertEquals(Optional.of(email("ann-new")), tx.requests().addressChange("req-1"));
      assertTrue(tx.requests().addressChange("req-other").isEmpty());
      return null;
    });
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Retention queries
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void openRequestsExpiredBeforeReturnsOnlyOpenExpiredOldestFirstUpToLimit() {
    store.inTransaction(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      tx.requests().insertRequest(openRequest("r-late", subjectId("ann"), at(100)));
      tx.requests().insertRequest(openRequest("r-early", subjectId("ann"), at(0)));
      tx.requests().insertRequest(openRequest("r-done", subjectId("ann"),
          at(0)).withStatus(PendingRequest.Status.CONFIRMED,
          at(10)));
      tx.requests().insertRequest(openRequest("r-fresh", subjectId("ann"), at(Duration.ofDays(10))));
      return null;
    });
    Instant cutoff = at(Duration.ofHours(48)).plusSeconds(101);
    store.inTransaction(tx -> {
      assertEquals(List.of("r-early", "r-late"),
          tx.retention().openRequestsExpiredBefore(cutoff, 10).stream().map(PendingRequest::id).toList());
      assertEquals(List.of("r-early"),
          tx.retention().openRequestsExpiredBefore(cutoff, 1).stream().map(PendingRequest::id).toList());
      assertEquals(List.of("r-early"), tx.retention().openRequestsExpiredBefore(at(Duration.ofHours(48)).plusMillis(1),
          10)
          .stream().map(PendingRequest::id).toList());
      assertTrue(tx.retention().openRequestsExpiredBefore(at(Duration.ofHours(48)), 10).isEmpty(), "strictly before");
      return null;
    });
  }

  @Test
  void confirmedBeforeReturnsConfirmedConsentsOfThatPurposeOnly() {
    store.inTransaction(tx -> {
      for (String name : List.of("ann", "bob", "cat")) {
        tx.subjects().insertSubject(subject(name));
      }
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "r", at(0)).confirm(at(10)));
      tx.subjects().saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "r", at(0)).confirm(at(500)));
      tx.subjects().saveConsent(pendingConsent(subjectId("cat"), NEWSLETTER, "r", at(0)));
      tx.subjects().saveConsent(pendingConsent(subjectId("cat"), OFFERS, "r", at(0)).confirm(at(5)));
      return null;
    });
    store.inTransaction(tx -> {
      assertEquals(List.of(subjectId("ann")),
          tx.retention().confirmedBefore(NEWSLETTER, at(100), 10).stream().map(Consent::subjectId).toList());
      assertEquals(2, tx.retention().confirmedBefore(NEWSLETTER, at(501), 10).size());
      assertEquals(1, tx.retention().confirmedBefore(NEWSLETTER, at(501), 1).size());
      assertEquals(List.of(subjectId("cat")),
          tx.retention().confirmedBefore(OFFERS, at(100), 10).stream().map(Consent::subjectId).toList());
      return null;
    });
  }

  @Test
  void dormantSubjectsAreThoseWithoutLiveConsentWhoseLastEndIsBeforeTheCutoff() {
    store.inTransaction(tx -> {
      for (String name : List.of("active", "pending", "ended", "recent", "bare")) {
        tx.subjects().insertSubject(new Subject(subjectId(name), email(name), at(0)));
      }
      tx.subjects().saveConsent(pendingConsent(subjectId("active"), NEWSLETTER, "r", at(0)).confirm(at(1)));
      tx.subjects().saveConsent(pendingConsent(subjectId("pending"), NEWSLETTER, "r", at(0)));
      tx.subjects().saveConsent(pendingConsent(subjectId("ended"), NEWSLETTER, "r", at(0)).withdraw(at(50)));
      tx.subjects().saveConsent(pendingConsent(subjectId("ended"), OFFERS, "r", at(0)).expire(at(60)));
      tx.subjects().saveConsent(pendingConsent(subjectId("recent"), NEWSLETTER, "r", at(0)).withdraw(at(500)));
      return null;
    });
    store.inTransaction(tx -> {
      Set<SubjectId> dormant = new HashSet<>(tx.retention().dormantSubjects(at(100), 10));
      assertEquals(Set.of(subjectId("ended"), subjectId("bare")), dormant);
      assertTrue(tx.retention().dormantSubjects(at(60), 10).contains(subjectId("bare")));
      assertFalse(tx.retention().dormantSubjects(at(60), 10).contains(subjectId("ended")), "last end must be before");
      assertEquals(1, tx.retention().dormantSubjects(at(1000), 1).size());
      return null;
    });
  }

  // --- set-based retention: expireOpenRequests, lapsedSignups, deleteLapsedSignups -------------------------------

  /** A subject created at {@code at(0)} with a signup: an open request at {@code requestedAt}, pending consents, and
   * a REQUESTED event per purpose sealed into its history. */
  private void signup(ConsentStore.Transaction tx, String name, String requestId, Instant requestedAt,
      PurposeId... purposes) {
    SubjectId id = subjectId(name);
    if (tx.subjects().subject(id).isEmpty()) {
      tx.subjects().insertSubject(new Subject(id, email(name), at(0)));
    }
    PendingRequest r = openRequest(requestId, id, requestedAt);
    tx.requests().insertRequest(new PendingRequest(r.id(), id, Set.of(purposes), r.notice(), r.source(), r.evidence(),
        r.requestedAt(), r.expiresAt(), r.generation(), r.status(), r.closedAt()));
    for (PurposeId p : purposes) {
      tx.subjects().saveConsent(pendingConsent(id, p, requestId, requestedAt));
      HistoryChain.append(tx.history(), new ConsentEvent(0, id, p, ConsentEvent.Type.REQUESTED, requestedAt, requestId,
          noticeRef("notice text"), "signup-form", Channel.FORM, Evidence.of("198.51.100.1", "Mozilla/5.0"), null));
    }
  }

  private HistoryVerification verify(SubjectId id) {
    return read(tx -> HistoryVerifier.verify(id, tx.history().events(id), tx.history().head(id)));
  }

  @Test
  void expireOpenRequestsExpiresPendingConsentsSealsEventsAndClosesRequests() {
    Instant now = at(Duration.ofDays(3));
    tx(tx -> {
      signup(tx, "ann", "r-ann", at(0), NEWSLETTER, OFFERS);
      signup(tx, "bob", "r-bob", at(Duration.ofDays(2)), NEWSLETTER);
    });

    assertEquals(1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, HistoryChain.SEALER)));

    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      for (Consent c : tx.subjects().consents(ann)) {
        assertEquals(ConsentState.EXPIRED, c.state());
        assertEquals(now, c.endedAt());
      }
      assertEquals(PendingRequest.Status.EXPIRED, tx.requests().request("r-ann").orElseThrow().status());
      assertEquals(now, tx.requests().request("r-ann").orElseThrow().closedAt());
      List<ConsentEvent> events = tx.history().events(ann);
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
      assertEquals(4, tx.history().head(ann).orElseThrow().position());
      assertEquals(PendingRequest.Status.OPEN, tx.requests().request("r-bob").orElseThrow().status(),
          "not expired yet");
      assertEquals(ConsentState.PENDING, tx.subjects().consents(subjectId("bob")).get(0).state());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(ann));
    assertEquals(0, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, HistoryChain.SEALER)),
        "nothing left");
  }

  @Test
  void expireOpenRequestsKeepsConfirmedConsentsOfTheSameSubject() {
    Instant now = at(Duration.ofDays(5));
    SubjectId cat = subjectId("cat");
    tx(tx -> {
      signup(tx, "cat", "r-1", at(0), NEWSLETTER);
      tx.subjects().saveConsent(tx.subjects().consent(cat, NEWSLETTER).orElseThrow().confirm(at(60)));
      tx.requests().updateRequest(tx.requests().request("r-1").orElseThrow().withStatus(PendingRequest.Status.CONFIRMED,
          at(60)));
      HistoryChain.append(tx.history(), new ConsentEvent(0, cat, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60), "r-1",
          noticeRef("notice text"), null, Channel.FORM, Evidence.NONE, null));
      signup(tx, "cat", "r-2", at(Duration.ofDays(1)), OFFERS);
    });

    assertEquals(1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, HistoryChain.SEALER)));

    store.inTransaction(tx -> {
      assertEquals(ConsentState.CONFIRMED, tx.subjects().consent(cat, NEWSLETTER).orElseThrow().state());
      assertEquals(ConsentState.EXPIRED, tx.subjects().consent(cat, OFFERS).orElseThrow().state());
      assertEquals(PendingRequest.Status.CONFIRMED, tx.requests().request("r-1").orElseThrow().status());
      assertEquals(1, tx.history().events(cat).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED).count());
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
      PendingRequest r = tx.requests().request("r-dan").orElseThrow();
      tx.requests().updateRequest(new PendingRequest(r.id(), dan, r.purposes(), r.notice(),
          PendingRequest.RECONSENT_SOURCE,
          r.evidence(), r.requestedAt(), r.expiresAt(), r.generation(), r.status(), r.closedAt()));
    });

    assertEquals(2, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, HistoryChain.SEALER)));

    store.inTransaction(tx -> {
      assertEquals(PendingRequest.Status.EXPIRED, tx.requests().request("r-old").orElseThrow().status());
      assertEquals(PendingRequest.Status.EXPIRED, tx.requests().request("r-new").orElseThrow().status());
      List<ConsentEvent> expired = tx.history().events(ann).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED)
          .toList();
      assertEquals(1, expired.size(), "one event, for the request the consent was pending for");
      assertEquals("r-new", expired.get(0).requestId());
      assertEquals(PendingRequest.Status.OPEN, tx.requests().request("r-dan").orElseThrow().status(),
          "re-consent: per item");
      assertEquals(ConsentState.PENDING, tx.subjects().consent(dan, NEWSLETTER).orElseThrow().state());
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

    assertEquals(2, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 2, HistoryChain.SEALER)));

    store.inTransaction(tx -> {
      assertEquals(PendingRequest.Status.EXPIRED, tx.requests().request("r-bob").orElseThrow().status());
      assertEquals(PendingRequest.Status.EXPIRED, tx.requests().request("r-cat").orElseThrow().status());
      assertEquals(PendingRequest.Status.OPEN, tx.requests().request("r-ann").orElseThrow().status());
      return null;
    });
    assertEquals(0, (int) read(tx -> tx.retention().expireOpenRequests(at(Duration.ofHours(48)).plusSeconds(300), now,
        10, HistoryChain.SEALER)),
        "strictly before");
    assertEquals(1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, HistoryChain.SEALER)));
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
        int done = store.inTransaction(tx -> tx.retention().expireOpenRequests(now, now, 7, HistoryChain.SEALER));
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
        assertEquals(2, tx.history().events(id).stream().filter(e -> e.type() == ConsentEvent.Type.EXPIRED).count());
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
      tx.subjects().saveConsent(tx.subjects().consent(subjectId("lapsed-marked"),
          NEWSLETTER).orElseThrow().expire(at(Duration.ofDays(3))));
      tx.requests().updateRequest(tx.requests().request("r-lm").orElseThrow().withStatus(PendingRequest.Status.EXPIRED,
          at(Duration.ofDays(3))));
      // Lapsed: declined (withdrawn without ever confirming) before the cut-off.
      signup(tx, "declined", "r-d", at(0), NEWSLETTER);
      tx.subjects().saveConsent(tx.subjects().consent(subjectId("declined"),
          NEWSLETTER).orElseThrow().withdraw(at(60)));
      tx.requests().updateRequest(tx.requests().request("r-d").orElseThrow().withStatus(PendingRequest.Status.EXPIRED,
          at(60)));
      // Within the grace: the link ran out after the cut-off.
      signup(tx, "in-grace", "r-ig", at(Duration.ofDays(9)), NEWSLETTER);
      // Ended within the grace.
      signup(tx, "ended-late", "r-el", at(0), NEWSLETTER);
      tx.subjects().saveConsent(tx.subjects().consent(subjectId("ended-late"),
          NEWSLETTER).orElseThrow().expire(at(Duration.ofDays(11))));
      // Confirmed once, withdrawn long ago: proof of consent is kept for its own period.
      signup(tx, "was-confirmed", "r-wc", at(0), NEWSLETTER);
      tx.subjects().saveConsent(tx.subjects().consent(subjectId("was-confirmed"),
          NEWSLETTER).orElseThrow().confirm(at(60))
          .withdraw(at(120)));
      // One confirmed purpose, one expired pending one.
      signup(tx, "mixed", "r-m1", at(0), NEWSLETTER);
      tx.subjects().saveConsent(tx.subjects().consent(subjectId("mixed"), NEWSLETTER).orElseThrow().confirm(at(60)));
      signup(tx, "mixed", "r-m2", at(100), OFFERS);
      // An old lapsed signup, and a fresh request still open.
      signup(tx, "came-back", "r-cb1", at(0), NEWSLETTER);
      signup(tx, "came-back", "r-cb2", at(Duration.ofDays(9)), OFFERS);
      // No consent at all (left to the dormant-subject step).
      tx.subjects().insertSubject(new Subject(subjectId("bare"), email("bare"), at(0)));
    });
  }

  @Test
  void lapsedSignupsListsNeverConfirmedSubjectsWhoseSignupLapsedBeforeTheCutoff() {
    givenSignupsAroundTheCutoff();
    tx(tx -> {
      // created after the cut-off, with a request that (by a clock jump) already lapsed: still too young.
      tx.subjects().insertSubject(new Subject(subjectId("young"), email("young"), at(Duration.ofDays(10))));
      tx.requests().insertRequest(new PendingRequest("r-y", subjectId("young"), Set.of(NEWSLETTER),
          noticeRef("notice text"),
          null, Evidence.NONE, at(0), at(60), 1, PendingRequest.Status.OPEN, null));
      tx.subjects().saveConsent(pendingConsent(subjectId("young"), NEWSLETTER, "r-y", at(0)));
    });
    Instant cutoff = at(Duration.ofDays(10));

    List<SubjectId> all = read(tx -> tx.retention().lapsedSignups(cutoff, null, 100));

    assertEquals(Set.of(subjectId("lapsed-open"), subjectId("lapsed-marked"), subjectId("declined")),
        new HashSet<>(all));
    assertEquals(3, all.size());
    List<SubjectId> paged = new ArrayList<>(read(tx -> tx.retention().lapsedSignups(cutoff, null, 2)));
    assertEquals(2, paged.size());
    paged.addAll(read(tx -> tx.retention().lapsedSignups(cutoff, paged.get(1), 2)));
    assertEquals(all, paged, "pages continue after the last id, in the store's order");
    assertEquals(List.of(subjectId("declined")), read(tx -> tx.retention().lapsedSignups(at(Duration.ofHours(48)), null,
        100)),
        "the link must have run out, or the consent ended, strictly before the cut-off");
  }

  @Test
  void deleteLapsedSignupsDeletesWhatEraseSubjectWouldAndLeavesTheOthers() {
    givenSignupsAroundTheCutoff();
    SubjectId lapsed = subjectId("lapsed-open");
    tx(tx -> {
      tx.outbox().enqueue(mail("m-lapsed", lapsed, email("lapsed-open"), at(0)));
      tx.requests().saveAddressChange("r-lo", email("elsewhere"));
    });
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> everyone = read(tx -> tx.subjects().subjects(Set.of(), Set.of(), null, 100));
    assertEquals(9, everyone.size());

    assertEquals(3, (int) read(tx -> tx.retention().deleteLapsedSignups(everyone, cutoff)));

    store.inTransaction(tx -> {
      for (String name : List.of("lapsed-open", "lapsed-marked", "declined")) {
        SubjectId id = subjectId(name);
        assertTrue(tx.subjects().subject(id).isEmpty(), name);
        assertTrue(tx.subjects().subjectByEmail(email(name)).isEmpty(), name);
        assertTrue(tx.subjects().consents(id).isEmpty(), name);
        assertTrue(tx.history().events(id).isEmpty(), "no proof is needed of a consent never given: " + name);
        assertTrue(tx.history().head(id).isEmpty(), name);
        assertTrue(tx.requests().openRequests(id).isEmpty(), name);
        assertTrue(tx.outbox().mails(id).isEmpty(), name);
        assertFalse(tx.history().subjects(null, 100).contains(id), name);
      }
      assertTrue(tx.requests().request("r-lo").isEmpty());
      assertTrue(tx.requests().addressChange("r-lo").isEmpty());
      assertEquals(0, tx.outbox().countMails(email("lapsed-open"), MailKind.CONFIRMATION, T0));
      for (String name : List.of("in-grace", "ended-late", "was-confirmed", "mixed", "came-back", "bare")) {
        assertTrue(tx.subjects().subject(subjectId(name)).isPresent(), name);
      }
      SubjectId mixed = subjectId("mixed");
      assertEquals(ConsentState.CONFIRMED, tx.subjects().consent(mixed, NEWSLETTER).orElseThrow().state(),
          "a confirmed consent is never touched");
      assertEquals(ConsentState.PENDING, tx.subjects().consent(mixed, OFFERS).orElseThrow().state());
      assertEquals(2, tx.history().events(mixed).size());
      return null;
    });
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("mixed")));
    assertEquals(0, (int) read(tx -> tx.retention().deleteLapsedSignups(everyone, cutoff)), "nothing left to delete");
    assertTrue(read(tx -> tx.retention().lapsedSignups(cutoff, null, 100)).isEmpty());
  }

  @Test
  void deleteLapsedSignupsChecksAgainSoASubjectThatSignedUpSinceIsKept() {
    givenSignupsAroundTheCutoff();
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> listed = read(tx -> tx.retention().lapsedSignups(cutoff, null, 100));
    tx(tx -> {
      tx.history().lock(subjectId("lapsed-marked"));
      signup(tx, "lapsed-marked", "r-again", at(Duration.ofDays(9)), NEWSLETTER);
    });

    assertEquals(2, (int) read(tx -> tx.retention().deleteLapsedSignups(listed, cutoff)));

    assertTrue(read(tx -> tx.subjects().subject(subjectId("lapsed-marked"))).isPresent());
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
    List<SubjectId> ids = read(tx -> tx.retention().lapsedSignups(cutoff, null, 1000));
    assertEquals(n, ids.size());

    List<Integer> counts = concurrently(4, i -> {
      int total = 0;
      for (int round = 0; round < 3; round++) {
        total += store.inTransaction(tx -> tx.retention().deleteLapsedSignups(ids, cutoff));
      }
      return total;
    });

    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(0L, (long) read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects()));
  }

  @Test
  void deleteLapsedSignupsRefusesMoreThanAThousandIds() {
    List<SubjectId> many = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      many.add(subjectId("x" + i));
    }
    assertThrows(IllegalArgumentException.class, () -> read(tx -> tx.retention().deleteLapsedSignups(many, T0)));
    assertEquals(0, (int) read(tx -> tx.retention().deleteLapsedSignups(List.of(), T0)));
  }

  @Test
  void deleteUsedTokensRemovesOnlyExpiredOnesUpToLimit() {
    store.inTransaction(tx -> {
      tx.requests().useToken("old-1", at(10));
      tx.requests().useToken("old-2", at(20));
      tx.requests().useToken("live", at(1000));
      return null;
    });
    assertEquals(1, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 1)));
    assertEquals(1, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 10)));
    assertEquals(0, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 10)));
    store.inTransaction(tx -> {
      assertFalse(tx.requests().useToken("live", at(1000)), "a live token stays used");
      assertTrue(tx.requests().useToken("old-1", at(2000)), "a purged id is unknown again");
      return null;
    });
  }

  @Test
  void deleteFinishedMailsKeepsQueuedAndClaimedOnes() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(tx -> {
      tx.subjects().insertSubject(subject("ann"));
      for (String id : List.of("sent", "failed", "skipped", "queued", "claimed", "sent-late")) {
        tx.outbox().enqueue(mail(id, ann, email("ann"), id.equals("sent-late") ? at(500) : at(0)));
      }
      return null;
    });
    store.inTransaction(tx -> {
      for (OutboxMail m : tx.outbox().claimMails(at(1), at(100), 10)) {
        switch (m.id()) {
          case "sent", "sent-late" -> tx.outbox().updateMail(m.sent(at(2)));
          case "failed" -> tx.outbox().updateMail(m.failed("SMTP 550"));
          case "skipped" -> tx.outbox().updateMail(m.skipped("superseded"));
          case "queued" -> tx.outbox().updateMail(m.retryAt(at(3), "SMTP 451"));
          default -> { }
        }
      }
      return null;
    });
    assertEquals(3, (int) store.inTransaction(tx -> tx.retention().deleteFinishedMails(at(400), 10)));
    store.inTransaction(tx -> {
      assertEquals(Set.of("queued", "claimed", "sent-late"),
          new HashSet<>(tx.outbox().mails(ann).stream().map(OutboxMail::id).toList()));
      assertEquals(3, tx.outbox().countMails(email("ann"), MailKind.CONFIRMATION, T0));
      assertTrue(tx.outbox().enqueue(mail("sent", ann, email("ann"), at(600))), "dedupe key of a purged mail is free");
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
    tx(tx -> tx.registers().saveIncident(open));
    assertEquals(Optional.of(open), read(tx -> tx.registers().incident("inc-1")));

    Incident notified = open.authorityNotified(at(3600)).withSubjectNotice(
        new Incident.SubjectNotice("About your data", "What happened.\n\nWhat we did.", at(7200)));
    tx(tx -> tx.registers().saveIncident(notified));
    assertEquals(Optional.of(notified), read(tx -> tx.registers().incident("inc-1")));
    Incident closed = notified.closed(at(9000));
    tx(tx -> tx.registers().saveIncident(closed));
    assertEquals(Optional.of(closed), read(tx -> tx.registers().incident("inc-1")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().incident("inc-2")));
  }

  @Test
  void incidentsThenLatestDiscoveryFirstAndAllPurposesKeptAsEmpty() {
    Incident all = incident("inc-all", at(100), Set.of());
    Incident older = incident("inc-old", at(50), Set.of(SURVEYS));
    tx(tx -> {
      tx.registers().saveIncident(older);
      tx.registers().saveIncident(all);
    });

    assertEquals(List.of(all, older), read((ConsentStore.Transaction unit) -> unit.registers().incidents()));
    assertTrue(read(tx -> tx.registers().incident("inc-all")).orElseThrow().affectsEverySubject());
  }

  @Test
  void saveIncidentWhenWorkThrowsThenNothingKept() {
    throwAfter(tx -> tx.registers().saveIncident(incident("inc-1", at(0), Set.of())));

    assertEquals(List.of(), read((ConsentStore.Transaction unit) -> unit.registers().incidents()));
  }

  @Test
  void subjectsThenEveryoneOrThoseWithConsentsForPurposesInStatesEachOnceInPages() {
    givenSubjects("ann", "bob", "cy", "dee", "eve");
    tx(tx -> {
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "r1", T0).confirm(at(1)));
      tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "r1", T0).confirm(at(1)));
      tx.subjects().saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "r2", T0).withdraw(at(2)));
      tx.subjects().saveConsent(pendingConsent(subjectId("cy"), OFFERS, "r3", T0));
      tx.subjects().saveConsent(pendingConsent(subjectId("dee"), SURVEYS, "r4", T0).confirm(at(1)));
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
      List<SubjectId> page = read(tx -> tx.subjects().subjects(purposes, states, from, size));
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
      tx.registers().insertCampaign(c);
      tx.registers().insertCampaign(textOnly);
    });

    assertEquals(Optional.of(c), read(tx -> tx.registers().campaign("camp-1")));
    assertEquals(Optional.of(textOnly), read(tx -> tx.registers().campaign("camp-2")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().campaign("camp-3")));
    assertThrows(DuplicateKeyException.class, () -> tx(tx -> tx.registers().insertCampaign(c)));
  }

  @Test
  void countMailsByStatusThenCountsTheMailsOfOneRequestIdByStatus() {
    givenSubjects("ann", "bob");
    tx(tx -> {
      tx.outbox().enqueue(OutboxMail.queued("m1", MailKind.CAMPAIGN, subjectId("ann"), email("ann"), "camp-1", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d1", at(0)));
      tx.outbox().enqueue(OutboxMail.queued("m2", MailKind.CAMPAIGN, subjectId("bob"), email("bob"), "camp-1", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d2", at(0)));
      tx.outbox().enqueue(OutboxMail.queued("m3", MailKind.CAMPAIGN, subjectId("bob"), email("bob"), "camp-2", 0,
          Locale.ENGLISH, List.of(NEWSLETTER), "d3", at(0)));
    });
    tx(tx -> {
      List<OutboxMail> claimed = tx.outbox().claimMails(at(1), at(100), 1);
      tx.outbox().updateMail(claimed.get(0).sent(at(2)));
    });

    java.util.Map<OutboxMail.Status, Integer> counts = read(tx -> tx.outbox().countMailsByStatus("camp-1"));
    assertEquals(2, counts.values().stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(java.util.Map.of(), read(tx -> tx.outbox().countMailsByStatus("camp-9")));
    assertEquals(java.util.Map.of(OutboxMail.Status.QUEUED, 1), read(tx -> tx.outbox().countMailsByStatus("camp-2")));
  }

  @Test
  void saveRightsRequestThenFoundReplacedAndOpenOnesListedByDeadline() {
    RightsRequest late = RightsRequest.received("rr-1", subjectId("ann"), RightsRequest.Type.ERASURE, at(100));
    RightsRequest early = RightsRequest.received("rr-2", subjectId("bob"), RightsRequest.Type.ACCESS, at(50));
    RightsRequest done = RightsRequest.received("rr-3", subjectId("cy"), RightsRequest.Type.WITHDRAWAL, at(10))
        .completed(at(20), "withdrawn: [newsletter]");
    tx(tx -> {
      tx.registers().saveRightsRequest(late);
      tx.registers().saveRightsRequest(early);
      tx.registers().saveRightsRequest(done);
    });

    assertEquals(Optional.of(late), read(tx -> tx.registers().rightsRequest("rr-1")));
    assertEquals(Optional.of(done), read(tx -> tx.registers().rightsRequest("rr-3")));
    assertEquals(Optional.empty(), read(tx -> tx.registers().rightsRequest("rr-9")));
    assertEquals(List.of(early, late), read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));

    RightsRequest extended = early.extendedDeadline();
    tx(tx -> tx.registers().saveRightsRequest(extended));
    assertEquals(List.of(late, extended),
        read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));
    tx(tx -> tx.registers().saveRightsRequest(late.completed(at(200), "subject erased")));
    assertEquals(List.of(extended), read((ConsentStore.Transaction unit) -> unit.registers().openRightsRequests()));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The store stores what the core sealed (HistoryStore.lock and append, the sealer of expireOpenRequests)
  // ---------------------------------------------------------------------------------------------------------------

  @Test
  void lockThenGenesisHeadForANewHistoryAndTheLastEventsHeadAfterAppends() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");

    assertEquals(new HistoryHead(ann, 0, ConsentEvent.Seal.GENESIS), read(tx -> tx.history().lock(ann)));
    ConsentEvent first = read(tx -> HistoryChain.append(tx.history(),
        event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    assertEquals(new HistoryHead(ann, 1, first.seal().hash()), read(tx -> tx.history().lock(ann)));
  }

  @Test
  void appendWhenEventDoesNotContinueTheHeadThenIllegalArgumentAndNothingStored() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    tx(tx -> HistoryChain.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(tx -> {
      HistoryHead head = tx.history().lock(ann);
      ConsentEvent skipping = HistoryChain.seal(event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)),
          new HistoryHead(ann, head.position() + 1, head.hash()));
      ConsentEvent forking = HistoryChain.seal(event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)),
          new HistoryHead(ann, head.position(), ConsentEvent.Seal.GENESIS));
      ConsentEvent unsealed = event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1));
      assertThrows(IllegalArgumentException.class, () -> tx.history().append(skipping, head));
      assertThrows(IllegalArgumentException.class, () -> tx.history().append(forking, head));
      assertThrows(IllegalArgumentException.class, () -> tx.history().append(unsealed, head));
    });

    assertIntact(ann, 1);
  }

  @Test
  void appendWhenTheHeadIsNoLongerCurrentThenIllegalStateAndNothingStored() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");

    tx(tx -> {
      HistoryHead head = tx.history().lock(ann);
      ConsentEvent stale = HistoryChain.seal(event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)), head);
      HistoryChain.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
      assertThrows(IllegalStateException.class, () -> tx.history().append(stale, head));
    });

    assertIntact(ann, 1);
  }

  @Test
  void expireOpenRequestsThenEveryEventIsSealedByTheGivenSealerOnTheHeadTheStoreLocked() {
    Instant now = at(Duration.ofDays(3));
    SubjectId ann = subjectId("ann");
    tx(tx -> signup(tx, "ann", "r-ann", at(0), NEWSLETTER, OFFERS));
    List<HistoryHead> heads = new ArrayList<>();
    List<ConsentEvent.Seal> seals = new ArrayList<>();
    ChainSealer recording = (event, head) -> {
      heads.add(head);
      ConsentEvent sealed = HistoryChain.seal(event, head);
      seals.add(sealed.seal());
      return sealed;
    };

    assertEquals(1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, recording)));

    List<ConsentEvent> events = read(tx -> tx.history().events(ann));
    assertEquals(List.of(2, 3), heads.stream().map(HistoryHead::position).toList());
    assertEquals(events.get(1).seal().hash(), heads.get(0).hash());
    assertEquals(seals, events.subList(2, 4).stream().map(ConsentEvent::seal).toList());
    assertIntact(ann, 4);
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
        tx.subjects().insertSubject(subject(name));
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
    return store.inTransaction(tx -> tx.outbox().countMails(recipient, kind, since));
  }

  /**
   * Asserts that a subject's history verifies with the given number of events.
   *
   * @param id the subject
   * @param events the expected number of events
   */
  protected final void assertIntact(SubjectId id, int events) {
    HistoryVerification check = read(tx -> HistoryVerifier.verify(id, tx.history().events(id), tx.history().head(id)));
    assertEquals(new HistoryVerification.Intact(id, events,
        read(tx -> tx.history().head(id)).map(HistoryHead::hash).orElse(ConsentEvent.Seal.GENESIS)), check);
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
    tx.subjects().insertSubject(subject("ann"));
    tx.subjects().updateSubject(new Subject(subjectId("bob"), email("bob2"), T0));
    tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    HistoryChain.append(tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
    tx.notices().saveNotice(candidate);
    tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0));
    assertTrue(tx.requests().useToken("jti-1", at(3600)));
    assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
  }

  private void assertNoTraceOfTheUnit(Notice candidate) {
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("bob")), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("bob2"))));
    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.notices().notice(candidate.hash())));
    assertEquals(Optional.empty(), read(tx -> tx.requests().request("req-1")));
    assertEquals(List.of(), read(tx -> tx.requests().openRequests(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.outbox().mails(subjectId("ann"))));
    assertEquals(0, count(email("ann"), MailKind.CONFIRMATION, T0));
    assertEquals(List.of(), read(tx -> tx.outbox().claimMails(at(1), at(301), 10)));
    // Nothing was used or taken: the same writes succeed now.
    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
    assertEquals(1, read(tx -> tx.notices().saveNotice(candidate)).version());
    givenSubjects("ann");
    assertTrue(flag(tx -> tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0))));
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));
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
