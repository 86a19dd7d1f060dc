package org.optin4j.testing.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.optin4j.testing.store.StoreFixtures.NEWSLETTER;
import static org.optin4j.testing.store.StoreFixtures.OFFERS;
import static org.optin4j.testing.store.StoreFixtures.T0;
import static org.optin4j.testing.store.StoreFixtures.at;
import static org.optin4j.testing.store.StoreFixtures.email;
import static org.optin4j.testing.store.StoreFixtures.mail;
import static org.optin4j.testing.store.StoreFixtures.pendingConsent;
import static org.optin4j.testing.store.StoreFixtures.subjectId;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.CampaignPage;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;

/**
 * The part of the store contract for queueing a campaign set-based ({@code OutboxStore.enqueueCampaignPage}): the
 * mails a store writes for a walk over all pages are exactly the mails the per-subject rule would queue (confirmed,
 * unrestricted, within retention, not yet holding the campaign's mail), field by field; pages cover confirmed subjects
 * in key order and end where they say; walking again queues no one twice; a rolled-back page leaves nothing.
 *
 * <p>Run it with the other parts through one class per store (see {@link StoreContract}). Not thread-safe itself;
 * JUnit runs each test on a fresh instance.
 */
public abstract class CampaignQueueStoreContract extends StoreContract {
  private static final String CAMPAIGN = "campaign-1";
  private static final Instant NOW = at(3_600);
  private static final Instant ACTIVE_SINCE = at(600);

  /**
   * Creates the contract for one store.
   *
   * @param storeUnderTest makes the new, empty store each test runs on
   */
  protected CampaignQueueStoreContract(StoreUnderTest storeUnderTest) {
    super(storeUnderTest);
  }

  @Test
  void enqueueCampaignPagesThenSameMailsAsThePerSubjectRule() {
    givenMixedList();

    Walk walk = walk(2);

    assertEquals(expectedByRule(), withoutIds(campaignMails()));
    assertEquals(8, walk.confirmed(), "confirmed newsletter consents covered");
    assertEquals(4, walk.queued());
    // Each mail id is its page's prefix followed by the subject id, and unique.
    Set<String> ids = new HashSet<>();
    for (OutboxMail m : campaignMails()) {
      assertTrue(m.id().endsWith(m.subjectId().value()), m.id());
      assertTrue(ids.add(m.id()));
    }
  }

  @Test
  void enqueueCampaignPagesAgainThenNoneQueuedTwice() {
    givenMixedList();
    walk(3);
    List<OutboxMail> first = campaignMails();

    Walk again = walk(3);

    assertEquals(0, again.queued());
    assertEquals(8, again.confirmed());
    assertEquals(first, campaignMails());
  }

  @Test
  void enqueueCampaignPageThenCoversLimitConfirmedSubjectsInKeyOrder() {
    givenMixedList();

    List<SubjectId> covered = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      CampaignPage.Queued page = tx2(page(from, 3));
      assertTrue(page.confirmed() <= 3);
      if (page.confirmed() == 0) {
        assertNull(page.last());
        break;
      }
      covered.add(page.last());
      after = page.last();
    }

