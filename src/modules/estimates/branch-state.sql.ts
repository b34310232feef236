import { callOrderColumns, callOrderCtes } from '../tickets/call-order.sql.js';
import { WAITING } from '../tickets/queue.sql.js';

/*
 * The few set-based reads the estimator needs. Each takes an optional branch filter: the queue
 * job reads every branch at once, a kiosk request one branch. `?` placeholders as in Db.execute.
 */

const branchFilter = (alias: string, one: boolean): string => (one ? `and ${alias}.branch_office = ?` : '');

/**
 * Waiting tickets in call order per branch and queue (SPEC §12's preferential interleaving; a line
 * kept for one named advisor after the common one), with any "avísame" request.
 */
export const waitingSql = (one: boolean, preferentialEvery: number) => `with call_source as (
    select ${callOrderColumns('t')} from ticket t where t.status in ${WAITING} ${branchFilter('t', one)}
  ),
  ${callOrderCtes(preferentialEvery)}
  select o.id, o.pos, o.branch_office, o.queue_type, cb.lead_minutes, (cb.notified_at is not null) as notified
  from call_ordered o left join ticket_come_back cb on cb.ticket_id = o.id
  order by o.branch_office, o.queue_type, o.lane, o.pos`;

/**
 * How many wait in each queue of one branch: all a newcomer's promise depends on, since the replay
 * follows counts per queue (who ahead is called first changes nobody's time). The common lines and
 * the lines kept for named advisors apart, so each is counted from its partial index. Params: branch, branch.
 */
export const waitingCountsSql = `select q.queue_type, count(*)::int as n from (
    select t.queue_type from ticket t
    where t.branch_office = ? and t.status in ${WAITING} and t.reserved_advisor_id is null
    union all
    select t.queue_type from ticket t
    where t.branch_office = ? and t.status in ${WAITING} and t.reserved_advisor_id is not null
  ) q
  group by q.queue_type`;

/** Advisors, the customer each is serving and for how long, and today's plan (their branch's day). Params: now, now, now[, branch]. */
export const advisorsSql = (one: boolean) => `select a.id, a.branch_office, a.status, a.queue_types,
    t.queue_type as serving_queue,
    extract(epoch from (?::timestamp - t.assigned_at)) / 60 as minutes_in_service,
    extract(epoch from (?::timestamp - a.updated_at)) / 60 as minutes_in_status,
    p.shifts, p.breaks
  from advisor a
  left join ticket t on t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'
  left join branch ab on ab.name = a.branch_office
  left join advisor_plan p on p.advisor_id = a.id and p.plan_date = branch_local_date(ab.timezone, ?::timestamp)
  where true ${branchFilter('a', one)}`;

/**
 * Observed service minutes (their sum and sum of squares: mean and spread) per branch, queue and
 * branch-local hour of the call (each branch's own zone), over the recent weeks (completed customers only).
 * Params: since[, branch].
 */
export const serviceStatsSql = (one: boolean) => `select t.branch_office, t.queue_type,
    extract(hour from (t.assigned_at at time zone 'UTC') at time zone b.timezone)::int as hour,
    count(*)::int as n,
    sum(extract(epoch from t.completed_at - t.assigned_at) / 60)::float8 as minutes,
    sum((extract(epoch from t.completed_at - t.assigned_at) / 60) ^ 2)::float8 as squares
  from ticket t join branch b on b.name = t.branch_office
  where t.status = 'COMPLETADO' and t.completed_at >= ? ${branchFilter('t', one)}
  group by 1, 2, 3`;

/** Outcomes per branch and queue over the recent weeks: cancels and no-shows. Params: since[, branch]. */
export const outcomeStatsSql = (one: boolean) => `select t.branch_office, t.queue_type,
    count(*) filter (where t.status in ('COMPLETADO', 'NO_ATENDIDO', 'CANCELADO'))::int as finished,
    count(*) filter (where t.status = 'CANCELADO' and t.assigned_at is null)::int as cancelled,
    count(*) filter (where t.status in ('COMPLETADO', 'NO_ATENDIDO') and t.assigned_at is not null)::int as called,
    count(*) filter (where t.status = 'NO_ATENDIDO')::int as no_shows,
    avg(extract(epoch from t.completed_at - t.assigned_at) / 60) filter (where t.status = 'NO_ATENDIDO')::float8 as no_show_minutes
  from ticket t
  where t.created_at >= ? ${branchFilter('t', one)}
  group by 1, 2`;

/**
 * Arrivals per branch, queue and branch-local hour: on earlier days (for the profile of the
 * day) and today (today's pace), in each branch's own zone and day. Params: now, now, since[, branch].
 */
export const arrivalStatsSql = (one: boolean) => `select t.branch_office, t.queue_type,
    extract(hour from (t.created_at at time zone 'UTC') at time zone b.timezone)::int as hour,
    count(*) filter (where t.service_date < branch_local_date(b.timezone, ?::timestamp))::int as earlier,
    count(*) filter (where t.service_date = branch_local_date(b.timezone, ?::timestamp))::int as today
  from ticket t join branch b on b.name = t.branch_office
  where t.created_at >= ? ${branchFilter('t', one)}
  group by 1, 2, 3`;

/** Earlier service days seen per branch in the window, and today's first arrival. Params: now, now, since[, branch]. */
export const earlierDaysSql = (one: boolean) => `select t.branch_office,
    count(distinct t.service_date) filter (where t.service_date < branch_local_date(b.timezone, ?::timestamp))::int as days,
    min(t.created_at) filter (where t.service_date = branch_local_date(b.timezone, ?::timestamp)) as first_today
  from ticket t join branch b on b.name = t.branch_office
  where t.created_at >= ? ${branchFilter('t', one)}
  group by 1`;

/**
 * Everything a newcomer's promise reads live, in one round trip: the waiting count per queue (as
 * JSON, on every row) beside advisorsSql's rows — one row of nulls when the branch has no advisor.
 * The counts are the ones the database keeps per branch and queue (migration 20261205140000), equal
 * to waitingCountsSql's but one row each whatever the line's length. Params: branch, now, now, now, branch.
 */
export const newcomerStateSql = `with waiting as (
    select coalesce(json_object_agg(c.queue_type, c.waiting) filter (where c.waiting > 0), '{}'::json) as counts
    from ticket_waiting_count c where c.branch_office = ?
  )
  select w.counts, a.* from waiting w left join (${advisorsSql(true)}) a on true`;
