/**
 * Lists brought in from elsewhere: {@link org.optin4j.lists.Imports} reads another tool's export (Mailchimp's audience
 * export, listmonk's subscriber export, or any CSV through a column mapping) and keeps, for each address, what it proves:
 * a confirmed consent with its original times and evidence, a subscription without proof (not mailable until confirmed
 * again), a withdrawal or an undeliverable mark (never mailed again). See {@code docs/import.md}.
 */
package org.optin4j.lists;
