package org.optin4j.memory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;

/**
 * A unit's view of the in-memory store: hands out its parts, which read and write the shared state directly, and keeps
 * the undo log that every part records its writes in, so that a failed unit leaves nothing behind. Valid only while its
 * unit runs, on the thread that runs it; not thread-safe.
 */
final class MemoryUnit implements ConsentStore.Transaction {
  private final MemoryState state;
  private final Thread owner;
  private final boolean readOnly;
  private final Deque<Runnable> undoLog = new ArrayDeque<>();
  boolean active = true;
  DuplicateKeyException doomedBy;

  MemoryUnit(MemoryState state, Thread owner, boolean readOnly) {
    this.state = state;
    this.owner = owner;
    this.readOnly = readOnly;
  }

  // The parts are records of this unit and the shared state, made on each call: cheap, and equal to
  // one another.

  @Override
  public MemorySubjects subjects() {
    return new MemorySubjects(this, state);
  }

  @Override
  public MemoryHistory history() {
    return new MemoryHistory(this, state);
  }

  @Override
  public MemoryNotices notices() {
    return new MemoryNotices(this, state);
  }

  @Override
  public MemoryRequests requests() {
    return new MemoryRequests(this, state);
  }

  @Override
  public MemoryOutbox outbox() {
    return new MemoryOutbox(this, state);
  }

  @Override
  public MemoryRetention retention() {
    return new MemoryRetention(this, state);
  }

  @Override
  public MemoryRegisters registers() {
    return new MemoryRegisters(this, state);
  }

  @Override
  public MemoryFeed feed() {
    return new MemoryFeed(this, state);
  }

  @Override
  public MemoryWebhooks webhooks() {
    return new MemoryWebhooks(this, state);
  }

  @Override
  public MemoryReports reports() {
    return new MemoryReports(this, state);
  }

  @Override
  public MemorySendRates sendRates() {
    return new MemorySendRates(this, state);
  }

  /** Refuses a write in a unit run by {@link InMemoryConsentStore#read}. */
  void checkWritable() {
    if (readOnly) {
      throw new IllegalStateException(
          "this unit of work only reads (ConsentStore.read); write in inTransaction");
    }
  }

  /** Refuses a write: checks the unit as {@link #check} does, then that it may write. */
  void checkWrite() {
    check();
    checkWritable();
  }

  void rollback(Throwable cause) {
    try {
      while (!undoLog.isEmpty()) {
        undoLog.pop().run();
      }
    } catch (RuntimeException | Error e) {
      cause.addSuppressed(e);
    }
  }

  /** Refuses any use after the unit ended, from another thread, or after a duplicate key doomed it. */
  void check() {
    if (!active) {
      throw new IllegalStateException("the transaction has ended");
    }
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException("a transaction may only be used by the thread that runs it");
    }
    if (doomedBy != null) {
      throw new StoreException("the transaction is rolled back after a duplicate key", doomedBy);
    }
  }

  static void checkLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, was " + limit);
    }
  }

  /** Refuses a key that is taken: a duplicate key, which dooms the unit as it does on the JDBC store. */
  <K> void requireAbsent(Map<K, ?> map, K key, String constraint) {
    if (map.containsKey(key)) {
      throw duplicate(constraint);
    }
  }

  DuplicateKeyException duplicate(String constraint) {
    doomedBy = new DuplicateKeyException("duplicate key: " + constraint, null);
    return doomedBy;
  }

  /** Reads one entry of the shared state, after {@link #check}; {@code name} names a missing key. */
  <K, V> Optional<V> find(Map<K, V> map, K key, String name) {
    check();
    return Optional.ofNullable(map.get(Objects.requireNonNull(key, name)));
  }

  /**
   * Begins an update: checks the write and the entry ({@code name} names a missing one), and returns the stored entry
   * under the same key that the update replaces; a missing one fails the update ("no {what} with that id").
   */
  <K, V> V replacing(Map<K, V> map, V entry, String name, Function<V, K> key, String what) {
    checkWrite();
    Objects.requireNonNull(entry, name);
    V stored = map.get(key.apply(entry));
    if (stored == null) {
      throw new StoreException("no " + what + " with that id");
    }
    return stored;
  }

  void requireSubject(SubjectId id) {
    if (!state.subjects.containsKey(id)) {
      throw new StoreException("no subject with that id (foreign key)");
    }
  }

  // Logged primitive writes: the parts change the shared state only through these, so that a
  // rollback undoes it all.

  <K, V> void put(Map<K, V> map, K key, V value) {
    checkWritable();
    boolean had = map.containsKey(key);
    V old = map.put(key, value);
    undoLog.push(had ? () -> map.put(key, old) : () -> map.remove(key));
  }

  <K, V> void remove(Map<K, V> map, K key) {
    checkWritable();
    if (map.containsKey(key)) {
      V old = map.remove(key);
      undoLog.push(() -> map.put(key, old));
    }
  }

  <E> void append(List<E> list, E element) {
    checkWritable();
    list.add(element);
    undoLog.push(() -> list.remove(list.size() - 1));
  }

  <E> void add(Set<E> set, E element) {
    checkWritable();
    if (set.add(element)) {
      undoLog.push(() -> set.remove(element));
    }
  }

  <E> void remove(Set<E> set, E element) {
    checkWritable();
    if (set.remove(element)) {
      undoLog.push(() -> set.add(element));
    }
  }
}
