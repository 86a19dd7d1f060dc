package org.optin4j;

import static org.optin4j.ServiceCore.enqueueOrThrottle;
import static org.optin4j.ServiceCore.startOfDay;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.optin4j.internal.DataExport;
import org.optin4j.internal.TokenCheck;
import org.optin4j.internal.TokenClaims;
import org.optin4j.internal.TokenKind;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.PendingRequest;

/**
 * The data subject's rights (GDPR Art. 15-21) run on the subject's behalf: access and portability through a
 * machine-readable export (Art. 15, 20), rectification of the address (Art. 16), erasure with a suppression list
 * (Art. 17), restriction (Art. 18), and signed consent receipts (Art. 7(1), 15). Withdrawal and objection to mail
 * stay on {@link OptIn#withdraw} and {@link OptIn#unsubscribe} (Art. 7(3), 21(3)). For the preference center, the
 * app's own authenticated pages and operators; requests that reach the controller by other ways go through the
 * {@link OptIn#rightsDesk() rights desk}, which calls this. Obtain it from {@link OptIn#rights()}.
 *
 * <p>Preferences links get forwarded (newsletters are), so what a person asks through one is weighed by what it can
 * do: withdrawal, restriction, a receipt or an export mailed to the address on file happen at once; a change of
 * address and an erasure (one hands the subscription to another address, the other cannot be undone) wait for a
 * short-lived, single-use step-up link mailed to the address on file ({@link #stepUpAddressChange},
 * {@link #stepUpErasure}, {@link #confirmStepUp}). Every link carries the subject's address generation, so a link
 * sent to an address the subject no longer has is answered like any invalid link.
 *
 * <p>Immutable and thread-safe.
 */
public final class SubjectRights {
  private final ServiceCore core;

  SubjectRights(ServiceCore core) {
    this.core = core;
  }

  /**
   * Erases a subject (GDPR Art. 17): deletes its address, consents, requests and queued mails; keeps a keyed hash of
   * the address on the suppression list so it is never mailed or re-imported without a fresh double opt-in; keeps a
   * de-identified stub of the history (no address, no evidence) if the proof policy says so
   * ({@link OptIn.Builder#erasureKeepsHistory(boolean)}). Listeners are told, with the address, so a CRM can erase too.
   *
   * @param subjectId the subject
   * @param channel who asked: the person ({@link Channel#PREFERENCE_CENTER}) or an operator
   * @return {@code true} if the subject existed and is now erased
   */
  public boolean erase(SubjectId subjectId, Channel channel) {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(channel, "channel");
    List<ConsentChange> changes = new ArrayList<>();
    boolean erased = core.inTransactionOr(tx -> {
      changes.clear();
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      tx.lockHistory(subjectId);
      changes.add(eraseLocked(tx, subject.get(), channel));
      return true;
    }, ServiceCore.Superseded.class, false);
    core.afterCommit(changes);
    return erased;
  }

  /** Erases a subject whose history lock the unit holds; throws {@link ServiceCore.Superseded} if another won. */
  private ConsentChange eraseLocked(ConsentStore.Transaction tx, Subject subject, Channel channel) {
    SubjectId subjectId = subject.id();
    Instant now = core.clock().instant();
    Set<PurposeId> purposes = new TreeSet<>();
    for (Consent c : tx.consents(subjectId)) {
      if (c.state() != ConsentState.ERASED) {
        tx.appendEvent(core.event(subjectId, c.purpose(), ConsentEvent.Type.ERASED, now, c.requestId(), c.notice(),
            null, channel, Evidence.NONE, null));
        purposes.add(c.purpose());
      }
    }
    tx.suppress(core.addressKey(subject.email()), now);
    if (!tx.eraseSubject(subjectId, core.erasureKeepsHistory())) {
      // A concurrent erasure won; undo this transaction's events.
      throw new ServiceCore.Superseded();
    }
    return new ConsentChange(ConsentChange.Type.ERASED, subjectId, subject.email(), purposes, now, channel);
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
    return parsed.isPresent() && core.store().read(tx -> tx.isSuppressed(core.addressKey(parsed.get())));
  }

