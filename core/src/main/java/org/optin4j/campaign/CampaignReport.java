package org.optin4j.campaign;

/**
 * Where the mails of a campaign stand, counted from the outbox (finished rows are purged after the outbox retention,
 * so ask within it).
 *
 * <p>Immutable and thread-safe.
 *
 * @param campaign the campaign
 * @param waiting queued or being sent
 * @param sent handed to the mail server
 * @param skipped not sent because the consent was withdrawn, restricted, expired or erased (or the address changed)
 *     after the campaign was queued
 * @param failed refused by the mail server for good
 */
public record CampaignReport(Campaign campaign, int waiting, int sent, int skipped, int failed) {}
