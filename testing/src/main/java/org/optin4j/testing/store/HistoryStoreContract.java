package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.event;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.HistoryHead;

/**
 * The part of the store contract for the append-only, hash-chained history: sequences that only increase, one chain
 * per subject from position 1 without fork or gap under concurrent units, {@code lockHistory}, the stored head, the
 * events kept exactly, and the paged list of subjects with a history.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class HistoryStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected HistoryStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void appendEventWhenWorkThrowsThenEventGoneAndLaterSequencesStillIncrease() {
    givenSubjects("ann");
    ConsentEvent first =
        read(
            tx ->
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    throwAfter(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60))));
    ConsentEvent third =
        read(
            tx ->
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN, at(120))));

    assertEquals(List.of(first, third), read(tx -> tx.history().events(subjectId("ann"))));
    assertTrue(third.sequence() > first.sequence());
  }

  @Test
  void eventsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
  }

  @Test
  void appendEventThenPositiveSequenceAssignedAndEverythingElseKept() {
    givenSubjects("ann");
    ConsentEvent event = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);

    ConsentEvent stored = read(tx -> Chains.append(tx.history(), event));

    assertTrue(stored.sequence() > 0, "sequence " + stored.sequence());
    assertEquals(event.withSequence(stored.sequence()), stored.withSeal(null));
    assertEquals(1, stored.seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, stored.seal().previousHash());
    assertEquals(List.of(stored), read(tx -> tx.history().events(subjectId("ann"))));
  }

  @Test
  void appendEventThenSequencesStrictlyIncreaseAcrossSubjectsAndTransactions() {
    givenSubjects("ann", "bob");
    List<Long> sequences = new ArrayList<>();

    tx(
        tx -> {
          sequences.add(
              Chains.append(
                      tx.history(),
                      event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0))
                  .sequence());
          sequences.add(
              Chains.append(
                      tx.history(),
                      event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0))
                  .sequence());
          sequences.add(
              Chains.append(
                      tx.history(),
                      event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0))
                  .sequence());
        });
    tx(
        tx ->
            sequences.add(
                Chains.append(
                        tx.history(),
                        event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)))
                    .sequence()));
    tx(
        tx ->
            sequences.add(
                Chains.append(
                        tx.history(),
                        event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)))
                    .sequence()));

    for (int i = 1; i < sequences.size(); i++) {
      assertTrue(sequences.get(i) > sequences.get(i - 1), "sequences " + sequences);
    }
  }

  @Test
  void eventsThenOnlyTheSubjectsOrderedBySequence() {
    givenSubjects("ann", "bob");
    List<ConsentEvent> anns = new ArrayList<>();
    // Event times deliberately out of order: the history is ordered by sequence, not by time.
    tx(
        tx -> {
          anns.add(
              Chains.append(
                  tx.history(),
                  event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(500))));
          Chains.append(
              tx.history(),
              event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(1)));
          anns.add(
              Chains.append(
                  tx.history(),
                  event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(400))));
        });
    tx(
        tx ->
            anns.add(
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(300)))));
    tx(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(2))));

    assertEquals(anns, read(tx -> tx.history().events(subjectId("ann"))));
    assertEquals(2, read(tx -> tx.history().events(subjectId("bob"))).size());
  }

  @Test
  void eventsThenEvidenceAndNoticeRefsKeptExactly() {
    givenSubjects("ann");
    String longAgent = "Mozilla/5.0 (Ünïcødé; 日本語) 🦊 " + "x".repeat(600);
    List<ConsentEvent> events =
        List.of(
            new ConsentEvent(
                0,
                subjectId("ann"),
                NEWSLETTER,
                ConsentEvent.Type.REQUESTED,
                at(1),
                "req-1",
                new Consent.NoticeRef(1, Notice.sha256("a"), Locale.ENGLISH),
                "https://x.example.org/form?a=1&b=2",
                Channel.FORM,
                Evidence.of("2001:0db8:85a3:0000:0000:8a2e:0370:7334:extra", longAgent),
                "jti-1"),
            new ConsentEvent(
                0,
                subjectId("ann"),
                NEWSLETTER,
                ConsentEvent.Type.CONFIRMED,
                at(2),
                "req-1",
                new Consent.NoticeRef(17, Notice.sha256("b"), Locale.forLanguageTag("pt-BR")),
                null,
                Channel.CONFIRMATION_LINK,
                Evidence.of("203.0.113.0", null),
                "jti-2"),
            new ConsentEvent(
                0,
                subjectId("ann"),
                NEWSLETTER,
                ConsentEvent.Type.RESTRICTED,
                at(3),
                null,
                null,
                null,
                Channel.OPERATOR,
                Evidence.of(null, "curl/8.0"),
                null),
            new ConsentEvent(
                0,
                subjectId("ann"),
                NEWSLETTER,
                ConsentEvent.Type.WITHDRAWN,
                at(4),
                null,
                null,
                null,
                Channel.ONE_CLICK_UNSUBSCRIBE,
                Evidence.NONE,
                "jti-3"),
            new ConsentEvent(
                0,
                subjectId("ann"),
                OFFERS,
                ConsentEvent.Type.EXPIRED,
                at(5),
                "req-2",
                new Consent.NoticeRef(2, Notice.sha256("c"), Locale.forLanguageTag("zh-Hant-TW")),
                "src",
                Channel.SYSTEM,
                null,
                null));

    List<ConsentEvent> stored =
        read(tx -> events.stream().map(unsealed -> Chains.append(tx.history(), unsealed)).toList());

    List<ConsentEvent> found = read(tx -> tx.history().events(subjectId("ann")));
    assertEquals(stored, found);
    for (int i = 0; i < events.size(); i++) {
      assertEquals(events.get(i), found.get(i).withSequence(0).withSeal(null));
      assertEquals(events.get(i).evidence(), found.get(i).evidence());
      assertEquals(events.get(i).notice(), found.get(i).notice());
    }
  }

  @Test
  void appendEventWhenConcurrentThenSequencesUniqueAndHistoryOrdered() throws Exception {
    givenSubjects("ann");
    int threads = 8;
    int perThread = 20;

    List<List<Long>> perThreadSequences =
        concurrently(
            threads,
            i -> {
              List<Long> mine = new ArrayList<>();
              for (int j = 0; j < perThread; j++) {
                mine.add(
                    read(tx ->
                            Chains.append(
                                tx.history(),
                                event(
                                    subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)))
                        .sequence());
              }
              return mine;
            });

    Set<Long> all = new HashSet<>();
    perThreadSequences.forEach(all::addAll);
    assertEquals(threads * perThread, all.size());
    List<ConsentEvent> events = read(tx -> tx.history().events(subjectId("ann")));
    List<Long> history = events.stream().map(ConsentEvent::sequence).toList();
    assertEquals(all, new HashSet<>(history));
    assertIntact(subjectId("ann"), threads * perThread);
    assertEquals(history.stream().sorted().toList(), history);
    for (List<Long> mine : perThreadSequences) {
      assertEquals(mine.stream().sorted().toList(), mine);
    }
  }

  @Test
  void appendEventThenEachSubjectHasItsOwnChainFromPosition1() {
    givenSubjects("ann", "bob");
    List<ConsentEvent> anns = new ArrayList<>();
    tx(
        tx -> {
          anns.add(
              Chains.append(
                  tx.history(),
                  event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
          Chains.append(
              tx.history(), event(subjectId("bob"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          anns.add(
              Chains.append(
                  tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
        });
    tx(
        tx ->
            anns.add(
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(60)))));

    String previous = ConsentEvent.Seal.GENESIS;
    for (int i = 0; i < anns.size(); i++) {
      ConsentEvent.Seal seal = anns.get(i).seal();
      assertEquals(i + 1, seal.position());
      assertEquals(previous, seal.previousHash());
      assertEquals(
          anns.get(i).chainHash(seal.position(), previous, seal.detailsDigest()), seal.hash());
      assertEquals(anns.get(i).detailsDigest(seal.detailsSalt()), seal.detailsDigest());
      previous = seal.hash();
    }
    assertEquals(
        Optional.of(new HistoryHead(subjectId("ann"), 3, previous)),
        read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(1, read(tx -> tx.history().head(subjectId("bob"))).orElseThrow().position());
    assertIntact(subjectId("ann"), 3);
    assertIntact(subjectId("bob"), 1);
  }

  @Test
  void appendEventThenSaltsDifferSoEqualDetailsGiveDifferentDigests() {
    givenSubjects("ann");
    ConsentEvent e = event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0);
    List<ConsentEvent> stored =
        read(tx -> List.of(Chains.append(tx.history(), e), Chains.append(tx.history(), e)));

    assertFalse(stored.get(0).seal().detailsSalt().equals(stored.get(1).seal().detailsSalt()));
    assertFalse(stored.get(0).seal().detailsDigest().equals(stored.get(1).seal().detailsDigest()));
  }

  @Test
  void appendEventWhenWorkThrowsThenHeadUnchangedAndChainContinuesWithoutGap() {
    givenSubjects("ann");
    tx(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
    HistoryHead before = read(tx -> tx.history().head(subjectId("ann"))).orElseThrow();

    throwAfter(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1))));

    assertEquals(Optional.of(before), read(tx -> tx.history().head(subjectId("ann"))));
    assertNextAppendContinuesAnnsChainAt(2, at(2));
  }

  @Test
  void lockHistoryThenAppendsInTheUnitContinueTheChain() {
    givenSubjects("ann");
    tx(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(
        tx -> {
          tx.history().lock(subjectId("ann"));
          tx.history().lock(subjectId("ann"));
          Chains.append(
              tx.history(),
              event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
          Chains.append(
              tx.history(),
              event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.WITHDRAWN, at(2)));
        });

    assertIntact(subjectId("ann"), 3);
  }

  @Test
  void appendEventWhenSubjectInsertedInSameUnitThenChainStartsAtPosition1AndHeadIsStored() {
    List<ConsentEvent> anns = new ArrayList<>();
    tx(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          tx.history().lock(subjectId("ann"));
          anns.add(
              Chains.append(
                  tx.history(),
                  event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));
          anns.add(
              Chains.append(
                  tx.history(), event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, T0)));
        });

    assertEquals(1, anns.get(0).seal().position());
    assertEquals(ConsentEvent.Seal.GENESIS, anns.get(0).seal().previousHash());
    assertEquals(
        Optional.of(new HistoryHead(subjectId("ann"), 2, anns.get(1).seal().hash())),
        read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(List.of(subjectId("ann")), read(tx -> tx.history().subjects(null, 10)));
    assertIntact(subjectId("ann"), 2);
    assertNextAppendContinuesAnnsChainAt(3, at(1));
  }

  /**
   * Appends a CONFIRMED event to Ann's history in a unit of its own and asserts that it lands at the given position
   * of a chain that verifies.
   *
   * @param position where the event must land
   * @param when when it happened
   */
  private void assertNextAppendContinuesAnnsChainAt(int position, Instant when) {
    ConsentEvent next =
        read(
            tx ->
                Chains.append(
                    tx.history(),
                    event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, when)));
    assertEquals(position, next.seal().position());
    assertIntact(subjectId("ann"), position);
  }

  @Test
  void historyHeadInTheUnitThatAppendedThenSeesItsOwnAppends() {
    givenSubjects("ann");
    tx(
        tx ->
            Chains.append(
                tx.history(),
                event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    HistoryHead seen =
        read(
            tx -> {
              Chains.append(
                  tx.history(),
                  event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)));
              ConsentEvent last =
                  Chains.append(
                      tx.history(),
                      event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(2)));
              HistoryHead head = tx.history().head(subjectId("ann")).orElseThrow();
              assertEquals(last.seal().hash(), head.hash());
              return head;
            });

    assertEquals(3, seen.position());
    assertEquals(Optional.of(seen), read(tx -> tx.history().head(subjectId("ann"))));
  }

  @Test
  void eraseSubjectInTheUnitThatInsertedAndAppendedThenNothingIsLeft() {
    tx(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          Chains.append(
              tx.history(), event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          assertTrue(tx.subjects().eraseSubject(subjectId("ann"), false));
        });

    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.history().events(subjectId("ann"))));
    assertEquals(List.of(), read(tx -> tx.history().subjects(null, 10)));
  }

  @Test
  void historyHeadWhenNoEventThenEmptyEvenAfterLockHistory() {
    givenSubjects("ann");
    tx(tx -> tx.history().lock(subjectId("ann")));

    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.history().head(subjectId("nobody"))));
    assertEquals(List.of(), read(tx -> tx.history().subjects(null, 10)), "no history yet");
  }

  @Test
  void appendEventWhenConcurrentUnitsOfOneSubjectThenOneChainWithoutForkOrGap() throws Exception {
    givenSubjects("ann");
    int threads = 6;
    int perThread = 5;

    concurrently(
        threads,
        i -> {
          for (int j = 0; j < perThread; j++) {
            tx(
                tx -> {
                  Chains.append(
                      tx.history(),
                      event(subjectId("ann"), NEWSLETTER, ConsentEvent.Type.REQUESTED, at(i)));
                  Chains.append(
                      tx.history(),
                      event(subjectId("ann"), OFFERS, ConsentEvent.Type.REQUESTED, at(i)));
                });
          }
          return null;
        });

    List<ConsentEvent> events = read(tx -> tx.history().events(subjectId("ann")));
    assertEquals(threads * perThread * 2, events.size());
    for (int i = 0; i < events.size(); i += 2) {
      // A unit's two events are adjacent in the chain: appends of one subject are serialised per
      // unit.
      assertEquals(events.get(i).seal().hash(), events.get(i + 1).seal().previousHash());
      assertEquals(events.get(i).at(), events.get(i + 1).at());
    }
    assertIntact(subjectId("ann"), threads * perThread * 2);
  }

  @Test
  void historySubjectsThenEveryHistoryOnceInPagesInCodePointOrder() {
    List<String> names = List.of("b-x", "a_y", "A-z", "c", "b_0", "B9", "z");
    tx(
        tx -> {
          for (String n : names) {
            tx.subjects().insertSubject(subject(n));
            Chains.append(
                tx.history(), event(subjectId(n), NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          }
          tx.subjects().insertSubject(subject("nohistory"));
        });

    List<SubjectId> seen = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = read(tx -> tx.history().subjects(from, 3));
      seen.addAll(page);
      if (page.size() < 3) {
        break;
      }
      after = page.get(page.size() - 1);
    }

    List<SubjectId> expected =
        names.stream()
            .map(StoreFixtures::subjectId)
            .sorted(java.util.Comparator.comparing(SubjectId::value))
            .toList();
    assertEquals(expected, seen);
  }

  @Test
  void lockThenGenesisHeadForANewHistoryAndTheLastEventsHeadAfterAppends() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");

    assertEquals(
        new HistoryHead(ann, 0, ConsentEvent.Seal.GENESIS), read(tx -> tx.history().lock(ann)));
    ConsentEvent first =
        read(
            tx ->
                Chains.append(
                    tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    assertEquals(new HistoryHead(ann, 1, first.seal().hash()), read(tx -> tx.history().lock(ann)));
  }

  @Test
  void appendAllThenEventsStoredInChainOrderWithIncreasingSequencesAndTheHeadAtTheLast() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    tx(tx -> Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    List<ConsentEvent> stored =
        read(
            tx -> {
              HistoryHead head = tx.history().lock(ann);
              ConsentEvent first =
                  Chains.seal(event(ann, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)), head);
              ConsentEvent second =
                  Chains.seal(
                      event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)), head.advance(first));
              ConsentEvent third =
                  Chains.seal(
                      event(ann, OFFERS, ConsentEvent.Type.CONFIRMED, at(1)),
                      head.advance(first).advance(second));
              List<ConsentEvent> sealed = List.of(first, second, third);
              List<ConsentEvent> appended = tx.history().appendAll(sealed, head);
              for (int i = 0; i < sealed.size(); i++) {
                assertEquals(
                    sealed.get(i).withSequence(appended.get(i).sequence()), appended.get(i));
              }
              // the unit's head is the last event's: a further append continues from it
              assertEquals(
                  head.advance(first).advance(second).advance(third), tx.history().lock(ann));
              return appended;
            });

    assertTrue(stored.get(0).sequence() < stored.get(1).sequence());
    assertTrue(stored.get(1).sequence() < stored.get(2).sequence());
    List<ConsentEvent> events = read(tx -> tx.history().events(ann));
    assertEquals(stored, events.subList(1, 4));
    assertIntact(ann, 4);
    assertEquals(List.of(), read(tx -> tx.history().appendAll(List.of(), tx.history().lock(ann))));
  }

  @Test
  void appendAllWhenAnEventDoesNotContinueTheOneBeforeThenIllegalArgumentAndNothingStored() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    tx(tx -> Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(
        tx -> {
          HistoryHead head = tx.history().lock(ann);
          ConsentEvent first =
              Chains.seal(event(ann, NEWSLETTER, ConsentEvent.Type.CONFIRMED, at(1)), head);
          // sealed on the same head as the first: together they would fork the chain
          ConsentEvent forking =
              Chains.seal(event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)), head);
          assertThrows(
              IllegalArgumentException.class,
              () -> tx.history().appendAll(List.of(first, forking), head));
        });

    assertIntact(ann, 1);
  }

  @Test
  void appendWhenEventDoesNotContinueTheHeadThenIllegalArgumentAndNothingStored() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    tx(tx -> Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0)));

    tx(
        tx -> {
          HistoryHead head = tx.history().lock(ann);
          ConsentEvent skipping =
              Chains.seal(
                  event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)),
                  new HistoryHead(ann, head.position() + 1, head.hash()));
          ConsentEvent forking =
              Chains.seal(
                  event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)),
                  new HistoryHead(ann, head.position(), ConsentEvent.Seal.GENESIS));
          ConsentEvent unsealed = event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1));
          assertThrows(IllegalArgumentException.class, () -> tx.history().append(skipping, head));
          assertThrows(IllegalArgumentException.class, () -> tx.history().append(forking, head));
          assertThrows(IllegalArgumentException.class, () -> tx.history().append(unsealed, head));
        });

    assertIntact(ann, 1);
  }

  @Test
  void appendWhenTheHeadIsNoLongerCurrentThenIllegalStateAndNothingStored() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");

    tx(
        tx -> {
          HistoryHead head = tx.history().lock(ann);
          ConsentEvent stale =
              Chains.seal(event(ann, OFFERS, ConsentEvent.Type.REQUESTED, at(1)), head);
          Chains.append(tx.history(), event(ann, NEWSLETTER, ConsentEvent.Type.REQUESTED, T0));
          assertThrows(IllegalStateException.class, () -> tx.history().append(stale, head));
        });

    assertIntact(ann, 1);
  }
}