  /**
   * Restricts, or lifts the restriction of, processing for one confirmed purpose (GDPR Art. 18): while restricted,
   * {@link OptIn#mayMail} answers {@code false} but the consent and its proof stay.
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
    return core.store().inTransaction(tx -> {
      if (tx.subject(subjectId).isEmpty()) {
        return false;
      }
      tx.lockHistory(subjectId);
      Optional<Consent> c = tx.consent(subjectId, purpose);
      if (c.isEmpty() || c.get().state() != ConsentState.CONFIRMED || c.get().restricted() == restrict) {
        return false;
      }
      Instant now = core.clock().instant();
      tx.saveConsent(c.get().restrict(restrict));
      tx.appendEvent(core.event(subjectId, purpose,
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
   * @return the receipt; empty if no {@link OptIn.Builder#receiptKeys receipt keys} are configured, there is no such
   *     subject, or nothing is confirmed
   */
  public Optional<String> receipt(SubjectId subjectId) {
    Objects.requireNonNull(subjectId, "subjectId");
    if (core.receipts() == null) {
      return Optional.empty();
    }
    return core.store().read(tx -> tx.subject(subjectId).isEmpty() ? Optional.<String>empty()
        : core.receipts().issue(tx, subjectId, List.of(), core.clock().instant()));
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
    boolean queued = core.store().inTransaction(tx -> {
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      List<Consent> confirmed = tx.consents(subjectId).stream()
          .filter(c -> c.state() == ConsentState.CONFIRMED).toList();
      if (confirmed.isEmpty()) {
        return false;
      }
      Instant now = core.clock().instant();
      Instant dayStart = startOfDay(now);
      String prefix = "receipt-copy:" + subjectId.value() + ':' + dayStart.getEpochSecond() / 86400 + ':';
      for (int slot = 1; slot <= 3; slot++) {
        if (tx.enqueue(OutboxMail.queued(core.randomId(), MailKind.RECEIPT, subjectId, subject.get().email(), null, 0,
            confirmed.get(0).notice().locale(), confirmed.stream().map(Consent::purpose).toList(), prefix + slot,
            now))) {
          return true;
        }
      }
      return false;
    });
    core.dispatcher().wake();
    return queued;
  }

  /**
   * Returns the public keys that verify consent receipts as a JWK set (RFC 7517 section 5), for publishing at
   * {@code /.well-known/jwks.json}; {@code {"keys":[]}} if receipts are not signed.
   *
   * @return the JWK set JSON, public parts only
   */
  public String receiptJwks() {
    return core.receiptKeys() == null ? "{\"keys\":[]}" : core.receiptKeys().publicJwks();
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
    return core.store().read(tx -> tx.subject(subjectId).map(s -> DataExport.json(tx, s, core.clock().instant())));
  }

  /**
   * Mails the subject's data export as a JSON attachment to the address on file, never to whoever asked (security
   * rule 18: preference links get forwarded). At most 3 a day per subject.
   *
   * @param subjectId the subject
   * @return {@code true} if queued; {@code false} if there is no such subject or the daily cap is reached
   */
  public boolean requestDataExport(SubjectId subjectId) {
    boolean queued = core.store().inTransaction(tx -> {
      Optional<Subject> subject = tx.subject(subjectId);
      if (subject.isEmpty()) {
        return false;
      }
      Instant now = core.clock().instant();
      Instant dayStart = startOfDay(now);
      int today = tx.countMails(subject.get().email(), MailKind.DATA_EXPORT, dayStart);
      if (today >= 3) {
        return false;
      }
      List<PurposeId> purposes = tx.consents(subjectId).stream().map(Consent::purpose).toList();
      Locale locale = tx.consents(subjectId).stream().findFirst().map(c -> c.notice().locale())
          .orElse(core.catalog().defaultLocale());
      return tx.enqueue(OutboxMail.queued(core.randomId(), MailKind.DATA_EXPORT, subjectId, subject.get().email(),
          null, 0, locale, purposes,
          "export:" + subjectId.value() + ':' + dayStart.getEpochSecond() / 86400 + ':' + (today + 1), now));
    });
    core.dispatcher().wake();
    return queued;
  }

