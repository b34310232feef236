import type { Queryable } from '../../db/sql.js';
import type { FloorState, VisitOutcome } from '../../domain/floor.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import { DomainError } from '../../errors.js';
import type { AdvisorStatus } from '../advisors/advisor.entity.js';
import { moveAdvisorState, type LockedAdvisor } from '../advisors/advisor-lock.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { makeMessagesDue } from '../notifications/message-store.js';

/*
 * The steps every floor transition is made of, each inside the caller's transaction (which holds
 * the advisor's row lock, and the branch's assignment lock for a call): call a ticket to a desk,
 * free the desk, keep the advisor's status periods, close or plan a ticket's messages.
 */

export const ASSIGN_LOCK_SQL = `select pg_advisory_xact_lock(hashtext('ticketero:assign'), hashtext(?))`;

/** The ticket in front of an advisor, as the floor's actions need it. */
export interface ServingTicket {
  id: string;
  numero: string;
  queue_type: QueueType;
  branch_office: string;
  created_at: string;
  assigned_at: string;
  service_started_at: string | null;
  recall_count: number;
  last_called_at: string | null;
  atencion_preferente: string | null;
  reachable: boolean;
}

/** The columns of ServingTicket, for `ticket t`. */
export const SERVING_COLUMNS = `t.id, t.numero, t.queue_type, t.branch_office, t.created_at, t.assigned_at, t.service_started_at,
  t.recall_count, t.last_called_at, t.atencion_preferente,
  exists (select 1 from mensaje m where m.ticket_id = t.id) as reachable`;

/**
 * Locks the advisor's current ticket. `expectedTicketId` (a /panel button's ticket) must still be
 * the one in front of them: a stale button changes nothing.
 */
export async function lockServingTicket(
  tx: Queryable,
  advisor: LockedAdvisor,
  expectedTicketId?: number,
): Promise<ServingTicket> {
  const [ticket] = await tx.execute<ServingTicket[]>(
    `select ${SERVING_COLUMNS} from ticket t where t.assigned_advisor_id = ? and t.status = 'ATENDIENDO' for update of t`,
    [advisor.id],
  );
  if (!ticket) throw new DomainError('TRANSICION_INVALIDA', `${advisor.name} no tiene un ticket en atención`);
  if (expectedTicketId !== undefined && Number(ticket.id) !== expectedTicketId) {
    throw new DomainError('TRANSICION_INVALIDA', `Ese botón era de un turno anterior; ahora atiendes ${ticket.numero}`, {
      ticketEnAtencion: ticket.numero,
    });
  }
  return ticket;
}

/** The floor state an advisor.status means when the advisor has no customer. */
export const idleState = (status: AdvisorStatus): FloorState =>
  status === 'AVAILABLE' ? 'AVAILABLE' : status === 'OFFLINE' ? 'OFFLINE' : 'PAUSED';

export interface CalledTicket {
  id: string;
  numero: string;
  queue_type: QueueType;
  status: string;
  position_in_queue: number;
}

export interface CalledAdvisor {
  id: string;
  name: string;
  module_number: number;
  assigned_tickets_count: number;
  status: AdvisorStatus;
}

/**
 * Calls a waiting ticket to an advisor's desk: ATENDIENDO ("Llamando" until Llegó), first call kept
 * in assigned_at, a new visit, the advisor BUSY and CALLING, "near" and "your turn" due now.
 */
