package org.optin4j.internal;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.optin4j.Channel;
import org.optin4j.Consent;
import org.optin4j.ConsentChange;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.Evidence;
import org.optin4j.EvidencePolicy;
import org.optin4j.Notice;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeCatalog;
import org.optin4j.PurposeId;
import org.optin4j.RequestResult;
import org.optin4j.Retention;
import org.optin4j.StoreException;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.breach.BreachRegister;
import org.optin4j.campaign.Campaigns;
import org.optin4j.keys.ReceiptKeys;
import org.optin4j.operations.Operations;
import org.optin4j.proof.ConsentEvent;
import org.optin4j.proof.ConsentProof;
import org.optin4j.rights.SubjectRights;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.DuplicateKeyException;
import org.optin4j.spi.MailKind;
import org.optin4j.spi.OptInMetrics;
import org.optin4j.spi.OutboxMail;
import org.optin4j.spi.TransactionConflictException;

/**
 * What {@link OptIn} and its facets ({@link BreachRegister}, {@link Campaigns}, {@link SubjectRights},
 * {@link ConsentProof}, {@link Operations}) share: the configured collaborators and the helpers every unit of work
 * uses. Package-private: none of it is API. Created once by {@link OptIn}'s constructor; immutable and thread-safe
 * as long as its collaborators are (they are).
 *
 * @param catalog the purpose catalog
 * @param store the consent store
 * @param clock the clock
 * @param random the source of ids
 * @param evidencePolicy what is kept of evidence
 * @param confirmationTtl how long a confirmation link lives
 * @param confirmationMailCap the one cap on mails to addresses that have not confirmed
 * @param notices renders notice texts
 * @param addressKeys the key of the suppression list's address hashes
 * @param receiptKeys the receipt signing keys, or {@code null}
 * @param receipts signs receipts, or {@code null} without receipt keys
 * @param erasureKeepsHistory whether erasure keeps a de-identified history stub
 * @param notifier tells listeners of consent changes
 * @param dispatcher sends the outbox
 * @param purger the retention job
 * @param tokens signs and verifies link tokens
 * @param stepUpTtl how long a step-up link works
 * @param sendsSmtpUtf8 whether the mailer sends to non-ASCII local parts (RFC 6531)
 * @param metrics told of committed changes, guarded ({@link GuardedMetrics})
 */
