package org.optin4j.spi;

import org.optin4j.proof.ConsentEvent;

/**
 * The core's function that seals an event into its subject's hash chain: given the chain head, it returns the event
 * with its {@linkplain ConsentEvent#seal() seal} (the next position, the head's hash as previous hash, a fresh random
 * salt, the details digest and the event's hash). A store that appends events in a set-based operation (such as
 * {@link RetentionStore#expireOpenRequests}) receives it, reads the heads under its locks and calls it for each event,
 * so that no store computes a hash and every history is sealed one way (GDPR Art. 7(1): a proof an auditor can
 * recompute).
 *
 * <p>The core's sealer may also add each sealed event's entry to the unit's {@linkplain FeedStore feed}: a store calls
 * it only for events it stores in the same unit, in each subject's history order.
 */
@FunctionalInterface
public interface ChainSealer {

  /**
   * Seals an event onto a chain head.
   *
   * @param event the event, with sequence 0 and no seal, of the head's subject
   * @param head the subject's current chain head, read under its history lock
   * @return the sealed event, at position {@code head.position() + 1}
   */
  ConsentEvent seal(ConsentEvent event, HistoryHead head);
}
