package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.optin4j.campaign.Campaign;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.breach.Incident;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.EmailAddress;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.rights.RightsRequest;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;

/**
 * Where subjects, consents, their append-only history, notices, requests, used token ids and the mail outbox live.
 *
 * <p>Every change happens inside {@link #inTransaction(Function)}: either all of a unit's writes become visible, or
 * none (the consent change and its mail are one unit: security rule 25). Implementations must be thread-safe, and a
 * store shared by several nodes must enforce single use of tokens and the outbox claims through its own constraints,
 * not through memory (rule 26).
 *
 * <p>Every implementation must pass the store contract, the test classes of {@code org.optin4j.spi.contract} (one per
 * part, described in {@code StoreContract}) shipped in the core test jar.
 */
public interface ConsentStore {

  /**
   * Runs a unit of work in one transaction.
   *
   * @param work the unit of work; it must not talk to the network (SMTP) or wait on anything but the store
   * @param <T> the result type
   * @return what the work returned
   * @throws StoreException if the store fails; nothing of the unit is then kept
   * @throws RuntimeException whatever {@code work} threw; nothing of the unit is then kept
   */
  <T> T inTransaction(Function<Transaction, T> work);

  /**
   * Runs a unit of work that only reads, such as the confirmation page or "may I mail this address?". A store may run
   * its reads without a transaction around them: each read then sees what was committed when it ran, which is what
   * {@code READ COMMITTED} shows inside a transaction too, and the unit costs no begin and no commit (on PostgreSQL two
   * of a confirmation page's five round trips). Write operations, {@code lockHistory} and {@code claimMails} throw
   * {@link IllegalStateException} inside it; nothing is written.
   *
   * <p>The default runs {@code work} through {@link #inTransaction}, which gives the same answers; a store only
   * overrides it to be cheaper, and must then refuse writes as described.
   *
   * @param work the unit of work; it must not talk to the network or wait on anything but the store
   * @param <T> the result type
   * @return what the work returned
   * @throws StoreException if the store fails
   * @throws IllegalStateException if the work tries to write, or if called from inside a unit of work
   */
  default <T> T read(Function<Transaction, T> work) {
    return inTransaction(work);
  }

  /**
   * The operations available inside one transaction. Only valid while the transaction runs; not thread-safe.
   */
  interface Transaction {

    /**
     * Finds a subject by normalised address.
     *
     * @param email the address
     * @return the subject, or empty
     */
    Optional<Subject> subjectByEmail(EmailAddress email);

    /**
     * Finds a subject by id.
     *
     * @param id the id
     * @return the subject, or empty
     */
    Optional<Subject> subject(SubjectId id);

    /**
     * Inserts a new subject.
     *
     * @param subject the subject
     * @throws DuplicateKeyException if the id or the address is already taken (a concurrent signup won)
     */
    void insertSubject(Subject subject);

    /**
     * Replaces a subject's address and its address generation (rectification, or its undoing); the creation time
     * stays as stored.
     *
     * @param subject the subject with its new address and generation
     * @throws DuplicateKeyException if another subject has that address
     */
    void updateSubject(Subject subject);

    /**
     * Returns a subject's consents, ordered by purpose id.
     *
     * @param id the subject
     * @return the consents
     */
    List<Consent> consents(SubjectId id);

    /**
     * Finds one consent, locking it against concurrent change until the transaction ends where the store supports
     * row locks.
     *
     * @param id the subject
     * @param purpose the purpose
     * @return the consent, or empty
     */
    Optional<Consent> consent(SubjectId id, PurposeId purpose);

    /**
     * Inserts or replaces the consent for its (subject, purpose).
     *
     * @param consent the consent
     */
    void saveConsent(Consent consent);

    /**
     * Appends an event to the subject's history and seals it into the subject's hash chain: under the subject's
     * history lock ({@link #lockHistory}), the store reads the chain head, {@linkplain ConsentEvent#sealed seals} the
     * event at the next position with the head's hash as previous hash and 16 fresh random bytes from a
     * {@code SecureRandom} as salt, stores it, and moves the head to it, all in this transaction. Appends for one
     * subject are thereby serialised across threads and nodes, so a chain never forks; a store shared by several
     * nodes also enforces one event per (subject, position) with a unique key.
     *
     * @param event the event, with sequence 0 and no seal
     * @return the event with the sequence the store assigned (strictly increasing per store) and its seal
     */
    ConsentEvent appendEvent(ConsentEvent event);

    /**
     * Takes the subject's history lock until the transaction ends (creating the chain head at position 0 if there
     * is none). {@link #appendEvent} takes it anyway; a unit that reads consents for change and then appends events
     * should take it first, so that every unit locks a subject's history before its consent rows and concurrent
     * units cannot deadlock.
     *
     * @param id the subject
     */
    void lockHistory(SubjectId id);

    /**
     * Returns the recorded end of a subject's hash chain, also after the subject was erased with a kept stub.
     *
     * @param id the subject
     * @return the head, or empty if no event was ever appended (or the history was deleted)
     */
    Optional<HistoryHead> historyHead(SubjectId id);

