package org.optin4j.campaign;

/**
 * What {@link Campaigns#send} or {@link Campaigns#sendToAllConfirmed} queued. Addresses are refused when they are
 * queued (no confirmed, unrestricted consent for the purpose; suppressed after erasure; not an address), and each
 * queued mail is checked once more when it goes out ({@link CampaignReport#skipped()}).
 *
 * <p>Immutable and thread-safe.
 *
 * @param campaignId the campaign, for {@link Campaigns#report}
 * @param queued mails queued
 * @param noConsent addresses refused for want of an active consent for the purpose
 * @param suppressed addresses refused because they are on the suppression list (erased)
 * @param invalid entries that are not valid addresses
 */
public record CampaignResult(
    String campaignId, int queued, int noConsent, int suppressed, int invalid) {}
