package org.optin4j;

import java.time.Instant;
import java.util.Objects;

/**
 * One append-only entry in a subject's consent history: the proof of who agreed to what, when, under which notice,
 * and how (GDPR Art. 7(1); EDPB Guidelines 05/2020, section 7.1).
 *
 * <p>Events are never changed or deleted, except that erasure removes their evidence. The {@code sequence} is assigned
 * by the store and orders events of one subject. Immutable and thread-safe.
 *
 * @param sequence the store-assigned order, 0 before it is stored
 * @param subjectId whose history
 * @param purpose the purpose concerned
 * @param type what happened
 * @param at when (UTC)
 * @param requestId the request involved, or {@code null}
 * @param notice the notice version involved, or {@code null}
 * @param source the form id or URL the request came from, or {@code null}
 * @param channel how the change reached us
 * @param evidence IP and user agent as the evidence policy allows
 * @param tokenId the id ({@code jti}) of the token used, or {@code null}
 */
public record ConsentEvent(
    long sequence,
    SubjectId subjectId,
    PurposeId purpose,
    Type type,
    Instant at,
    String requestId,
    Consent.NoticeRef notice,
    String source,
    Channel channel,
    Evidence evidence,
    String tokenId) {

  /** Validates the required components. */
  public ConsentEvent {
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(channel, "channel");
    evidence = evidence == null ? Evidence.NONE : evidence;
    if (sequence < 0) {
      throw new IllegalArgumentException("sequence must not be negative");
    }
  }

  /**
   * Returns this event with the sequence the store assigned.
   *
   * @param assigned the sequence
   * @return the stored event
   */
  public ConsentEvent withSequence(long assigned) {
    return new ConsentEvent(assigned, subjectId, purpose, type, at, requestId, notice, source, channel, evidence,
        tokenId);
  }

  /** What happened. */
  public enum Type {
    /** Consent was asked for; a confirmation mail was queued. */
    REQUESTED,
    /** The address was confirmed for the purpose. */
    CONFIRMED,
    /** The person withdrew. */
    WITHDRAWN,
    /** The request lapsed unconfirmed, or the retention period ran out. */
    EXPIRED,
    /** Processing was restricted (Art. 18). */
    RESTRICTED,
    /** A restriction was lifted. */
    RESTRICTION_LIFTED,
    /** Personal data was erased (Art. 17). */
    ERASED,
    /** The consent moved to a new, confirmed address (Art. 16 rectification). */
    ADDRESS_CHANGED
  }
}
