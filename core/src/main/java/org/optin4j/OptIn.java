package org.optin4j;

import static org.optin4j.internal.ServiceCore.enqueueOrThrottle;
import static org.optin4j.internal.ServiceCore.isActiveAt;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.optin4j.breach.BreachRegister;
import org.optin4j.campaign.Campaigns;
import org.optin4j.internal.ConfirmationMailCap;
import org.optin4j.internal.HistoryChain;
import org.optin4j.internal.ListenerNotifier;
import org.optin4j.internal.NoticeRenderer;
import org.optin4j.internal.OutboxDispatcher;
import org.optin4j.internal.Purger;
import org.optin4j.internal.ReceiptIssuer;
import org.optin4j.internal.ServiceCore;
import org.optin4j.internal.TokenCheck;
import org.optin4j.internal.TokenClaims;
import org.optin4j.internal.TokenKind;
import org.optin4j.internal.TokenService;
import org.optin4j.keys.ReceiptKeys;
import org.optin4j.keys.SigningKeys;
import org.optin4j.mail.DefaultMailTemplates;
import org.optin4j.operations.Operations;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.ConsentProof;
import org.optin4j.rights.RightsDesk;
import org.optin4j.rights.SubjectRights;
import org.optin4j.spi.CapKeyStrategy;
import org.optin4j.spi.ConfirmationView;
import org.optin4j.spi.ConsentListener;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.MailTemplates;
import org.optin4j.spi.Mailer;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;
import org.optin4j.spi.RequestAndChange;
import org.optin4j.spi.WithSuppression;

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
 * <p>This class holds the consent flow. The secondary capabilities are facets reached from it, each created once
 * with the service and sharing its store, clock and outbox: {@link #breaches()} (Art. 33-34), {@link #campaigns()}
 * (the app's own mail, only with consent; re-confirmation), {@link #rights()} (Art. 15-21), {@link #proof()}
 * (Art. 7(1)), {@link #operations()} (operator pages, retention, dispatch) and {@link #rightsDesk()}.
 *
 * <p>Build one with {@link #builder()}, call {@link #start()} to run the outbox dispatcher in the background (or
 * {@link Operations#dispatchNow()} yourself), and {@link #close()} it on shutdown. Instances are immutable apart
 * from that life cycle, and thread-safe.
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
  private final String baseUrl;
  private final ListenerNotifier notifier;
  private final OutboxDispatcher dispatcher;
  private final Purger purger;
  private final Duration purgeInterval;
  private final OptInMetrics metrics;

  /** What the facets share with this class: collaborators and the helpers of every unit of work. */
  private final ServiceCore core;

  private final BreachRegister breaches;
  private final Campaigns campaigns;
  private final SubjectRights rights;
  private final ConsentProof proof;
  private final Operations operations;
  private final org.optin4j.feed.Feed feed;
  private final org.optin4j.internal.WebhookDispatcher webhookDispatcher;
  private final org.optin4j.feed.Webhooks webhooks;
  private final org.optin4j.lists.Imports imports;
  private final org.optin4j.lists.Bounces bounces;
  private final RightsDesk rightsDesk;

  /**
   * Stored notices: by purposes and language the one this instance renders today, and by hash every one it stored or
   * read. Notices are immutable and never deleted, and the catalog of an instance does not change, so an entry stays
   * valid: a form view and its signup then need neither a notice read nor a render. Only notices of the store get in,
   * so the maps are bounded by the catalog's purpose sets, languages and versions, and capped besides.
   */
  private final Map<String, Notice> noticesByHash = new ConcurrentHashMap<>();

  private final Map<String, Notice> noticesByKey = new ConcurrentHashMap<>();

  /** The information page stored for each language of the catalog; immutable, so kept like notices. */
  private final Map<Locale, InformationPage> informationByLanguage = new ConcurrentHashMap<>();

  private volatile java.util.concurrent.ScheduledFuture<?> purgeSchedule;

  /** This node's entry in the store's node register, so that nodes sharing the store agree on valid links. */
  private final org.optin4j.internal.NodeAgreement agreement;

  private volatile java.util.concurrent.ScheduledFuture<?> heartbeat;

  private OptIn(Builder b) {
    this.catalog = b.catalog;
    this.controller = b.controller;
    this.metrics = org.optin4j.internal.GuardedMetrics.of(b.metrics);
    // Units of work that queue mail go through this store; the dispatcher and the retention job
    // queue none.
    this.store = org.optin4j.internal.MeteredStore.of(b.store, metrics);
    this.clock = b.clock;
    this.random = b.random;
    this.evidencePolicy = b.evidencePolicy;
    this.confirmationTtl = b.confirmationTtl;
    this.preferencesTtl = b.preferencesTtl;
    this.unsubscribeTtl = b.unsubscribeTtl;
    this.baseUrl = b.baseUrl;
    this.notices = new NoticeRenderer(b.catalog, b.controller);
    // The iss of this node's tokens and receipts: the base URL unless set.
    String issuer = b.issuer == null ? b.baseUrl : b.issuer;
    this.tokens = new TokenService(b.signingKeys, issuer, b.acceptedIssuers, b.clock, b.random);
    this.notifier =
        new ListenerNotifier(
            List.copyOf(b.listeners),
            b.listenerFailureHandler,
            b.listenerAttempts,
            b.listenerBackoff);
    OutboxDispatcher.Settings settings =
        new OutboxDispatcher.Settings(
            b.dispatchInterval,
            b.dispatchBatchSize,
            b.dispatchLease,
            b.retryBackoff,
            b.maxRetryBackoff,
            b.maxSendAttempts,
            b.sendingRate);
    javax.crypto.spec.SecretKeySpec pepper =
        new javax.crypto.spec.SecretKeySpec(b.suppressionPepper, "HmacSHA256");
    org.optin4j.internal.KeyedHmac pepperHmac = org.optin4j.internal.KeyedHmac.of(pepper);
    org.optin4j.internal.AddressKeys addressKeys = new org.optin4j.internal.AddressKeys(pepperHmac);
    org.optin4j.internal.VerpAddress verp =
        b.bounceDomain == null
            ? null
            : new org.optin4j.internal.VerpAddress(b.bounceLocalPart, b.bounceDomain, pepper);
    ReceiptIssuer receipts =
        b.receiptKeys == null
            ? null
            : new ReceiptIssuer(
                b.receiptKeys, b.jurisdiction, issuer, b.controller, b.catalog, b.baseUrl);
    this.dispatcher =
        new OutboxDispatcher(
            b.store,
            b.mailer,
            b.templates,
            new Links(),
            catalog,
            controller,
            clock,
            random,
            settings,
            notifier.executor(),
            addressKeys::of,
            (tx, mail, now) ->
                receipts == null
                    ? Optional.empty()
                    : receipts.issue(tx, mail.subjectId(), mail.purposes(), now),
            mailId -> OutboxDispatcher.messageKey(pepperHmac, mailId),
            verp == null ? mail -> Optional.empty() : mail -> verp.of(mail.subjectId(), mail.id()),
            metrics);
    this.purgeInterval = b.purgeInterval;
    this.purger =
        new Purger(
            b.store,
            catalog,
            clock,
            b.unconfirmedGrace,
            b.outboxRetention,
            ServiceCore.NOT_ME_TTL,
            b.feedRetention,
            notifier::publish,
            metrics);
    this.core =
        new ServiceCore(
            catalog,
            store,
            clock,
            random,
            evidencePolicy,
            confirmationTtl,
            new ConfirmationMailCap(
                b.maxConfirmationMailsPerDay, b.minConfirmationMailInterval, b.capKeyStrategy),
            notices,
            addressKeys,
            b.receiptKeys,
            receipts,
            b.erasureKeepsHistory,
            notifier,
            dispatcher,
            purger,
            tokens,
            b.stepUpTtl,
            b.mailer.sendsSmtpUtf8(),
            metrics);
    this.breaches = new org.optin4j.internal.StoredBreachRegister(core);
    this.campaigns = new org.optin4j.internal.StoredCampaigns(core);
    this.rights = new org.optin4j.internal.StoredSubjectRights(core);
    this.proof = new org.optin4j.internal.StoredConsentProof(core);
    this.operations = new org.optin4j.internal.StoredOperations(core);
    this.feed = new org.optin4j.internal.StoredFeed(core.store());
    org.optin4j.internal.WebhookSecretSeal seal =
        new org.optin4j.internal.WebhookSecretSeal(pepper, random);
    this.webhookDispatcher =
        new org.optin4j.internal.WebhookDispatcher(b.store, clock, random, b.webhookSettings, seal);
    this.webhooks =
        new org.optin4j.internal.StoredWebhooks(
            b.store, clock, random, seal, webhookDispatcher, b.webhookSettings.allowLoopbackHttp());
    this.imports = new org.optin4j.internal.StoredImports(core);
    this.bounces = new org.optin4j.internal.StoredBounces(core, verp, b.bounceSettings);
    this.rightsDesk = new org.optin4j.internal.StoredRightsDesk(this, core);
    this.agreement =
        new org.optin4j.internal.NodeAgreement(
            b.store,
            clock,
            core::randomId,
            issuer,
            b.issuer == null ? "baseUrl" : "issuer",
            b.acceptedIssuers,
            b.signingKeys);
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
   * later; pass it with the request ({@link ConsentRequest#withShownNotice(Notice)}) so the consent points to exactly
   * the text shown.
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
    Notice candidate = core.render(offered, lang);
    Notice stored = store.inTransaction(tx -> core.saveNotice(tx, candidate));
    // Kept only once durable: a caller's transaction that the unit joined may still roll it back.
    store.afterCommit(() -> remember(key, stored));
    return stored;
  }

  /**
   * Cuts a notice into its layers, for a page that shows each purpose's short text at its checkbox and the rest
   * expandable (see {@link NoticeLayers}).
   *
   * @param notice a notice of this service
   * @return its layers, or empty for a notice stored before notices were layered
   */
  public Optional<NoticeLayers> noticeLayers(Notice notice) {
    return notices.layers(Objects.requireNonNull(notice, "notice"));
  }

  /**
   * Returns the full information GDPR Art. 13 asks for, about every purpose of the catalog, in a language of the
   * catalog (the nearest one if the wished language is not offered).
   *
   * @param locale the wished language
   * @return the information page
   */
  public InformationPage informationPage(Locale locale) {
    Locale lang = catalog.resolve(locale);
    InformationPage known = informationByLanguage.get(lang);
    if (known != null) {
      return known; // stored before and immutable: a page view costs no store transaction
    }
    Notice candidate = core.renderInformation(lang);
    InformationPage stored =
        InformationPage.of(store.inTransaction(tx -> tx.notices().saveNotice(candidate)));
    // Kept only once durable, like notices: a caller's transaction the unit joined may roll back.
    store.afterCommit(() -> informationByLanguage.putIfAbsent(lang, stored));
    return stored;
  }

  /**
   * Finds the information page a notice linked to (its text names the page's hash), as stored with the notice: the
   * full information the person could open from the notice they consented under (GDPR Art. 7(1), 13).
   *
   * @param notice a notice of this service, for example one found by {@link #noticeByHash(String)} from a consent
   * @return the stored page, or empty for a notice rendered before information pages were stored, or an information
   *     page itself
   */
  public Optional<InformationPage> linkedInformationPage(Notice notice) {
    return notices
        .linkedInformationHash(Objects.requireNonNull(notice, "notice"))
        .flatMap(this::noticeByHash)
        .filter(Notice::isInformationPage)
        .map(InformationPage::of);
  }

  /**
   * Finds a stored notice by the hash of its text, for example the one a form displayed (its hidden field) or the text
   * a consent was given under. Notices are immutable, so one found is kept in memory: a form's signup after its view
   * costs no store read.
   *
   * @param hash the SHA-256 hex
   * @return the notice, or empty
   */
  public Optional<Notice> noticeByHash(String hash) {
    Notice known = noticesByHash.get(Objects.requireNonNull(hash, "hash"));
    if (known != null) {
      return Optional.of(known);
    }
    // Unknown hashes are not remembered: only what the store holds gets in (held once durable: a
    // caller's transaction may have stored it and still roll back).
    Optional<Notice> found = store.read(tx -> tx.notices().notice(hash));
    found.ifPresent(n -> store.afterCommit(() -> rememberByHash(n)));
    return found;
  }

  /**
   * Tells whether mail to a valid address can be sent at all: {@code false} only for an address whose local part is not
   * ASCII ({@code zoë@example.org}, RFC 6531) when the mailer does not send SMTPUTF8 ({@link Mailer#sendsSmtpUtf8()}).
   * {@link #request(ConsentRequest)} and an address change refuse such an address as {@link
   * RequestResult.InvalidAddress}; a form can ask first to say why.
   *
   * @param email the address
   * @return whether it can be mailed
   */
  public boolean canMail(EmailAddress email) {
    return core.unmailable(Objects.requireNonNull(email, "email")) == null;
  }

  /**
   * Asks for consent: records pending consents for the purposes that need double opt-in and queues one confirmation
   * mail for all of them, in one transaction. Purposes configured without double opt-in are confirmed at once.
   *
   * @param request what the form sent, with the address already parsed
   * @return the outcome; show the same page for all but {@link RequestResult.InvalidAddress} and
   *     {@link RequestResult.StaleNotice} (security rule 8)
   * @throws IllegalArgumentException if a purpose is not in the catalog
   */
  public RequestResult request(ConsentRequest request) {
    RequestResult result = signUp(request);
    // After the commit (a unit rolled back threw and is not counted), or of the caller's
    // transaction it joined.
    afterCommitMeter(() -> metrics.signup(result));
    return result;
  }

  /**
   * Counts once the unit is durable: at once, or when the caller's transaction that the unit joined commits (never on
   * its rollback). Nothing is registered without metrics.
   */
  private void afterCommitMeter(Runnable count) {
    if (metrics != OptInMetrics.NONE) {
      store.afterCommit(count);
    }
  }

  private RequestResult signUp(ConsentRequest request) {
    Objects.requireNonNull(request, "request");
    EmailAddress email = request.email();
    if (!canMail(email)) {
      return new RequestResult.InvalidAddress(core.unmailable(email));
    }
    List<Purpose> purposes = notices.ordered(request.purposes());
    Locale locale = catalog.resolve(request.locale());
    Notice shown = request.shownNotice();
    // The one check of the shown notice: its language, its purposes, and (below) that it is today's
    // text. It is
    // compared with what this instance renders, never looked up again.
    if (shown != null
        && (!shown.locale().equals(locale)
            || !shown.purposes().containsAll(request.purposes())
            || !shown.purposes().stream().allMatch(p -> catalog.purpose(p).isPresent()))) {
      return new RequestResult.StaleNotice();
    }
    List<PurposeId> noticePurposes =
        shown == null ? List.copyOf(request.purposes()) : shown.purposes();
    String noticeKey =
        noticeKey(shown == null ? purposes : notices.ordered(noticePurposes), locale);
    Notice current =
        noticesByKey.containsKey(noticeKey) ? null : core.render(noticePurposes, locale);
    if (shown != null && current != null && !current.hash().equals(shown.hash())) {
      return new RequestResult.StaleNotice(); // the texts changed while the form was open
    }
    Evidence evidence = evidencePolicy.apply(request.evidence());
    List<ConsentChange> changes = new ArrayList<>();
    // A notice this unit stored, remembered only once durable: a unit that rolls back (or the
    // caller's
    // transaction it joined) takes the notice's row with it.
    Notice[] stored = new Notice[1];
    RequestResult result =
        core.retryRequest(
            () ->
                store.inTransaction(
                    tx -> {
                      changes.clear();
                      // The stored notice, with the version the store gave it, whatever version a
                      // caller's copy claims.
                      Notice known = noticesByKey.get(noticeKey);
                      stored[0] = known != null ? null : core.saveNotice(tx, current);
                      Notice notice = known != null ? known : stored[0];
                      if (shown != null && !notice.hash().equals(shown.hash())) {
                        return new RequestResult.StaleNotice();
                      }
                      Instant now = clock.instant();
                      // With the suppression check a new address needs, in one read.
                      WithSuppression<Optional<Subject>> lookup =
                          tx.subjectByEmailWithSuppression(email, core.addressKey(email));
                      Optional<Subject> existing = lookup.value();
                      // The history lock comes before any consent row lock, in every unit (no
                      // deadlocks between units).
                      if (existing.isPresent()) {
                        tx.history().lock(existing.get().id());
                        if (tx.subjects().subject(existing.get().id()).isEmpty()) {
                          // The retention job deleted the subject between the lookup and the lock:
                          // roll back (the lock must leave
                          // no head row behind) and run again, as the new signup this now is.
                          throw new ServiceCore.SubjectGone();
                        }
                      }
                      Set<PurposeId> alreadyConfirmed = new TreeSet<>();
                      List<Purpose> toRequest = new ArrayList<>();
                      Map<PurposeId, Consent> before = new HashMap<>();
                      // Read once, under the history lock taken above (every unit changing consents
                      // takes it first).
                      existing.ifPresent(
                          s ->
                              tx.subjects()
                                  .consents(s.id())
                                  .forEach(c -> before.put(c.purpose(), c)));
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
                      // After erasure an address comes back only through a fresh double opt-in,
                      // whatever the purpose says.
                      boolean suppressed = existing.isEmpty() && lookup.suppressed();
                      boolean needsMail =
                          suppressed || toRequest.stream().anyMatch(Purpose::doubleOptIn);
                      String capSlot = null;
                      if (needsMail) {
                        ConfirmationMailCap.Slot slot =
                            core.confirmationMailCap().slotFor(tx, email, now);
                        if (slot instanceof ConfirmationMailCap.Slot.Full full) {
                          return new RequestResult.Throttled(full.retryAfter());
                        }
                        capSlot = slot.dedupeKey();
                      }
                      Subject subject =
                          existing.orElseGet(
                              () -> {
                                Subject s = new Subject(SubjectId.random(random), email, now);
                                tx.subjects().insertSubject(s);
                                return s;
                              });
                      String requestId = core.randomId();
                      Set<PurposeId> pending = new TreeSet<>();
                      Set<PurposeId> confirmedNow = new TreeSet<>();
                      // Written after the loop, each kind at once: one round trip each on a JDBC
                      // store, whatever the number of purposes.
                      List<ConsentEvent> events = new ArrayList<>();
                      List<Consent> consents = new ArrayList<>();
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
                        java.util.function.Consumer<ConsentEvent.Type> recordEvent =
                            type ->
                                events.add(
                                    new ConsentEvent(
                                        0,
                                        subject.id(),
                                        p.id(),
                                        type,
                                        now,
                                        requestId,
                                        notice.ref(),
                                        request.source(),
                                        Channel.FORM,
                                        evidence,
                                        null));
                        recordEvent.accept(ConsentEvent.Type.REQUESTED);
                        if (p.doubleOptIn() || suppressed) {
                          pending.add(p.id());
                        } else {
                          c = c.confirm(now);
                          recordEvent.accept(ConsentEvent.Type.CONFIRMED);
                          confirmedNow.add(p.id());
                        }
                        consents.add(c);
                      }
                      HistoryChain.appendAll(tx, events);
                      tx.subjects().saveConsents(consents);
                      Set<PurposeId> requested = pending.isEmpty() ? confirmedNow : pending;
                      PendingRequest pr =
                          new PendingRequest(
                              requestId,
                              subject.id(),
                              requested,
                              notice.ref(),
                              request.source(),
                              evidence,
                              now,
                              now.plus(confirmationTtl),
                              1,
                              pending.isEmpty()
                                  ? PendingRequest.Status.CONFIRMED
                                  : PendingRequest.Status.OPEN,
                              pending.isEmpty() ? now : null);
                      tx.requests().insertRequest(pr);
                      if (existing
                          .isPresent()) { // a subject inserted just now has no other request
                        supersedeCoveredRequests(tx, subject.id(), requestId, now);
                      }
                      if (!pending.isEmpty()) {
                        enqueueOrThrottle(
                            tx,
                            OutboxMail.queued(
                                core.randomId(),
                                MailKind.CONFIRMATION,
                                subject.id(),
                                email,
                                requestId,
                                1,
                                locale,
                                List.copyOf(pending),
                                capSlot,
                                now));
                      }
                      if (!confirmedNow.isEmpty()) {
                        core.enqueueReceipt(
                            tx,
                            subject.id(),
                            email,
                            requestId,
                            locale,
                            List.copyOf(confirmedNow),
                            "receipt:" + requestId,
                            now);
                        changes.add(
                            new ConsentChange(
                                ConsentChange.Type.CONFIRMED,
                                subject.id(),
                                email,
                                confirmedNow,
                                now,
                                Channel.FORM));
                      }
                      return new RequestResult.Accepted(
                          subject.id(), requestId, pending, confirmedNow, alreadyConfirmed);
                    }));
    core.afterCommit(changes);
    // A lost cap race rolled the unit back, notice included (a throttle it returned is only not
    // cached).
    Notice newNotice = stored[0];
    if (newNotice != null && !(result instanceof RequestResult.Throttled)) {
      store.afterCommit(() -> remember(noticeKey, newNotice));
    }
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
    // Reads only, without row locks: opening a link (or a scanner opening it) must not cost a
    // write.
    return store.read(
        tx -> {
          // One read: the request, its address change and its subject's consents.
          Optional<ConfirmationView> view = tx.confirmationView(claims.requestId());
          Optional<PendingRequest> found = view.map(ConfirmationView::request);
          ConfirmationPreview closed =
              closedLinkAnswer(
                  check,
                  claims,
                  found,
                  clock.instant(),
                  ConfirmationPreview.Invalid::new,
                  subject -> new ConfirmationPreview.AlreadyConfirmed(),
                  ConfirmationPreview.Expired::new);
          if (closed != null) {
            return closed;
          }
          PendingRequest r = found.get();
          List<PurposeId> stillPending = new ArrayList<>();
          boolean addressChange = view.get().addressChange().isPresent();
          if (addressChange) {
            stillPending.addAll(new TreeSet<>(r.purposes()));
          } else {
            for (Consent c : view.get().consents()) {
              if (r.purposes().contains(c.purpose()) && awaits(c, r)) {
                stillPending.add(c.purpose());
              }
            }
          }
          if (stillPending.isEmpty()) {
            return new ConfirmationPreview.Invalid();
          }
          Notice notice =
              Optional.ofNullable(noticesByHash.get(r.notice().hash()))
                  .or(() -> tx.notices().notice(r.notice().hash()))
                  .orElseThrow(() -> new StoreException("notice of request missing from store"));
          return new ConfirmationPreview.Ready(
              notices.ordered(stillPending), notice, r.expiresAt(), addressChange);
        });
  }

  /**
   * Confirms a request: the chosen purposes become {@link ConsentState#CONFIRMED}; purposes of the request the choice
   * leaves out are recorded as declined (withdrawn); the token is used up; a receipt mail is queued; listeners are
   * told after the commit. A person who unticked every purpose declines: call {@link #decline} for that.
   *
   * <p>Safe under concurrency: of many simultaneous confirmations of one link, exactly one confirms; the others answer
   * {@link ConfirmationResult.AlreadyConfirmed} and record nothing.
   *
   * @param token the token from the link
   * @param choice {@link ConfirmationChoice#all()}, or {@link ConfirmationChoice#only} the purposes the person kept
   *     ticked
   * @param evidence the confirmation evidence as received (the evidence policy is applied)
   * @return the outcome; {@link ConfirmationResult.NotOffered} if the choice names a purpose that is not part of the
   *     request
   */
  public ConfirmationResult confirm(String token, ConfirmationChoice choice, Evidence evidence) {
    Objects.requireNonNull(choice, "choice");
    return settle(
        token, choice instanceof ConfirmationChoice.Only only ? only.purposes() : null, evidence);
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
    return settle(token, Set.of(), evidence);
  }

  /**
   * Confirms {@code chosen} and declines the rest of the request: {@code null} chooses every purpose of the request
   * (known only once the request is read), an empty set none.
   */
  private ConfirmationResult settle(String token, Set<PurposeId> chosen, Evidence evidence) {
    TokenCheck check = tokens.verify(TokenKind.CONFIRM, token);
    TokenClaims claims = claimsOf(check);
    if (claims == null) {
      return new ConfirmationResult.Invalid();
    }
    Evidence kept = evidencePolicy.apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    Set<PurposeId> declines = new TreeSet<>();
    ConfirmationResult result =
        core.inTransactionOr(
            tx -> {
              changes.clear();
              declines.clear();
              // Lock order of every unit: the subject's history, then request rows, then consent
              // rows.
              Optional<Subject> owner = tx.subjects().subject(claims.subject());
              if (owner.isPresent()) {
                tx.history().lock(claims.subject());
              }
              // The request locked, with its address change read in the same statement.
              Optional<RequestAndChange> locked =
                  tx.requests().requestAndChange(claims.requestId());
              Optional<PendingRequest> found = locked.map(RequestAndChange::request);
              Instant now = clock.instant();
              ConfirmationResult closed =
                  closedLinkAnswer(
                      check,
                      claims,
                      found,
                      now,
                      ConfirmationResult.Invalid::new,
                      ConfirmationResult.AlreadyConfirmed::new,
                      ConfirmationResult.Expired::new);
              if (closed != null) {
                return closed;
              }
              PendingRequest r = found.get();
              if (chosen != null && !r.purposes().containsAll(chosen)) {
                Set<PurposeId> notOffered = new TreeSet<>(chosen);
                notOffered.removeAll(r.purposes());
                return new ConfirmationResult.NotOffered(
                    notOffered); // nothing written yet: the link still works
              }
              String jti = ((TokenCheck.Valid) check).id();
              if (!tx.requests().useToken(jti, ((TokenCheck.Valid) check).expiresAt())) {
                return new ConfirmationResult.AlreadyConfirmed(r.subjectId());
              }
              Optional<EmailAddress> newAddress = locked.get().addressChange();
              if (newAddress.isPresent()) {
                return confirmAddressChange(tx, r, newAddress.get(), now, kept, jti, changes);
              }
              Set<PurposeId> wanted = chosen == null ? r.purposes() : chosen;
              List<Consent> confirmed = new ArrayList<>();
              Set<PurposeId> declined = new TreeSet<>();
              // One read of all consents instead of one locking read per purpose: every unit that
              // changes a subject's
              // consents holds its history lock first, and this unit holds it (a subject that is
              // gone has no consents).
              // The suppression check in the same read, so that the lift below costs a statement
              // only when there is something to lift.
              Map<PurposeId, Consent> current = new HashMap<>();
              WithSuppression<List<Consent>> read =
                  owner.isPresent()
                      ? tx.consentsWithSuppression(
                          r.subjectId(), core.addressKey(owner.get().email()))
                      : new WithSuppression<>(tx.subjects().consents(r.subjectId()), false);
              read.value().forEach(c -> current.put(c.purpose(), c));
              // Written after the loop, each kind at once: one round trip each on a JDBC store.
              List<Consent> saved = new ArrayList<>();
              List<ConsentEvent> events = new ArrayList<>();
              for (PurposeId p : new TreeSet<>(r.purposes())) {
                Optional<Consent> c = Optional.ofNullable(current.get(p));
                if (c.isEmpty() || !awaits(c.get(), r)) {
                  continue;
                }
                if (wanted.contains(p)) {
                  Consent done =
                      c.get().state() == ConsentState.CONFIRMED
                          ? c.get()
                              .reconfirm(
                                  catalog.require(p), r.id(), r.notice(), r.requestedAt(), now)
                          : c.get().confirm(now);
                  saved.add(done);
                  events.add(
                      new ConsentEvent(
                          0,
                          r.subjectId(),
                          p,
                          ConsentEvent.Type.CONFIRMED,
                          now,
                          r.id(),
                          done.notice(),
                          r.source(),
                          Channel.CONFIRMATION_LINK,
                          kept,
                          jti));
                  confirmed.add(done);
                } else {
                  saved.add(c.get().withdraw(now));
                  events.add(
                      new ConsentEvent(
                          0,
                          r.subjectId(),
                          p,
                          ConsentEvent.Type.WITHDRAWN,
                          now,
                          r.id(),
                          c.get().notice(),
                          r.source(),
                          Channel.CONFIRMATION_LINK,
                          kept,
                          jti));
                  declined.add(p);
                }
              }
              tx.subjects().saveConsents(saved);
              HistoryChain.appendAll(tx, events);
              if (confirmed.isEmpty() && declined.isEmpty()) {
                // Every purpose of this request was re-requested since: a newer link is the one
                // that counts.
                throw new ServiceCore.Superseded();
              }
              tx.requests().updateRequest(r.withStatus(PendingRequest.Status.CONFIRMED, now));
              declines.addAll(declined);
              if (confirmed.isEmpty()) {
                return new ConfirmationResult.Confirmed(r.subjectId(), List.of());
              }
              // Read above, under the history lock: an address change of this subject would have
              // had to take that lock too.
              Subject subject = owner.orElseThrow(() -> new StoreException("subject missing"));
              // A fresh double opt-in is the one way back from the suppression list. The check was
              // read above under the history lock; a suppression added since by a unit that does
              // not take that lock stays, as one added after the lift always did.
              if (read.suppressed()) {
                tx.subjects().unsuppress(core.addressKey(subject.email()));
              }
              List<PurposeId> ids = confirmed.stream().map(Consent::purpose).toList();
              core.enqueueReceipt(
                  tx,
                  subject.id(),
                  subject.email(),
                  r.id(),
                  r.locale(),
                  ids,
                  "receipt:" + r.id(),
                  now);
              changes.add(
                  new ConsentChange(
                      ConsentChange.Type.CONFIRMED,
                      subject.id(),
                      subject.email(),
                      Set.copyOf(ids),
                      now,
                      Channel.CONFIRMATION_LINK));
              return new ConfirmationResult.Confirmed(r.subjectId(), confirmed);
            },
            ServiceCore.Superseded.class,
            new ConfirmationResult.Invalid());
    core.afterCommit(changes);
    if (result instanceof ConfirmationResult.Confirmed && !declines.isEmpty()) {
      Set<PurposeId> declined = Set.copyOf(declines);
      afterCommitMeter(() -> metrics.declined(declined));
    }
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
    return core.inTransactionOr(
        tx -> {
          Optional<PendingRequest> found = tx.requests().request(claims.requestId());
          if (found.isEmpty()
              || !found.get().subjectId().equals(claims.subject())
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
          Optional<EmailAddress> newAddress = tx.requests().addressChange(r.id());
          Subject subject =
              tx.subjects()
                  .subject(r.subjectId())
                  .orElseThrow(() -> new StoreException("subject missing"));
          Instant now = clock.instant();
          EmailAddress to = newAddress.orElse(subject.email());
          MailKind kind =
              newAddress.isPresent() ? MailKind.ADDRESS_CONFIRMATION : MailKind.CONFIRMATION;
          ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, to, now);
          if (slot instanceof ConfirmationMailCap.Slot.Full full) {
            return new ResendResult.Throttled(full.retryAfter());
          }
          // A re-confirmation request, and an imported one held for re-permission, keep their
          // deadline; only the link is renewed.
          boolean keepsDeadline =
              PendingRequest.RECONSENT_SOURCE.equals(r.source())
                  || r.source() != null
                      && r.source()
                          .startsWith(org.optin4j.internal.StoredImports.IMPORT_SOURCE_PREFIX);
          PendingRequest next =
              r.nextGeneration(
                  keepsDeadline && r.expiresAt().isAfter(now)
                      ? r.expiresAt()
                      : now.plus(confirmationTtl));
          if (next.status() == PendingRequest.Status.EXPIRED) {
            next = next.withStatus(PendingRequest.Status.OPEN, null);
          }
          tx.requests().updateRequest(next);
          enqueueOrThrottle(
              tx,
              OutboxMail.queued(
                  core.randomId(),
                  kind,
                  subject.id(),
                  to,
                  r.id(),
                  next.generation(),
                  r.locale(),
                  stillPending,
                  slot.dedupeKey(),
                  now));
          return new ResendResult.Resent();
        },
        ServiceCore.CapRace.class,
        new ResendResult.Throttled(core.confirmationMailCap().retryAfterRace(clock.instant())));
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
    // A plain read: consents(...) takes no row lock, unlike consent(...). A lock here made every
    // answer a write
    // (PostgreSQL records row locks in the WAL and flushes it on commit), which cost most of its
    // latency.
    return store.read(
        tx ->
            tx.subjects()
                .subjectByEmail(parsed.get())
                .flatMap(
                    s ->
                        tx.subjects().consents(s.id()).stream()
                            .filter(c -> c.purpose().equals(purpose))
                            .findFirst())
                .filter(c -> isActiveAt(c, p.get(), now))
                .isPresent());
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
  public Withdrawal withdraw(
      SubjectId subjectId, Set<PurposeId> purposes, Channel channel, Evidence evidence) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purposes, "purposes");
    Objects.requireNonNull(channel, "channel");
    Evidence kept = evidencePolicy.apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    Withdrawal result =
        store.inTransaction(
            tx -> {
              changes.clear();
              Instant now = clock.instant();
              Optional<Subject> subject = tx.subjects().subject(subjectId);
              if (subject.isEmpty()) {
                return new Withdrawal(subjectId, Set.of());
              }
              tx.history().lock(subjectId);
              Set<PurposeId> done = new TreeSet<>();
              for (Consent c : tx.subjects().consents(subjectId)) {
                if (!purposes.isEmpty() && !purposes.contains(c.purpose())) {
                  continue;
                }
                if (c.state() == ConsentState.PENDING || c.state() == ConsentState.CONFIRMED) {
                  tx.subjects().saveConsent(c.withdraw(now));
                  HistoryChain.append(
                      tx,
                      new ConsentEvent(
                          0,
                          subjectId,
                          c.purpose(),
                          ConsentEvent.Type.WITHDRAWN,
                          now,
                          c.requestId(),
                          c.notice(),
                          null,
                          channel,
                          kept,
                          null));
                  done.add(c.purpose());
                }
              }
              if (!done.isEmpty()) {
                changes.add(
                    new ConsentChange(
                        ConsentChange.Type.WITHDRAWN,
                        subjectId,
                        subject.get().email(),
                        done,
                        now,
                        channel));
              }
              return new Withdrawal(subjectId, done);
            });
    core.afterCommit(changes);
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
    // A link sent to an address the subject no longer has is refused. Checked before the
    // withdrawal's own unit: a
    // change of address confirmed in between lets an old link withdraw once, which only ever stops
    // mail.
    if (store
        .read(tx -> tx.subjects().subject(v.claims().subject()))
        .filter(s -> ServiceCore.sentToCurrentAddress(v.claims(), s))
        .isEmpty()) {
      return new UnsubscribeResult.Invalid();
    }
    Withdrawal withdrawn = withdraw(v.claims().subject(), Set.of(), channel, evidence);
    afterCommitMeter(() -> metrics.unsubscribed(channel));
    return new UnsubscribeResult.Unsubscribed(withdrawn);
  }

  /**
   * Returns the subject a preference center token stands for, if the token is valid, the subject still exists and
   * still has the address the link was sent to (a link sent before a change of address no longer works).
   *
   * @param token the token from a preferences link
   * @return the subject id, or empty
   */
  public Optional<SubjectId> verifyPreferencesToken(String token) {
    return verifySubjectToken(TokenKind.MANAGE, token);
  }

  /**
   * Returns the subject an unsubscribe token stands for, if valid and sent to the subject's current address, for the
   * page that shows the unsubscribe button (a GET that changes nothing).
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
    return new Links().preferencesUrl(subjectId, addressGeneration(subjectId));
  }

  /**
   * Returns a signed one-click unsubscribe link for the subject ({@code List-Unsubscribe}, RFC 8058).
   *
   * @param subjectId the subject
   * @return the absolute URL, built from the configured base URL
   */
  public String unsubscribeUrl(SubjectId subjectId) {
    return new Links().unsubscribeUrl(subjectId, addressGeneration(subjectId));
  }

  /** The subject's address generation, for a link signed now; 1 for an unknown subject (its link works nowhere). */
  private int addressGeneration(SubjectId subjectId) {
    return store
        .read(tx -> tx.subjects().subject(subjectId))
        .map(Subject::addressGeneration)
        .orElse(1);
  }

  /**
   * Finds a subject by id.
   *
   * @param id the id
   * @return the subject, or empty
   */
  public Optional<Subject> subject(SubjectId id) {
    return store.read(tx -> tx.subjects().subject(id));
  }

  /**
   * Finds a subject by address.
   *
   * @param email the address, as typed or normalised
   * @return the subject, or empty (also for an invalid address)
   */
  public Optional<Subject> findSubject(String email) {
    return core.findSubject(email);
  }

  /**
   * Returns a subject's consents, by purpose id.
   *
   * @param id the subject
   * @return the consents
   */
  public List<Consent> consents(SubjectId id) {
    return store.read(tx -> tx.subjects().consents(id));
  }

  /**
   * Returns the operator's desk for data subjects' requests received outside the preference center, with their
   * Art. 12(3) deadlines.
   *
   * @return the desk, the same for the life of this service
   */
  public RightsDesk rightsDesk() {
    return rightsDesk;
  }

  /**
   * Returns the breach register (GDPR Art. 33-34): incidents, their 72-hour clock, and the notification of affected
   * subjects.
   *
   * @return the register, the same for the life of this service
   */
  public BreachRegister breaches() {
    return breaches;
  }

  /**
   * Returns the app's own mail sent only with consent (GDPR Art. 6(1)(a), 7(3)) and re-confirmation after a material
   * change of a purpose.
   *
   * @return the campaigns, the same for the life of this service
   */
  public Campaigns campaigns() {
    return campaigns;
  }

  /**
   * Returns the import of subscribers from another tool's export, with the proof it carries (GDPR Art. 7(1)).
   *
   * @return the imports, the same for the life of this service
   */
  public org.optin4j.lists.Imports imports() {
    return imports;
  }

  /**
   * Returns bounce and complaint handling: delivery status notifications (RFC 3464) and abuse reports (RFC 5965)
   * matched to their mail by its VERP envelope sender ({@link Builder#bounceAddress}); a permanent bounce marks the
   * address undeliverable, a complaint withdraws every purpose (GDPR Art. 21). See {@code docs/bounces.md}.
   * Without a bounce address every report is set aside.
   *
   * @return the bounce handling, the same for the life of this service
   */
  public org.optin4j.lists.Bounces bounces() {
    return bounces;
  }

  /**
   * Returns the data subject's rights (GDPR Art. 15-21): export, change of address, erasure, restriction, receipts.
   *
   * @return the rights, the same for the life of this service
   */
  public SubjectRights rights() {
    return rights;
  }

  /**
   * Returns the proof of consent (GDPR Art. 7(1)): histories, their verification, and validity at a past instant.
   *
   * @return the proof, the same for the life of this service
   */
  public ConsentProof proof() {
    return proof;
  }

  /**
   * Returns what operators and admin pages need: subject lists, the outbox state, the retention job and dispatch on
   * demand.
   *
   * @return the operations, the same for the life of this service
   */
  public Operations operations() {
    return operations;
  }

  /**
   * Returns the durable, ordered feed of consent changes, for systems that must learn every change and catch up after
   * a restart (docs/feed.md).
   *
   * @return the feed, the same for the life of this service
   */
  public org.optin4j.feed.Feed feed() {
    return feed;
  }

  /**
   * Returns the signed webhooks that deliver the feed to registered endpoints (Standard Webhooks; docs/webhooks.md).
   * Delivery runs in the background after {@link #start()}.
   *
   * @return the webhooks, the same for the life of this service
   */
  public org.optin4j.feed.Webhooks webhooks() {
    return webhooks;
  }

  /**
   * Registers this node in the store's node register, then starts the background outbox dispatcher. Idempotent.
   *
   * <p>Nodes sharing a store must accept each other's links: a link is signed by the node that sends the mail and
   * opened on whichever node the person reaches. This node refuses to start if a live node in the register signs
   * with an issuer this one does not accept (or the other way round), holds a different secret under one of its key
   * ids, or signs with a key the other does not hold. A node is live from its start until it is closed, or until
   * 60 s after it was last seen (it refreshes its entry every 20 s) if it was killed.
   *
   * @return this
   * @throws ConfigurationException naming each disagreement and the setting to change ({@code baseUrl} or
   *     {@code issuer}, {@code acceptedIssuers}, {@code signingKeys})
   */
  public synchronized OptIn start() {
    if (heartbeat == null) {
      agreement.join();
      long every = org.optin4j.internal.NodeAgreement.HEARTBEAT.toMillis();
      heartbeat =
          notifier
              .executor()
              .scheduleWithFixedDelay(
                  this::heartbeatSafely, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    dispatcher.start();
    webhookDispatcher.start();
    if (purgeSchedule == null && !purgeInterval.isZero()) {
      purgeSchedule =
          notifier
              .executor()
              .scheduleWithFixedDelay(
                  this::purgeSafely,
                  purgeInterval.toMillis(),
                  purgeInterval.toMillis(),
                  java.util.concurrent.TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private void heartbeatSafely() {
    try {
      agreement.heartbeat();
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.ERROR, "node register heartbeat failed: " + e.getClass().getName());
    }
  }

  private void purgeSafely() {
    try {
      purger.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "retention run failed: " + e.getClass().getName());
    }
  }

  /**
   * Stops the dispatcher and listener retries, waiting briefly (up to 5 s) for the mail on the wire; the mails of
   * the batch in flight that were not sent are given back to the outbox at once, for another node or the next start.
   * Then removes this node from the store's node register. Idempotent.
   */
  @Override
  public void close() {
    dispatcher.close();
    webhookDispatcher.close();
    if (purgeSchedule != null) {
      purgeSchedule.cancel(false);
    }
    if (heartbeat != null) {
      heartbeat.cancel(false);
    }
    notifier.close();
    try {
      agreement.leave();
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "could not remove this node from the node register (it lapses by itself"
              + " after 60 s): "
              + e.getClass().getName());
    }
  }

  @Override
  public String toString() {
    return "OptIn[catalog=" + catalog + ", baseUrl=" + baseUrl + "]";
  }

  // --- internals
  // -----------------------------------------------------------------------------------------------

  private static final int KNOWN_NOTICES = 512;

  private static String noticeKey(List<Purpose> ordered, Locale locale) {
    StringBuilder key = new StringBuilder(locale.toLanguageTag());
    for (Purpose p : ordered) {
      key.append(' ').append(p.id().value());
    }
    return key.toString();
  }

  /** Keeps a stored notice as the current one for its key (purposes and language), and by its hash. */
  private Notice remember(String key, Notice stored) {
    if (noticesByKey.size() < KNOWN_NOTICES) {
      noticesByKey.putIfAbsent(key, stored);
    }
    return rememberByHash(stored);
  }

  /** Keeps a stored notice, current or not, by its hash. */
  private Notice rememberByHash(Notice stored) {
    if (noticesByHash.size() < KNOWN_NOTICES) {
      noticesByHash.putIfAbsent(stored.hash(), stored);
    }
    return stored;
  }

  private final class Links implements OutboxDispatcher.LinkFactory {
    @Override
    public String confirmUrl(
        SubjectId subjectId, String requestId, int generation, Instant expiresAt) {
      Duration ttl = Duration.between(clock.instant(), expiresAt);
      if (ttl.isNegative() || ttl.isZero()) {
        ttl = Duration.ofSeconds(1);
      }
      // A re-confirmation request may stay open for weeks; its links still live no longer than
      // confirmationTtl
      // (security rule 5), and the person gets a fresh one through resendConfirmation.
      if (ttl.compareTo(confirmationTtl) > 0) {
        ttl = confirmationTtl;
      }
      return link(
          "/confirm", TokenKind.CONFIRM, new TokenClaims(subjectId, requestId, generation), ttl);
    }

    @Override
    public String preferencesUrl(SubjectId subjectId, int addressGeneration) {
      return link(
          "/preferences",
          TokenKind.MANAGE,
          new TokenClaims(subjectId, null, 0, addressGeneration),
          preferencesTtl);
    }

    @Override
    public Instant stepUpExpiry(Instant askedAt) {
      return askedAt.plus(core.stepUpTtl());
    }

    @Override
    public String stepUpUrl(
        SubjectId subjectId, String requestId, int addressGeneration, Instant expiresAt) {
      return link(
          "/preferences/step-up",
          TokenKind.STEP_UP,
          new TokenClaims(subjectId, requestId, 0, addressGeneration),
          untilAtLeastASecond(expiresAt));
    }

    @Override
    public Instant notMeExpiry(Instant changedAt) {
      return changedAt.plus(ServiceCore.NOT_ME_TTL);
    }

    @Override
    public String notMeUrl(
        SubjectId subjectId, String requestId, int addressGeneration, Instant expiresAt) {
      return link(
          "/preferences/not-me",
          TokenKind.NOT_ME,
          new TokenClaims(subjectId, requestId, 0, addressGeneration),
          untilAtLeastASecond(expiresAt));
    }

    /** A link to a page of the base URL, carrying a freshly signed token of a kind. */
    private String link(String path, TokenKind kind, TokenClaims claims, Duration ttl) {
      return baseUrl + path + "?token=" + encode(tokens.issue(kind, claims, ttl).token());
    }

    private Duration untilAtLeastASecond(Instant expiresAt) {
      Duration ttl = Duration.between(clock.instant(), expiresAt);
      return ttl.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : ttl;
    }

    @Override
    public String listId(PurposeId purpose) {
      Purpose p = catalog.require(purpose);
      String title =
          p.text(catalog.defaultLocale())
              .map(PurposeText::title)
              .filter(t -> t.matches("[\\x20-\\x7E&&[^\"\\\\]]{1,100}"))
              .orElse(purpose.value());
      // RFC 2919: the phrase is ASCII here (an encoded word would also swallow the <list-id>).
      return '"' + title + "\" <" + purpose.value() + "." + URI.create(baseUrl).getHost() + ">";
    }

    @Override
    public String unsubscribeUrl(SubjectId subjectId, int addressGeneration) {
      return link(
          "/unsubscribe",
          TokenKind.UNSUBSCRIBE,
          new TokenClaims(subjectId, null, 0, addressGeneration),
          unsubscribeTtl);
    }
  }

  private ConfirmationResult confirmAddressChange(
      ConsentStore.Transaction tx,
      PendingRequest r,
      EmailAddress email,
      Instant now,
      Evidence kept,
      String jti,
      List<ConsentChange> changes) {
    Optional<Subject> other = tx.subjects().subjectByEmail(email);
    if (other.isPresent() && !other.get().id().equals(r.subjectId())) {
      // The address belongs to another subject by now; merging two people's proof is not ours to
      // decide.
      throw new ServiceCore.Superseded();
    }
    Subject subject =
        tx.subjects()
            .subject(r.subjectId())
            .orElseThrow(() -> new StoreException("subject missing"));
    // One generation on: every link sent to the old address stops working.
    Subject relocated = subject.movedTo(email);
    tx.subjects().updateSubject(relocated);
    tx.requests().saveReplacedAddress(r.id(), subject.email());
    tx.subjects().unsuppress(core.addressKey(email));
    List<Consent> moved =
        core.recordAddressChange(tx, r.subjectId(), now, r.id(), r.source(), kept, jti);
    tx.requests().updateRequest(r.withStatus(PendingRequest.Status.CONFIRMED, now));
    // The old address is told, with the link that undoes the change: whoever confirmed it may not
    // be the person.
    tx.outbox()
        .enqueue(
            OutboxMail.queued(
                core.randomId(),
                MailKind.ADDRESS_CHANGED_NOTICE,
                subject.id(),
                subject.email(),
                r.id(),
                relocated.addressGeneration(),
                r.locale(),
                moved.stream().map(Consent::purpose).toList(),
                "address-changed:" + r.id(),
                now));
    changes.add(
        new ConsentChange(
            ConsentChange.Type.ADDRESS_CHANGED,
            subject.id(),
            email,
            moved.stream().map(Consent::purpose).collect(java.util.stream.Collectors.toSet()),
            now,
            Channel.CONFIRMATION_LINK));
    return new ConfirmationResult.Confirmed(r.subjectId(), moved);
  }

  private static String encode(String token) {
    return URLEncoder.encode(token, StandardCharsets.UTF_8);
  }

  private Optional<SubjectId> verifySubjectToken(TokenKind kind, String token) {
    if (!(tokens.verify(kind, token) instanceof TokenCheck.Valid v)) {
      return Optional.empty();
    }
    SubjectId id = v.claims().subject();
    return store
        .read(tx -> tx.subjects().subject(id))
        .filter(s -> ServiceCore.sentToCurrentAddress(v.claims(), s))
        .map(Subject::id);
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

  /**
   * Judges the request a confirmation link names, alike for its preview and its use, in the caller's result type: the
   * answer for a link that is invalid, superseded, used or expired, or {@code null} while the request is open to it.
   */
  private static <R> R closedLinkAnswer(
      TokenCheck check,
      TokenClaims claims,
      Optional<PendingRequest> found,
      Instant now,
      Supplier<R> invalid,
      Function<SubjectId, R> alreadyConfirmed,
      Function<Instant, R> expired) {
    if (found.isEmpty() || !found.get().subjectId().equals(claims.subject())) {
      return invalid.get();
    }
    PendingRequest r = found.get();
    if (r.status() == PendingRequest.Status.CONFIRMED) {
      return alreadyConfirmed.apply(r.subjectId());
    }
    if (r.generation() != claims.generation() || r.status() == PendingRequest.Status.SUPERSEDED) {
      return invalid.get();
    }
    if (check instanceof TokenCheck.Expired e) {
      return expired.apply(e.expiredAt());
    }
    if (r.status() == PendingRequest.Status.EXPIRED || !now.isBefore(r.expiresAt())) {
      return expired.apply(r.expiresAt());
    }
    return null;
  }

  private static List<PurposeId> pendingPurposesOf(ConsentStore.Transaction tx, PendingRequest r) {
    List<PurposeId> out = new ArrayList<>();
    for (PurposeId p : new TreeSet<>(r.purposes())) {
      tx.subjects().consent(r.subjectId(), p).filter(c -> awaits(c, r)).ifPresent(c -> out.add(p));
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
    return c.state() == ConsentState.CONFIRMED
        && PendingRequest.RECONSENT_SOURCE.equals(r.source())
        && !c.requestId().equals(r.id());
  }

  /** Marks older open requests superseded once none of their pending consents points to them any more. */
  private static void supersedeCoveredRequests(
      ConsentStore.Transaction tx, SubjectId subjectId, String newRequestId, Instant now) {
    for (PendingRequest open : tx.requests().openRequests(subjectId)) {
      if (!open.id().equals(newRequestId) && pendingPurposesOf(tx, open).isEmpty()) {
        tx.requests().updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, now));
      }
    }
  }

  /** The purposes a confirmation link would confirm now: an address change moves them all. */
  private static List<PurposeId> purposesToConfirm(ConsentStore.Transaction tx, PendingRequest r) {
    if (tx.requests().addressChange(r.id()).isPresent()) {
      return List.copyOf(new TreeSet<>(r.purposes()));
    }
    return pendingPurposesOf(tx, r);
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
    private Duration stepUpTtl = Duration.ofHours(1);
    private int maxConfirmationMailsPerDay = 3;
    private Duration minConfirmationMailInterval = Duration.ofMinutes(2);
    private CapKeyStrategy capKeyStrategy = CapKeyStrategy.providerAware();
    private final List<ConsentListener> listeners = new ArrayList<>();
    private BiConsumer<ConsentChange, Exception> listenerFailureHandler = (change, e) -> {};
    private OptInMetrics metrics = OptInMetrics.NONE;
    private int listenerAttempts = 5;
    private Duration listenerBackoff = Duration.ofSeconds(1);
    private Duration dispatchInterval = Duration.ofSeconds(2);
    private int dispatchBatchSize = 50;
    private Duration dispatchLease = Duration.ofSeconds(30);
    private org.optin4j.mail.SendingRate sendingRate = org.optin4j.mail.SendingRate.unlimited();
    private Duration retryBackoff = Duration.ofSeconds(30);
    private Duration maxRetryBackoff = Duration.ofHours(1);
    private int maxSendAttempts = 12;
    private byte[] suppressionPepper;
    private ReceiptKeys receiptKeys;
    private String jurisdiction = "EU";
    private boolean erasureKeepsHistory = true;
    private Duration unconfirmedGrace = Duration.ofDays(7);
    private Duration outboxRetention = Duration.ofDays(30);
    private String bounceLocalPart;
    private String bounceDomain;
    private org.optin4j.lists.BounceSettings bounceSettings =
        org.optin4j.lists.BounceSettings.DEFAULTS;
    private Duration feedRetention = Duration.ofDays(30);
    private org.optin4j.feed.WebhookSettings webhookSettings =
        org.optin4j.feed.WebhookSettings.defaults();
    private Duration purgeInterval = Duration.ofHours(1);
    private java.util.Set<String> acceptedIssuers = java.util.Set.of();
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
     * Replaces the mail templates (default: {@link DefaultMailTemplates}, en/nl/de/fr; to change some of their texts
     * only, {@link DefaultMailTemplates#overriddenBy(String)}).
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
     * Sets further issuers whose links this node accepts besides its own (default: none), for a site reached under
     * several public addresses, each node signing with its own: list every other address's issuer (its base URL,
     * or its {@link #issuer(String) issuer} if set) on every node. {@link OptIn#start()} refuses to start a node
     * next to a live node in the store whose issuer it does not accept, or that does not accept its issuer.
     *
     * @param issuers the issuers, 1 to 2000 characters each, without control characters
     * @return this builder
     */
    public Builder acceptedIssuers(java.util.Collection<String> issuers) {
      this.acceptedIssuers = issuers == null ? null : new java.util.LinkedHashSet<>(issuers);
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
     * Sets how long a step-up link works (default 1 hour; 5 minutes to 24 hours). A change of address or an erasure
     * asked through a preferences link goes ahead only after the address on file opens this link: preferences links
     * get forwarded, and whoever holds one must not be able to take the subscription over or erase it.
     *
     * @param ttl the lifetime
     * @return this builder
     */
    public Builder stepUpTtl(Duration ttl) {
      this.stepUpTtl = ttl;
      return this;
    }

    /**
     * Sets the per-inbox caps on confirmation mails (default: 3 per UTC day, at least 2 minutes apart). They
     * protect the owners of addresses typed into a form by someone else (list bombing) and hold across restarts and
     * nodes because they are counted in the store. One cap covers every mail to an address that has not confirmed:
     * signup, resend, the new address of an address change, re-confirmation. Addresses count as one inbox when the
     * {@link #capKeyStrategy} gives them one key.
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
     * Sets which addresses share one confirmation-mail cap (default {@link CapKeyStrategy#providerAware()}: lower-cased,
     * {@code +tag} dropped for every domain, dots dropped for Gmail, {@code googlemail.com} read as {@code gmail.com}).
     * Addresses are still stored and mailed exactly as given.
     *
     * @param strategy names the inbox of an address
     * @return this builder
     */
    public Builder capKeyStrategy(CapKeyStrategy strategy) {
      this.capKeyStrategy = strategy;
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
     * Sets what the service reports to metrics (default {@link OptInMetrics#NONE}: nothing): signups by outcome,
     * confirmations, declines, withdrawals, unsubscribes, erasures, mails queued, sent and failed, retention runs;
     * each after the commit of the unit it reports. An implementation that throws does not break the flow (its
     * failure is logged once). The outbox backlog is read with {@link Operations#outboxStatus(Duration)}.
     *
     * @param metrics the metrics implementation
     * @return this builder
     */
    public Builder metrics(OptInMetrics metrics) {
      this.metrics = metrics;
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
     * Sets the outbox dispatcher's rhythm (default: every 2 seconds, 50 mails a batch, 30 second lease). The lease
     * is how long a claimed batch is reserved without news from its node: each mail's outcome is recorded as soon as
     * the server answered, and the lease of the rest is renewed whenever half of it has passed, so half the lease
     * need only outlast the sending of one mail (milliseconds on a healthy server). A node that dies mid-batch leaves
     * its unsent mails to another node after the lease plus one interval (32 s by default), and the mail that was on
     * the wire goes out once more, with the same {@code Message-ID}; a server that takes longer than half the lease
     * over one mail is treated the same way (the other node takes the batch over, the slow node stops after that
     * mail). A node that is closed gives its unsent mails back at once.
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
     * Sets how fast the mailer may send and over how many SMTP connections in parallel (default:
     * {@link org.optin4j.mail.SendingRate#unlimited()}, 4 connections). A limited rate is shared through the store by
     * every node that uses the same {@link org.optin4j.mail.SendingRate#name() name}: each mail, of every kind, takes
     * a send slot from the store before it goes out, so that the nodes together keep the provider's limits. A
     * campaign reserves slots only half a second's worth at a time, so a confirmation mail waits behind at
     * most about a second of campaign mail. With a limited rate, each connection sends one mail per slot; the
     * connections still help when the server is slow to answer.
     *
     * @param rate the rate and the number of connections
     * @return this builder
     */
    public Builder sendingRate(org.optin4j.mail.SendingRate rate) {
      this.sendingRate = rate;
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
     * Turns on bounce handling: every outbox mail is sent with its own VERP envelope sender
     * {@code <localPart>+<tag>@<domain>} (RFC 5321 {@code MAIL FROM}), the tag naming the mail with a MAC under a key
     * derived from the suppression pepper, so that {@link OptIn#bounces()} can match a bounce or complaint to its mail and
     * refuse one whose tag was forged. The domain's mail must reach the mailbox that {@code MailboxReports} reads (a
     * catch-all or {@code +} sub-addressing on {@code localPart}). Off unless set.
     *
     * @param localPart the fixed local part, e.g. {@code bounces} (lower-case letters, digits, {@code . - _}, at most
     *     16)
     * @param domain the bounce domain, e.g. {@code bounces.example.org}
     * @return this builder
     * @throws IllegalArgumentException if the local part or the domain is not usable
     */
    public Builder bounceAddress(String localPart, String domain) {
      // Checked here so that a typo fails the build, not the first mail.
      new org.optin4j.internal.VerpAddress(
          localPart, domain, new javax.crypto.spec.SecretKeySpec(new byte[32], "HmacSHA256"));
      this.bounceLocalPart = localPart;
      this.bounceDomain = domain;
      return this;
    }

    /**
     * Sets how bounce reports are counted and how long reports set aside are kept (default
     * {@link org.optin4j.lists.BounceSettings#DEFAULTS}: 3 temporary bounces in 14 days, 30 days).
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder bounceSettings(org.optin4j.lists.BounceSettings settings) {
      this.bounceSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * Sets the suppression pepper (see below).
     *
     * @param pepper the pepper
     * @return this builder
     */
    public Builder suppressionPepper(byte[] pepper) {
      this.suppressionPepper = pepper == null ? null : pepper.clone();
      return this;
    }

    /**
     * Sets the EC P-256 keys that sign consent receipts (optional). With them, every receipt mail carries the signed
     * receipt as {@code consent-receipt.jws}, {@link SubjectRights#receipt} signs one on request and
     * {@link SubjectRights#receiptJwks()} publishes the public keys. <b>Without them no receipt is signed</b>: receipt
     * mails still go out (listing what was agreed to), {@code receipt(...)} answers empty and the key set is empty.
     * Optional so that an app can adopt receipts when it has a place to keep a private key; the proof in the store
     * does not depend on them.
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
     * schedule it yourself through {@link Operations#purge()}).
     *
     * @param unconfirmedGrace how long after expiry an unconfirmed signup is kept, 0 to 90 days
     * @param outboxRetention how long sent, failed and skipped mails are kept, 1 to 365 days
     * @param interval how often the job runs after {@link OptIn#start()}, or zero for never
     * @return this builder
     */
    public Builder retention(
        Duration unconfirmedGrace, Duration outboxRetention, Duration interval) {
      this.unconfirmedGrace = unconfirmedGrace;
      this.outboxRetention = outboxRetention;
      this.purgeInterval = interval;
      return this;
    }

    /**
     * Sets how long entries of the event feed ({@link OptIn#feed()}) are kept before the retention job deletes them
     * (default 30 days): a consumer must read the feed within this period.
     *
     * @param retention 1 to 365 days
     * @return this builder
     */
    public Builder feedRetention(Duration retention) {
      this.feedRetention = retention;
      return this;
    }

    /**
     * Sets how webhooks are delivered ({@link OptIn#webhooks()}; default {@link
     * org.optin4j.feed.WebhookSettings#defaults()}).
     *
     * @param settings the settings
     * @return this builder
     */
    public Builder webhooks(org.optin4j.feed.WebhookSettings settings) {
      this.webhookSettings = Objects.requireNonNull(settings, "settings");
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
      if (controller != null && controller.supervisoryAuthority() == null) {
        // Every notice names where to complain (GDPR Art. 13(2)(d)); no default authority is right
        // for everyone.
        problems.add(
            "controller supervisoryAuthority is required (GDPR Art. 13(2)(d)):"
                + " Controller.withSupervisoryAuthority(name, url)");
      }
      required(store, "store");
      required(mailer, "mailer");
      required(templates, "templates");
      required(signingKeys, "signingKeys");
      required(clock, "clock");
      required(random, "random");
      required(evidencePolicy, "evidencePolicy");
      required(listenerFailureHandler, "listenerFailureHandler");
      required(metrics, "metrics");
      checkBaseUrl();
      if (acceptedIssuers == null) {
        problems.add("acceptedIssuers must not be null (empty for none)");
      } else {
        for (String accepted : acceptedIssuers) {
          if (accepted == null
              || accepted.isBlank()
              || accepted.length() > 2000
              || accepted.chars().anyMatch(Character::isISOControl)) {
            problems.add(
                "acceptedIssuers must be 1 to 2000 characters without control characters, was "
                    + (accepted == null
                        ? "null"
                        : "\"" + accepted.replaceAll("\\p{Cntrl}", "?") + "\""));
          }
        }
      }
      range(confirmationTtl, "confirmationTtl", Duration.ofHours(1), Duration.ofHours(72));
      range(preferencesTtl, "preferencesTtl", Duration.ofHours(1), Duration.ofDays(3660));
      range(unsubscribeTtl, "unsubscribeTtl", Duration.ofDays(30), Duration.ofDays(3660));
      range(stepUpTtl, "stepUpTtl", Duration.ofMinutes(5), Duration.ofHours(24));
      range(
          minConfirmationMailInterval,
          "confirmationMailCap minInterval",
          Duration.ZERO,
          Duration.ofHours(1));
      if (maxConfirmationMailsPerDay < 1
          || maxConfirmationMailsPerDay > ConfirmationMailCap.MAX_PER_DAY) {
        problems.add(
            "confirmationMailCap perDay must be 1 to "
                + ConfirmationMailCap.MAX_PER_DAY
                + ", was "
                + maxConfirmationMailsPerDay);
      }
      required(capKeyStrategy, "capKeyStrategy");
      range(listenerBackoff, "listenerRetries firstBackoff", Duration.ZERO, Duration.ofHours(1));
      if (listenerAttempts < 1 || listenerAttempts > 20) {
        problems.add("listenerRetries attempts must be 1 to 20, was " + listenerAttempts);
      }
      range(dispatchInterval, "dispatch interval", Duration.ofMillis(10), Duration.ofHours(1));
      range(dispatchLease, "dispatch lease", Duration.ofSeconds(10), Duration.ofHours(1));
      if (sendingRate == null) {
        problems.add("sendingRate must not be null");
      }
      if (dispatchBatchSize < 1 || dispatchBatchSize > 1000) {
        problems.add("dispatch batchSize must be 1 to 1000, was " + dispatchBatchSize);
      }
      range(retryBackoff, "sendRetries first", Duration.ofMillis(1), Duration.ofDays(1));
      range(maxRetryBackoff, "sendRetries max", Duration.ofMillis(1), Duration.ofDays(7));
      if (retryBackoff != null
          && maxRetryBackoff != null
          && maxRetryBackoff.compareTo(retryBackoff) < 0) {
        problems.add("sendRetries max must not be shorter than first");
      }
      if (maxSendAttempts < 1 || maxSendAttempts > 100) {
        problems.add("sendRetries maxAttempts must be 1 to 100, was " + maxSendAttempts);
      }
      if (suppressionPepper == null) {
        problems.add("suppressionPepper is required");
      } else if (suppressionPepper.length < 32) {
        problems.add(
            "suppressionPepper must have at least 256 bits, had " + suppressionPepper.length * 8);
      }
      if (jurisdiction == null
          || jurisdiction.isBlank()
          || jurisdiction.length() > 100
          || jurisdiction.chars().anyMatch(Character::isISOControl)) {
        problems.add("jurisdiction must be one line of 1 to 100 characters");
      }
      range(unconfirmedGrace, "retention unconfirmedGrace", Duration.ZERO, Duration.ofDays(90));
      range(outboxRetention, "retention outboxRetention", Duration.ofDays(1), Duration.ofDays(365));
      range(purgeInterval, "retention interval", Duration.ZERO, Duration.ofDays(7));
      range(feedRetention, "feedRetention", Duration.ofDays(1), Duration.ofDays(365));
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
      boolean local =
          host != null
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
