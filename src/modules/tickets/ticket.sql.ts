import type { AtencionPreferente } from '../../domain/floor.js';
import type { QueueType } from '../../domain/queue-types.js';
import type { TicketStatus } from '../../domain/ticket-status.js';
import { AUDIT_COLUMNS, AUDIT_VALUES, auditParams, type Origin } from '../audit/audit.service.js';
import { planTicketMessages } from '../notifications/message-plan.js';
import type { SealedTicketPersonalData } from '../privacy/sealed.js';
import { ACTIVE, ADVISORS_ONLINE_COUNT, WAITING } from './queue.sql.js';

/*
 * The statements of "take a ticket", in the order TicketService runs them in one transaction.
 * The benchmark's raw-SQL baseline runs these same texts through node-pg.
 */

/**
 * 1. The next number of the branch's service day (its own time zone, SPEC §17): the counter row's
 * lock serialises numbering per branch, day and queue. No row when the branch does not exist.
 * Params: now, queueType, now, branch.
 */
export const NEXT_NUMBER_SQL = `insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number, updated_at)
  select b.name, branch_local_date(b.timezone, ?::timestamp), ?, 1, ? from branch b where b.name = ?
  on conflict (branch_office, service_date, queue_type)
  do update set last_number = ticket_daily_counter.last_number + 1, updated_at = excluded.updated_at
  returning last_number, service_date`;

/** The parameters of NEXT_NUMBER_SQL. */
export const nextNumberParams = (branchOffice: string, queueType: QueueType, now: Date): unknown[] => [now, queueType, now, branchOffice];

/** What NEXT_NUMBER_SQL returns: the number and the branch's service day (YYYY-MM-DD). */
export interface NextNumberRow {
  last_number: number;
  service_date: string;
}

/**
 * 2. Under that lock, what the rules need: an active ticket of the RUT, whether the branch is
 * active, open (null) or when it opens, and offers the queue (SPEC §17), whether the RUT was given
 * in the bot (typed, or verified by the customer's identity provider: its messages are planned,
 * though only a chat that owns the ticket receives them, SPEC §22), who waits ahead and who serves
 * the queue; and whether anyone in the branch is free (else the immediate assignment attempt is not worth a query).
 * The RUT is looked up by its blind index (SPEC §14).
 * Params: RUT blind index, now, early minutes, queueType, RUT blind index, queueType, branch,
 * queueType, branch.
 */
export const TICKET_CONTEXT_SQL = `select
    (select numero from ticket where national_id_bidx = ? and status in ${ACTIVE} limit 1) as active_numero,
    coalesce(b.active, false) as branch_active,
    branch_opening(b.name, ?::timestamp, ?::int) as opens_at,
    exists(select 1 from jsonb_array_elements(b.queues) q where q->>'queueType' = ?) as offers_queue,
    exists(select 1 from (select national_id_bidx from telegram_customer union all
                          select national_id_bidx from telegram_verified_rut) r where r.national_id_bidx = ?) as registered,
    (select count(*)::int from ticket where branch_office = k.name and queue_type = ? and status in ${WAITING}
       and reserved_advisor_id is null) as waiting,
    ${ADVISORS_ONLINE_COUNT} as online,
    exists(select 1 from advisor where branch_office = k.name and status = 'AVAILABLE') as advisor_free
  from (select ?::text as name) k left join branch b on b.name = k.name`;

/** What TICKET_CONTEXT_SQL returns. */
export interface TicketContextRow {
  active_numero: string | null;
  branch_active: boolean;
  /** Null while the branch takes tickets; else its next opening (UTC text, or 'infinity'). */
  opens_at: string | null;
  offers_queue: boolean;
  /** A chat gave this RUT: the messages are planned (SPEC §5); who receives them is §22's rule. */
  registered: boolean;
  waiting: number;
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
): unknown[] => [nationalIdBidx, now, earlyMinutes, queueType, nationalIdBidx, queueType, branchOffice, queueType, branchOffice];

/**
 * 3. The ticket, its three messages (only when `reachable`) and its TICKET_CREADO audit row, in
 * one statement. Params: the 17 ticket columns (the last two, the chat or the kiosk device that took it); reachable; 3 × (plantilla, fecha_programada);
 * created_at of the messages; entity type 'TICKET'; then auditParams.
 */
export const INSERT_TICKET_SQL = `with t as (
    insert into ticket (codigo_referencia, numero, national_id_enc, national_id_bidx, telefono_enc, telefono_bidx,
      branch_office, queue_type, status, position_in_queue, estimated_wait_minutes, service_date, created_at, updated_at,
      atencion_preferente, chat_id, device_id)
    values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    returning id
  ),
  reach as (select ?::boolean as reachable),
  m as (
    insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at)
    select t.id, v.plantilla, 'PENDIENTE', v.fecha::timestamp, ?::timestamp
    from t, reach, (values (1, ?, ?), (2, ?, ?), (3, ?, ?)) as v(n, plantilla, fecha)
    where reach.reachable
    order by v.n
  ),
  a as (
    insert into audit_log (${AUDIT_COLUMNS})
    select ?, t.id::text, ${AUDIT_VALUES} from t
  )
  select id from t`;

export interface NewTicket {
  codigo: string;
  numero: string;
  /** RUT and phone as stored: encrypted, with their blind indexes (see sealTicketPersonalData). */
  personal: SealedTicketPersonalData;
  branchOffice: string;
  queueType: QueueType;
  status: TicketStatus;
  position: number;
  estimate: number;
  serviceDate: string;
  createdAt: Date;
  /** The customer can be reached in Telegram: the three messages are planned. */
  reachable: boolean;
  /** The Telegram chat that took it in the bot (SPEC §22), else null. */
  chatId?: number | null;
  /** The kiosk device whose token took it (SPEC §17), else null. */
  deviceId?: number | null;
  origin: Origin;
  atencionPreferente?: AtencionPreferente | null;
}

/** The parameters of INSERT_TICKET_SQL for a new ticket, its messages and its audit row. */
export function insertTicketParams(t: NewTicket): unknown[] {
  const messages = planTicketMessages(t.createdAt, t.estimate, t.status === 'PROXIMO');
  return [
    t.codigo,
    t.numero,
    t.personal.nationalIdEnc,
    t.personal.nationalIdBidx,
    t.personal.telefonoEnc,
    t.personal.telefonoBidx,
    t.branchOffice,
    t.queueType,
    t.status,
    t.position,
    t.estimate,
    t.serviceDate,
    t.createdAt,
    t.createdAt,
    t.atencionPreferente ?? null,
    t.chatId ?? null,
    t.deviceId ?? null,
    t.reachable,
    t.createdAt,
    ...messages.flatMap((m) => [m.plantilla, m.fechaProgramada]),
    'TICKET',
    ...auditParams({
      eventType: 'TICKET_CREADO',
      origin: t.origin,
      newState: {
        numero: t.numero,
        status: t.status,
        queueType: t.queueType,
        branchOffice: t.branchOffice,
        nationalId: t.personal.maskedNationalId,
        positionInQueue: t.position,
        estimatedWaitMinutes: t.estimate,
        ...(t.atencionPreferente ? { atencionPreferente: t.atencionPreferente } : {}),
      },
      additionalData: { codigoReferencia: t.codigo, notificable: t.reachable },
      at: t.createdAt,
    }),
  ];
}
