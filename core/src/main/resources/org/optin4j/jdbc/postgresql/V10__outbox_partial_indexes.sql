-- Transactional mail ahead of campaign mail, and fewer outbox indexes written per campaign row (issue 17;
-- docs/jdbc.md, "The outbox's indexes").
-- priority 0: mail someone is waiting for (confirmation, receipt, step-up links, ...); 1: campaign mail. A claim
-- takes due mail of priority 0 first, so a confirmation queued behind a million campaign mails goes out in the next
-- batch. The claim walks the due index in (status, priority, next_attempt_at) order, as before without priority.
-- Indexes that campaign rows never need are partial, so that queueing a campaign does not write them:
--   due:      only QUEUED and CLAIMED mails can be claimed (the claims name the status as a literal);
--   caps:     the per-address counts (OutboxStore.countMails) of other kinds than CAMPAIGN say kind <> 'CAMPAIGN';
--   finished: the retention job's delete of finished mails names the three finished statuses.
-- Apply once, after the earlier scripts, with the same tool. Every name starts with "optin4j_", the default table
-- prefix; with another prefix, replace every "optin4j_" in this file by it.
ALTER TABLE optin4j_outbox ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
UPDATE optin4j_outbox SET priority = 1 WHERE kind = 'CAMPAIGN';
DROP INDEX optin4j_outbox_due_idx;
CREATE INDEX optin4j_outbox_due_idx ON optin4j_outbox (status, priority, next_attempt_at, seq)
  WHERE status IN ('QUEUED', 'CLAIMED');
DROP INDEX optin4j_outbox_caps_idx;
CREATE INDEX optin4j_outbox_caps_idx ON optin4j_outbox (recipient, kind, created_at) WHERE kind <> 'CAMPAIGN';
DROP INDEX optin4j_outbox_finished_idx;
CREATE INDEX optin4j_outbox_finished_idx ON optin4j_outbox (status, created_at)
  WHERE status IN ('SENT', 'FAILED', 'SKIPPED');

INSERT INTO optin4j_schema_version (version, description) VALUES (10, 'outbox: transactional mail first, partial indexes');
