-- The purge deletes a page of lapsed signups with a few set-based statements; on PostgreSQL 15 the three foreign keys
-- below made each of those statements check every deleted row's referencing table with one query per row and per
-- key, about half of a page's deletes (issue 17, docs/jdbc.md "Foreign keys"). Integrity of these references is kept
-- by the library instead: every unit that writes a consent, request, mail or address change does so in the
-- transaction that holds the subject's history lock and has read (or inserted) its subject or request, and every
-- erasure and purge deletes the children with their parent; the store contract suites check that no row is left
-- pointing at a deleted subject or request. The indexes on these columns stay (lookups and deletes use them).
-- optin4j_outbox_subject_fk stays: campaign queueing writes outbox rows set-based (INSERT ... SELECT) without the
-- subjects' history locks, and it is the key's check that makes such an insert wait for, and then fail on, an erasure
-- committing meanwhile; without it a mail row holding an erased address could outlive the erasure.
ALTER TABLE optin4j_address_changes DROP FOREIGN KEY optin4j_address_changes_request_fk;

ALTER TABLE optin4j_consents DROP FOREIGN KEY optin4j_consents_subject_fk;

ALTER TABLE optin4j_requests DROP FOREIGN KEY optin4j_requests_subject_fk;

INSERT INTO optin4j_schema_version (version, description) VALUES (9, 'purge without per-row foreign key checks');
