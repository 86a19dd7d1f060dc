package org.optin4j.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.optin4j.Controller;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.PurposeText;
import org.optin4j.SubjectId;
import org.optin4j.operations.DispatchReport;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailMessage;
import org.optin4j.spi.MailTemplates;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.MailerSession;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.SendOutcome;

/**
 * Sends what the transactional outbox holds (security rules 25-27): claims a batch of due mails under a lease in one
 * short transaction, renders them (signing links only now, so the database never holds a working link), hands the
 * batch to the mailer, and records each mail's outcome in its own short transaction as soon as the server answered
 * it, before the next mail goes out. A round (until the outbox has no due mail left) starts with one worker; once a
 * full batch shows that more is due, up to {@link org.optin4j.mail.SendingRate#connections()} workers claim and send
 * batches in parallel, each through its own {@link Mailer#openSession() mailer session}, so over its own SMTP
 * connection, reused for all its batches of the round and closed when the round ends; it stays open, idle, during the
 * store transactions between mails and batches. The workers of one node claim from the store as several nodes do, so
 * every guarantee below holds per worker. With a limited {@link org.optin4j.mail.SendingRate}, each mail waits for a
 * send slot reserved in the store (shared by all nodes), a fraction of a second's worth at a time. Transient failures are retried with
 * capped exponential backoff and jitter; permanent ones are marked failed. No SMTP traffic ever happens inside a
 * transaction.
 *
 * <p>Delivery is at least once: a node killed between the server's answer and the commit of that outcome sends the
 * mail again once its lease has run out (or another node does), and only that mail. Every attempt to send one outbox
 * mail carries the same {@code Message-ID} (a keyed hash of the outbox id, see {@link #messageKey}), so receivers and
 * mail clients can drop the copy. The lease is renewed while a batch runs longer than half of it, and a dispatcher
 * that is closed stops after the mail on the wire and gives the rest of its batch back at once.
 *
 * <p>Send-time checks (consent, address on file, suppression list, the confirmation request) are read for the whole
 * claimed batch with one query per kind of check, not one per mail.
 *
 * <p>Thread-safe; one round runs at a time per instance, and several nodes may dispatch from one store because claims
 * are exclusive in the store.
 */
