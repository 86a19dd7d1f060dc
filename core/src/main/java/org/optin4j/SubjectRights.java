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
      Instant now = core.clock().instant();
      Set<PurposeId> purposes = new TreeSet<>();
      for (Consent c : tx.consents(subjectId)) {
        if (c.state() != ConsentState.ERASED) {
          tx.appendEvent(core.event(subjectId, c.purpose(), ConsentEvent.Type.ERASED, now, c.requestId(), c.notice(),
              null, channel, Evidence.NONE, null));
          purposes.add(c.purpose());
        }
      }
      tx.suppress(core.addressKey(subject.get().email()), now);
      if (!tx.eraseSubject(subjectId, core.erasureKeepsHistory())) {
        // A concurrent erasure won; undo this transaction's events.
        throw new ServiceCore.Superseded();
      }
      changes.add(new ConsentChange(ConsentChange.Type.ERASED, subjectId, subject.get().email(), purposes, now,
          channel));
      return true;
    }, ServiceCore.Superseded.class, false);
    core.afterCommit(changes);
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
   * stay with the subject; an {@code ADDRESS_CHANGED} event per purpose records the move.
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
}
