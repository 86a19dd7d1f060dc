package org.optin4j.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentState;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.Retention;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.operations.PurgeReport;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.LapsedSignupPage;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.spi.PendingRequest;

/**
 * The retention job (GDPR Art. 5(1)(c) and (e); security rule 21): expires unconfirmed requests, ends consents whose
 * fixed retention ran out, deletes subjects nothing needs any more (unconfirmed signups after a grace period, ended
 * consents after their proof retention), deletes address changes nobody needs (never confirmed, after their expiry
 * plus the grace period; confirmed, once they can no longer be undone, plus the grace period), clears the evidence of
 * requests never confirmed after their expiry plus the grace period, and clears used-token ids and finished outbox
 * rows.
 *
 * <p>Signups that lapsed longer ago than the grace period are deleted set-based, a page of subjects per transaction,
 * without recording their expiry first; expired requests are marked a batch per transaction. Both steps lock what
 * they change without waiting and skip what another unit holds. Everything else (and whatever those steps skipped) is
 * changed one item per short transaction that re-reads and re-checks it. So several nodes may run the job at once:
 * the second to reach an item finds it done, or held, and skips it. Thread-safe.
 */
public final class Purger {
  private static final System.Logger LOG = System.getLogger(Purger.class.getName());
  private static final int BATCH = 500;

  /** Items per transaction of the set-based steps (at most 1,000, the SPI's bound). */
  private static final int BULK = 1000;

  /** Attempts of a set-based step before its failure is passed on. */
  private static final int ATTEMPTS = 3;

  private final ConsentStore store;
  private final PurposeCatalog catalog;
  private final Clock clock;
  private final Duration unconfirmedGrace;
  private final Duration outboxRetention;
  private final Duration addressUndoWindow;
  private final Duration feedRetention;
  private final Consumer<ConsentChange> changes;
  private final OptInMetrics metrics;

  /**
   * Creates the job.
   *
   * @param store the store
   * @param catalog the purposes (their retention)
   * @param clock the clock
   * @param unconfirmedGrace how long an expired, never confirmed signup is kept before it is deleted
   * @param outboxRetention how long finished outbox rows are kept
   * @param addressUndoWindow how long a confirmed change of address may be undone (its replaced address is kept)
   * @param feedRetention how long entries of the event feed are kept
   * @param changes told about consents ended by retention, after each commit
   * @param metrics told what each run did
   */
  public Purger(
      ConsentStore store,
      PurposeCatalog catalog,
      Clock clock,
      Duration unconfirmedGrace,
      Duration outboxRetention,
      Duration addressUndoWindow,
      Duration feedRetention,
      Consumer<ConsentChange> changes,
      OptInMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.catalog = catalog;
    this.clock = clock;
    this.unconfirmedGrace = unconfirmedGrace;
    this.outboxRetention = outboxRetention;
    this.addressUndoWindow = addressUndoWindow;
    this.feedRetention = feedRetention;
    this.changes = changes;
  }

  /**
   * Runs every step once, in batches until each is done.
   *
   * @return what was done
   */
  public PurgeReport run() {
    Instant now = clock.instant();
    int lapsed = deleteLapsedSignups(now);
    int requests = expireRequestsInBatches(now) + expireRequests(now);
    int consents = expireConsents(now);
    int subjects = lapsed + purgeSubjects(now);
    // A new address typed in through a link may be a third party's, and evidence of a request never
    // confirmed proves
    // nothing: neither outlives its expiry plus the grace period given to unconfirmed signups.
    Instant lapsedBefore = now.minus(unconfirmedGrace);
    int addressChanges =
        drain(
            () ->
                store.inTransaction(
                    tx ->
                        tx.retention()
                            .deleteStaleAddressChanges(
                                lapsedBefore, lapsedBefore.minus(addressUndoWindow), BATCH)));
    int evidence =
        drain(
            () ->
                store.inTransaction(
                    tx -> tx.retention().clearLapsedRequestEvidence(lapsedBefore, BATCH)));
    int tokens =
        drain(() -> store.inTransaction(tx -> tx.retention().deleteUsedTokens(now, BATCH)));
    int mails =
        drain(
            () ->
                store.inTransaction(
                    tx -> tx.retention().deleteFinishedMails(now.minus(outboxRetention), BATCH)));
    int feed =
        drain(
            () ->
                store.inTransaction(tx -> tx.feed().deleteBefore(now.minus(feedRetention), BATCH)));
    PurgeReport report = new PurgeReport(requests, consents, subjects, tokens, mails);
    if (addressChanges > 0 || evidence > 0 || feed > 0) {
      LOG.log(
          System.Logger.Level.INFO,
          "retention: {0} address changes deleted, evidence of {1} lapsed requests cleared,"
              + " {2} feed entries deleted",
          addressChanges,
          evidence,
          feed);
    }
    if (report.total() > 0) {
      LOG.log(
          System.Logger.Level.INFO,
          "retention: {0} requests expired, {1} consents expired, {2} subjects purged, "
              + "{3} used tokens and {4} outbox rows deleted",
          requests,
          consents,
          subjects,
          tokens,
          mails);
    }
    metrics.purged(OptInMetrics.PURGE_EXPIRED_REQUESTS, requests);
    metrics.purged(OptInMetrics.PURGE_EXPIRED_CONSENTS, consents);
    metrics.purged(OptInMetrics.PURGE_SUBJECTS, subjects);
    metrics.purged(OptInMetrics.PURGE_TOKENS, tokens);
    metrics.purged(OptInMetrics.PURGE_MAILS, mails);
    return report;
  }

