package org.optin4j;

import java.util.Set;
import java.util.TreeSet;

/**
 * The outcome of a withdrawal: which purposes ended now. Purposes that were not active are left alone and not
 * listed; an empty set means there was nothing to withdraw (the answer to the person is the same).
 *
 * @param subjectId the subject
 * @param withdrawn the purposes withdrawn by this call
 */
public record Withdrawal(SubjectId subjectId, Set<PurposeId> withdrawn) {
  /** Copies the set. */
  public Withdrawal {
    withdrawn = Set.copyOf(new TreeSet<>(withdrawn));
  }
}
