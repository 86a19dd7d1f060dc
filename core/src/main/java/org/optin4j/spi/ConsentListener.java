package org.optin4j.spi;

import org.optin4j.ConsentChange;

/**
 * Told about consent changes after they are committed, for example to sync a CRM or a mailing tool.
 *
 * <p>A listener runs on the library's executor, never inside the store transaction. If it throws, the consent change
 * stands; the call is retried with backoff and, if it keeps failing, reported to the configured failure handler and
 * logged (without personal data). Implementations must be thread-safe and should be idempotent, because a retried call
 * may repeat one that partly succeeded.
 */
@FunctionalInterface
public interface ConsentListener {

  /**
   * Handles a committed change.
   *
   * @param change what changed
   * @throws Exception to ask for a retry
   */
  void onChange(ConsentChange change) throws Exception;
}
