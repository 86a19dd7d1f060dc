package org.optin4j.memory;

import static org.optin4j.memory.MemoryUnit.checkLimit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.HistoryStore;

/**
 * The in-memory HistoryStore: hash-chained histories; it stores what the core sealed and computes no hash. Reads and
 * writes the store's shared state directly, under the store lock that every unit holds, and logs how to undo each write
 * in its unit. One per unit of work; not thread-safe.
 */
record MemoryHistory(MemoryUnit unit, MemoryState state) implements HistoryStore {
  @Override
  public HistoryHead lock(SubjectId id) {
    unit.checkWrite();
    Objects.requireNonNull(id, "id");
    // Every transaction holds the store lock already.
    return current(id);
  }

  @Override
  public ConsentEvent append(ConsentEvent sealed, HistoryHead head) {
    unit.checkWrite();
    Objects.requireNonNull(head, "head");
    HistoryHead moved = head.advance(sealed);
    unit.requireSubject(sealed.subjectId());
    // The store lock serialises every transaction, so the head read here is the latest one.
    if (!current(sealed.subjectId()).equals(head)) {
      throw new IllegalStateException(
          "the event was sealed on a head that is no longer the subject's current one");
    }
    ConsentEvent stored = sealed.withSequence(++state.lastSequence);
    unit.append(
        state.eventsBySubject.computeIfAbsent(sealed.subjectId(), k -> new ArrayList<>()), stored);
    unit.put(state.historyHeads, sealed.subjectId().value(), moved);
    return stored;
  }

  @Override
  public Optional<HistoryHead> head(SubjectId id) {
    unit.check();
    Objects.requireNonNull(id, "id");
    return Optional.ofNullable(state.historyHeads.get(id.value()));
  }

  @Override
  public List<SubjectId> subjects(SubjectId after, int limit) {
    unit.check();
    checkLimit(limit);
    Collection<HistoryHead> rest =
        after == null
            ? state.historyHeads.values()
            : state.historyHeads.tailMap(after.value(), false).values();
    return rest.stream().limit(limit).map(HistoryHead::subjectId).toList();
  }

  @Override
  public List<ConsentEvent> events(SubjectId id) {
    unit.check();
    Objects.requireNonNull(id, "id");
    List<ConsentEvent> events = state.eventsBySubject.get(id);
    return events == null ? List.of() : List.copyOf(events);
  }

  /** The subject's head, or the genesis head (position 0) if nothing was appended yet. */
  private HistoryHead current(SubjectId id) {
    HistoryHead head = state.historyHeads.get(id.value());
    return head != null ? head : new HistoryHead(id, 0, ConsentEvent.Seal.GENESIS);
  }
}
