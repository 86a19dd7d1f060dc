package org.optin4j;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A committed consent change, as told to {@link org.optin4j.spi.ConsentListener}s.
 *
 * <p>Immutable and thread-safe. {@link #toString()} masks the address.
 *
 * @param type what happened
 * @param subjectId whose consent
 * @param email the subject's address at the time (so a CRM can find the contact; after erasure, so it can erase it)
 * @param purposes the purposes concerned
 * @param at when
 * @param channel how
 */
public record ConsentChange(
    Type type,
    SubjectId subjectId,
    EmailAddress email,
    Set<PurposeId> purposes,
    Instant at,
    Channel channel) {

  /** Validates the components. */
  public ConsentChange {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(subjectId, "subjectId");
    Objects.requireNonNull(email, "email");
    purposes = Set.copyOf(new TreeSet<>(purposes));
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(channel, "channel");
  }

  /** What happened. */
  public enum Type {
    /** Purposes were confirmed. */
    CONFIRMED,
    /** Purposes were withdrawn. */
    WITHDRAWN,
    /** Purposes expired. */
    EXPIRED,
    /** The subject was erased. */
    ERASED,
    /** The subject confirmed a new address ({@code email} is the new one). */
    ADDRESS_CHANGED
  }
}
