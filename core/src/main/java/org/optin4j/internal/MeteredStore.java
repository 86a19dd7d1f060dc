package org.optin4j.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.HistoryStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.NoticeStore;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.OutboxStore;
import org.optin4j.spi.RegisterStore;
import org.optin4j.spi.RequestStore;
import org.optin4j.spi.RetentionStore;
import org.optin4j.spi.SubjectStore;

/**
 * The store as the service sees it when metrics are on: each unit of work notes the mails it queued and reports them
 * to {@link OptInMetrics#mailQueued} once the unit returned (committed), so that a unit rolled back (or run again by
 * the store) counts nothing. Every unit queues mail through this one door, whatever facet runs it; without metrics
 * the store is used as it is. Reads pass through unwrapped. Thread-safe as the store is.
 *
 * @param store the store
 * @param metrics told of the mails each committed unit queued
 */
public record MeteredStore(ConsentStore store, OptInMetrics metrics) implements ConsentStore {

  /**
   * Wraps a store if there are metrics to tell.
   *
   * @param store the store
   * @param metrics the metrics, {@link OptInMetrics#NONE} for none
   * @return the store, wrapped if needed
   */
  public static ConsentStore of(ConsentStore store, OptInMetrics metrics) {
    return metrics == OptInMetrics.NONE ? store : new MeteredStore(store, metrics);
  }

  @Override
  public <T> T inTransaction(Function<Transaction, T> work) {
    List<MailKind> queued = new ArrayList<>(2);
    T result =
        store.inTransaction(
            tx -> {
              queued.clear(); // a store that runs the unit again keeps only the last run's mails
              return work.apply(new Unit(tx, queued));
            });
    if (!queued.isEmpty()) {
      List<MailKind> committed = List.copyOf(queued);
      // A unit that joined the caller's transaction is not durable yet: count its mails once that
      // commits. Units that queued nothing register nothing with the caller's transaction.
      store.afterCommit(() -> committed.forEach(metrics::mailQueued));
    }
    return result;
  }

  @Override
  public <T> T read(Function<Transaction, T> work) {
    return store.read(work);
  }

  @Override
  public void afterCommit(Runnable action) {
    store.afterCommit(action);
  }

  @Override
  public boolean joinsCallerTransaction() {
    return store.joinsCallerTransaction();
  }

  @Override
  public String toString() {
    return store.toString();
  }

  /** One unit of work whose outbox notes what it queued. */
  private record Unit(Transaction tx, List<MailKind> queued) implements Transaction {
    @Override
    public SubjectStore subjects() {
      return tx.subjects();
    }

    @Override
    public HistoryStore history() {
      return tx.history();
    }

    @Override
    public NoticeStore notices() {
      return tx.notices();
    }

    @Override
    public RequestStore requests() {
      return tx.requests();
    }

    @Override
    public OutboxStore outbox() {
      return new NotingOutbox(tx.outbox(), queued);
    }

    @Override
    public RetentionStore retention() {
      return tx.retention();
    }

    @Override
    public RegisterStore registers() {
      return tx.registers();
    }

    @Override
    public org.optin4j.spi.FeedStore feed() {
      return tx.feed();
    }

    @Override
    public org.optin4j.spi.WebhookStore webhooks() {
      return tx.webhooks();
    }

    @Override
    public org.optin4j.spi.ReportStore reports() {
      return tx.reports();
    }

    @Override
    public org.optin4j.spi.SendRateStore sendRates() {
      return tx.sendRates();
    }

    @Override
    public org.optin4j.spi.BatchReads batchReads() {
      return tx.batchReads();
    }

    @Override
    public org.optin4j.spi.WithSuppression<java.util.Optional<org.optin4j.Subject>>
        subjectByEmailWithSuppression(org.optin4j.EmailAddress email, String addressKey) {
      return tx.subjectByEmailWithSuppression(email, addressKey);
    }

    @Override
    public org.optin4j.spi.WithSuppression<java.util.List<org.optin4j.Consent>>
        consentsWithSuppression(org.optin4j.SubjectId id, String addressKey) {
      return tx.consentsWithSuppression(id, addressKey);
    }

    @Override
    public java.util.Optional<org.optin4j.spi.ConfirmationView> confirmationView(String requestId) {
      return tx.confirmationView(requestId);
    }
  }

  /** The unit's outbox, noting each mail it took. */
  private record NotingOutbox(OutboxStore outbox, List<MailKind> queued) implements OutboxStore {
    @Override
    public boolean enqueue(OutboxMail mail) {
      boolean taken = outbox.enqueue(mail);
      if (taken) {
        queued.add(mail.kind());
      }
      return taken;
    }

    @Override
    public org.optin4j.spi.CampaignPage.Queued enqueueCampaignPage(
        org.optin4j.spi.CampaignPage page) {
      org.optin4j.spi.CampaignPage.Queued q = outbox.enqueueCampaignPage(page);
      queued.addAll(java.util.Collections.nCopies(q.queued(), MailKind.CAMPAIGN));
      return q;
    }

    @Override
    public int countMails(EmailAddress recipient, MailKind kind, Instant since) {
      return outbox.countMails(recipient, kind, since);
    }

    @Override
    public Optional<Instant> mailQueuedAt(String dedupeKey) {
      return outbox.mailQueuedAt(dedupeKey);
    }

    @Override
    public List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit) {
      return outbox.claimMails(now, leaseUntil, limit);
    }

    @Override
    public void updateMail(OutboxMail mail) {
      outbox.updateMail(mail);
    }

    @Override
    public void updateMails(List<OutboxMail> mails) {
      outbox.updateMails(mails);
    }

    @Override
    public int renewClaims(Collection<String> ids, Instant heldUntil, Instant newUntil) {
      return outbox.renewClaims(ids, heldUntil, newUntil);
    }

    @Override
    public int releaseClaims(Collection<String> ids, Instant heldUntil) {
      return outbox.releaseClaims(ids, heldUntil);
    }

    @Override
    public List<OutboxMail> mails(SubjectId id) {
      return outbox.mails(id);
    }

    @Override
    public Map<OutboxMail.Status, Long> countMailsByStatus() {
      return outbox.countMailsByStatus();
    }

    @Override
    public Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId) {
      return outbox.countMailsByStatus(requestId);
    }
  }
}