  /**
   * Deletes, a page at a time and set-based, the signups that lapsed longer ago than the grace period (never
   * confirmed; the link ran out, or the consent ended, before it): their expiry would be recorded only to be deleted
   * at once. What is left (subjects locked by a signup or by another node meanwhile) waits for the next run.
   */
  private int deleteLapsedSignups(Instant now) {
    Instant cutoff = now.minus(unconfirmedGrace);
    int total = 0;
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      LapsedSignupPage page =
          retried(
              () ->
                  store.inTransaction(
                      tx -> tx.retention().deleteLapsedSignupPage(cutoff, from, BULK)));
      total += page.deleted();
      if (page.next() == null) {
        return total;
      }
      after = page.next();
    }
  }

  /**
   * Expires requests whose link ran out, many per transaction; re-consent requests, and requests a concurrent unit
   * held, are left to {@link #expireRequests}, which takes them one at a time.
   */
  private int expireRequestsInBatches(Instant now) {
    int total = 0;
    while (true) {
      int n =
          retried(
              () ->
                  store.inTransaction(
                      tx ->
                          tx.retention()
                              .expireOpenRequests(
                                  now, now, BULK, HistoryChain.sealerWithFeed(tx))));
      total += n;
      if (n == 0) {
        return total;
      }
    }
  }

  private int expireRequests(Instant now) {
    int total = 0;
    List<ConsentChange> lapsed = new ArrayList<>();
    while (true) {
      List<PendingRequest> batch =
          store.inTransaction(tx -> tx.retention().openRequestsExpiredBefore(now, BATCH));
      for (PendingRequest r : batch) {
        boolean done =
            store.inTransaction(
                tx -> {
                  // Lock order of every unit: the subject's history, then request rows, then
                  // consent rows.
                  if (tx.subjects().subject(r.subjectId()).isPresent()) {
                    tx.history().lock(r.subjectId());
                  }
                  Optional<PendingRequest> fresh = tx.requests().request(r.id());
                  if (fresh.isEmpty()
                      || fresh.get().status() != PendingRequest.Status.OPEN
                      || fresh.get().expiresAt().isAfter(now)) {
                    return false;
                  }
                  PendingRequest req = fresh.get();
                  for (var p : req.purposes()) {
                    tx.subjects()
                        .consent(req.subjectId(), p)
                        .filter(
                            c ->
                                c.state() == ConsentState.PENDING && c.requestId().equals(req.id()))
                        .ifPresent(
                            c ->
                                ServiceCore.saveSystemChange(
                                    tx, c.expire(now), ConsentEvent.Type.EXPIRED, now, null));
                  }
                  if (PendingRequest.RECONSENT_SOURCE.equals(req.source())) {
                    // The deadline of a re-confirmation passed unanswered: the consent under the
                    // earlier version ends.
                    Set<PurposeId> ended = new TreeSet<>();
                    for (PurposeId p : req.purposes()) {
                      tx.subjects()
                          .consent(req.subjectId(), p)
                          .filter(
                              c ->
                                  c.state() == ConsentState.CONFIRMED
                                      && !c.requestId().equals(req.id()))
                          .ifPresent(
                              c -> {
                                ServiceCore.saveSystemChange(
                                    tx,
                                    c.expire(now),
                                    ConsentEvent.Type.EXPIRED,
                                    now,
                                    PendingRequest.RECONSENT_SOURCE);
                                ended.add(p);
                              });
                    }
                    if (!ended.isEmpty()) {
                      tx.subjects()
                          .subject(req.subjectId())
                          .ifPresent(
                              s ->
                                  lapsed.add(
                                      new ConsentChange(
                                          ConsentChange.Type.EXPIRED,
                                          req.subjectId(),
                                          s.email(),
                                          ended,
                                          now,
                                          Channel.SYSTEM)));
                    }
                  }
                  tx.requests().updateRequest(req.withStatus(PendingRequest.Status.EXPIRED, now));
                  return true;
                });
        total += done ? 1 : 0;
        lapsed.forEach(changes);
        lapsed.clear();
      }
      if (batch.size() < BATCH) {
        return total;
      }
    }
  }

  private int expireConsents(Instant now) {
    int total = 0;
    for (Purpose p : catalog.purposes()) {
      if (!(p.retention() instanceof Retention.Fixed f)) {
        continue;
      }
      Instant cutoff = now.minus(f.period());
      while (true) {
        List<Consent> batch =
            store.inTransaction(tx -> tx.retention().confirmedBefore(p.id(), cutoff, BATCH));
        for (Consent c : batch) {
          Optional<ConsentChange> change =
              store.inTransaction(
                  tx -> {
                    Optional<Subject> subject = tx.subjects().subject(c.subjectId());
                    if (subject.isEmpty()) {
                      return Optional.empty();
                    }
                    tx.history().lock(c.subjectId());
                    Optional<Consent> fresh = tx.subjects().consent(c.subjectId(), c.purpose());
                    if (fresh.isEmpty()
                        || fresh.get().state() != ConsentState.CONFIRMED
                        || fresh.get().confirmedAt().isAfter(cutoff)) {
                      return Optional.empty();
                    }
                    ServiceCore.saveSystemChange(
                        tx, fresh.get().expire(now), ConsentEvent.Type.EXPIRED, now, null);
                    return Optional.of(
                        new ConsentChange(
                            ConsentChange.Type.EXPIRED,
                            c.subjectId(),
                            subject.get().email(),
                            java.util.Set.of(c.purpose()),
                            now,
                            Channel.SYSTEM));
                  });
          change.ifPresent(changes);
          total += change.isPresent() ? 1 : 0;
        }
        if (batch.size() < BATCH) {
          break;
        }
      }
    }
    return total;
  }

  private int purgeSubjects(Instant now) {
    Duration shortest = unconfirmedGrace;
    for (Purpose p : catalog.purposes()) {
      if (p.retention().proofRetention().compareTo(shortest) < 0) {
        shortest = p.retention().proofRetention();
      }
    }
    Instant cutoff = now.minus(shortest);
    int total = 0;
    List<SubjectId> seen = new ArrayList<>();
    while (true) {
      List<SubjectId> batch =
          store.inTransaction(tx -> tx.retention().dormantSubjects(cutoff, BATCH));
      int fresh = 0;
      for (SubjectId id : batch) {
        if (seen.contains(id)) {
          continue;
        }
        fresh++;
        seen.add(id);
        boolean purged;
        try {
          purged =
              store.inTransaction(
                  tx -> {
                    if (tx.subjects().subject(id).isEmpty()) {
                      return false;
                    }
                    // Lock order of every unit: the history head first (a bulk purge on another
                    // node locks heads, then
                    // subjects, and deletes; erasing rows first and the head last here deadlocked
                    // against it).
                    tx.history().lock(id);
                    List<Consent> consents = tx.subjects().consents(id);
                    Optional<Subject> subject = tx.subjects().subject(id);
                    if (subject.isEmpty()) {
                      throw new SubjectGone(); // deleted meanwhile: roll back, so that the lock
                      // leaves no head row behind
                    }
                    if (!consents.stream().allMatch(c -> expiredFor(c, now))) {
                      return false;
                    }
                    if (consents.isEmpty()
                        && subject.get().createdAt().plus(unconfirmedGrace).isAfter(now)) {
                      return false;
                    }
                    // Nothing needs this data any more: no active consent, and the proof period of
                    // every ended one is over.
                    return tx.subjects().eraseSubject(id, false);
                  });
        } catch (SubjectGone gone) {
          purged = false;
        }
        total += purged ? 1 : 0;
      }
      if (batch.size() < BATCH || fresh == 0) {
        return total;
      }
    }
  }

  /** Ends a unit whose subject another unit deleted between the first look and the lock. */
  private static final class SubjectGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SubjectGone() {
      super(null, null, false, false);
    }
  }

  private boolean expiredFor(Consent c, Instant now) {
    if (c.state() == ConsentState.PENDING
        || c.state() == ConsentState.CONFIRMED
        || c.endedAt() == null) {
      return false;
    }
    if (c.confirmedAt() == null) {
      return !c.endedAt().plus(unconfirmedGrace).isAfter(now);
    }
    Duration proof =
        catalog.purpose(c.purpose()).map(p -> p.retention().proofRetention()).orElse(Duration.ZERO);
    return !c.endedAt().plus(proof).isAfter(now);
  }

  /**
   * Runs a set-based step, again after a short pause if it fails, at most {@link #ATTEMPTS} times. Such a step changes
   * many rows in one transaction, and concurrent ones on other nodes may then meet in a deadlock the database resolves
   * by rolling one back (InnoDB's next-key locks of foreign key checks, for one); the step is safe to repeat, as the
   * rolled-back transaction kept nothing and every step checks its items again.
   */
  private static <T> T retried(java.util.function.Supplier<T> step) {
    for (int attempt = 1; ; attempt++) {
      try {
        return step.get();
      } catch (StoreException e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
        LOG.log(
            System.Logger.Level.DEBUG,
            "retention: a batch failed, trying again: {0}",
            e.getMessage());
        try {
          Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(10, 50) * attempt);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private static int drain(java.util.function.IntSupplier step) {
    int total = 0;
    while (true) {
      int n = step.getAsInt();
      total += n;
      if (n < BATCH) {
        return total;
      }
    }
  }
}
