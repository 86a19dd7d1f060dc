package org.optin4j.operations;

import java.util.List;
import org.optin4j.OptIn;
import org.optin4j.Subject;
import org.optin4j.SubjectId;
import org.optin4j.spi.OutboxMail;

/**
 * What operators and admin pages need beyond the consent flow: lists and counts of subjects, the state of the outbox,
 * and running the retention job (GDPR Art. 5(1)(e): storage limitation) and the outbox dispatch on demand. Obtain it
 * from {@link OptIn#operations()}. Keep it behind the operator's authentication: it lists personal data.
 *
 * <p>Immutable and thread-safe.
 */
public interface Operations {

  /**
   * Returns subjects, newest first, for operator pages (for example an admin list with paging).
   *
   * @param offset how many to skip, 0 or more
   * @param limit the most to return, 1 to 1000
   * @return the subjects
   * @throws IllegalArgumentException if offset or limit is out of range
   */
  List<Subject> subjects(int offset, int limit);

  /** Returns the number of subjects on file. */
  long countSubjects();

  /**
   * Returns how many outbox mails are in each state, for operators: a growing {@code QUEUED} or {@code FAILED} count
   * is the first sign of a mail server problem.
   *
   * @return the counts by status; a status without mails is absent
   */
  java.util.Map<OutboxMail.Status, Long> outboxSummary();

  /**
   * Returns how the outbox is doing, for gauges and health checks scraped often: the backlog counted by the store (as
   * {@link #outboxSummary()}, which reads the whole outbox) at most once per {@code maxAge} on this node, however
   * often it is asked, and what this node's dispatcher last saw. Counts and times only, no personal data.
   *
   * @param maxAge how old the store's counts may be, zero to count now
   * @return the status
   * @throws IllegalArgumentException if {@code maxAge} is negative
   * @throws org.optin4j.StoreException if the store had to count and failed
   */
  OutboxStatus outboxStatus(java.time.Duration maxAge);

  /**
   * Returns the outbox mails of a subject with their dispatch state, for operators.
   *
   * @param id the subject
   * @return the mails
   */
  List<OutboxMail> mails(SubjectId id);

  /**
   * Runs the retention job once, now: see {@link PurgeReport}. {@link OptIn#start()} also schedules it
   * ({@link OptIn.Builder#retention(java.time.Duration, java.time.Duration, java.time.Duration)}); it is safe to run
   * on every node at once.
   *
   * @return what was done
   */
  PurgeReport purge();

  /**
   * Sends the mails that are due now, on the calling thread, in batches until none is due; for tests, command-line
   * tools and apps that schedule dispatch themselves.
   *
   * @return what was done
   */
  DispatchReport dispatchNow();
}
