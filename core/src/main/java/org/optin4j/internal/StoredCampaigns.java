package org.optin4j.internal;

import static org.optin4j.internal.ServiceCore.enqueueOrThrottle;
import static org.optin4j.internal.ServiceCore.isActiveAt;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.campaign.Campaign;
import org.optin4j.campaign.CampaignReport;
import org.optin4j.campaign.CampaignResult;
import org.optin4j.campaign.Campaigns;
import org.optin4j.campaign.ReconsentResult;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.CampaignPage;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * The implementation of {@link Campaigns} over the consent store; see there. Not API.
 */
public final class StoredCampaigns implements Campaigns {
  private final ServiceCore core;

  public StoredCampaigns(ServiceCore core) {
    this.core = core;
  }

  // --- the app's own mail, only with consent
  // ---------------------------------------------------------------------

  @Override
  public CampaignResult send(
      PurposeId purpose,
      String subject,
      String text,
      String html,
      java.util.Collection<String> recipients) {
    Objects.requireNonNull(recipients, "recipients");
    Campaign campaign = newCampaign(purpose, subject, text, html);
    int[] counts = new int[4]; // queued, no consent, suppressed, invalid
    java.util.Set<EmailAddress> unique = new java.util.LinkedHashSet<>();
    for (String address : recipients) {
      Optional<EmailAddress> email =
          address == null ? Optional.empty() : EmailAddress.tryParse(address);
      if (email.isPresent()) {
        unique.add(email.get());
      } else {
        counts[3]++;
      }
    }
    List<EmailAddress> all = List.copyOf(unique);
    for (int from = 0; from < all.size(); from += 500) {
      List<EmailAddress> page = all.subList(from, Math.min(all.size(), from + 500));
      int[] c =
          core.store()
              .inTransaction(
                  tx -> {
                    int[] n = new int[4];
                    Instant now = core.clock().instant();
                    for (EmailAddress email : page) {
                      if (tx.subjects().isSuppressed(core.addressKey(email))) {
                        n[2]++;
                        continue;
                      }
                      Optional<Subject> s = tx.subjects().subjectByEmail(email);
                      n[s.isPresent() && enqueueCampaignMail(tx, campaign, s.get(), now) ? 0 : 1]++;
                    }
                    return n;
                  });
      for (int i = 0; i < 4; i++) {
        counts[i] += c[i];
      }
    }
    core.dispatcher().wake();
    return new CampaignResult(campaign.id(), counts[0], counts[1], counts[2], counts[3]);
  }

  @Override
  public CampaignResult sendToAllConfirmed(
      PurposeId purpose, String subject, String text, String html) {
    return queueToAllConfirmed(create(purpose, subject, text, html));
  }

  @Override
  public Campaign create(PurposeId purpose, String subject, String text, String html) {
    return newCampaign(purpose, subject, text, html);
  }

  @Override
  public CampaignResult queueToAllConfirmed(String campaignId) {
    Objects.requireNonNull(campaignId, "campaignId");
    Campaign campaign =
        core.store()
            .read(tx -> tx.registers().campaign(campaignId))
            .orElseThrow(() -> new IllegalArgumentException("no campaign " + campaignId));
    return queueToAllConfirmed(campaign);
  }

  /**
   * Walks the purpose's confirmed subjects a page at a time, each page queued by the store in one unit of work
   * (set-based: {@link org.optin4j.spi.OutboxStore#enqueueCampaignPage}). A page's mails commit together or not at
   * all, and each carries the campaign's dedupe key for its subject, so running the walk again after a crash queues
   * exactly those the first run did not reach: the walk needs no stored cursor.
   */
  private CampaignResult queueToAllConfirmed(Campaign campaign) {
    Purpose p = core.catalog().require(campaign.purpose());
    int queued = 0;
    int refused = 0;
    SubjectId after = null;
    boolean woken = false;
    while (true) {
      CampaignPage.Queued page = queuePage(campaign, p, after);
      queued += page.queued();
      refused += page.confirmed() - page.queued();
      if (!woken && queued > 0) {
        // Sending starts while the rest is queued.
        core.dispatcher().wake();
        woken = true;
      }
      if (page.confirmed() < QUEUE_PAGE) {
        break;
      }
      after = page.last();
    }
    core.dispatcher().wake();
    return new CampaignResult(campaign.id(), queued, refused, 0, 0);
  }

