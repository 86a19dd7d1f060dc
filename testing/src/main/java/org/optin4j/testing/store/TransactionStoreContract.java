package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.node;
import static org.optin4j.testing.store.StoreFixtures.notice;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

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
    tx(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
        });

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.subjects().consents(subjectId("ann"))).size());
  }

  @Test
  void inTransactionThenWorkSeesItsOwnWrites() {
    tx(
        tx -> {
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

    RuntimeException caught =
        assertThrows(
            RuntimeException.class,
            () ->
                store.inTransaction(
                    tx -> {
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
    assertSameThrownAndNoTraceOfTheUnit(
        Error.class, new AssertionError("an error, not an exception"));
  }

  @Test
  void
      inTransactionWhenWorkThrowsCheckedExceptionSneakilyThenSameExceptionPropagatesAndNothingIsKept() {
    assertSameThrownAndNoTraceOfTheUnit(Exception.class, new Exception("checked, thrown sneakily"));
  }

  @Test
  void inTransactionWhenWorkThrowsThenStoreStillUsable() {
    assertThrows(
        IllegalStateException.class,
        () ->
            store.inTransaction(
                tx -> {
                  tx.subjects().insertSubject(subject("ann"));
                  throw new IllegalStateException("boom");
                }));

    tx(tx -> tx.subjects().insertSubject(subject("ann")));

    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void inTransactionWhenConcurrentReaderThenWritesOfOneUnitBecomeVisibleTogether()
      throws Exception {
    int units = 100;
    AtomicBoolean writerDone = new AtomicBoolean();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> writer =
          pool.submit(
              () -> {
                await(start);
                try {
                  for (int i = 0; i < units; i++) {
                    int n = i;
                    tx(
                        tx -> {
                          tx.subjects().insertSubject(subject("first" + n));
                          tx.subjects().insertSubject(subject("second" + n));
                        });
                  }
                } finally {
                  writerDone.set(true);
                }
                return null;
              });
      Future<Integer> reader =
          pool.submit(
              () -> {
                await(start);
                int torn = 0;
                do {
                  for (int i = 0; i < units; i++) {
                    int n = i;
                    // Read the later write first: if it is visible, the commit happened, so the
                    // earlier one must be too
                    // (this holds under READ COMMITTED as well as under a lock).
                    boolean torn1 =
                        read(
                            tx ->
                                tx.subjects().subjectByEmail(email("second" + n)).isPresent()
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
      assertEquals(
          0, reader.get(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "units seen half written");
    } finally {
      pool.shutdownNow();
    }
    assertTrue(read(tx -> tx.subjects().subject(subjectId("second" + (units - 1)))).isPresent());
  }

  @Test
  void readThenSeesWhatWasCommittedAndReturnsTheWorksResult() {
    givenSubjects("ann");
    tx(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    assertEquals(
        Optional.of(subject("ann")), store.read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(1, store.read(tx -> tx.history().events(subjectId("ann"))).size());
    assertEquals(1, store.read(tx -> tx.history().head(subjectId("ann"))).orElseThrow().position());
  }

  @Test
  void readWhenWorkWritesThenIllegalStateAndNothingIsWritten() {
    givenSubjects("ann");
    List<java.util.function.Consumer<ConsentStore.Transaction>> writes =
        List.of(
            tx -> tx.subjects().insertSubject(subject("bob")),
            tx ->
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)),
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
      assertThrows(
          IllegalStateException.class,
          () ->
              store.read(
                  tx -> {
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

    assertSame(
        thrown,
        assertThrows(
            IllegalArgumentException.class,
            () ->
                store.read(
                    tx -> {
                      throw thrown;
                    })));
    assertEquals(0L, read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects()));
  }

  private void writeAnnAndRenameBob(ConsentStore.Transaction tx, Notice candidate) {
    tx.subjects().insertSubject(subject("ann"));
    tx.subjects().updateSubject(new Subject(subjectId("bob"), email("bob2"), T0));
    tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
    Chains.append(
        tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
    tx.notices().saveNotice(candidate);
    tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0));
    assertTrue(tx.requests().useToken("jti-1", at(3600)));
    assertTrue(tx.outbox().enqueue(mail("m1", subjectId("ann"), email("ann"), T0)));
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

    X caught =
        assertThrows(
            type,
            () ->
                store.inTransaction(
                    tx -> {
                      writeAnnAndRenameBob(tx, candidate);
                      throw TransactionStoreContract.<RuntimeException>sneaky(thrown);
                    }));

    assertSame(thrown, caught);
    assertNoTraceOfTheUnit(candidate);
  }

  private void assertNoTraceOfTheUnit(Notice candidate) {
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(
        Optional.of(subject("bob")), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
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

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E sneaky(Throwable t) throws E {
    throw (E) t;
  }
}
