import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import type { Logger } from '../../logger.js';

/** Minute buckets of the wait histogram: 0..120 one minute each, then one for everything beyond. */
export const WAIT_BUCKETS = 122;
/** Rollups are kept this long (SPEC §20): they outlive the 90-day ticket retention. */
export const ROLLUP_RETENTION_YEARS = 3;

export interface RollupResult extends Record<string, unknown> {
  date: string;
  branches: number;
  rows: number;
  advisorRows: number;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A day whose tickets are gone cannot be recomputed without erasing its history. */
export class RollupRefusedError extends Error {
  constructor(readonly date: string) {
    super(`el día ${date} ya no tiene tickets (pasó su retención): recalcularlo borraría su historia; use --force para hacerlo igual`);
    this.name = 'RollupRefusedError';
  }
}

/*
 * The day's tickets of the chosen branches, each with its branch id, the 30-minute period of the
 * branch's local day it arrived in, the queue it arrived in (its first visit's, else its own: a
 * transfer changes ticket.queue_type), its wait (first call − created_at) and service time
 * (completed_at − service_started_at, or − assigned_at, SPEC §12) in seconds.
 */
const TICKETS = `
  b as (
    select id, name, timezone from branch where (?::bigint[] is null or id = any(?::bigint[]))
  ),
  t as (
    select b.id as branch_id, t.id, t.status, t.queue_type, t.assigned_at, t.assigned_advisor_id, t.rating,
      (extract(hour from l.at)::int * 2 + (extract(minute from l.at)::int / 30)) as period,
      coalesce((select v.queue_type from ticket_visit v where v.ticket_id = t.id order by v.called_at, v.id limit 1), t.queue_type) as first_queue,
      case when t.assigned_at is not null then greatest(0, extract(epoch from t.assigned_at - t.created_at)) end as wait_s,
      case when t.status = 'COMPLETADO' and t.completed_at is not null and coalesce(t.service_started_at, t.assigned_at) is not null
        then greatest(0, extract(epoch from t.completed_at - coalesce(t.service_started_at, t.assigned_at))) end as service_s
    from b
    join ticket t on t.branch_office = b.name and t.service_date = ?::date
    cross join lateral (select (t.created_at at time zone 'UTC') at time zone b.timezone as at) l
  )`;

const INSERT_ROLLUP = `
  with ${TICKETS},
  facts as (
    select branch_id, first_queue as queue_type, period,
      1 as arrived, 0 as served,
      (status = 'NO_ATENDIDO' and assigned_at is not null)::int as no_show,
      (status = 'CANCELADO' and assigned_at is null)::int as cancelled,
      ((status = 'CANCELADO' and assigned_at is not null) or (status = 'NO_ATENDIDO' and assigned_at is null))::int as walkout,
      0 as transferred,
      (assigned_at is not null)::int as called,
      (assigned_at is not null and wait_s <= ?::int * 60)::int as within_sla,
      wait_s, case when wait_s is not null then least(${WAIT_BUCKETS - 1}, floor(wait_s / 60))::int end as bucket,
      null::numeric as service_s, null::int as rating
    from t
    union all
    select branch_id, queue_type, period, 0, 1, 0, 0, 0, 0, 0, 0, null, null, service_s, rating
    from t where status = 'COMPLETADO'
    union all
    select t.branch_id, v.queue_type, t.period, 0, 0, 0, 0, 0, 1, 0, 0, null, null, null, null
    from t join ticket_visit v on v.ticket_id = t.id and v.outcome = 'TRANSFERIDO'
  ),
  hist as (
    select branch_id, queue_type, period, bucket, count(*)::int as n
    from facts where bucket is not null group by 1, 2, 3, 4
  ),
  -- Each row's non-empty buckets made dense by report_hist_dense (migration 20261207150000): joining
  -- every row with all 122 buckets was most of a busy day's rollup.
  harr as (
    select branch_id, queue_type, period, report_hist_dense(array_agg(bucket), array_agg(n), ${WAIT_BUCKETS}) as wait_hist
    from hist group by 1, 2, 3
  ),
  agg as (
    select branch_id, queue_type, period,
      sum(arrived)::int as arrived, sum(served)::int as served, sum(no_show)::int as no_shows,
      sum(cancelled)::int as cancelled, sum(walkout)::int as walkouts, sum(transferred)::int as transferred,
      sum(called)::int as called, sum(within_sla)::int as called_within_sla,
      coalesce(round(sum(wait_s)), 0)::bigint as wait_sum_seconds,
      count(service_s)::int as service_count, coalesce(round(sum(round(service_s))), 0)::bigint as service_sum_seconds,
      coalesce(sum(round(service_s) ^ 2), 0)::double precision as service_sum_sq_seconds,
      count(rating)::int as rating_count, coalesce(sum(rating), 0)::int as rating_sum
    from facts group by 1, 2, 3
  ),
  ins as (insert into report_rollup (branch_id, service_date, queue_type, period, arrived, served, no_shows, cancelled, walkouts,
    transferred, called, called_within_sla, wait_sum_seconds, wait_hist, service_count, service_sum_seconds,
    service_sum_sq_seconds, rating_count, rating_sum, updated_at)
  select a.branch_id, ?::date, a.queue_type, a.period, a.arrived, a.served, a.no_shows, a.cancelled, a.walkouts,
    a.transferred, a.called, a.called_within_sla, a.wait_sum_seconds, coalesce(w.wait_hist, array_fill(0, array[${WAIT_BUCKETS}])),
    a.service_count, a.service_sum_seconds, a.service_sum_sq_seconds, a.rating_count, a.rating_sum, ?::timestamp
  from agg a left join harr w on w.branch_id = a.branch_id and w.queue_type = a.queue_type and w.period = a.period returning 1)
  select count(*)::int as n from ins`;

/*
 * Per advisor: the customers they finished (in the period the customer arrived) and their
 * minutes in each floor state, each status period clipped to the 30-minute periods of the
 * branch's local day (an open period counts up to now). The advisor's branch is their current one.
 */
const INSERT_ADVISOR_ROLLUP = `
  with ${TICKETS},
  served as (
    select branch_id, period, assigned_advisor_id as advisor_id, count(*)::int as served,
      count(service_s)::int as service_count, coalesce(round(sum(round(service_s))), 0)::bigint as service_sum_seconds,
      count(rating)::int as rating_count, coalesce(sum(rating), 0)::int as rating_sum
    from t where status = 'COMPLETADO' and assigned_advisor_id is not null
    group by 1, 2, 3
  ),
  grid as (
    select b.id as branch_id, b.name, g as period,
      (((?::date + g * interval '30 minutes') at time zone b.timezone) at time zone 'UTC') as p_start,
      (((?::date + (g + 1) * interval '30 minutes') at time zone b.timezone) at time zone 'UTC') as p_end
    from b cross join generate_series(0, 47) g
  ),
  bounds as (
    select branch_id, name, min(p_start) as day_start, max(p_end) as day_end from grid group by 1, 2
  ),
  spans as (
    select d.branch_id, s.advisor_id, s.status, s.started_at, coalesce(s.ended_at, ?::timestamp) as ended_at
    from bounds d
    join advisor a on a.branch_office = d.name
    join advisor_status_period s on s.advisor_id = a.id
      and s.started_at < d.day_end and coalesce(s.ended_at, ?::timestamp) > d.day_start
    where s.status in ('AVAILABLE', 'CALLING', 'SERVING', 'PAUSED')
  ),
  minutes as (
    select g.branch_id, g.period, s.advisor_id,
      sum(x.secs) filter (where s.status = 'AVAILABLE')::int as available_seconds,
      sum(x.secs) filter (where s.status = 'CALLING')::int as calling_seconds,
      sum(x.secs) filter (where s.status = 'SERVING')::int as serving_seconds,
      sum(x.secs) filter (where s.status = 'PAUSED')::int as paused_seconds
    from spans s
    join grid g on g.branch_id = s.branch_id and s.started_at < g.p_end and s.ended_at > g.p_start
    cross join lateral (select round(extract(epoch from least(s.ended_at, g.p_end) - greatest(s.started_at, g.p_start))) as secs) x
    where x.secs > 0
    group by 1, 2, 3
  ),
  ins as (insert into report_advisor_rollup (branch_id, service_date, period, advisor_id, served, service_count,
    service_sum_seconds, rating_count, rating_sum, available_seconds, calling_seconds, serving_seconds, paused_seconds, updated_at)
  select coalesce(s.branch_id, m.branch_id), ?::date, coalesce(s.period, m.period), coalesce(s.advisor_id, m.advisor_id),
    coalesce(s.served, 0), coalesce(s.service_count, 0), coalesce(s.service_sum_seconds, 0),
    coalesce(s.rating_count, 0), coalesce(s.rating_sum, 0),
    coalesce(m.available_seconds, 0), coalesce(m.calling_seconds, 0), coalesce(m.serving_seconds, 0), coalesce(m.paused_seconds, 0),
    ?::timestamp
  from served s
  full join minutes m on m.branch_id = s.branch_id and m.period = s.period and m.advisor_id = s.advisor_id
  returning 1)
  select count(*)::int as n from ins`;

/** The day's rows of the chosen branches summed per branch (written after the two above). */
const INSERT_DAILY = `
  with h as (
    -- Each branch's buckets summed over its rows in one pass (a subquery per branch was planned on the
    -- date index alone before the fresh rows were analysed: 34 million row visits on a busy day).
    select s.branch_id, report_hist_dense(array_agg(s.i), array_agg(s.n), ${WAIT_BUCKETS}) as h
    from (
      select x.branch_id, (u.i - 1)::int as i, sum(u.v)::int as n
      from report_rollup x cross join lateral unnest(x.wait_hist) with ordinality u(v, i)
      where x.service_date = ?::date and (?::bigint[] is null or x.branch_id = any(?::bigint[])) and u.v > 0
      group by 1, 2
    ) s
    group by 1
  ),
  r as (
    select branch_id, sum(arrived)::int as arrived, sum(served)::int as served, sum(no_shows)::int as no_shows,
      sum(cancelled)::int as cancelled, sum(walkouts)::int as walkouts, sum(transferred)::int as transferred,
      sum(called)::int as called, sum(called_within_sla)::int as called_within_sla, sum(wait_sum_seconds)::bigint as wait_sum_seconds,
      sum(service_count)::int as service_count, sum(service_sum_seconds)::bigint as service_sum_seconds,
      sum(service_sum_sq_seconds) as service_sum_sq_seconds, sum(rating_count)::int as rating_count, sum(rating_sum)::int as rating_sum
    from report_rollup q where service_date = ?::date and (?::bigint[] is null or branch_id = any(?::bigint[]))
    group by branch_id
  ),
  a as (
    select branch_id, sum(available_seconds)::bigint as available_seconds, sum(calling_seconds)::bigint as calling_seconds,
      sum(serving_seconds)::bigint as serving_seconds, sum(paused_seconds)::bigint as paused_seconds
    from report_advisor_rollup where service_date = ?::date and (?::bigint[] is null or branch_id = any(?::bigint[]))
    group by branch_id
  ),
  ins as (
    insert into report_daily_rollup (branch_id, service_date, arrived, served, no_shows, cancelled, walkouts, transferred, called,
      called_within_sla, wait_sum_seconds, wait_hist, service_count, service_sum_seconds, service_sum_sq_seconds, rating_count,
      rating_sum, available_seconds, calling_seconds, serving_seconds, paused_seconds, updated_at)
    select coalesce(r.branch_id, a.branch_id), ?::date, coalesce(r.arrived, 0), coalesce(r.served, 0), coalesce(r.no_shows, 0),
      coalesce(r.cancelled, 0), coalesce(r.walkouts, 0), coalesce(r.transferred, 0), coalesce(r.called, 0),
      coalesce(r.called_within_sla, 0), coalesce(r.wait_sum_seconds, 0), coalesce(h.h, array_fill(0, array[${WAIT_BUCKETS}])),
      coalesce(r.service_count, 0), coalesce(r.service_sum_seconds, 0), coalesce(r.service_sum_sq_seconds, 0),
      coalesce(r.rating_count, 0), coalesce(r.rating_sum, 0), coalesce(a.available_seconds, 0), coalesce(a.calling_seconds, 0),
      coalesce(a.serving_seconds, 0), coalesce(a.paused_seconds, 0), ?::timestamp
    from r full join a on a.branch_id = r.branch_id
    left join h on h.branch_id = coalesce(r.branch_id, a.branch_id)
    returning 1
  )
  select count(*)::int as n from ins`;

/**
 * The one owner of the report rollups (SPEC §20). A day (of one branch, some, or all) is
 * recomputed from its tickets and status periods: its rows are deleted and written again in one
 * transaction, so running it twice gives the same rows and a reader sees the old day or the new
 * one, never half. Recomputing a day whose tickets are gone (past the 90-day retention) would
 * erase it, so a day is only recomputed while it still has tickets, unless `force`.
 */
export class RollupService {
  constructor(private readonly deps: { db: Db; clock: Clock; logger?: Logger; slaMinutes: number }) {}

