import type { Queryable } from '../../db/sql.js';
import type { TicketEstimate } from './wait-estimator.js';

/*
 * The estimator's two hooks into the queue job: the estimates it writes, and the "avísame"
 * notices that became due.
 */

/** Ticket ids, positions in call order and minutes, as three arrays the queue job's statement unnests. */
export function plannedEstimates(estimates: Map<number, TicketEstimate>): { ids: number[]; positions: number[]; minutes: number[] } {
  const ids: number[] = [];
  const positions: number[] = [];
  const minutes: number[] = [];
  for (const [id, e] of estimates) {
    ids.push(id);
    positions.push(e.position);
    minutes.push(e.minutes);
  }
  return { ids, positions, minutes };
}

/** The notice's margin: 35 % of the expected wait, at least 4 minutes (tuned on the shipped scenarios). */
export const COME_BACK_MARGIN_MINUTES = 4;
export const COME_BACK_MARGIN_SHARE = 0.35;

/**
 * The remaining wait "may reach" the customer's lead: the wait is uncertain (service times are
 * skewed, people ahead cancel), so the notice goes when an optimistic reading of the expected
 * wait — early enough for most customers to be back before their call — reaches the lead.
 */
export function comeBackDue(expectedMinutes: number, leadMinutes: number): boolean {
  const optimistic = expectedMinutes - Math.max(COME_BACK_MARGIN_MINUTES, COME_BACK_MARGIN_SHARE * expectedMinutes);
  return optimistic <= leadMinutes;
}

/** Marks the due "avísame" notices and makes their TOTEM_PROXIMO_TURNO message due now; returns the tickets. */
export async function notifyComeBacks(db: Queryable, estimates: Map<number, TicketEstimate> | null, now: Date): Promise<number[]> {
  const due: number[] = [];
  for (const [id, e] of estimates ?? []) {
    if (e.comeBack && !e.comeBack.notified && comeBackDue(e.expected, e.comeBack.leadMinutes)) due.push(id);
  }
  if (due.length === 0) return [];
  const [row] = await db.execute<{ ids: string[] | null }[]>(
    `with due as (
       update ticket_come_back cb set notified_at = ?
       from ticket t
       where cb.ticket_id = any(?::bigint[]) and cb.notified_at is null
         and t.id = cb.ticket_id and t.status in ('EN_ESPERA', 'PROXIMO')
       returning cb.ticket_id),
     armed as (
       update mensaje m set fecha_programada = ? from due
       where m.ticket_id = due.ticket_id and m.plantilla = 'TOTEM_PROXIMO_TURNO' and m.estado_envio = 'PENDIENTE'
       returning 1)
     select (select array_agg(ticket_id) from due) as ids, (select count(*) from armed) as armed`,
    [now, due, now],
  );
  return (row?.ids ?? []).map(Number);
}
