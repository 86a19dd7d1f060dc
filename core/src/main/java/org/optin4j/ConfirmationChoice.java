package org.optin4j;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a person confirms on a confirmation page: every purpose the request asked for, or only some of them (GDPR
 * Art. 7(2): consent per purpose, never bundled). The purposes of the request that a choice leaves out are recorded as
 * declined. To confirm none, call {@link OptIn#decline(String, Evidence)}: no choice means "nothing", so that an empty
 * set can never be read as "all".
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface ConfirmationChoice {

  /**
   * Returns the choice of every purpose the request asked for (a link in a mail without a form, an API call).
   *
   * @return the choice
   */
  static ConfirmationChoice all() {
    return new All();
  }

  /**
   * Returns the choice of some purposes of the request, the ones the person kept ticked.
   *
   * @param purposes the purposes, at least one
   * @return the choice
   * @throws IllegalArgumentException if {@code purposes} is empty (decline instead)
   */
  static ConfirmationChoice only(Set<PurposeId> purposes) {
    return new Only(purposes);
  }

  /**
   * Returns the choice of some purposes of the request.
   *
   * @param purposes the purposes, at least one
   * @return the choice
   * @throws IllegalArgumentException if no purpose is given (decline instead)
   */
  static ConfirmationChoice only(PurposeId... purposes) {
    return new Only(Set.of(purposes));
  }

  /** Every purpose of the request. */
  record All() implements ConfirmationChoice {}

  /**
   * These purposes of the request, and no other.
   *
   * @param purposes the chosen purposes, at least one
   */
  record Only(Set<PurposeId> purposes) implements ConfirmationChoice {
    /** Copies the set and checks that it names a purpose. */
    public Only {
      purposes = Set.copyOf(new TreeSet<>(Objects.requireNonNull(purposes, "purposes")));
      if (purposes.isEmpty()) {
        throw new IllegalArgumentException(
            "a choice names at least one purpose; to confirm none, call OptIn.decline");
      }
    }
  }
}
