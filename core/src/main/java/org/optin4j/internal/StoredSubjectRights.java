package org.optin4j.internal;

import static org.optin4j.internal.ServiceCore.enqueueOrThrottle;
import static org.optin4j.internal.ServiceCore.startOfDay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.Notice;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.rights.AddressRestore;
import org.optin4j.rights.StepUpConfirmation;
import org.optin4j.rights.StepUpPreview;
import org.optin4j.rights.StepUpResult;
import org.optin4j.rights.SubjectRights;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * The implementation of {@link SubjectRights} over the consent store; see there. Not API.
 */
public final class StoredSubjectRights implements SubjectRights {
  private final ServiceCore core;

  public StoredSubjectRights(ServiceCore core) {
    this.core = core;
  }

  @Override
  public boolean erase(SubjectId subjectId, Channel channel) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(channel, "channel");
    List<ConsentChange> changes = new ArrayList<>();
    boolean erased =
        core.inTransactionOr(
            tx -> {
              changes.clear();
              Optional<Subject> subject = tx.subjects().subject(subjectId);
              if (subject.isEmpty()) {
                return false;
              }
              tx.history().lock(subjectId);
              changes.add(eraseLocked(tx, subject.get(), channel));
              return true;
            },
            ServiceCore.Superseded.class,
            false);
    core.afterCommit(changes);
    return erased;
  }

  /** Erases a subject whose history lock the unit holds; throws {@link ServiceCore.Superseded} if another won. */
  private ConsentChange eraseLocked(ConsentStore.Transaction tx, Subject subject, Channel channel) {
    SubjectId subjectId = subject.id();
    Instant now = core.clock().instant();
    Set<PurposeId> purposes = new TreeSet<>();
    for (Consent c : tx.subjects().consents(subjectId)) {
      if (c.state() != ConsentState.ERASED) {
        HistoryChain.append(
            tx,
            new ConsentEvent(
                0,
                subjectId,
                c.purpose(),
                ConsentEvent.Type.ERASED,
                now,
                c.requestId(),
                c.notice(),
                null,
                channel,
                Evidence.NONE,
                null));
        purposes.add(c.purpose());
      }
    }
    tx.subjects().suppress(core.addressKey(subject.email()), now);
    // Counted temporary bounces would otherwise linger up to their window after the subject is
    // gone.
    tx.reports().purgeSoftBounces(subjectId, Instant.MAX);
    if (!tx.subjects().eraseSubject(subjectId, core.erasureKeepsHistory())) {
      // A concurrent erasure won; undo this transaction's events.
      throw new ServiceCore.Superseded();
    }
    return new ConsentChange(
        ConsentChange.Type.ERASED, subjectId, subject.email(), purposes, now, channel);
  }

  @Override
  public boolean isSuppressed(String email) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
    return parsed.isPresent()
        && core.store().read(tx -> tx.subjects().isSuppressed(core.addressKey(parsed.get())));
  }

  @Override
  public boolean restrict(
      SubjectId subjectId, PurposeId purpose, boolean restrict, Channel channel) {
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(channel, "channel");
    return core.store()
        .inTransaction(
            tx -> {
              if (tx.subjects().subject(subjectId).isEmpty()) {
                return false;
              }
              tx.history().lock(subjectId);
              Optional<Consent> c = tx.subjects().consent(subjectId, purpose);
              if (c.isEmpty()
                  || c.get().state() != ConsentState.CONFIRMED
                  || c.get().restricted() == restrict) {
                return false;
              }
              Instant now = core.clock().instant();
              tx.subjects().saveConsent(c.get().restrict(restrict));
              HistoryChain.append(
                  tx,
                  new ConsentEvent(
                      0,
                      subjectId,
                      purpose,
                      restrict
                          ? ConsentEvent.Type.RESTRICTED
                          : ConsentEvent.Type.RESTRICTION_LIFTED,
                      now,
                      c.get().requestId(),
                      c.get().notice(),
                      null,
                      channel,
                      Evidence.NONE,
                      null));
              return true;
            });
  }

  @Override
  public Optional<String> receipt(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    if (core.receipts() == null) {
      return Optional.empty();
    }
    return core.store()
        .read(
            tx ->
                tx.subjects().subject(subjectId).isEmpty()
                    ? Optional.<String>empty()
                    : core.receipts().issue(tx, subjectId, List.of(), core.clock().instant()));
  }

  @Override
  public boolean mailReceipt(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    return queueForSubject(
        subjectId,
        (tx, subject) -> {
          List<Consent> confirmed =
              tx.subjects().consents(subjectId).stream()
                  .filter(c -> c.state() == ConsentState.CONFIRMED)
                  .toList();
          if (confirmed.isEmpty()) {
            return false;
          }
          Instant now = core.clock().instant();
          Instant dayStart = startOfDay(now);
          String prefix =
              "receipt-copy:" + subjectId.value() + ':' + dayStart.getEpochSecond() / 86400 + ':';
          for (int slot = 1; slot <= 3; slot++) {
            if (core.enqueueReceipt(
                tx,
                subjectId,
                subject.email(),
                null,
                confirmed.get(0).notice().locale(),
                confirmed.stream().map(Consent::purpose).toList(),
                prefix + slot,
                now)) {
              return true;
            }
          }
          return false;
        });
  }

  /**
   * Runs a unit that may queue mail for a subject on request ({@code false} for an unknown subject), then wakes the
   * dispatcher.
   */
  private boolean queueForSubject(
      SubjectId subjectId, BiFunction<ConsentStore.Transaction, Subject, Boolean> work) {
    boolean queued =
        core.store()
            .inTransaction(
                tx -> tx.subjects().subject(subjectId).map(s -> work.apply(tx, s)).orElse(false));
    core.dispatcher().wake();
    return queued;
  }

  @Override
  public String receiptJwks() {
    return core.receiptKeys() == null ? "{\"keys\":[]}" : core.receiptKeys().publicJwks();
  }

  @Override
  public Optional<String> exportJson(SubjectId subjectId) {
    return core.store()
        .read(
            tx ->
                tx.subjects()
                    .subject(subjectId)
                    .map(s -> DataExport.json(tx, s, core.clock().instant())));
  }

  @Override
  public boolean requestDataExport(SubjectId subjectId) {
    return queueForSubject(
        subjectId,
        (tx, subject) -> {
          Instant now = core.clock().instant();
          Instant dayStart = startOfDay(now);
          int today = tx.outbox().countMails(subject.email(), MailKind.DATA_EXPORT, dayStart);
          if (today >= 3) {
            return false;
          }
          List<PurposeId> purposes =
              tx.subjects().consents(subjectId).stream().map(Consent::purpose).toList();
          Locale locale =
              tx.subjects().consents(subjectId).stream()
                  .findFirst()
                  .map(c -> c.notice().locale())
                  .orElse(core.catalog().defaultLocale());
          return tx.outbox()
              .enqueue(
                  OutboxMail.queued(
                      core.randomId(),
                      MailKind.DATA_EXPORT,
                      subjectId,
                      subject.email(),
                      null,
                      0,
                      locale,
                      purposes,
                      "export:"
                          + subjectId.value()
                          + ':'
                          + dayStart.getEpochSecond() / 86400
                          + ':'
                          + (today + 1),
                      now));
        });
  }

  @Override
  public RequestResult requestAddressChange(
      SubjectId subjectId, String newEmail, Locale locale, Evidence evidence) {
    AddressChangeAsk ask = addressChangeAsk(newEmail, locale, evidence);
    if (ask.refusal() != null) {
      return new RequestResult.InvalidAddress(ask.refusal());
    }
    RequestResult result =
        core.retryRequest(
            () ->
                core.store()
                    .inTransaction(
                        tx -> {
                          Subject subject =
                              tx.subjects()
                                  .subject(subjectId)
                                  .orElseThrow(
                                      () ->
                                          new IllegalArgumentException(
                                              "unknown subject " + subjectId));
                          Set<PurposeId> purposes = movablePurposes(tx, subject, ask.email());
                          if (purposes.isEmpty()) {
                            return new RequestResult.AlreadyConfirmed(subjectId);
                          }
                          Instant now = core.clock().instant();
                          ConfirmationMailCap.Slot slot =
                              core.confirmationMailCap().slotFor(tx, ask.email(), now);
                          if (slot instanceof ConfirmationMailCap.Slot.Full full) {
                            return new RequestResult.Throttled(full.retryAfter());
                          }
                          String requestId =
                              openAddressChange(
                                  tx,
                                  subjectId,
                                  purposes,
                                  ask,
                                  "address-change",
                                  now,
                                  now.plus(core.confirmationTtl()));
                          enqueueOrThrottle(
                              tx,
                              OutboxMail.queued(
                                  core.randomId(),
                                  MailKind.ADDRESS_CONFIRMATION,
                                  subjectId,
                                  ask.email(),
                                  requestId,
                                  1,
                                  ask.lang(),
                                  List.copyOf(purposes),
                                  slot.dedupeKey(),
                                  now));
                          return new RequestResult.Accepted(
                              subjectId, requestId, Set.of(), Set.of(), purposes);
                        }));
    core.dispatcher().wake();
    return result;
  }

  // --- step-up: what a preferences link may ask but not do on its own
  // ------------------------------------------

  @Override
  public StepUpResult stepUpAddressChange(
      String preferencesToken, String newEmail, Locale locale, Evidence evidence) {
    TokenClaims claims = core.validClaims(TokenKind.MANAGE, preferencesToken);
    if (claims == null) {
      return new StepUpResult.InvalidLink();
    }
    AddressChangeAsk ask = addressChangeAsk(newEmail, locale, evidence);
    if (ask.refusal() != null) {
      return new StepUpResult.InvalidAddress(ask.refusal());
    }
    return stepUp(
        claims,
        (tx, subject) -> {
          Set<PurposeId> purposes = movablePurposes(tx, subject, ask.email());
          if (purposes.isEmpty()) {
            return new StepUpResult.Unchanged(subject.id());
          }
          Instant now = core.clock().instant();
          // The new address's cap is checked now too, so the current address is not asked for a
          // change that could not
          // go on today.
          if (core.confirmationMailCap().slotFor(tx, ask.email(), now)
              instanceof ConfirmationMailCap.Slot.Full full) {
            return new StepUpResult.Throttled(full.retryAfter());
          }
          ConfirmationMailCap.Slot slot =
              core.confirmationMailCap().slotFor(tx, subject.email(), now);
          if (slot instanceof ConfirmationMailCap.Slot.Full full) {
            return new StepUpResult.Throttled(full.retryAfter());
          }
          Instant expiresAt = now.plus(core.stepUpTtl());
          // Generation 1 with the step-up source means "waits for its step-up": no confirmation
          // link exists for it yet.
          String requestId =
              openAddressChange(
                  tx, subject.id(), purposes, ask, ServiceCore.STEP_UP_SOURCE, now, expiresAt);
          enqueueOrThrottle(
              tx,
              OutboxMail.queued(
                  core.randomId(),
                  MailKind.ADDRESS_CHANGE_STEP_UP,
                  subject.id(),
                  subject.email(),
                  requestId,
                  subject.addressGeneration(),
                  ask.lang(),
                  List.copyOf(purposes),
                  slot.dedupeKey(),
                  now));
          return new StepUpResult.Sent(subject.id(), expiresAt);
        });
  }

  @Override
  public StepUpResult stepUpErasure(String preferencesToken, Locale locale) {
    TokenClaims claims = core.validClaims(TokenKind.MANAGE, preferencesToken);
    if (claims == null) {
      return new StepUpResult.InvalidLink();
    }
    Locale lang = core.catalog().resolve(locale);
    return stepUp(
        claims,
        (tx, subject) -> {
          Instant now = core.clock().instant();
          ConfirmationMailCap.Slot slot =
              core.confirmationMailCap().slotFor(tx, subject.email(), now);
          if (slot instanceof ConfirmationMailCap.Slot.Full full) {
            return new StepUpResult.Throttled(full.retryAfter());
          }
          List<PurposeId> purposes =
              tx.subjects().consents(subject.id()).stream()
                  .filter(c -> c.state() != ConsentState.ERASED)
                  .map(Consent::purpose)
                  .toList();
          enqueueOrThrottle(
              tx,
              OutboxMail.queued(
                  core.randomId(),
                  MailKind.ERASURE_STEP_UP,
                  subject.id(),
                  subject.email(),
                  null,
                  subject.addressGeneration(),
                  lang,
                  purposes,
                  slot.dedupeKey(),
                  now));
          return new StepUpResult.Sent(subject.id(), now.plus(core.stepUpTtl()));
        });
  }

  /**
   * Runs what a valid preferences link asks, in one transaction, for the subject it names if it was sent to the
   * subject's current address; a lost race for a mail cap answers {@link StepUpResult.Throttled}.
   */
  private StepUpResult stepUp(
      TokenClaims claims, BiFunction<ConsentStore.Transaction, Subject, StepUpResult> ask) {
    Instant retry = core.confirmationMailCap().retryAfterRace(core.clock().instant());
    StepUpResult result =
        core.inTransactionOr(
            tx -> {
              Optional<Subject> found = tx.subjects().subject(claims.subject());
              if (found.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, found.get())) {
                return new StepUpResult.InvalidLink();
              }
              return ask.apply(tx, found.get());
            },
            ServiceCore.CapRace.class,
            new StepUpResult.Throttled(retry));
    core.dispatcher().wake();
    return result;
  }

  @Override
  public StepUpPreview previewStepUp(String stepUpToken) {
    return onStepUpToken(
        stepUpToken,
        StepUpPreview.Expired::new,
        StepUpPreview.Invalid::new,
        v -> {
          TokenClaims claims = v.claims();
          return core.store()
              .read(
                  tx -> {
                    Optional<Subject> subject = tx.subjects().subject(claims.subject());
                    if (subject.isEmpty()
                        || !ServiceCore.sentToCurrentAddress(claims, subject.get())) {
                      return new StepUpPreview.Invalid();
                    }
                    if (claims.requestId() == null) {
                      return new StepUpPreview.Erasure(v.expiresAt());
                    }
                    Optional<EmailAddress> newAddress =
                        waitingAddressChange(tx, claims)
                            .flatMap(r -> tx.requests().addressChange(r.id()));
                    return newAddress
                        .<StepUpPreview>map(a -> new StepUpPreview.AddressChange(a, v.expiresAt()))
                        .orElseGet(StepUpPreview.Invalid::new);
                  });
        });
  }

  @Override
  public StepUpConfirmation confirmStepUp(String stepUpToken) {
    return onStepUpToken(
        stepUpToken,
        StepUpConfirmation.Expired::new,
        StepUpConfirmation.Invalid::new,
        v -> {
          TokenClaims claims = v.claims();
          List<ConsentChange> changes = new ArrayList<>();
          Instant retry = core.confirmationMailCap().retryAfterRace(core.clock().instant());
          StepUpConfirmation result;
          try {
            result = confirmStepUp(claims, v, changes, retry);
          } catch (ServiceCore.Superseded concurrentErasure) {
            return new StepUpConfirmation.Invalid();
          }
          core.afterCommit(changes);
          return result;
        });
  }

  /**
   * Checks a step-up link: hands a valid one on, and answers an expired or invalid one in the caller's result type,
   * so that the preview and the confirmation of one link tell the person the same.
   */
  private <R> R onStepUpToken(
      String stepUpToken,
      Function<Instant, R> expired,
      Supplier<R> invalid,
      Function<TokenCheck.Valid, R> valid) {
    TokenCheck check = core.check(TokenKind.STEP_UP, stepUpToken);
    if (check instanceof TokenCheck.Expired e) {
      return expired.apply(e.expiredAt());
    }
    return check instanceof TokenCheck.Valid v ? valid.apply(v) : invalid.get();
  }

  private StepUpConfirmation confirmStepUp(
      TokenClaims claims, TokenCheck.Valid v, List<ConsentChange> changes, Instant retry) {
    return core.inTransactionOr(
        tx -> {
          changes.clear();
          if (tx.subjects().subject(claims.subject()).isEmpty()) {
            return new StepUpConfirmation.Invalid();
          }
          tx.history().lock(claims.subject());
          // Read again under the lock: a change of address or an erasure may have committed in
          // between.
          Optional<Subject> found = tx.subjects().subject(claims.subject());
          if (found.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, found.get())) {
            return new StepUpConfirmation.Invalid();
          }
          Subject subject = found.get();
          if (claims.requestId() == null) {
            if (!tx.requests().useToken(v.id(), v.expiresAt())) {
              return new StepUpConfirmation.Invalid();
            }
            changes.add(eraseLocked(tx, subject, Channel.PREFERENCE_CENTER));
            return new StepUpConfirmation.Erased(subject.id());
          }
          Optional<PendingRequest> waiting = waitingAddressChange(tx, claims);
          Optional<EmailAddress> email = waiting.flatMap(r -> tx.requests().addressChange(r.id()));
          if (email.isEmpty()) {
            return new StepUpConfirmation.Invalid();
          }
          Instant now = core.clock().instant();
          ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, email.get(), now);
          if (slot instanceof ConfirmationMailCap.Slot.Full full) {
            // The link stays unused: it works once the cap allows.
            return new StepUpConfirmation.Throttled(full.retryAfter());
          }
          if (!tx.requests().useToken(v.id(), v.expiresAt())) {
            return new StepUpConfirmation.Invalid();
          }
          // The next generation is the first with a confirmation link; it lives as long as any
          // confirmation link.
          PendingRequest next = waiting.get().nextGeneration(now.plus(core.confirmationTtl()));
          tx.requests().updateRequest(next);
          enqueueOrThrottle(
              tx,
              OutboxMail.queued(
                  core.randomId(),
                  MailKind.ADDRESS_CONFIRMATION,
                  subject.id(),
                  email.get(),
                  next.id(),
                  next.generation(),
                  next.locale(),
                  List.copyOf(new TreeSet<>(next.purposes())),
                  slot.dedupeKey(),
                  now));
          return new StepUpConfirmation.AddressChangeStarted(subject.id(), email.get());
        },
        ServiceCore.CapRace.class,
        new StepUpConfirmation.Throttled(retry));
  }

  @Override
  public Optional<SubjectId> verifyNotMeToken(String notMeToken) {
    TokenClaims claims = core.validClaims(TokenKind.NOT_ME, notMeToken);
    if (claims == null) {
      return Optional.empty();
    }
    return core.store().read(tx -> restorable(tx, claims).map(Subject::id));
  }

  @Override
  public AddressRestore restoreAddress(String notMeToken, Evidence evidence) {
    if (!(core.check(TokenKind.NOT_ME, notMeToken) instanceof TokenCheck.Valid v)) {
      return new AddressRestore.Invalid();
    }
    TokenClaims claims = v.claims();
    Evidence kept = core.evidencePolicy().apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    AddressRestore result =
        core.inTransactionOr(
            tx -> {
              changes.clear();
              if (tx.subjects().subject(claims.subject()).isEmpty()) {
                return new AddressRestore.Invalid();
              }
              tx.history().lock(claims.subject());
              Optional<Subject> found = restorable(tx, claims);
              if (found.isEmpty()) {
                return new AddressRestore.Invalid();
              }
              Subject subject = found.get();
              EmailAddress previous =
                  tx.requests().replacedAddress(claims.requestId()).orElseThrow();
              if (tx.subjects()
                      .subjectByEmail(previous)
                      .filter(other -> !other.id().equals(subject.id()))
                      .isPresent()
                  || !tx.requests().useToken(v.id(), v.expiresAt())) {
                return new AddressRestore.Invalid();
              }
              Instant now = core.clock().instant();
              tx.subjects().updateSubject(subject.movedTo(previous));
              // Whatever was asked for the address the change brought is void: its links went to
              // that address. Open address
              // changes are cancelled, and so are requests made since the change, whose pending
              // consents end unconfirmed.
              Instant changedAt =
                  tx.requests()
                      .findRequest(claims.requestId())
                      .map(PendingRequest::closedAt)
                      .orElse(now);
              Set<String> voided = new TreeSet<>();
              for (PendingRequest open : tx.requests().openRequests(subject.id())) {
                boolean since = !open.requestedAt().isBefore(changedAt);
                if (since || tx.requests().addressChange(open.id()).isPresent()) {
                  tx.requests()
                      .updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, now));
                  voided.add(open.id());
                }
              }
              for (Consent c : tx.subjects().consents(subject.id())) {
                if (c.state() == ConsentState.PENDING && voided.contains(c.requestId())) {
                  ServiceCore.saveSystemChange(
                      tx, c.expire(now), ConsentEvent.Type.EXPIRED, now, "address-change-undone");
                }
              }
              Set<PurposeId> moved = new TreeSet<>();
              List<PurposeId> confirmed = new ArrayList<>();
              for (Consent c :
                  core.recordAddressChange(
                      tx,
                      subject.id(),
                      now,
                      claims.requestId(),
                      "address-change-undone",
                      kept,
                      v.id())) {
                moved.add(c.purpose());
                if (c.state() == ConsentState.CONFIRMED) {
                  confirmed.add(c.purpose());
                }
              }
              if (!confirmed.isEmpty()) {
                // The person's old links died with the change; the receipt brings working ones.
                Locale locale =
                    tx.subjects().consents(subject.id()).stream()
                        .filter(c -> c.state() == ConsentState.CONFIRMED)
                        .findFirst()
                        .map(c -> c.notice().locale())
                        .orElse(core.catalog().defaultLocale());
                core.enqueueReceipt(
                    tx,
                    subject.id(),
                    previous,
                    null,
                    locale,
                    confirmed,
                    "receipt:restored:" + v.id(),
                    now);
              }
              changes.add(
                  new ConsentChange(
                      ConsentChange.Type.ADDRESS_CHANGED,
                      subject.id(),
                      previous,
                      moved,
                      now,
                      Channel.CONFIRMATION_LINK));
              return new AddressRestore.Restored(subject.id(), previous);
            },
            ServiceCore.Superseded.class,
            new AddressRestore.Invalid());
    core.afterCommit(changes);
    return result;
  }

  /** The subject whose change of address a "this was not me" token may still undo, or empty. */
  private static Optional<Subject> restorable(ConsentStore.Transaction tx, TokenClaims claims) {
    if (claims.requestId() == null) {
      return Optional.empty();
    }
    Optional<Subject> subject = tx.subjects().subject(claims.subject());
    Optional<PendingRequest> change = tx.requests().findRequest(claims.requestId());
    if (subject.isEmpty()
        || !ServiceCore.sentToCurrentAddress(claims, subject.get())
        || change.isEmpty()
        || !change.get().subjectId().equals(claims.subject())
        || change.get().status() != PendingRequest.Status.CONFIRMED
        || tx.requests().replacedAddress(claims.requestId()).isEmpty()) {
      return Optional.empty();
    }
    return subject;
  }

  /** The address change a step-up token was mailed for, if it still waits for its step-up. */
  private Optional<PendingRequest> waitingAddressChange(
      ConsentStore.Transaction tx, TokenClaims claims) {
    Instant now = core.clock().instant();
    return tx.requests()
        .findRequest(claims.requestId())
        .filter(
            r ->
                r.subjectId().equals(claims.subject())
                    && ServiceCore.STEP_UP_SOURCE.equals(r.source())
                    && r.status() == PendingRequest.Status.OPEN
                    && r.generation() == 1
                    && now.isBefore(r.expiresAt()));
  }

  /**
   * A change of address as asked, checked before any transaction: the new address, or why it is refused (the one rule
   * for both ways of asking, {@link #requestAddressChange} and {@link #stepUpAddressChange}); with the language and the
   * evidence kept when it is not refused.
   */
  private record AddressChangeAsk(EmailAddress email, String refusal, Locale lang, Evidence kept) {}

  private AddressChangeAsk addressChangeAsk(String newEmail, Locale locale, Evidence evidence) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(newEmail);
    String refusal = parsed.isEmpty() ? "invalid email address" : core.unmailable(parsed.get());
    if (refusal != null) {
      return new AddressChangeAsk(null, refusal, null, null);
    }
    return new AddressChangeAsk(
        parsed.get(),
        null,
        core.catalog().resolve(locale),
        core.evidencePolicy().apply(evidence == null ? Evidence.NONE : evidence));
  }

  /**
   * Opens a change of address that waits for a confirmation or a step-up (generation 1): stores the notice of the
   * purposes it moves and the new address, and returns the id of the request.
   */
  private String openAddressChange(
      ConsentStore.Transaction tx,
      SubjectId subjectId,
      Set<PurposeId> purposes,
      AddressChangeAsk ask,
      String source,
      Instant now,
      Instant expiresAt) {
    Notice notice = core.saveNotice(tx, core.render(purposes, ask.lang()));
    String requestId = core.randomId();
    tx.requests()
        .insertRequest(
            new PendingRequest(
                requestId,
                subjectId,
                purposes,
                notice.ref(),
                source,
                ask.kept(),
                now,
                expiresAt,
                1,
                PendingRequest.Status.OPEN,
                null));
    tx.requests().saveAddressChange(requestId, ask.email());
    return requestId;
  }

  /**
   * The purposes a change of the subject's address to a new one moves: those confirmed or pending; none if the new
   * address is the subject's already.
   */
  private static Set<PurposeId> movablePurposes(
      ConsentStore.Transaction tx, Subject subject, EmailAddress newAddress) {
    Set<PurposeId> purposes = new TreeSet<>();
    if (subject.email().equals(newAddress)) {
      return purposes;
    }
    for (Consent c : tx.subjects().consents(subject.id())) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        purposes.add(c.purpose());
      }
    }
    return purposes;
  }
}
