import type { Db } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events.js';
import { callOrderColumns, callOrderCtes } from '../tickets/call-order.sql.js';
import { ONLINE_PER_QUEUE, queueMinutesSql, WAITING } from '../tickets/queue.sql.js';
import type { AssignmentService, Assignment } from './assignment.service.js';
import type { WaitEstimator } from '../estimates/wait-estimator.js';
import { notifyComeBacks, plannedEstimates } from '../estimates/queue-hook.js';

/** Rows rewritten per tick at most (about a second of work on a small machine). */
export const MAX_ROWS_PER_TICK = 20_000;

export interface RecalculationResult {
  /** Waiting tickets whose position, estimate or status changed. */
  updated: number;
  /** Tickets that just became PROXIMO (their "near" message is now due). */
  becameProximo: number[];
  /** Unsent messages whose planned time moved with the estimate. */
  rescheduled: number;
  /** Tickets whose "avísame cuando falten N minutos" notice just became due (SPEC §13). */
  comeBackNotified: number[];
}

export interface QueueTickResult extends RecalculationResult {
  assignments: Assignment[];
}

/**
 * The queue job's work, set-based: one statement recomputes every waiting ticket of every
 * branch (position by arrival within branch and queue, estimate from advisors online, PROXIMO
 * at or under the threshold), arms the "near" messages and moves the planned time of unsent ones
 * with the estimate; then free advisors get their next customers.
 */
export class QueueService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      events: EventBus;
      assignment: AssignmentService;
      proximoThreshold: number;
      preferentialEvery: number;
      /** The wait-time estimator (SPEC §13); without it, the seed's formula. */
      estimator?: WaitEstimator;
    },
  ) {}

  async tick(): Promise<QueueTickResult> {
    const recalculated = await this.recalculate();
    const assignments = await this.deps.assignment.assignAllBranches();
    return { ...recalculated, assignments };
  }

  async recalculate(): Promise<RecalculationResult> {
    const now = this.deps.clock.now();
    const estimates = this.deps.estimator ? await this.deps.estimator.estimateWaiting(this.deps.db) : null;
    // With the estimator, its read already put every waiting ticket in call order: the statement
    // takes those positions with the minutes instead of sorting every line a second time.
    const planned = estimates ? plannedEstimates(estimates) : null;
    const computed = planned
      ? `estimated as (select * from unnest(?::bigint[], ?::int[], ?::int[]) as e(id, pos, minutes)),
         computed as (
           select t.id, t.status as old_status, t.position_in_queue as old_pos, t.estimated_wait_minutes as old_estimate,
                  e.pos, e.minutes as estimate,
                  case when e.pos <= ? then 'PROXIMO' else t.status end as new_status
           from estimated e join ticket t on t.id = e.id and t.status in ${WAITING}
         )`
      : `online as ${ONLINE_PER_QUEUE},
         call_source as (
           select ${callOrderColumns('t')}, t.status as old_status, t.position_in_queue as old_pos,
                  t.estimated_wait_minutes as old_estimate
           from ticket t where t.status in ${WAITING}
         ),
         -- Positions follow the order in which tickets will really be called (preferential interleaving).
         ${callOrderCtes(this.deps.preferentialEvery)},
         computed as (
           select r.id, r.old_status, r.old_pos, r.old_estimate, r.pos,
                  -- A line kept for one named advisor moves at that advisor's pace.
                  ceil(r.pos * ${queueMinutesSql('r')}::numeric / case when r.lane = 0 then greatest(coalesce(o.online, 0), 1) else 1 end)::int
                    as estimate,
                  case when r.pos <= ? then 'PROXIMO' else r.old_status end as new_status
           from call_ordered r
           left join online o on o.branch_office = r.branch_office and o.queue_type = r.queue_type
         )`;
    const params = [...(planned ? [planned.ids, planned.positions, planned.minutes] : []), this.deps.proximoThreshold, now, now, now, now, now];
    type Recalculated = { updated: number; became_proximo: string[] | null; rescheduled: number };
    // No JIT even where the pool's startup options do not reach the server (PgBouncer drops them):
    // its cost model compiles this statement at national scale, and compiling costs more than running.
    const [result] = await this.deps.db.transactional(async (tx) => {
      await tx.execute('set local jit = off');
      return tx.execute<Recalculated[]>(
        `with ${computed},
         changed as (
           -- A burst (a whole branch going offline) is spread over several ticks, fronts of the lines
           -- first: reads compute positions live, and the front is where PROXIMO happens.
           select * from computed
           where old_pos <> pos or old_estimate <> estimate or old_status <> new_status
           order by pos
           limit ${MAX_ROWS_PER_TICK}
         ),
         updated as (
           update ticket t
           set position_in_queue = c.pos, estimated_wait_minutes = c.estimate, status = c.new_status, updated_at = ?
           from changed c
           where t.id = c.id and t.status in ${WAITING}
           returning t.id, c.old_status, t.status, c.estimate, c.old_estimate
         ),
         armed as (
           update mensaje m set fecha_programada = ?
           from updated u
           where m.ticket_id = u.id and u.old_status = 'EN_ESPERA' and u.status = 'PROXIMO'
             and m.plantilla = 'TOTEM_PROXIMO_TURNO' and m.estado_envio = 'PENDIENTE'
             and m.fecha_programada is distinct from ?::timestamp
           returning 1
         ),
         rescheduled as (
           -- Planned times follow the estimate, for the tickets whose estimate just changed; a message
           -- already planned then (time went by as fast as the line) is not rewritten.
           update mensaje m set fecha_programada = ?::timestamp + make_interval(mins => u.estimate)
           from updated u
           where m.ticket_id = u.id and u.estimate <> u.old_estimate and m.estado_envio = 'PENDIENTE'
             and m.fecha_programada is distinct from ?::timestamp + make_interval(mins => u.estimate)
             and ((m.plantilla = 'TOTEM_PROXIMO_TURNO' and u.status = 'EN_ESPERA'
                   and not exists (select 1 from ticket_come_back cb where cb.ticket_id = u.id and cb.notified_at is not null))
                  or m.plantilla = 'TOTEM_ES_TU_TURNO')
           returning 1
         )
         select (select count(*) from updated)::int as updated,
                (select array_agg(id) from updated where old_status = 'EN_ESPERA' and status = 'PROXIMO') as became_proximo,
                (select count(*) from rescheduled)::int as rescheduled,
                (select count(*) from armed)::int as armed`,
        params,
      );
    });

    const becameProximo = (result?.became_proximo ?? []).map(Number);
    for (const ticketId of becameProximo) this.deps.events.emit('messages.due', { ticketId });
    const comeBackNotified = await notifyComeBacks(this.deps.db, estimates, now);
    for (const ticketId of comeBackNotified) this.deps.events.emit('messages.due', { ticketId });
    return { updated: result?.updated ?? 0, becameProximo, rescheduled: result?.rescheduled ?? 0, comeBackNotified };
  }
}
