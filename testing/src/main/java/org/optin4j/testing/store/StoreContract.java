package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeEach;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.TransactionConflictException;

/**
 * What every part of the store contract shares: the store under test, fresh for each test, and small helpers for
 * units of work. Together the parts are the definition of a correct {@link ConsentStore}: every implementation runs
 * all of them and passes every test.
 *
 * <p>The parts follow the SPI's parts, so that a store can be written and checked one part at a time:
 * {@link TransactionStoreContract} (the unit of work), {@link SubjectStoreContract}, {@link HistoryStoreContract},
 * {@link NoticeStoreContract}, {@link RequestStoreContract}, {@link OutboxStoreContract},
 * {@link RetentionStoreContract}, {@link RegisterStoreContract}, {@link FeedStoreContract} and
 * {@link WebhookStoreContract}.
 *
 * <p>The suite uses the SPI only and tests only what its Javadoc promises: transactions that keep all of a unit or
 * nothing, unique keys, notice versioning, single use of tokens, the outbox's dedupe, claims and leases, and the
 * orderings of the list queries. Times are fixed instants: stored times are whole seconds from {@link
 * StoreFixtures#T0}, so that a database keeping milliseconds loses nothing, and boundary queries probe one millisecond
 * either side. Concurrency tests use start gates, never sleeps.
 *
 * <p>A store's test class runs every part as a JUnit 5 {@code @Nested} class, so that reports name the store and the
 * part ({@code MyConsentStoreTest$Outbox}):
 *
 * <pre>{@code
 * class MyConsentStoreTest {
 *   @Nested class Transactions extends TransactionStoreContract { Transactions() { super(MyConsentStore::new); } }
 *   @Nested class Subjects extends SubjectStoreContract { Subjects() { super(MyConsentStore::new); } }
 *   // ... and so on for History, Notices, Requests, Outbox, Retention and Registers
 * }
 * }</pre>
 *
 * <p>Not thread-safe itself; JUnit runs each test on a fresh instance.
 */
public abstract class StoreContract {

  /** How long a concurrency test waits for its threads, in seconds. */
  protected static final long CONCURRENCY_TIMEOUT_SECONDS = 60;

  /** The store under test, fresh for each test. */
  protected ConsentStore store;

  private final StoreUnderTest storeUnderTest;

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected StoreContract(StoreUnderTest storeUnderTest) {
    this.storeUnderTest = Objects.requireNonNull(storeUnderTest, "storeUnderTest");
  }

  @BeforeEach
  void createStore() {
    store = storeUnderTest.newStore();
  }

  /**
   * Stores Ann with a confirmed newsletter consent, two events, an open request with an address change and a queued
   * mail.
   *
   * @return Ann's id
   */
  protected final SubjectId annWithEverything() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          tx.requests().insertRequest(openRequest("req-1", ann, at(0)));
          tx.subjects()
              .saveConsent(pendingConsent(ann, NEWSLETTER, "req-1", at(0)).confirm(at(60)));
          Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, at(0)));
          Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)));
          tx.requests().saveAddressChange("req-1", email("ann-new"));
          tx.outbox().enqueue(mail("m-1", ann, email("ann"), at(0)));
          return null;
        });
    return ann;
  }

  /**
   * Runs a unit of work, again when the database rolled it back as the victim of a conflict with a concurrent unit
   * ({@link TransactionConflictException}, at most five runs): what the SPI allows a store to do, and what the core
   * does for its own set-based and signup units. For the tests that run units at once.
   *
   * @param work the unit
   * @param <T> its result
   * @return the result of the run that committed
   */
  protected final <T> T unitRetryingConflicts(Function<ConsentStore.Transaction, T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return store.inTransaction(work);
      } catch (TransactionConflictException e) {
        if (attempt == 5) {
          throw e;
        }
      }
    }
  }

  /**
   * Runs a unit of work that returns nothing.
   *
   * @param work the work
   */
  protected final void tx(Consumer<ConsentStore.Transaction> work) {
    store.inTransaction(
        tx -> {
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
    tx(
        tx -> {
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
    HistoryVerification check = Chains.verify(store, id);
    assertEquals(
        new HistoryVerification.Intact(
            id,
            events,
            read(tx -> tx.history().head(id))
                .map(HistoryHead::hash)
                .orElse(ConsentEvent.Seal.GENESIS)),
        check);
  }

  /**
   * Runs a unit of work, then throws from it, and asserts that the same exception came out of the store.
   *
   * @param work the work whose writes must then be rolled back
   */
  protected final void throwAfter(Consumer<ConsentStore.Transaction> work) {
    RuntimeException boom = new RuntimeException("boom");
    RuntimeException caught =
        assertThrows(
            RuntimeException.class,
            () ->
                store.inTransaction(
                    tx -> {
                      work.accept(tx);
                      throw boom;
                    }));
    assertSame(boom, caught);
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
        Callable<T> c =
            () -> {
              ready.countDown();
              await(start);
              return task.run(index);
            };
        futures.add(pool.submit(c));
      }
      assertTrue(
          ready.await(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "threads did not start");
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

  /**
   * Waits for a start gate, at most {@link #CONCURRENCY_TIMEOUT_SECONDS}.
   *
   * @param latch the gate
   * @throws InterruptedException if interrupted while waiting
   */
  protected static void await(CountDownLatch latch) throws InterruptedException {
    assertTrue(latch.await(CONCURRENCY_TIMEOUT_SECONDS, TimeUnit.SECONDS), "start gate not opened");
  }
}
