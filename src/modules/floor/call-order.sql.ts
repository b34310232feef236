import { WAITING } from '../tickets/queue.sql.js';

/*
 * Positions in the order tickets will really be called (SPEC §12), for every waiting ticket of a
 * source at once: the closed form of src/domain/call-order.ts in three window passes. Lines are
 * (branch, queue, lane): lane 0 is the queue's common line, lane N the tickets transferred to
 * advisor N only (called in arrival order). Used by the queue job and by every live read, so they agree.
 */

/** Columns of a waiting ticket as the call-order CTEs need them; `t` is the ticket alias. */
export const callOrderColumns = (t: string): string =>
  `${t}.id, ${t}.branch_office, ${t}.queue_type, coalesce(${t}.reserved_advisor_id, 0) as lane, ${t}.queued_at,
   (${t}.atencion_preferente is not null and ${t}.reserved_advisor_id is null) as pref`;

/**
 * CTEs `call_lined`, `call_keyed`, `call_ordered(id, branch_office, queue_type, lane, pref, pos)`
 * over a CTE named `call_source` with callOrderColumns. `every` is PREFERENTIAL_EVERY (an integer
 * from the validated config, inlined so the statement keeps its parameters).
 */
export function callOrderCtes(every: number): string {
  const e = Math.trunc(every);
  return `call_lined as (
    select s.*,
      (row_number() over (partition by s.branch_office, s.queue_type, s.lane, s.pref order by s.queued_at, s.id) - 1)::int as k,
      (count(*) filter (where not s.pref)
         over (partition by s.branch_office, s.queue_type, s.lane order by s.queued_at, s.id rows unbounded preceding))::int as older_normals
    from call_source s
  ),
  call_keyed as (
    select l.id, l.branch_office, l.queue_type, l.lane, l.pref, l.queued_at,
      case when l.pref then
        l.k * ${e} + least(
          greatest(0, ${e} - coalesce(q.normal_calls, 0)),
          min(l.older_normals - l.k * ${e}) over (
            partition by l.branch_office, l.queue_type, l.lane, l.pref order by l.queued_at, l.id rows unbounded preceding))
      else l.k end as call_key
    from call_lined l
    left join queue_call_state q on q.branch_office = l.branch_office and q.queue_type = l.queue_type and l.lane = 0
  ),
  call_ordered as (
    select c.id, c.branch_office, c.queue_type, c.lane, c.pref,
      row_number() over (partition by c.branch_office, c.queue_type, c.lane
                         order by c.call_key, c.pref desc, c.queued_at, c.id)::int as pos
    from call_keyed c
  )`;
}

/** The live position of one waiting ticket in its line; params: ticket id, ticket id. */
export function positionOfTicketSql(every: number): string {
  return `with target as (
      select branch_office, queue_type, coalesce(reserved_advisor_id, 0) as lane from ticket where id = ?
    ),
    call_source as (
      select ${callOrderColumns('w')} from ticket w, target x
      where w.branch_office = x.branch_office and w.queue_type = x.queue_type
        and coalesce(w.reserved_advisor_id, 0) = x.lane and w.status in ${WAITING}
    ),
    ${callOrderCtes(every)}
    select pos from call_ordered where id = ?`;
}