    // 8 confirmed newsletter consents, 3 a page: pages end after the 3rd and the 6th, the
    // last page holds 2.
    assertEquals(3, covered.size());
    assertEquals(new HashSet<>(covered).size(), covered.size());
  }

  @Test
  void enqueueCampaignPageWhenSubjectHoldsTheMailThenSkipsOnlyThat() {
    givenMixedList();
    CampaignPage probe = page(null, 10);
    tx(
        tx ->
            tx.outbox()
                .enqueue(
                    mail(
                        "earlier",
                        MailKind.CAMPAIGN,
                        subjectId("c1"),
                        email("c1"),
                        probe.dedupeKey(subjectId("c1")),
                        T0)));

    CampaignPage.Queued page = tx2(probe);

    assertEquals(8, page.confirmed());
    assertEquals(3, page.queued());
  }

  @Test
  void enqueueCampaignPageWhenWorkThrowsThenNothingQueued() {
    givenMixedList();

    throwAfter(tx -> assertEquals(4, tx.outbox().enqueueCampaignPage(page(null, 10)).queued()));

    assertEquals(List.of(), campaignMails());
    assertEquals(4, tx2(page(null, 10)).queued());
  }

  @Test
  void enqueueCampaignPageWhenNoOneConfirmedThenEmptyPage() {
    givenSubjects("p1");
    tx(tx -> tx.subjects().saveConsent(pendingConsent(subjectId("p1"), NEWSLETTER, "r", T0)));

    CampaignPage.Queued page = tx2(page(null, 10));

    assertEquals(new CampaignPage.Queued(0, 0, null), page);
  }

  /**
   * Eight confirmed newsletter consents, four of them mailable: c1 to c4 confirmed after {@code ACTIVE_SINCE} (c3 in
   * German, c4 a millisecond-free second after it and confirmed for offers too); r1 and c5 restricted; old1 confirmed
   * before {@code ACTIVE_SINCE}, edge1 exactly at it (run out: the rule needs after). Not confirmed for the
   * newsletter: w1 withdrawn, p1 pending, e1 expired, o1 confirmed for offers only.
   */
  private void givenMixedList() {
    givenSubjects("c1", "c2", "c3", "c4", "r1", "old1", "edge1", "w1", "p1", "e1", "o1");
    tx(
        tx -> {
          confirm(tx, "c1", NEWSLETTER, at(1_000), Locale.ENGLISH);
          confirm(tx, "c2", NEWSLETTER, at(2_000), Locale.ENGLISH);
          confirm(tx, "c3", NEWSLETTER, at(3_000), Locale.GERMAN);
          confirm(tx, "c4", NEWSLETTER, at(601), Locale.ENGLISH);
          confirm(tx, "c4", OFFERS, at(601), Locale.ENGLISH);
          tx.subjects()
              .saveConsent(confirmed("r1", NEWSLETTER, at(1_000), Locale.ENGLISH).restrict(true));
          confirm(tx, "old1", NEWSLETTER, at(100), Locale.ENGLISH);
          confirm(tx, "edge1", NEWSLETTER, ACTIVE_SINCE, Locale.ENGLISH);
          tx.subjects()
              .saveConsent(
                  confirmed("w1", NEWSLETTER, at(1_000), Locale.ENGLISH).withdraw(at(2_000)));
          tx.subjects().saveConsent(pendingConsent(subjectId("p1"), NEWSLETTER, "r", at(1_000)));
          tx.subjects()
              .saveConsent(
                  pendingConsent(subjectId("e1"), NEWSLETTER, "r", at(1_000)).expire(at(2_000)));
          confirm(tx, "o1", OFFERS, at(1_000), Locale.ENGLISH);
        });
    // A second unit, so that the list does not depend on one unit's order.
    givenSubjects("c5");
    tx(
        tx ->
            tx.subjects()
                .saveConsent(confirmed("c5", NEWSLETTER, at(3_500), Locale.FRENCH).restrict(true)));
  }

  private static void confirm(
      org.optin4j.spi.ConsentStore.Transaction tx,
      String name,
      org.optin4j.PurposeId purpose,
      Instant at,
      Locale locale) {
    tx.subjects().saveConsent(confirmed(name, purpose, at, locale));
  }

  private static Consent confirmed(
      String name, org.optin4j.PurposeId purpose, Instant at, Locale locale) {
    return new Consent(
            subjectId(name),
            purpose,
            1,
            ConsentState.PENDING,
            "req-" + name,
            new Consent.NoticeRef(1, "a".repeat(64), locale),
            T0,
            null,
            null,
            false)
        .confirm(at);
  }

  /** What the per-subject rule queues: every confirmed, unrestricted newsletter consent confirmed after the cutoff. */
  private Set<OutboxMail> expectedByRule() {
    return read(
        tx -> {
          Set<OutboxMail> expected = new HashSet<>();
          for (SubjectId id :
              tx.subjects()
                  .subjects(Set.of(NEWSLETTER), Set.of(ConsentState.CONFIRMED), null, 100)) {
            Consent c = tx.subjects().consent(id, NEWSLETTER).orElseThrow();
            Subject s = tx.subjects().subject(id).orElseThrow();
            if (c.isActive() && c.confirmedAt().isAfter(ACTIVE_SINCE)) {
              expected.add(
                  OutboxMail.queued(
                      "-",
                      MailKind.CAMPAIGN,
                      id,
                      s.email(),
                      CAMPAIGN,
                      0,
                      c.notice().locale(),
                      List.of(NEWSLETTER),
                      "campaign:" + CAMPAIGN + ':' + id.value(),
                      NOW));
            }
          }
          return expected;
        });
  }

  private static Set<OutboxMail> withoutIds(List<OutboxMail> mails) {
    Set<OutboxMail> out = new HashSet<>();
    for (OutboxMail m : mails) {
      out.add(
          new OutboxMail(
              "-",
              m.kind(),
              m.subjectId(),
              m.recipient(),
              m.requestId(),
              m.generation(),
              m.locale(),
              m.purposes(),
              m.dedupeKey(),
              m.status(),
              m.attempts(),
              m.nextAttemptAt(),
              m.leaseUntil(),
              m.createdAt(),
              m.sentAt(),
              m.lastError()));
    }
    assertEquals(mails.size(), out.size(), "one mail per subject");
    return out;
  }

  /** The campaign's mails, in subject order. */
  private List<OutboxMail> campaignMails() {
    return read(
        tx -> {
          List<OutboxMail> out = new ArrayList<>();
          for (String name :
              List.of(
                  "c1", "c2", "c3", "c4", "c5", "r1", "old1", "edge1", "w1", "p1", "e1", "o1")) {
            for (OutboxMail m : tx.outbox().mails(subjectId(name))) {
              if (CAMPAIGN.equals(m.requestId())) {
                out.add(m);
              }
            }
          }
          return out;
        });
  }

  private record Walk(int confirmed, int queued) {}

  private Walk walk(int limit) {
    int confirmed = 0;
    int queued = 0;
    Map<SubjectId, Integer> seen = new HashMap<>();
    SubjectId after = null;
    while (true) {
      CampaignPage.Queued page = tx2(page(after, limit));
      confirmed += page.confirmed();
      queued += page.queued();
      if (page.confirmed() < limit) {
        break;
      }
      assertEquals(null, seen.put(page.last(), 1), "a page ends where another ended");
      after = page.last();
    }
    return new Walk(confirmed, queued);
  }

  private CampaignPage.Queued tx2(CampaignPage page) {
    return store.inTransaction(tx -> tx.outbox().enqueueCampaignPage(page));
  }

  /** Numbers this test's pages, so that each page has an id prefix of its own. */
  private int prefixes;

  private CampaignPage page(SubjectId after, int limit) {
    String prefix = "prefix" + String.format("%016d", ++prefixes);
    return new CampaignPage(CAMPAIGN, NEWSLETTER, ACTIVE_SINCE, prefix, NOW, after, limit);
  }
}
