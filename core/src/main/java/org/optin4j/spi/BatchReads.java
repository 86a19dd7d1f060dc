package org.optin4j.spi;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import org.optin4j.Consent;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;

/**
 * Reads of many keys at once, without locks: the dispatcher re-checks a whole claimed batch of mails with them at send
 * time (consent still given, address still on file, not suppressed, request still open) instead of one round trip
 * per mail. Each answers as the one-key read of {@link SubjectStore} or {@link RequestStore} would for every key;
 * keys not found are absent from the answer.
 *
 * <p>Obtained from {@link ConsentStore.Transaction#batchReads()}, whose default asks one key at a time; a database
 * store answers each in one query. Valid only while its unit runs, on its thread. Not thread-safe.
 */
public interface BatchReads {

  /**
   * Finds several subjects, as {@link SubjectStore#subject} for each.
   *
   * @param ids the subjects
   * @return the subjects found, by id
   */
  Map<SubjectId, Subject> subjects(Collection<SubjectId> ids);

  /**
   * Finds the consents of several subjects to one purpose, as {@link SubjectStore#consent} for each but without
   * locking.
   *
   * @param ids the subjects
   * @param purpose the purpose
   * @return the consents found, by subject
   */
  Map<SubjectId, Consent> consents(Collection<SubjectId> ids, PurposeId purpose);

  /**
   * Tells which address keys are on the suppression list, as {@link SubjectStore#isSuppressed} for each.
   *
   * @param addressKeys the keys
   * @return the keys that are suppressed
   */
  Set<String> suppressed(Collection<String> addressKeys);

  /**
   * Finds several requests, as {@link RequestStore#findRequest} for each.
   *
   * @param ids the request ids
   * @return the requests found, by id
   */
  Map<String, PendingRequest> requests(Collection<String> ids);
}
