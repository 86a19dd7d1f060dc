set jit=off;
select (extract(epoch from now())*1000)::bigint - 7*86400000 as cut \gset
\timing on
begin;
create temp table cand as SELECT s.id FROM optin4j_consents u JOIN optin4j_subjects s ON s.id = u.subject_id WHERE u.confirmed_at IS NULL AND NOT EXISTS (SELECT 1 FROM optin4j_consents f WHERE f.subject_id = u.subject_id AND f.purpose < u.purpose OFFSET 0) AND u.subject_id > :'after' AND s.created_at < :cut AND NOT EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id AND (c.confirmed_at IS NOT NULL OR c.state NOT IN ('PENDING', 'WITHDRAWN', 'EXPIRED') OR (c.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM optin4j_requests q WHERE q.id = c.request_id AND q.subject_id = s.id AND q.status = 'OPEN' AND q.expires_at < :cut)) OR (c.state <> 'PENDING' AND (c.ended_at IS NULL OR c.ended_at >= :cut))) OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_requests r WHERE r.subject_id = s.id AND r.status = 'OPEN' AND r.expires_at >= :cut OFFSET 0) ORDER BY u.subject_id LIMIT 1000;
commit;
begin;
create temp table hh on commit drop as SELECT subject_id FROM optin4j_history_heads WHERE subject_id IN (select id COLLATE "C" from cand) ORDER BY subject_id FOR NO KEY UPDATE SKIP LOCKED;
create temp table ids on commit drop as SELECT s.id FROM optin4j_subjects s WHERE s.created_at < :cut AND EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id AND (c.confirmed_at IS NOT NULL OR c.state NOT IN ('PENDING', 'WITHDRAWN', 'EXPIRED') OR (c.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM optin4j_requests q WHERE q.id = c.request_id AND q.subject_id = s.id AND q.status = 'OPEN' AND q.expires_at < :cut)) OR (c.state <> 'PENDING' AND (c.ended_at IS NULL OR c.ended_at >= :cut))) OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_requests r WHERE r.subject_id = s.id AND r.status = 'OPEN' AND r.expires_at >= :cut OFFSET 0) AND s.id IN (select id from cand) ORDER BY s.id FOR UPDATE SKIP LOCKED;
delete from optin4j_address_changes where request_id in (select id from optin4j_requests where subject_id in (select id from ids));
delete from optin4j_requests where subject_id in (select id from ids);
delete from optin4j_consents where subject_id in (select id from ids);
delete from optin4j_outbox where subject_id in (select id from ids);
delete from optin4j_events where subject_id in (select id from ids);
delete from optin4j_history_heads where subject_id in (select id from ids);
delete from optin4j_subjects where id in (select id from ids);
rollback;
