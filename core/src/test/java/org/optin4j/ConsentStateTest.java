package org.optin4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.ConsentState.CONFIRMED;
import static org.optin4j.ConsentState.ERASED;
import static org.optin4j.ConsentState.EXPIRED;
import static org.optin4j.ConsentState.PENDING;
import static org.optin4j.ConsentState.WITHDRAWN;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConsentStateTest {
  /** The diagram in ConsentState's Javadoc, written out independently of the code under test. */
  static final Map<ConsentState, Set<ConsentState>> DIAGRAM =
      Map.of(
          PENDING,
              EnumSet.of(CONFIRMED, WITHDRAWN, EXPIRED, ERASED), // confirm, cancel, expire, erase
          CONFIRMED, EnumSet.of(WITHDRAWN, EXPIRED, ERASED), // withdraw, retention ran out, erase
          WITHDRAWN, EnumSet.of(PENDING, ERASED), // fresh double opt-in, erase
          EXPIRED, EnumSet.of(PENDING, ERASED), // fresh double opt-in, erase
          ERASED, EnumSet.noneOf(ConsentState.class)); // final

  /** All 25 (from, to) pairs with whether the diagram allows them. */
  static List<Arguments> allPairs() {
    List<Arguments> pairs = new ArrayList<>();
    for (ConsentState from : ConsentState.values()) {
      for (ConsentState to : ConsentState.values()) {
        pairs.add(Arguments.of(from, to, DIAGRAM.get(from).contains(to)));
      }
    }
    return pairs;
  }

  @Test
  void allPairsWhenListedThenTwentyFiveOfWhichElevenAllowed() {
    assertEquals(25, allPairs().size());
    assertEquals(11, allPairs().stream().filter(a -> (Boolean) a.get()[2]).count());
  }

  @ParameterizedTest(name = "{0} -> {1}: {2}")
  @MethodSource("allPairs")
  void canMoveToWhenAnyPairThenMatchesDiagram(ConsentState from, ConsentState to, boolean allowed) {
    assertEquals(allowed, from.canMoveTo(to));
    assertEquals(allowed, from.allowedNext().contains(to));
  }

  @ParameterizedTest
  @EnumSource(ConsentState.class)
  void allowedNextWhenAnyStateThenExactlyTheDiagram(ConsentState state) {
    assertEquals(DIAGRAM.get(state), state.allowedNext());
  }

  @ParameterizedTest
  @EnumSource(ConsentState.class)
  void canMoveToWhenSameStateThenRefused(ConsentState state) {
    assertFalse(state.canMoveTo(state));
  }

  @ParameterizedTest
  @EnumSource(value = ConsentState.class, names = "ERASED", mode = EnumSource.Mode.EXCLUDE)
  void canMoveToWhenErasureRequestedThenAllowedFromEveryLiveState(ConsentState state) {
    assertTrue(state.canMoveTo(ERASED));
  }

  @Test
  void allowedNextWhenErasedThenFinal() {
    assertTrue(ERASED.allowedNext().isEmpty());
  }

  @Test
  void canMoveToWhenTargetConfirmedThenOnlyFromPending() {
    for (ConsentState from : ConsentState.values()) {
      assertEquals(from == PENDING, from.canMoveTo(CONFIRMED), from.name());
    }
  }

  @Test
  void allowedNextWhenModifiedThenDoesNotChangeTheMachine() {
    Set<ConsentState> next = PENDING.allowedNext();
    next.clear();

    assertTrue(PENDING.canMoveTo(CONFIRMED));
  }

  @Test
  void canMoveToWhenNullThenFalse() {
    assertFalse(PENDING.canMoveTo(null));
  }

  @Test
  void valueOfWhenUnknownThenRefused() {
    assertThrows(IllegalArgumentException.class, () -> ConsentState.valueOf("ACTIVE"));
  }
}
