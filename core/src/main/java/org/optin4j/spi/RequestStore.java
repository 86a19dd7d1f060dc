package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.optin4j.EmailAddress;
import org.optin4j.SubjectId;

/**
 * The part of a unit of work that keeps what a double opt-in waits for: pending requests (one per mailed link), the
 * token ids already used, and the address changes a request would confirm (rectification by double opt-in, GDPR
 * Art. 16; the request itself is the proof of Art. 7(1)).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#requests()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe. {@link #request} locks the row until the unit ends, and {@link #useToken} must be
 * single-use across nodes through the store's own constraint, not through memory.
 */
public interface RequestStore {

  /**
   * Inserts a new request.
   *
   * @param request the request
   */
  void insertRequest(PendingRequest request);

  /**
   * Finds a request, locking it against concurrent change until the transaction ends.
   *
   * @param id the request id
   * @return the request, or empty
   */
  Optional<PendingRequest> request(String id);

  /**
   * Finds a request, locking it as {@link #request} does, together with its address change ({@link #addressChange}):
   * the first read of a confirmation. The new address is only read, not locked.
   *
   * <p>The default makes the two reads; a database store should answer in one query.
   *
   * @param id the request id
   * @return the request and its address change, or empty if there is no such request
   */
  default Optional<RequestAndChange> requestAndChange(String id) {
    return request(id).map(r -> new RequestAndChange(r, addressChange(r.id())));
  }

  /**
   * Finds a request without locking it, for pages that only show it (a confirmation link opened by a person or a
   * mail scanner must cost a read, not a write).
   *
   * @param id the request id
   * @return the request, or empty
   */
  Optional<PendingRequest> findRequest(String id);

  /**
   * Replaces a request (status or generation change).
   *
   * @param request the request
   */
  void updateRequest(PendingRequest request);

  /**
   * Returns a subject's open requests.
   *
   * @param id the subject
   * @return the open requests
   */
  List<PendingRequest> openRequests(SubjectId id);

  /**
   * Records a token id as used. Atomic across nodes: of concurrent calls with the same id, exactly one returns
   * {@code true}.
   *
   * @param tokenId the {@code jti}
   * @param expiresAt when the token would expire anyway (the record may be purged after)
   * @return {@code true} if it was unused, {@code false} if it was used before
   */
  boolean useToken(String tokenId, Instant expiresAt);

  /**
   * Records that a request confirms a new address for its subject (rectification by double opt-in).
   *
   * @param requestId the request
   * @param newEmail the new address
   */
  void saveAddressChange(String requestId, EmailAddress newEmail);

  /**
   * Returns the new address a request would confirm, if it is an address change.
   *
   * @param requestId the request
   * @return the new address, or empty
   */
  Optional<EmailAddress> addressChange(String requestId);

  /**
   * Records the address a confirmed address change replaced, so that the "this was not me" link mailed to it can
   * undo the change. Kept until {@link RetentionStore#deleteStaleAddressChanges} removes the row.
   *
   * @param requestId the address change request, which has an address change ({@link #saveAddressChange})
   * @param previousEmail the address the change replaced
   * @throws org.optin4j.StoreException if the request has no address change
   */
  void saveReplacedAddress(String requestId, EmailAddress previousEmail);

  /**
   * Returns the address a confirmed address change replaced, if it was recorded and not yet purged.
   *
   * @param requestId the address change request
   * @return the replaced address, or empty
   */
  Optional<EmailAddress> replacedAddress(String requestId);
}
