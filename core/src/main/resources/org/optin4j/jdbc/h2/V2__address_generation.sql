-- optin4j schema version 2 for H2 2.2 or later: step-up for address changes and erasure (issue 12).
--
-- Apply once, after V1__schema.sql, with the same tool. Every table name starts with "optin4j_", the default table
-- prefix; with another prefix, replace every "optin4j_" in this file by it.
-- Statements end with ";" at the end of a line; lines starting with "--" are comments.

-- Counts a subject's addresses from 1; every completed change of address (or undoing of one) raises it. Links carry
-- the generation they were sent for, so a link sent to an address the subject no longer has stops working.
ALTER TABLE optin4j_subjects ADD COLUMN address_generation INTEGER DEFAULT 1 NOT NULL;

-- The address a confirmed change replaced, kept only while the "this was not me" link mailed to it may undo the
-- change (then the retention job deletes the row).
ALTER TABLE optin4j_address_changes ADD COLUMN previous_email VARCHAR(254);

INSERT INTO optin4j_schema_version (version, description) VALUES (2, 'address generation and replaced address');
