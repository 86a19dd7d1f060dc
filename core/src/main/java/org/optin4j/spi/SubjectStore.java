package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.optin4j.Consent;
import org.optin4j.ConsentState;
import org.optin4j.EmailAddress;
import org.optin4j.PurposeId;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.proof.ConsentEvent;

/**
 * The part of a unit of work that keeps data subjects and their consents: lookup and listing, rectification of the
 * address (GDPR Art. 16), the consent rows whose changes the history records (Art. 7(1)), erasure (Art. 17) and the
 * suppression list that keeps an erased or objecting address from being mailed again (Art. 21).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#subjects()}; valid only while its unit of work runs, on the thread
 * that runs it, like every part. Not thread-safe.
 *
 * <p>A store must keep addresses unique ({@link DuplicateKeyException} on a clash, also across nodes) and lock a
 * consent read with {@link #consent} against concurrent change until the unit ends where it has row locks.
 */
public interface SubjectStore {

  /**
   * Finds a subject by normalised address.
   *
   * @param email the address
   * @return the subject, or empty
   */
  Optional<Subject> subjectByEmail(EmailAddress email);

  /**
   * Finds a subject by id.
   *
   * @param id the id
   * @return the subject, or empty
   */
  Optional<Subject> subject(SubjectId id);

  /**
   * Inserts a new subject.
   *
   * @param subject the subject
   * @throws DuplicateKeyException if the id or the address is already taken (a concurrent signup won)
   */
  void insertSubject(Subject subject);

  /**
   * Replaces a subject's address and its address generation (rectification, or its undoing); the creation time
   * stays as stored.
   *
   * @param subject the subject with its new address and generation
   * @throws DuplicateKeyException if another subject has that address
   */
  void updateSubject(Subject subject);

  /**
   * Returns a subject's consents, ordered by purpose id.
   *
   * @param id the subject
   * @return the consents
   */
  List<Consent> consents(SubjectId id);

  /**
   * Finds one consent, locking it against concurrent change until the transaction ends where the store supports
   * row locks.
   *
   * @param id the subject
   * @param purpose the purpose
   * @return the consent, or empty
   */
  Optional<Consent> consent(SubjectId id, PurposeId purpose);

  /**
   * Inserts or replaces the consent for its (subject, purpose).
   *
   * @param consent the consent
   */
  void saveConsent(Consent consent);

  /**
   * Returns subjects, newest first (by creation time, then id), for operator pages.
   *
   * @param offset how many to skip, 0 or more
   * @param limit the most to return, 1 or more
   * @return the subjects
   */
  List<Subject> subjects(int offset, int limit);

  /**
   * Counts the subjects.
   *
   * @return the number of subjects
   */
  long countSubjects();

  /**
   * Erases a subject: deletes the subject, its consents, requests, address changes and outbox mails. Its events are
   * either kept as a de-identified stub ({@link ConsentEvent#deidentified()}: evidence, source, token id and the
   * seal's salt removed, every hash kept, so the chain still verifies; the opaque subject id no longer leads to any
   * address) together with the chain head, or deleted together with the chain head. This is the only change the
   * store ever makes to history.
   *
   * @param id the subject
   * @param keepHistoryStub whether to keep the de-identified events
   * @return {@code true} if this call erased the subject; {@code false} if there was no such subject, also when a
   *     concurrent transaction erased it first (the store serialises the two on the subject row)
   */
  boolean eraseSubject(SubjectId id, boolean keepHistoryStub);

  /**
   * Adds a keyed hash of an address to the suppression list. Idempotent.
   *
   * @param addressKey the HMAC of the normalised address, hex
   * @param at when
   */
  void suppress(String addressKey, Instant at);

  /**
   * Tells whether a keyed address hash is suppressed.
   *
   * @param addressKey the HMAC of the normalised address, hex
   * @return whether it is on the suppression list
   */
  boolean isSuppressed(String addressKey);

  /**
   * Removes a keyed address hash from the suppression list (after a fresh double opt-in). Idempotent.
   *
   * @param addressKey the HMAC of the normalised address, hex
   */
  void unsuppress(String addressKey);

  /**
   * Lists subjects on file, a page at a time, for breach notifications and campaigns. With no purposes: every
   * subject. With purposes: the subjects with a consent for at least one of them whose state is one of
   * {@code states} (any state if {@code states} is empty).
   *
   * @param purposes the purposes, or empty for every subject
   * @param states the consent states that count, or empty for any
   * @param after list only subjects after this id in the store's order, or {@code null} to start
   * @param limit the most to return
   * @return the subject ids in the store's order of ids, which {@code after} continues; each at most once
   */
  List<SubjectId> subjects(
      Set<PurposeId> purposes, Set<ConsentState> states, SubjectId after, int limit);
}
