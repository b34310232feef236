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

/**
 * The notice's margin: the remaining wait is uncertain (service times spread, people ahead cancel or never
 * show, higher-priority customers may come), so the notice goes when its 10 % quantile — the expected wait
 * less COME_BACK_Z standard deviations of it (normal approximation), and at least COME_BACK_MARGIN_MINUTES
 * less (the job's period, reading the message) — reaches the lead. The spread shrinks as the call nears, so
 * the margin does too: on time for nine in ten, without telling everyone at once.
 */
export const COME_BACK_Z = 1.3;
export const COME_BACK_MARGIN_MINUTES = 2;

/** Whether the "avísame" notice is due: the remaining wait (expected minutes, their sd) may now reach the lead. */
export function comeBackDue(expectedMinutes: number, leadMinutes: number, sdMinutes: number): boolean {
  const spread = Number.isFinite(sdMinutes) ? sdMinutes : 0;
  const optimistic = expectedMinutes - Math.max(COME_BACK_MARGIN_MINUTES, COME_BACK_Z * spread);
  return optimistic <= leadMinutes;
}

/** Marks the due "avísame" notices and makes their TOTEM_PROXIMO_TURNO message due now; returns the tickets. */
export async function notifyComeBacks(db: Queryable, estimates: Map<number, TicketEstimate> | null, now: Date): Promise<number[]> {
  const due: number[] = [];
  for (const [id, e] of estimates ?? []) {
    if (e.comeBack && !e.comeBack.notified && comeBackDue(e.expected, e.comeBack.leadMinutes, e.sd)) due.push(id);
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
