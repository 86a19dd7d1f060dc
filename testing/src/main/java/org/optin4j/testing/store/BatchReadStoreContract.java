package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Consent;
import org.optin4j.SubjectId;

/**
 * The part of the store contract for the reads of several keys at once that the dispatcher re-checks a claimed batch
 * with ({@code ConsentStore.Transaction.batchReads()}): each answers as the one-key read would for every key, keys not found are
 * absent, repeated keys are answered once, an empty collection gives an empty answer, and more keys than fit in one
 * database statement are all answered.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class BatchReadStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected BatchReadStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void subjectsWhenSomeAreMissingThenTheOthersByIdAsOneByOne() {
    givenSubjects("ann", "bob");
    SubjectId ann = subjectId("ann");
    SubjectId bob = subjectId("bob");

    Map<SubjectId, org.optin4j.Subject> found =
        read(tx -> tx.batchReads().subjects(List.of(ann, subjectId("nobody"), bob, ann)));

    assertEquals(Set.of(ann, bob), found.keySet());
    assertEquals(read(tx -> tx.subjects().subject(bob)).orElseThrow(), found.get(bob));
    assertEquals(Map.of(), read(tx -> tx.batchReads().subjects(List.of())));
  }

  @Test
  void consentsThenOnlyThoseToThePurposeAsOneByOne() {
    givenSubjects("ann", "bob", "cy");
    SubjectId ann = subjectId("ann");
    SubjectId bob = subjectId("bob");
    tx(
        tx -> {
          tx.requests().insertRequest(openRequest("r-a", ann, at(0)));
          tx.requests().insertRequest(openRequest("r-b", bob, at(0)));
          tx.subjects().saveConsent(pendingConsent(ann, NEWSLETTER, "r-a", at(0)).confirm(at(5)));
          tx.subjects().saveConsent(pendingConsent(bob, OFFERS, "r-b", at(0)));
        });

    Map<SubjectId, Consent> found =
        read(tx -> tx.batchReads().consents(List.of(ann, bob, subjectId("cy")), NEWSLETTER));

    assertEquals(Set.of(ann), found.keySet());
    assertEquals(read(tx -> tx.subjects().consent(ann, NEWSLETTER)).orElseThrow(), found.get(ann));
  }

  @Test
  void suppressedThenOnlyTheKeysOnTheList() {
    tx(
        tx -> {
          tx.subjects().suppress("key-1", at(0));
          tx.subjects().suppress("key-3", at(0));
        });

    assertEquals(
        Set.of("key-1", "key-3"),
        read(tx -> tx.batchReads().suppressed(List.of("key-1", "key-2", "key-3", "key-1"))));
  }

  @Test
  void findRequestsThenFoundByIdAsOneByOne() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    tx(
        tx -> {
          tx.requests().insertRequest(openRequest("req-1", ann, at(0)));
          tx.requests().insertRequest(openRequest("req-2", ann, at(1)));
        });

    Map<String, org.optin4j.spi.PendingRequest> found =
        read(tx -> tx.batchReads().requests(List.of("req-2", "req-9", "req-1")));

    assertEquals(Set.of("req-1", "req-2"), found.keySet());
    assertEquals(read(tx -> tx.requests().findRequest("req-2")).orElseThrow(), found.get("req-2"));
  }

  @Test
  void subjectsWhenMoreKeysThanOneStatementTakesThenAllAnswered() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 1100; i++) {
      names.add("s" + i);
    }
    tx(
        tx -> {
          for (String name : names) {
            tx.subjects().insertSubject(subject(name));
          }
        });

    Map<SubjectId, org.optin4j.Subject> found =
        read(tx -> tx.batchReads().subjects(names.stream().map(StoreFixtures::subjectId).toList()));

    assertEquals(1100, found.size());
  }
}
