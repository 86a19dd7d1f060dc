package org.optin4j.spi;

import java.time.Instant;
import java.util.List;
import org.optin4j.SubjectId;

/**
 * The part of a unit of work that keeps what bounce and complaint handling needs between reports: the reports set
 * aside because they could not be read or acted on (kept for the operator, never dropped silently, purged after a
 * retention period), and the temporary bounces counted against an address (RFC 3464 status class 4; N of them within
 * M days mark the address undeliverable).
 *
 * <p>Obtained from {@link ConsentStore.Transaction#reports()}; valid only while its unit of work runs, on the thread
 * that runs it. Not thread-safe.
 */
public interface ReportStore {

  /**
   * Keeps a report aside.
   *
   * @param report the report, with a fresh id
   * @throws DuplicateKeyException if the id exists
   */
  void setAside(AsideReport report);

  /**
   * Returns the reports set aside, newest first.
   *
   * @param limit at most this many (1 to 1000)
   * @return the reports
   */
  List<AsideReport> setAside(int limit);

  /**
   * Deletes the reports set aside before a time.
   *
   * @param before the cut-off (exclusive)
   * @return how many were deleted
   */
  int purgeSetAside(Instant before);

  /**
   * Counts a temporary bounce of one mail. A mail counts once, however many delay notices it draws.
   *
   * @param subject the subject the mail went to
   * @param mailId the outbox mail id
   * @param at when the report came
   * @return whether it was counted (false if that mail was counted already)
   */
  boolean addSoftBounce(SubjectId subject, String mailId, Instant at);

  /**
   * Counts a subject's temporary bounces since a time.
   *
   * @param subject the subject
   * @param since the start of the window (inclusive)
   * @return how many mails bounced temporarily since then
   */
  int countSoftBounces(SubjectId subject, Instant since);

  /**
   * Deletes the temporary bounces counted before a time (past every window), or all of one subject's.
   *
   * @param subject the subject, or {@code null} for every subject
   * @param before the cut-off (exclusive)
   * @return how many were deleted
   */
  int purgeSoftBounces(SubjectId subject, Instant before);

  /**
   * A report kept aside. Immutable and thread-safe.
   *
   * @param id the id (random)
   * @param receivedAt when it was received
   * @param reason why it was set aside, free of personal data (at most 500 characters)
   * @param excerpt the start of the raw message for the operator (at most {@value #MAX_EXCERPT} characters; it may
   *     hold addresses, so it is purged with the report)
   */
  record AsideReport(String id, Instant receivedAt, String reason, String excerpt) {
    /** The most characters of the raw message kept. */
    public static final int MAX_EXCERPT = 8000;

    /** Validates the components. */
    public AsideReport {
      java.util.Objects.requireNonNull(id, "id");
      java.util.Objects.requireNonNull(receivedAt, "receivedAt");
      java.util.Objects.requireNonNull(reason, "reason");
      java.util.Objects.requireNonNull(excerpt, "excerpt");
      if (id.isEmpty() || id.length() > 40) {
        throw new IllegalArgumentException("id must have 1 to 40 characters");
      }
      if (reason.length() > 500) {
        throw new IllegalArgumentException("reason must have at most 500 characters");
      }
      if (excerpt.length() > MAX_EXCERPT) {
        throw new IllegalArgumentException(
            "excerpt must have at most " + MAX_EXCERPT + " characters");
      }
    }
  }
}