  /** Mails per unit of work when queueing a campaign to everyone confirmed. */
  static final int QUEUE_PAGE = 1_000;

  private CampaignPage.Queued queuePage(Campaign campaign, Purpose p, SubjectId after) {
    for (int attempt = 1; ; attempt++) {
      try {
        return core.store()
            .inTransaction(
                tx -> {
                  Instant now = core.clock().instant();
                  Instant activeSince =
                      p.retention() instanceof org.optin4j.Retention.Fixed f
                          ? now.minus(f.period())
                          : null;
                  return tx.outbox()
                      .enqueueCampaignPage(
                          new CampaignPage(
                              campaign.id(),
                              p.id(),
                              activeSince,
                              core.randomId(),
                              now,
                              after,
                              QUEUE_PAGE));
                });
      } catch (org.optin4j.StoreException e) {
        // A concurrent run of the same campaign took some of this page's dedupe keys first (H2,
        // MariaDB): the page runs again and skips them.
        if (attempt == 3) {
          throw e;
        }
      }
    }
  }

  @Override
  public Optional<CampaignReport> report(String campaignId) {
    Objects.requireNonNull(campaignId, "campaignId");
    return core.store()
        .read(
            tx ->
                tx.registers()
                    .campaign(campaignId)
                    .map(
                        c -> {
                          java.util.Map<OutboxMail.Status, Integer> n =
                              tx.outbox().countMailsByStatus(campaignId);
                          return new CampaignReport(
                              c,
                              n.getOrDefault(OutboxMail.Status.QUEUED, 0)
                                  + n.getOrDefault(OutboxMail.Status.CLAIMED, 0),
                              n.getOrDefault(OutboxMail.Status.SENT, 0),
                              n.getOrDefault(OutboxMail.Status.SKIPPED, 0),
                              n.getOrDefault(OutboxMail.Status.FAILED, 0));
                        }));
  }

  private Campaign newCampaign(PurposeId purpose, String subject, String text, String html) {
    core.catalog().require(Objects.requireNonNull(purpose, "purpose"));
    Campaign campaign =
        new Campaign(core.randomId(), purpose, subject, text, html, core.clock().instant());
    core.write(tx -> tx.registers().insertCampaign(campaign));
    return campaign;
  }

  private boolean enqueueCampaignMail(
      ConsentStore.Transaction tx, Campaign campaign, Subject subject, Instant now) {
    Optional<Consent> c = tx.subjects().consent(subject.id(), campaign.purpose());
    if (c.isEmpty()
        || !isActiveAt(c.get(), core.catalog().require(campaign.purpose()), now)
        || tx.subjects().isSuppressed(core.addressKey(subject.email()))) {
      return false;
    }
    Locale locale = c.get().notice().locale();
    return tx.outbox()
        .enqueue(
            OutboxMail.queued(
                core.randomId(),
                MailKind.CAMPAIGN,
                subject.id(),
                subject.email(),
                campaign.id(),
                0,
                locale,
                List.of(campaign.purpose()),
                "campaign:" + campaign.id() + ':' + subject.id().value(),
                now));
  }

  // --- re-consent after a material change
  // -----------------------------------------------------------------------

  @Override
  public List<SubjectId> reconsentCandidates(PurposeId purpose, SubjectId after, int limit) {
    Purpose p = core.catalog().require(Objects.requireNonNull(purpose, "purpose"));
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    List<SubjectId> out = new ArrayList<>();
    SubjectId from = after;
    while (out.size() < limit) {
      SubjectId start = from;
      List<SubjectId> page =
          core.store()
              .inTransaction(
                  tx -> {
                    List<SubjectId> found = new ArrayList<>();
                    for (SubjectId id :
                        tx.subjects()
                            .subjects(
                                Set.of(purpose), Set.of(ConsentState.CONFIRMED), start, limit)) {
                      found.add(id);
                    }
                    return found;
                  });
      for (SubjectId id : page) {
        boolean needs =
            core.store()
                .read(
                    tx ->
                        tx.subjects().consents(id).stream()
                            .anyMatch(
                                c ->
                                    c.purpose().equals(purpose)
                                        && c.state() == ConsentState.CONFIRMED
                                        && p.needsReconsent(c.purposeVersion())));
        if (needs && out.size() < limit) {
          out.add(id);
        }
      }
      if (page.size() < limit) {
        break;
      }
      from = page.get(page.size() - 1);
    }
    return List.copyOf(out);
  }

