set jit=off;
select (extract(epoch from now())*1000)::bigint - 7*86400000 as cut \gset
\timing on
begin;
alter table optin4j_address_changes drop constraint optin4j_address_changes_request_fk; alter table optin4j_consents drop constraint optin4j_consents_subject_fk; alter table optin4j_requests drop constraint optin4j_requests_subject_fk; alter table optin4j_outbox drop constraint optin4j_outbox_subject_fk;
create temp table cand on commit drop as WITH cand AS MATERIALIZED (SELECT u.subject_id AS id FROM optin4j_consents u WHERE u.confirmed_at IS NULL AND u.subject_id > :'after' AND NOT EXISTS (SELECT 1 FROM optin4j_consents f WHERE f.subject_id = u.subject_id AND f.purpose < u.purpose OFFSET 0) AND EXISTS (SELECT 1 FROM optin4j_subjects s WHERE s.id = u.subject_id AND s.created_at < :cut OFFSET 0) ORDER BY u.subject_id LIMIT 1000), locked AS (SELECT h.subject_id FROM optin4j_history_heads h WHERE h.subject_id IN (SELECT id COLLATE "C" FROM cand) ORDER BY h.subject_id FOR NO KEY UPDATE SKIP LOCKED) SELECT c.id, h.subject_id IS NOT NULL as hh, k.subject_id IS NOT NULL as kk FROM cand c LEFT JOIN optin4j_history_heads h ON h.subject_id = c.id COLLATE "C" LEFT JOIN locked k ON k.subject_id = c.id COLLATE "C" ORDER BY c.id;
create temp table ids on commit drop as SELECT s.id FROM optin4j_subjects s WHERE s.created_at < :cut AND EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id AND (c.confirmed_at IS NOT NULL OR c.state NOT IN ('PENDING', 'WITHDRAWN', 'EXPIRED') OR (c.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM optin4j_requests q WHERE q.id = c.request_id AND q.subject_id = s.id AND q.status = 'OPEN' AND q.expires_at < :cut)) OR (c.state <> 'PENDING' AND (c.ended_at IS NULL OR c.ended_at >= :cut))) OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_requests r WHERE r.subject_id = s.id AND r.status = 'OPEN' AND r.expires_at >= :cut OFFSET 0) AND s.id IN (select id from cand) ORDER BY s.id FOR UPDATE SKIP LOCKED;
delete from optin4j_address_changes where request_id in (select id from optin4j_requests where subject_id in (select id from ids));
delete from optin4j_requests where subject_id in (select id from ids);
delete from optin4j_consents where subject_id in (select id from ids);
delete from optin4j_outbox where subject_id in (select id from ids);
delete from optin4j_events where subject_id in (select id from ids);
delete from optin4j_history_heads where subject_id in (select id from ids);
delete from optin4j_subjects where id in (select id from ids);
rollback;
