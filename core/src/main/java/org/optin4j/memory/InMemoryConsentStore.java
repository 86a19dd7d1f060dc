package org.optin4j.memory;

import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.optin4j.StoreException;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;

/**
 * A {@link ConsentStore} that keeps everything in the heap of one JVM: for tests and single-node demos. Nothing
 * survives a restart, and several nodes cannot share it (security rule 26 needs a database: use the JDBC store).
 *
 * <p><b>Transactions.</b> Transactions are serialised by one lock: while one runs, {@link #inTransaction} in any other
 * thread waits. Writes are applied at once and recorded in an undo log; if the unit of work throws anything (an
 * unchecked exception, an error, or a checked exception thrown sneakily), the log is replayed backwards, so none of the
 * unit's writes stays, and the very same throwable propagates. Because no other transaction can run meanwhile, no one
 * ever sees a partial unit. Event sequence numbers are not given back on rollback, like database sequences: they are
 * strictly increasing, not gap-free.
 *
 * <p>Calling {@code inTransaction} again from inside a unit of work, on the same thread, throws {@link
 * IllegalStateException}: nested units are not joined, because a join would let the inner caller believe its writes
 * were committed when the outer unit may still roll them back. Pass the {@link ConsentStore.Transaction} down instead.
 * A {@code Transaction} may only be used by the thread that runs the unit, and only while it runs; otherwise its
 * methods throw {@code IllegalStateException}.
 *
 * <p><b>Constraints</b>, as a database schema would enforce them:
 *
 * <ul>
 *   <li>subject id and subject address are unique ({@link DuplicateKeyException}); so are request ids, mail ids and
 *       mail dedupe keys ({@link org.optin4j.spi.OutboxStore#enqueue} answers {@code false} for a taken dedupe key, and
 *       throws {@code DuplicateKeyException} for a taken mail id);
 *   <li>consents, events, requests and mails must belong to a stored subject ({@link StoreException} otherwise);
 *   <li>after a {@code DuplicateKeyException} the transaction is doomed, as on PostgreSQL: further calls throw {@link
 *       StoreException}, and if the unit swallows the exception and returns normally, everything is rolled back and
 *       {@code inTransaction} throws {@code StoreException} with the duplicate as its cause;
 *   <li>{@code updateSubject}, {@code updateRequest} and {@code updateMail} of an unknown id throw {@code
 *       StoreException}; {@code updateSubject} changes only the address and {@code updateMail} only the dispatch state
 *       (status, attempts, next attempt, lease, sent time, last error), keeping the other components as stored; a
 *       request cannot move to another subject ({@link IllegalArgumentException}).
 * </ul>
 *
 * <p><b>Cost.</b> Lookups are by hash index (subject by id and by address, request by id, mail by id and dedupe key,
 * notice by hash, token by id) or per subject; due mails are found through indexes ordered by due time and lease end.
 * Used token ids are kept until the retention job deletes those whose tokens have expired ({@code deleteUsedTokens}).
 *
 * <p>This class is thread-safe. All stored and returned values are immutable records; returned lists are unmodifiable
 * snapshots.
 */
public final class InMemoryConsentStore implements ConsentStore {

  private final ReentrantLock lock = new ReentrantLock();

  /** Guarded by {@link #lock}. */
  private final MemoryState state = new MemoryState();

  private InMemoryConsentStore() {}

  /**
   * Creates an empty store.
   *
   * @return the store
   */
  public static InMemoryConsentStore create() {
    return new InMemoryConsentStore();
  }

  /**
   * {@inheritDoc}
   *
   * @throws IllegalStateException if called from inside a unit of work on the same thread
   */
  @Override
  public <T> T inTransaction(Function<Transaction, T> work) {
    return run(work, false);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: like {@link #inTransaction} (under the same lock), with every write refused.
   */
  @Override
  public <T> T read(Function<Transaction, T> work) {
    return run(work, true);
  }

  private <T> T run(Function<Transaction, T> work, boolean readOnly) {
    Objects.requireNonNull(work, "work");
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException(
          "nested inTransaction is not supported by InMemoryConsentStore; pass the Transaction down instead");
    }
    lock.lock();
    MemoryUnit tx = new MemoryUnit(state, Thread.currentThread(), readOnly);
    try {
      T result;
      try {
        result = work.apply(tx);
      } catch (Throwable t) {
        tx.rollback(t);
        throw t;
      }
      if (tx.doomedBy != null) {
        StoreException e =
            new StoreException(
                "the unit of work went on after a duplicate key; the transaction was rolled back",
                tx.doomedBy);
        tx.rollback(e);
        throw e;
      }
      return result;
    } finally {
      tx.active = false;
      lock.unlock();
    }
  }
}
