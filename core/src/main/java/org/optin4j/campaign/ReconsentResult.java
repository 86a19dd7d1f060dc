package org.optin4j.campaign;

/**
 * What {@link Campaigns#requestReconsent} did.
 *
 * <p>Immutable and thread-safe.
 *
 * @param requested subjects sent a re-confirmation request now
 * @param alreadyAsked subjects with an open re-confirmation request for the purpose already
 * @param throttled subjects skipped because their address reached today's cap of confirmation mails; run again
 *     tomorrow to ask them
 */
public record ReconsentResult(int requested, int alreadyAsked, int throttled) {}
