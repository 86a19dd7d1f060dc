set jit=off;
\timing on
select (extract(epoch from now())*1000)::bigint - 7*86400000 as cut \gset
begin;
create temp table ids as select id from optin4j_subjects order by id offset 300000 limit 1000;
analyze ids;
explain (analyze,costs off) delete from optin4j_address_changes where request_id in (select id from optin4j_requests where subject_id in (select id from ids));
explain (analyze, costs off) delete from optin4j_requests where subject_id in (select id from ids);
delete from optin4j_consents where subject_id in (select id from ids);
delete from optin4j_outbox where subject_id in (select id from ids);
delete from optin4j_events where subject_id in (select id from ids);
delete from optin4j_history_heads where subject_id in (select id from ids);
explain (analyze, buffers, costs off) delete from optin4j_subjects where id in (select id from ids);
rollback;
