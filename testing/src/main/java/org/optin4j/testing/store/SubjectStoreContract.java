package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.SURVEYS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.noticeRef;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subject;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.HistoryVerification;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.WithSuppression;

/**
 * The part of the store contract for subjects (unique id and address, address changes), consents (one per subject and
 * purpose, ordered by purpose), the listings of subjects (newest first, and the audience of a campaign), suppression,
 * and erasure with or without a history stub.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class SubjectStoreContract extends StoreContract {

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected SubjectStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void updateSubjectWhenWorkThrowsThenAddressRestored() {
    givenSubjects("ann");

    throwAfter(tx -> tx.subjects().updateSubject(new Subject(subjectId("ann"), email("ann2"), T0)));

    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann2"))));
    tx(tx -> tx.subjects().insertSubject(subject("ann2")));
  }

  @Test
  void saveConsentsThenEachSavedOrReplacedAsSaveConsentWould() {
    givenSubjects("ann", "bob");
    Consent annNewsletter = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.subjects().saveConsent(annNewsletter));
    Consent confirmed = annNewsletter.confirm(at(60));
    Consent annOffers = pendingConsent(subjectId("ann"), OFFERS, "req-1", T0);
    Consent bobOffers = pendingConsent(subjectId("bob"), OFFERS, "req-2", T0);

    tx(tx -> tx.subjects().saveConsents(List.of(confirmed, annOffers, bobOffers)));
    tx(tx -> tx.subjects().saveConsents(List.of()));

    assertEquals(
        List.of(confirmed, annOffers).stream()
            .sorted(java.util.Comparator.comparing(Consent::purpose))
            .toList(),
        read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(List.of(bobOffers), read(tx -> tx.subjects().consents(subjectId("bob"))));
  }

  @Test
  void saveConsentsWhenWorkThrowsThenNoneKept() {
    givenSubjects("ann");

    throwAfter(
        tx ->
            tx.subjects()
                .saveConsents(
                    List.of(
                        pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0),
                        pendingConsent(subjectId("ann"), OFFERS, "req-1", T0))));

    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void saveConsentWhenWorkThrowsThenPreviousConsentRestored() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.subjects().saveConsent(pending));

    throwAfter(
        tx -> {
          tx.subjects().saveConsent(pending.confirm(at(60)));
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-1", T0));
        });

    assertEquals(List.of(pending), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(
        Optional.of(pending), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("ann"), OFFERS)));
  }

  @Test
  void subjectByEmailWhenLocalPartNotAsciiThenStoredAndFoundExactly() {
    // RFC 6531 local parts are stored as UTF-8 text and compared exactly: "zoë" is neither "zoe"
    // nor "zoë" in NFD.
    EmailAddress zoe = EmailAddress.parse("zoë@bücher.example");
    tx(
        tx -> {
          tx.subjects().insertSubject(new Subject(subjectId("zoe"), zoe, T0));
          tx.subjects()
              .insertSubject(
                  new Subject(subjectId("plain"), EmailAddress.parse("zoe@bücher.example"), T0));
        });

    assertEquals(
        Optional.of(new Subject(subjectId("zoe"), zoe, T0)),
        read(tx -> tx.subjects().subjectByEmail(zoe)));
    assertEquals(
        "zoë@xn--bcher-kva.example",
        read(tx -> tx.subjects().subject(subjectId("zoe"))).orElseThrow().email().value());
    assertEquals(
        subjectId("plain"),
        read(tx -> tx.subjects().subjectByEmail(EmailAddress.parse("zoe@xn--bcher-kva.example")))
            .orElseThrow()
            .id());
  }

  @Test
  void subjectWhenUnknownThenEmpty() {
    givenSubjects("ann");

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
  }

  @Test
  void insertSubjectThenFoundByIdAndByEmail() {
    Subject ann =
        new Subject(subjectId("ann"), email("ann"), at(Duration.ofDays(3).plusSeconds(7)));

    tx(tx -> tx.subjects().insertSubject(ann));

    assertEquals(Optional.of(ann), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.of(ann), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenEmailTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx ->
                    tx.subjects()
                        .insertSubject(new Subject(subjectId("other"), email("ann"), at(60)))));

    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("other"))));
  }

  @Test
  void insertSubjectWhenIdTakenThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx ->
                    tx.subjects()
                        .insertSubject(new Subject(subjectId("ann"), email("other"), at(60)))));

    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("other"))));
  }

  @Test
  void insertSubjectWhenEmailTakenInSameTransactionThenDuplicateKeyAndNothingKept() {
    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx -> {
                  tx.subjects().insertSubject(subject("ann"));
                  tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
                }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateThenEarlierWritesOfTheUnitRolledBack() {
    givenSubjects("ann");

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx -> {
                  tx.subjects().insertSubject(subject("bob"));
                  tx.subjects()
                      .saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
                  tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
                }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void insertSubjectWhenDuplicateSwallowedByWorkThenUnitStillRolledBack() {
    givenSubjects("ann");

    // DuplicateKeyException promises "the transaction is rolled back": catching it must not save
    // the unit's other
    // writes. Whether inTransaction then throws (a StoreException) or returns is left to the store.
    try {
      tx(
          tx -> {
            tx.subjects().insertSubject(subject("bob"));
            try {
              tx.subjects().insertSubject(new Subject(subjectId("other"), email("ann"), T0));
              fail("expected a DuplicateKeyException");
            } catch (DuplicateKeyException expected) {
              // swallowed on purpose
            }
          });
    } catch (StoreException acceptable) {
      // the store reported the rollback
    }

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void insertSubjectWhenConcurrentSignupsOfOneAddressThenExactlyOneWins() throws Exception {
    int threads = 8;
    List<Boolean> won =
        concurrently(
            threads,
            i -> {
              try {
                tx(
                    tx ->
                        tx.subjects()
                            .insertSubject(new Subject(subjectId("racer" + i), email("ann"), T0)));
                return true;
              } catch (DuplicateKeyException lost) {
                return false;
              }
            });

    assertEquals(1, won.stream().filter(w -> w).count());
    SubjectId winner = subjectId("racer" + won.indexOf(true));
    assertEquals(
        Optional.of(winner),
        read(tx -> tx.subjects().subjectByEmail(email("ann"))).map(Subject::id));
  }

  @Test
  void updateSubjectThenFoundByNewAddressAndOldAddressFree() {
    givenSubjects("ann");
    Subject moved = new Subject(subjectId("ann"), email("ann.new"), T0);

    tx(tx -> tx.subjects().updateSubject(moved));

    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subjectByEmail(email("ann.new"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    Subject newcomer = new Subject(subjectId("newcomer"), email("ann"), at(60));
    tx(tx -> tx.subjects().insertSubject(newcomer));
    assertEquals(Optional.of(newcomer), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenSameAddressThenUnchanged() {
    givenSubjects("ann");

    tx(tx -> tx.subjects().updateSubject(subject("ann")));

    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenThenDuplicateKeyAndRollback() {
    givenSubjects("ann", "bob");

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx -> {
                  tx.subjects().insertSubject(subject("cid"));
                  tx.subjects()
                      .saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
                  tx.subjects().updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
                }));

    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
    assertEquals(Optional.of(subject("ann")), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(
        Optional.of(subject("bob")), read(tx -> tx.subjects().subjectByEmail(email("bob"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("cid"))));
    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void updateSubjectWhenAddressTakenEarlierInSameTransactionThenDuplicateKey() {
    givenSubjects("ann");

    assertThrows(
        DuplicateKeyException.class,
        () ->
            tx(
                tx -> {
                  tx.subjects().insertSubject(subject("bob"));
                  tx.subjects().updateSubject(new Subject(subjectId("ann"), email("bob"), T0));
                }));

    assertEquals(Optional.empty(), read(tx -> tx.subjects().subject(subjectId("bob"))));
    assertEquals(
        Optional.of(subject("ann")), read(tx -> tx.subjects().subjectByEmail(email("ann"))));
  }

  @Test
  void consentsWhenNoneThenEmpty() {
    givenSubjects("ann");

    assertEquals(List.of(), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
  }

  @Test
  void saveConsentThenFoundWithEveryComponent() {
    givenSubjects("ann");
    Consent restricted =
        new Consent(
            subjectId("ann"),
            NEWSLETTER,
            3,
            ConsentState.CONFIRMED,
            "req-7",
            new Consent.NoticeRef(4, Notice.sha256("n"), Locale.forLanguageTag("de-CH")),
            at(10),
            at(70),
            null,
            true);
    Consent withdrawn =
        new Consent(
            subjectId("ann"),
            OFFERS,
            1,
            ConsentState.WITHDRAWN,
            "req-8",
            noticeRef("x"),
            at(20),
            at(80),
            at(3600),
            false);
    Consent expired =
        new Consent(
            subjectId("ann"),
            SURVEYS,
            2,
            ConsentState.EXPIRED,
            "req-9",
            noticeRef("y"),
            at(30),
            null,
            at(7200),
            false);

    tx(
        tx -> {
          tx.subjects().saveConsent(restricted);
          tx.subjects().saveConsent(withdrawn);
          tx.subjects().saveConsent(expired);
        });

    assertEquals(
        Optional.of(restricted), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
    assertEquals(
        Optional.of(withdrawn), read(tx -> tx.subjects().consent(subjectId("ann"), OFFERS)));
    assertEquals(
        Optional.of(expired), read(tx -> tx.subjects().consent(subjectId("ann"), SURVEYS)));
  }

  @Test
  void saveConsentWhenSameSubjectAndPurposeThenReplaced() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    tx(tx -> tx.subjects().saveConsent(pending));

    Consent confirmed = pending.confirm(at(60));
    tx(tx -> tx.subjects().saveConsent(confirmed));
    Consent withdrawn = confirmed.withdraw(at(120));
    tx(tx -> tx.subjects().saveConsent(withdrawn));

    assertEquals(List.of(withdrawn), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(
        Optional.of(withdrawn), read(tx -> tx.subjects().consent(subjectId("ann"), NEWSLETTER)));
  }

  @Test
  void saveConsentWhenReplacedInSameTransactionThenLastWins() {
    givenSubjects("ann");
    Consent pending = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);

    tx(
        tx -> {
          tx.subjects().saveConsent(pending);
          tx.subjects().saveConsent(pending.confirm(at(60)));
        });

    assertEquals(
        List.of(pending.confirm(at(60))), read(tx -> tx.subjects().consents(subjectId("ann"))));
  }

  @Test
  void consentsThenOrderedByPurposeId() {
    givenSubjects("ann");

    tx(
        tx -> {
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), SURVEYS, "req-1", T0));
          tx.subjects().saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0));
        });
    tx(tx -> tx.subjects().saveConsent(pendingConsent(subjectId("ann"), OFFERS, "req-2", at(1))));

    assertEquals(
        List.of(NEWSLETTER, OFFERS, SURVEYS),
        read(tx -> tx.subjects().consents(subjectId("ann"))).stream()
            .map(Consent::purpose)
            .toList());
  }

  @Test
  void consentsThenOnlyThoseOfTheSubject() {
    givenSubjects("ann", "bob");
    Consent anns = pendingConsent(subjectId("ann"), NEWSLETTER, "req-1", T0);
    Consent bobs = pendingConsent(subjectId("bob"), NEWSLETTER, "req-2", T0);

    tx(
        tx -> {
          tx.subjects().saveConsent(anns);
          tx.subjects().saveConsent(bobs);
        });

    assertEquals(List.of(anns), read(tx -> tx.subjects().consents(subjectId("ann"))));
    assertEquals(List.of(bobs), read(tx -> tx.subjects().consents(subjectId("bob"))));
    assertEquals(
        Optional.of(bobs), read(tx -> tx.subjects().consent(subjectId("bob"), NEWSLETTER)));
    assertEquals(Optional.empty(), read(tx -> tx.subjects().consent(subjectId("bob"), OFFERS)));
  }

  @Test
  void updateSubjectThenAddressGenerationStoredWithTheAddress() {
    givenSubjects("ann");
    Subject moved = subject("ann").movedTo(email("ann.new"));

    tx(tx -> tx.subjects().updateSubject(moved));

    assertEquals(
        2, read(tx -> tx.subjects().subject(subjectId("ann"))).orElseThrow().addressGeneration());
    assertEquals(Optional.of(moved), read(tx -> tx.subjects().subjectByEmail(email("ann.new"))));
    Subject back = moved.movedTo(email("ann"));
    tx(tx -> tx.subjects().updateSubject(back));
    assertEquals(Optional.of(back), read(tx -> tx.subjects().subject(subjectId("ann"))));
    assertEquals(3, back.addressGeneration());
  }

  @Test
  void eraseSubjectWhenKeepingStubThenPersonalDataGoneAndEventsDeidentified() {
    SubjectId ann = annWithEverything();

    boolean first = store.inTransaction(tx -> tx.subjects().eraseSubject(ann, true));
    boolean second = store.inTransaction(tx -> tx.subjects().eraseSubject(ann, true));
    assertTrue(first);
    assertFalse(second, "a second erasure finds nothing");

    store.inTransaction(
        tx -> {
          assertTrue(tx.subjects().subject(ann).isEmpty());
          assertTrue(tx.subjects().subjectByEmail(email("ann")).isEmpty());
          assertTrue(tx.subjects().consents(ann).isEmpty());
          assertTrue(tx.requests().request("req-1").isEmpty());
          assertTrue(tx.requests().addressChange("req-1").isEmpty());
          assertTrue(tx.outbox().mails(ann).isEmpty());
          assertEquals(0, tx.outbox().countMails(email("ann"), MailKind.CONFIRMATION, T0));
          List<ConsentEvent> events = tx.history().events(ann);
          assertEquals(2, events.size());
          for (ConsentEvent e : events) {
            assertEquals(Evidence.NONE, e.evidence());
            assertNull(e.source());
            assertNull(e.tokenId());
          }
          assertEquals(ConsentEvent.Type.CONFIRMED, events.get(1).type());
          assertEquals(at(60), events.get(1).at());
          for (ConsentEvent e : events) {
            assertNull(e.seal().detailsSalt(), "the salt goes with the details");
            assertNotNull(e.seal().detailsDigest());
          }
          assertEquals(2, tx.history().head(ann).orElseThrow().position());
          return null;
        });
    // The stub verifies but for the removed details, which only an erasure event explains.
    HistoryVerification check = Chains.verify(store, ann);
    assertEquals(
        HistoryVerification.Reason.EVIDENCE_REMOVED,
        assertInstanceOf(HistoryVerification.Broken.class, check).reason());
    assertTrue(
        read(tx -> tx.history().subjects(null, 10)).contains(ann), "a stub's history stays listed");
  }

  @Test
  void eraseSubjectWhenKeepingStubAfterErasedEventThenChainStillVerifies() {
    SubjectId ann = annWithEverything();
    tx(
        tx -> {
          Chains.append(
              tx.history(),
              new ConsentEvent(
                  0,
                  ann,
                  NEWSLETTER,
                  ConsentEvent.Type.ERASED,
                  at(90),
                  "req-1",
                  noticeRef("notice text"),
                  null,
                  Channel.OPERATOR,
                  Evidence.NONE,
                  null));
          tx.subjects().eraseSubject(ann, true);
        });

    assertIntact(ann, 3);
  }

  @Test
  void eraseSubjectWhenNotKeepingStubThenNoEventsAndAddressReusable() {
    SubjectId ann = annWithEverything();
    store.inTransaction(
        tx -> {
          tx.subjects().eraseSubject(ann, false);
          return null;
        });
    store.inTransaction(
        tx -> {
          assertTrue(tx.history().events(ann).isEmpty());
          assertTrue(tx.history().head(ann).isEmpty());
          assertFalse(tx.history().subjects(null, 10).contains(ann));
          tx.subjects().insertSubject(new Subject(subjectId("ann2"), email("ann"), at(100)));
          assertTrue(
              tx.outbox().enqueue(mail("m-1-again", subjectId("ann2"), email("ann"), at(100))));
          return null;
        });
  }

  @Test
  void eraseSubjectWhenUnknownThenNothingHappens() {
    annWithEverything();
    boolean erased =
        store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId("nobody"), true));
    assertFalse(erased);
    store.inTransaction(
        tx -> {
          assertTrue(tx.subjects().subject(subjectId("ann")).isPresent());
          return null;
        });
  }

  @Test
  void eraseSubjectRollsBackWithItsTransaction() {
    SubjectId ann = annWithEverything();
    throwAfter(tx -> tx.subjects().eraseSubject(ann, false));
    store.inTransaction(
        tx -> {
          assertTrue(tx.subjects().subject(ann).isPresent());
          assertEquals(2, tx.history().events(ann).size());
          assertEquals("203.0.113.7", tx.history().events(ann).get(0).evidence().ip());
          assertEquals(1, tx.outbox().mails(ann).size());
          return null;
        });
  }

  @Test
  void eraseSubjectWhenTwoTransactionsEraseAtOnceThenExactlyOneErases() throws Exception {
    for (int round = 0; round < 5; round++) {
      String name = "twice" + round;
      store.inTransaction(
          tx -> {
            tx.subjects().insertSubject(subject(name));
            tx.subjects().saveConsent(pendingConsent(subjectId(name), NEWSLETTER, "r", at(0)));
            return null;
          });
      List<Boolean> results =
          concurrently(
              4,
              i -> store.inTransaction(tx -> tx.subjects().eraseSubject(subjectId(name), false)));
      assertEquals(1, results.stream().filter(b -> b).count(), results.toString());
    }
  }

  @Test
  void subjectsArePagedNewestFirstAndCounted() {
    store.inTransaction(
        tx -> {
          tx.subjects().insertSubject(new Subject(subjectId("old"), email("old"), at(0)));
          tx.subjects().insertSubject(new Subject(subjectId("mid"), email("mid"), at(10)));
          tx.subjects().insertSubject(new Subject(subjectId("new"), email("new"), at(20)));
          return null;
        });
    store.inTransaction(
        tx -> {
          assertEquals(
              List.of(subjectId("new"), subjectId("mid")),
              tx.subjects().subjects(0, 2).stream().map(Subject::id).toList());
          assertEquals(
              List.of(subjectId("old")),
              tx.subjects().subjects(2, 2).stream().map(Subject::id).toList());
          assertTrue(tx.subjects().subjects(3, 2).isEmpty());
          assertEquals(3L, tx.subjects().countSubjects());
          assertEquals(email("mid"), tx.subjects().subjects(1, 1).get(0).email());
          return null;
        });
  }

  @Test
  void suppressIsIdempotentAndUnsuppressRemoves() {
    String key = "ab".repeat(32);
    store.inTransaction(
        tx -> {
          assertFalse(tx.subjects().isSuppressed(key));
          tx.subjects().suppress(key, at(0));
          tx.subjects().suppress(key, at(10));
          assertTrue(tx.subjects().isSuppressed(key));
          assertFalse(tx.subjects().isSuppressed("cd".repeat(32)));
          return null;
        });
    store.inTransaction(
        tx -> {
          assertTrue(tx.subjects().isSuppressed(key));
          tx.subjects().unsuppress(key);
          tx.subjects().unsuppress(key);
          return null;
        });
    store.inTransaction(
        tx -> {
          assertFalse(tx.subjects().isSuppressed(key));
          return null;
        });
    throwAfter(tx -> tx.subjects().suppress(key, at(20)));
    store.inTransaction(
        tx -> {
          assertFalse(tx.subjects().isSuppressed(key), "rolled back");
          return null;
        });
  }

  @Test
  void subjectByEmailWithSuppressionThenTheSubjectOrWhetherANewAddressIsSuppressed() {
    givenSubjects("ann");
    String suppressedKey = "ab".repeat(32);
    String freeKey = "cd".repeat(32);
    tx(tx -> tx.subjects().suppress(suppressedKey, at(0)));

    store.read(
        tx -> {
          WithSuppression<Optional<Subject>> known =
              tx.subjectByEmailWithSuppression(email("ann"), suppressedKey);
          assertEquals(tx.subjects().subjectByEmail(email("ann")), known.value());
          assertTrue(known.value().isPresent());
          assertFalse(known.suppressed(), "checked only for a new address");
          WithSuppression<Optional<Subject>> newSuppressed =
              tx.subjectByEmailWithSuppression(email("bob"), suppressedKey);
          assertEquals(Optional.empty(), newSuppressed.value());
          assertTrue(newSuppressed.suppressed());
          WithSuppression<Optional<Subject>> newFree =
              tx.subjectByEmailWithSuppression(email("bob"), freeKey);
          assertEquals(Optional.empty(), newFree.value());
          assertFalse(newFree.suppressed());
          return null;
        });
  }

  @Test
  void consentsWithSuppressionThenTheConsentsInOrderAndWhetherTheKeyIsSuppressed() {
    givenSubjects("ann", "bob");
    SubjectId ann = subjectId("ann");
    String suppressedKey = "ab".repeat(32);
    String freeKey = "cd".repeat(32);
    tx(
        tx -> {
          tx.subjects().saveConsent(pendingConsent(ann, SURVEYS, "req-1", at(0)));
          tx.subjects().saveConsent(pendingConsent(ann, NEWSLETTER, "req-1", at(0)).confirm(at(5)));
          tx.subjects().suppress(suppressedKey, at(0));
        });

    store.read(
        tx -> {
          WithSuppression<List<Consent>> suppressed =
              tx.consentsWithSuppression(ann, suppressedKey);
          assertEquals(tx.subjects().consents(ann), suppressed.value());
          assertEquals(2, suppressed.value().size());
          assertTrue(suppressed.suppressed());
          WithSuppression<List<Consent>> free = tx.consentsWithSuppression(ann, freeKey);
          assertEquals(tx.subjects().consents(ann), free.value());
          assertFalse(free.suppressed());
          WithSuppression<List<Consent>> none =
              tx.consentsWithSuppression(subjectId("bob"), suppressedKey);
          assertEquals(List.of(), none.value());
          assertTrue(none.suppressed());
          return null;
        });
  }

  @Test
  void subjectsThenEveryoneOrThoseWithConsentsForPurposesInStatesEachOnceInPages() {
    givenSubjects("ann", "bob", "cy", "dee", "eve");
    tx(
        tx -> {
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("ann"), NEWSLETTER, "r1", T0).confirm(at(1)));
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("ann"), OFFERS, "r1", T0).confirm(at(1)));
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("bob"), NEWSLETTER, "r2", T0).withdraw(at(2)));
          tx.subjects().saveConsent(pendingConsent(subjectId("cy"), OFFERS, "r3", T0));
          tx.subjects()
              .saveConsent(pendingConsent(subjectId("dee"), SURVEYS, "r4", T0).confirm(at(1)));
        });

    assertEquals(Set.of("ann", "bob", "cy", "dee", "eve"), names(pages(Set.of(), Set.of(), 2)));
    assertEquals(Set.of("ann", "bob", "cy"), names(pages(Set.of(NEWSLETTER, OFFERS), Set.of(), 2)));
    assertEquals(
        Set.of("ann"), names(pages(Set.of(NEWSLETTER, OFFERS), Set.of(ConsentState.CONFIRMED), 1)));
    assertEquals(
        Set.of("ann", "cy"),
        names(pages(Set.of(OFFERS), Set.of(ConsentState.CONFIRMED, ConsentState.PENDING), 1)));
    assertEquals(Set.of(), names(pages(Set.of(SURVEYS), Set.of(ConsentState.WITHDRAWN), 3)));
  }

  private List<SubjectId> pages(
      Set<org.optin4j.PurposeId> purposes, Set<ConsentState> states, int size) {
    List<SubjectId> all = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = read(tx -> tx.subjects().subjects(purposes, states, from, size));
      assertTrue(page.size() <= size);
      all.addAll(page);
      if (page.size() < size) {
        assertEquals(all.size(), new HashSet<>(all).size(), "each subject once: " + all);
        return all;
      }
      after = page.get(page.size() - 1);
    }
  }

  private static Set<String> names(List<SubjectId> ids) {
    Set<String> names = new HashSet<>();
    ids.forEach(id -> names.add(id.value().replaceAll("-+$", "")));
    return names;
  }
}
