import type { AtencionPreferente } from '../../domain/floor.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import type { TicketStatus } from '../../domain/ticket-status.js';
import { auditParams, type Origin } from '../audit/audit.service.js';
import { ticketMessageSteps } from '../notifications/message-plan.js';
import type { SealedTicketPersonalData } from '../privacy/sealed.js';
import { ACTIVE, ADVISORS_ONLINE_COUNT } from './queue.sql.js';

/*
 * The statements of "take a ticket", in the order TicketService runs them in one transaction.
 * The benchmark's raw-SQL baselines (bench/support/raw-take-ticket.ts, bench/pgbench/take-ticket.sql)
 * run these same texts.
 */

/**
 * 1. Before the numbering lock, what the rules need: an active ticket of the RUT, whether the
 * branch exists, is active, open (null) or when it opens, and offers the queue (SPEC §17), whether
 * the RUT was given in the bot (typed, or verified by the customer's identity provider: its messages
 * are planned, though only a chat that owns the ticket receives them, SPEC §22), who serves the queue
 * (the formula's divisor); and whether anyone in the branch is free (else the immediate assignment
 * attempt is not worth a query). How many wait ahead is read under the lock, by TAKE_TICKET_SQL.
 * The RUT is looked up by its blind index (SPEC §14).
 * Params: RUT blind index, now, early minutes, queueType, RUT blind index, branch, queueType, branch.
 */
export const TICKET_CONTEXT_SQL = `select
    (select numero from ticket where national_id_bidx = ? and status in ${ACTIVE} limit 1) as active_numero,
    b.name is not null as branch_known,
    coalesce(b.active, false) as branch_active,
    branch_opening(b.name, ?::timestamp, ?::int) as opens_at,
    exists(select 1 from jsonb_array_elements(b.queues) q where q->>'queueType' = ?) as offers_queue,
    exists(select 1 from (select national_id_bidx from telegram_customer union all
                          select national_id_bidx from telegram_verified_rut) r where r.national_id_bidx = ?) as registered,
    ${ADVISORS_ONLINE_COUNT} as online,
    exists(select 1 from advisor where branch_office = k.name and status = 'AVAILABLE') as advisor_free
  from (select ?::text as name) k left join branch b on b.name = k.name`;

/** What TICKET_CONTEXT_SQL returns. */
export interface TicketContextRow {
  active_numero: string | null;
  branch_known: boolean;
  branch_active: boolean;
  /** Null while the branch takes tickets; else its next opening (UTC text, or 'infinity'). */
  opens_at: string | null;
  offers_queue: boolean;
  /** A chat gave this RUT: the messages are planned (SPEC §5); who receives them is §22's rule. */
  registered: boolean;
  online: number;
  advisor_free: boolean;
}

/** The parameters of TICKET_CONTEXT_SQL. */
export const ticketContextParams = (
  nationalIdBidx: Buffer,
  branchOffice: string,
  queueType: QueueType,
  now: Date,
  earlyMinutes: number,
): unknown[] => [nationalIdBidx, now, earlyMinutes, queueType, nationalIdBidx, branchOffice, queueType, branchOffice];

/**
 * 2. The ticket in ONE statement, the only one run under the numbering lock: the number, the
 * ticket's instant and how many wait ahead (`ticket_take_number`, migration 20261207130000: the
 * counter row's lock, then a fresh count), the number's text (prefix and at least two digits), the
 * place, the estimate (the estimator's promise when given, else the seed's formula
 * ceil(place × average ÷ max(1, online))) and the status; the ticket; its messages when the customer
 * can be reached in Telegram (ticketMessageSteps, filtered by the status); the phone consent; the
 * TICKET_CREADO audit row. Returns what the kiosk is told.
 * Params: see takeTicketParams.
 */
