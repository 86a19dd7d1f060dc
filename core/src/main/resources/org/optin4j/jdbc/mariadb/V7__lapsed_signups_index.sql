-- The retention job's search for lapsed signups (issue 17; docs/jdbc.md, "Retention"). A lapsed signup has at least one
-- consent never confirmed, so the job walks the consents never confirmed (confirmed_at NULL) in subject id order
-- instead of every subject: on a list of a million confirmed subscribers it reads the few unconfirmed ones, not the
-- million. (PostgreSQL uses a partial index of those rows; this database has none, so the column leads.)
-- Apply once, after the earlier scripts, with the same tool. Every name starts with "optin4j_", the default table
-- prefix; with another prefix, replace every "optin4j_" in this file by it.
CREATE INDEX optin4j_consents_unconfirmed_idx ON optin4j_consents (confirmed_at, subject_id);

INSERT INTO optin4j_schema_version (version, description) VALUES (7, 'index of unconfirmed consents for the purge');
