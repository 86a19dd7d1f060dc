package org.optin4j.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import org.junit.jupiter.api.Test;
import org.optin4j.proof.ConsentEvent;

class HistoryHeadTest {
  private final HistoryHead head = new HistoryHead(subjectId("ann"), 2, "c".repeat(64));
  private final ConsentEvent unsealed =
      event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, T0);

  private static ConsentEvent sealedAt(ConsentEvent event, int position, String previousHash) {
    return event.sealed(position, previousHash, new byte[16]);
  }

  @Test
  void advanceThenTheHeadAtTheSealedEvent() {
    ConsentEvent sealed = sealedAt(unsealed, 3, head.hash());

    assertEquals(new HistoryHead(head.subjectId(), 3, sealed.seal().hash()), head.advance(sealed));
  }

  @Test
  void advanceWhenTheEventIsNotSealedOrWasStoredThenIllegalArgument() {
    ConsentEvent stored = sealedAt(unsealed, 3, head.hash()).withSequence(9);

    assertThrows(IllegalArgumentException.class, () -> head.advance(unsealed));
    assertThrows(IllegalArgumentException.class, () -> head.advance(stored));
  }

  @Test
  void advanceWhenTheEventSkipsOrRepeatsAPositionThenIllegalArgument() {
    assertThrows(
        IllegalArgumentException.class, () -> head.advance(sealedAt(unsealed, 4, head.hash())));
    assertThrows(
        IllegalArgumentException.class, () -> head.advance(sealedAt(unsealed, 2, head.hash())));
  }

  @Test
  void advanceWhenThePreviousHashIsNotTheHeadsThenIllegalArgument() {
    assertThrows(
        IllegalArgumentException.class,
        () -> head.advance(sealedAt(unsealed, 3, ConsentEvent.Seal.GENESIS)));
  }

  @Test
  void advanceWhenTheEventIsAnotherSubjectsThenIllegalArgument() {
    ConsentEvent bobs = event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, T0);

    assertThrows(
        IllegalArgumentException.class, () -> head.advance(sealedAt(bobs, 3, head.hash())));
  }
}
