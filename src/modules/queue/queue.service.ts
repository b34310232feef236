import type { Db } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../events.js';
import { queueMinutesSql, WAITING } from '../tickets/queue.sql.js';
import type { AssignmentService, Assignment } from './assignment.service.js';

export interface RecalculationResult {
  /** Waiting tickets whose position, estimate or status changed. */
  updated: number;
  /** Tickets that just became PROXIMO (their "near" message is now due). */
  becameProximo: number[];
  /** Unsent messages whose planned time moved with the estimate. */
  rescheduled: number;
}

export interface QueueTickResult extends RecalculationResult {
  assignments: Assignment[];
}

/**
 * The queue job's work, set-based: one statement recomputes every waiting ticket of every
 * branch (position by arrival within branch and queue, estimate from advisors online, PROXIMO
 * at or under the threshold, and arms "near" messages), one keeps unsent messages' planned time
 * at the current estimate; then free advisors get their next customers.
 */
export class QueueService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      events: EventBus;
      assignment: AssignmentService;
      proximoThreshold: number;
    },
  ) {}

  async tick(): Promise<QueueTickResult> {
    const recalculated = await this.recalculate();
    const assignments = await this.deps.assignment.assignAllBranches();
    return { ...recalculated, assignments };
  }

  async recalculate(): Promise<RecalculationResult> {
    const em = this.deps.db;
    const now = this.deps.clock.now();

    const [positions] = await em.execute<{ updated: number; became_proximo: string[] | null }[]>(
      `with online as (
         select a.branch_office, q.queue_type, count(*)::int as n
         from advisor a cross join lateral json_array_elements_text(a.queue_types) as q(queue_type)
         where a.status <> 'OFFLINE'
         group by a.branch_office, q.queue_type
       ),
       ranked as (
         select t.id, t.status as old_status, t.branch_office, t.queue_type,
                row_number() over (partition by t.branch_office, t.queue_type order by t.created_at, t.id)::int as pos
         from ticket t where t.status in ${WAITING}
       ),
       computed as (
         select r.id, r.old_status, r.pos,
                ceil(r.pos * ${queueMinutesSql('r')}::numeric / greatest(coalesce(o.n, 0), 1))::int as estimate,
                case when r.pos <= ? then 'PROXIMO' else r.old_status end as new_status
         from ranked r
         left join online o on o.branch_office = r.branch_office and o.queue_type = r.queue_type
       ),
       updated as (
         update ticket t
         set position_in_queue = c.pos, estimated_wait_minutes = c.estimate, status = c.new_status, updated_at = ?
         from computed c
         where t.id = c.id and t.status in ${WAITING}
           and (t.position_in_queue <> c.pos or t.estimated_wait_minutes <> c.estimate or t.status <> c.new_status)
         returning t.id, c.old_status, t.status
       ),
       armed as (
         update mensaje m set fecha_programada = ?
         from updated u
         where m.ticket_id = u.id and u.old_status = 'EN_ESPERA' and u.status = 'PROXIMO'
           and m.plantilla = 'TOTEM_PROXIMO_TURNO' and m.estado_envio = 'PENDIENTE'
         returning m.ticket_id
       )
       select (select count(*) from updated)::int as updated,
              (select array_agg(id) from updated where old_status = 'EN_ESPERA' and status = 'PROXIMO') as became_proximo,
              (select count(*) from armed)::int as armed`,
      [this.deps.proximoThreshold, now, now],
    );

    // Planned times follow the estimate; rows move only when the change is a minute or more.
    const [rescheduled] = await em.execute<{ count: number }[]>(
      `with moved as (
       update mensaje m
       set fecha_programada = ?::timestamp + make_interval(mins => t.estimated_wait_minutes)
       from ticket t
       where t.id = m.ticket_id and m.estado_envio = 'PENDIENTE'
         and ((m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status = 'EN_ESPERA')
           or (m.plantilla = 'TOTEM_ES_TU_TURNO' and t.status in ${WAITING}))
         and abs(extract(epoch from m.fecha_programada - (?::timestamp + make_interval(mins => t.estimated_wait_minutes)))) >= 60
       returning 1)
       select count(*)::int as count from moved`,
      [now, now],
    );

    const becameProximo = (positions?.became_proximo ?? []).map(Number);
    for (const ticketId of becameProximo) this.deps.events.emit('messages.due', { ticketId });
    return { updated: positions?.updated ?? 0, becameProximo, rescheduled: rescheduled?.count ?? 0 };
  }
}