export const TAKE_TICKET_SQL = `with n as materialized (
    select * from ticket_take_number(?::text, ?::text, ?::timestamp)
  ),
  v as materialized (
    select n.last_number, n.service_date, n.taken_at, n.waiting + 1 as position,
      ?::text || lpad(n.last_number::text, greatest(2, length(n.last_number::text)), '0') as numero
    from n
  ),
  e as materialized (
    select v.*,
      coalesce(?::int, ceil((v.position * ?::int)::numeric / greatest(1, ?::int))::int) as estimate,
      case when v.position <= ?::int then 'PROXIMO' else 'EN_ESPERA' end as status
    from v
  ),
  t as (
    insert into ticket (codigo_referencia, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx,
      branch_office, queue_type, status, position_in_queue, estimated_wait_minutes, service_date, created_at, updated_at,
      atencion_preferente, chat_id, device_id)
    select ?::uuid, e.numero, ?::text, ?::bytea, ?::text, ?::bytea,
      ?::text, ?::text, e.status, e.position, e.estimate, e.service_date, e.taken_at, e.taken_at,
      ?::text, ?::bigint, ?::int
    from e
    returning id
  ),
  m as (
    insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at)
    select t.id, s.plantilla, 'PENDIENTE',
      case when s.due = 'NOW' then e.taken_at else e.taken_at + make_interval(mins => e.estimate) end, e.taken_at
    from t, e, jsonb_to_recordset(?::jsonb) as s(n int, plantilla text, due text, status text)
    where ?::boolean and (s.status is null or s.status = e.status)
    order by s.n
  ),
  c as (
    insert into ticket_phone_consent (ticket_id, consented_at)
    select t.id, e.taken_at from t, e where ?::boolean
  ),
  a as (
    insert into audit_log (entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
      ip_address, user_agent, created_at)
    select 'TICKET', t.id::text, ?::text, ?::text, ?::json,
      ('{"numero":' || to_json(e.numero)::text || ',"status":' || to_json(e.status)::text || ',' || ?::text
        || ',"positionInQueue":' || e.position || ',"estimatedWaitMinutes":' || e.estimate || ?::text || '}')::json,
      ?::json, ?::text, ?::text, e.taken_at
    from t, e
  )
  select t.id, e.numero, e.status, e.position, e.estimate, e.service_date,
    (extract(epoch from e.taken_at) * 1000)::bigint as created_ms
  from t, e`;

/** What TAKE_TICKET_SQL returns (no row: the branch does not exist). */
export interface TakeTicketRow {
  id: string;
  numero: string;
  status: TicketStatus;
  position: number;
  estimate: number;
  /** The branch's service day (YYYY-MM-DD). */
  service_date: string;
  /** created_at in ms since the epoch (bigint, as text). */
  created_ms: string;
}

export interface NewTicket {
  codigo: string;
  /** RUT and phone as stored: encrypted, with their blind indexes (see sealTicketPersonalData). */
  personal: SealedTicketPersonalData;
  branchOffice: string;
  queueType: QueueType;
  /** The app's clock when the ticket is taken (the counter keeps created_at from going back). */
  now: Date;
  /** The estimator's promise for a newcomer of the queue; null: the seed's formula, in SQL. */
  promised: number | null;
  /** Advisors online for the queue (the formula's divisor). */
  online: number;
  proximoThreshold: number;
  /** The customer can be reached in Telegram: the messages are planned. */
  reachable: boolean;
  /** The customer agreed to be reached at the phone they gave (SPEC §22). */
  phoneConsent: boolean;
  /** The Telegram chat that took it in the bot (SPEC §22), else null. */
  chatId?: number | null;
  /** The kiosk device whose token took it (SPEC §17), else null. */
  deviceId?: number | null;
  origin: Origin;
  atencionPreferente?: AtencionPreferente | null;
}

const STEPS_JSON = JSON.stringify(ticketMessageSteps());

/** The parameters of TAKE_TICKET_SQL. */
export function takeTicketParams(t: NewTicket): unknown[] {
  // The audit row's columns after entity type and id, but the new state (completed by the statement) and its instant.
  const [eventType, actor, oldState, , additionalData, ip, userAgent] = auditParams({
    eventType: 'TICKET_CREADO',
    origin: t.origin,
    additionalData: { codigoReferencia: t.codigo, notificable: t.reachable },
    at: t.now,
  });
  // The new state's text as JSON.stringify wrote it before (the same keys in the same order, compact):
  // numero and status from the statement, then these, then position and estimate, then the preference.
  const middle = JSON.stringify({ queueType: t.queueType, branchOffice: t.branchOffice, nationalId: t.personal.maskedNationalId }).slice(1, -1);
  const tail = t.atencionPreferente ? `,${JSON.stringify({ atencionPreferente: t.atencionPreferente }).slice(1, -1)}` : '';
  return [
    t.branchOffice,
    t.queueType,
    t.now,
    QUEUES[t.queueType].prefix,
    t.promised,
    QUEUES[t.queueType].averageMinutes,
    t.online,
    t.proximoThreshold,
    t.codigo,
    t.personal.nationalIdEnc,
    t.personal.nationalIdBidx,
    t.personal.telefonoEnc,
    t.personal.telefonoBidx,
    t.branchOffice,
    t.queueType,
    t.atencionPreferente ?? null,
    t.chatId ?? null,
    t.deviceId ?? null,
    STEPS_JSON,
    t.reachable,
    t.phoneConsent,
    eventType,
    actor,
    oldState,
    middle,
    tail,
    additionalData,
    ip,
    userAgent,
  ];
}
