\set n 1000000
truncate optin4j_address_changes, optin4j_outbox, optin4j_consents, optin4j_requests, optin4j_subjects, optin4j_events, optin4j_history_heads, optin4j_feed cascade;
\timing on
begin;
select (extract(epoch from now())*1000)::bigint as now \gset
insert into optin4j_subjects (id, email, created_at) select 'x'||lpad(i::text,21,'0'), 'p'||i||'@bench.example', :now - 10*86400000 from generate_series(0,:n-1) i;
insert into optin4j_requests (id, subject_id, purposes, notice_version, notice_hash, notice_locale, source, requested_at, expires_at, generation, status) select 'req-'||i, 'x'||lpad(i::text,21,'0'), 'newsletter', 1, repeat('0',64), 'en', 'bench', :now - 10*86400000, :now - 8*86400000 - i, 1, 'OPEN' from generate_series(0,:n-1) i;
insert into optin4j_consents (subject_id, purpose, purpose_version, state, request_id, notice_version, notice_hash, notice_locale, requested_at, restricted) select 'x'||lpad(i::text,21,'0'), 'newsletter', 1, 'PENDING', 'req-'||i, 1, repeat('0',64), 'en', :now - 10*86400000, false from generate_series(0,:n-1) i;
insert into optin4j_events (subject_id, purpose, event_type, occurred_at, request_id, notice_version, notice_hash, notice_locale, source, channel, chain_position, previous_hash, details_salt, details_digest, chain_hash) select 'x'||lpad(i::text,21,'0'), 'newsletter', 'REQUESTED', :now - 10*86400000, 'req-'||i, 1, repeat('0',64), 'en', 'bench', 'FORM', 1, repeat('0',64), md5(i::text)||'abcdefghij', md5(i::text)||md5(i::text), md5((i+1)::text)||md5(i::text) from generate_series(0,:n-1) i;
insert into optin4j_history_heads (subject_id, chain_position, head_hash) select 'x'||lpad(i::text,21,'0'), 1, md5((i+1)::text)||md5(i::text) from generate_series(0,:n-1) i;
insert into optin4j_outbox (id, kind, subject_id, recipient, request_id, generation, locale, purposes, dedupe_key, status, attempts, next_attempt_at, created_at, sent_at) select 'mail-'||i, 'CONFIRMATION', 'x'||lpad(i::text,21,'0'), 'p'||i||'@bench.example', 'req-'||i, 1, 'en', 'newsletter', 'confirm-req-'||i||'-1', 'SENT', 1, :now - 10*86400000, :now - 10*86400000, :now - 10*86400000 from generate_series(0,:n-1) i;
commit;
analyze;
