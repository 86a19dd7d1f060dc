package org.optin4j.spi;

import java.util.List;
import java.util.Optional;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;

/**
 * The part of a unit of work that keeps each subject's append-only, hash-chained consent history: the proof that
 * consent was given, to what and how (GDPR Art. 7(1)).
 *
 * <p>The store only stores: the core {@linkplain ChainSealer seals} every event onto the chain head it got from
 * {@link #lock} and hands the store the sealed event together with that head ({@link #append}). The store checks that
 * the event continues that head and that the head is still the subject's current one, assigns the sequence, stores the
 * event and moves the head, all in this unit. Appends for one subject are thereby serialised across threads and nodes
 * by the history lock, and a store shared by several nodes also keeps one event per (subject, position) with a unique
 * key, so that a chain never forks.
 *
 * <p>Obtained from {@link ConsentStore.Transaction#history()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe.
 */
public interface HistoryStore {

  /**
   * Takes the subject's history lock until the transaction ends (creating the chain head at position 0 if there is
   * none) and returns the head. A unit that reads consents for change and then appends events should take it first, so
   * that every unit locks a subject's history before its consent rows and concurrent units cannot deadlock.
   *
   * @param id the subject
   * @return the subject's current chain head: position 0 and {@link ConsentEvent.Seal#GENESIS} if nothing was appended
   * @throws IllegalStateException in a unit that only reads ({@link ConsentStore#read})
   */
  HistoryHead lock(SubjectId id);

  /**
   * Stores an event the core sealed onto the head {@link #lock} returned, and moves the head to it. The store refuses
   * an event that does not continue {@code head} (position one higher, previous hash the head's hash, same subject), or
   * a {@code head} that is no longer the subject's current one (another event was appended after it was read): either
   * would fork the chain. It computes no hash.
   *
   * @param sealed the event with sequence 0 and its {@linkplain ConsentEvent#seal() seal}
   * @param head the head the event was sealed on, as {@link #lock} returned it (or as a previous append moved it)
   * @return the event with the sequence the store assigned (strictly increasing per store)
   * @throws IllegalArgumentException if the event is not sealed, has a sequence, or does not continue {@code head}
   * @throws IllegalStateException if {@code head} is not the subject's current head, or in a unit that only reads
   */
  ConsentEvent append(ConsentEvent sealed, HistoryHead head);

  /**
   * Stores events of one subject the core sealed one after another onto {@code head} (the first continues
   * {@code head}, each next one the event before it), and moves the head to the last: what {@link #append} does for
   * each in order, so that a signup or confirmation of several purposes can reach the database in one round trip
   * (a JDBC batch). The checks and failures are {@link #append}'s; a store that cannot batch keeps this default, which
   * appends one by one.
   *
   * @param sealed the sealed events in chain order, each with sequence 0; may be empty
   * @param head the head the first event was sealed on, as {@link #lock} returned it (or as an append moved it)
   * @return the events with the sequences the store assigned, in the same order
   * @throws IllegalArgumentException if an event is not sealed, has a sequence, or does not continue the one before
   * @throws IllegalStateException if {@code head} is not the subject's current head, or in a unit that only reads
   */
  default List<ConsentEvent> appendAll(List<ConsentEvent> sealed, HistoryHead head) {
    java.util.Objects.requireNonNull(sealed, "sealed");
    java.util.Objects.requireNonNull(head, "head");
    List<HistoryHead> heads = new java.util.ArrayList<>(sealed.size());
    HistoryHead current = head;
    for (ConsentEvent e : sealed) {
      heads.add(current);
      current = current.advance(e); // all checked before the first is stored
    }
    List<ConsentEvent> stored = new java.util.ArrayList<>(sealed.size());
    for (int i = 0; i < sealed.size(); i++) {
      stored.add(append(sealed.get(i), heads.get(i)));
    }
    return List.copyOf(stored);
  }

  /**
   * Returns the recorded end of a subject's hash chain, also after the subject was erased with a kept stub.
   *
   * @param id the subject
   * @return the head, or empty if no event was ever appended (or the history was deleted)
   */
  Optional<HistoryHead> head(SubjectId id);

  /**
   * Returns a subject's history, oldest first.
   *
   * @param id the subject
   * @return the events
   */
  List<ConsentEvent> events(SubjectId id);

  /**
   * Lists subjects with a history (at least one event appended and not deleted; a de-identified stub counts), by
   * subject id, for audits in batches.
   *
   * @param after list only ids after this one, or {@code null} to start
   * @param limit the most to return
   * @return the subject ids, ascending in code-point order (as {@link String#compareTo} orders ids)
   */
  List<SubjectId> subjects(SubjectId after, int limit);
}
