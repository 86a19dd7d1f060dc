package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.noticeRef;
import static org.optin4j.testing.store.StoreFixtures.openRequest;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.ChainSealer;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryHead;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * The part of the store contract for the set-based queries of the retention jobs: expired requests, confirmed and
 * dormant subjects, lapsed signups and their deletion, stale address changes, request evidence, used tokens and
 * finished mails, each bounded by its limit and safe when several units run at once.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class RetentionStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected RetentionStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void deleteStaleAddressChangesWhenUnconfirmedAndExpiredThenRowAndRequestGone() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest lapsed = openRequest("req-old", ann, at(0)); // expires at(48 h)
    PendingRequest fresh = openRequest("req-new", ann, at(Duration.ofDays(3)));
    tx(
        tx -> {
          tx.requests().insertRequest(lapsed);
          tx.requests().saveAddressChange("req-old", email("third-party"));
          tx.requests().insertRequest(fresh);
          tx.requests().saveAddressChange("req-new", email("other-party"));
        });
    Instant cutoff = lapsed.expiresAt().plusMillis(1);

    int deleted = read(tx -> tx.retention().deleteStaleAddressChanges(lapsed.expiresAt(), T0, 100));
    assertEquals(0, deleted, "strictly before the cut-off");
    deleted = store.inTransaction(tx -> tx.retention().deleteStaleAddressChanges(cutoff, T0, 100));

    assertEquals(1, deleted);
    assertEquals(Optional.empty(), read(tx -> tx.requests().addressChange("req-old")));
    assertEquals(
        Optional.empty(),
        read(tx -> tx.requests().request("req-old")),
        "the request of a third party's address too");
    assertEquals(
        Optional.of(email("other-party")), read(tx -> tx.requests().addressChange("req-new")));
    assertTrue(read(tx -> tx.requests().request("req-new")).isPresent());
  }

  @Test
  void deleteStaleAddressChangesWhenConfirmedThenKeptUntilItsCutOffAndRequestStays() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest request = openRequest("req-1", ann, at(0));
    tx(
        tx -> {
          tx.requests().insertRequest(request);
          tx.requests().saveAddressChange("req-1", email("ann-new"));
          tx.requests().updateRequest(request.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
          tx.requests().saveReplacedAddress("req-1", email("ann"));
        });
    Instant farFuture = at(Duration.ofDays(365));

    assertEquals(
        0, (int) read(tx -> tx.retention().deleteStaleAddressChanges(farFuture, at(60), 100)));
    assertEquals(Optional.of(email("ann")), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(
        1, (int) read(tx -> tx.retention().deleteStaleAddressChanges(farFuture, at(61), 100)));

    assertEquals(Optional.empty(), read(tx -> tx.requests().replacedAddress("req-1")));
    assertEquals(Optional.empty(), read(tx -> tx.requests().addressChange("req-1")));
    assertEquals(
        PendingRequest.Status.CONFIRMED,
        read(tx -> tx.requests().request("req-1")).orElseThrow().status());
  }

  @Test
  void deleteStaleAddressChangesThenAtMostLimit() {
    givenSubjects("ann");
    tx(
        tx -> {
          for (int i = 0; i < 3; i++) {
            tx.requests().insertRequest(openRequest("req-" + i, subjectId("ann"), at(0)));
            tx.requests().saveAddressChange("req-" + i, email("new" + i));
          }
        });
    Instant later = at(Duration.ofDays(30));

    assertEquals(2, (int) read(tx -> tx.retention().deleteStaleAddressChanges(later, T0, 2)));
    assertEquals(1, (int) read(tx -> tx.retention().deleteStaleAddressChanges(later, T0, 2)));
  }

  @Test
  void clearLapsedRequestEvidenceThenOnlyUnconfirmedExpiredRequestsLoseIt() {
    givenSubjects("ann");
    SubjectId ann = subjectId("ann");
    PendingRequest expired = openRequest("req-expired", ann, at(0));
    PendingRequest confirmed = openRequest("req-confirmed", ann, at(0));
    PendingRequest open = openRequest("req-open", ann, at(Duration.ofDays(10)));
    tx(
        tx -> {
          tx.requests().insertRequest(expired);
          tx.requests()
              .updateRequest(
                  expired.withStatus(PendingRequest.Status.EXPIRED, at(Duration.ofDays(2))));
          tx.requests().insertRequest(confirmed);
          tx.requests()
              .updateRequest(confirmed.withStatus(PendingRequest.Status.CONFIRMED, at(60)));
          tx.requests().insertRequest(open);
        });
    Instant cutoff = at(Duration.ofDays(9));

    int cleared = store.inTransaction(tx -> tx.retention().clearLapsedRequestEvidence(cutoff, 100));

    assertEquals(1, cleared);
    assertEquals(
        Evidence.NONE, read(tx -> tx.requests().request("req-expired")).orElseThrow().evidence());
    assertEquals(
        confirmed.evidence(),
        read(tx -> tx.requests().request("req-confirmed")).orElseThrow().evidence());
    assertEquals(
        open.evidence(), read(tx -> tx.requests().request("req-open")).orElseThrow().evidence());
    assertEquals(
        0,
        (int) store.inTransaction(tx -> tx.retention().clearLapsedRequestEvidence(cutoff, 100)),
        "done once");
  }

  @Test
  void openRequestsExpiredBeforeReturnsOnlyOpenExpiredOldestFirstUpToLimit() {
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          tx.requests().insertRequest(openRequest("r-late", subjectId("ann"), at(100)));
          tx.requests().insertRequest(openRequest("r-early", subjectId("ann"), at(0)));
          tx.requests()
              .insertRequest(
                  openRequest("r-done", subjectId("ann"), at(0))
                      .withStatus(PendingRequest.Status.CONFIRMED, at(10)));
          tx.requests()
              .insertRequest(openRequest("r-fresh", subjectId("ann"), at(Duration.ofDays(10))));
          return null;
        });
    Instant cutoff = at(Duration.ofHours(48)).plusSeconds(101);
    store.inTransaction(
        tx -> {
          assertEquals(
              List.of("r-early", "r-late"),
              tx.retention().openRequestsExpiredBefore(cutoff, 10).stream()
                  .map(PendingRequest::id)
                  .toList());
          assertEquals(
              List.of("r-early"),
              tx.retention().openRequestsExpiredBefore(cutoff, 1).stream()
                  .map(PendingRequest::id)
                  .toList());
          assertEquals(
              List.of("r-early"),
              tx
                  .retention()
                  .openRequestsExpiredBefore(at(Duration.ofHours(48)).plusMillis(1), 10)
                  .stream()
                  .map(PendingRequest::id)
                  .toList());
          assertTrue(
              tx.retention().openRequestsExpiredBefore(at(Duration.ofHours(48)), 10).isEmpty(),
              "strictly before");
          return null;
        });
  }

  @Test
  void confirmedBeforeReturnsConfirmedConsentsOfThatPurposeOnly() {
    store.inTransaction(
        tx -> {
          for (String name : List.of("ann", "bob", "cat")) {
            tx.subjects().insertSubject(subject(name));
          }
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("ann"), NEWSLETTER, "r", at(0)).confirm(at(10)));
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("bob"), NEWSLETTER, "r", at(0)).confirm(at(500)));
          tx.subjects().saveConsent(pendingConsent(subjectId("cat"), NEWSLETTER, "r", at(0)));
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("cat"), OFFERS, "r", at(0)).confirm(at(5)));
          return null;
        });
    store.inTransaction(
        tx -> {
          assertEquals(
              List.of(subjectId("ann")),
              tx.retention().confirmedBefore(NEWSLETTER, at(100), 10).stream()
                  .map(Consent::subjectId)
                  .toList());
          assertEquals(2, tx.retention().confirmedBefore(NEWSLETTER, at(501), 10).size());
          assertEquals(1, tx.retention().confirmedBefore(NEWSLETTER, at(501), 1).size());
          assertEquals(
              List.of(subjectId("cat")),
              tx.retention().confirmedBefore(OFFERS, at(100), 10).stream()
                  .map(Consent::subjectId)
                  .toList());
          return null;
        });
  }

  @Test
  void dormantSubjectsAreThoseWithoutLiveConsentWhoseLastEndIsBeforeTheCutoff() {
    store.inTransaction(
        tx -> {
          for (String name : List.of("active", "pending", "ended", "recent", "bare")) {
            tx.subjects().insertSubject(new Subject(subjectId(name), email(name), at(0)));
          }
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("active"), NEWSLETTER, "r", at(0)).confirm(at(1)));
          tx.subjects().saveConsent(pendingConsent(subjectId("pending"), NEWSLETTER, "r", at(0)));
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("ended"), NEWSLETTER, "r", at(0)).withdraw(at(50)));
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("ended"), OFFERS, "r", at(0)).expire(at(60)));
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("recent"), NEWSLETTER, "r", at(0)).withdraw(at(500)));
          return null;
        });
    store.inTransaction(
        tx -> {
          Set<SubjectId> dormant = new HashSet<>(tx.retention().dormantSubjects(at(100), 10));
          assertEquals(Set.of(subjectId("ended"), subjectId("bare")), dormant);
          assertTrue(tx.retention().dormantSubjects(at(60), 10).contains(subjectId("bare")));
          assertFalse(
              tx.retention().dormantSubjects(at(60), 10).contains(subjectId("ended")),
              "last end must be before");
          assertEquals(1, tx.retention().dormantSubjects(at(1000), 1).size());
          return null;
        });
  }

  /** A subject created at {@code at(0)} with a signup: an open request at {@code requestedAt}, pending consents, and
   * a REQUESTED event per purpose sealed into its history. */
  private void signup(
      ConsentStore.Transaction tx,
      String name,
      String requestId,
      Instant requestedAt,
      PurposeId... purposes) {
    SubjectId id = subjectId(name);
    if (tx.subjects().subject(id).isEmpty()) {
      tx.subjects().insertSubject(new Subject(id, email(name), at(0)));
    }
    PendingRequest r = openRequest(requestId, id, requestedAt);
    tx.requests()
        .insertRequest(
            new PendingRequest(
                r.id(),
                id,
                Set.of(purposes),
                r.notice(),
                r.source(),
                r.evidence(),
                r.requestedAt(),
                r.expiresAt(),
                r.generation(),
                r.status(),
                r.closedAt()));
    for (PurposeId p : purposes) {
      tx.subjects().saveConsent(pendingConsent(id, p, requestId, requestedAt));
      Chains.append(
          tx.history(),
          new ConsentEvent(
              0,
              id,
              p,
              ConsentEvent.Type.REQUESTED,
              requestedAt,
              requestId,
              noticeRef("notice text"),
              "signup-form",
              Channel.FORM,
              Evidence.of("198.51.100.1", "Mozilla/5.0"),
              null));
    }
  }

  private HistoryVerification verify(SubjectId id) {
    return Chains.verify(store, id);
  }

  @Test
  void expireOpenRequestsExpiresPendingConsentsSealsEventsAndClosesRequests() {
    Instant now = at(Duration.ofDays(3));
    tx(
        tx -> {
          signup(tx, "ann", "r-ann", at(0), NEWSLETTER, OFFERS);
          signup(tx, "bob", "r-bob", at(Duration.ofDays(2)), NEWSLETTER);
        });

    assertEquals(
        1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, Chains.SEALER)));

    SubjectId ann = subjectId("ann");
    store.inTransaction(
        tx -> {
          for (Consent c : tx.subjects().consents(ann)) {
            assertEquals(ConsentState.EXPIRED, c.state());
            assertEquals(now, c.endedAt());
          }
          assertEquals(
              PendingRequest.Status.EXPIRED, tx.requests().request("r-ann").orElseThrow().status());
          assertEquals(now, tx.requests().request("r-ann").orElseThrow().closedAt());
          List<ConsentEvent> events = tx.history().events(ann);
          assertEquals(4, events.size());
          for (ConsentEvent e : events.subList(2, 4)) {
            assertEquals(ConsentEvent.Type.EXPIRED, e.type());
            assertEquals(now, e.at());
            assertEquals("r-ann", e.requestId());
            assertEquals(Channel.SYSTEM, e.channel());
            assertEquals(Evidence.NONE, e.evidence());
            assertNull(e.source());
            assertNull(e.tokenId());
            assertEquals(noticeRef("notice text"), e.notice());
          }
          assertEquals(
              Set.of(NEWSLETTER, OFFERS), Set.of(events.get(2).purpose(), events.get(3).purpose()));
          assertEquals(4, tx.history().head(ann).orElseThrow().position());
          assertEquals(
              PendingRequest.Status.OPEN,
              tx.requests().request("r-bob").orElseThrow().status(),
              "not expired yet");
          assertEquals(
              ConsentState.PENDING, tx.subjects().consents(subjectId("bob")).get(0).state());
          return null;
        });
    assertInstanceOf(HistoryVerification.Intact.class, verify(ann));
    assertEquals(
        0,
        (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, Chains.SEALER)),
        "nothing left");
  }

  @Test
  void expireOpenRequestsKeepsConfirmedConsentsOfTheSameSubject() {
    Instant now = at(Duration.ofDays(5));
    SubjectId cat = subjectId("cat");
    tx(
        tx -> {
          signup(tx, "cat", "r-1", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(tx.subjects().consent(cat, NEWSLETTER).orElseThrow().confirm(at(60)));
          tx.requests()
              .updateRequest(
                  tx.requests()
                      .request("r-1")
                      .orElseThrow()
                      .withStatus(PendingRequest.Status.CONFIRMED, at(60)));
          Chains.append(
              tx.history(),
              new ConsentEvent(
                  0,
                  cat,
                  NEWSLETTER,
                  ConsentEvent.Type.CONFIRMED,
                  at(60),
                  "r-1",
                  noticeRef("notice text"),
                  null,
                  Channel.FORM,
                  Evidence.NONE,
                  null));
          signup(tx, "cat", "r-2", at(Duration.ofDays(1)), OFFERS);
        });

    assertEquals(
        1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, Chains.SEALER)));

    store.inTransaction(
        tx -> {
          assertEquals(
              ConsentState.CONFIRMED, tx.subjects().consent(cat, NEWSLETTER).orElseThrow().state());
          assertEquals(
              ConsentState.EXPIRED, tx.subjects().consent(cat, OFFERS).orElseThrow().state());
          assertEquals(
              PendingRequest.Status.CONFIRMED, tx.requests().request("r-1").orElseThrow().status());
          assertEquals(
              1,
              tx.history().events(cat).stream()
                  .filter(e -> e.type() == ConsentEvent.Type.EXPIRED)
                  .count());
          return null;
        });
    assertInstanceOf(HistoryVerification.Intact.class, verify(cat));
  }

  @Test
  void expireOpenRequestsLeavesReconsentRequestsAndConsentsPendingForAnotherRequest() {
    Instant now = at(Duration.ofDays(5));
    SubjectId ann = subjectId("ann");
    SubjectId dan = subjectId("dan");
    tx(
        tx -> {
          signup(tx, "ann", "r-old", at(0), NEWSLETTER);
          // A later request took the consent over, and expired too: only it may end the consent.
          signup(tx, "ann", "r-new", at(Duration.ofDays(1)), NEWSLETTER);
          signup(tx, "dan", "r-dan", at(0), NEWSLETTER);
          PendingRequest r = tx.requests().request("r-dan").orElseThrow();
          tx.requests()
              .updateRequest(
                  new PendingRequest(
                      r.id(),
                      dan,
                      r.purposes(),
                      r.notice(),
                      PendingRequest.RECONSENT_SOURCE,
                      r.evidence(),
                      r.requestedAt(),
                      r.expiresAt(),
                      r.generation(),
                      r.status(),
                      r.closedAt()));
        });

    assertEquals(
        2, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, Chains.SEALER)));

    store.inTransaction(
        tx -> {
          assertEquals(
              PendingRequest.Status.EXPIRED, tx.requests().request("r-old").orElseThrow().status());
          assertEquals(
              PendingRequest.Status.EXPIRED, tx.requests().request("r-new").orElseThrow().status());
          List<ConsentEvent> expired =
              tx.history().events(ann).stream()
                  .filter(e -> e.type() == ConsentEvent.Type.EXPIRED)
                  .toList();
          assertEquals(1, expired.size(), "one event, for the request the consent was pending for");
          assertEquals("r-new", expired.get(0).requestId());
          assertEquals(
              PendingRequest.Status.OPEN,
              tx.requests().request("r-dan").orElseThrow().status(),
              "re-consent: per item");
          assertEquals(
              ConsentState.PENDING, tx.subjects().consent(dan, NEWSLETTER).orElseThrow().state());
          return null;
        });
    assertInstanceOf(HistoryVerification.Intact.class, verify(ann));
  }

  @Test
  void expireOpenRequestsTakesTheOldestUpToTheLimit() {
    Instant now = at(Duration.ofDays(10));
    tx(
        tx -> {
          signup(tx, "ann", "r-ann", at(300), NEWSLETTER);
          signup(tx, "bob", "r-bob", at(100), NEWSLETTER);
          signup(tx, "cat", "r-cat", at(200), NEWSLETTER);
        });

    assertEquals(
        2, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 2, Chains.SEALER)));

    store.inTransaction(
        tx -> {
          assertEquals(
              PendingRequest.Status.EXPIRED, tx.requests().request("r-bob").orElseThrow().status());
          assertEquals(
              PendingRequest.Status.EXPIRED, tx.requests().request("r-cat").orElseThrow().status());
          assertEquals(
              PendingRequest.Status.OPEN, tx.requests().request("r-ann").orElseThrow().status());
          return null;
        });
    assertEquals(
        0,
        (int)
            read(
                tx ->
                    tx.retention()
                        .expireOpenRequests(
                            at(Duration.ofHours(48)).plusSeconds(300), now, 10, Chains.SEALER)),
        "strictly before");
    assertEquals(
        1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, Chains.SEALER)));
  }

  @Test
  void expireOpenRequestsWhenSeveralUnitsRunAtOnceThenEachRequestExpiresOnce() throws Exception {
    int n = 60;
    Instant now = at(Duration.ofDays(5));
    tx(
        tx -> {
          for (int i = 0; i < n; i++) {
            signup(tx, "s" + i, "r-" + i, at(i), NEWSLETTER, OFFERS);
          }
        });

    List<Integer> counts =
        concurrently(
            4,
            i -> {
              int total = 0;
              while (true) {
                int done =
                    store.inTransaction(
                        tx -> tx.retention().expireOpenRequests(now, now, 7, Chains.SEALER));
                if (done == 0) {
                  return total;
                }
                total += done;
              }
            });
    // Units that found everything locked stop early; what they skipped was expired by the others.
    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    for (int i = 0; i < n; i++) {
      SubjectId id = subjectId("s" + i);
      store.inTransaction(
          tx -> {
            assertEquals(
                2,
                tx.history().events(id).stream()
                    .filter(e -> e.type() == ConsentEvent.Type.EXPIRED)
                    .count());
            return null;
          });
      assertInstanceOf(HistoryVerification.Intact.class, verify(id));
    }
  }

  /** Subjects for the lapsed-signup tests, against the cut-off {@code at(Duration.ofDays(10))}. */
  private void givenSignupsAroundTheCutoff() {
    tx(
        tx -> {
          // Lapsed: the link ran out before the cut-off, and the purge job never marked it.
          signup(tx, "lapsed-open", "r-lo", at(0), NEWSLETTER, OFFERS);
          // Lapsed: marked expired before the cut-off.
          signup(tx, "lapsed-marked", "r-lm", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(
                  tx.subjects()
                      .consent(subjectId("lapsed-marked"), NEWSLETTER)
                      .orElseThrow()
                      .expire(at(Duration.ofDays(3))));
          tx.requests()
              .updateRequest(
                  tx.requests()
                      .request("r-lm")
                      .orElseThrow()
                      .withStatus(PendingRequest.Status.EXPIRED, at(Duration.ofDays(3))));
          // Lapsed: declined (withdrawn without ever confirming) before the cut-off.
          signup(tx, "declined", "r-d", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(
                  tx.subjects()
                      .consent(subjectId("declined"), NEWSLETTER)
                      .orElseThrow()
                      .withdraw(at(60)));
          tx.requests()
              .updateRequest(
                  tx.requests()
                      .request("r-d")
                      .orElseThrow()
                      .withStatus(PendingRequest.Status.EXPIRED, at(60)));
          // Within the grace: the link ran out after the cut-off.
          signup(tx, "in-grace", "r-ig", at(Duration.ofDays(9)), NEWSLETTER);
          // Ended within the grace.
          signup(tx, "ended-late", "r-el", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(
                  tx.subjects()
                      .consent(subjectId("ended-late"), NEWSLETTER)
                      .orElseThrow()
                      .expire(at(Duration.ofDays(11))));
          // Confirmed once, withdrawn long ago: proof of consent is kept for its own period.
          signup(tx, "was-confirmed", "r-wc", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(
                  tx.subjects()
                      .consent(subjectId("was-confirmed"), NEWSLETTER)
                      .orElseThrow()
                      .confirm(at(60))
                      .withdraw(at(120)));
          // One confirmed purpose, one expired pending one.
          signup(tx, "mixed", "r-m1", at(0), NEWSLETTER);
          tx.subjects()
              .saveConsent(
                  tx.subjects()
                      .consent(subjectId("mixed"), NEWSLETTER)
                      .orElseThrow()
                      .confirm(at(60)));
          signup(tx, "mixed", "r-m2", at(100), OFFERS);
          // An old lapsed signup, and a fresh request still open.
          signup(tx, "came-back", "r-cb1", at(0), NEWSLETTER);
          signup(tx, "came-back", "r-cb2", at(Duration.ofDays(9)), OFFERS);
          // No consent at all (left to the dormant-subject step).
          tx.subjects().insertSubject(new Subject(subjectId("bare"), email("bare"), at(0)));
        });
  }

  @Test
  void lapsedSignupsListsNeverConfirmedSubjectsWhoseSignupLapsedBeforeTheCutoff() {
    givenSignupsAroundTheCutoff();
    tx(
        tx -> {
          // created after the cut-off, with a request that (by a clock jump) already lapsed: still
          // too young.
          tx.subjects()
              .insertSubject(
                  new Subject(subjectId("young"), email("young"), at(Duration.ofDays(10))));
          tx.requests()
              .insertRequest(
                  new PendingRequest(
                      "r-y",
                      subjectId("young"),
                      Set.of(NEWSLETTER),
                      noticeRef("notice text"),
                      null,
                      Evidence.NONE,
                      at(0),
                      at(60),
                      1,
                      PendingRequest.Status.OPEN,
                      null));
          tx.subjects().saveConsent(pendingConsent(subjectId("young"), NEWSLETTER, "r-y", at(0)));
        });
    Instant cutoff = at(Duration.ofDays(10));

    List<SubjectId> all = read(tx -> tx.retention().lapsedSignups(cutoff, null, 100));

    assertEquals(
        Set.of(subjectId("lapsed-open"), subjectId("lapsed-marked"), subjectId("declined")),
        new HashSet<>(all));
    assertEquals(3, all.size());
    List<SubjectId> paged =
        new ArrayList<>(read(tx -> tx.retention().lapsedSignups(cutoff, null, 2)));
    assertEquals(2, paged.size());
    paged.addAll(read(tx -> tx.retention().lapsedSignups(cutoff, paged.get(1), 2)));
    assertEquals(all, paged, "pages continue after the last id, in the store's order");
    assertEquals(
        List.of(subjectId("declined")),
        read(tx -> tx.retention().lapsedSignups(at(Duration.ofHours(48)), null, 100)),
        "the link must have run out, or the consent ended, strictly before the cut-off");
  }

  @Test
  void deleteLapsedSignupsDeletesWhatEraseSubjectWouldAndLeavesTheOthers() {
    givenSignupsAroundTheCutoff();
    SubjectId lapsed = subjectId("lapsed-open");
    tx(
        tx -> {
          tx.outbox().enqueue(mail("m-lapsed", lapsed, email("lapsed-open"), at(0)));
          tx.requests().saveAddressChange("r-lo", email("elsewhere"));
        });
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> everyone = read(tx -> tx.subjects().subjects(Set.of(), Set.of(), null, 100));
    assertEquals(9, everyone.size());

    assertEquals(3, (int) read(tx -> tx.retention().deleteLapsedSignups(everyone, cutoff)));

    store.inTransaction(
        tx -> {
          for (String name : List.of("lapsed-open", "lapsed-marked", "declined")) {
            SubjectId id = subjectId(name);
            assertTrue(tx.subjects().subject(id).isEmpty(), name);
            assertTrue(tx.subjects().subjectByEmail(email(name)).isEmpty(), name);
            assertTrue(tx.subjects().consents(id).isEmpty(), name);
            assertTrue(
                tx.history().events(id).isEmpty(),
                "no proof is needed of a consent never given: " + name);
            assertTrue(tx.history().head(id).isEmpty(), name);
            assertTrue(tx.requests().openRequests(id).isEmpty(), name);
            assertTrue(tx.outbox().mails(id).isEmpty(), name);
            assertFalse(tx.history().subjects(null, 100).contains(id), name);
          }
          assertTrue(tx.requests().request("r-lo").isEmpty());
          assertTrue(tx.requests().addressChange("r-lo").isEmpty());
          assertEquals(0, tx.outbox().countMails(email("lapsed-open"), MailKind.CONFIRMATION, T0));
          for (String name :
              List.of("in-grace", "ended-late", "was-confirmed", "mixed", "came-back", "bare")) {
            assertTrue(tx.subjects().subject(subjectId(name)).isPresent(), name);
          }
          SubjectId mixed = subjectId("mixed");
          assertEquals(
              ConsentState.CONFIRMED,
              tx.subjects().consent(mixed, NEWSLETTER).orElseThrow().state(),
              "a confirmed consent is never touched");
          assertEquals(
              ConsentState.PENDING, tx.subjects().consent(mixed, OFFERS).orElseThrow().state());
          assertEquals(2, tx.history().events(mixed).size());
          return null;
        });
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("mixed")));
    assertEquals(
        0,
        (int) read(tx -> tx.retention().deleteLapsedSignups(everyone, cutoff)),
        "nothing left to delete");
    assertTrue(read(tx -> tx.retention().lapsedSignups(cutoff, null, 100)).isEmpty());
  }

  @Test
  void deleteLapsedSignupsChecksAgainSoASubjectThatSignedUpSinceIsKept() {
    givenSignupsAroundTheCutoff();
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> listed = read(tx -> tx.retention().lapsedSignups(cutoff, null, 100));
    tx(
        tx -> {
          tx.history().lock(subjectId("lapsed-marked"));
          signup(tx, "lapsed-marked", "r-again", at(Duration.ofDays(9)), NEWSLETTER);
        });

    assertEquals(2, (int) read(tx -> tx.retention().deleteLapsedSignups(listed, cutoff)));

    assertTrue(read(tx -> tx.subjects().subject(subjectId("lapsed-marked"))).isPresent());
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("lapsed-marked")));
  }

  @Test
  void deleteLapsedSignupsWhenSeveralUnitsRunAtOnceThenEachSubjectIsDeletedOnce() throws Exception {
    int n = 40;
    tx(
        tx -> {
          for (int i = 0; i < n; i++) {
            signup(tx, "gone" + i, "r-" + i, at(i), NEWSLETTER);
          }
        });
    Instant cutoff = at(Duration.ofDays(10));
    List<SubjectId> ids = read(tx -> tx.retention().lapsedSignups(cutoff, null, 1000));
    assertEquals(n, ids.size());

    List<Integer> counts =
        concurrently(
            4,
            i -> {
              int total = 0;
              for (int round = 0; round < 3; round++) {
                // A deadlock between the units (InnoDB's gap locks on MariaDB) rolls one back; it
                // runs again.
                total +=
                    unitRetryingConflicts(tx -> tx.retention().deleteLapsedSignups(ids, cutoff));
              }
              return total;
            });

    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(
        0L, (long) read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects()));
  }

  @Test
  void deleteLapsedSignupsRefusesMoreThanAThousandIds() {
    List<SubjectId> many = new ArrayList<>();
    for (int i = 0; i < 1001; i++) {
      many.add(subjectId("x" + i));
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> read(tx -> tx.retention().deleteLapsedSignups(many, T0)));
    assertEquals(0, (int) read(tx -> tx.retention().deleteLapsedSignups(List.of(), T0)));
  }

  @Test
  void deleteLapsedSignupPageWhenPagedToTheEndThenOnlyTheLapsedAreGoneAndNothingNamesThem() {
    givenSignupsAroundTheCutoff();
    tx(
        tx -> {
          tx.outbox()
              .enqueue(mail("m-lapsed", subjectId("lapsed-open"), email("lapsed-open"), at(0)));
          tx.requests().saveAddressChange("r-lo", email("elsewhere"));
        });
    Instant cutoff = at(Duration.ofDays(10));

    int deleted = 0;
    int pages = 0;
    SubjectId after = null;
    do {
      SubjectId from = after;
      var page = read(tx -> tx.retention().deleteLapsedSignupPage(cutoff, from, 2));
      deleted += page.deleted();
      after = page.next();
      assertTrue(++pages < 20, "the pages end");
    } while (after != null);

    assertEquals(3, deleted);
    assertNothingNames("lapsed-open", "r-lo");
    assertNothingNames("lapsed-marked", "r-lm");
    assertNothingNames("declined", "r-d");
    store.inTransaction(
        tx -> {
          for (String name :
              List.of("in-grace", "ended-late", "was-confirmed", "mixed", "came-back", "bare")) {
            assertTrue(tx.subjects().subject(subjectId(name)).isPresent(), name);
          }
          assertEquals(
              ConsentState.CONFIRMED,
              tx.subjects().consent(subjectId("mixed"), NEWSLETTER).orElseThrow().state());
          return null;
        });
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("came-back")));
    var again = read(tx -> tx.retention().deleteLapsedSignupPage(cutoff, null, 1000));
    assertEquals(0, again.deleted(), "nothing left to delete");
    assertNull(again.next(), "a page shorter than its limit is the last");
  }

  @Test
  void eraseSubjectThenNoRowNamesTheSubjectOrItsRequests() {
    tx(
        tx -> {
          signup(tx, "erased", "r-e1", at(0), NEWSLETTER, OFFERS);
          signup(tx, "erased", "r-e2", at(100), NEWSLETTER);
          tx.outbox().enqueue(mail("m-erased", subjectId("erased"), email("erased"), at(0)));
          tx.requests().saveAddressChange("r-e2", email("elsewhere"));
          signup(tx, "kept", "r-k", at(0), NEWSLETTER);
        });

    assertTrue((boolean) read(tx -> tx.subjects().eraseSubject(subjectId("erased"), false)));

    assertNothingNames("erased", "r-e1", "r-e2");
    assertTrue(read(tx -> tx.requests().request("r-k")).isPresent());
    assertInstanceOf(HistoryVerification.Intact.class, verify(subjectId("kept")));
  }

  @Test
  void deleteLapsedSignupPageWhenSeveralUnitsPageAtOnceThenEachSubjectIsDeletedOnce()
      throws Exception {
    int n = 40;
    tx(
        tx -> {
          for (int i = 0; i < n; i++) {
            signup(tx, "gone" + i, "r-" + i, at(i), NEWSLETTER);
          }
        });
    Instant cutoff = at(Duration.ofDays(10));

    List<Integer> counts =
        concurrently(
            4,
            i -> {
              int total = 0;
              for (int round = 0; round < 2; round++) {
                SubjectId after = null;
                do {
                  SubjectId from = after;
                  // A deadlock between the units (InnoDB's gap locks on MariaDB) rolls one back; it
                  // runs again.
                  var page =
                      unitRetryingConflicts(
                          tx -> tx.retention().deleteLapsedSignupPage(cutoff, from, 7));
                  total += page.deleted();
                  after = page.next();
                } while (after != null);
              }
              return total;
            });

    assertEquals(n, counts.stream().mapToInt(Integer::intValue).sum(), counts.toString());
    assertEquals(
        0L, (long) read((ConsentStore.Transaction unit) -> unit.subjects().countSubjects()));
  }

  @Test
  void deleteLapsedSignupPageRefusesALimitOutsideOneToAThousand() {
    assertThrows(
        IllegalArgumentException.class,
        () -> read(tx -> tx.retention().deleteLapsedSignupPage(T0, null, 1001)));
    assertThrows(
        IllegalArgumentException.class,
        () -> read(tx -> tx.retention().deleteLapsedSignupPage(T0, null, 0)));
  }

  /**
   * Asserts that no row the store reads by subject or request names a deleted subject or its requests: the store
   * keeps these references whole itself (since V9 the JDBC store has no foreign keys for them).
   */
  private void assertNothingNames(String name, String... requestIds) {
    SubjectId id = subjectId(name);
    store.inTransaction(
        tx -> {
          assertTrue(tx.subjects().subject(id).isEmpty(), name);
          assertTrue(tx.subjects().subjectByEmail(email(name)).isEmpty(), name);
          assertTrue(tx.subjects().consents(id).isEmpty(), name);
          assertTrue(tx.history().events(id).isEmpty(), name);
          assertTrue(tx.history().head(id).isEmpty(), name);
          assertTrue(tx.requests().openRequests(id).isEmpty(), name);
          assertTrue(tx.outbox().mails(id).isEmpty(), name);
          assertFalse(tx.history().subjects(null, 100).contains(id), name);
          for (String r : requestIds) {
            assertTrue(tx.requests().request(r).isEmpty(), r);
            assertTrue(tx.requests().addressChange(r).isEmpty(), r);
          }
          return null;
        });
  }

  @Test
  void deleteUsedTokensRemovesOnlyExpiredOnesUpToLimit() {
    store.inTransaction(
        tx -> {
          tx.requests().useToken("old-1", at(10));
          tx.requests().useToken("old-2", at(20));
          tx.requests().useToken("live", at(1000));
          return null;
        });
    assertEquals(1, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 1)));
    assertEquals(1, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 10)));
    assertEquals(0, (int) store.inTransaction(tx -> tx.retention().deleteUsedTokens(at(100), 10)));
    store.inTransaction(
        tx -> {
          assertFalse(tx.requests().useToken("live", at(1000)), "a live token stays used");
          assertTrue(tx.requests().useToken("old-1", at(2000)), "a purged id is unknown again");
          return null;
        });
  }

  @Test
  void deleteFinishedMailsKeepsQueuedAndClaimedOnes() {
    SubjectId ann = subjectId("ann");
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(subject("ann"));
          for (String id : List.of("sent", "failed", "skipped", "queued", "claimed", "sent-late")) {
            tx.outbox()
                .enqueue(mail(id, ann, email("ann"), id.equals("sent-late") ? at(500) : at(0)));
          }
          return null;
        });
    store.inTransaction(
        tx -> {
          for (OutboxMail m : tx.outbox().claimMails(at(1), at(100), 10)) {
            switch (m.id()) {
              case "sent", "sent-late" -> tx.outbox().updateMail(m.sent(at(2)));
              case "failed" -> tx.outbox().updateMail(m.failed("SMTP 550"));
              case "skipped" -> tx.outbox().updateMail(m.skipped("superseded"));
              case "queued" -> tx.outbox().updateMail(m.retryAt(at(3), "SMTP 451"));
              default -> {}
            }
          }
          return null;
        });
    assertEquals(
        3, (int) store.inTransaction(tx -> tx.retention().deleteFinishedMails(at(400), 10)));
    store.inTransaction(
        tx -> {
          assertEquals(
              Set.of("queued", "claimed", "sent-late"),
              new HashSet<>(tx.outbox().mails(ann).stream().map(OutboxMail::id).toList()));
          assertEquals(3, tx.outbox().countMails(email("ann"), MailKind.CONFIRMATION, T0));
          assertTrue(
              tx.outbox().enqueue(mail("sent", ann, email("ann"), at(600))),
              "dedupe key of a purged mail is free");
          return null;
        });
  }

  @Test
  void expireOpenRequestsThenEveryEventIsSealedByTheGivenSealerOnTheHeadTheStoreLocked() {
    Instant now = at(Duration.ofDays(3));
    SubjectId ann = subjectId("ann");
    tx(tx -> signup(tx, "ann", "r-ann", at(0), NEWSLETTER, OFFERS));
    List<HistoryHead> heads = new ArrayList<>();
    List<ConsentEvent.Seal> seals = new ArrayList<>();
    ChainSealer recording =
        (event, head) -> {
          heads.add(head);
          ConsentEvent sealed = Chains.seal(event, head);
          seals.add(sealed.seal());
          return sealed;
        };

    assertEquals(1, (int) read(tx -> tx.retention().expireOpenRequests(now, now, 10, recording)));

    List<ConsentEvent> events = read(tx -> tx.history().events(ann));
    assertEquals(List.of(2, 3), heads.stream().map(HistoryHead::position).toList());
    assertEquals(events.get(1).seal().hash(), heads.get(0).hash());
    assertEquals(seals, events.subList(2, 4).stream().map(ConsentEvent::seal).toList());
    assertIntact(ann, 4);
  }
}
