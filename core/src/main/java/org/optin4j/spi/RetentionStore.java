package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.PurposeId;
import org.optin4j.StoreException;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;

/**
 * The part of a unit of work that finds and removes what is no longer needed (GDPR Art. 5(1)(c) and (e): storage
 * limitation): expired requests and their evidence, lapsed signups, stale address changes, used tokens and finished
 * mails. The set-based operations change many rows in a few statements and are safe to run on several nodes at once:
 * they skip rows another unit holds instead of waiting, so concurrent callers never handle one row twice.
 *
 * <p>Obtained from {@link ConsentStore.Transaction#retention()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe.
 */
public interface RetentionStore {

  /**
   * Returns open requests whose link expired before an instant, oldest first.
   *
   * @param before the cut-off
   * @param limit the most to return
   * @return the requests
   */
  List<PendingRequest> openRequestsExpiredBefore(Instant before, int limit);

  /**
   * Returns confirmed consents for a purpose confirmed before an instant (for fixed retention periods).
   *
   * @param purpose the purpose
   * @param confirmedBefore the cut-off
   * @param limit the most to return
   * @return the consents
   */
  List<Consent> confirmedBefore(PurposeId purpose, Instant confirmedBefore, int limit);

  /**
   * Returns subjects without any pending or confirmed consent whose last consent ended (or who were created, if they
   * have no consent) before an instant: candidates for purging once proof retention has passed.
   *
   * @param before the cut-off
   * @param limit the most to return
   * @return the subject ids
   */
  List<SubjectId> dormantSubjects(Instant before, int limit);

  /**
   * Expires open requests whose link ran out, many in this one transaction (GDPR Art. 5(1)(e): a signup that was
   * not confirmed in time is no basis for anything). Takes the oldest expired open requests, re-consent requests
   * ({@link PendingRequest#RECONSENT_SOURCE}) excepted, at most {@code limit}; for each whose subject's history lock
   * it gets without waiting (on databases: {@code FOR UPDATE SKIP LOCKED}, in subject id order) it does what the
   * retention job does for one request: every consent still {@code PENDING} for that request becomes {@link
   * ConsentState#EXPIRED} (ended at {@code now}), an {@link ConsentEvent.Type#EXPIRED} event (channel {@code
   * SYSTEM}, no evidence, no source, no token id, the consent's notice) is appended to the subject's history and
   * sealed into its hash chain by
   * {@code sealer} on the head the store read under the lock (then on the event before it, for a second event of one
   * subject) and stored as {@link HistoryStore#append} would, and the request becomes {@code EXPIRED} (closed at
   * {@code now}). Locks are taken in the order history head, request, consent. A request locked by another unit
   * (another node's retention job, a confirmation in progress) is left to it, so concurrent callers never expire
   * one request twice and never wait on each other.
   *
   * @param expiredBefore expire requests whose {@code expiresAt} is strictly before this
   * @param now the time of expiry (the consents' end, the events' time, the requests' close)
   * @param limit the most requests to look at
   * @param sealer the core's sealing function; the store computes no hash itself
   * @return how many requests this call expired; 0 when none was found or every one found was locked by another
   *     unit
   */
  int expireOpenRequests(Instant expiredBefore, Instant now, int limit, ChainSealer sealer);

  /**
   * Lists lapsed signups (GDPR Art. 5(1)(c) and (e): data of a consent never given is not kept longer than
   * needed): subjects created before {@code before} that have at least one consent, none of which was ever confirmed,
   * each either {@code PENDING} for an {@code OPEN} request that expired before {@code before}, or ended
   * ({@code WITHDRAWN} or {@code EXPIRED}) before {@code before}; and that have no {@code OPEN} request expiring at
   * or after {@code before}. Reads without locks, for {@link #deleteLapsedSignups} in pages.
   *
   * @param before the cut-off: typically now minus the grace period for unconfirmed signups
   * @param after list only subjects after this id in the store's order, or {@code null} to start
   * @param limit the most to return
   * @return the subject ids in the store's order of ids, which {@code after} continues
   */
  List<SubjectId> lapsedSignups(Instant before, SubjectId after, int limit);

