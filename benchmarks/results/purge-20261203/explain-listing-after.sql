set jit=off;
select (extract(epoch from now())*1000)::bigint - 7*86400000 as cut \gset
create index if not exists optin4j_consents_unconfirmed_idx on optin4j_consents (subject_id) where confirmed_at is null;
analyze optin4j_consents;
\timing on
explain (analyze, buffers, costs off) SELECT c.subject_id FROM optin4j_consents c JOIN optin4j_subjects s ON s.id = c.subject_id WHERE c.confirmed_at IS NULL AND c.subject_id > 'x000000000000000300000' AND NOT EXISTS (SELECT 1 FROM optin4j_consents f WHERE f.subject_id = c.subject_id AND f.purpose < c.purpose OFFSET 0) AND s.created_at < :cut AND NOT EXISTS (SELECT 1 FROM optin4j_consents c WHERE c.subject_id = s.id AND (c.confirmed_at IS NOT NULL OR c.state NOT IN ('PENDING', 'WITHDRAWN', 'EXPIRED') OR (c.state = 'PENDING' AND NOT EXISTS (SELECT 1 FROM optin4j_requests q WHERE q.id = c.request_id AND q.subject_id = s.id AND q.status = 'OPEN' AND q.expires_at < :cut)) OR (c.state <> 'PENDING' AND (c.ended_at IS NULL OR c.ended_at >= :cut))) OFFSET 0) AND NOT EXISTS (SELECT 1 FROM optin4j_requests r WHERE r.subject_id = s.id AND r.status = 'OPEN' AND r.expires_at >= :cut OFFSET 0) ORDER BY c.subject_id LIMIT 1000;
