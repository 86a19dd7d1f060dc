package org.optin4j.spi.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.spi.StoreFixtures.NEWSLETTER;
import static org.optin4j.spi.StoreFixtures.T0;
import static org.optin4j.spi.StoreFixtures.at;
import static org.optin4j.spi.StoreFixtures.email;
import static org.optin4j.spi.StoreFixtures.event;
import static org.optin4j.spi.StoreFixtures.mail;
import static org.optin4j.spi.StoreFixtures.node;
import static org.optin4j.spi.StoreFixtures.notice;
import static org.optin4j.spi.StoreFixtures.openRequest;
import static org.optin4j.spi.StoreFixtures.pendingConsent;
import static org.optin4j.spi.StoreFixtures.subject;
import static org.optin4j.spi.StoreFixtures.subjectId;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.optin4j.Notice;
import org.optin4j.Subject;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;

/**
 * The part of the store contract for the unit of work itself: {@link ConsentStore#inTransaction} and {@link
 * ConsentStore#read} keep all of a unit or nothing (whatever it throws), pass the work's result and exception through
 * unchanged, let the work see its own writes and other units only committed ones, and {@code read} refuses every
 * write.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class TransactionStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected TransactionStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

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
    assertSameThrownAndNoTraceOfTheUnit(RuntimeException.class, new RuntimeException("boom"));
  }

  @Test
  void inTransactionWhenWorkThrowsErrorThenSameErrorPropagatesAndNothingIsKept() {
    assertSameThrownAndNoTraceOfTheUnit(Error.class, new AssertionError("an error, not an exception"));
  }

  @Test
  void inTransactionWhenWorkThrowsCheckedExceptionSneakilyThenSameExceptionPropagatesAndNothingIsKept() {
    assertSameThrownAndNoTraceOfTheUnit(Exception.class, new Exception("checked, thrown sneakily"));
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

  /**
   * Writes one change of every kind in a unit that then throws, and asserts that the store let the same throwable out
   * and kept nothing of the unit. A checked exception is thrown sneakily, as Kotlin or Lombok code would.
   *
   * @param type what the store must let out
   * @param thrown the throwable the work throws
   * @param <X> its type
   */
  private <X extends Throwable> void assertSameThrownAndNoTraceOfTheUnit(Class<X> type, X thrown) {
    givenSubjects("bob");
    Notice candidate = notice(Locale.ENGLISH, "rolled back text", NEWSLETTER);

    X caught = assertThrows(type, () -> store.inTransaction(tx -> {
      writeAnnAndRenameBob(tx, candidate);
      throw TransactionStoreContract.<RuntimeException>sneaky(thrown);
    }));

    assertSame(thrown, caught);
    assertNoTraceOfTheUnit(candidate);
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

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
