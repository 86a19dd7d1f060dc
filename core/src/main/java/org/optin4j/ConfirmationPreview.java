package org.optin4j;

import java.time.Instant;
import java.util.List;

/**
 * What a confirmation link shows before anything changes: {@link OptIn#preview(String)} reads, never writes, because
 * mail scanners open every link (security rule 6).
 */
public sealed interface ConfirmationPreview {

  /**
   * The link is valid and waiting for confirmation.
   *
   * @param purposes the purposes of the request, in catalog order
   * @param notice the exact notice shown with the request
   * @param expiresAt until when it may be confirmed
   * @param addressChange whether confirming moves the subscription to the address the link was sent to
   */
  record Ready(List<Purpose> purposes, Notice notice, Instant expiresAt, boolean addressChange)
      implements ConfirmationPreview {
    /** Copies the list. */
    public Ready {
      purposes = List.copyOf(purposes);
    }
  }

  /** The request was confirmed already. */
  record AlreadyConfirmed() implements ConfirmationPreview {}

  /**
   * The link expired.
   *
   * @param expiredAt when
   */
  record Expired(Instant expiredAt) implements ConfirmationPreview {}

  /** The token is not a valid, current confirmation token. */
  record Invalid() implements ConfirmationPreview {}
}
