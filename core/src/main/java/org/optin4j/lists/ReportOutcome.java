package org.optin4j.lists;

import java.util.Objects;
import java.util.Set;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * What a bounce or complaint report did ({@link Bounces#report}). Expected outcomes are values: a report that cannot
 * be read is {@link SetAside}, not an exception. Immutable and thread-safe.
 */
public sealed interface ReportOutcome {

  /**
   * A permanent bounce (RFC 3464 status class 5, RFC 3463): the address is marked undeliverable, so {@code mayMail}
   * says no, until the person requests and confirms again.
   *
   * @param subject whose address it was
   * @param status the status code, e.g. {@code 5.1.1}
   * @param marked how many consents were marked (0 if they were marked already or ended otherwise)
   */
  record Undeliverable(SubjectId subject, String status, int marked) implements ReportOutcome {
    /** Validates the components. */
    public Undeliverable {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * A temporary bounce (status class 4), counted; once the configured number fall within the window the address is
   * marked undeliverable as for a permanent bounce.
   *
   * @param subject whose address it was
   * @param status the status code, e.g. {@code 4.2.2}
   * @param count the temporary bounces within the window, this one included
   * @param markedUndeliverable whether this one reached the threshold and the address was marked
   */
  record SoftBounce(SubjectId subject, String status, int count, boolean markedUndeliverable)
      implements ReportOutcome {
    /** Validates the components. */
    public SoftBounce {
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(status, "status");
    }
  }

  /**
   * An abuse report (RFC 5965 ARF, {@code Feedback-Type: abuse} or {@code fraud}): taken as an objection to the
   * mailing (GDPR Art. 21), every pending or confirmed purpose withdrawn, the report named in the events' source.
   *
   * @param subject who complained
   * @param withdrawn the purposes withdrawn (empty if none was active)
   */
  record Complaint(SubjectId subject, Set<PurposeId> withdrawn) implements ReportOutcome {
    /** Validates the components. */
    public Complaint {
      Objects.requireNonNull(subject, "subject");
      withdrawn = Set.copyOf(withdrawn);
    }
  }

  /**
   * A report that asks for nothing (a DSN of a successful delivery, a {@code not-spam} feedback report).
   *
   * @param reason what it said
   */
  record NothingToDo(String reason) implements ReportOutcome {
    /** Validates the components. */
    public NothingToDo {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A report that could not be read or acted on: kept aside in the store with the reason and the start of the raw
   * message for the operator ({@link Bounces#setAside}), purged after the retention period. A report naming a mail by
   * a VERP tag whose MAC does not verify is set aside too.
   *
   * @param id the id of the kept report
   * @param reason why, free of personal data
   */
  record SetAside(String id, String reason) implements ReportOutcome {
    /** Validates the components. */
    public SetAside {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /**
   * A message refused before it was read as a report, and not kept: an SNS message whose topic is not accepted or
   * whose signature does not verify (anyone can POST to a public endpoint; keeping what they post would let them fill
   * the store).
   *
   * @param reason why, free of personal data
   */
  record Refused(String reason) implements ReportOutcome {
    /** Validates the components. */
    public Refused {
      Objects.requireNonNull(reason, "reason");
    }
  }
}