  /**
   * Recomputes one service day (YYYY-MM-DD, each branch's own) for the given branches (all when
   * omitted). Refused (RollupRefusedError) when the day has rollups but no tickets left, unless
   * `force`: the tickets are gone past their retention and recomputing would erase the history.
   */
  async recomputeDay(date: string, branchIds?: readonly number[], options: { force?: boolean } = {}): Promise<RollupResult> {
    if (!DATE.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`))) throw new Error(`fecha inválida: ${date}`);
    const ids = branchIds ? branchIds.map(Number) : null;
    const now = this.deps.clock.now();
    return this.deps.db.transactional(async (tx) => {
      // One recomputation of a day at a time (the job and the CLI may meet).
      await tx.execute(`select pg_advisory_xact_lock(hashtext('ticketero:rollup'), hashtext(?))`, [date]);
      const scope = ids ? ' and branch_id = any(?::bigint[])' : '';
      const scopeParams = ids ? [date, ids] : [date];
      if (!options.force) {
        const [state] = await tx.execute<{ tickets: boolean; rollups: boolean }[]>(
          `select exists (select 1 from ticket t join branch b on b.name = t.branch_office
                          where t.service_date = ?::date and (?::bigint[] is null or b.id = any(?::bigint[]))) as tickets,
                  exists (select 1 from report_rollup where service_date = ?::date${scope}) as rollups`,
          [date, ids, ids, ...scopeParams],
        );
        if (state && !state.tickets && state.rollups) throw new RollupRefusedError(date);
      }
      await tx.execute(`delete from report_rollup where service_date = ?::date${scope}`, scopeParams);
      await tx.execute(`delete from report_advisor_rollup where service_date = ?::date${scope}`, scopeParams);
      await tx.execute(`delete from report_daily_rollup where service_date = ?::date${scope}`, scopeParams);
      const rows = await this.count(tx, INSERT_ROLLUP, [ids, ids, date, this.deps.slaMinutes, date, now]);
      const advisorRows = await this.count(tx, INSERT_ADVISOR_ROLLUP, [ids, ids, date, date, date, now, now, date, now]);
      await this.count(tx, INSERT_DAILY, [date, ids, ids, date, ids, ids, date, ids, ids, date, now]);
      const [branches] = await tx.execute<{ n: number }[]>(
        `select count(*)::int as n from branch where (?::bigint[] is null or id = any(?::bigint[]))`,
        [ids, ids],
      );
      return { date, branches: branches?.n ?? 0, rows, advisorRows };
    });
  }

  /**
   * Brings each branch's today (in its own zone) up to date, and its yesterday too: the change of
   * day closes yesterday's last tickets after the previous refresh saw them.
   */
  async refreshToday(): Promise<{ days: RollupResult[] }> {
    const now = this.deps.clock.now();
    const groups = await this.deps.db.execute<{ day: string; ids: string[] }[]>(
      `select to_char(day, 'YYYY-MM-DD') as day, array_agg(b.id order by b.id)::text[] as ids
       from branch_days(?::timestamp) d join branch b on b.name = d.branch_office
       cross join lateral (values (d.service_date), (d.service_date - 1)) v(day)
       group by day order by day`,
      [now],
    );
    const days: RollupResult[] = [];
    for (const group of groups) days.push(await this.recomputeDay(group.day, group.ids.map(Number)));
    return { days };
  }

  /** Rollups older than three years go (the daily maintenance). */
  async purgeOld(): Promise<number> {
    const now = this.deps.clock.now();
    const cutoff = `(?::timestamp - interval '${ROLLUP_RETENTION_YEARS} years')::date`;
    const rows = await this.count(this.deps.db, `with gone as (delete from report_rollup where service_date < ${cutoff} returning 1) select count(*)::int as n from gone`, [now]);
    const advisors = await this.count(this.deps.db, `with gone as (delete from report_advisor_rollup where service_date < ${cutoff} returning 1) select count(*)::int as n from gone`, [now]);
    const daily = await this.count(this.deps.db, `with gone as (delete from report_daily_rollup where service_date < ${cutoff} returning 1) select count(*)::int as n from gone`, [now]);
    return rows + advisors + daily;
  }

  private async count(q: Queryable, sql: string, params: unknown[]): Promise<number> {
    const [row] = await q.execute<{ n: number }[]>(sql, params);
    return row?.n ?? 0;
  }
}