export async function callTicket(
  tx: Queryable,
  args: {
    ticket: CalledTicket;
    advisor: CalledAdvisor;
    branchOffice: string;
    now: Date;
    origin: Origin;
    outOfOrder?: { reason: string } | undefined;
  },
): Promise<{ createdAt: string | null }> {
  const { ticket, advisor, branchOffice, now, origin, outOfOrder } = args;
  const count = advisor.assigned_tickets_count + 1;
  const [called] = await tx.execute<{ created_at: string | null }[]>(
    `with t as (
       update ticket set status = 'ATENDIENDO', assigned_advisor_id = ?, assigned_module_number = ?,
         assigned_at = coalesce(assigned_at, ?), last_called_at = ?, recall_count = 1, service_started_at = null,
         reserved_advisor_id = null, position_in_queue = 0, estimated_wait_minutes = 0, updated_at = ?
       where id = ? returning id, created_at),
     a as (
       update advisor set status = 'BUSY', assigned_tickets_count = ?, last_assigned_at = ?, workload_minutes = ?,
         pause_reason = null, updated_at = ? where id = ? returning id),
     v as (
       insert into ticket_visit (ticket_id, branch_office, queue_type, advisor_id, called_at, out_of_order)
       values (?, ?, ?, ?, ?, ?) returning id)
     select (select count(*) from t)::int as t, (select count(*) from v)::int as v, (select created_at from t) as created_at`,
    [
      advisor.id,
      advisor.module_number,
      now,
      now,
      now,
      ticket.id,
      count,
      now,
      count * QUEUES[ticket.queue_type].averageMinutes,
      now,
      advisor.id,
      ticket.id,
      branchOffice,
      ticket.queue_type,
      advisor.id,
      now,
      outOfOrder !== undefined,
    ],
  );
  // Both "near" and "your turn" are now due: a ticket called at once still gets all three.
  await makeMessagesDue(tx, ticket.id, ['TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO'], now);
  await moveAdvisorState(tx, advisor.id, 'CALLING', null, now);
  const details = { numero: ticket.numero, queueType: ticket.queue_type, branchOffice };
  await recordAudit(tx, {
    entityType: 'TICKET',
    entityId: ticket.id,
    eventType: outOfOrder ? 'TICKET_LLAMADO_FUERA_DE_ORDEN' : 'TICKET_ASIGNADO',
    origin,
    oldState: { status: ticket.status, positionInQueue: ticket.position_in_queue },
    newState: { status: 'ATENDIENDO', advisorId: Number(advisor.id), moduleNumber: advisor.module_number },
    additionalData: outOfOrder ? { ...details, reason: outOfOrder.reason } : details,
    at: now,
  });
  await recordAudit(tx, {
    entityType: 'ADVISOR',
    entityId: advisor.id,
    eventType: 'ADVISOR_ASSIGNED',
    origin,
    oldState: { status: advisor.status, assignedTicketsCount: advisor.assigned_tickets_count },
    newState: { status: 'BUSY', assignedTicketsCount: count, ticketId: Number(ticket.id) },
    additionalData: details,
    at: now,
  });
  // For the realized-wait metric (SPEC §15): created → this call.
  return { createdAt: called?.created_at ?? null };
}

const minutesBetween = (from: Date, to: Date): number => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 60_000));
export const utc = (value: string): Date => new Date(`${value}Z`);

/**
 * The advisor's customer has left the desk (completed, no-show, transferred, walked out, closed):
 * the visit ends, counters and figures move, and the advisor is free — or starts the pause they
 * asked for while serving. Returns the advisor's new status.
 */
export async function releaseAdvisor(
  tx: Queryable,
  args: {
    advisor: LockedAdvisor;
    ticket: Pick<ServingTicket, 'id' | 'numero' | 'queue_type'>;
    outcome: VisitOutcome;
    /** Minutes of a completed service, for the advisor's served-today average. */
    completedMinutes: number | null;
    now: Date;
    origin: Origin;
  },
): Promise<AdvisorStatus> {
  const { advisor, ticket, outcome, completedMinutes, now, origin } = args;
  const count = Math.max(0, advisor.assigned_tickets_count - 1);
  const completed = completedMinutes !== null;
  const served = advisor.total_tickets_served_today + (completed ? 1 : 0);
  const previousAverage = Number(advisor.average_service_time_minutes ?? 0);
  const average = completed
    ? Math.round(((previousAverage * advisor.total_tickets_served_today + completedMinutes) / served) * 100) / 100
    : previousAverage;
  const status: AdvisorStatus = advisor.pause_reason ? 'BUSY' : 'AVAILABLE';
  await tx.execute(
    `with a as (
       update advisor set status = ?, assigned_tickets_count = ?, workload_minutes = ?,
         total_tickets_served_today = ?, average_service_time_minutes = ?, updated_at = ? where id = ? returning id),
     v as (
       update ticket_visit set ended_at = ?, outcome = ?,
         service_minutes = case when ? then greatest(0, floor(extract(epoch from ?::timestamp - coalesce(service_started_at, called_at)) / 60))::int end
       where ticket_id = ? and ended_at is null returning id)
     select (select count(*) from a)::int as a`,
    [
      status,
      count,
      count * QUEUES[ticket.queue_type].averageMinutes,
      served,
      average,
      now,
      advisor.id,
      now,
      outcome,
      outcome === 'COMPLETADO' || outcome === 'TRANSFERIDO',
      now,
      ticket.id,
    ],
  );
  await moveAdvisorState(tx, advisor.id, status === 'BUSY' ? 'PAUSED' : 'AVAILABLE', status === 'BUSY' ? advisor.pause_reason : null, now);
  await recordAudit(tx, {
    entityType: 'ADVISOR',
    entityId: advisor.id,
    eventType: 'ADVISOR_FREED',
    origin,
    oldState: { status: advisor.status, assignedTicketsCount: advisor.assigned_tickets_count },
    newState: { status, assignedTicketsCount: count, totalTicketsServedToday: served },
    additionalData: { numero: ticket.numero, queueType: ticket.queue_type, outcome, ...(status === 'BUSY' ? { pauseReason: advisor.pause_reason } : {}) },
    at: now,
  });
  return status;
}

/** Service minutes of a ticket (SPEC §12): from arrival at the desk, or from the first call when never confirmed. */
export function serviceMinutes(ticket: Pick<ServingTicket, 'service_started_at' | 'assigned_at'>, now: Date): number {
  return minutesBetween(utc(ticket.service_started_at ?? ticket.assigned_at), now);
}
