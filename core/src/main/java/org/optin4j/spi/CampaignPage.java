package org.optin4j.spi;

import java.time.Instant;
import java.util.Objects;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * One page of a campaign to everyone confirmed for its purpose, queued by the store itself
 * ({@link OutboxStore#enqueueCampaignPage}): the store selects the recipients and writes their outbox mails in one
 * set-based step, so that a campaign to a million subjects is not read into the application one subject at a time.
 *
 * <p>The page covers the subjects holding a {@code CONFIRMED} consent for {@code purpose}, in subject id order after
 * {@code after}, at most {@code limit} of them. Each of them whose consent is unrestricted and, if {@code activeSince}
 * is set, was confirmed after it (the purpose's fixed retention period has not run out: GDPR Art. 5(1)(e)) gets a
 * mail, unless a mail with its dedupe key {@code "campaign:<campaignId>:<subject id>"} exists (the campaign reached
 * it already: queueing again is a no-op, security rule 27). Immutable and thread-safe.
 *
 * @param campaignId the campaign, which the mails name as their {@link OutboxMail#requestId()}
 * @param purpose the campaign's purpose
 * @param activeSince the confirmations at or before this instant have run out of their retention, or {@code null} if
 *     the purpose keeps consent until it is withdrawn
 * @param idPrefix the start of each mail's id, which ends with the subject id: random, at least 16 characters of
 *     base64url, and new for every page, so that mail ids stay unguessable and unique
 * @param now when the mails are queued (and due)
 * @param after continue after this subject, or {@code null} to start
 * @param limit the most confirmed subjects to cover, 1 to 10,000
 */
public record CampaignPage(
    String campaignId,
    PurposeId purpose,
    Instant activeSince,
    String idPrefix,
    Instant now,
    SubjectId after,
    int limit) {

  /** Validates the components. */
  public CampaignPage {
    Objects.requireNonNull(campaignId, "campaignId");
    Objects.requireNonNull(purpose, "purpose");
    Objects.requireNonNull(idPrefix, "idPrefix");
    Objects.requireNonNull(now, "now");
    if (!idPrefix.matches("[A-Za-z0-9_-]{16,64}")) {
      throw new IllegalArgumentException("idPrefix must be 16 to 64 base64url characters");
    }
    if (limit < 1 || limit > 10_000) {
      throw new IllegalArgumentException("limit must be 1 to 10000, was " + limit);
    }
  }

  /**
   * The dedupe key of this campaign's mail to a subject.
   *
   * @param subject the subject
   * @return {@code "campaign:<campaignId>:<subject id>"}
   */
  public String dedupeKey(SubjectId subject) {
    return dedupeKeyPrefix() + subject.value();
  }

  /**
   * The dedupe keys of this campaign's mails start with this.
   *
   * @return {@code "campaign:<campaignId>:"}
   */
  public String dedupeKeyPrefix() {
    return "campaign:" + campaignId + ':';
  }

  /**
   * The id of this page's mail to a subject.
   *
   * @param subject the subject
   * @return {@code idPrefix} followed by the subject id
   */
  public String mailId(SubjectId subject) {
    return idPrefix + subject.value();
  }

  /**
   * What a page did.
   *
   * @param confirmed how many subjects with a confirmed consent the page covered (queued or not)
   * @param queued how many mails it queued
   * @param last the last subject it covered, to continue after; {@code null} if it covered none (the walk is over)
   */
  public record Queued(int confirmed, int queued, SubjectId last) {
    /** Validates the components. */
    public Queued {
      if (queued < 0 || confirmed < queued) {
        throw new IllegalArgumentException("need 0 <= queued <= confirmed");
      }
      if ((last == null) != (confirmed == 0)) {
        throw new IllegalArgumentException("last is null exactly when the page is empty");
      }
    }
  }
}
