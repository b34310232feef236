-- "Take a ticket" as raw SQL for pgbench (section kiosk-wrk of `npm run bench`):
--   PGOPTIONS='-c TimeZone=UTC' pgbench -n -M extended -c32 -j2 -T10 -f bench/pgbench/take-ticket.sql \
--     -D n=0 -D first=<rut body> -D day=<YYYY-MM-DD> -D nbranches=<N> -D 'branches=A|B|…' \
--     -D threshold=<PROXIMO_THRESHOLD> <database>
-- The statements of TicketService.takeTicket (src/modules/tickets/ticket.sql.ts), text for text,
-- in the same transaction and order, with values of the same shape and the same workload as
-- bench/wrk/take-ticket.lua: the counter row lock, the context read, the one CTE that inserts
-- the ticket, its 3 mensajes (every other round: the phone rounds) and the TICKET_CREADO audit row.
-- -M extended: like node-pg, every statement is parsed, bound and run (unnamed, not prepared).
-- What differs from the app, on purpose: no HTTP, JSON, validation or logging; the RUT and phone
-- envelopes (`v1:<key>:<base64url>` of the same length) and the 32-byte blind indexes are
-- SHA-256 made by the server instead of AES-256-GCM/HMAC made by the client; the estimate is the
-- seed's formula (the app's wait estimator and its immediate assignment attempt run outside
-- this transaction, and are part of what the app side costs); the audit JSON is built by the
-- server (json_build_object) instead of sent as text. pgbench reads `:name` even inside quotes,
-- so the envelope's colons are chr(58).
\set n :n + 1
\set rut :first + :client_id * 100000 + :n
\set q :n % 4 + 1
\set round :n / 4
\set b :round % :nbranches + 1
\set phone (:round / :nbranches) % 2
\set avg case when :q = 1 then 5 when :q = 2 then 15 when :q = 3 then 20 else 30 end
BEGIN;
insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number, updated_at)
  values ((string_to_array(:branches, '|'))[:b], :day, (array['CAJA','PERSONAL_BANKER','EMPRESAS','GERENCIA'])[:q], 1, localtimestamp)
  on conflict (branch_office, service_date, queue_type)
  do update set last_number = ticket_daily_counter.last_number + 1, updated_at = excluded.updated_at
  returning last_number
\gset
select
    (select numero from ticket where national_id_bidx = sha256(convert_to('rut' || :rut, 'UTF8')) and status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO') limit 1) as active_numero,
    exists(select 1 from advisor where branch_office = (string_to_array(:branches, '|'))[:b]) as branch_known,
    exists(select 1 from telegram_customer where national_id_bidx = sha256(convert_to('rut' || :rut, 'UTF8'))) as registered,
    (select count(*)::int from ticket where branch_office = (string_to_array(:branches, '|'))[:b] and queue_type = (array['CAJA','PERSONAL_BANKER','EMPRESAS','GERENCIA'])[:q] and status in ('EN_ESPERA', 'PROXIMO')
       and reserved_advisor_id is null) as waiting,
    (select count(*)::int from advisor o
  where o.branch_office = (string_to_array(:branches, '|'))[:b] and o.status <> 'OFFLINE' and o.queue_types::jsonb @> to_jsonb((array['CAJA','PERSONAL_BANKER','EMPRESAS','GERENCIA'])[:q]::text)) as online,
    exists(select 1 from advisor where branch_office = (string_to_array(:branches, '|'))[:b] and status = 'AVAILABLE') as advisor_free
\gset
\set position :waiting + 1
\set estimate (:position * :avg + greatest(:online, 1) - 1) / greatest(:online, 1)
\set proximo case when :position <= :threshold then 1 else 0 end
with v as (
    select (array['C','P','E','G'])[:q::int] || lpad(:last_number::text, greatest(2, length(:last_number::text)), '0') as numero,
           (string_to_array(:branches::text, '|'))[:b::int] as branch_office,
           (array['CAJA','PERSONAL_BANKER','EMPRESAS','GERENCIA'])[:q::int] as queue_type,
           case when :proximo::int = 1 then 'PROXIMO' else 'EN_ESPERA' end as status,
           'v1' || chr(58) || 'bench' || chr(58) || rtrim(translate(encode(substring(sha256(convert_to('enc-rut' || :rut::text, 'UTF8')) || sha256(convert_to('nonce' || :rut::text, 'UTF8')) from 1 for 38), 'base64'), '+/', '-_'), '=') as rut_enc,
           sha256(convert_to('rut' || :rut::text, 'UTF8')) as rut_bidx,
           case when :phone::int = 0 then 'v1' || chr(58) || 'bench' || chr(58) || rtrim(translate(encode(substring(sha256(convert_to('enc-phone' || :rut::text, 'UTF8')) || sha256(convert_to('nonce-phone' || :rut::text, 'UTF8')) from 1 for 40), 'base64'), '+/', '-_'), '=') end as phone_enc,
           case when :phone::int = 0 then sha256(convert_to('phone' || :rut::text, 'UTF8')) end as phone_bidx,
           gen_random_uuid() as codigo,
           clock_timestamp()::timestamp as at
  ),
  t as (
    insert into ticket (codigo_referencia, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx,
      branch_office, queue_type, status, position_in_queue, estimated_wait_minutes, service_date, created_at, updated_at,
      atencion_preferente)
    select v.codigo, v.numero, v.rut_enc, v.rut_bidx, v.phone_enc, v.phone_bidx,
      v.branch_office, v.queue_type, v.status, :position::int, :estimate::int, :day::date, v.at, v.at, null
    from v
    returning id
  ),
  reach as (select (:phone::int = 0) as reachable),
  m as (
    insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at)
    select t.id, x.plantilla, 'PENDIENTE', x.fecha::timestamp, v.at
    from t, v, reach, (values (1, 'TOTEM_TICKET_CREADO', (select at from v)),
                              (2, 'TOTEM_PROXIMO_TURNO', (select at + case when :proximo::int = 1 then interval '0' else make_interval(mins => :estimate::int) end from v)),
                              (3, 'TOTEM_ES_TU_TURNO', (select at + make_interval(mins => :estimate::int) from v))) as x(n, plantilla, fecha)
    where reach.reachable
    order by x.n
  ),
  a as (
    insert into audit_log (entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
      ip_address, user_agent, created_at)
    select 'TICKET', t.id::text, 'TICKET_CREADO', 'KIOSK', null,
      json_build_object('numero', v.numero, 'status', v.status, 'queueType', v.queue_type, 'branchOffice', v.branch_office,
        'nationalId', '**.***.' || right(:rut::text, 3) || '-*', 'positionInQueue', :position::int, 'estimatedWaitMinutes', :estimate::int),
      json_build_object('codigoReferencia', v.codigo, 'notificable', (:phone::int = 0)),
      '127.0.0.1', 'ticketero-bench', v.at
    from t, v
  )
  select id from t;
COMMIT;