  /**
   * Starts a change of address (GDPR Art. 16): the new address gets its own double opt-in, and the old address keeps
   * working until the new one is confirmed through {@link OptIn#confirm}. The consents, their proof and their history
   * stay with the subject; an {@code ADDRESS_CHANGED} event per purpose records the move. Once the change is
   * confirmed, every link sent to the old address stops working, and the old address gets a notice with a "this was
   * not me" link ({@link #restoreAddress}) that undoes the change for 14 days.
   *
   * <p>For the app's own authenticated pages and operators, who know who asks. Where the caller acts on a preferences
   * link (which may have been forwarded), use {@link #stepUpAddressChange} instead.
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
    if (core.unmailable(email) != null) {
      return new RequestResult.InvalidAddress(core.unmailable(email));
    }
    Locale lang = core.catalog().resolve(locale);
    Evidence kept = core.evidencePolicy().apply(evidence == null ? Evidence.NONE : evidence);
    RequestResult result = core.retryRequest(() -> core.store().inTransaction(tx -> {
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
      Instant now = core.clock().instant();
      ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, email, now);
      if (slot instanceof ConfirmationMailCap.Slot.Full full) {
        return new RequestResult.Throttled(full.retryAfter());
      }
      Notice notice = tx.saveNotice(core.render(purposes, lang));
      String requestId = core.randomId();
      tx.insertRequest(new PendingRequest(requestId, subjectId, purposes, notice.ref(), "address-change", kept, now,
          now.plus(core.confirmationTtl()), 1, PendingRequest.Status.OPEN, null));
      tx.saveAddressChange(requestId, email);
      enqueueOrThrottle(tx, OutboxMail.queued(core.randomId(), MailKind.ADDRESS_CONFIRMATION, subjectId, email,
          requestId, 1, lang, List.copyOf(purposes), slot.dedupeKey(), now));
      return new RequestResult.Accepted(subjectId, requestId, Set.of(), Set.of(), purposes);
    }));
    core.dispatcher().wake();
    return result;
  }

  // --- step-up: what a preferences link may ask but not do on its own ------------------------------------------

  /**
   * Asks, on behalf of whoever holds a preferences link, to change the subject's address (GDPR Art. 16). Nothing
   * changes and the new address gets no mail yet: a step-up link, valid for {@link OptIn.Builder#stepUpTtl} (default
   * 1 hour) and usable once, goes to the address on file. Only once it is used ({@link #confirmStepUp}) does the new
   * address get its double opt-in, as {@link #requestAddressChange} starts it.
   *
   * @param preferencesToken the token of the preferences link the request came through
   * @param newEmail the new address as typed
   * @param locale the language of the mails
   * @param evidence the request evidence as received (the evidence policy is applied)
   * @return {@link StepUpResult.Sent}; {@link StepUpResult.Unchanged}, {@link StepUpResult.Throttled},
   *     {@link StepUpResult.InvalidAddress} or {@link StepUpResult.InvalidLink}
   */
  public StepUpResult stepUpAddressChange(String preferencesToken, String newEmail, Locale locale,
      Evidence evidence) {
    TokenClaims claims = core.validClaims(TokenKind.MANAGE, preferencesToken);
    if (claims == null) {
      return new StepUpResult.InvalidLink();
    }
    Optional<EmailAddress> parsed = EmailAddress.tryParse(newEmail);
    if (parsed.isEmpty()) {
      return new StepUpResult.InvalidAddress("invalid email address");
    }
    EmailAddress email = parsed.get();
    if (core.unmailable(email) != null) {
      return new StepUpResult.InvalidAddress(core.unmailable(email));
    }
    Locale lang = core.catalog().resolve(locale);
    Evidence kept = core.evidencePolicy().apply(evidence == null ? Evidence.NONE : evidence);
    Instant retry = core.confirmationMailCap().retryAfterRace(core.clock().instant());
    StepUpResult result = core.inTransactionOr(tx -> {
      Optional<Subject> found = tx.subject(claims.subject());
      if (found.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, found.get())) {
        return new StepUpResult.InvalidLink();
      }
      Subject subject = found.get();
      if (subject.email().equals(email)) {
        return new StepUpResult.Unchanged(subject.id());
      }
      Set<PurposeId> purposes = movablePurposes(tx, subject.id());
      if (purposes.isEmpty()) {
        return new StepUpResult.Unchanged(subject.id());
      }
      Instant now = core.clock().instant();
      // The new address's cap is checked now too, so the current address is not asked for a change that could not
      // go on today.
      if (core.confirmationMailCap().slotFor(tx, email, now) instanceof ConfirmationMailCap.Slot.Full full) {
        return new StepUpResult.Throttled(full.retryAfter());
      }
      ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, subject.email(), now);
      if (slot instanceof ConfirmationMailCap.Slot.Full full) {
        return new StepUpResult.Throttled(full.retryAfter());
      }
      Notice notice = tx.saveNotice(core.render(purposes, lang));
      String requestId = core.randomId();
      Instant expiresAt = now.plus(core.stepUpTtl());
      // Generation 1 with the step-up source means "waits for its step-up": no confirmation link exists for it yet.
      tx.insertRequest(new PendingRequest(requestId, subject.id(), purposes, notice.ref(),
          ServiceCore.STEP_UP_SOURCE, kept, now, expiresAt, 1, PendingRequest.Status.OPEN, null));
      tx.saveAddressChange(requestId, email);
      enqueueOrThrottle(tx, OutboxMail.queued(core.randomId(), MailKind.ADDRESS_CHANGE_STEP_UP, subject.id(),
          subject.email(), requestId, subject.addressGeneration(), lang, List.copyOf(purposes), slot.dedupeKey(), now));
      return new StepUpResult.Sent(subject.id(), expiresAt);
    }, ServiceCore.CapRace.class, new StepUpResult.Throttled(retry));
    core.dispatcher().wake();
    return result;
  }

  /**
   * Asks, on behalf of whoever holds a preferences link, to erase the subject (GDPR Art. 17). Nothing is erased: a
   * step-up link, valid for {@link OptIn.Builder#stepUpTtl} (default 1 hour) and usable once, goes to the address on
   * file, and only its use ({@link #confirmStepUp}) erases, as {@link #erase} does.
   *
   * @param preferencesToken the token of the preferences link the request came through
   * @param locale the language of the mail
   * @return {@link StepUpResult.Sent}, {@link StepUpResult.Throttled} or {@link StepUpResult.InvalidLink}
   */
  public StepUpResult stepUpErasure(String preferencesToken, Locale locale) {
    TokenClaims claims = core.validClaims(TokenKind.MANAGE, preferencesToken);
    if (claims == null) {
      return new StepUpResult.InvalidLink();
    }
    Locale lang = core.catalog().resolve(locale);
    Instant retry = core.confirmationMailCap().retryAfterRace(core.clock().instant());
    StepUpResult result = core.inTransactionOr(tx -> {
      Optional<Subject> found = tx.subject(claims.subject());
      if (found.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, found.get())) {
        return new StepUpResult.InvalidLink();
      }
      Subject subject = found.get();
      Instant now = core.clock().instant();
      ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, subject.email(), now);
      if (slot instanceof ConfirmationMailCap.Slot.Full full) {
        return new StepUpResult.Throttled(full.retryAfter());
      }
      List<PurposeId> purposes = tx.consents(subject.id()).stream()
          .filter(c -> c.state() != ConsentState.ERASED).map(Consent::purpose).toList();
      enqueueOrThrottle(tx, OutboxMail.queued(core.randomId(), MailKind.ERASURE_STEP_UP, subject.id(),
          subject.email(), null, subject.addressGeneration(), lang, purposes, slot.dedupeKey(), now));
      return new StepUpResult.Sent(subject.id(), now.plus(core.stepUpTtl()));
    }, ServiceCore.CapRace.class, new StepUpResult.Throttled(retry));
    core.dispatcher().wake();
    return result;
  }

  /**
   * Shows what a step-up link would allow, without changing anything (mail scanners open links: security rule 6).
   *
   * @param stepUpToken the token of the step-up link
   * @return what to show
   */
  public StepUpPreview previewStepUp(String stepUpToken) {
    TokenCheck check = core.check(TokenKind.STEP_UP, stepUpToken);
    if (check instanceof TokenCheck.Expired e) {
      return new StepUpPreview.Expired(e.expiredAt());
    }
    if (!(check instanceof TokenCheck.Valid v)) {
      return new StepUpPreview.Invalid();
    }
    TokenClaims claims = v.claims();
    return core.store().read(tx -> {
      Optional<Subject> subject = tx.subject(claims.subject());
      if (subject.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, subject.get())) {
        return new StepUpPreview.Invalid();
      }
      if (claims.requestId() == null) {
        return new StepUpPreview.Erasure(v.expiresAt());
      }
      Optional<EmailAddress> newAddress = waitingAddressChange(tx, claims)
          .flatMap(r -> tx.addressChange(r.id()));
      return newAddress.<StepUpPreview>map(a -> new StepUpPreview.AddressChange(a, v.expiresAt()))
          .orElseGet(StepUpPreview.Invalid::new);
    });
  }

  /**
   * Uses a step-up link: lets the change of address it was mailed for go on (the new address's confirmation mail is
   * queued), or erases the subject. Single use; a link sent before a change of address is refused.
   *
   * @param stepUpToken the token of the step-up link
   * @return the outcome
   */
  public StepUpConfirmation confirmStepUp(String stepUpToken) {
    TokenCheck check = core.check(TokenKind.STEP_UP, stepUpToken);
    if (check instanceof TokenCheck.Expired e) {
      return new StepUpConfirmation.Expired(e.expiredAt());
    }
    if (!(check instanceof TokenCheck.Valid v)) {
      return new StepUpConfirmation.Invalid();
    }
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
  }

  private StepUpConfirmation confirmStepUp(TokenClaims claims, TokenCheck.Valid v, List<ConsentChange> changes,
      Instant retry) {
    return core.inTransactionOr(tx -> {
      changes.clear();
      if (tx.subject(claims.subject()).isEmpty()) {
        return new StepUpConfirmation.Invalid();
      }
      tx.lockHistory(claims.subject());
      // Read again under the lock: a change of address or an erasure may have committed in between.
      Optional<Subject> found = tx.subject(claims.subject());
      if (found.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, found.get())) {
        return new StepUpConfirmation.Invalid();
      }
      Subject subject = found.get();
      if (claims.requestId() == null) {
        if (!tx.useToken(v.id(), v.expiresAt())) {
          return new StepUpConfirmation.Invalid();
        }
        changes.add(eraseLocked(tx, subject, Channel.PREFERENCE_CENTER));
        return new StepUpConfirmation.Erased(subject.id());
      }
      Optional<PendingRequest> waiting = waitingAddressChange(tx, claims);
      Optional<EmailAddress> email = waiting.flatMap(r -> tx.addressChange(r.id()));
      if (email.isEmpty()) {
        return new StepUpConfirmation.Invalid();
      }
      Instant now = core.clock().instant();
      ConfirmationMailCap.Slot slot = core.confirmationMailCap().slotFor(tx, email.get(), now);
      if (slot instanceof ConfirmationMailCap.Slot.Full full) {
        // The link stays unused: it works once the cap allows.
        return new StepUpConfirmation.Throttled(full.retryAfter());
      }
      if (!tx.useToken(v.id(), v.expiresAt())) {
        return new StepUpConfirmation.Invalid();
      }
      // The next generation is the first with a confirmation link; it lives as long as any confirmation link.
      PendingRequest next = waiting.get().nextGeneration(now.plus(core.confirmationTtl()));
      tx.updateRequest(next);
      enqueueOrThrottle(tx, OutboxMail.queued(core.randomId(), MailKind.ADDRESS_CONFIRMATION, subject.id(),
          email.get(), next.id(), next.generation(), next.locale(), List.copyOf(new TreeSet<>(next.purposes())),
          slot.dedupeKey(), now));
      return new StepUpConfirmation.AddressChangeStarted(subject.id(), email.get());
    }, ServiceCore.CapRace.class, new StepUpConfirmation.Throttled(retry));
  }

  /**
   * Returns the subject a "this was not me" link stands for, if the link can still undo its change of address: for
   * the page that shows the button (a GET that changes nothing).
   *
   * @param notMeToken the token of the link mailed to the old address
   * @return the subject, or empty
   */
  public Optional<SubjectId> verifyNotMeToken(String notMeToken) {
    TokenClaims claims = core.validClaims(TokenKind.NOT_ME, notMeToken);
    if (claims == null) {
      return Optional.empty();
    }
    return core.store().read(tx -> restorable(tx, claims).map(Subject::id));
  }

  /**
   * Undoes a change of address through the "this was not me" link mailed to the old address (valid 14 days, single
   * use): the old address is the subject's again, one address generation on, so every link sent for the address
   * the change brought (preferences, unsubscribe, step-up) stops working; address changes still open are cancelled;
   * an {@code ADDRESS_CHANGED} event per purpose records the undoing; a receipt with fresh links goes to the
   * restored address.
   *
   * @param notMeToken the token of the link
   * @param evidence the evidence as received (the evidence policy is applied)
   * @return {@link AddressRestore.Restored}, or {@link AddressRestore.Invalid} with nothing changed
   */
  public AddressRestore restoreAddress(String notMeToken, Evidence evidence) {
    if (!(core.check(TokenKind.NOT_ME, notMeToken) instanceof TokenCheck.Valid v)) {
      return new AddressRestore.Invalid();
    }
    TokenClaims claims = v.claims();
    Evidence kept = core.evidencePolicy().apply(evidence == null ? Evidence.NONE : evidence);
    List<ConsentChange> changes = new ArrayList<>();
    AddressRestore result = core.inTransactionOr(tx -> {
      changes.clear();
      if (tx.subject(claims.subject()).isEmpty()) {
        return new AddressRestore.Invalid();
      }
      tx.lockHistory(claims.subject());
      Optional<Subject> found = restorable(tx, claims);
      if (found.isEmpty()) {
        return new AddressRestore.Invalid();
      }
      Subject subject = found.get();
      EmailAddress previous = tx.replacedAddress(claims.requestId()).orElseThrow();
      if (tx.subjectByEmail(previous).filter(other -> !other.id().equals(subject.id())).isPresent()
          || !tx.useToken(v.id(), v.expiresAt())) {
        return new AddressRestore.Invalid();
      }
      Instant now = core.clock().instant();
      tx.updateSubject(subject.movedTo(previous));
      // Whatever was asked for the address the change brought is void: its links went to that address. Open address
      // changes are cancelled, and so are requests made since the change, whose pending consents end unconfirmed.
      Instant changedAt = tx.findRequest(claims.requestId()).map(PendingRequest::closedAt).orElse(now);
      Set<String> voided = new TreeSet<>();
      for (PendingRequest open : tx.openRequests(subject.id())) {
        boolean since = !open.requestedAt().isBefore(changedAt);
        if (since || tx.addressChange(open.id()).isPresent()) {
          tx.updateRequest(open.withStatus(PendingRequest.Status.SUPERSEDED, now));
          voided.add(open.id());
        }
      }
      for (Consent c : tx.consents(subject.id())) {
        if (c.state() == ConsentState.PENDING && voided.contains(c.requestId())) {
          tx.saveConsent(c.expire(now));
          tx.appendEvent(core.event(subject.id(), c.purpose(), ConsentEvent.Type.EXPIRED, now, c.requestId(),
              c.notice(), "address-change-undone", Channel.SYSTEM, Evidence.NONE, null));
        }
      }
      Set<PurposeId> moved = new TreeSet<>();
      List<PurposeId> confirmed = new ArrayList<>();
      for (Consent c : tx.consents(subject.id())) {
        if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
          tx.appendEvent(core.event(subject.id(), c.purpose(), ConsentEvent.Type.ADDRESS_CHANGED, now,
              claims.requestId(), c.notice(), "address-change-undone", Channel.CONFIRMATION_LINK, kept, v.id()));
          moved.add(c.purpose());
          if (c.state() == ConsentState.CONFIRMED) {
            confirmed.add(c.purpose());
          }
        }
      }
      if (!confirmed.isEmpty()) {
        // The person's old links died with the change; the receipt brings working ones.
        Locale locale = tx.consents(subject.id()).stream().filter(c -> c.state() == ConsentState.CONFIRMED)
            .findFirst().map(c -> c.notice().locale()).orElse(core.catalog().defaultLocale());
        tx.enqueue(OutboxMail.queued(core.randomId(), MailKind.RECEIPT, subject.id(), previous, null, 0, locale,
            confirmed, "receipt:restored:" + v.id(), now));
      }
      changes.add(new ConsentChange(ConsentChange.Type.ADDRESS_CHANGED, subject.id(), previous, moved, now,
          Channel.CONFIRMATION_LINK));
      return new AddressRestore.Restored(subject.id(), previous);
    }, ServiceCore.Superseded.class, new AddressRestore.Invalid());
    core.afterCommit(changes);
    return result;
  }

  /** The subject whose change of address a "this was not me" token may still undo, or empty. */
  private static Optional<Subject> restorable(ConsentStore.Transaction tx, TokenClaims claims) {
    if (claims.requestId() == null) {
      return Optional.empty();
    }
    Optional<Subject> subject = tx.subject(claims.subject());
    Optional<PendingRequest> change = tx.findRequest(claims.requestId());
    if (subject.isEmpty() || !ServiceCore.sentToCurrentAddress(claims, subject.get()) || change.isEmpty()
        || !change.get().subjectId().equals(claims.subject())
        || change.get().status() != PendingRequest.Status.CONFIRMED
        || tx.replacedAddress(claims.requestId()).isEmpty()) {
      return Optional.empty();
    }
    return subject;
  }

  /** The address change a step-up token was mailed for, if it still waits for its step-up. */
  private Optional<PendingRequest> waitingAddressChange(ConsentStore.Transaction tx, TokenClaims claims) {
    Instant now = core.clock().instant();
    return tx.findRequest(claims.requestId())
        .filter(r -> r.subjectId().equals(claims.subject()) && ServiceCore.STEP_UP_SOURCE.equals(r.source())
            && r.status() == PendingRequest.Status.OPEN && r.generation() == 1 && now.isBefore(r.expiresAt()));
  }

  /** The purposes a change of address moves: those confirmed or pending. */
  private static Set<PurposeId> movablePurposes(ConsentStore.Transaction tx, SubjectId subjectId) {
    Set<PurposeId> purposes = new TreeSet<>();
    for (Consent c : tx.consents(subjectId)) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        purposes.add(c.purpose());
      }
    }
    return purposes;
  }
}