    /**
     * Lists subjects with a history (at least one event appended and not deleted; a de-identified stub counts), by
     * subject id, for audits in batches.
     *
     * @param after list only ids after this one, or {@code null} to start
     * @param limit the most to return
     * @return the subject ids, ascending in code-point order (as {@link String#compareTo} orders ids)
     */
    List<SubjectId> historySubjects(SubjectId after, int limit);

    /**
     * Returns a subject's history, oldest first.
     *
     * @param id the subject
     * @return the events
     */
    List<ConsentEvent> events(SubjectId id);

    /**
     * Stores a notice text if its hash is new, assigning the next version for its {@link Notice#key()}; returns the
     * stored notice (the existing one if the hash was known).
     *
     * @param candidate the notice; its version is ignored, the store assigns one
     * @return the stored notice with its version
     */
    Notice saveNotice(Notice candidate);

    /**
     * Finds a notice by the hash of its text.
     *
     * @param hash the SHA-256 hex
     * @return the notice, or empty
     */
    Optional<Notice> notice(String hash);

    /**
     * Inserts a new request.
     *
     * @param request the request
     */
    void insertRequest(PendingRequest request);

    /**
     * Finds a request, locking it against concurrent change until the transaction ends.
     *
     * @param id the request id
     * @return the request, or empty
     */
    Optional<PendingRequest> request(String id);

    /**
     * Finds a request without locking it, for pages that only show it (a confirmation link opened by a person or a
     * mail scanner must cost a read, not a write).
     *
     * @param id the request id
     * @return the request, or empty
     */
    Optional<PendingRequest> findRequest(String id);

    /**
     * Replaces a request (status or generation change).
     *
     * @param request the request
     */
    void updateRequest(PendingRequest request);

    /**
     * Returns a subject's open requests.
     *
     * @param id the subject
     * @return the open requests
     */
    List<PendingRequest> openRequests(SubjectId id);

    /**
     * Records a token id as used. Atomic across nodes: of concurrent calls with the same id, exactly one returns
     * {@code true}.
     *
     * @param tokenId the {@code jti}
     * @param expiresAt when the token would expire anyway (the record may be purged after)
     * @return {@code true} if it was unused, {@code false} if it was used before
     */
    boolean useToken(String tokenId, Instant expiresAt);

    /**
     * Enqueues a mail, unless one with the same dedupe key exists.
     *
     * @param mail the queued mail
     * @return {@code true} if enqueued, {@code false} if the dedupe key was taken
     */
    boolean enqueue(OutboxMail mail);

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
     * returned to a concurrent caller (on databases: {@code FOR UPDATE SKIP LOCKED}).
     *
     * @param now the current time
     * @param leaseUntil the lease end
     * @param limit the most to claim
     * @return the claimed mails, oldest due first
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

    // --- node register (nodes sharing a store agree on what makes a link valid) ---------------------------------

    /**
     * Inserts a node's registration, or replaces the one with its node id.
     *
     * @param node the registration
     */
    void saveNode(NodeRegistration node);

    /**
     * Returns every registration, live or lapsed, by node id.
     *
     * @return the registrations
     */
    List<NodeRegistration> nodes();

    /**
     * Removes a node's registration. Idempotent.
     *
     * @param nodeId the node id
     * @return whether there was one
     */
    boolean deleteNode(String nodeId);

    // --- operator listings ---------------------------------------------------------------------------------------

    /**
     * Returns subjects, newest first (by creation time, then id), for operator pages.
     *
     * @param offset how many to skip, 0 or more
     * @param limit the most to return, 1 or more
     * @return the subjects
     */
    List<Subject> subjects(int offset, int limit);

    /**
     * Counts the subjects.
     *
     * @return the number of subjects
     */
    long countSubjects();

    /**
     * Counts outbox mails by status; a status without mails is absent.
     *
     * @return the counts
     */
    java.util.Map<OutboxMail.Status, Long> countMailsByStatus();

    // --- erasure, suppression and rectification (GDPR Art. 16, 17; security rules 19, 20) -------------------------

    /**
     * Erases a subject: deletes the subject, its consents, requests, address changes and outbox mails. Its events are
     * either kept as a de-identified stub ({@link ConsentEvent#deidentified()}: evidence, source, token id and the
     * seal's salt removed, every hash kept, so the chain still verifies; the opaque subject id no longer leads to any
     * address) together with the chain head, or deleted together with the chain head. This is the only change the
     * store ever makes to history.
     *
     * @param id the subject
     * @param keepHistoryStub whether to keep the de-identified events
     * @return {@code true} if this call erased the subject; {@code false} if there was no such subject, also when a
     *     concurrent transaction erased it first (the store serialises the two on the subject row)
     */
    boolean eraseSubject(SubjectId id, boolean keepHistoryStub);

    /**
     * Adds a keyed hash of an address to the suppression list. Idempotent.
     *
     * @param addressKey the HMAC of the normalised address, hex
     * @param at when
     */
    void suppress(String addressKey, Instant at);

