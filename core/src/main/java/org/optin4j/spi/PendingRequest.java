package org.optin4j.spi;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.optin4j.Consent;
import org.optin4j.Evidence;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * A double opt-in request as the store keeps it: which purposes were asked for, under which notice, with which
 * evidence, until when it may be confirmed, and which generation of confirmation link is current.
 *
 * <p>A resend increments {@code generation}; confirmation tokens carry the generation they were issued for, and only
 * the current one is accepted (security rule 5). Immutable and thread-safe.
 *
 * @param id the request id (random, opaque)
 * @param subjectId who asked
 * @param purposes the purposes asked for
 * @param notice the notice shown
 * @param source the form id or URL, or {@code null}
 * @param evidence the request evidence, as the policy allows
 * @param requestedAt when
 * @param expiresAt until when it may be confirmed
 * @param generation the current confirmation link generation, 1 or more
 * @param status the request status
 * @param closedAt when it was confirmed, superseded or expired, or {@code null}
 */
public record PendingRequest(
    String id,
    SubjectId subjectId,
    Set<PurposeId> purposes,
    Consent.NoticeRef notice,
    String source,
    Evidence evidence,
    Instant requestedAt,
    Instant expiresAt,
    int generation,
    Status status,
    Instant closedAt) {

  /**
   * The {@code source} of re-confirmation requests after a material purpose change
   * ({@code Campaigns.requestReconsent}): their purposes are confirmed under an earlier version, and stay confirmed
   * until the request is answered or its {@code expiresAt} (the deadline) passes.
   */
  public static final String RECONSENT_SOURCE = "optin4j:reconsent";

  /** Validates the components. */
  public PendingRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(subjectId, "subjectId");
    purposes = Set.copyOf(new TreeSet<>(Objects.requireNonNull(purposes, "purposes")));
    if (purposes.isEmpty()) {
      throw new IllegalArgumentException("a request covers at least one purpose");
    }
    Objects.requireNonNull(notice, "notice");
    evidence = evidence == null ? Evidence.NONE : evidence;
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(status, "status");
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be 1 or more");
    }
  }

  /** Returns the locale the request was made in. */
  public Locale locale() {
    return notice.locale();
  }

  /**
   * Returns this request with a new status.
   *
   * @param newStatus the status
   * @param at when it changed
   * @return the changed request
   */
  public PendingRequest withStatus(Status newStatus, Instant at) {
    return withLink(expiresAt, generation, newStatus, at);
  }

  /**
   * Returns this request with the next link generation and a new expiry, as for a resend.
   *
   * @param newExpiresAt the new expiry
   * @return the changed request
   */
  public PendingRequest nextGeneration(Instant newExpiresAt) {
    return withLink(newExpiresAt, generation + 1, status, closedAt);
  }

  /** This request with its link and status replaced; what was asked, by whom and when stays as it was. */
  private PendingRequest withLink(
      Instant newExpiresAt, int newGeneration, Status newStatus, Instant newClosedAt) {
    return new PendingRequest(
        id,
        subjectId,
        purposes,
        notice,
        source,
        evidence,
        requestedAt,
        newExpiresAt,
        newGeneration,
        newStatus,
        newClosedAt);
  }

  /** The status of a request. */
  public enum Status {
    /** Waiting for confirmation. */
    OPEN,
    /** Confirmed (for all or some of its purposes). */
    CONFIRMED,
    /** Replaced by a newer request of the same subject. */
    SUPERSEDED,
    /** Not confirmed in time. */
    EXPIRED
  }
}
