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
 * The notice's margin (SPEC §13: for a customer who asked, the notice is time-based only). The
 * remaining wait is uncertain (service times spread, people ahead cancel or never show,
 * higher-priority customers may come), so the notice goes when the expected wait less a margin
 * reaches the lead: COME_BACK_Z standard deviations of it (its 10 % quantile under a normal
 * approximation), at least COME_BACK_MARGIN_MINUTES (the job's period, reading the message) and at
 * most COME_BACK_MAX_MARGIN_MINUTES. The cap was chosen on the tuning scenarios' traces (never the
 * held-out ones; docs/wait-time.md): far from the call the estimator's spread is wide and the
 * uncapped quantile told customers 15–40 minutes early, while the notices that came late were
 * estimates that collapsed at once (a break ending, people ahead leaving), which a wider margin
 * hardly catches.
 */
export const COME_BACK_Z = 1.3;
export const COME_BACK_MARGIN_MINUTES = 2;
export const COME_BACK_MAX_MARGIN_MINUTES = 6;

/** Whether the "avísame" notice is due: the remaining wait (expected minutes, their sd) may now reach the lead. */
export function comeBackDue(expectedMinutes: number, leadMinutes: number, sdMinutes: number): boolean {
  const spread = Number.isFinite(sdMinutes) ? sdMinutes : 0;
  const margin = Math.min(COME_BACK_MAX_MARGIN_MINUTES, Math.max(COME_BACK_MARGIN_MINUTES, COME_BACK_Z * spread));
  return expectedMinutes - margin <= leadMinutes;
}

/** Marks the due "avísame" notices and makes their TOTEM_PROXIMO_TURNO message due now; returns the tickets. */
export async function notifyComeBacks(db: Queryable, estimates: Map<number, TicketEstimate> | null, now: Date): Promise<number[]> {
  const due: number[] = [];
  for (const [id, e] of estimates ?? []) {
    if (!e.comeBack || e.comeBack.notified) continue;
    const isDue =
      e.comeBackQuantile !== undefined ? e.comeBackQuantile <= e.comeBack.leadMinutes : comeBackDue(e.expected, e.comeBack.leadMinutes, e.sd);
    if (isDue) due.push(id);
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