public record ServiceCore(
    PurposeCatalog catalog,
    ConsentStore store,
    Clock clock,
    SecureRandom random,
    EvidencePolicy evidencePolicy,
    Duration confirmationTtl,
    ConfirmationMailCap confirmationMailCap,
    NoticeRenderer notices,
    AddressKeys addressKeys,
    ReceiptKeys receiptKeys,
    ReceiptIssuer receipts,
    boolean erasureKeepsHistory,
    ListenerNotifier notifier,
    OutboxDispatcher dispatcher,
    Purger purger,
    TokenService tokens,
    Duration stepUpTtl,
    boolean sendsSmtpUtf8,
    OptInMetrics metrics) {

  /** How long the "this was not me" link mailed to the old address after a change of address works. */
  public static final Duration NOT_ME_TTL = Duration.ofDays(14);

  /** The source of an address change asked through a preferences link, which waits for its step-up. */
  public static final String STEP_UP_SOURCE = "address-change:step-up";

  /** A random URL-safe id of 128 bits. */
  public String randomId() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** HMAC-SHA256 of the normalised address under the pepper: a plain hash of an address is easily reversed. */
  public String addressKey(EmailAddress email) {
    return addressKeys.of(email);
  }

  /** As {@link #addressKey(EmailAddress)}, under the given pepper. */
  public static String addressKey(javax.crypto.spec.SecretKeySpec pepper, EmailAddress email) {
    return new AddressKeys(KeyedHmac.of(pepper)).of(email);
  }

  /**
   * Why a valid address cannot be mailed, or {@code null}: a local part that is not ASCII needs SMTPUTF8 (RFC 6531),
   * which the mailer may not send. The one rule for every path that takes a new address (signup, address change).
   */
  public String unmailable(EmailAddress email) {
    return email.needsSmtpUtf8() && !sendsSmtpUtf8
        ? "invalid email address: the local part is not ASCII, and the mail server is not set up for SMTPUTF8"
            + " (RFC 6531)"
        : null;
  }

  /** Finds a subject by address; empty for an invalid address. */
  public Optional<Subject> findSubject(String email) {
    Optional<EmailAddress> parsed = EmailAddress.tryParse(email);
    return parsed.isEmpty()
        ? Optional.empty()
        : store.read(tx -> tx.subjects().subjectByEmail(parsed.get()));
  }

  /** Renders the notice for purposes in a language, not yet stored. */
  public Notice render(java.util.Collection<PurposeId> purposes, Locale locale) {
    if (purposes.isEmpty()) {
      throw new IllegalArgumentException("a notice covers at least one purpose");
    }
    String text = notices.render(purposes, locale);
    // version 1 is a placeholder: the store assigns the real version for the notice key.
    return new Notice(1, Notice.sha256(text), locale, List.copyOf(purposes), text, clock.instant());
  }

  /**
   * Renders the information page in a language, not yet stored: a {@link Notice} without purposes, which the store
   * versions under its own key ({@link Notice#isInformationPage()}).
   */
  public Notice renderInformation(Locale locale) {
    String text = notices.renderInformation(locale);
    return new Notice(1, Notice.sha256(text), locale, List.of(), text, clock.instant());
  }

  /**
   * Stores a rendered notice, and with it, in the same unit, the information page its text links to: the one rule for
   * every path that stores a notice (signup, form view, re-consent, address change, import), so that a stored
   * notice's linked information page is always stored too (GDPR Art. 7(1): the proof shows what the person could
   * open). A notice already stored costs one read, as before; the page is written only with a new notice.
   *
   * @param tx the unit of work
   * @param candidate a notice from {@link #render}
   * @return the stored notice with its version
   */
  public Notice saveNotice(ConsentStore.Transaction tx, Notice candidate) {
    Optional<Notice> known = tx.notices().notice(candidate.hash());
    if (known.isPresent()) {
      return known.get();
    }
    tx.notices().saveNotice(renderInformation(candidate.locale()));
    return tx.notices().saveNotice(candidate);
  }

  /**
   * Offers a mail to each subject of a page still on file, in one unit of work.
   *
   * @param mail queues the mail to one subject, or answers {@code false} (no consent, queued before, ...)
   * @return how many were queued
   */
  int enqueueToEach(List<SubjectId> page, SubjectMail mail) {
    return store.inTransaction(
        tx -> {
          int queued = 0;
          Instant now = clock.instant();
          for (SubjectId id : page) {
            Optional<Subject> s = tx.subjects().subject(id);
            if (s.isPresent() && mail.enqueue(tx, s.get(), now)) {
              queued++;
            }
          }
          return queued;
        });
  }

  /** Queues a mail to one subject in a unit of work, see {@link #enqueueToEach}. */
  @FunctionalInterface
  interface SubjectMail {
    /** Queues the mail, or answers {@code false}. */
    boolean enqueue(ConsentStore.Transaction tx, Subject subject, Instant now);
  }

  /** Runs a unit of work that only writes. */
  public void write(java.util.function.Consumer<ConsentStore.Transaction> work) {
    store.inTransaction(
        tx -> {
          work.accept(tx);
          return null;
        });
  }

  /** Runs a unit of work; a rollback signal of the given type answers {@code onSignal} instead. */
  public <T> T inTransactionOr(
      java.util.function.Function<ConsentStore.Transaction, T> work,
      Class<? extends RuntimeException> rollbackSignal,
      T onSignal) {
    try {
      return store.inTransaction(work);
    } catch (RuntimeException e) {
      if (rollbackSignal.isInstance(e)) {
        return onSignal;
      }
      throw e;
    }
  }

  /**
   * Runs a request unit again when a concurrent one created the same subject first, when the subject it found was
   * deleted before it took the lock, or when the database rolled it back for a conflict with a concurrent unit; a lost
   * cap race throttles. A unit that joins the caller's transaction runs once: the conflict reaches the caller, whose
   * earlier writes a second run could not bring back.
   */
  public RequestResult retryRequest(java.util.function.Supplier<RequestResult> work) {
    int attempts = store.joinsCallerTransaction() ? 1 : 3;
    for (int attempt = 1; ; attempt++) {
      try {
        return work.get();
      } catch (DuplicateKeyException e) {
        // A concurrent request created the same subject first; run again and find it.
        if (attempt == attempts) {
          throw e;
        }
      } catch (CapRace e) {
        return new RequestResult.Throttled(confirmationMailCap.retryAfterRace(clock.instant()));
      } catch (SubjectGone e) {
        if (attempt == attempts) {
          throw new StoreException("the subject kept disappearing while a signup ran; try again");
        }
      } catch (TransactionConflictException e) {
        // The database chose this unit as a deadlock's victim (several nodes signing up one address
        // at once, say):
        // nothing was kept, so run it again.
        if (attempt == attempts) {
          throw e;
        }
      }
    }
  }

  /**
   * Tells listeners and metrics of committed changes and wakes the dispatcher for the mails the unit queued, once the
   * unit is durable: at once, or after the commit of the caller's transaction that the unit joined (never on its
   * rollback).
   */
  public void afterCommit(List<ConsentChange> changes) {
    store.afterCommit(() -> publish(changes));
  }

  private void publish(List<ConsentChange> changes) {
    for (ConsentChange c : changes) {
      notifier.publish(c);
      switch (c.type()) {
        case CONFIRMED -> metrics.confirmed(c.purposes(), c.channel());
        case WITHDRAWN -> metrics.withdrawn(c.purposes(), c.channel());
        case ERASED -> metrics.erased(c.channel());
        default -> {
          // expiries are counted by the retention run, address changes are not metered
        }
      }
    }
    dispatcher.wake();
  }

  public static Instant startOfDay(Instant now) {
    return now.atZone(ZoneOffset.UTC).toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /**
   * The claims of a valid link token of a kind, or {@code null}; the subject it names must still have the address
   * the link was sent to (checked by the caller, inside its unit of work, with {@link #sentToCurrentAddress}).
   */
  public TokenClaims validClaims(TokenKind kind, String token) {
    return check(kind, token) instanceof TokenCheck.Valid v ? v.claims() : null;
  }

  /** Verifies a link token of a kind; a missing token is as invalid as a bad one. */
  public TokenCheck check(TokenKind kind, String token) {
    return token == null ? new TokenCheck.Invalid() : tokens.verify(kind, token);
  }

  /**
   * Whether a link was sent for the subject's current address: a link sent before a change of address (or its
   * undoing) is answered like any invalid link.
   */
  public static boolean sentToCurrentAddress(TokenClaims claims, Subject subject) {
    return claims.subject().equals(subject.id())
        && claims.sentForAddressGeneration() == subject.addressGeneration();
  }

  public static void enqueueOrThrottle(ConsentStore.Transaction tx, OutboxMail mail) {
    if (!tx.outbox().enqueue(mail)) {
      throw new CapRace();
    }
  }

  /**
   * Queues a receipt of consents: what was agreed to, mailed to {@code to}; at most one mail per dedupe key.
   *
   * @return whether it was queued ({@code false}: a mail with that dedupe key exists already)
   */
  public boolean enqueueReceipt(
      ConsentStore.Transaction tx,
      SubjectId subject,
      EmailAddress to,
      String requestId,
      Locale locale,
      List<PurposeId> purposes,
      String dedupeKey,
      Instant now) {
    return tx.outbox()
        .enqueue(
            OutboxMail.queued(
                randomId(),
                MailKind.RECEIPT,
                subject,
                to,
                requestId,
                0,
                locale,
                purposes,
                dedupeKey,
                now));
  }

  /**
   * Records a change of address, or its undoing, through a link: an ADDRESS_CHANGED event on each consent that follows
   * the address (confirmed or pending).
   *
   * @return those consents, in the store's order
   */
  public List<Consent> recordAddressChange(
      ConsentStore.Transaction tx,
      SubjectId subject,
      Instant now,
      String requestId,
      String source,
      Evidence evidence,
      String tokenId) {
    List<Consent> moved = new java.util.ArrayList<>();
    for (Consent c : tx.subjects().consents(subject)) {
      if (c.state() == ConsentState.CONFIRMED || c.state() == ConsentState.PENDING) {
        HistoryChain.append(
            tx,
            new ConsentEvent(
                0,
                subject,
                c.purpose(),
                ConsentEvent.Type.ADDRESS_CHANGED,
                now,
                requestId,
                c.notice(),
                source,
                Channel.CONFIRMATION_LINK,
                evidence,
                tokenId));
        moved.add(c);
      }
    }
    return moved;
  }

  /**
   * Saves a consent the system changed on its own (a lapse, a bounce: not the person's choice) and appends the event
   * of it: channel SYSTEM, no evidence, no token, under the consent's request and notice.
   */
  static void saveSystemChange(
      ConsentStore.Transaction tx,
      Consent changed,
      ConsentEvent.Type type,
      Instant at,
      String source) {
    tx.subjects().saveConsent(changed);
    HistoryChain.append(
        tx,
        new ConsentEvent(
            0,
            changed.subjectId(),
            changed.purpose(),
            type,
            at,
            changed.requestId(),
            changed.notice(),
            source,
            Channel.SYSTEM,
            Evidence.NONE,
            null));
  }

  /**
   * Runs the retention policy for one consent now: a confirmed consent of a fixed-retention purpose whose period has
   * run out counts as not active, even before a purge job marks it expired.
   */
  public static boolean isActiveAt(Consent c, Purpose p, Instant now) {
    if (!c.isActive()) {
      return false;
    }
    if (p.retention() instanceof Retention.Fixed f) {
      return now.isBefore(c.confirmedAt().plus(f.period()));
    }
    return true;
  }

  /** Rolls back a unit whose work was superseded by a concurrent one in the meantime. */
  public static final class Superseded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Superseded() {
      super(null, null, false, false);
    }
  }

  /** Rolls back a signup whose subject was deleted (by the retention job) between its lookup and its lock. */
  public static final class SubjectGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SubjectGone() {
      super(null, null, false, false);
    }
  }

  /** Rolls back a request that lost the race for a cap slot to a concurrent request. */
  public static final class CapRace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CapRace() {
      super(null, null, false, false);
    }
  }
}
