-- Transactional mail ahead of campaign mail (issue 17; docs/jdbc.md, "The outbox's indexes").
-- priority 0: mail someone is waiting for (confirmation, receipt, step-up links, ...); 1: campaign mail. A claim
-- takes due mail of priority 0 first, so a confirmation queued behind a million campaign mails goes out in the next
-- batch. The claim walks the due index in (status, priority, next_attempt_at) order, as before without priority.
-- (PostgreSQL also makes the indexes campaign rows never need partial; this database has no partial indexes, and
-- every outbox index has a reader, so none is dropped.)
-- Apply once, after the earlier scripts, with the same tool. Every name starts with "optin4j_", the default table
-- prefix; with another prefix, replace every "optin4j_" in this file by it.
ALTER TABLE optin4j_outbox ADD COLUMN priority SMALLINT NOT NULL DEFAULT 0;
UPDATE optin4j_outbox SET priority = 1 WHERE kind = 'CAMPAIGN';
ALTER TABLE optin4j_outbox DROP INDEX optin4j_outbox_due_idx,
  ADD INDEX optin4j_outbox_due_idx (status, priority, next_attempt_at, seq);

INSERT INTO optin4j_schema_version (version, description) VALUES (10, 'outbox: transactional mail first, partial indexes');
