package org.optin4j.spi;

import java.util.function.Function;
import org.optin4j.StoreException;

/**
 * Where subjects, consents, their append-only history, notices, requests, used token ids and the mail outbox live.
 *
 * <p>Every change happens inside {@link #inTransaction(Function)}: either all of a unit's writes become visible, or
 * none (the consent change and its mail are one unit: security rule 25). Implementations must be thread-safe, and a
 * store shared by several nodes must enforce single use of tokens and the outbox claims through its own constraints,
 * not through memory (rule 26).
 *
 * <p>Every implementation must pass the store contract: the test classes of {@code org.optin4j.testing.store} (one per
 * part) in the testing kit {@code optin4j-testing}; {@code docs/writing-a-store.md} says how to run them.
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
   * round trips: a confirmation page is then one). Write operations, {@code history().lock} and
   * {@code outbox().claimMails} throw {@link IllegalStateException} inside it; nothing is written.
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
   * Runs an action once the unit of work that has just returned on the calling thread is durable, such as telling
   * listeners of its changes. A store whose units of work may join a transaction the caller holds (see
   * {@link #joinsCallerTransaction()}) runs it once that transaction commits, and never if it rolls back.
   *
   * <p>The default runs it at once: every unit has committed when {@link #inTransaction} returns.
   *
   * @param action what to run; it does not throw
   */
  default void afterCommit(Runnable action) {
    action.run();
  }

  /**
   * Tells whether a unit of work begun now on the calling thread would join a transaction that the caller holds (a
   * framework's, such as Spring's {@code @Transactional}), and so commit or roll back with it rather than on its own.
   * The library never runs such a unit again after a conflict with a concurrent one (the caller's earlier writes would
   * be lost or doubled): the failure reaches the caller, who retries the whole transaction.
   *
   * <p>The default answers {@code false}: every unit is a transaction of its own.
   *
   * @return whether units of work on this thread now join the caller's transaction
   */
  default boolean joinsCallerTransaction() {
    return false;
  }

  /**
   * One unit of work: hands out the parts of the store, each a small interface for one kind of data. All parts of one
   * transaction share its connection, locks and fate (commit or rollback together). Only valid while the transaction
   * runs, on the thread that runs it; not thread-safe. A part may be fetched any number of times; a store typically
   * returns the same object each time.
   */
  interface Transaction {

    /**
     * Returns the subjects, their consents, erasure and the suppression list (GDPR Art. 7, 16, 17, 21).
     *
     * @return the subjects part of this unit
     */
    SubjectStore subjects();

    /**
     * Returns the hash-chained consent histories (GDPR Art. 7(1)).
     *
     * @return the history part of this unit
     */
    HistoryStore history();

    /**
     * Returns the notice texts shown when consent was asked (GDPR Art. 7(1), 13).
     *
     * @return the notices part of this unit
     */
    NoticeStore notices();

    /**
     * Returns the pending requests, used tokens and address changes of double opt-ins.
     *
     * @return the requests part of this unit
     */
    RequestStore requests();

    /**
     * Returns the mail outbox.
     *
     * @return the outbox part of this unit
     */
    OutboxStore outbox();

    /**
     * Returns the set-based purge and expiry operations (GDPR Art. 5(1)(e)).
     *
     * @return the retention part of this unit
     */
    RetentionStore retention();

    /**
     * Returns the registers of nodes, breaches, campaigns and rights requests (GDPR Art. 12(3), 33(5)).
     *
     * @return the registers part of this unit
     */
    RegisterStore registers();

    /**
     * Returns the durable, ordered feed of consent changes.
     *
     * @return the feed part of this unit
     */
    FeedStore feed();

    /**
     * Returns the webhook endpoints and their deliveries.
     *
     * @return the webhooks part of this unit
     */
    WebhookStore webhooks();

    /**
     * Returns the bounce and complaint reports' part: reports set aside and temporary bounces counted.
     *
     * @return the part
     */
    ReportStore reports();

    /**
     * Returns the send slots that keep the nodes sharing this store within a {@link
     * org.optin4j.mail.SendingRate}.
     *
     * @return the part
     */
    SendRateStore sendRates();

    /**
     * Reads what a confirmation page shows, without locks: the request ({@link RequestStore#findRequest}), its address
     * change ({@link RequestStore#addressChange}) and its subject's consents ({@link SubjectStore#consents}). Opening
     * a link (or a mail scanner opening it) should cost one read.
     *
     * <p>The default makes the three reads; a database store should answer in one query.
     *
     * @param requestId the request id
     * @return what the page shows, or empty if there is no such request
     */
    default java.util.Optional<ConfirmationView> confirmationView(String requestId) {
      return requests()
          .findRequest(requestId)
          .map(
              r ->
                  new ConfirmationView(
                      r, requests().addressChange(r.id()), subjects().consents(r.subjectId())));
    }

    /**
     * Finds a subject by address ({@link SubjectStore#subjectByEmail}) and, if there is none, checks the suppression
     * list for the address's key ({@link SubjectStore#isSuppressed}): what a signup reads first. A found subject comes
     * with {@code suppressed} {@code false}, whatever the list holds (the check is made only for a new address).
     *
     * <p>The default makes the reads one by one; a database store should answer in one query.
     *
     * @param email the normalised address
     * @param addressKey the HMAC of the normalised address, hex
     * @return the subject, or empty, and whether the key is suppressed if there is no subject
     */
    default WithSuppression<java.util.Optional<org.optin4j.Subject>> subjectByEmailWithSuppression(
        org.optin4j.EmailAddress email, String addressKey) {
      java.util.Optional<org.optin4j.Subject> subject = subjects().subjectByEmail(email);
      return new WithSuppression<>(
          subject, subject.isEmpty() && subjects().isSuppressed(addressKey));
    }

    /**
     * Returns a subject's consents ({@link SubjectStore#consents}) and whether an address key is on the suppression
     * list ({@link SubjectStore#isSuppressed}): what a confirmation reads under the history lock, so that it lifts a
     * suppression only when there is one.
     *
     * <p>The default makes the two reads; a database store should answer in one query.
     *
     * @param id the subject
     * @param addressKey the HMAC of the subject's normalised address, hex
     * @return the consents, ordered by purpose id, and whether the key is suppressed
     */
    default WithSuppression<java.util.List<org.optin4j.Consent>> consentsWithSuppression(
        org.optin4j.SubjectId id, String addressKey) {
      return new WithSuppression<>(subjects().consents(id), subjects().isSuppressed(addressKey));
    }

    /**
     * Returns reads of many keys at once for the dispatcher's send-time re-check. The default asks the other parts
     * one key at a time; a database store should answer each in one query.
     *
     * @return the part
     */
    default BatchReads batchReads() {
      SubjectStore subjects = subjects();
      RequestStore requests = requests();
      return new BatchReads() {
        @Override
        public java.util.Map<org.optin4j.SubjectId, org.optin4j.Subject> subjects(
            java.util.Collection<org.optin4j.SubjectId> ids) {
          java.util.Map<org.optin4j.SubjectId, org.optin4j.Subject> found =
              new java.util.HashMap<>();
          ids.forEach(id -> subjects.subject(id).ifPresent(s -> found.put(id, s)));
          return found;
        }

        @Override
        public java.util.Map<org.optin4j.SubjectId, org.optin4j.Consent> consents(
            java.util.Collection<org.optin4j.SubjectId> ids, org.optin4j.PurposeId purpose) {
          java.util.Map<org.optin4j.SubjectId, org.optin4j.Consent> found =
              new java.util.HashMap<>();
          ids.forEach(id -> subjects.consent(id, purpose).ifPresent(c -> found.put(id, c)));
          return found;
        }

        @Override
        public java.util.Set<String> suppressed(java.util.Collection<String> addressKeys) {
          java.util.Set<String> found = new java.util.HashSet<>();
          addressKeys.stream().filter(subjects::isSuppressed).forEach(found::add);
          return found;
        }

        @Override
        public java.util.Map<String, PendingRequest> requests(java.util.Collection<String> ids) {
          java.util.Map<String, PendingRequest> found = new java.util.HashMap<>();
          ids.forEach(id -> requests.findRequest(id).ifPresent(r -> found.put(id, r)));
          return found;
        }
      };
    }
  }
}
