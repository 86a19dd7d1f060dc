package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.SURVEYS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConfirmationView;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RequestAndChange;

/**
 * The part of the store contract for pending requests (every component kept, updates, the open ones of a subject, no
 * lost update), single use of token ids, and address changes with the address they replaced.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class RequestStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected RequestStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void updateRequestWhenWorkThrowsThenPreviousRequestRestored() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));

    throwAfter(
        tx ->
            tx.requests()
                .updateRequest(
                    open.nextGeneration(at(7200))
                        .withStatus(PendingRequest.Status.CONFIRMED, at(60))));

    assertEquals(Optional.of(open), read(tx -> tx.requests().request("req-1")));
    assertEquals(List.of(open), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void useTokenWhenWorkThrowsThenTokenUnusedAfterwards() {
    throwAfter(tx -> assertTrue(tx.requests().useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
  }

  @Test
  void insertRequestThenFoundByIdWithEveryComponent() {
    givenSubjects("ann");
    PendingRequest request =
        new PendingRequest(
            "req-Zx9_1",
            subjectId("ann"),
            Set.of(SURVEYS, NEWSLETTER),
            new Consent.NoticeRef(3, Notice.sha256("n"), Locale.forLanguageTag("nl")),
            null,
            Evidence.of("198.51.100.23", "Mozilla/5.0 (Ünïcødé)"),
            at(5),
            at(Duration.ofHours(72)),
            1,
            PendingRequest.Status.OPEN,
            null);

    tx(tx -> tx.requests().insertRequest(request));

    assertEquals(Optional.of(request), read(tx -> tx.requests().request("req-Zx9_1")));
  }

  @Test
  void requestWhenUnknownThenEmpty() {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));

    assertEquals(Optional.empty(), read(tx -> tx.requests().request("req-2")));
  }

  @Test
  void updateRequestThenGenerationExpiryAndStatusReplaced() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));

    PendingRequest resent = open.nextGeneration(at(Duration.ofHours(60)));
    tx(tx -> tx.requests().updateRequest(resent));
    assertEquals(Optional.of(resent), read(tx -> tx.requests().request("req-1")));

    PendingRequest confirmed = resent.withStatus(PendingRequest.Status.CONFIRMED, at(600));
    tx(tx -> tx.requests().updateRequest(confirmed));
    assertEquals(Optional.of(confirmed), read(tx -> tx.requests().request("req-1")));
    assertEquals(2, confirmed.generation());
  }

  @Test
  void openRequestsThenOnlyOpenOnesOfTheSubject() {
    givenSubjects("ann", "bob");
    PendingRequest open1 = openRequest("req-1", subjectId("ann"), T0);
    PendingRequest open2 = openRequest("req-2", subjectId("ann"), at(10));
    PendingRequest confirmed = openRequest("req-3", subjectId("ann"), at(20));
    PendingRequest superseded = openRequest("req-4", subjectId("ann"), at(30));
    PendingRequest expired = openRequest("req-5", subjectId("ann"), at(40));
    PendingRequest bobs = openRequest("req-6", subjectId("bob"), at(50));
    tx(
        tx ->
            List.of(open1, open2, confirmed, superseded, expired, bobs)
                .forEach(tx.requests()::insertRequest));

    tx(
        tx -> {
          tx.requests()
              .updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(100)));
          tx.requests()
              .updateRequest(superseded.withStatus(PendingRequest.Status.SUPERSEDED, at(100)));
          tx.requests().updateRequest(expired.withStatus(PendingRequest.Status.EXPIRED, at(100)));
        });

    assertEquals(
        Set.of(open1, open2), Set.copyOf(read(tx -> tx.requests().openRequests(subjectId("ann")))));
    assertEquals(2, read(tx -> tx.requests().openRequests(subjectId("ann"))).size());
    assertEquals(List.of(bobs), read(tx -> tx.requests().openRequests(subjectId("bob"))));
  }

  @Test
  void openRequestsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void openRequestsWhenRequestClosedThenNoLongerListed() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));
    assertEquals(List.of(open), read(tx -> tx.requests().openRequests(subjectId("ann"))));

    tx(tx -> tx.requests().updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, at(5))));

    assertEquals(List.of(), read(tx -> tx.requests().openRequests(subjectId("ann"))));
  }

  @Test
  void requestWhenConcurrentReadModifyWriteThenNoUpdateLost() throws Exception {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), T0)));
    int threads = 8;
    int perThread = 10;

    concurrently(
        threads,
        i -> {
          for (int j = 0; j < perThread; j++) {
            tx(
                tx -> {
                  PendingRequest current = tx.requests().request("req-1").orElseThrow();
                  tx.requests()
                      .updateRequest(current.nextGeneration(current.expiresAt().plusSeconds(1)));
                });
          }
          return null;
        });

    assertEquals(
        1 + threads * perThread,
        read(tx -> tx.requests().request("req-1")).orElseThrow().generation());
  }

  @Test
  void useTokenThenTrueOnceAndFalseAfter() {
    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));

    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(3600))));
    assertFalse(flag(tx -> tx.requests().useToken("jti-1", at(7200))));
  }

  @Test
  void useTokenWhenUsedTwiceInOneTransactionThenSecondFalse() {
    List<Boolean> answers =
        read(
            tx ->
                List.of(
                    tx.requests().useToken("jti-1", at(3600)),
                    tx.requests().useToken("jti-1", at(3600))));

    assertEquals(List.of(true, false), answers);
  }

  @Test
  void useTokenThenIdsIndependent() {
    assertTrue(flag(tx -> tx.requests().useToken("jti-1", at(3600))));

    assertTrue(flag(tx -> tx.requests().useToken("jti-2", at(3600))));
    assertTrue(
        flag(tx -> tx.requests().useToken("JTI-1", at(3600))), "token ids are case-sensitive");
  }

  @Test
  void useTokenWhenConcurrentSameIdThenExactlyOneTrue() throws Exception {
    int threads = 16;

    List<Boolean> answers =
        concurrently(threads, i -> read(tx -> tx.requests().useToken("jti-race", at(3600))));

    assertEquals(1, answers.stream().filter(a -> a).count(), "answers " + answers);
    assertFalse(flag(tx -> tx.requests().useToken("jti-race", at(3600))));
  }

  @Test
  void saveReplacedAddressThenReadBackAndGoneWithErasure() {
    SubjectId ann = annWithEverything();
    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));

    tx(tx -> tx.requests().saveReplacedAddress("req-1", email("ann-old")));

    assertEquals(Optional.of(email("ann-old")), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(
        Optional.of(email("ann-new")),
        read(tx -> tx.requests().addressChange("req-1")),
        "the new address stays");
    tx(tx -> tx.subjects().eraseSubject(ann, true));
    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));
  }

  @Test
  void saveReplacedAddressWhenNoAddressChangeThenStoreException() {
    givenSubjects("ann");
    tx(tx -> tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), at(0))));

    assertThrows(
        StoreException.class,
        () -> tx(tx -> tx.requests().saveReplacedAddress("req-1", email("ann-old"))));
  }

  @Test
  void findRequestReadsTheSameRequestAsRequest() {
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          tx.requests().insertRequest(openRequest("req-1", subjectId("ann"), at(0)));
          return null;
        });
    store.inTransaction(
        tx -> {
          assertEquals(tx.requests().request("req-1"), tx.requests().findRequest("req-1"));
          assertTrue(tx.requests().findRequest("req-unknown").isEmpty());
          return null;
        });
  }

  @Test
  void addressChangeIsStoredPerRequest() {
    annWithEverything();
    store.inTransaction(
        tx -> {
          assertEquals(Optional.of(email("ann-new")), tx.requests().addressChange("req-1"));
          assertTrue(tx.requests().addressChange("req-other").isEmpty());
          return null;
        });
  }

  @Test
  void requestAndChangeThenTheRequestWithItsAddressChangeAsTheTwoReadsAnswer() {
    SubjectId ann = annWithEverything();
    tx(tx -> tx.requests().insertRequest(openRequest("req-2", ann, at(5))));

    store.inTransaction(
        tx -> {
          RequestAndChange changing = tx.requests().requestAndChange("req-1").orElseThrow();
          assertEquals(tx.requests().request("req-1").orElseThrow(), changing.request());
          assertEquals(Optional.of(email("ann-new")), changing.addressChange());
          RequestAndChange plain = tx.requests().requestAndChange("req-2").orElseThrow();
          assertEquals(tx.requests().request("req-2").orElseThrow(), plain.request());
          assertEquals(Optional.empty(), plain.addressChange());
          assertEquals(Optional.empty(), tx.requests().requestAndChange("req-unknown"));
          return null;
        });
  }

  @Test
  void requestAndChangeThenRequestLockedAgainstAConcurrentUpdate() throws Exception {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));
    java.util.concurrent.CountDownLatch locked = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ExecutorService other =
        java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.concurrent.Future<?> holder =
          other.submit(
              () ->
                  tx(
                      tx -> {
                        tx.requests().requestAndChange("req-1").orElseThrow();
                        locked.countDown();
                        try {
                          await(release);
                        } catch (InterruptedException e) {
                          throw new IllegalStateException(e);
                        }
                        tx.requests()
                            .updateRequest(
                                open.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
                      }));
      await(locked);
      java.util.concurrent.Future<PendingRequest> reader =
          other.submit(() -> read(tx -> tx.requests().request("req-1").orElseThrow()));
      Thread.sleep(200);
      assertFalse(reader.isDone(), "a second locking read waits for the first unit");
      release.countDown();
      holder.get(10, java.util.concurrent.TimeUnit.SECONDS);
      assertEquals(
          PendingRequest.Status.CONFIRMED,
          reader.get(10, java.util.concurrent.TimeUnit.SECONDS).status(),
          "and then reads what it wrote");
    } finally {
      release.countDown();
      other.shutdownNow();
    }
  }

  @Test
  void confirmationViewThenTheRequestItsAddressChangeAndItsSubjectsConsents() {
    SubjectId ann = annWithEverything();
    tx(
        tx -> {
          tx.subjects().saveConsent(pendingConsent(ann, SURVEYS, "req-2", at(5)));
          tx.requests().insertRequest(openRequest("req-2", ann, at(5)));
        });

    store.read(
        tx -> {
          ConfirmationView changing = tx.confirmationView("req-1").orElseThrow();
          assertEquals(tx.requests().findRequest("req-1").orElseThrow(), changing.request());
          assertEquals(Optional.of(email("ann-new")), changing.addressChange());
          assertEquals(tx.subjects().consents(ann), changing.consents());
          assertEquals(2, changing.consents().size());
          ConfirmationView plain = tx.confirmationView("req-2").orElseThrow();
          assertEquals(tx.requests().findRequest("req-2").orElseThrow(), plain.request());
          assertEquals(Optional.empty(), plain.addressChange());
          assertEquals(tx.subjects().consents(ann), plain.consents());
          assertEquals(Optional.empty(), tx.confirmationView("req-unknown"));
          return null;
        });
  }

  @Test
  void confirmationViewWhenSubjectHasNoConsentsThenEmptyList() {
    givenSubjects("ann");
    PendingRequest open = openRequest("req-1", subjectId("ann"), T0);
    tx(tx -> tx.requests().insertRequest(open));

    ConfirmationView view = store.read(tx -> tx.confirmationView("req-1").orElseThrow());

    assertEquals(open, view.request());
    assertEquals(Optional.empty(), view.addressChange());
    assertEquals(List.of(), view.consents());
  }
}