public final class OutboxDispatcher implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(OutboxDispatcher.class.getName());

  /** How long a wake waits so that mails queued by concurrent commits go out in one round. */
  static final long WAKE_DELAY_MS = 50;

  /**
   * The dispatcher's settings.
   *
   * @param interval how often to poll
   * @param batchSize mails per claim
   * @param lease claim duration
   * @param firstBackoff first retry wait
   * @param maxBackoff longest retry wait
   * @param maxAttempts attempts before giving up
   * @param rate the sending rate shared with other nodes, and the number of parallel connections
   */
  public record Settings(
      Duration interval,
      int batchSize,
      Duration lease,
      Duration firstBackoff,
      Duration maxBackoff,
      int maxAttempts,
      org.optin4j.mail.SendingRate rate) {}

  /**
   * How far ahead a worker reserves send slots: a campaign holds at most this much of the rate, so a confirmation
   * mail claimed meanwhile waits behind no more than that.
   */
  static final Duration RATE_HORIZON = Duration.ofSeconds(1);

  /** Signs the links a mail carries, when it is rendered. */
  public interface LinkFactory {
    /**
     * Returns a confirmation link valid until {@code expiresAt}.
     *
     * @param subjectId the subject
     * @param requestId the request
     * @param generation the link generation
     * @param expiresAt the request's expiry
     * @return the absolute URL
     */
    String confirmUrl(SubjectId subjectId, String requestId, int generation, Instant expiresAt);

    /**
     * Returns a preference center link.
     *
     * @param subjectId the subject
     * @param addressGeneration the subject's address generation the link is sent for
     * @return the absolute URL
     */
    String preferencesUrl(SubjectId subjectId, int addressGeneration);

    /**
     * Returns a one-click unsubscribe link.
     *
     * @param subjectId the subject
     * @param addressGeneration the subject's address generation the link is sent for
     * @return the absolute URL
     */
    String unsubscribeUrl(SubjectId subjectId, int addressGeneration);

    /**
     * Returns until when the step-up link of a mail queued at {@code askedAt} works.
     *
     * @param askedAt when the step-up was asked (the mail was queued)
     * @return the expiry
     */
    Instant stepUpExpiry(Instant askedAt);

    /**
     * Returns a step-up link: for an address change if {@code requestId} is given, else for an erasure.
     *
     * @param subjectId the subject
     * @param requestId the address change request, or {@code null} for an erasure
     * @param addressGeneration the subject's address generation the link is sent for
     * @param expiresAt the link's expiry
     * @return the absolute URL
     */
    String stepUpUrl(
        SubjectId subjectId, String requestId, int addressGeneration, Instant expiresAt);

    /**
     * Returns until when the "this was not me" link of a change confirmed at {@code changedAt} works.
     *
     * @param changedAt when the change was confirmed (the notice was queued)
     * @return the expiry
     */
    Instant notMeExpiry(Instant changedAt);

    /**
     * Returns a "this was not me" link that undoes an address change.
     *
     * @param subjectId the subject
     * @param requestId the confirmed address change request
     * @param addressGeneration the address generation the change brought
     * @param expiresAt the link's expiry
     * @return the absolute URL
     */
    String notMeUrl(
        SubjectId subjectId, String requestId, int addressGeneration, Instant expiresAt);

    /**
     * Returns the RFC 2919 {@code List-Id} header value of a purpose's mailings.
     *
     * @param purpose the purpose
     * @return for example {@code "Newsletter" <newsletter.shop.example>}
     */
    String listId(PurposeId purpose);
  }

  /** Signs the consent receipt a receipt mail carries, when it is rendered. */
  @FunctionalInterface
  public interface ReceiptSource {
    /**
     * Returns the signed receipt for a receipt mail, read inside the claim transaction.
     *
     * @param tx the transaction
     * @param mail the receipt mail
     * @param now the current time
     * @return the compact JWS, or empty if receipts are not signed or nothing is confirmed any more
     */
    java.util.Optional<String> receipt(ConsentStore.Transaction tx, OutboxMail mail, Instant now);
  }

  private final ConsentStore store;
  private final Mailer mailer;
  private final MailTemplates templates;
  private final LinkFactory links;
  private final PurposeCatalog catalog;
  private final Controller controller;
  private final Clock clock;
  private final SecureRandom random;
  private final Settings settings;
  private final ScheduledExecutorService executor;
  private final ReentrantLock round = new ReentrantLock();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final java.util.function.Function<org.optin4j.EmailAddress, String> addressKey;
  private final ReceiptSource receipts;
  private final java.util.function.Function<String, String> messageKey;
  private final java.util.function.Function<
          OutboxMail, java.util.Optional<org.optin4j.EmailAddress>>
      returnPath;
  private final OptInMetrics metrics;
  private volatile ScheduledFuture<?> schedule;
  private volatile boolean closed;

  /** Runs the workers after the first of a round; {@code null} with one connection. */
  private final java.util.concurrent.ExecutorService workers;

  /** What this node's dispatcher last saw, for {@link #status}: written by rounds, read by any thread. */
  private volatile Look lastLook;

  private volatile Instant lastSentAt;
  private volatile Instant lastPermanentFailureAt;

  /**
   * Creates a dispatcher; it does nothing until started or drained.
   *
   * @param store the store
   * @param mailer the mailer
   * @param templates the templates
   * @param links signs links
   * @param catalog purposes (for titles)
   * @param controller the controller
   * @param clock the clock
   * @param random jitter source
   * @param settings the settings
   * @param executor the executor to run on when started
   * @param addressKey the suppression-list key of an address
   * @param receipts signs the receipts that receipt mails carry
   * @param messageKey the stable {@link MailMessage#messageKey() message key} of an outbox mail id: the same on every
   *     node that shares the store, so that a mail sent again carries the same {@code Message-ID}
   * @param returnPath the envelope sender of an outbox mail (its VERP address), or empty for the mailer's own
   * @param metrics told of each outcome once it is recorded
   */
  public OutboxDispatcher(
      ConsentStore store,
      Mailer mailer,
      MailTemplates templates,
      LinkFactory links,
      PurposeCatalog catalog,
      Controller controller,
      Clock clock,
      SecureRandom random,
      Settings settings,
      ScheduledExecutorService executor,
      java.util.function.Function<org.optin4j.EmailAddress, String> addressKey,
      ReceiptSource receipts,
      java.util.function.Function<String, String> messageKey,
      java.util.function.Function<OutboxMail, java.util.Optional<org.optin4j.EmailAddress>>
          returnPath,
      OptInMetrics metrics) {
    this.returnPath = returnPath;
    this.metrics = metrics;
    this.addressKey = addressKey;
    this.messageKey = messageKey;
    this.receipts = receipts;
    this.store = store;
    this.mailer = mailer;
    this.templates = templates;
    this.links = links;
    this.catalog = catalog;
    this.controller = controller;
    this.clock = clock;
    this.random = random;
    this.settings = settings;
    this.executor = executor;
    int connections = settings.rate().connections();
    this.workers =
        connections == 1
            ? null
            : java.util.concurrent.Executors.newFixedThreadPool(
                connections - 1,
                task -> {
                  Thread t = new Thread(task, "optin4j-dispatch-worker");
                  t.setDaemon(true);
                  return t;
                });
  }

  /** Starts polling in the background. Idempotent. */
  public synchronized void start() {
    if (schedule == null && !closed) {
      long ms = settings.interval().toMillis();
      schedule = executor.scheduleWithFixedDelay(this::roundSafely, 0, ms, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Asks for a round soon ({@value #WAKE_DELAY_MS} ms), after a commit queued mail. No-op unless started.
   *
   * <p>The short delay gathers the mails of the commits that follow into one round: woken at once, a node under
   * signup load ran one claim and one outcome transaction per mail, and that background work cost the requests a
   * noticeable share of the machine. Wakes during the delay are absorbed by the round already scheduled.
   */
  public void wake() {
    if (schedule != null && !closed && wakePending.compareAndSet(false, true)) {
      try {
        executor.schedule(
            () -> {
              wakePending.set(false);
              roundSafely();
            },
            WAKE_DELAY_MS,
            TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        wakePending.set(false);
      }
    }
  }

  /**
   * Runs rounds on the calling thread until no due mail is left.
   *
   * @return what was done
   */
  public DispatchReport drain() {
    return parallelRound();
  }

  private void roundSafely() {
    try {
      parallelRound();
    } catch (RuntimeException e) {
      // Keep the schedule alive; the next round retries. No personal data in the message.
      LOG.log(System.Logger.Level.ERROR, "outbox dispatch round failed: " + e.getClass().getName());
    }
  }

  /**
   * One round: batches on the calling thread until the outbox has no due mail left, joined by the other workers as
   * soon as a full batch shows that more is due. Returns when every worker has finished.
   *
   */
  private DispatchReport parallelRound() {
    round.lock();
    try {
      Tally tally = new Tally();
      List<java.util.concurrent.Future<?>> others = new ArrayList<>();
      // Called as soon as a claim comes back full, so the others join while this batch is sent.
      Runnable joinOthers =
          () -> {
            if (others.isEmpty() && workers != null) {
              try {
                for (int i = 1; i < settings.rate().connections(); i++) {
                  others.add(workers.submit(() -> worker(tally)));
                }
              } catch (java.util.concurrent.RejectedExecutionException e) {
                // closed meanwhile: the loop ends after this batch
              }
            }
          };
      try (MailerSession session = mailer.openSession()) {
        while (!closed) {
          Round r = runRound(session, joinOthers);
          tally.add(r);
          if (r.claimed < settings.batchSize()) {
            break;
          }
        }
      } finally {
        awaitAll(others);
      }
      return tally.report();
    } finally {
      round.unlock();
    }
  }

  /** A worker after the first: its own session (connection), batches until none is full. */
  private void worker(Tally tally) {
    try (MailerSession session = mailer.openSession()) {
      while (!closed) {
        Round r = runRound(session, () -> {});
        tally.add(r);
        if (r.claimed < settings.batchSize()) {
          return;
        }
      }
    } catch (RuntimeException e) {
      // Its claimed mails are released or wait for their lease; the other workers go on.
      LOG.log(
          System.Logger.Level.ERROR, "outbox dispatch worker failed: " + e.getClass().getName());
    }
  }

  private static void awaitAll(List<java.util.concurrent.Future<?>> futures) {
    boolean interrupted = false;
    for (java.util.concurrent.Future<?> f : futures) {
      while (true) {
        try {
          f.get();
          break;
        } catch (InterruptedException e) {
          interrupted = true;
        } catch (java.util.concurrent.ExecutionException e) {
          break; // the worker logged it
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** The counts of a round's workers, added from their threads. */
  private static final class Tally {
    private final java.util.concurrent.atomic.AtomicInteger sent =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger retrying =
        new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger failed =
        new java.util.concurrent.atomic.AtomicInteger();

    void add(Round r) {
      sent.addAndGet(r.sent);
      retrying.addAndGet(r.retrying);
      failed.addAndGet(r.failed);
    }

    DispatchReport report() {
      return new DispatchReport(sent.get(), retrying.get(), failed.get());
    }
  }

  /** Claims, renders, sends (through {@code session}) and records one batch. */
  private Round runRound(MailerSession session, Runnable onFullClaim) {
    {
      Instant now = clock.instant();
      Map<String, PendingRequest> requests = new HashMap<>();
      Map<String, String> exports = new HashMap<>();
      Map<String, String> suppressed = new HashMap<>();
      Map<String, String> signedReceipts = new HashMap<>();
      Map<String, ControllerContent> contents = new HashMap<>();
      Map<String, java.util.Optional<org.optin4j.campaign.Campaign>> campaigns = new HashMap<>();
      // The address generation each mail's links are signed for, read with the check that the
      // recipient is still
      // the address on file, so a link never outlives the address it was sent to.
      Map<String, Integer> generations = new HashMap<>();
      List<OutboxMail> claimed =
          store.inTransaction(
              tx -> {
                List<OutboxMail> mails =
                    tx.outbox().claimMails(now, now.plus(settings.lease()), settings.batchSize());
                Recheck recheck = Recheck.read(tx, mails, addressKey, campaigns);
                requests.putAll(recheck.requests());
                for (OutboxMail m : mails) {
                  if (needsRequest(m.kind()) && m.requestId() != null) {
                    // Read with the batch's other requests, without a row lock: the claim holds no
                    // lock past its commit anyway, and a lock is a write on every database.
                    continue;
                  } else if (recheck.suppressed().contains(addressKey.apply(m.recipient()))) {
                    // Erased addresses get nothing but a confirmation request they asked for anew
                    // (security rule 20).
                    suppressed.put(m.id(), "address suppressed");
                  } else if (m.kind() == MailKind.DATA_EXPORT) {
                    tx.subjects()
                        .subject(m.subjectId())
                        .filter(s -> s.email().equals(m.recipient()))
                        .ifPresent(
                            s -> {
                              exports.put(m.id(), DataExport.json(tx, s, now));
                              generations.put(m.id(), s.addressGeneration());
                            });
                  } else if (m.kind() == MailKind.RECEIPT) {
                    java.util.Optional<org.optin4j.Subject> onFile =
                        java.util.Optional.ofNullable(recheck.subjects().get(m.subjectId()))
                            .filter(s -> s.email().equals(m.recipient()));
                    if (onFile.isEmpty()) {
                      // A receipt carries working links to the preference center: only to the
                      // address on file.
                      suppressed.put(m.id(), "address changed before dispatch");
                    } else {
                      generations.put(m.id(), onFile.get().addressGeneration());
                      receipts.receipt(tx, m, now).ifPresent(r -> signedReceipts.put(m.id(), r));
                    }
                  } else if (isStepUp(m.kind()) || m.kind() == MailKind.ADDRESS_CHANGED_NOTICE) {
                    String stale = staleLinkMail(tx, m, now);
                    if (stale != null) {
                      suppressed.put(m.id(), stale);
                    }
                  } else if (m.kind() == MailKind.BREACH_NOTICE) {
                    tx.registers()
                        .incident(m.requestId())
                        .map(org.optin4j.breach.Incident::subjectNotice)
                        .ifPresentOrElse(
                            n ->
                                contents.put(
                                    m.id(), new ControllerContent(n.subject(), n.text(), null)),
                            () ->
                                suppressed.put(
                                    m.id(), "incident or its notice gone before dispatch"));
                  } else if (m.kind() == MailKind.CAMPAIGN) {
                    java.util.Optional<org.optin4j.campaign.Campaign> campaign =
                        campaigns.get(m.requestId());
                    if (campaign.isEmpty()) {
                      suppressed.put(m.id(), "campaign gone before dispatch");
                    } else if (!mayStillMail(recheck, m, campaign.get().purpose(), now)) {
                      // Consent withdrawn, restricted, expired or erased since the campaign was
                      // queued: never send.
                      suppressed.put(m.id(), "no consent at dispatch");
                    } else {
                      generations.put(
                          m.id(), recheck.subjects().get(m.subjectId()).addressGeneration());
                      contents.put(
                          m.id(),
                          new ControllerContent(
                              campaign.get().subject(),
                              campaign.get().text(),
                              campaign.get().html()));
                    }
                  }
                }
                return mails;
              });
      lastLook =
          new Look(
              now,
              claimed.stream().map(OutboxMail::nextAttemptAt).min(Instant::compareTo).orElse(null));
      if (claimed.isEmpty()) {
        return new Round(0, 0, 0, 0);
      }
      if (claimed.size() == settings.batchSize()) {
        onFullClaim.run();
      }
      Map<OutboxMail, MailMessage> toSend = new LinkedHashMap<>();
      List<OutboxMail> done = new ArrayList<>();
      int failed = 0;
      for (OutboxMail m : claimed) {
        String skip =
            suppressed.containsKey(m.id())
                ? suppressed.get(m.id())
                : m.kind() == MailKind.DATA_EXPORT && !exports.containsKey(m.id())
                    ? "subject gone or address changed before dispatch"
                    : skipReason(m, requests.get(m.requestId()), now);
        if (skip != null) {
          done.add(m.skipped(skip));
          continue;
        }
        try {
          int generation = generations.getOrDefault(m.id(), 1);
          toSend.put(
              m,
              contents.containsKey(m.id())
                  ? renderControllerMail(m, contents.get(m.id()), generation)
                  : render(
                      m,
                      requests.get(m.requestId()),
                      exports.get(m.id()),
                      signedReceipts.get(m.id()),
                      generation));
        } catch (RuntimeException e) {
          done.add(m.failed("rendering failed: " + e.getClass().getName()));
          failed++;
        }
      }
      // Skipped and unrenderable mails are recorded before anything goes out.
      if (!done.isEmpty()) {
        store.inTransaction(
            tx -> {
              tx.outbox().updateMails(done);
              return null;
            });
        done.forEach(this::told);
      }
      if (toSend.isEmpty()) {
        return new Round(claimed.size(), 0, 0, failed);
      }
      Batch batch =
          new Batch(new ArrayList<>(toSend.keySet()), claimed.get(0).leaseUntil(), failed);
      List<MailMessage> messages = new ArrayList<>(toSend.size());
      toSend.forEach(
          (m, message) -> {
            MailMessage keyed = message.withMessageKey(messageKey.apply(m.id()));
            messages.add(returnPath.apply(m).map(keyed::withReturnPath).orElse(keyed));
          });
      if (!closed && batch.awaitSlot()) {
        try {
          session.sendEach(messages, batch::answered);
        } catch (OutcomeNotRecorded e) {
          LOG.log(
              System.Logger.Level.ERROR,
              "outbox: an outcome could not be recorded, batch stopped: "
                  + e.getCause().getClass().getName());
        } catch (RuntimeException e) {
          batch.failRest("mailer threw " + e.getClass().getName());
        }
      }
      batch.releaseRest();
      if (batch.failed > 0 || batch.retrying > 0) {
        LOG.log(
            System.Logger.Level.WARNING,
            "outbox: {0} sent, {1} to retry, {2} failed",
            batch.sent,
            batch.retrying,
            batch.failed);
      }
      return new Round(claimed.size(), batch.sent, batch.retrying, batch.failed);
    }
  }

  /**
   * One claimed batch on its way out. Each mail's outcome is written in its own short transaction as soon as the
   * mailer reports it, before the next mail goes out, so that a node killed mid-batch leaves at most the mail on the
   * wire unrecorded (security rule 27: at least once, and that copy carries the same {@code Message-ID}). The cost is
   * one commit per mail. While the batch runs, the lease of the mails still to send is renewed whenever half of it
   * has passed, in the transaction of an outcome; if a renewal finds that another node took some of them over (this
   * node was too slow and its lease ran out), the batch stops. Mails not sent when it ends (the dispatcher closing,
   * a lost lease, an outcome that could not be written) are released at once rather than left to their lease.
   */
  private final class Batch {
    private final List<OutboxMail> mails;
    private final java.util.ArrayDeque<Instant> slots = new java.util.ArrayDeque<>();
    private Instant heldUntil;
    private int answered;
    int sent;
    int retrying;
    int failed;

    Batch(List<OutboxMail> mails, Instant heldUntil, int failedBefore) {
      this.mails = mails;
      this.heldUntil = heldUntil;
      this.failed = failedBefore;
    }

    /** Records mail {@code index}'s outcome; tells the mailer whether to go on. */
    boolean answered(int index, SendOutcome outcome) {
      if (index != answered) {
        throw new IllegalStateException(
            "mailer reported mail " + index + " where " + answered + " was next");
      }
      OutboxMail m = mails.get(index);
      Instant now = clock.instant();
      OutboxMail result = outcomeOf(m, Objects.requireNonNull(outcome, "outcome"), now);
      Instant newUntil = now.plus(settings.lease());
      boolean renew =
          index + 1 < mails.size()
              && !closed
              && newUntil.isAfter(heldUntil)
              && !now.isBefore(heldUntil.minus(settings.lease().dividedBy(2)));
      // The ids still to send, only when the lease is renewed: listing them for every mail made a
      // batch quadratic in its size.
      List<String> rest =
          renew
              ? mails.subList(index + 1, mails.size()).stream().map(OutboxMail::id).toList()
              : List.of();
      int renewed;
      try {
        renewed =
            store.inTransaction(
                tx -> {
                  tx.outbox().updateMail(result);
                  if (result.status() == OutboxMail.Status.FAILED) {
                    stopMailingAfterPermanentFailure(tx, result, now);
                  }
                  return renew ? tx.outbox().renewClaims(rest, heldUntil, newUntil) : 0;
                });
      } catch (org.optin4j.StoreException e) {
        if (!stillStored(m)) { // erased while it was on its way: nothing left to record
          answered++;
          return goOn();
        }
        throw new OutcomeNotRecorded(e);
      } catch (RuntimeException e) {
        throw new OutcomeNotRecorded(e);
      }
      answered++;
      count(result);
      if (renew) {
        heldUntil = newUntil;
        if (renewed < rest.size()) {
          LOG.log(
              System.Logger.Level.WARNING,
              "outbox: lease ran out mid-batch, {0} of {1} mails taken over by"
                  + " another dispatcher; batch stopped",
              rest.size() - renewed,
              rest.size());
          return false;
        }
      }
      return goOn();
    }

    /** Whether to send the next mail: not closed, and (under a sending rate) its send slot has come. */
    private boolean goOn() {
      return !closed && (answered == mails.size() || awaitSlot());
    }

    /**
     * Waits for the next mail's send slot under a limited sending rate, reserving slots in the store (in a
     * transaction of their own) half a second's worth at a time; answers at once without a limit. Gives up
     * (the rest of the batch is released) if the store has no slot for longer than half the lease (a minute or hour
     * cap is reached), or the dispatcher is closed.
     */
    boolean awaitSlot() {
      org.optin4j.mail.SendingRate rate = settings.rate();
      if (!rate.isLimited()) {
        return true;
      }
      while (!closed) {
        Instant slot = slots.poll();
        if (slot != null) {
          return sleepUntil(slot);
        }
        int chunk =
            (int)
                Math.max(
                    1, Math.min(mails.size() - answered, Math.ceil(rate.sustainedPerSecond() / 2)));
        Instant now = clock.instant();
        org.optin4j.spi.SendRateStore.Reservation r =
            store.inTransaction(
                tx -> tx.sendRates().reserve(rate.limits(), chunk, now, RATE_HORIZON));
        slots.addAll(r.slots());
        if (slots.isEmpty()) {
          if (Duration.between(now, r.retryAt()).compareTo(settings.lease().dividedBy(2)) > 0) {
            LOG.log(
                System.Logger.Level.INFO,
                "outbox: sending rate {0} has no slot before {1}; batch given back",
                rate.name(),
                r.retryAt());
            return false;
          }
          if (!sleepUntil(r.retryAt().isAfter(now) ? r.retryAt() : now.plusMillis(10))) {
            return false;
          }
        }
      }
      return false;
    }

    private boolean sleepUntil(Instant at) {
      long ms = Duration.between(clock.instant(), at).toMillis();
      if (ms > 0) {
        try {
          Thread.sleep(ms);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return !closed;
    }

    /** Records a transient failure for every mail not yet answered (the mailer threw). */
    void failRest(String reason) {
      Instant now = clock.instant();
      List<OutboxMail> results = new ArrayList<>();
      for (OutboxMail m : mails.subList(answered, mails.size())) {
        results.add(outcomeOf(m, new SendOutcome.TransientFailure(reason), now));
      }
      try {
        store.inTransaction(
            tx -> {
              tx.outbox().updateMails(results);
              return null;
            });
        results.forEach(this::count);
        answered = mails.size();
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.ERROR,
            "outbox: could not record failed sends: " + e.getClass().getName());
      }
    }

    /** Gives back the mails not sent, so that another node (or the next round) takes them without waiting. */
    void releaseRest() {
      if (answered == mails.size()) {
        return;
      }
      List<String> rest =
          mails.subList(answered, mails.size()).stream().map(OutboxMail::id).toList();
      try {
        int released = store.inTransaction(tx -> tx.outbox().releaseClaims(rest, heldUntil));
        LOG.log(System.Logger.Level.INFO, "outbox: released {0} claimed mails unsent", released);
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.ERROR,
            "outbox: could not release claimed mails, they wait for their lease: "
                + e.getClass().getName());
      }
    }

    private void count(OutboxMail result) {
      switch (result.status()) {
        case SENT -> sent++;
        case FAILED -> failed++;
        default -> retrying++;
      }
      told(result);
    }
  }

  /** Tells metrics (and {@link #status}) of a mail's outcome, once the store recorded it; skipped mails are none. */
  private void told(OutboxMail result) {
    switch (result.status()) {
      case SENT -> {
        lastSentAt = result.sentAt();
        metrics.mailSent(result.kind(), Duration.between(result.createdAt(), result.sentAt()));
      }
      case FAILED -> {
        lastPermanentFailureAt = clock.instant();
        metrics.mailFailed(result.kind(), true);
      }
      case QUEUED -> metrics.mailFailed(result.kind(), false);
      default -> {
        // SKIPPED: not needed any more, neither sent nor failed
      }
    }
  }

  /**
   * Returns what this node's dispatcher last saw, with the store's counts.
   *
   * @param backlog mails not yet sent
   * @param failed mails failed for good, on file
   * @param countedAt when the store counted them
   * @return the status
   */
  public org.optin4j.operations.OutboxStatus status(long backlog, long failed, Instant countedAt) {
    Look look = lastLook;
    return new org.optin4j.operations.OutboxStatus(
        backlog,
        failed,
        countedAt,
        look == null ? null : look.at(),
        look == null ? null : look.oldestDue(),
        lastSentAt,
        lastPermanentFailureAt);
  }

  /** A look for due mail: when, and when the oldest mail it claimed was due ({@code null}: none). */
  private record Look(Instant at, Instant oldestDue) {}

  /** What a mail becomes after an outcome: sent, failed for good, or queued for a retry with backoff. */
  private OutboxMail outcomeOf(OutboxMail m, SendOutcome o, Instant now) {
    if (o instanceof SendOutcome.Sent) {
      return m.sent(now);
    }
    if (o instanceof SendOutcome.PermanentFailure p) {
      return m.failed(p.reason());
    }
    String reason = ((SendOutcome.TransientFailure) o).reason();
    if (m.attempts() + 1 >= settings.maxAttempts()) {
      return m.failed("gave up after " + (m.attempts() + 1) + " attempts: " + reason);
    }
    return m.retryAt(now.plus(backoff(m.attempts())), reason);
  }

  private boolean stillStored(OutboxMail m) {
    try {
      return store.read(
          tx -> tx.outbox().mails(m.subjectId()).stream().anyMatch(x -> x.id().equals(m.id())));
    } catch (RuntimeException e) {
      return true;
    }
  }

  /** An outcome the store did not take; ends the batch (the mailer passes it on to the dispatcher). */
  private static final class OutcomeNotRecorded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OutcomeNotRecorded(RuntimeException cause) {
      super(cause.getClass().getName(), cause);
    }
  }

  /**
   * A mail the server refused for good (or gave up on) means the address cannot receive this purpose's mail: a
   * pending request for it is expired, and a confirmed consent is restricted with a SYSTEM event, so that
   * {@code mayMail} says no until an operator lifts the restriction. Nothing is withdrawn: a bounce is not the person's
   * choice.
   */
  private static void stopMailingAfterPermanentFailure(
      ConsentStore.Transaction tx, OutboxMail m, Instant now) {
    if (tx.subjects().subject(m.subjectId()).isEmpty()) {
      return;
    }
    tx.history().lock(m.subjectId());
    if (m.kind() != MailKind.ADDRESS_CONFIRMATION && m.kind() != MailKind.ADDRESS_CHANGED_NOTICE) {
      // The same rule as a bounce report's: the address is marked undeliverable until the person
      // confirms anew.
      String failure = "delivery failed: " + m.lastError();
      UndeliverableMark.markMail(
          tx,
          m,
          now,
          org.optin4j.Channel.SYSTEM,
          failure.length() > 200 ? failure.substring(0, 200) : failure);
    }
    if (m.kind() == MailKind.CONFIRMATION && m.requestId() != null) {
      tx.requests()
          .request(m.requestId())
          .filter(r -> r.status() == PendingRequest.Status.OPEN && r.generation() == m.generation())
          .ifPresent(
              r -> tx.requests().updateRequest(r.withStatus(PendingRequest.Status.EXPIRED, now)));
    }
  }

  /** One attachment holding a text in the given encoding. */
  private static List<MailMessage.Attachment> attachment(
      String fileName, String mediaType, String text, java.nio.charset.Charset charset) {
    return List.of(new MailMessage.Attachment(fileName, mediaType, text.getBytes(charset)));
  }

  private static boolean isStepUp(MailKind kind) {
    return kind == MailKind.ADDRESS_CHANGE_STEP_UP || kind == MailKind.ERASURE_STEP_UP;
  }

  /**
   * Why a step-up mail or an address-changed notice is no longer worth sending, or {@code null}: a step-up link goes
   * only to the address on file, for the generation it was asked at, while it works and (for an address change) while
   * its request still waits for it; a notice only while no later change or undoing happened.
   */
  private String staleLinkMail(ConsentStore.Transaction tx, OutboxMail m, Instant now) {
    java.util.Optional<org.optin4j.Subject> subject = tx.subjects().subject(m.subjectId());
    if (subject.isEmpty() || subject.get().addressGeneration() != m.generation()) {
      return "address changed before dispatch";
    }
    if (!isStepUp(m.kind())) {
      return now.isBefore(links.notMeExpiry(m.createdAt()))
          ? null
          : "undo link expired before dispatch";
    }
    if (!subject.get().email().equals(m.recipient())) {
      return "address changed before dispatch";
    }
    if (!now.isBefore(links.stepUpExpiry(m.createdAt()))) {
      return "step-up expired before dispatch";
    }
    if (m.requestId() != null
        && tx.requests()
            .findRequest(m.requestId())
            .filter(r -> r.status() == PendingRequest.Status.OPEN && r.generation() == 1)
            .isEmpty()) {
      return "address change no longer waits for its step-up";
    }
    return null;
  }

  private static boolean needsRequest(MailKind kind) {
    return kind == MailKind.CONFIRMATION || kind == MailKind.ADDRESS_CONFIRMATION;
  }

  private static String skipReason(OutboxMail m, PendingRequest r, Instant now) {
    if (!needsRequest(m.kind())) {
      return null;
    }
    if (r == null) {
      return "request no longer exists";
    }
    if (r.status() != PendingRequest.Status.OPEN) {
      return "request " + r.status().name().toLowerCase(java.util.Locale.ROOT) + " before dispatch";
    }
    if (r.generation() != m.generation()) {
      return "superseded by a newer link before dispatch";
    }
    if (!now.isBefore(r.expiresAt())) {
      return "request expired before dispatch";
    }
    return null;
  }

  /** Capped exponential backoff with jitter: a random wait between half and all of first * 2^attempts. */
  Duration backoff(int attemptsSoFar) {
    long first = settings.firstBackoff().toMillis();
    long max = settings.maxBackoff().toMillis();
    long exp = attemptsSoFar >= 40 ? max : Math.min(max, first * (1L << attemptsSoFar));
    long jittered = exp / 2 + (long) (random.nextDouble() * (exp - exp / 2));
    return Duration.ofMillis(Math.max(1, jittered));
  }

  /**
   * What the send-time checks of one claimed batch need, read with one query per kind (issue 17: no round trip per
   * mail): the confirmation requests, which recipients are on the suppression list, the subjects of campaign and
   * receipt mails, and their consents to each campaign's purpose. Campaigns are read once per campaign into
   * {@code campaigns}.
   */
  private record Recheck(
      Map<String, PendingRequest> requests,
      java.util.Set<String> suppressed,
      Map<SubjectId, org.optin4j.Subject> subjects,
      Map<PurposeId, Map<SubjectId, org.optin4j.Consent>> consents) {

    static Recheck read(
        ConsentStore.Transaction tx,
        List<OutboxMail> mails,
        java.util.function.Function<org.optin4j.EmailAddress, String> addressKey,
        Map<String, java.util.Optional<org.optin4j.campaign.Campaign>> campaigns) {
      java.util.Set<String> requestIds = new java.util.LinkedHashSet<>();
      java.util.Set<String> keys = new java.util.LinkedHashSet<>();
      java.util.Set<SubjectId> subjectIds = new java.util.LinkedHashSet<>();
      Map<PurposeId, java.util.Set<SubjectId>> byPurpose = new HashMap<>();
      for (OutboxMail m : mails) {
        if (needsRequest(m.kind()) && m.requestId() != null) {
          requestIds.add(m.requestId());
          continue;
        }
        keys.add(addressKey.apply(m.recipient()));
        if (m.kind() == MailKind.RECEIPT) {
          subjectIds.add(m.subjectId());
        } else if (m.kind() == MailKind.CAMPAIGN) {
          subjectIds.add(m.subjectId());
          campaigns
              .computeIfAbsent(m.requestId(), tx.registers()::campaign)
              .ifPresent(
                  c ->
                      byPurpose
                          .computeIfAbsent(c.purpose(), p -> new java.util.LinkedHashSet<>())
                          .add(m.subjectId()));
        }
      }
      Map<PurposeId, Map<SubjectId, org.optin4j.Consent>> consents = new HashMap<>();
      org.optin4j.spi.BatchReads reads = tx.batchReads();
      byPurpose.forEach((p, ids) -> consents.put(p, reads.consents(ids, p)));
      return new Recheck(
          requestIds.isEmpty() ? Map.of() : reads.requests(requestIds),
          keys.isEmpty() ? java.util.Set.of() : reads.suppressed(keys),
          subjectIds.isEmpty() ? Map.of() : reads.subjects(subjectIds),
          consents);
    }
  }

  /** A mail's content as the controller wrote it. */
  private record ControllerContent(String subject, String text, String html) {}

  /**
   * Tells whether a campaign mail may still go out: the subject still has this address, and a confirmed, unrestricted
   * consent for the purpose within its retention period.
   */
  private boolean mayStillMail(Recheck recheck, OutboxMail m, PurposeId purpose, Instant now) {
    org.optin4j.Subject onFile = recheck.subjects().get(m.subjectId());
    if (onFile == null || !onFile.email().equals(m.recipient())) {
      return false;
    }
    java.util.Optional<org.optin4j.Consent> c =
        java.util.Optional.ofNullable(
            recheck.consents().getOrDefault(purpose, Map.of()).get(m.subjectId()));
    if (c.isEmpty() || !c.get().isActive()) {
      return false;
    }
    java.util.Optional<Purpose> p = catalog.purpose(purpose);
    if (p.isEmpty()) {
      return false;
    }
    return !(p.get().retention() instanceof org.optin4j.Retention.Fixed f)
        || now.isBefore(c.get().confirmedAt().plus(f.period()));
  }

  private MailMessage renderControllerMail(
      OutboxMail m, ControllerContent content, int generation) {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Auto-Submitted", "auto-generated");
    if (m.kind() != MailKind.CAMPAIGN) {
      return ControllerMail.render(
          m.recipient(), content.subject(), content.text(), content.html(), controller, headers);
    }
    String unsubscribe = links.unsubscribeUrl(m.subjectId(), generation);
    String preferences = links.preferencesUrl(m.subjectId(), generation);
    // RFC 2919 List-Id; RFC 2369 and RFC 8058 one-click unsubscribe (security rule 24).
    headers.put("List-Id", links.listId(m.purposes().get(0)));
    headers.put("List-Unsubscribe", "<" + unsubscribe + ">");
    headers.put("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
    headers.put("Precedence", "bulk");
    String text =
        content.text().strip()
            + "\n\nUnsubscribe: "
            + unsubscribe
            + "\nPreferences: "
            + preferences;
    String html = content.html();
    if (html != null) {
      String links =
          "<p style=\"font-size:12px;\"><a href=\""
              + org.owasp.encoder.Encode.forHtmlAttribute(unsubscribe)
              + "\">Unsubscribe</a> | <a href=\""
              + org.owasp.encoder.Encode.forHtmlAttribute(preferences)
              + "\">Preferences</a></p>\n";
      int end = html.toLowerCase(java.util.Locale.ROOT).lastIndexOf("</body>");
      html = end < 0 ? html + links : html.substring(0, end) + links + html.substring(end);
    }
    return ControllerMail.render(m.recipient(), content.subject(), text, html, controller, headers);
  }

  private MailMessage render(
      OutboxMail m, PendingRequest r, String exportJson, String receiptJws, int generation) {
    List<MailTemplates.PurposeLine> lines = new ArrayList<>();
    for (PurposeId id : m.purposes()) {
      Purpose p = catalog.require(id);
      PurposeText t = p.text(m.locale()).or(() -> p.text(catalog.defaultLocale())).orElseThrow();
      lines.add(new MailTemplates.PurposeLine(t.title(), t.description()));
    }
    Map<String, String> headers = new LinkedHashMap<>();
    // RFC 3834: keeps vacation responders from answering these mails.
    headers.put("Auto-Submitted", "auto-generated");
    String actionUrl;
    String unsubscribe = null;
    Instant expiresAt = null;
    List<MailMessage.Attachment> attachments = List.of();
    if (needsRequest(m.kind())) {
      actionUrl = links.confirmUrl(m.subjectId(), r.id(), r.generation(), r.expiresAt());
      expiresAt = r.expiresAt();
    } else if (isStepUp(m.kind())) {
      expiresAt = links.stepUpExpiry(m.createdAt());
      actionUrl = links.stepUpUrl(m.subjectId(), m.requestId(), m.generation(), expiresAt);
    } else if (m.kind() == MailKind.ADDRESS_CHANGED_NOTICE) {
      expiresAt = links.notMeExpiry(m.createdAt());
      actionUrl = links.notMeUrl(m.subjectId(), m.requestId(), m.generation(), expiresAt);
    } else if (m.kind() == MailKind.DATA_EXPORT) {
      actionUrl = links.preferencesUrl(m.subjectId(), generation);
      attachments =
          attachment(
              "my-data.json",
              "application/json",
              exportJson,
              java.nio.charset.StandardCharsets.UTF_8);
    } else {
      unsubscribe = links.unsubscribeUrl(m.subjectId(), generation);
      actionUrl = links.preferencesUrl(m.subjectId(), generation);
      // RFC 2369 and RFC 8058: one-click unsubscribe on every mail after confirmation (security
      // rule 24).
      headers.put("List-Unsubscribe", "<" + unsubscribe + ">");
      headers.put("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
      if (receiptJws != null) {
        // RFC 7515 section 9.2.1: application/jose is the media type of a compact JWS.
        attachments =
            attachment(
                "consent-receipt.jws",
                "application/jose",
                receiptJws,
                java.nio.charset.StandardCharsets.US_ASCII);
      }
    }
    MailTemplates.Model model =
        new MailTemplates.Model(m.locale(), controller, lines, actionUrl, unsubscribe, expiresAt);
    MailTemplates.Rendered rendered = templates.render(m.kind(), model);
    return new MailMessage(
        m.recipient(), rendered.subject(), rendered.text(), rendered.html(), headers, attachments);
  }

  /**
   * Stops polling. A round in flight stops after the mail on the wire and releases the mails of its batch it has not
   * sent, so that another node takes them at once. Idempotent.
   */
  @Override
  public synchronized void close() {
    closed = true;
    if (schedule != null) {
      schedule.cancel(false);
    }
    if (workers != null) {
      // Workers stop after the mail on the wire and give their batches back; the pool's threads
      // then end.
      workers.shutdown();
    }
  }

  /**
   * Derives an outbox mail's {@link MailMessage#messageKey() message key}: HMAC-SHA256 of the outbox id under the
   * installation's secret pepper (with a label that keeps it apart from the suppression list's address hashes),
   * 32 hex digits. Stable, so every attempt and every node (they share the pepper) gives a mail the same
   * {@code Message-ID}; opaque, so the header neither shows the row id nor lets anyone without the pepper link it to
   * the database; free of personal data; and, being keyed per installation, never the same in two installations.
   *
   * @param pepper the installation's pepper
   * @param mailId the outbox id
   * @return the key
   */
  public static String messageKey(javax.crypto.SecretKey pepper, String mailId) {
    return messageKey(KeyedHmac.of(pepper), mailId);
  }

  /**
   * As {@link #messageKey(javax.crypto.SecretKey, String)}, with the pepper's HMAC set up once.
   *
   * @param pepper the HMAC under the installation's pepper
   * @param mailId the outbox id
   * @return the key
   */
  public static String messageKey(KeyedHmac pepper, String mailId) {
    byte[] digest =
        pepper.digest(MESSAGE_KEY_LABEL, mailId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return java.util.HexFormat.of().formatHex(digest, 0, 16);
  }

  private static final byte[] MESSAGE_KEY_LABEL =
      "optin4j message-id\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private record Round(int claimed, int sent, int retrying, int failed) {}
}
