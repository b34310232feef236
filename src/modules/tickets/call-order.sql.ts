import { WAITING } from './queue.sql.js';

/*
 * Positions in the order tickets will really be called (SPEC §12), for every waiting ticket of a
 * source at once: the closed form of src/domain/call-order.ts. Lines are (branch, queue, lane):
 * lane 0 is the queue's common line, lane N the tickets transferred to advisor N only (called in
 * arrival order). One sort by arrival gives every line's counts; only lines that hold a
 * preferential ticket need a second sort by call order (a line without one is in arrival order).
 * Used by the queue job and by every live read, so they agree.
 */

/** Columns of a waiting ticket as the call-order CTEs need them; `t` is the ticket alias. */
export const callOrderColumns = (t: string): string =>
  `${t}.id, ${t}.branch_office, ${t}.queue_type, coalesce(${t}.reserved_advisor_id, 0) as lane, ${t}.queued_at,
   (${t}.atencion_preferente is not null and ${t}.reserved_advisor_id is null) as pref`;

/**
 * CTEs ending in `call_ordered` (every column of `call_source`, plus `pos`) over a CTE named
 * `call_source` that has callOrderColumns (and whatever else the caller carries along). `every` is
 * PREFERENTIAL_EVERY (an integer from the validated config, inlined so the statement keeps its
 * parameters). For the j-th preferential ticket (0-based) of a line, after a_j normal ones:
 * n_j = j·every + min(b, min over k ≤ j of (a_k − k·every)), b = max(0, every − normal calls so far);
 * call order sorts normal tickets by their index and preferential ones by n_j, preferential first.
 */
export function callOrderCtes(every: number): string {
  const e = Math.trunc(every);
  const line = 'partition by s.branch_office, s.queue_type, s.lane';
  return `call_counted as (
    select s.*,
      (count(*) filter (where not s.pref) over w)::int as normals_upto,
      (count(*) filter (where s.pref) over w)::int as prefs_upto,
      (count(*) filter (where s.pref) over (${line}))::int as prefs_in_line
    from call_source s
    window w as (${line} order by s.queued_at, s.id rows unbounded preceding)
  ),
  call_keyed as materialized (
    select s.*,
      min(case when s.pref then s.normals_upto - (s.prefs_upto - 1) * ${e} end)
        over (${line} order by s.queued_at, s.id rows unbounded preceding) as jump_min
    from call_counted s
  ),
  call_ordered as (
    select k.*, k.normals_upto as pos from call_keyed k where k.prefs_in_line = 0
    union all
    select k.*, (row_number() over (
        partition by k.branch_office, k.queue_type, k.lane
        order by case when k.pref
                   then (k.prefs_upto - 1) * ${e} + least(greatest(0, ${e} - coalesce(q.normal_calls, 0)), k.jump_min)
                   else k.normals_upto - 1 end,
                 k.pref desc, k.queued_at, k.id))::int
    from call_keyed k
    left join queue_call_state q on q.branch_office = k.branch_office and q.queue_type = k.queue_type and k.lane = 0
    where k.prefs_in_line > 0
  )`;
}

/**
 * The live position of one waiting ticket in its line; params: ticket id, ticket id. `reserved`:
 * the ticket waits for a named advisor (lane N) rather than in its queue's common line.
 */
export function positionOfTicketSql(every: number, reserved = false): string {
  return `with target as (
      select branch_office, queue_type, reserved_advisor_id from ticket where id = ?
    ),
    call_source as (
      select ${callOrderColumns('w')} from ticket w, target x
      where w.branch_office = x.branch_office and w.queue_type = x.queue_type and w.status in ${WAITING}
        and ${reserved ? 'w.reserved_advisor_id = x.reserved_advisor_id' : 'w.reserved_advisor_id is null'}
    ),
    ${callOrderCtes(every)}
    select pos from call_ordered where id = ?`;
}
