package org.optin4j.campaign;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.optin4j.OptIn;
import org.optin4j.Purpose;
import org.optin4j.PurposeId;
import org.optin4j.SubjectId;

/**
 * The app's own mail, sent only with consent (GDPR Art. 6(1)(a)): campaigns for a purpose that reach only addresses
 * with a confirmed, unrestricted consent within its retention period, each with a one-click unsubscribe link so
 * withdrawing is as easy as consenting (Art. 7(3)); and re-confirmation after a material change of a purpose
 * (Art. 7(1): consent covers the notice that was shown). Obtain it from {@link OptIn#campaigns()}.
 *
 * <p>Immutable and thread-safe.
 */
public interface Campaigns {

  /**
   * Sends the app's own mail for a purpose (a newsletter issue) to a list of addresses, only to those with a
   * confirmed, unrestricted consent for the purpose within its retention period, never to suppressed ones. The
   * content is stored once; one outbox mail per recipient goes out in batches over reused SMTP connections, each with
   * {@code List-Id}, {@code List-Unsubscribe} (a signed one-click link) and {@code List-Unsubscribe-Post} (RFC 2919,
   * 2369, 8058), and each checks the consent again when it is sent: whoever withdraws meanwhile gets nothing.
   *
   * @param purpose the purpose the mail is for
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @param recipients the addresses as typed; duplicates are mailed once
   * @return what was queued and refused
   * @throws IllegalArgumentException if the purpose is not in the catalog or the content is invalid
   */
  CampaignResult send(
      PurposeId purpose,
      String subject,
      String text,
      String html,
      java.util.Collection<String> recipients);

  /**
   * Sends the app's own mail for a purpose to everyone with a confirmed, unrestricted consent for it within its
   * retention period, as {@link #send} does for a list: {@link #create} then {@link #queueToAllConfirmed}. The store
   * selects the recipients and writes their outbox mails itself, a page of 1,000 at a time, each page in a unit of work
   * of its own; the dispatcher starts sending once the first page is in.
   *
   * <p>If the call fails part-way (the process dies, the database goes away), the pages queued so far stay queued
   * and are sent; the campaign id is not returned then, so a caller that must be able to complete the campaign creates
   * it with {@link #create} first, keeps its id, and calls {@link #queueToAllConfirmed} (again, after a failure).
   *
   * @param purpose the purpose
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @return what was queued; refused counts the confirmed consents that are restricted or past their retention
   * @throws IllegalArgumentException if the purpose is not in the catalog or the content is invalid
   */
  CampaignResult sendToAllConfirmed(PurposeId purpose, String subject, String text, String html);

  /**
   * Registers a campaign without queueing any mail, so that its id is known before anything is queued (see
   * {@link #queueToAllConfirmed}).
   *
   * @param purpose the purpose
   * @param subject the subject line
   * @param text the plain-text body
   * @param html the HTML body, or {@code null}
   * @return the campaign
   * @throws IllegalArgumentException if the purpose is not in the catalog or the content is invalid
   */
  Campaign create(PurposeId purpose, String subject, String text, String html);

  /**
   * Queues a campaign to everyone with a confirmed, unrestricted consent for its purpose within its retention period
   * who does not hold its mail yet, as {@link #sendToAllConfirmed} does. Idempotent: each subject's mail of a
   * campaign has one dedupe key, so calling this again (after a crash part-way, or to reach those who confirmed since)
   * queues no one twice and completes what a failed call left; it reads every confirmed consent of the purpose again,
   * skipping those that hold the mail. Mails already sent and deleted by the purge job ({@code outboxRetention}) no
   * longer hold their key: complete a failed campaign well within that period.
   *
   * @param campaignId the campaign, from {@link #create} or {@link CampaignResult#campaignId()}
   * @return what this call queued; refused counts the confirmed consents it did not queue (restricted, past their
   *     retention, or already holding the mail)
   * @throws IllegalArgumentException if there is no such campaign
   */
  CampaignResult queueToAllConfirmed(String campaignId);

  /**
   * Tells where a campaign's mails stand.
   *
   * @param campaignId the campaign
   * @return the counts, or empty if there is no such campaign
   */
  Optional<CampaignReport> report(String campaignId);

  /**
   * Lists subjects whose confirmed consent for a purpose predates its latest material change
   * ({@link Purpose#materialVersion()}), a page at a time.
   *
   * @param purpose the purpose
   * @param after continue after this subject, or {@code null} to start
   * @param limit the page size, 1 to 10000
   * @return the subject ids
   */
  List<SubjectId> reconsentCandidates(PurposeId purpose, SubjectId after, int limit);

  /**
   * Asks every subject whose consent for a purpose predates its latest material change to confirm it again under
   * the current notice: one re-confirmation request and confirmation mail each, through the outbox (the per-address
   * caps apply). Their consent under the earlier version stays valid ({@link OptIn#mayMail} keeps answering yes) until
   * they confirm (the consent moves to the current version), decline (withdrawn), or the deadline passes (the purge
   * job expires it). Links in the mails live {@code confirmationTtl} as always; a person who comes later gets a fresh
   * one through {@link OptIn#resendConfirmation}. Safe to run again: subjects already asked are skipped.
   *
   * @param purpose the purpose
   * @param deadline how long the earlier consents stay valid, 1 day to 365 days
   * @return how many were asked, already asked, or throttled by the caps
   * @throws IllegalArgumentException if the purpose is unknown or never changed materially, or the deadline is out
   *     of range
   */
  ReconsentResult requestReconsent(PurposeId purpose, Duration deadline);
}
