package org.optin4j;

import java.util.List;
import org.optin4j.spi.ConsentStore;
import org.optin4j.spi.OutboxMail;

/**
 * What operators and admin pages need beyond the consent flow: lists and counts of subjects, the state of the outbox,
 * and running the retention job (GDPR Art. 5(1)(e): storage limitation) and the outbox dispatch on demand. Obtain it
 * from {@link OptIn#operations()}. Keep it behind the operator's authentication: it lists personal data.
 *
 * <p>Immutable and thread-safe.
 */
public final class Operations {
  private final ServiceCore core;

  Operations(ServiceCore core) {
    this.core = core;
  }

  /**
   * Returns subjects, newest first, for operator pages (for example an admin list with paging).
   *
   * @param offset how many to skip, 0 or more
   * @param limit the most to return, 1 to 1000
   * @return the subjects
   * @throws IllegalArgumentException if offset or limit is out of range
   */
  public List<Subject> subjects(int offset, int limit) {
    if (offset < 0 || limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("offset must be 0 or more and limit 1 to 1000, were " + offset + ", " + limit);
    }
    return core.store().read(tx -> tx.subjects(offset, limit));
  }

  /** Returns the number of subjects on file. */
  public long countSubjects() {
    return core.store().read(ConsentStore.Transaction::countSubjects);
  }

  /**
   * Returns how many outbox mails are in each state, for operators: a growing {@code QUEUED} or {@code FAILED} count
   * is the first sign of a mail server problem.
   *
   * @return the counts by status; a status without mails is absent
   */
  public java.util.Map<OutboxMail.Status, Long> outboxSummary() {
    return core.store().read(ConsentStore.Transaction::countMailsByStatus);
  }

  /**
   * Returns the outbox mails of a subject with their dispatch state, for operators.
   *
   * @param id the subject
   * @return the mails
   */
  public List<OutboxMail> mails(SubjectId id) {
    return core.store().read(tx -> tx.mails(id));
  }

  /**
   * Runs the retention job once, now: see {@link PurgeReport}. {@link OptIn#start()} also schedules it
   * ({@link OptIn.Builder#retention(java.time.Duration, java.time.Duration, java.time.Duration)}); it is safe to run
   * on every node at once.
   *
   * @return what was done
   */
  public PurgeReport purge() {
    return core.purger().run();
  }

  /**
   * Sends the mails that are due now, on the calling thread, in batches until none is due; for tests, command-line
   * tools and apps that schedule dispatch themselves.
   *
   * @return what was done
   */
  public DispatchReport dispatchNow() {
    return core.dispatcher().drain();
  }
}
