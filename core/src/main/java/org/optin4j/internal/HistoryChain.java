package org.optin4j.internal;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.optin4j.feed.FeedEntry;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ChainSealer;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.HistoryStore;

/**
 * Seals events into their subjects' hash chains: the one place that decides an event's position, previous hash, salt,
 * details digest and hash (the byte layout is {@link ConsentEvent#sealed}'s, documented in
 * {@code docs/proof-and-rights.md}). Stores only store what it sealed ({@link HistoryStore#append}), so every store
 * keeps the same verifiable proof (GDPR Art. 7(1)).
 *
 * <p>Thread-safe and stateless apart from the random source of salts, which {@link SecureRandom} makes thread-safe; it
 * is shared as the JDK shares the one behind {@link java.util.UUID#randomUUID}, since a salt needs no configuration.
 */
public final class HistoryChain {
  /** Salts of event details digests: 16 fresh random bytes per event, never reused. */
  private static final SecureRandom SALTS = new SecureRandom();

  /** Seals {@code event} onto {@code head}: {@link #seal} as a {@link ChainSealer} for set-based appends. */
  public static final ChainSealer SEALER = HistoryChain::seal;

  private HistoryChain() {}

  /**
   * Appends an event to its subject's history and its entry to the feed, in the unit of work: the one way the core
   * records a consent change, so that no change reaches the history without reaching the feed (docs/feed.md).
   *
   * @param tx the current unit of work
   * @param event the event, with sequence 0 and no seal
   * @return the stored event, with its sequence and seal
   * @throws IllegalArgumentException if the event has a sequence or a seal already
   */
  public static ConsentEvent append(ConsentStore.Transaction tx, ConsentEvent event) {
    ConsentEvent stored = append(tx.history(), event);
    tx.feed().append(FeedEntry.of(stored));
    return stored;
  }

  /**
   * Appends events of one subject to its history, in order, and their entries to the feed: what {@link
   * #append(ConsentStore.Transaction, ConsentEvent)} does for each, with the events handed to the store at once
   * ({@link HistoryStore#appendAll}) so that a JDBC store writes them in one round trip.
   *
   * @param tx the current unit of work
   * @param events the events of one subject, each with sequence 0 and no seal; may be empty
   * @return the stored events, with their sequences and seals, in the same order
   * @throws IllegalArgumentException if an event has a sequence or a seal already, or the events are of several
   *     subjects
   */
  public static List<ConsentEvent> appendAll(
      ConsentStore.Transaction tx, List<ConsentEvent> events) {
    Objects.requireNonNull(events, "events");
    if (events.isEmpty()) {
      return List.of();
    }
    events.forEach(HistoryChain::requireUnsealed);
    HistoryStore history = tx.history();
    HistoryHead head = history.lock(events.get(0).subjectId());
    List<ConsentEvent> sealed = new ArrayList<>(events.size());
    HistoryHead at = head;
    for (ConsentEvent e : events) {
      ConsentEvent s = seal(e, at); // refuses an event of another subject
      sealed.add(s);
      at = at.advance(s);
    }
    List<ConsentEvent> stored = history.appendAll(sealed, head);
    stored.forEach(e -> tx.feed().append(FeedEntry.of(e)));
    return stored;
  }

  /**
   * Returns the sealer for a set-based append in the unit of work ({@link
   * org.optin4j.spi.RetentionStore#expireOpenRequests}): it seals as {@link #SEALER} does and adds each sealed event's
   * entry to the feed, in sealing order (a store seals only events it stores, in each subject's history order).
   *
   * @param tx the current unit of work
   * @return the sealer
   */
  public static ChainSealer sealerWithFeed(ConsentStore.Transaction tx) {
    return (event, head) -> {
      ConsentEvent sealed = seal(event, head);
      tx.feed().append(FeedEntry.of(sealed));
      return sealed;
    };
  }

  /**
   * Appends an event to its subject's history only, without its feed entry (store tests; the core uses
   * {@link #append(ConsentStore.Transaction, ConsentEvent)}): takes the subject's history lock, seals the event onto the head it got
   * and has the store keep it. Appends for one subject are serialised by the lock, so a chain never forks.
   *
   * @param history the history part of the current unit of work
   * @param event the event, with sequence 0 and no seal
   * @return the stored event, with its sequence and seal
   * @throws IllegalArgumentException if the event has a sequence or a seal already
   */
  public static ConsentEvent append(HistoryStore history, ConsentEvent event) {
    Objects.requireNonNull(history, "history");
    requireUnsealed(event);
    HistoryHead head = history.lock(event.subjectId());
    return history.append(seal(event, head), head);
  }

  /**
   * Seals an event onto a chain head: the next position, the head's hash as previous hash and a fresh 16-byte salt.
   *
   * @param event the event, with sequence 0 and no seal, of the head's subject
   * @param head the subject's current chain head
   * @return the sealed event
   * @throws IllegalArgumentException if the event has a sequence or a seal already, or belongs to another subject
   */
  public static ConsentEvent seal(ConsentEvent event, HistoryHead head) {
    requireUnsealed(event);
    Objects.requireNonNull(head, "head");
    if (!event.subjectId().equals(head.subjectId())) {
      throw new IllegalArgumentException(
          "the event of "
              + event.subjectId()
              + " cannot continue the chain of "
              + head.subjectId());
    }
    byte[] salt = new byte[16];
    SALTS.nextBytes(salt);
    return event.sealed(head.position() + 1, head.hash(), salt);
  }

  /** Refuses an event that was stored or sealed before: before taking a lock, so that a wrong call costs nothing. */
  private static void requireUnsealed(ConsentEvent event) {
    Objects.requireNonNull(event, "event");
    if (event.sequence() != 0) {
      throw new IllegalArgumentException(
          "an event to append has sequence 0, was " + event.sequence());
    }
    if (event.seal() != null) {
      throw new IllegalArgumentException("an event to append has no seal yet");
    }
  }
}