  @Override
  public ReconsentResult requestReconsent(PurposeId purpose, Duration deadline) {
    Purpose p = core.catalog().require(Objects.requireNonNull(purpose, "purpose"));
    Objects.requireNonNull(deadline, "deadline");
    if (p.materialVersion() == 1) {
      throw new IllegalArgumentException(
          "purpose " + purpose + " never changed materially (materialVersion 1)");
    }
    if (deadline.compareTo(Duration.ofDays(1)) < 0
        || deadline.compareTo(Duration.ofDays(365)) > 0) {
      throw new IllegalArgumentException("deadline must be 1 to 365 days, was " + deadline);
    }
    int requested = 0;
    int alreadyAsked = 0;
    int throttled = 0;
    for (List<SubjectId> page :
        KeysetPages.<SubjectId>of(500, after -> reconsentCandidates(purpose, after, 500))) {
      for (SubjectId id : page) {
        ReconsentOutcome o =
            core.inTransactionOr(
                tx -> askAgain(tx, id, p, deadline),
                ServiceCore.CapRace.class,
                ReconsentOutcome.THROTTLED);
        switch (o) {
          case REQUESTED -> requested++;
          case ALREADY_ASKED -> alreadyAsked++;
          case THROTTLED -> throttled++;
          case NOT_NEEDED -> {}
          default -> throw new IllegalStateException(o.name());
        }
      }
    }
    core.dispatcher().wake();
    return new ReconsentResult(requested, alreadyAsked, throttled);
  }

  private enum ReconsentOutcome {
    REQUESTED,
    ALREADY_ASKED,
    THROTTLED,
    NOT_NEEDED
  }

  private ReconsentOutcome askAgain(
      ConsentStore.Transaction tx, SubjectId id, Purpose p, Duration deadline) {
    Optional<Subject> subject = tx.subjects().subject(id);
    if (subject.isEmpty()) {
      return ReconsentOutcome.NOT_NEEDED;
    }
    tx.history().lock(id);
    Optional<Consent> c = tx.subjects().consent(id, p.id());
    if (c.isEmpty()
        || c.get().state() != ConsentState.CONFIRMED
        || !p.needsReconsent(c.get().purposeVersion())) {
      return ReconsentOutcome.NOT_NEEDED;
    }
    for (PendingRequest open : tx.requests().openRequests(id)) {
      if (PendingRequest.RECONSENT_SOURCE.equals(open.source())
          && open.purposes().contains(p.id())) {
        return ReconsentOutcome.ALREADY_ASKED;
      }
    }
    Instant now = core.clock().instant();
    EmailAddress email = subject.get().email();
    ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, email, now);
    if (slot instanceof ConfirmationMailCap.Slot.Full) {
      return ReconsentOutcome.THROTTLED;
    }
    Locale locale = core.catalog().resolve(c.get().notice().locale());
    Notice notice = core.saveNotice(tx, core.render(Set.of(p.id()), locale));
    String requestId = core.randomId();
    tx.requests()
        .insertRequest(
            new PendingRequest(
                requestId,
                id,
                Set.of(p.id()),
                notice.ref(),
                PendingRequest.RECONSENT_SOURCE,
                Evidence.NONE,
                now,
                now.plus(deadline),
                1,
                PendingRequest.Status.OPEN,
                null));
    HistoryChain.append(
        tx,
        new ConsentEvent(
            0,
            id,
            p.id(),
            ConsentEvent.Type.REQUESTED,
            now,
            requestId,
            notice.ref(),
            PendingRequest.RECONSENT_SOURCE,
            Channel.SYSTEM,
            Evidence.NONE,
            null));
    enqueueOrThrottle(
        tx,
        OutboxMail.queued(
            core.randomId(),
            MailKind.CONFIRMATION,
            id,
            email,
            requestId,
            1,
            locale,
            List.of(p.id()),
            slot.dedupeKey(),
            now));
    return ReconsentOutcome.REQUESTED;
  }
}
