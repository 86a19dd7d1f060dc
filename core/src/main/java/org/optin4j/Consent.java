package org.optin4j;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import org.optin4j.proof.ConsentEvent;

/**
 * The current state of one subject's consent for one purpose, with pointers to the proof: the request it came from
 * and the exact notice version (and hash of its text) that was shown (GDPR Art. 7(1)).
 *
 * <p>The full history lives in {@link ConsentEvent}s; this record is the latest state derived from them. State
 * changes go through {@link #confirm}, {@link #withdraw}, {@link #expire}, {@link #rerequest} and {@link #erase},
 * which refuse illegal transitions with {@link IllegalTransitionException}.
 *
 * <p>Immutable and thread-safe.
 *
 * @param subjectId whose consent
 * @param purpose for which purpose
 * @param purposeVersion the purpose version the consent was given under
 * @param state the current state
 * @param requestId the request that last asked for this consent
 * @param notice the notice shown with that request
 * @param requestedAt when it was last requested
 * @param confirmedAt when it was confirmed, or {@code null}
 * @param endedAt when it was withdrawn, expired or erased, or {@code null} while pending or confirmed
 * @param restricted whether processing is restricted (GDPR Art. 18) while the consent stays confirmed
 */
public record Consent(
    SubjectId subjectId,
    PurposeId purpose,
    int purposeVersion,
    ConsentState state,
    String requestId,
    NoticeRef notice,
    Instant requestedAt,
    Instant confirmedAt,
    Instant endedAt,
    boolean restricted) {

  /** Validates the components and their consistency with the state. */
  public Consent {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(notice, "notice");
    Objects.requireNonNull(requestedAt, "requestedAt");
    if (purposeVersion < 1) {
      throw new IllegalArgumentException("purposeVersion must be 1 or more");
    }
    if (state == ConsentState.CONFIRMED && (confirmedAt == null || endedAt != null)) {
      throw new IllegalArgumentException(
          "a confirmed consent needs confirmedAt and has no endedAt");
    }
    if (restricted && state != ConsentState.CONFIRMED) {
      throw new IllegalArgumentException(
          "only a confirmed consent can be restricted, was " + state);
    }
    if (state == ConsentState.PENDING && (confirmedAt != null || endedAt != null)) {
      throw new IllegalArgumentException("a pending consent has neither confirmedAt nor endedAt");
    }
    if ((state == ConsentState.WITHDRAWN
            || state == ConsentState.EXPIRED
            || state == ConsentState.ERASED)
        && endedAt == null) {
      throw new IllegalArgumentException("an ended consent needs endedAt");
    }
  }

  /**
   * Creates a new pending consent.
   *
   * @param subjectId whose
   * @param purpose which purpose
   * @param requestId the request
   * @param notice the notice shown
   * @param at when requested
   * @return the pending consent
   */
  public static Consent pending(
      SubjectId subjectId, Purpose purpose, String requestId, NoticeRef notice, Instant at) {
    return new Consent(
        subjectId,
        purpose.id(),
        purpose.version(),
        ConsentState.PENDING,
        requestId,
        notice,
        at,
        null,
        null,
        false);
  }

  /** Returns whether processing for the purpose is allowed now: confirmed and not restricted. */
  public boolean isActive() {
    return state == ConsentState.CONFIRMED && !restricted;
  }

  /**
   * Moves to {@link ConsentState#CONFIRMED}.
   *
   * @param at when
   * @return the confirmed consent
   * @throws IllegalTransitionException unless pending
   */
  public Consent confirm(Instant at) {
    check(ConsentState.CONFIRMED);
    return moved(ConsentState.CONFIRMED, at, null, false);
  }

  /**
   * Moves to {@link ConsentState#WITHDRAWN}.
   *
   * @param at when
   * @return the withdrawn consent
   * @throws IllegalTransitionException unless pending or confirmed
   */
  public Consent withdraw(Instant at) {
    check(ConsentState.WITHDRAWN);
    return moved(ConsentState.WITHDRAWN, confirmedAt, at, false);
  }

  /**
   * Moves to {@link ConsentState#EXPIRED}.
   *
   * @param at when
   * @return the expired consent
   * @throws IllegalTransitionException unless pending or confirmed
   */
  public Consent expire(Instant at) {
    check(ConsentState.EXPIRED);
    return moved(ConsentState.EXPIRED, confirmedAt, at, false);
  }

  /**
   * Moves a withdrawn or expired consent back to {@link ConsentState#PENDING} for a fresh double opt-in.
   *
   * @param purposeNow the purpose as it is now (its version may have changed)
   * @param newRequestId the new request
   * @param newNotice the notice shown with it
   * @param at when
   * @return the pending consent
   * @throws IllegalTransitionException unless withdrawn or expired
   */
  public Consent rerequest(
      Purpose purposeNow, String newRequestId, NoticeRef newNotice, Instant at) {
    check(ConsentState.PENDING);
    return pendingUnder(purposeNow, newRequestId, newNotice, at);
  }

  /**
   * Points a still pending consent at a newer request (the person asked again before confirming).
   *
   * @param purposeNow the purpose as it is now
   * @param newRequestId the new request
   * @param newNotice the notice shown with it
   * @param at when
   * @return the pending consent
   * @throws IllegalTransitionException unless pending
   */
  public Consent supersede(
      Purpose purposeNow, String newRequestId, NoticeRef newNotice, Instant at) {
    if (state != ConsentState.PENDING) {
      throw new IllegalTransitionException(state, ConsentState.PENDING);
    }
    return pendingUnder(purposeNow, newRequestId, newNotice, at);
  }

  /**
   * Renews a confirmed consent under the purpose's current version after a material change (the person confirmed
   * the re-confirmation request); a restriction stays as it was.
   *
   * @param purposeNow the purpose as it is now
   * @param newRequestId the re-confirmation request
   * @param newNotice the notice shown with it
   * @param newRequestedAt when the re-confirmation was requested
   * @param at when it was confirmed
   * @return the renewed consent
   * @throws IllegalTransitionException unless confirmed
   */
  public Consent reconfirm(
      Purpose purposeNow,
      String newRequestId,
      NoticeRef newNotice,
      Instant newRequestedAt,
      Instant at) {
    if (state != ConsentState.CONFIRMED) {
      throw new IllegalTransitionException(state, ConsentState.CONFIRMED);
    }
    return forRequest(
        purposeNow.version(),
        ConsentState.CONFIRMED,
        newRequestId,
        newNotice,
        newRequestedAt,
        at,
        restricted);
  }

  /**
   * Sets or lifts a restriction of processing (GDPR Art. 18) on a confirmed consent.
   *
   * @param restrict whether to restrict
   * @return the consent with the flag set
   * @throws IllegalTransitionException unless confirmed
   */
  public Consent restrict(boolean restrict) {
    if (state != ConsentState.CONFIRMED) {
      throw new IllegalTransitionException(state, state);
    }
    return moved(state, confirmedAt, null, restrict);
  }

  /**
   * Moves to {@link ConsentState#ERASED}.
   *
   * @param at when
   * @return the erased consent
   * @throws IllegalTransitionException if already erased
   */
  public Consent erase(Instant at) {
    check(ConsentState.ERASED);
    return moved(ConsentState.ERASED, confirmedAt, at, false);
  }

  private void check(ConsentState next) {
    if (!state.canMoveTo(next)) {
      throw new IllegalTransitionException(state, next);
    }
  }

  /**
   * A pointer to the exact notice a consent was given under.
   *
   * @param version the notice version
   * @param hash the SHA-256 of the notice text, lowercase hex
   * @param locale the language it was shown in
   */
  public record NoticeRef(int version, String hash, Locale locale) {
    /** Validates the components. */
    public NoticeRef {
      if (version < 1) {
        throw new IllegalArgumentException("notice version must be 1 or more");
      }
      Objects.requireNonNull(hash, "hash");
      if (!hash.matches("[0-9a-f]{64}")) {
        throw new IllegalArgumentException("notice hash must be 64 lowercase hex digits");
      }
      Objects.requireNonNull(locale, "locale");
    }
  }

  /** This consent in another state, under the same request, notice and purpose version. */
  private Consent moved(ConsentState to, Instant confirmed, Instant ended, boolean restrictedNow) {
    return new Consent(
        subjectId,
        purpose,
        purposeVersion,
        to,
        requestId,
        notice,
        requestedAt,
        confirmed,
        ended,
        restrictedNow);
  }

  /** This consent pending under a new request, asked with the purpose's current version. */
  private Consent pendingUnder(
      Purpose purposeNow, String newRequestId, NoticeRef newNotice, Instant at) {
    return forRequest(
        purposeNow.version(), ConsentState.PENDING, newRequestId, newNotice, at, null, false);
  }

  /** This consent under a (new) request: the version, request and notice it was asked with, not ended. */
  private Consent forRequest(
      int version,
      ConsentState to,
      String request,
      NoticeRef shown,
      Instant requested,
      Instant confirmed,
      boolean restrictedNow) {
    return new Consent(
        subjectId, purpose, version, to, request, shown, requested, confirmed, null, restrictedNow);
  }
}