    /**
     * Tells whether a keyed address hash is suppressed.
     *
     * @param addressKey the HMAC of the normalised address, hex
     * @return whether it is on the suppression list
     */
    boolean isSuppressed(String addressKey);

    /**
     * Removes a keyed address hash from the suppression list (after a fresh double opt-in). Idempotent.
     *
     * @param addressKey the HMAC of the normalised address, hex
     */
    void unsuppress(String addressKey);

    /**
     * Records that a request confirms a new address for its subject (rectification by double opt-in).
     *
     * @param requestId the request
     * @param newEmail the new address
     */
    void saveAddressChange(String requestId, EmailAddress newEmail);

    /**
     * Returns the new address a request would confirm, if it is an address change.
     *
     * @param requestId the request
     * @return the new address, or empty
     */
    Optional<EmailAddress> addressChange(String requestId);

    /**
     * Records the address a confirmed address change replaced, so that the "this was not me" link mailed to it can
     * undo the change. Kept until {@link #deleteStaleAddressChanges} removes the row.
     *
     * @param requestId the address change request, which has an address change ({@link #saveAddressChange})
     * @param previousEmail the address the change replaced
     * @throws org.optin4j.StoreException if the request has no address change
     */
    void saveReplacedAddress(String requestId, EmailAddress previousEmail);

    /**
     * Returns the address a confirmed address change replaced, if it was recorded and not yet purged.
     *
     * @param requestId the address change request
     * @return the replaced address, or empty
     */
    Optional<EmailAddress> replacedAddress(String requestId);

    // --- retention (GDPR Art. 5(1)(e); security rule 21). Safe to run on several nodes at once. -------------------

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
     * sealed into its hash chain as {@link #appendEvent} would, and the request becomes {@code EXPIRED} (closed at
     * {@code now}). Locks are taken in the order history head, request, consent. A request locked by another unit
     * (another node's retention job, a confirmation in progress) is left to it, so concurrent callers never expire
     * one request twice and never wait on each other.
     *
     * @param expiredBefore expire requests whose {@code expiresAt} is strictly before this
     * @param now the time of expiry (the consents' end, the events' time, the requests' close)
     * @param limit the most requests to look at
     * @return how many requests this call expired; 0 when none was found or every one found was locked by another
     *     unit
     */
    int expireOpenRequests(Instant expiredBefore, Instant now, int limit);

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
     * defines them, checked again under lock), with everything {@link #eraseSubject eraseSubject(id, false)} deletes:
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
    int deleteStaleAddressChanges(Instant unconfirmedExpiredBefore, Instant confirmedBefore, int limit);

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

    // --- breach register (GDPR Art. 33-34) and audiences -------------------------------------------------------

    /**
     * Inserts an incident, or replaces the one with its id.
     *
     * @param incident the incident
     */
    void saveIncident(Incident incident);

    /**
     * Finds an incident.
     *
     * @param id the incident id
     * @return the incident, or empty
     */
    Optional<Incident> incident(String id);

    /**
     * Returns every incident of the register, latest discovery first, then by id.
     *
     * @return the incidents
     */
    List<Incident> incidents();

    /**
     * Lists subjects on file, a page at a time, for breach notifications and campaigns. With no purposes: every
     * subject. With purposes: the subjects with a consent for at least one of them whose state is one of
     * {@code states} (any state if {@code states} is empty).
     *
     * @param purposes the purposes, or empty for every subject
     * @param states the consent states that count, or empty for any
     * @param after list only subjects after this id in the store's order, or {@code null} to start
     * @param limit the most to return
     * @return the subject ids in the store's order of ids, which {@code after} continues; each at most once
     */
    List<SubjectId> subjects(Set<PurposeId> purposes, Set<ConsentState> states, SubjectId after, int limit);

    /**
     * Inserts a campaign (the content of one mailing, stored once for all its outbox mails).
     *
     * @param campaign the campaign
     * @throws DuplicateKeyException if the id is taken
     */
    void insertCampaign(Campaign campaign);

    /**
     * Finds a campaign.
     *
     * @param id the campaign id
     * @return the campaign, or empty
     */
    Optional<Campaign> campaign(String id);

    /**
     * Counts the outbox mails of a request, incident or campaign (the mails whose {@link OutboxMail#requestId()} is
     * the id) by status; statuses without mails are absent.
     *
     * @param requestId the id
     * @return the counts
     */
    java.util.Map<OutboxMail.Status, Integer> countMailsByStatus(String requestId);

    // --- data subjects' requests (GDPR Art. 12(3)) -------------------------------------------------------------

    /**
     * Inserts a rights request, or replaces the one with its id.
     *
     * @param request the request
     */
    void saveRightsRequest(RightsRequest request);

    /**
     * Finds a rights request.
     *
     * @param id the request id
     * @return the request, or empty
     */
    Optional<RightsRequest> rightsRequest(String id);

    /**
     * Returns the open (not completed) rights requests, earliest due first, then by id.
     *
     * @return the open requests
     */
    List<RightsRequest> openRightsRequests();
  }
}
