-- The retention job's search for lapsed signups (issue 17; docs/jdbc.md, "Retention"). A lapsed signup has at least one
-- consent never confirmed, so the job walks the consents never confirmed in subject id order instead of every subject:
-- on a list of a million confirmed subscribers it reads the few unconfirmed ones, not the million. Partial: the rows of
-- confirmed consents, nearly all of a real list, are not in it.
-- Apply once, after the earlier scripts, with the same tool. Every name starts with "optin4j_", the default table
-- prefix; with another prefix, replace every "optin4j_" in this file by it.
-- Building it reads the consents table once and blocks writes to it meanwhile (seconds for a million rows); on a busy
-- installation, build it beforehand with CREATE INDEX CONCURRENTLY under this name and leave this statement out.
CREATE INDEX optin4j_consents_unconfirmed_idx ON optin4j_consents (subject_id) WHERE confirmed_at IS NULL;

INSERT INTO optin4j_schema_version (version, description) VALUES (7, 'index of unconfirmed consents for the purge');
