package org.optin4j.spi;

import java.util.Optional;
import org.optin4j.Notice;

/**
 * The part of a unit of work that keeps the notice texts shown when consent was asked, each stored once by the hash of
 * its text with a version per notice key, so that a consent can say exactly what the subject was told (GDPR Art. 7(1),
 * Art. 13).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#notices()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe. Concurrent saves of one new text, also from several nodes, must end with one version.
 */
public interface NoticeStore {

  /**
   * Stores a notice text if its hash is new, assigning the next version for its {@link Notice#key()}; returns the
   * stored notice (the existing one if the hash was known).
   *
   * @param candidate the notice; its version is ignored, the store assigns one
   * @return the stored notice with its version
   */
  Notice saveNotice(Notice candidate);

  /**
   * Finds a notice by the hash of its text.
   *
   * @param hash the SHA-256 hex
   * @return the notice, or empty
   */
  Optional<Notice> notice(String hash);
}
