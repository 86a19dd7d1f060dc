package org.optin4j.rights;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Objects;
import org.optin4j.SubjectId;

/**
 * A data subject's request to exercise a right, received by the controller (by mail, phone, letter) and run by an
 * operator through {@link RightsDesk}, with the deadline of GDPR Art. 12(3): without undue delay and at the latest
 * one month after receipt, extendable by two further months where necessary (the subject must be told within the
 * first month). The register is the controller's record of accountability (Art. 5(2)); it holds the opaque subject
 * id, never an address.
 *
 * <p>Months are calendar months in UTC: received on 31 January, due on 28 (or 29) February; on 15 March, due on 15
 * April. Immutable and thread-safe.
 *
 * @param id the request id (random, opaque)
 * @param subjectId whose right
 * @param type which right
 * @param receivedAt when the controller received it (starts the month)
 * @param dueAt when it must be done: one month after receipt, three once extended
 * @param extended whether the deadline was extended (Art. 12(3) second sentence)
 * @param completedAt when it was done, or {@code null} while open
 * @param outcome what was done, free of personal data, or {@code null} while open
 */
public record RightsRequest(
    String id,
    SubjectId subjectId,
    Type type,
    Instant receivedAt,
    Instant dueAt,
    boolean extended,
    Instant completedAt,
    String outcome) {

  /** Validates the components. */
  public RightsRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(receivedAt, "receivedAt");
    Objects.requireNonNull(dueAt, "dueAt");
    if ((completedAt == null) != (outcome == null)) {
      throw new IllegalArgumentException("a completed request has both completedAt and outcome");
    }
    if (outcome != null
        && (outcome.isBlank()
            || outcome.length() > 500
            || outcome.chars().anyMatch(Character::isISOControl))) {
      throw new IllegalArgumentException("outcome must be one line of 1 to 500 characters");
    }
  }

  /**
   * Returns a new open request due one calendar month after receipt.
   *
   * @param id the id
   * @param subjectId whose right
   * @param type which right
   * @param receivedAt when it was received
   * @return the request
   */
  public static RightsRequest received(
      String id, SubjectId subjectId, Type type, Instant receivedAt) {
    return new RightsRequest(
        id, subjectId, type, receivedAt, plusMonths(receivedAt, 1), false, null, null);
  }

  /** Returns whether the request is still open. */
  public boolean isOpen() {
    return completedAt == null;
  }

  /**
   * Tells whether the request is open past its deadline.
   *
   * @param now the current time
   * @return whether it is overdue
   */
  public boolean isOverdue(Instant now) {
    return isOpen() && !now.isBefore(dueAt);
  }

  /**
   * Returns this request with its deadline extended to three months after receipt.
   *
   * @return the request
   * @throws IllegalStateException if it is completed or already extended
   */
  public RightsRequest extendedDeadline() {
    if (!isOpen() || extended) {
      throw new IllegalStateException("only an open request can be extended, and only once");
    }
    return new RightsRequest(
        id, subjectId, type, receivedAt, plusMonths(receivedAt, 3), true, null, null);
  }

  /**
   * Returns this request completed.
   *
   * @param at when
   * @param what what was done, free of personal data
   * @return the request
   */
  public RightsRequest completed(Instant at, String what) {
    return new RightsRequest(
        id, subjectId, type, receivedAt, dueAt, extended, Objects.requireNonNull(at, "at"), what);
  }

  private static Instant plusMonths(Instant from, int months) {
    return from.atZone(ZoneOffset.UTC).plusMonths(months).toInstant();
  }

  /** The rights a request can be about. */
  public enum Type {
    /** Access to the data (Art. 15): the export is mailed to the address on file. */
    ACCESS,
    /** Data portability (Art. 20): the same machine-readable export. */
    PORTABILITY,
    /** Rectification of the address (Art. 16), by double opt-in of the new one. */
    RECTIFICATION,
    /** Erasure (Art. 17). */
    ERASURE,
    /** Restriction of processing (Art. 18), or its lifting. */
    RESTRICTION,
    /** Withdrawal of consent (Art. 7(3)) or objection to direct marketing (Art. 21(2)). */
    WITHDRAWAL
  }
}
