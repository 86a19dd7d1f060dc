package org.optin4j;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.optin4j.internal.ListenerNotifier;
import org.optin4j.internal.NoticeRenderer;
import org.optin4j.internal.OutboxDispatcher;
import org.optin4j.internal.Purger;
import org.optin4j.internal.ConsentTimeline;
import org.optin4j.internal.DataExport;
import org.optin4j.internal.HistoryVerifier;
import org.optin4j.internal.TokenCheck;
import org.optin4j.internal.TokenClaims;
import org.optin4j.internal.TokenKind;
import org.optin4j.internal.TokenService;
import org.optin4j.mail.DefaultMailTemplates;
import org.optin4j.spi.ConsentListener;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailTemplates;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * The double opt-in service: the one entry point of optin4j.
 *
 * <p>It asks for consent per purpose (GDPR Art. 6(1)(a), 7), records the exact notice shown (Art. 7(1), 13), confirms
 * the address through a signed, expiring, single-use link sent in a neutral mail (double opt-in), answers "may I mail
 * this address for this purpose now?", and lets the person withdraw as easily as they consented (Art. 7(3)). Each
 * consent change and the mail it causes are written in one store transaction; a background dispatcher sends the mail
 * afterwards, with retries, so a mail server outage loses nothing (security rule 25).
 *
 * <p>Expected outcomes are values ({@link RequestResult}, {@link ConfirmationResult}, ...); exceptions, all under
 * {@link OptInException}, mean misuse or an infrastructure failure.
 *
 * <p>Build one with {@link #builder()}, call {@link #start()} to run the outbox dispatcher in the background (or
 * {@link #dispatchNow()} yourself), and {@link #close()} it on shutdown. Instances are immutable apart from that
 * life cycle, and thread-safe.
 */
public final class OptIn implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(OptIn.class.getName());

  private final PurposeCatalog catalog;
  private final Controller controller;
  private final ConsentStore store;
  private final TokenService tokens;
  private final NoticeRenderer notices;
  private final Clock clock;
  private final SecureRandom random;
  private final EvidencePolicy evidencePolicy;
  private final Duration confirmationTtl;
  private final Duration preferencesTtl;
  private final Duration unsubscribeTtl;
  private final int maxConfirmationMailsPerDay;
  private final Duration minConfirmationMailInterval;
  private final String baseUrl;
  private final ListenerNotifier notifier;
  private final OutboxDispatcher dispatcher;
  private final Purger purger;
  private final Duration purgeInterval;
  private final boolean erasureKeepsHistory;
  private final javax.crypto.spec.SecretKeySpec pepper;
  private final ReceiptKeys receiptKeys;
  private final ReceiptIssuer receipts;
  /**
   * Stored notices that match what this instance renders, by hash and by purposes and language. Notices are immutable
   * and never deleted, and the catalog of an instance does not change, so a notice checked once stays valid: a signup
   * then needs neither a notice read nor a render. Only notices this instance rendered or checked get in, so the maps
   * are bounded by the catalog's purpose sets and languages, and capped besides.
   */
  private final Map<String, Notice> noticesByHash = new ConcurrentHashMap<>();
  private final Map<String, Notice> noticesByKey = new ConcurrentHashMap<>();
  private volatile java.util.concurrent.ScheduledFuture<?> purgeSchedule;

  private OptIn(Builder b) {
    this.catalog = b.catalog;
    this.controller = b.controller;
    this.store = b.store;
    this.clock = b.clock;
    this.random = b.random;
    this.evidencePolicy = b.evidencePolicy;
    this.confirmationTtl = b.confirmationTtl;
    this.preferencesTtl = b.preferencesTtl;
    this.unsubscribeTtl = b.unsubscribeTtl;
    this.maxConfirmationMailsPerDay = b.maxConfirmationMailsPerDay;
    this.minConfirmationMailInterval = b.minConfirmationMailInterval;
    this.baseUrl = b.baseUrl;
    this.notices = new NoticeRenderer(b.catalog, b.controller);
    this.tokens = new TokenService(b.signingKeys, b.issuer == null ? b.baseUrl : b.issuer, b.clock, b.random);
    this.notifier = new ListenerNotifier(List.copyOf(b.listeners), b.listenerFailureHandler, b.listenerAttempts,
        b.listenerBackoff);
    OutboxDispatcher.Settings settings = new OutboxDispatcher.Settings(b.dispatchInterval, b.dispatchBatchSize,
        b.dispatchLease, b.retryBackoff, b.maxRetryBackoff, b.maxSendAttempts);
    this.pepper = new javax.crypto.spec.SecretKeySpec(b.suppressionPepper, "HmacSHA256");
    this.receiptKeys = b.receiptKeys;
    this.receipts = b.receiptKeys == null ? null : new ReceiptIssuer(b.receiptKeys, b.jurisdiction,
        b.issuer == null ? b.baseUrl : b.issuer, b.controller, b.catalog, b.baseUrl);
    this.dispatcher = new OutboxDispatcher(store, b.mailer, b.templates, new Links(), catalog, controller, clock,
        random, settings, notifier.executor(), this::addressKey,
        (tx, mail, now) -> receipts == null ? Optional.empty() : receipts.issue(tx, mail.subjectId(), mail.purposes(),
            now));
    this.erasureKeepsHistory = b.erasureKeepsHistory;
    this.purgeInterval = b.purgeInterval;
    this.purger = new Purger(store, catalog, clock, b.unconfirmedGrace, b.outboxRetention, notifier::publish);
  }

  /**
   * Starts a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Returns the purpose catalog. */
  public PurposeCatalog catalog() {
    return catalog;
  }

  /** Returns the configured base URL every link is built from, without trailing slash. */
  public String baseUrl() {
    return baseUrl;
  }

  /** Returns the controller named in notices and mails. */
  public Controller controller() {
    return controller;
  }

  /**
   * Returns the notice for purposes offered together on a form, in a language of the catalog (the nearest one if the
   * wished language is not offered). The text is stored (once per distinct text) so that it can be shown again years
   * later; pass its {@link Notice#hash()} with the request ({@link ConsentRequest#withShownNotice(String)}) so the
   * consent points to exactly the text shown.
   *
   * @param offered the purposes offered; all must be in the catalog
   * @param locale the wished language
   * @return the current notice, with its version
   * @throws IllegalArgumentException if a purpose is unknown or the set is empty
   */
  public Notice notice(Set<PurposeId> offered, Locale locale) {
    Locale lang = catalog.resolve(locale);
    String key = noticeKey(notices.ordered(offered), lang);
    Notice known = noticesByKey.get(key);
    if (known != null) {
      return known; // stored before and immutable: a form view costs no store transaction
    }
    Notice candidate = render(offered, lang);
    return remember(key, store.inTransaction(tx -> tx.saveNotice(candidate)));
  }

  /**
   * Finds a stored notice by the hash of its text, for example to show the text a consent was given under.
   *
   * @param hash the SHA-256 hex
   * @return the notice, or empty
   */
  public Optional<Notice> noticeByHash(String hash) {
    return store.read(tx -> tx.notice(hash));
  }

  /**
   * Asks for consent: records pending consents for the purposes that need double opt-in and queues one confirmation
   * mail for all of them, in one transaction. Purposes configured without double opt-in are confirmed at once.
   *
   * @param request what the form sent
   * @return the outcome; show the same page for all but {@link RequestResult.InvalidAddress} (security rule 8)
   * @throws IllegalArgumentException if a purpose is not in the catalog
   */
  public RequestResult request(ConsentRequest request) {
    Objects.requireNonNull(request, "request");
    Optional<EmailAddress> parsed = EmailAddress.tryParse(request.email());
    if (parsed.isEmpty()) {
      String reason;
      try {
        EmailAddress.parse(request.email());
        reason = "invalid email address";
      } catch (IllegalArgumentException e) {
        reason = e.getMessage();
      }
      return new RequestResult.InvalidAddress(reason);
    }
    EmailAddress email = parsed.get();
    List<Purpose> purposes = notices.ordered(request.purposes());
    Locale locale = catalog.resolve(request.locale());
    String noticeKey = request.shownNoticeHash() == null ? noticeKey(purposes, locale) : null;
    Notice current = noticeKey == null || noticesByKey.containsKey(noticeKey)
        ? null : render(request.purposes(), locale);
    Evidence evidence = evidencePolicy.apply(request.evidence());
    List<ConsentChange> changes = new ArrayList<>();
    RequestResult result = retryOnDuplicate(() -> store.inTransaction(tx -> {
      changes.clear();
      Notice notice;
      if (request.shownNoticeHash() != null) {
        Optional<Notice> shown = currentNotice(tx, request.shownNoticeHash());
        if (shown.isEmpty()
            || !shown.get().locale().equals(locale)
            || !shown.get().purposes().containsAll(request.purposes())) {
          return new RequestResult.StaleNotice();
        }
        notice = shown.get();
      } else {
        Notice known = noticesByKey.get(noticeKey);
        notice = known != null ? known : remember(noticeKey, tx.saveNotice(current));
      }
      Instant now = clock.instant();
      Optional<Subject> existing = tx.subjectByEmail(email);
      // The history lock comes before any consent row lock, in every unit (no deadlocks between units).
      if (existing.isPresent()) {
        tx.lockHistory(existing.get().id());
        if (tx.subject(existing.get().id()).isEmpty()) {
          // The retention job deleted the subject between the lookup and the lock: roll back (the lock must leave
          // no head row behind) and run again, as the new signup this now is.
          throw new SubjectGone();
        }
      }
      Set<PurposeId> alreadyConfirmed = new TreeSet<>();
      List<Purpose> toRequest = new ArrayList<>();
      Map<PurposeId, Consent> before = new HashMap<>();
      // Read once, under the history lock taken above (every unit changing consents takes it first).
      existing.ifPresent(s -> tx.consents(s.id()).forEach(c -> before.put(c.purpose(), c)));
      for (Purpose p : purposes) {
        Optional<Consent> c = Optional.ofNullable(before.get(p.id()));
        if (c.isPresent() && c.get().state() == ConsentState.CONFIRMED) {
          alreadyConfirmed.add(p.id());
        } else {
          toRequest.add(p);
        }
      }
      if (toRequest.isEmpty()) {
        return new RequestResult.AlreadyConfirmed(existing.orElseThrow().id());
      }
      // After erasure an address comes back only through a fresh double opt-in, whatever the purpose says.
      boolean suppressed = existing.isEmpty() && tx.isSuppressed(addressKey(email));
      boolean needsMail = suppressed || toRequest.stream().anyMatch(Purpose::doubleOptIn);
      String capKey = null;
      if (needsMail) {
        Instant dayStart = now.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
        int today = tx.countMails(email, MailKind.CONFIRMATION, dayStart);
        if (today >= maxConfirmationMailsPerDay) {
          return new RequestResult.Throttled(dayStart.plus(Duration.ofDays(1)));
        }
        Instant windowStart = now.minus(minConfirmationMailInterval);
        // No mail today and a window within today: none in the window either (one query less per new address).
        if (!minConfirmationMailInterval.isZero() && (today > 0 || windowStart.isBefore(dayStart))
            && tx.countMails(email, MailKind.CONFIRMATION, windowStart) > 0) {
          return new RequestResult.Throttled(now.plus(minConfirmationMailInterval));
        }
        capKey = capKey(MailKind.CONFIRMATION, email, dayStart, today + 1);
      }
      Subject subject = existing.orElseGet(() -> {
        Subject s = new Subject(SubjectId.random(random), email, now);
        tx.insertSubject(s);
        return s;
      });
      String requestId = randomId();
      Set<PurposeId> pending = new TreeSet<>();
      Set<PurposeId> confirmedNow = new TreeSet<>();
      for (Purpose p : toRequest) {
        // Read above; a new subject has none.
        Optional<Consent> old = Optional.ofNullable(before.get(p.id()));
        Consent c;
        if (old.isEmpty() || old.get().state() == ConsentState.ERASED) {
          c = Consent.pending(subject.id(), p, requestId, notice.ref(), now);
        } else if (old.get().state() == ConsentState.PENDING) {
          c = old.get().supersede(p, requestId, notice.ref(), now);
        } else {
          c = old.get().rerequest(p, requestId, notice.ref(), now);
        }
        tx.appendEvent(event(subject.id(), p.id(), ConsentEvent.Type.REQUESTED, now, requestId, notice.ref(),
            request.source(), Channel.FORM, evidence, null));
        if (p.doubleOptIn() || suppressed) {
          pending.add(p.id());
        } else {
          c = c.confirm(now);
          tx.appendEvent(event(subject.id(), p.id(), ConsentEvent.Type.CONFIRMED, now, requestId, notice.ref(),
              request.source(), Channel.FORM, evidence, null));
          confirmedNow.add(p.id());
        }
        tx.saveConsent(c);
      }
      Set<PurposeId> requested = pending.isEmpty() ? confirmedNow : pending;
      PendingRequest pr = new PendingRequest(requestId, subject.id(), requested, notice.ref(), request.source(),
          evidence, now, now.plus(confirmationTtl), 1,
          pending.isEmpty() ? PendingRequest.Status.CONFIRMED : PendingRequest.Status.OPEN,
          pending.isEmpty() ? now : null);
      tx.insertRequest(pr);
      if (existing.isPresent()) { // a subject inserted just now has no other request
        supersedeCoveredRequests(tx, subject.id(), requestId, now);
      }
      if (!pending.isEmpty()) {
        enqueueOrThrottle(tx, OutboxMail.queued(randomId(), MailKind.CONFIRMATION, subject.id(), email, requestId, 1,
            locale, List.copyOf(pending), capKey, now));
      }
      if (!confirmedNow.isEmpty()) {
        tx.enqueue(OutboxMail.queued(randomId(), MailKind.RECEIPT, subject.id(), email, requestId, 0, locale,
            List.copyOf(confirmedNow), "receipt:" + requestId, now));
        changes.add(new ConsentChange(ConsentChange.Type.CONFIRMED, subject.id(), email, confirmedNow, now,
            Channel.FORM));
      }
      return new RequestResult.Accepted(subject.id(), requestId, pending, confirmedNow, alreadyConfirmed);
    }));
    afterCommit(changes);
    return result;
  }

  /**
   * Shows what a confirmation link is for, without changing anything (security rule 6: mail scanners open links).
   *
   * @param token the token from the link
   * @return what to show
   */
  public ConfirmationPreview preview(String token) {
    TokenCheck check = tokens.verify(TokenKind.CONFIRM, token);
    TokenClaims claims = claimsOf(check);
    if (claims == null) {
      return new ConfirmationPreview.Invalid();
    }
    // Reads only, without row locks: opening a link (or a scanner opening it) must not cost a write.
    return store.read(tx -> {
      Optional<PendingRequest> found = tx.findRequest(claims.requestId());
      if (found.isEmpty() || !found.get().subjectId().equals(claims.subject())) {
        return new ConfirmationPreview.Invalid();
      }
      PendingRequest r = found.get();
      if (r.status() == PendingRequest.Status.CONFIRMED) {
        return new ConfirmationPreview.AlreadyConfirmed();
      }
      if (r.generation() != claims.generation() || r.status() == PendingRequest.Status.SUPERSEDED) {
        return new ConfirmationPreview.Invalid();
      }
      Instant now = clock.instant();
      if (check instanceof TokenCheck.Expired e) {
        return new ConfirmationPreview.Expired(e.expiredAt());
      }
      if (r.status() == PendingRequest.Status.EXPIRED || !now.isBefore(r.expiresAt())) {
        return new ConfirmationPreview.Expired(r.expiresAt());
      }
      List<PurposeId> stillPending = new ArrayList<>();
      boolean addressChange = tx.addressChange(r.id()).isPresent();
      if (addressChange) {
        stillPending.addAll(new TreeSet<>(r.purposes()));
      } else {
        for (Consent c : tx.consents(r.subjectId())) {
          if (r.purposes().contains(c.purpose()) && awaits(c, r)) {
            stillPending.add(c.purpose());
          }
        }
      }
      if (stillPending.isEmpty()) {
        return new ConfirmationPreview.Invalid();
      }
      Notice notice = Optional.ofNullable(noticesByHash.get(r.notice().hash())).or(() -> tx.notice(r.notice().hash()))
          .orElseThrow(() -> new StoreException("notice of request missing from store"));
      return new ConfirmationPreview.Ready(notices.ordered(stillPending), notice, r.expiresAt(), addressChange);
    });
  }

  /**
   * Confirms a request: the chosen purposes (all of the request's if {@code chosen} is empty) become
   * {@link ConsentState#CONFIRMED}; purposes of the request the person unticked are recorded as declined (withdrawn);
   * the token is used up; a receipt mail is queued; listeners are told after the commit.
   *
   * <p>Safe under concurrency: of many simultaneous confirmations of one link, exactly one confirms; the others answer
   * {@link ConfirmationResult.AlreadyConfirmed} and record nothing.
   *
   * @param token the token from the link
   * @param chosen the purposes the person kept ticked, or empty for all
   * @param evidence the confirmation evidence as received (the evidence policy is applied)
   * @return the outcome
   * @throws IllegalArgumentException if {@code chosen} names a purpose that is not part of the request
   */
  public ConfirmationResult confirm(String token, Set<PurposeId> chosen, Evidence evidence) {
    Objects.requireNonNull(chosen, "chosen");
    return confirm(token, chosen, evidence, false);
  }

  /**
   * Declines a request: the person opened the link and unticked every purpose. Every pending purpose of the request is
   * recorded as withdrawn (declined) with the evidence, the link is used up, and nothing is confirmed. A repeated
   * call answers {@link ConfirmationResult.AlreadyConfirmed} (the request is closed).
   *
   * @param token the token from the link
   * @param evidence the evidence as received
   * @return {@link ConfirmationResult.Confirmed} with no consents on success, else as {@link #confirm}
   */
  public ConfirmationResult decline(String token, Evidence evidence) {
    return confirm(token, Set.of(), evidence, true);
  }

  private ConfirmationResult confirm(String token, Set<PurposeId> chosen, Evidence evidence, boolean declineAll) {
    TokenCheck check = tokens.verify(TokenKind.CONFIRM, token);
    TokenClaims claims = claimsOf(check);
    if (claims == null) {
      return new ConfirmationResult.Invalid();
    }
    Evidence kept = evidencePolicy.apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    ConfirmationResult result = inTransactionOr(tx -> {
      changes.clear();
      // Lock order of every unit: the subject's history, then request rows, then consent rows.
      Optional<Subject> owner = tx.subject(claims.subject());
      if (owner.isPresent()) {
        tx.lockHistory(claims.subject());
      }
      Optional<PendingRequest> found = tx.request(claims.requestId());
      if (found.isEmpty() || !found.get().subjectId().equals(claims.subject())) {
        return new ConfirmationResult.Invalid();
      }
      PendingRequest r = found.get();
      if (r.status() == PendingRequest.Status.CONFIRMED) {
        return new ConfirmationResult.AlreadyConfirmed(r.subjectId());
      }
      if (r.generation() != claims.generation() || r.status() == PendingRequest.Status.SUPERSEDED) {
        return new ConfirmationResult.Invalid();
      }
      Instant now = clock.instant();
      if (check instanceof TokenCheck.Expired e) {
        return new ConfirmationResult.Expired(e.expiredAt());
      }
      if (r.status() == PendingRequest.Status.EXPIRED || !now.isBefore(r.expiresAt())) {
        return new ConfirmationResult.Expired(r.expiresAt());
      }
      for (PurposeId p : chosen) {
        if (!r.purposes().contains(p)) {
          throw new IllegalArgumentException("purpose " + p + " is not part of this request");
        }
      }
      String jti = ((TokenCheck.Valid) check).id();
      if (!tx.useToken(jti, ((TokenCheck.Valid) check).expiresAt())) {
        return new ConfirmationResult.AlreadyConfirmed(r.subjectId());
      }
      Optional<EmailAddress> newAddress = tx.addressChange(r.id());
      if (newAddress.isPresent()) {
        return confirmAddressChange(tx, r, newAddress.get(), now, kept, jti, changes);
      }
      Set<PurposeId> wanted = declineAll ? Set.of() : chosen.isEmpty() ? r.purposes() : chosen;
      List<Consent> confirmed = new ArrayList<>();
      Set<PurposeId> declined = new TreeSet<>();
      // One read of all consents instead of one locking read per purpose: every unit that changes a subject's
      // consents holds its history lock first, and this unit holds it (a subject that is gone has no consents).
      Map<PurposeId, Consent> current = new HashMap<>();
      tx.consents(r.subjectId()).forEach(c -> current.put(c.purpose(), c));
      for (PurposeId p : new TreeSet<>(r.purposes())) {
        Optional<Consent> c = Optional.ofNullable(current.get(p));
        if (c.isEmpty() || !awaits(c.get(), r)) {
          continue;
        }
        if (wanted.contains(p)) {
          Consent done = c.get().state() == ConsentState.CONFIRMED
              ? c.get().reconfirm(catalog.require(p), r.id(), r.notice(), r.requestedAt(), now)
              : c.get().confirm(now);
          tx.saveConsent(done);
          tx.appendEvent(event(r.subjectId(), p, ConsentEvent.Type.CONFIRMED, now, r.id(), done.notice(),
              r.source(), Channel.CONFIRMATION_LINK, kept, jti));
          confirmed.add(done);
        } else {
          tx.saveConsent(c.get().withdraw(now));
          tx.appendEvent(event(r.subjectId(), p, ConsentEvent.Type.WITHDRAWN, now, r.id(), c.get().notice(),
              r.source(), Channel.CONFIRMATION_LINK, kept, jti));
          declined.add(p);
        }
      }
      if (confirmed.isEmpty() && declined.isEmpty()) {
        // Every purpose of this request was re-requested since: a newer link is the one that counts.
        throw new Superseded();
      }
      tx.updateRequest(r.withStatus(PendingRequest.Status.CONFIRMED, now));
      if (confirmed.isEmpty()) {
        return new ConfirmationResult.Confirmed(r.subjectId(), List.of());
      }
      // Read above, under the history lock: an address change of this subject would have had to take that lock too.
      Subject subject = owner.orElseThrow(() -> new StoreException("subject missing"));
      // A fresh double opt-in is the one way back from the suppression list.
      tx.unsuppress(addressKey(subject.email()));
      List<PurposeId> ids = confirmed.stream().map(Consent::purpose).toList();
      tx.enqueue(OutboxMail.queued(randomId(), MailKind.RECEIPT, subject.id(), subject.email(), r.id(), 0,
          r.locale(), ids, "receipt:" + r.id(), now));
      changes.add(new ConsentChange(ConsentChange.Type.CONFIRMED, subject.id(), subject.email(), Set.copyOf(ids),
          now, Channel.CONFIRMATION_LINK));
      return new ConfirmationResult.Confirmed(r.subjectId(), confirmed);
    }, Superseded.class, new ConfirmationResult.Invalid());
    afterCommit(changes);
    return result;
  }

  /**
   * Sends a fresh confirmation link for the request of a (possibly expired) confirmation token. Every earlier link of
   * that request stops working (security rule 5). The per-address caps apply.
   *
   * @param token a confirmation token of the request, expired or not
   * @return the outcome
   */
  public ResendResult resendConfirmation(String token) {
    TokenClaims claims = claimsOf(tokens.verify(TokenKind.CONFIRM, token));
    if (claims == null) {
      return new ResendResult.Invalid();
    }
    return inTransactionOr(tx -> {
      Optional<PendingRequest> found = tx.request(claims.requestId());
      if (found.isEmpty() || !found.get().subjectId().equals(claims.subject())
          || claims.generation() > found.get().generation()) {
        return new ResendResult.Invalid();
      }
      PendingRequest r = found.get();
      if (r.status() == PendingRequest.Status.CONFIRMED) {
        return new ResendResult.AlreadyConfirmed();
      }
      if (r.status() == PendingRequest.Status.SUPERSEDED) {
        return new ResendResult.Invalid();
      }
      List<PurposeId> stillPending = purposesToConfirm(tx, r);
      if (stillPending.isEmpty()) {
        return new ResendResult.Invalid();
      }
      Optional<EmailAddress> newAddress = tx.addressChange(r.id());
      Subject subject = tx.subject(r.subjectId()).orElseThrow(() -> new StoreException("subject missing"));
      Instant now = clock.instant();
      Instant dayStart = now.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
      EmailAddress to = newAddress.orElse(subject.email());
      MailKind kind = newAddress.isPresent() ? MailKind.ADDRESS_CONFIRMATION : MailKind.CONFIRMATION;
      int today = tx.countMails(to, kind, dayStart);
      if (today >= maxConfirmationMailsPerDay) {
        return new ResendResult.Throttled(dayStart.plus(Duration.ofDays(1)));
      }
      if (!minConfirmationMailInterval.isZero()
          && tx.countMails(to, kind, now.minus(minConfirmationMailInterval)) > 0) {
        return new ResendResult.Throttled(now.plus(minConfirmationMailInterval));
      }
      // A re-confirmation request keeps its deadline; only its link is renewed.
      PendingRequest next = r.nextGeneration(PendingRequest.RECONSENT_SOURCE.equals(r.source())
          && r.expiresAt().isAfter(now) ? r.expiresAt() : now.plus(confirmationTtl));
      if (next.status() == PendingRequest.Status.EXPIRED) {
        next = next.withStatus(PendingRequest.Status.OPEN, null);
      }
      tx.updateRequest(next);
      enqueueOrThrottle(tx, OutboxMail.queued(randomId(), kind, subject.id(), to, r.id(), next.generation(),
          r.locale(), stillPending, capKey(kind, to, dayStart, today + 1), now));
      return new ResendResult.Resent();
    }, CapRace.class, new ResendResult.Throttled(clock.instant().plus(minConfirmationMailInterval)));
  }

  /**
   * Answers "may I mail this address for this purpose now?": only if the address has a confirmed, unrestricted
   * consent for the purpose that has not run past its retention period.
   *
   * @param email the address, as typed or normalised
   * @param purpose the purpose
   * @return whether mail for the purpose is allowed now
   */
  public boolean mayMail(String email, PurposeId purpose) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
    Optional<Purpose> p = catalog.purpose(Objects.requireNonNull(purpose, "purpose"));
    if (parsed.isEmpty() || p.isEmpty()) {
      return false;
    }
    Instant now = clock.instant();
    // A plain read: consents(...) takes no row lock, unlike consent(...). A lock here made every answer a write
    // (PostgreSQL records row locks in the WAL and flushes it on commit), which cost most of its latency.
    return store.read(tx -> tx.subjectByEmail(parsed.get())
        .flatMap(s -> tx.consents(s.id()).stream().filter(c -> c.purpose().equals(purpose)).findFirst())
        .filter(c -> isActiveAt(c, p.get(), now))
        .isPresent());
  }

  /**
   * Answers "was processing for this purpose covered by consent at that instant?" from the recorded history, not
   * from the current state (GDPR Art. 7(1)): consent was confirmed at or before {@code at}, and not withdrawn,
   * expired, erased or restricted since, nor past a fixed retention period. Works on an erased subject's
   * de-identified history too.
   *
   * @param subjectId the subject
   * @param purpose the purpose
   * @param at the instant asked about
   * @return whether consent was valid then
   */
  public boolean wasValidAt(SubjectId subjectId, PurposeId purpose, Instant at) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(at, "at");
    Retention retention = catalog.purpose(purpose).map(Purpose::retention).orElse(null);
    return ConsentTimeline.validAt(store.read(tx -> tx.events(subjectId)), purpose, retention, at);
  }

  /**
   * Like {@link #wasValidAt(SubjectId, PurposeId, Instant)}, for the subject that has the address <em>now</em>
   * (the library keeps no history of addresses: after a change of address, ask with the new one).
   *
   * @param email the address, as typed or normalised
   * @param purpose the purpose
   * @param at the instant asked about
   * @return whether consent was valid then; {@code false} for an unknown or invalid address
   */
  public boolean wasValidAt(String email, PurposeId purpose, Instant at) {
    return findSubject(email).map(s -> wasValidAt(s.id(), purpose, at)).orElse(false);
  }

  /**
   * Withdraws consent for purposes, effective at once (GDPR Art. 7(3)). Purposes that are pending are withdrawn too
   * (the request is cancelled); purposes that are not active are left alone.
   *
   * @param subjectId the subject
   * @param purposes the purposes, or empty for all
   * @param channel how the withdrawal reached the app
   * @param evidence the evidence as received (the evidence policy is applied)
   * @return what was withdrawn
   */
  public Withdrawal withdraw(SubjectId subjectId, Set<PurposeId> purposes, Channel channel, Evidence evidence) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purposes, "purposes");
    Objects.requireNonNull(channel, "channel");
    Evidence kept = evidencePolicy.apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    Withdrawal result = store.inTransaction(tx -> {
      changes.clear();
      Instant now = clock.instant();
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return new Withdrawal(subjectId, Set.of());
      }
      tx.lockHistory(subjectId);
      Set<PurposeId> done = new TreeSet<>();
      for (Consent c : tx.consents(subjectId)) {
        if (!purposes.isEmpty() && !purposes.contains(c.purpose())) {
          continue;
        }
        if (c.state() == ConsentState.PENDING || c.state() == ConsentState.CONFIRMED) {
          tx.saveConsent(c.withdraw(now));
          tx.appendEvent(event(subjectId, c.purpose(), ConsentEvent.Type.WITHDRAWN, now, c.requestId(), c.notice(),
              null, channel, kept, null));
          done.add(c.purpose());
        }
      }
      if (!done.isEmpty()) {
        changes.add(new ConsentChange(ConsentChange.Type.WITHDRAWN, subjectId, subject.get().email(), done, now,
            channel));
      }
      return new Withdrawal(subjectId, done);
    });
    afterCommit(changes);
    return result;
  }

  /**
   * Runs an RFC 8058 one-click unsubscribe (or the unsubscribe page's button): withdraws every purpose of the subject
   * named by a valid unsubscribe token. Needs no cookie or session: the signed token is the authorisation.
   *
   * @param token the token from the {@code List-Unsubscribe} link
   * @param channel {@link Channel#ONE_CLICK_UNSUBSCRIBE}, or the page the button was on
   * @param evidence the evidence as received
   * @return the outcome
   */
  public UnsubscribeResult unsubscribe(String token, Channel channel, Evidence evidence) {
    TokenCheck check = tokens.verify(TokenKind.UNSUBSCRIBE, token);
    if (!(check instanceof TokenCheck.Valid v)) {
      return new UnsubscribeResult.Invalid();
    }
    return new UnsubscribeResult.Unsubscribed(withdraw(v.claims().subject(), Set.of(), channel, evidence));
  }

  /**
   * Returns the subject a preference center token stands for, if the token is valid and the subject still exists.
   *
   * @param token the token from a preferences link
   * @return the subject id, or empty
   */
  public Optional<SubjectId> verifyPreferencesToken(String token) {
    return verifySubjectToken(TokenKind.MANAGE, token);
  }

  /**
   * Returns the subject an unsubscribe token stands for, if valid, for the page that shows the unsubscribe button
   * (a GET that changes nothing).
   *
   * @param token the token from a {@code List-Unsubscribe} link
   * @return the subject id, or empty
   */
  public Optional<SubjectId> verifyUnsubscribeToken(String token) {
    return verifySubjectToken(TokenKind.UNSUBSCRIBE, token);
  }

  /**
   * Returns a signed link to the subject's preference center, for mails the app sends itself.
   *
   * @param subjectId the subject
   * @return the absolute URL, built from the configured base URL
   */
  public String preferencesUrl(SubjectId subjectId) {
    return new Links().preferencesUrl(subjectId);
  }

  /**
   * Returns a signed one-click unsubscribe link for the subject ({@code List-Unsubscribe}, RFC 8058).
   *
   * @param subjectId the subject
   * @return the absolute URL, built from the configured base URL
   */
  public String unsubscribeUrl(SubjectId subjectId) {
    return new Links().unsubscribeUrl(subjectId);
  }

  /**
   * Finds a subject by id.
   *
   * @param id the id
   * @return the subject, or empty
   */
  public Optional<Subject> subject(SubjectId id) {
    return store.read(tx -> tx.subject(id));
  }

  /**
   * Finds a subject by address.
   *
   * @param email the address, as typed or normalised
   * @return the subject, or empty (also for an invalid address)
   */
  public Optional<Subject> findSubject(String email) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
    return parsed.isEmpty() ? Optional.empty() : store.read(tx -> tx.subjectByEmail(parsed.get()));
  }

  /**
   * Returns a subject's consents, by purpose id.
   *
   * @param id the subject
   * @return the consents
   */
  public List<Consent> consents(SubjectId id) {
    return store.read(tx -> tx.consents(id));
  }

  /**
   * Returns a subject's consent history, oldest first: the proof (GDPR Art. 7(1)).
   *
   * @param id the subject
   * @return the events
   */
  public List<ConsentEvent> history(SubjectId id) {
    return store.read(tx -> tx.events(id));
  }

  /**
   * Verifies a subject's tamper-evident history: walks its hash chain from the first event to the recorded chain
   * head and reports the first link that does not verify. A de-identified stub left by erasure verifies too (the
   * erased details are covered by a salted digest that erasure keeps). Changes nothing; when the chain head looks
   * out of step, the check is repeated once under the subject's history lock, since an append may have committed
   * between the two reads.
   *
   * @param subjectId the subject, existing or erased
   * @return intact (also for a subject without history), or the first broken link
   */
  public HistoryVerification verifyHistory(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    HistoryVerification result = store.read(
        tx -> HistoryVerifier.verify(subjectId, tx.events(subjectId), tx.historyHead(subjectId)));
    if (result instanceof HistoryVerification.Broken b && (b.reason() == HistoryVerification.Reason.TRUNCATED
        || b.reason() == HistoryVerification.Reason.HEAD_MISMATCH)) {
      // An append may have committed between reading the events and the head: check again under the history lock.
      result = store.inTransaction(tx -> {
        tx.lockHistory(subjectId);
        return HistoryVerifier.verify(subjectId, tx.events(subjectId), tx.historyHead(subjectId));
      });
    }
    return result;
  }

  /**
   * Verifies every history in the store, erased subjects' stubs included, in batches of 200 subjects with one short
   * read per subject; for a nightly audit job. Safe to run while the service works.
   *
   * @return how much was checked and every broken history
   */
  public HistoryAudit verifyAllHistories() {
    int subjects = 0;
    long events = 0;
    List<HistoryVerification.Broken> broken = new ArrayList<>();
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = store.read(tx -> tx.historySubjects(from, 200));
      for (SubjectId id : page) {
        HistoryVerification v = verifyHistory(id);
        subjects++;
        if (v instanceof HistoryVerification.Intact i) {
          events += i.events();
        } else {
          broken.add((HistoryVerification.Broken) v);
        }
      }
      if (page.size() < 200) {
        return new HistoryAudit(subjects, events, broken);
      }
      after = page.get(page.size() - 1);
    }
  }

  /**
   * Returns subjects, newest first, for operator pages (for example an admin list with paging).
   *
   * @param offset how many to skip, 0 or more
   * @param limit the most to return, 1 to 1000
   * @return the subjects
   * @throws IllegalArgumentException if offset or limit is out of range
   */
  public List<Subject> subjects(int offset, int limit) {
    if (offset < 0 || limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("offset must be 0 or more and limit 1 to 1000, were " + offset + ", " + limit);
    }
    return store.read(tx -> tx.subjects(offset, limit));
  }

  /** Returns the number of subjects on file. */
  public long countSubjects() {
    return store.read(ConsentStore.Transaction::countSubjects);
  }

  /**
   * Returns how many outbox mails are in each state, for operators: a growing {@code QUEUED} or {@code FAILED} count
   * is the first sign of a mail server problem.
   *
   * @return the counts by status; a status without mails is absent
   */
  public java.util.Map<OutboxMail.Status, Long> outboxSummary() {
    return store.read(ConsentStore.Transaction::countMailsByStatus);
  }

  /**
   * Returns the outbox mails of a subject with their dispatch state, for operators.
   *
   * @param id the subject
   * @return the mails
   */
  public List<OutboxMail> mails(SubjectId id) {
    return store.read(tx -> tx.mails(id));
  }


  /**
   * Erases a subject (GDPR Art. 17): deletes its address, consents, requests and queued mails; keeps a keyed hash of
   * the address on the suppression list so it is never mailed or re-imported without a fresh double opt-in; keeps a
   * de-identified stub of the history (no address, no evidence) if the proof policy says so
   * ({@link Builder#erasureKeepsHistory(boolean)}). Listeners are told, with the address, so a CRM can erase too.
   *
   * @param subjectId the subject
   * @param channel who asked: the person ({@link Channel#PREFERENCE_CENTER}) or an operator
   * @return {@code true} if the subject existed and is now erased
   */
  public boolean erase(SubjectId subjectId, Channel channel) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(channel, "channel");
    List<ConsentChange> changes = new ArrayList<>();
    boolean erased = inTransactionOr(tx -> {
      changes.clear();
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      tx.lockHistory(subjectId);
      Instant now = clock.instant();
      Set<PurposeId> purposes = new TreeSet<>();
      for (Consent c : tx.consents(subjectId)) {
        if (c.state() != ConsentState.ERASED) {
          tx.appendEvent(event(subjectId, c.purpose(), ConsentEvent.Type.ERASED, now, c.requestId(), c.notice(),
              null, channel, Evidence.NONE, null));
          purposes.add(c.purpose());
        }
      }
      tx.suppress(addressKey(subject.get().email()), now);
      if (!tx.eraseSubject(subjectId, erasureKeepsHistory)) {
        // A concurrent erasure won; undo this transaction's events.
        throw new Superseded();
      }
      changes.add(new ConsentChange(ConsentChange.Type.ERASED, subjectId, subject.get().email(), purposes, now,
          channel));
      return true;
    }, Superseded.class, false);
    afterCommit(changes);
    return erased;
  }

  /**
   * Tells whether an address is on the suppression list (it was erased and has not come back through a fresh double
   * opt-in since). Such an address is never mailed except for a new confirmation request it asked for itself.
   *
   * @param email the address, as typed or normalised
   * @return whether it is suppressed; {@code false} for an invalid address
   */
  public boolean isSuppressed(String email) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
    return parsed.isPresent() && store.read(tx -> tx.isSuppressed(addressKey(parsed.get())));
  }

  /**
   * Restricts, or lifts the restriction of, processing for one confirmed purpose (GDPR Art. 18): while restricted,
   * {@link #mayMail} answers {@code false} but the consent and its proof stay.
   *
   * @param subjectId the subject
   * @param purpose the purpose
   * @param restrict {@code true} to restrict, {@code false} to lift
   * @param channel who asked
   * @return {@code true} if the flag changed; {@code false} if the consent is not confirmed or already so
   */
  public boolean restrict(SubjectId subjectId, PurposeId purpose, boolean restrict, Channel channel) {
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(channel, "channel");
    return store.inTransaction(tx -> {
      if (tx.subject(subjectId).isEmpty()) {
        return false;
      }
      tx.lockHistory(subjectId);
      Optional<Consent> c = tx.consent(subjectId, purpose);
      if (c.isEmpty() || c.get().state() != ConsentState.CONFIRMED || c.get().restricted() == restrict) {
        return false;
      }
      Instant now = clock.instant();
      tx.saveConsent(c.get().restrict(restrict));
      tx.appendEvent(event(subjectId, purpose,
          restrict ? ConsentEvent.Type.RESTRICTED : ConsentEvent.Type.RESTRICTION_LIFTED, now, c.get().requestId(),
          c.get().notice(), null, channel, Evidence.NONE, null));
      return true;
    });
  }

  /**
   * Returns a freshly signed consent receipt (GDPR Art. 7(1)) for every purpose the subject has confirmed: a compact
   * JWS (ES256) whose payload is the receipt JSON described by {@link ConsentReceipt}, verifiable by anyone with
   * {@link #receiptJwks()} through {@link ConsentReceipts#verify}. For the app's own authenticated pages and
   * operators; a person holding only a link gets it by mail ({@link #mailReceipt}).
   *
   * @param subjectId the subject
   * @return the receipt; empty if no {@link Builder#receiptKeys receipt keys} are configured, there is no such
   *     subject, or nothing is confirmed
   */
  public Optional<String> receipt(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    if (receipts == null) {
      return Optional.empty();
    }
    return store.read(tx -> tx.subject(subjectId).isEmpty() ? Optional.<String>empty()
        : receipts.issue(tx, subjectId, List.of(), clock.instant()));
  }

  /**
   * Mails the subject a receipt of everything they have confirmed to the address on file (the preference center's
   * "mail me my consent receipt"), with the signed receipt attached as {@code consent-receipt.jws} if receipt keys
   * are configured. At most 3 a day per subject.
   *
   * @param subjectId the subject
   * @return {@code true} if queued; {@code false} if there is no such subject, nothing is confirmed, or the daily cap
   *     is reached
   */
  public boolean mailReceipt(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    boolean queued = store.inTransaction(tx -> {
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      List<Consent> confirmed = tx.consents(subjectId).stream()
          .filter(c -> c.state() == ConsentState.CONFIRMED).toList();
      if (confirmed.isEmpty()) {
        return false;
      }
      Instant now = clock.instant();
      Instant dayStart = startOfDay(now);
      String prefix = "receipt-copy:" + subjectId.value() + ':' + dayStart.getEpochSecond() / 86400 + ':';
      for (int slot = 1; slot <= 3; slot++) {
        if (tx.enqueue(OutboxMail.queued(randomId(), MailKind.RECEIPT, subjectId, subject.get().email(), null, 0,
            confirmed.get(0).notice().locale(), confirmed.stream().map(Consent::purpose).toList(), prefix + slot,
            now))) {
          return true;
        }
      }
      return false;
    });
    dispatcher.wake();
    return queued;
  }

  /**
   * Returns the public keys that verify consent receipts as a JWK set (RFC 7517 section 5), for publishing at
   * {@code /.well-known/jwks.json}; {@code {"keys":[]}} if receipts are not signed.
   *
   * @return the JWK set JSON, public parts only
   */
  public String receiptJwks() {
    return receiptKeys == null ? "{\"keys\":[]}" : receiptKeys.publicJwks();
  }

  /**
   * Returns the machine-readable export of everything held about a subject (GDPR Art. 15, 20), as JSON following the
   * published schema {@code docs/export-schema.json}. For operators and the app's own authenticated pages; a person
   * holding only a link gets it by mail instead ({@link #requestDataExport}).
   *
   * @param subjectId the subject
   * @return the JSON, or empty if there is no such subject
   */
  public Optional<String> exportJson(SubjectId subjectId) {
    return store.read(tx -> tx.subject(subjectId).map(s -> DataExport.json(tx, s, clock.instant())));
  }

  /**
   * Mails the subject's data export as a JSON attachment to the address on file, never to whoever asked (security
   * rule 18: preference links get forwarded). At most 3 a day per subject.
   *
   * @param subjectId the subject
   * @return {@code true} if queued; {@code false} if there is no such subject or the daily cap is reached
   */
  public boolean requestDataExport(SubjectId subjectId) {
    boolean queued = store.inTransaction(tx -> {
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      Instant now = clock.instant();
      Instant dayStart = startOfDay(now);
      int today = tx.countMails(subject.get().email(), MailKind.DATA_EXPORT, dayStart);
      if (today >= 3) {
        return false;
      }
      List<PurposeId> purposes = tx.consents(subjectId).stream().map(Consent::purpose).toList();
      Locale locale = tx.consents(subjectId).stream().findFirst().map(c -> c.notice().locale())
          .orElse(catalog.defaultLocale());
      return tx.enqueue(OutboxMail.queued(randomId(), MailKind.DATA_EXPORT, subjectId, subject.get().email(), null, 0,
          locale, purposes, "export:" + subjectId.value() + ':' + dayStart.getEpochSecond() / 86400 + ':' + (today + 1),
          now));
    });
    dispatcher.wake();
    return queued;
  }

  /**
   * Starts a change of address (GDPR Art. 16): the new address gets its own double opt-in, and the old address keeps
   * working until the new one is confirmed through {@link #confirm}. The consents, their proof and their history stay
   * with the subject; an {@code ADDRESS_CHANGED} event per purpose records the move.
   *
   * @param subjectId the subject
   * @param newEmail the new address as typed
   * @param locale the language for the confirmation mail
   * @param evidence the request evidence as received
   * @return {@link RequestResult.Accepted} with the purposes that will move, or {@link RequestResult.InvalidAddress},
   *     {@link RequestResult.Throttled}; {@link RequestResult.AlreadyConfirmed} if the address is already the
   *     subject's
   * @throws IllegalArgumentException if there is no such subject
   */
  public RequestResult requestAddressChange(SubjectId subjectId, String newEmail, Locale locale, Evidence evidence) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(newEmail);
    if (parsed.isEmpty()) {
      return new RequestResult.InvalidAddress("invalid email address");
    }
    EmailAddress email = parsed.get();
    Locale lang = catalog.resolve(locale);
    Evidence kept = evidencePolicy.apply(evidence == null ? Evidence.NONE : evidence);
    RequestResult result = retryOnDuplicate(() -> store.inTransaction(tx -> {
      Subject subject = tx.subject(subjectId)
          .orElseThrow(() -> new IllegalArgumentException("unknown subject " + subjectId));
      if (subject.email().equals(email)) {
        return new RequestResult.AlreadyConfirmed(subjectId);
      }
      Set<PurposeId> purposes = new TreeSet<>();
      for (Consent c : tx.consents(subjectId)) {
        if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
          purposes.add(c.purpose());
        }
      }
      if (purposes.isEmpty()) {
        return new RequestResult.AlreadyConfirmed(subjectId);
      }
      Instant now = clock.instant();
      Instant dayStart = startOfDay(now);
      int today = tx.countMails(email, MailKind.ADDRESS_CONFIRMATION, dayStart);
      if (today >= maxConfirmationMailsPerDay) {
        return new RequestResult.Throttled(dayStart.plus(Duration.ofDays(1)));
      }
      Notice notice = tx.saveNotice(render(purposes, lang));
      String requestId = randomId();
      tx.insertRequest(new PendingRequest(requestId, subjectId, purposes, notice.ref(), "address-change", kept, now,
          now.plus(confirmationTtl), 1, PendingRequest.Status.OPEN, null));
      tx.saveAddressChange(requestId, email);
      enqueueOrThrottle(tx, OutboxMail.queued(randomId(), MailKind.ADDRESS_CONFIRMATION, subjectId, email, requestId,
          1, lang, List.copyOf(purposes), capKey(MailKind.ADDRESS_CONFIRMATION, email, dayStart, today + 1), now));
      return new RequestResult.Accepted(subjectId, requestId, Set.of(), Set.of(), purposes);
    }));
    dispatcher.wake();
    return result;
  }

  /**
   * Returns the operator's desk for data subjects' requests received outside the preference center, with their
   * Art. 12(3) deadlines.
   *
   * @return the desk (cheap; a new view of this service each time)
   */
  public RightsDesk rightsDesk() {
    return new RightsDesk(this, store, clock, this::randomId);
  }

  // --- re-consent after a material change -----------------------------------------------------------------------

  /**
   * Lists subjects whose confirmed consent for a purpose predates its latest material change
   * ({@link Purpose#materialVersion()}), a page at a time.
   *
   * @param purpose the purpose
   * @param after continue after this subject, or {@code null} to start
   * @param limit the page size, 1 to 10000
   * @return the subject ids
   */
  public List<SubjectId> reconsentCandidates(PurposeId purpose, SubjectId after, int limit) {
    Purpose p = catalog.require(Objects.requireNonNull(purpose, "purpose"));
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    List<SubjectId> out = new ArrayList<>();
    SubjectId from = after;
    while (out.size() < limit) {
      SubjectId start = from;
      List<SubjectId> page = store.inTransaction(tx -> {
        List<SubjectId> found = new ArrayList<>();
        for (SubjectId id : tx.subjects(Set.of(purpose), Set.of(ConsentState.CONFIRMED), start, limit)) {
          found.add(id);
        }
        return found;
      });
      for (SubjectId id : page) {
        boolean needs = store.read(tx -> tx.consents(id).stream().anyMatch(c -> c.purpose().equals(purpose)
            && c.state() == ConsentState.CONFIRMED && p.needsReconsent(c.purposeVersion())));
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

  /**
   * Asks every subject whose consent for a purpose predates its latest material change to confirm it again under
   * the current notice: one re-confirmation request and confirmation mail each, through the outbox (the per-address
   * caps apply). Their consent under the earlier version stays valid ({@link #mayMail} keeps answering yes) until
   * they confirm (the consent moves to the current version), decline (withdrawn), or the deadline passes (the purge
   * job expires it). Links in the mails live {@code confirmationTtl} as always; a person who comes later gets a fresh
   * one through {@link #resendConfirmation}. Safe to run again: subjects already asked are skipped.
   *
   * @param purpose the purpose
   * @param deadline how long the earlier consents stay valid, 1 day to 365 days
   * @return how many were asked, already asked, or throttled by the caps
   * @throws IllegalArgumentException if the purpose is unknown or never changed materially, or the deadline is out
   *     of range
   */
  public ReconsentResult requestReconsent(PurposeId purpose, Duration deadline) {
    Purpose p = catalog.require(Objects.requireNonNull(purpose, "purpose"));
    Objects.requireNonNull(deadline, "deadline");
    if (p.materialVersion() == 1) {
      throw new IllegalArgumentException("purpose " + purpose + " never changed materially (materialVersion 1)");
    }
    if (deadline.compareTo(Duration.ofDays(1)) < 0 || deadline.compareTo(Duration.ofDays(365)) > 0) {
      throw new IllegalArgumentException("deadline must be 1 to 365 days, was " + deadline);
    }
    int requested = 0;
    int alreadyAsked = 0;
    int throttled = 0;
    SubjectId after = null;
    while (true) {
      List<SubjectId> page = reconsentCandidates(purpose, after, 500);
      for (SubjectId id : page) {
        ReconsentOutcome o = inTransactionOr(tx -> askAgain(tx, id, p, deadline), CapRace.class,
            ReconsentOutcome.THROTTLED);
        switch (o) {
          case REQUESTED -> requested++;
          case ALREADY_ASKED -> alreadyAsked++;
          case THROTTLED -> throttled++;
          case NOT_NEEDED -> { }
          default -> throw new IllegalStateException(o.name());
        }
      }
      if (page.size() < 500) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    dispatcher.wake();
    return new ReconsentResult(requested, alreadyAsked, throttled);
  }

  private enum ReconsentOutcome { REQUESTED, ALREADY_ASKED, THROTTLED, NOT_NEEDED }

  private ReconsentOutcome askAgain(ConsentStore.Transaction tx, SubjectId id, Purpose p, Duration deadline) {
    Optional<Subject> subject = tx.subject(id);
    if (subject.isEmpty()) {
      return ReconsentOutcome.NOT_NEEDED;
    }
    tx.lockHistory(id);
    Optional<Consent> c = tx.consent(id, p.id());
    if (c.isEmpty() || c.get().state() != ConsentState.CONFIRMED || !p.needsReconsent(c.get().purposeVersion())) {
      return ReconsentOutcome.NOT_NEEDED;
    }
    for (PendingRequest open : tx.openRequests(id)) {
      if (PendingRequest.RECONSENT_SOURCE.equals(open.source()) && open.purposes().contains(p.id())) {
        return ReconsentOutcome.ALREADY_ASKED;
      }
    }
    Instant now = clock.instant();
    EmailAddress email = subject.get().email();
    Instant dayStart = startOfDay(now);
    int today = tx.countMails(email, MailKind.CONFIRMATION, dayStart);
    if (today >= maxConfirmationMailsPerDay) {
      return ReconsentOutcome.THROTTLED;
    }
    Locale locale = catalog.resolve(c.get().notice().locale());
    Notice notice = tx.saveNotice(render(Set.of(p.id()), locale));
    String requestId = randomId();
    tx.insertRequest(new PendingRequest(requestId, id, Set.of(p.id()), notice.ref(), PendingRequest.RECONSENT_SOURCE,
        Evidence.NONE, now, now.plus(deadline), 1, PendingRequest.Status.OPEN, null));
    tx.appendEvent(event(id, p.id(), ConsentEvent.Type.REQUESTED, now, requestId, notice.ref(),
        PendingRequest.RECONSENT_SOURCE, Channel.SYSTEM, Evidence.NONE, null));
    enqueueOrThrottle(tx, OutboxMail.queued(randomId(), MailKind.CONFIRMATION, id, email, requestId, 1, locale,
        List.of(p.id()), capKey(MailKind.CONFIRMATION, email, dayStart, today + 1), now));
    return ReconsentOutcome.REQUESTED;
  }

  // --- breach register (GDPR Art. 33-34) ------------------------------------------------------------------------

  /**
   * Records a personal data breach in the register (GDPR Art. 33(5)). The 72-hour clock of Art. 33(1) runs from
   * {@code discoveredAt}: see {@link Incident#notificationDeadline()}.
   *
   * @param discoveredAt when the controller became aware of it; not in the future
   * @param nature what happened
   * @param dataCategories the categories of personal data concerned
   * @param subjectCategories the categories of data subjects concerned
   * @param affectedPurposes the purposes whose subjects are affected, or empty for every subject on file
   * @return the recorded incident
   * @throws IllegalArgumentException if a purpose is not in the catalog, the time is in the future, or a text is
   *     invalid
   */
  public Incident recordIncident(Instant discoveredAt, String nature, List<String> dataCategories,
      List<String> subjectCategories, Set<PurposeId> affectedPurposes) {
    Objects.requireNonNull(discoveredAt, "discoveredAt");
    Objects.requireNonNull(affectedPurposes, "affectedPurposes");
    Instant now = clock.instant();
    if (discoveredAt.isAfter(now.plusSeconds(60))) {
      throw new IllegalArgumentException("discoveredAt lies in the future: " + discoveredAt);
    }
    for (PurposeId p : affectedPurposes) {
      catalog.require(p);
    }
    Incident incident = new Incident(randomId(), discoveredAt, now, nature, dataCategories, subjectCategories,
        affectedPurposes, Incident.Status.OPEN, null, null, null);
    store.inTransaction(tx -> {
      tx.saveIncident(incident);
      return null;
    });
    return incident;
  }

  /**
   * Finds an incident.
   *
   * @param id the incident id
   * @return the incident, or empty
   */
  public Optional<Incident> incident(String id) {
    return store.read(tx -> tx.incident(Objects.requireNonNull(id, "id")));
  }

  /**
   * Returns the breach register, latest discovery first.
   *
   * @return every incident
   */
  public List<Incident> incidents() {
    return store.read(ConsentStore.Transaction::incidents);
  }

  /**
   * Records that the supervisory authority was notified of an incident (Art. 33(1)).
   *
   * @param id the incident id
   * @param at when it was notified
   * @return the updated incident, or empty if there is no such incident
   */
  public Optional<Incident> markAuthorityNotified(String id, Instant at) {
    Objects.requireNonNull(at, "at");
    return updateIncident(id, i -> i.authorityNotified(at));
  }

  /**
   * Closes an incident (handled, or found not to need notification: record why in your own register notes).
   *
   * @param id the incident id
   * @return the updated incident, or empty if there is no such incident
   */
  public Optional<Incident> closeIncident(String id) {
    return updateIncident(id, i -> i.closed(clock.instant()));
  }

  private Optional<Incident> updateIncident(String id, java.util.function.UnaryOperator<Incident> change) {
    Objects.requireNonNull(id, "id");
    return store.inTransaction(tx -> tx.incident(id).map(i -> {
      Incident updated = change.apply(i);
      tx.saveIncident(updated);
      return updated;
    }));
  }

  /**
   * Lists the subjects an incident affects, a page at a time: every subject on file with a consent (in any state:
   * withdrawn ones too, as long as they were not erased) for an affected purpose, or every subject if the incident
   * affects all.
   *
   * @param incidentId the incident
   * @param after continue after this subject, or {@code null} to start
   * @param limit the page size, 1 to 10000
   * @return the subject ids
   * @throws IllegalArgumentException if there is no such incident
   */
  public List<SubjectId> affectedSubjects(String incidentId, SubjectId after, int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
    return store.inTransaction(tx -> {
      Incident incident = tx.incident(Objects.requireNonNull(incidentId, "incidentId"))
          .orElseThrow(() -> new IllegalArgumentException("unknown incident " + incidentId));
      return tx.subjects(incident.affectedPurposes(), Set.of(), after, limit);
    });
  }

  /**
   * Mails every affected subject the controller's breach notification (Art. 34) at the address on file, through the
   * outbox, whatever the state of their consent. The text is stored once with the incident. Safe to call again
   * with the same text after a crash: subjects already queued are not mailed twice.
   *
   * @param incidentId the incident
   * @param subject the subject line
   * @param text the notification in clear and plain language (Art. 34(2))
   * @return how many mails were queued by this call
   * @throws IllegalArgumentException if there is no such incident
   * @throws IllegalStateException if the incident's subjects were already notified with another text
   */
  public int notifyAffectedSubjects(String incidentId, String subject, String text) {
    Objects.requireNonNull(incidentId, "incidentId");
    Incident incident = store.inTransaction(tx -> {
      Incident i = tx.incident(incidentId)
          .orElseThrow(() -> new IllegalArgumentException("unknown incident " + incidentId));
      Incident.SubjectNotice notice = new Incident.SubjectNotice(subject, text, clock.instant());
      if (i.subjectNotice() == null) {
        i = i.withSubjectNotice(notice);
        tx.saveIncident(i);
      } else if (!i.subjectNotice().subject().equals(subject) || !i.subjectNotice().text().equals(text)) {
        throw new IllegalStateException("the subjects of incident " + incidentId + " were notified already");
      }
      return i;
    });
    int queued = 0;
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = store.read(tx -> tx.subjects(incident.affectedPurposes(), Set.of(), from,
          500));
      int n = store.inTransaction(tx -> {
        int count = 0;
        Instant now = clock.instant();
        for (SubjectId id : page) {
          Optional<Subject> s = tx.subject(id);
          if (s.isPresent() && tx.enqueue(OutboxMail.queued(randomId(), MailKind.BREACH_NOTICE, id, s.get().email(),
              incidentId, 0, catalog.defaultLocale(), List.of(), "breach:" + incidentId + ':' + id.value(), now))) {
            count++;
          }
        }
        return count;
      });
      queued += n;
      if (page.size() < 500) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    dispatcher.wake();
    return queued;
  }

  // --- the app's own mail, only with consent ---------------------------------------------------------------------

  /**
   * Sends the app's own mail for a purpose (a newsletter issue) to a list of addresses, only to those with a
   * confirmed, unrestricted consent for the purpose within its retention period, never to suppressed ones. The
   * content is stored once; one outbox mail per recipient goes out in batches over reused SMTP connections, each with
   * {@code List-Id}, {@code List-Unsubscribe} (a signed one-click link) and {@code List-Unsubscribe-Post} (RFC 2919,
   * 2369, 8058), and each checks the consent again when it is sent: whoever withdraws meanwhile gets nothing.
   *
   * @param purpose the purpose the mail is for
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @param recipients the addresses as typed; duplicates are mailed once
   * @return what was queued and refused
   * @throws IllegalArgumentException if the purpose is not in the catalog or the content is invalid
   */
  public CampaignResult send(PurposeId purpose, String subject, String text, String html,
      java.util.Collection<String> recipients) {
    Objects.requireNonNull(recipients, "recipients");
    Campaign campaign = newCampaign(purpose, subject, text, html);
    int[] counts = new int[4]; // queued, no consent, suppressed, invalid
    java.util.Set<EmailAddress> unique = new java.util.LinkedHashSet<>();
    for (String address : recipients) {
      Optional<EmailAddress> email = address == null ? Optional.empty() : EmailAddress.tryParse(address);
      if (email.isPresent()) {
        unique.add(email.get());
      } else {
        counts[3]++;
      }
    }
    List<EmailAddress> all = List.copyOf(unique);
    for (int from = 0; from < all.size(); from += 500) {
      List<EmailAddress> page = all.subList(from, Math.min(all.size(), from + 500));
      int[] c = store.inTransaction(tx -> {
        int[] n = new int[4];
        Instant now = clock.instant();
        for (EmailAddress email : page) {
          if (tx.isSuppressed(addressKey(email))) {
            n[2]++;
            continue;
          }
          Optional<Subject> s = tx.subjectByEmail(email);
          n[s.isPresent() && enqueueCampaignMail(tx, campaign, s.get(), now) ? 0 : 1]++;
        }
        return n;
      });
      for (int i = 0; i < 4; i++) {
        counts[i] += c[i];
      }
    }
    dispatcher.wake();
    return new CampaignResult(campaign.id(), counts[0], counts[1], counts[2], counts[3]);
  }

  /**
   * Sends the app's own mail for a purpose to everyone with a confirmed, unrestricted consent for it, as
   * {@link #send} does for a list.
   *
   * @param purpose the purpose
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @return what was queued
   * @throws IllegalArgumentException if the purpose is not in the catalog or the content is invalid
   */
  public CampaignResult sendToAllConfirmed(PurposeId purpose, String subject, String text, String html) {
    Campaign campaign = newCampaign(purpose, subject, text, html);
    int queued = 0;
    int refused = 0;
    SubjectId after = null;
    while (true) {
      SubjectId from = after;
      List<SubjectId> page = store.read(tx -> tx.subjects(Set.of(purpose), Set.of(ConsentState.CONFIRMED),
          from, 500));
      int[] c = store.inTransaction(tx -> {
        int[] n = new int[2];
        Instant now = clock.instant();
        for (SubjectId id : page) {
          Optional<Subject> s = tx.subject(id);
          n[s.isPresent() && enqueueCampaignMail(tx, campaign, s.get(), now) ? 0 : 1]++;
        }
        return n;
      });
      queued += c[0];
      refused += c[1];
      if (page.size() < 500) {
        break;
      }
      after = page.get(page.size() - 1);
    }
    dispatcher.wake();
    return new CampaignResult(campaign.id(), queued, refused, 0, 0);
  }

  /**
   * Tells where a campaign's mails stand.
   *
   * @param campaignId the campaign
   * @return the counts, or empty if there is no such campaign
   */
  public Optional<CampaignReport> campaignReport(String campaignId) {
    Objects.requireNonNull(campaignId, "campaignId");
    return store.read(tx -> tx.campaign(campaignId).map(c -> {
      java.util.Map<OutboxMail.Status, Integer> n = tx.countMailsByStatus(campaignId);
      return new CampaignReport(c, n.getOrDefault(OutboxMail.Status.QUEUED, 0)
          + n.getOrDefault(OutboxMail.Status.CLAIMED, 0), n.getOrDefault(OutboxMail.Status.SENT, 0),
          n.getOrDefault(OutboxMail.Status.SKIPPED, 0), n.getOrDefault(OutboxMail.Status.FAILED, 0));
    }));
  }

  private Campaign newCampaign(PurposeId purpose, String subject, String text, String html) {
    catalog.require(Objects.requireNonNull(purpose, "purpose"));
    Campaign campaign = new Campaign(randomId(), purpose, subject, text, html, clock.instant());
    store.inTransaction(tx -> {
      tx.insertCampaign(campaign);
      return null;
    });
    return campaign;
  }

  private boolean enqueueCampaignMail(ConsentStore.Transaction tx, Campaign campaign, Subject subject, Instant now) {
    Optional<Consent> c = tx.consent(subject.id(), campaign.purpose());
    if (c.isEmpty() || !isActiveAt(c.get(), catalog.require(campaign.purpose()), now)
        || tx.isSuppressed(addressKey(subject.email()))) {
      return false;
    }
    Locale locale = c.get().notice().locale();
    return tx.enqueue(OutboxMail.queued(randomId(), MailKind.CAMPAIGN, subject.id(), subject.email(), campaign.id(),
        0, locale, List.of(campaign.purpose()), "campaign:" + campaign.id() + ':' + subject.id().value(), now));
  }

  /**
   * Runs the retention job once, now: see {@link PurgeReport}. {@link #start()} also schedules it
   * ({@link Builder#retention(Duration, Duration, Duration)}); it is safe to run on every node at once.
   *
   * @return what was done
   */
  public PurgeReport purge() {
    return purger.run();
  }

  /**
   * Runs the retention policy for one consent now: a confirmed consent of a fixed-retention purpose whose period has
   * run out counts as not active, even before a purge job marks it expired.
   */
  private static boolean isActiveAt(Consent c, Purpose p, Instant now) {
    if (!c.isActive()) {
      return false;
    }
    if (p.retention() instanceof Retention.Fixed f) {
      return now.isBefore(c.confirmedAt().plus(f.period()));
    }
    return true;
  }

  /**
   * Sends the mails that are due now, on the calling thread, in batches until none is due; for tests, command-line
   * tools and apps that schedule dispatch themselves.
   *
   * @return what was done
   */
  public DispatchReport dispatchNow() {
    return dispatcher.drain();
  }

  /**
   * Starts the background outbox dispatcher. Idempotent.
   *
   * @return this
   */
  public synchronized OptIn start() {
    dispatcher.start();
    if (purgeSchedule == null && !purgeInterval.isZero()) {
      purgeSchedule = notifier.executor().scheduleWithFixedDelay(this::purgeSafely, purgeInterval.toMillis(),
          purgeInterval.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private void purgeSafely() {
    try {
      purger.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "retention run failed: " + e.getClass().getName());
    }
  }

  /**
   * Stops the dispatcher and listener retries, waiting briefly for a batch in flight. Mails not yet sent stay in the
   * outbox for the next start (or another node). Idempotent.
   */
  @Override
  public void close() {
    dispatcher.close();
    if (purgeSchedule != null) {
      purgeSchedule.cancel(false);
    }
    notifier.close();
  }

  @Override
  public String toString() {
    return "OptIn[catalog=" + catalog + ", baseUrl=" + baseUrl + "]";
  }

  // --- internals -----------------------------------------------------------------------------------------------

  private static final int KNOWN_NOTICES = 512;

  private static String noticeKey(List<Purpose> ordered, Locale locale) {
    StringBuilder key = new StringBuilder(locale.toLanguageTag());
    for (Purpose p : ordered) {
      key.append(' ').append(p.id().value());
    }
    return key.toString();
  }

  /** The stored notice with this hash if it is what this instance renders today for its purposes and language. */
  private Optional<Notice> currentNotice(ConsentStore.Transaction tx, String hash) {
    Notice known = noticesByHash.get(hash);
    if (known != null) {
      return Optional.of(known);
    }
    Optional<Notice> stored = tx.notice(hash)
        .filter(n -> render(n.purposes(), n.locale()).hash().equals(n.hash()));
    stored.ifPresent(n -> remember(noticeKey(notices.ordered(Set.copyOf(n.purposes())), n.locale()), n));
    return stored;
  }

  private Notice remember(String key, Notice stored) {
    if (noticesByHash.size() < KNOWN_NOTICES) {
      noticesByHash.putIfAbsent(stored.hash(), stored);
      noticesByKey.putIfAbsent(key, stored);
    }
    return stored;
  }

  private Notice render(java.util.Collection<PurposeId> purposes, Locale locale) {
    if (purposes.isEmpty()) {
      throw new IllegalArgumentException("a notice covers at least one purpose");
    }
    String text = notices.render(purposes, locale);
    // version 1 is a placeholder: the store assigns the real version for the notice key.
    return new Notice(1, Notice.sha256(text), locale, List.copyOf(purposes), text, clock.instant());
  }

  private final class Links implements OutboxDispatcher.LinkFactory {
    @Override
    public String confirmUrl(SubjectId subjectId, String requestId, int generation, Instant expiresAt) {
      Duration ttl = Duration.between(clock.instant(), expiresAt);
      if (ttl.isNegative() || ttl.isZero()) {
        ttl = Duration.ofSeconds(1);
      }
      // A re-confirmation request may stay open for weeks; its links still live no longer than confirmationTtl
      // (security rule 5), and the person gets a fresh one through resendConfirmation.
      if (ttl.compareTo(confirmationTtl) > 0) {
        ttl = confirmationTtl;
      }
      String t = tokens.issue(TokenKind.CONFIRM, new TokenClaims(subjectId, requestId, generation), ttl).token();
      return baseUrl + "/confirm?token=" + encode(t);
    }

    @Override
    public String preferencesUrl(SubjectId subjectId) {
      String t = tokens.issue(TokenKind.MANAGE, new TokenClaims(subjectId, null, 0), preferencesTtl).token();
      return baseUrl + "/preferences?token=" + encode(t);
    }

    @Override
    public String listId(PurposeId purpose) {
      Purpose p = catalog.require(purpose);
      String title = p.text(catalog.defaultLocale()).map(PurposeText::title)
          .filter(t -> t.matches("[\\x20-\\x7E&&[^\"\\\\]]{1,100}")).orElse(purpose.value());
      // RFC 2919: the phrase is ASCII here (an encoded word would also swallow the <list-id>).
      return '"' + title + "\" <" + purpose.value() + "." + URI.create(baseUrl).getHost() + ">";
    }

    @Override
    public String unsubscribeUrl(SubjectId subjectId) {
      String t = tokens.issue(TokenKind.UNSUBSCRIBE, new TokenClaims(subjectId, null, 0), unsubscribeTtl).token();
      return baseUrl + "/unsubscribe?token=" + encode(t);
    }
  }


  private ConfirmationResult confirmAddressChange(ConsentStore.Transaction tx, PendingRequest r, EmailAddress email,
      Instant now, Evidence kept, String jti, List<ConsentChange> changes) {
    Optional<Subject> other = tx.subjectByEmail(email);
    if (other.isPresent() && !other.get().id().equals(r.subjectId())) {
      // The address belongs to another subject by now; merging two people's proof is not ours to decide.
      throw new Superseded();
    }
    Subject subject = tx.subject(r.subjectId()).orElseThrow(() -> new StoreException("subject missing"));
    tx.updateSubject(new Subject(subject.id(), email, subject.createdAt()));
    tx.unsuppress(addressKey(email));
    List<Consent> moved = new ArrayList<>();
    for (Consent c : tx.consents(r.subjectId())) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        tx.appendEvent(event(r.subjectId(), c.purpose(), ConsentEvent.Type.ADDRESS_CHANGED, now, r.id(), c.notice(),
            r.source(), Channel.CONFIRMATION_LINK, kept, jti));
        moved.add(c);
      }
    }
    tx.updateRequest(r.withStatus(PendingRequest.Status.CONFIRMED, now));
    changes.add(new ConsentChange(ConsentChange.Type.ADDRESS_CHANGED, subject.id(), email,
        moved.stream().map(Consent::purpose).collect(java.util.stream.Collectors.toSet()), now,
        Channel.CONFIRMATION_LINK));
    return new ConfirmationResult.Confirmed(r.subjectId(), moved);
  }

  /** HMAC-SHA256 of the normalised address under the pepper: a plain hash of an address is easily reversed. */
  private String addressKey(EmailAddress email) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(pepper);
      return java.util.HexFormat.of().formatHex(mac.doFinal(email.value().getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
    }
  }

  private static Instant startOfDay(Instant now) {
    return now.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  private static String encode(String token) {
    return URLEncoder.encode(token, StandardCharsets.UTF_8);
  }

  private Optional<SubjectId> verifySubjectToken(TokenKind kind, String token) {
    if (!(tokens.verify(kind, token) instanceof TokenCheck.Valid v)) {
      return Optional.empty();
    }
    SubjectId id = v.claims().subject();
    return store.read(tx -> tx.subject(id)).map(Subject::id);
  }

  private static TokenClaims claimsOf(TokenCheck check) {
    if (check instanceof TokenCheck.Valid v) {
      return v.claims();
    }
    if (check instanceof TokenCheck.Expired e) {
      return e.claims();
    }
    return null;
  }

  private static List<PurposeId> pendingPurposesOf(ConsentStore.Transaction tx, PendingRequest r) {
    List<PurposeId> out = new ArrayList<>();
    for (PurposeId p : new TreeSet<>(r.purposes())) {
      tx.consent(r.subjectId(), p)
          .filter(c -> awaits(c, r))
          .ifPresent(c -> out.add(p));
    }
    return out;
  }

  /**
   * Tells whether a consent waits for a request's confirmation: pending on it, or (for a re-confirmation request)
   * still confirmed under an earlier request.
   */
  private static boolean awaits(Consent c, PendingRequest r) {
    if (c.state() == ConsentState.PENDING) {
      return c.requestId().equals(r.id());
    }
    return c.state() == ConsentState.CONFIRMED && PendingRequest.RECONSENT_SOURCE.equals(r.source())
        && !c.requestId().equals(r.id());
  }

  /** Marks older open requests superseded once none of their pending consents points to them any more. */
  private static void supersedeCoveredRequests(
      ConsentStore.Transaction tx, SubjectId subjectId, String newRequestId, Instant now) {
    for (PendingRequest open : tx.openRequests(subjectId)) {
      if (!open.id().equals(newRequestId) && pendingPurposesOf(tx, open).isEmpty()) {
        tx.updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, now));
      }
    }
  }

  /**
   * The dedupe key of a confirmation mail is its slot in the address's daily cap, so the store's unique constraint
   * enforces the cap even when two nodes count at the same moment (issue: caps hold across nodes).
   */
  private static String capKey(MailKind kind, EmailAddress email, Instant dayStart, int slot) {
    return kind.name().toLowerCase(Locale.ROOT) + ':' + Notice.sha256(email.value()).substring(0, 32) + ':'
        + dayStart.getEpochSecond() / 86400 + ':' + slot;
  }

  /** The purposes a confirmation link would confirm now: an address change moves them all. */
  private static List<PurposeId> purposesToConfirm(ConsentStore.Transaction tx, PendingRequest r) {
    if (tx.addressChange(r.id()).isPresent()) {
      return List.copyOf(new TreeSet<>(r.purposes()));
    }
    return pendingPurposesOf(tx, r);
  }

  private static void enqueueOrThrottle(ConsentStore.Transaction tx, OutboxMail mail) {
    if (!tx.enqueue(mail)) {
      throw new CapRace();
    }
  }

  private RequestResult retryOnDuplicate(java.util.function.Supplier<RequestResult> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return work.get();
      } catch (DuplicateKeyException e) {
        // A concurrent request created the same subject first; run again and find it.
        if (attempt == 3) {
          throw e;
        }
      } catch (CapRace e) {
        return new RequestResult.Throttled(clock.instant().plus(minConfirmationMailInterval));
      } catch (SubjectGone e) {
        if (attempt == 3) {
          throw new StoreException("the subject kept disappearing while a signup ran; try again");
        }
      }
    }
  }

  private <T> T inTransactionOr(java.util.function.Function<ConsentStore.Transaction, T> work,
      Class<? extends RuntimeException> rollbackSignal, T onSignal) {
    try {
      return store.inTransaction(work);
    } catch (RuntimeException e) {
      if (rollbackSignal.isInstance(e)) {
        return onSignal;
      }
      throw e;
    }
  }

  private ConsentEvent event(SubjectId subject, PurposeId purpose, ConsentEvent.Type type, Instant at,
      String requestId, Consent.NoticeRef notice, String source, Channel channel, Evidence evidence, String tokenId) {
    return new ConsentEvent(0, subject, purpose, type, at, requestId, notice, source, channel, evidence, tokenId);
  }

  private String randomId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private void afterCommit(List<ConsentChange> changes) {
    for (ConsentChange c : changes) {
      notifier.publish(c);
    }
    dispatcher.wake();
  }

  /** Rolls back a confirmation whose request was superseded in the meantime. */
  private static final class Superseded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Superseded() {
      super(null, null, false, false);
    }
  }

  /** Rolls back a signup whose subject was deleted (by the retention job) between its lookup and its lock. */
  private static final class SubjectGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SubjectGone() {
      super(null, null, false, false);
    }
  }

  /** Rolls back a request that lost the race for a cap slot to a concurrent request. */
  private static final class CapRace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CapRace() {
      super(null, null, false, false);
    }
  }

  /**
   * Builds an {@link OptIn}. {@link #build()} checks every setting and names all missing or invalid ones at once.
   * Not thread-safe.
   */
  public static final class Builder {
    private PurposeCatalog catalog;
    private Controller controller;
    private ConsentStore store;
    private Mailer mailer;
    private MailTemplates templates = new DefaultMailTemplates();
    private SigningKeys signingKeys;
    private String baseUrl;
    private String issuer;
    private Clock clock = Clock.systemUTC();
    private SecureRandom random = new SecureRandom();
    private EvidencePolicy evidencePolicy = EvidencePolicy.TRUNCATED;
    private Duration confirmationTtl = Duration.ofHours(48);
    private Duration preferencesTtl = Duration.ofDays(90);
    private Duration unsubscribeTtl = Duration.ofDays(365);
    private int maxConfirmationMailsPerDay = 3;
    private Duration minConfirmationMailInterval = Duration.ofMinutes(2);
    private final List<ConsentListener> listeners = new ArrayList<>();
    private BiConsumer<ConsentChange, Exception> listenerFailureHandler = (change, e) -> { };
    private int listenerAttempts = 5;
    private Duration listenerBackoff = Duration.ofSeconds(1);
    private Duration dispatchInterval = Duration.ofSeconds(2);
    private int dispatchBatchSize = 50;
    private Duration dispatchLease = Duration.ofMinutes(2);
    private Duration retryBackoff = Duration.ofSeconds(30);
    private Duration maxRetryBackoff = Duration.ofHours(1);
    private int maxSendAttempts = 12;
    private byte[] suppressionPepper;
    private ReceiptKeys receiptKeys;
    private String jurisdiction = "EU";
    private boolean erasureKeepsHistory = true;
    private Duration unconfirmedGrace = Duration.ofDays(7);
    private Duration outboxRetention = Duration.ofDays(30);
    private Duration purgeInterval = Duration.ofHours(1);
    private final List<String> problems = new ArrayList<>();

    private Builder() {}

    /**
     * Sets the purposes (required).
     *
     * @param catalog the catalog
     * @return this builder
     */
    public Builder catalog(PurposeCatalog catalog) {
      this.catalog = catalog;
      return this;
    }

    /**
     * Sets the controller named in notices and mails (required).
     *
     * @param controller the controller
     * @return this builder
     */
    public Builder controller(Controller controller) {
      this.controller = controller;
      return this;
    }

    /**
     * Sets the consent store (required): {@code InMemoryConsentStore} for tests and demos, {@code JdbcConsentStore}
     * for real deployments.
     *
     * @param store the store
     * @return this builder
     */
    public Builder store(ConsentStore store) {
      this.store = store;
      return this;
    }

    /**
     * Sets the mailer (required), typically {@code SmtpMailer}.
     *
     * @param mailer the mailer
     * @return this builder
     */
    public Builder mailer(Mailer mailer) {
      this.mailer = mailer;
      return this;
    }

    /**
     * Replaces the mail templates (default: {@link DefaultMailTemplates}, en/nl/de/fr).
     *
     * @param templates the templates
     * @return this builder
     */
    public Builder templates(MailTemplates templates) {
      this.templates = templates;
      return this;
    }

    /**
     * Sets the keys that sign links (required).
     *
     * @param keys the key ring
     * @return this builder
     */
    public Builder signingKeys(SigningKeys keys) {
      this.signingKeys = keys;
      return this;
    }

    /**
     * Sets the absolute base URL of the pages links point to, for example {@code https://shop.example/optin}
     * (required). Links are always built from it, never from a request's Host header (security rule 10). It must be
     * https, except for {@code localhost} and loopback addresses during development.
     *
     * @param url the base URL, without trailing slash, query or fragment
     * @return this builder
     */
    public Builder baseUrl(String url) {
      this.baseUrl = url;
      return this;
    }

    /**
     * Sets the token issuer ({@code iss}); defaults to the base URL.
     *
     * @param issuer the issuer
     * @return this builder
     */
    public Builder issuer(String issuer) {
      this.issuer = issuer;
      return this;
    }

    /**
     * Sets the clock (default: system UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * Sets the source of randomness for ids and tokens (default: a new {@link SecureRandom}).
     *
     * @param random the source
     * @return this builder
     */
    public Builder random(SecureRandom random) {
      this.random = random;
      return this;
    }

    /**
     * Sets how much request evidence is kept (default: {@link EvidencePolicy#TRUNCATED}).
     *
     * @param policy the policy
     * @return this builder
     */
    public Builder evidencePolicy(EvidencePolicy policy) {
      this.evidencePolicy = policy;
      return this;
    }

    /**
     * Sets how long a confirmation link works (default 48 hours; 1 to 72 hours).
     *
     * @param ttl the lifetime
     * @return this builder
     */
    public Builder confirmationTtl(Duration ttl) {
      this.confirmationTtl = ttl;
      return this;
    }

    /**
     * Sets how long a preference center link works (default 90 days).
     *
     * @param ttl the lifetime
     * @return this builder
     */
    public Builder preferencesTtl(Duration ttl) {
      this.preferencesTtl = ttl;
      return this;
    }

    /**
     * Sets how long a one-click unsubscribe link works (default 365 days; at least 30, because mailbox providers
     * show the unsubscribe button on old mails too).
     *
     * @param ttl the lifetime
     * @return this builder
     */
    public Builder unsubscribeTtl(Duration ttl) {
      this.unsubscribeTtl = ttl;
      return this;
    }

    /**
     * Sets the per-address caps on confirmation mails (default: 3 per UTC day, at least 2 minutes apart). They
     * protect the owners of addresses typed into a form by someone else (list bombing, security rule 11) and hold
     * across restarts and nodes because they are counted in the store.
     *
     * @param perDay at most this many per UTC day, 1 to 20
     * @param minInterval at least this long between two, zero to 1 hour
     * @return this builder
     */
    public Builder confirmationMailCap(int perDay, Duration minInterval) {
      this.maxConfirmationMailsPerDay = perDay;
      this.minConfirmationMailInterval = minInterval;
      return this;
    }

    /**
     * Adds a listener told about committed changes.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(ConsentListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * Sets what happens when a listener still fails after its retries (default: only the log, at ERROR, without
     * personal data).
     *
     * @param handler called with the change and the last failure
     * @return this builder
     */
    public Builder listenerFailureHandler(BiConsumer<ConsentChange, Exception> handler) {
      this.listenerFailureHandler = handler;
      return this;
    }

    /**
     * Sets listener retries (default: 5 attempts, backoff from 1 second, doubling).
     *
     * @param attempts total attempts, 1 to 20
     * @param firstBackoff the first wait, doubling after each failure
     * @return this builder
     */
    public Builder listenerRetries(int attempts, Duration firstBackoff) {
      this.listenerAttempts = attempts;
      this.listenerBackoff = firstBackoff;
      return this;
    }

    /**
     * Sets the outbox dispatcher's rhythm (default: every 2 seconds, 50 mails a batch, 2 minute lease). The lease
     * is how long a claimed batch is reserved; a node that dies mid-send leaves its claim to expire, and the mail goes
     * out later from any node.
     *
     * @param interval how often to look for due mail
     * @param batchSize at most this many mails per batch (one SMTP connection), 1 to 1000
     * @param lease how long a claim holds
     * @return this builder
     */
    public Builder dispatch(Duration interval, int batchSize, Duration lease) {
      this.dispatchInterval = interval;
      this.dispatchBatchSize = batchSize;
      this.dispatchLease = lease;
      return this;
    }

    /**
     * Sets retries of transient mail failures (default: from 30 seconds, doubling with jitter, at most 1 hour apart,
     * 12 attempts in all; then the mail is marked failed).
     *
     * @param first the first wait
     * @param max the longest wait
     * @param maxAttempts attempts in all, 1 to 100
     * @return this builder
     */
    public Builder sendRetries(Duration first, Duration max, int maxAttempts) {
      this.retryBackoff = first;
      this.maxRetryBackoff = max;
      this.maxSendAttempts = maxAttempts;
      return this;
    }

    /**
     * Sets the secret pepper of the suppression list's keyed hashes (at least 32 random bytes, required). Keep it
     * stable and secret: a new pepper makes every earlier suppression entry unrecognisable (security rule 20).
     *
     * @param pepper the secret
     * @return this builder
     */
    public Builder suppressionPepper(byte[] pepper) {
      this.suppressionPepper = pepper == null ? null : pepper.clone();
      return this;
    }

    /**
     * Sets the EC P-256 keys that sign consent receipts (optional). With them, every receipt mail carries the signed
     * receipt as {@code consent-receipt.jws}, {@link OptIn#receipt} signs one on request and {@link
     * OptIn#receiptJwks()} publishes the public keys. <b>Without them no receipt is signed</b>: receipt mails still
     * go out (listing what was agreed to), {@code receipt(...)} answers empty and the key set is empty. Optional so
     * that an app can adopt receipts when it has a place to keep a private key; the proof in the store does not
     * depend on them.
     *
     * @param keys the keys, or {@code null} for none
     * @return this builder
     */
    public Builder receiptKeys(ReceiptKeys keys) {
      this.receiptKeys = keys;
      return this;
    }

    /**
     * Sets the jurisdiction named in consent receipts (default {@code EU}), for example {@code EU/NL}.
     *
     * @param jurisdiction one line of text
     * @return this builder
     */
    public Builder jurisdiction(String jurisdiction) {
      this.jurisdiction = jurisdiction;
      return this;
    }

    /**
     * Sets whether erasure keeps a de-identified stub of the consent history (no address, no evidence) as proof that
     * consents existed and ended (default: yes). Set {@code false} if your proof policy needs nothing after erasure.
     *
     * @param keep whether to keep the stub
     * @return this builder
     */
    public Builder erasureKeepsHistory(boolean keep) {
      this.erasureKeepsHistory = keep;
      return this;
    }

    /**
     * Sets retention of the library's own data (defaults: unconfirmed signups are deleted 7 days after their link
     * expired; finished outbox rows after 30 days; the job runs hourly once started, {@code Duration.ZERO} to
     * schedule it yourself through {@link OptIn#purge()}).
     *
     * @param unconfirmedGrace how long after expiry an unconfirmed signup is kept, 0 to 90 days
     * @param outboxRetention how long sent, failed and skipped mails are kept, 1 to 365 days
     * @param interval how often the job runs after {@link OptIn#start()}, or zero for never
     * @return this builder
     */
    public Builder retention(Duration unconfirmedGrace, Duration outboxRetention, Duration interval) {
      this.unconfirmedGrace = unconfirmedGrace;
      this.outboxRetention = outboxRetention;
      this.purgeInterval = interval;
      return this;
    }

    /**
     * Builds the service. The dispatcher does not run until {@link OptIn#start()}.
     *
     * @return the service
     * @throws ConfigurationException naming every missing or invalid setting
     */
    public OptIn build() {
      problems.clear();
      required(catalog, "catalog");
      required(controller, "controller");
      required(store, "store");
      required(mailer, "mailer");
      required(templates, "templates");
      required(signingKeys, "signingKeys");
      required(clock, "clock");
      required(random, "random");
      required(evidencePolicy, "evidencePolicy");
      required(listenerFailureHandler, "listenerFailureHandler");
      checkBaseUrl();
      range(confirmationTtl, "confirmationTtl", Duration.ofHours(1), Duration.ofHours(72));
      range(preferencesTtl, "preferencesTtl", Duration.ofHours(1), Duration.ofDays(3660));
      range(unsubscribeTtl, "unsubscribeTtl", Duration.ofDays(30), Duration.ofDays(3660));
      range(minConfirmationMailInterval, "confirmationMailCap minInterval", Duration.ZERO, Duration.ofHours(1));
      if (maxConfirmationMailsPerDay < 1 || maxConfirmationMailsPerDay > 20) {
        problems.add("confirmationMailCap perDay must be 1 to 20, was " + maxConfirmationMailsPerDay);
      }
      range(listenerBackoff, "listenerRetries firstBackoff", Duration.ZERO, Duration.ofHours(1));
      if (listenerAttempts < 1 || listenerAttempts > 20) {
        problems.add("listenerRetries attempts must be 1 to 20, was " + listenerAttempts);
      }
      range(dispatchInterval, "dispatch interval", Duration.ofMillis(10), Duration.ofHours(1));
      range(dispatchLease, "dispatch lease", Duration.ofSeconds(10), Duration.ofHours(1));
      if (dispatchBatchSize < 1 || dispatchBatchSize > 1000) {
        problems.add("dispatch batchSize must be 1 to 1000, was " + dispatchBatchSize);
      }
      range(retryBackoff, "sendRetries first", Duration.ofMillis(1), Duration.ofDays(1));
      range(maxRetryBackoff, "sendRetries max", Duration.ofMillis(1), Duration.ofDays(7));
      if (retryBackoff != null && maxRetryBackoff != null && maxRetryBackoff.compareTo(retryBackoff) < 0) {
        problems.add("sendRetries max must not be shorter than first");
      }
      if (maxSendAttempts < 1 || maxSendAttempts > 100) {
        problems.add("sendRetries maxAttempts must be 1 to 100, was " + maxSendAttempts);
      }
      if (suppressionPepper == null) {
        problems.add("suppressionPepper is required");
      } else if (suppressionPepper.length < 32) {
        problems.add("suppressionPepper must have at least 256 bits, had " + suppressionPepper.length * 8);
      }
      if (jurisdiction == null || jurisdiction.isBlank() || jurisdiction.length() > 100
          || jurisdiction.chars().anyMatch(Character::isISOControl)) {
        problems.add("jurisdiction must be one line of 1 to 100 characters");
      }
      range(unconfirmedGrace, "retention unconfirmedGrace", Duration.ZERO, Duration.ofDays(90));
      range(outboxRetention, "retention outboxRetention", Duration.ofDays(1), Duration.ofDays(365));
      range(purgeInterval, "retention interval", Duration.ZERO, Duration.ofDays(7));
      if (!problems.isEmpty()) {
        throw new ConfigurationException(List.copyOf(problems));
      }
      return new OptIn(this);
    }

    private void required(Object value, String name) {
      if (value == null) {
        problems.add(name + " is required");
      }
    }

    private void range(Duration d, String name, Duration min, Duration max) {
      if (d == null) {
        problems.add(name + " is required");
      } else if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        problems.add(name + " must be between " + min + " and " + max + ", was " + d);
      }
    }

    private void checkBaseUrl() {
      if (baseUrl == null) {
        problems.add("baseUrl is required");
        return;
      }
      URI uri;
      try {
        uri = new URI(baseUrl);
      } catch (java.net.URISyntaxException e) {
        problems.add("baseUrl is not a valid URI: " + baseUrl);
        return;
      }
      String host = uri.getHost();
      boolean local = host != null
          && (host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]"));
      if (!uri.isAbsolute() || host == null) {
        problems.add("baseUrl must be absolute, was " + baseUrl);
      } else if (!"https".equals(uri.getScheme()) && !(local && "http".equals(uri.getScheme()))) {
        problems.add("baseUrl must use https (http only for localhost), was " + baseUrl);
      } else if (uri.getQuery() != null || uri.getFragment() != null || baseUrl.endsWith("/")) {
        problems.add("baseUrl must have no query, fragment or trailing slash, was " + baseUrl);
      }
    }
  }
}