  /**
   * Deletes those of the given subjects that are lapsed signups before {@code before} (as {@link #lapsedSignups}
   * defines them, checked again under lock), with everything
   * {@link SubjectStore#eraseSubject eraseSubject(id, false)} deletes:
   * address changes, requests, consents, outbox mails, events and history head, and the subject; no suppression
   * entry (a lapsed signup is not an erasure request), no history stub (no proof is needed of a consent never
   * given). Set-based: a few statements for all of them. Takes each subject's history lock, then its subject row,
   * without waiting (on databases: {@code FOR UPDATE SKIP LOCKED}, in subject id order): a subject locked by another
   * unit (a signup, another node's retention job) is left alone, so concurrent callers never delete, or count, a
   * subject twice. Concurrent callers deleting neighbouring subjects may still meet in a deadlock on databases whose
   * foreign key checks lock index ranges (MariaDB/InnoDB); the database then rolls one back ({@link
   * StoreException}), and calling again is safe.
   *
   * @param ids the candidates, typically a page of {@link #lapsedSignups}; at most 1,000
   * @param before the cut-off, as given to {@link #lapsedSignups}
   * @return how many subjects this call deleted
   * @throws IllegalArgumentException if more than 1,000 ids are given
   */
  int deleteLapsedSignups(List<SubjectId> ids, Instant before);

  /**
   * Deletes lapsed signups (as {@link #lapsedSignups} defines them, checked under lock as {@link #deleteLapsedSignups}
   * checks them, with everything it deletes) among the next subjects after {@code after} in the store's order, in
   * this one transaction, and says where the next page starts. A store may look at candidates rather than at lapsed
   * signups only (on PostgreSQL: subjects with a consent never confirmed whose history lock it gets without waiting,
   * then checked once under lock), so a page may delete fewer than it looked at, or none, and still not be the last;
   * a subject locked by another unit is left alone, so concurrent callers never delete, or count, a subject twice.
   * Calling it from {@code null} and then after each page's {@link LapsedSignupPage#next() next} until that is
   * {@code null} deletes every lapsed signup that no other unit held meanwhile, and nothing else.
   *
   * <p>The default lists a page with {@link #lapsedSignups} and deletes it with {@link #deleteLapsedSignups}: two
   * passes over the lapsed condition. A store that can look and lock in one pass overrides it.
   *
   * @param before the cut-off: typically now minus the grace period for unconfirmed signups
   * @param after continue after this subject id, or {@code null} to start
   * @param limit the most subjects to look at, at most 1,000
   * @return how many subjects this call deleted and where the next page starts
   * @throws IllegalArgumentException if {@code limit} is not between 1 and 1,000
   */
  default LapsedSignupPage deleteLapsedSignupPage(Instant before, SubjectId after, int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be between 1 and 1000, was " + limit);
    }
    List<SubjectId> ids = lapsedSignups(before, after, limit);
    int deleted = ids.isEmpty() ? 0 : deleteLapsedSignups(ids, before);
    return new LapsedSignupPage(deleted, ids.size() < limit ? null : ids.get(ids.size() - 1));
  }

  /**
   * Deletes the address changes nothing needs any more (GDPR Art. 5(1)(c) and (e): a new address typed in by whoever
   * held a link may be a third party's): those of requests never confirmed whose link expired before
   * {@code unconfirmedExpiredBefore}, together with those request rows; and those of confirmed requests closed
   * before {@code confirmedBefore}, with the replaced address they kept for undoing (the request row stays: the
   * consent history points to it).
   *
   * @param unconfirmedExpiredBefore the cut-off for unconfirmed changes: typically now minus the grace period
   * @param confirmedBefore the cut-off for confirmed changes: typically now minus how long they may be undone
   * @param limit the most address changes to delete
   * @return how many address changes were deleted
   */
  int deleteStaleAddressChanges(
      Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit);

  /**
   * Clears the evidence (IP address, user agent) of requests never confirmed (open, expired or superseded) whose
   * link expired before an instant: it served only to prove a consent that was never given.
   *
   * @param expiredBefore the cut-off: typically now minus the grace period for unconfirmed signups
   * @param limit the most requests to clear
   * @return how many requests had evidence and now have none
   */
  int clearLapsedRequestEvidence(Instant expiredBefore, int limit);

  /**
   * Deletes used-token records whose tokens expired before an instant (they can no longer be replayed anyway).
   *
   * @param expiredBefore the cut-off
   * @param limit the most to delete
   * @return how many were deleted
   */
  int deleteUsedTokens(Instant expiredBefore, int limit);

  /**
   * Deletes finished outbox mails (sent, failed, skipped) created before an instant.
   *
   * @param createdBefore the cut-off
   * @param limit the most to delete
   * @return how many were deleted
   */
  int deleteFinishedMails(Instant createdBefore, int limit);
}
