package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;

/**
 * The part of a unit of work that keeps the mail outbox: mails are enqueued in the same unit as the consent change they
 * announce and sent later by a dispatcher that claims them with a lease, so that no mail is sent for a change that was
 * rolled back and none is lost (GDPR Art. 7(1): the confirmation mail is part of the proof; Art. 5(1)(f)).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#outbox()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe. Dedupe keys are unique across nodes, and mails claimed by one caller are never
 * returned to a concurrent one (on databases: {@code FOR UPDATE SKIP LOCKED}).
 */
public interface OutboxStore {

  /**
   * Enqueues a mail, unless one with the same dedupe key exists.
   *
   * @param mail the queued mail
   * @return {@code true} if enqueued, {@code false} if the dedupe key was taken
   */
  boolean enqueue(OutboxMail mail);

  /**
   * Queues one page of a campaign to everyone confirmed for its purpose, set-based: the store selects the page's
   * subjects and writes their mails itself (on databases one {@code INSERT ... SELECT}), as {@link CampaignPage} says.
   * Each mail is as {@link OutboxMail#queued} makes it: kind {@link MailKind#CAMPAIGN}, the subject's address as
   * recipient, the campaign id as request id, generation 0, the locale of the notice the consent was given under, the
   * campaign's purpose, due at {@code page.now()}.
   *
   * <p>The suppression list is not consulted here (its keys are keyed hashes the store cannot compute): the library
   * never holds a confirmed consent for a suppressed address, and the dispatcher checks the list again before each
   * mail goes out.
   *
   * @param page the page
   * @return how many confirmed subjects the page covered, how many mails it queued, and the last subject covered
   */
  CampaignPage.Queued enqueueCampaignPage(CampaignPage page);

  /**
   * Counts mails of a kind to an address enqueued since an instant (for the per-address caps).
   *
   * @param recipient the address
   * @param kind the kind
   * @param since the start of the window, inclusive
   * @return the count
   */
  int countMails(EmailAddress recipient, MailKind kind, Instant since);

  /**
   * Returns when the mail holding a dedupe key was enqueued, whatever its status. The confirmation-mail cap reads its
   * slots with this: each slot is a dedupe key, so an exact lookup on the unique key answers, and the key's unique
   * constraint keeps the count right when several nodes take slots at once.
   *
   * @param dedupeKey the dedupe key
   * @return the mail's {@code createdAt}, or empty if no mail holds the key (never enqueued, or deleted since)
   */
  Optional<Instant> mailQueuedAt(String dedupeKey);

  /**
   * Claims due mails for sending: {@code QUEUED} with {@code nextAttemptAt <= now}, or {@code CLAIMED} with an
   * expired lease. Each is set to {@code CLAIMED} until {@code leaseUntil}. Mails claimed by one caller are not
   * returned to a concurrent caller (on databases: {@code FOR UPDATE SKIP LOCKED}). Due mail of every kind but
   * {@link MailKind#CAMPAIGN} is claimed before any due campaign mail, so that mail someone is waiting for (a
   * confirmation, a receipt) does not queue behind a campaign's million rows.
   *
   * @param now the current time
   * @param leaseUntil the lease end
   * @param limit the most to claim
   * @return the claimed mails: those not of kind {@code CAMPAIGN} first, each part oldest due first
   */
  List<OutboxMail> claimMails(Instant now, Instant leaseUntil, int limit);

  /**
   * Replaces a mail's dispatch state (sent, retry, failed).
   *
   * @param mail the mail
   */
  void updateMail(OutboxMail mail);

  /**
   * Replaces the dispatch state of several mails, as {@link #updateMail} for each in order would (the dispatcher
   * records a batch's outcomes with it). A store may send them to the database together.
   *
   * @param mails the mails
   * @throws StoreException if one of them is not stored; the unit is then doomed as after {@code updateMail}
   */
  default void updateMails(List<OutboxMail> mails) {
    for (OutboxMail m : mails) {
      updateMail(m);
    }
  }

  /**
   * Extends the claim on mails that this caller still holds, for a batch that runs longer than its lease: each of
   * {@code ids} that is {@code CLAIMED} with a lease ending exactly at {@code heldUntil} gets {@code newUntil}.
   * A mail whose lease had run out and that another dispatcher claimed since (its lease end differs), or that is
   * finished or gone, is left alone: the count tells the caller it lost it.
   *
   * @param ids the mail ids
   * @param heldUntil the lease end the caller set when it claimed (or last renewed) them
   * @param newUntil the new lease end, after {@code heldUntil}
   * @return how many mails were renewed
   */
  int renewClaims(java.util.Collection<String> ids, Instant heldUntil, Instant newUntil);

  /**
   * Gives back mails this caller claimed but did not send (a node shutting down cleanly): each of {@code ids} that
   * is {@code CLAIMED} with a lease ending exactly at {@code heldUntil} becomes {@code QUEUED} again, without lease,
   * with its attempts, due time and last error unchanged, so that another dispatcher takes it at once instead of
   * after the lease. Others are left alone, as for {@link #renewClaims}.
   *
   * @param ids the mail ids
   * @param heldUntil the lease end the caller holds them until
   * @return how many mails were released
   */
  int releaseClaims(java.util.Collection<String> ids, Instant heldUntil);

  /**
   * Returns a subject's outbox mails, oldest first.
   *
   * @param id the subject
   * @return the mails
   */
  List<OutboxMail> mails(SubjectId id);

  /**
   * Counts outbox mails by status; a status without mails is absent.
   *
   * @return the counts
   */
  java.util.Map<OutboxMail.Status, Long> countMailsByStatus();

  /**
   * Counts the outbox mails of a request, incident or campaign (the mails whose {@link OutboxMail#requestId()} is
   * the id) by status; statuses without mails are absent.
   *
   * @param requestId the id
   * @return the counts
   */
  java.util.Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId);
}
