package org.optin4j.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.HistoryStore;

class HistoryChainTest {
  private final SubjectId ann = subjectId("ann");
  private final ConsentEvent requested = event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);

  @Test
  void sealThenNextPositionTheHeadsHashAsPreviousAndAHashAnAuditorCanRecompute() {
    HistoryHead head = new HistoryHead(ann, 3, "a".repeat(64));

    ConsentEvent.Seal seal = HistoryChain.seal(requested, head).seal();

    assertEquals(4, seal.position());
    assertEquals(head.hash(), seal.previousHash());
    assertEquals(requested.detailsDigest(seal.detailsSalt()), seal.detailsDigest());
    assertEquals(requested.chainHash(4, head.hash(), seal.detailsDigest()), seal.hash());
  }

  @Test
  void sealThenAFreshSaltForEveryEvent() {
    HistoryHead genesis = new HistoryHead(ann, 0, ConsentEvent.Seal.GENESIS);

    assertNotEquals(
        HistoryChain.seal(requested, genesis).seal().detailsSalt(),
        HistoryChain.seal(requested, genesis).seal().detailsSalt());
  }

  @Test
  void sealWhenTheHeadIsAnotherSubjectsThenIllegalArgument() {
    HistoryHead bobs = new HistoryHead(subjectId("bob"), 0, ConsentEvent.Seal.GENESIS);

    assertThrows(IllegalArgumentException.class, () -> HistoryChain.seal(requested, bobs));
  }

  @Test
  void appendThenSealsOnTheHeadTheStoreLockedAndHandsBothToTheStore() {
    HistoryHead locked = new HistoryHead(ann, 2, "b".repeat(64));
    RecordingHistory history = new RecordingHistory(locked);

    ConsentEvent stored = HistoryChain.append(history, requested);

    assertEquals(locked, history.appendedOn);
    assertEquals(3, stored.seal().position());
    assertEquals(locked.hash(), stored.seal().previousHash());
  }

  @Test
  void appendWhenTheEventWasStoredOrSealedBeforeThenIllegalArgumentWithoutTakingTheLock() {
    HistoryStore history = mock(HistoryStore.class);
    ConsentEvent sealed =
        HistoryChain.seal(requested, new HistoryHead(ann, 0, ConsentEvent.Seal.GENESIS));

    assertThrows(
        IllegalArgumentException.class,
        () -> HistoryChain.append(history, requested.withSequence(7)));
    assertThrows(IllegalArgumentException.class, () -> HistoryChain.append(history, sealed));
    verify(history, never()).lock(any());
  }

  /** A history part that hands out a fixed head and records what it was asked to store. */
  private static final class RecordingHistory implements HistoryStore {
    private final HistoryHead head;
    private HistoryHead appendedOn;

    RecordingHistory(HistoryHead head) {
      this.head = head;
    }

    @Override
    public HistoryHead lock(SubjectId id) {
      return head;
    }

    @Override
    public ConsentEvent append(ConsentEvent sealed, HistoryHead on) {
      appendedOn = on;
      on.advance(sealed);
      return sealed.withSequence(1);
    }

    @Override
    public Optional<HistoryHead> head(SubjectId id) {
      return Optional.of(head);
    }

    @Override
    public List<ConsentEvent> events(SubjectId id) {
      return List.of();
    }

    @Override
    public List<SubjectId> subjects(SubjectId after, int limit) {
      return List.of();
    }
  }
}
