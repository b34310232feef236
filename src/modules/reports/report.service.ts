import type { Db } from '../../db/sql.js';
import { parseCalendarDate } from '../../domain/input-dates.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { ValidationError } from '../../errors.js';
import { WAIT_BUCKETS } from './rollup.service.js';

/**
 * SPEC §20's groupings, plus `weekdayHour` (key `1-09:00`, ISO weekday and hour of the branch's day):
 * the arrivals heatmap of the reports page.
 */
export const GROUP_BYS = ['day', 'week', 'month', 'weekday', 'hour', 'weekdayHour'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];
export const METRICS = ['service_level', 'wait_p90', 'no_show'] as const;
export type Metric = (typeof METRICS)[number];
/** The longest range a report answers: the rollups' own three years (plus a leap day). */
export const MAX_RANGE_DAYS = 3 * 366;

export interface ReportGroup {
  key: string;
  arrived: number | null;
  served: number | null;
  servedPct: number | null;
  noShowPct: number | null;
  abandonmentPct: number | null;
  waitMean: number | null;
  waitP50: number | null;
  waitP90: number | null;
  serviceLevelPct: number | null;
  serviceMean: number | null;
  perAdvisorHour: number | null;
  utilisationPct: number | null;
  ratingMean: number | null;
  /** Only with by=advisor: the advisor's name (null when the advisor no longer exists). */
  advisorName?: string | null;
}

export interface BranchReport {
  branch: string;
  from: string;
  to: string;
  groupBy: GroupBy | 'advisor' | 'period';
  groups: ReportGroup[];
  /** The whole range as one group (key `total`), from the summed rows: exact percentiles, not averaged. */
  total?: ReportGroup | null;
}

export interface NationalReport {
  metric: Metric;
  from: string;
  to: string;
  national: { volume: number; value: number | null };
  branches: Array<{
    code: string;
    name: string;
    region: string | null;
    volume: number;
    value: number | null;
    limits: { p95: [number, number] | null; p998: [number, number] | null };
  }>;
}

/** Sums as the SQL gives them (bigints and numerics come back as text). */
interface Sums {
  key: string;
  arrived: string | number;
  served: string | number;
  no_shows: string | number;
  cancelled: string | number;
  walkouts: string | number;
  called: string | number;
  called_within_sla: string | number;
  wait_sum_seconds: string | number;
  service_count: string | number;
  service_sum_seconds: string | number;
  rating_count: string | number;
  rating_sum: string | number;
  available_seconds: string | number | null;
  calling_seconds: string | number | null;
  serving_seconds: string | number | null;
  paused_seconds: string | number | null;
  hist: Array<string | number>;
}

const n = (v: string | number | null | undefined): number => (v === null || v === undefined ? 0 : Number(v));
const round2 = (v: number): number => Math.round(v * 100) / 100;
const share = (part: number, whole: number): number | null => (whole > 0 ? round2((100 * part) / whole) : null);
const ratio = (part: number, whole: number): number | null => (whole > 0 ? round2(part / whole) : null);

/** Nearest rank over the summed minute buckets: the smallest bucket whose cumulative count reaches p·N. */
export function percentileFromHistogram(hist: readonly number[], p: number): number | null {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let cumulative = 0;
  for (let i = 0; i < hist.length; i++) {
    cumulative += hist[i]!;
    if (cumulative >= rank) return i;
  }
  return hist.length - 1;
}

/**
 * Spiegelhalter's funnel-plot limits (2005) around a national proportion `p` (0..1) at volume
 * `n`: p ± z·sqrt(p(1−p)/n), clamped to [0, 1].
 */
export function funnelLimits(p: number, volume: number, z: number): [number, number] | null {
  if (volume <= 0) return null;
  const half = z * Math.sqrt((p * (1 - p)) / volume);
  return [Math.max(0, p - half), Math.min(1, p + half)];
}
export const Z95 = 1.959964;
export const Z998 = 3.090232;

/** The histogram-sum columns: `sum(wait_hist[1]), …` — one pass, no unnest. */
const HIST_SUMS = `array[${Array.from({ length: WAIT_BUCKETS }, (_, i) => `coalesce(sum(r.wait_hist[${i + 1}]), 0)`).join(', ')}]::bigint[] as hist`;

const TICKET_SUMS = `coalesce(sum(r.arrived), 0) as arrived, coalesce(sum(r.served), 0) as served, coalesce(sum(r.no_shows), 0) as no_shows,
  coalesce(sum(r.cancelled), 0) as cancelled, coalesce(sum(r.walkouts), 0) as walkouts, coalesce(sum(r.called), 0) as called,
  coalesce(sum(r.called_within_sla), 0) as called_within_sla, coalesce(sum(r.wait_sum_seconds), 0) as wait_sum_seconds,
  coalesce(sum(r.service_count), 0) as service_count, coalesce(sum(r.service_sum_seconds), 0) as service_sum_seconds,
  coalesce(sum(r.rating_count), 0) as rating_count, coalesce(sum(r.rating_sum), 0) as rating_sum, ${HIST_SUMS}`;

const DAY_KEYS: Record<Exclude<GroupBy, 'hour' | 'weekdayHour'>, string> = {
  day: `to_char(r.service_date, 'YYYY-MM-DD')`,
  week: `to_char(r.service_date, 'IYYY-"W"IW')`,
  month: `to_char(r.service_date, 'YYYY-MM')`,
  weekday: `extract(isodow from r.service_date)::int::text`,
};

export function figures(s: Sums, withAdvisorMinutes: boolean): ReportGroup {
  const arrived = n(s.arrived);
  const served = n(s.served);
  const called = n(s.called);
  const hist = s.hist.map(Number);
  const logged = n(s.available_seconds) + n(s.calling_seconds) + n(s.serving_seconds) + n(s.paused_seconds);
  const serving = n(s.serving_seconds);
  return {
    key: s.key,
    arrived,
    served,
    servedPct: share(served, arrived),
    noShowPct: share(n(s.no_shows), arrived),
    abandonmentPct: share(n(s.cancelled) + n(s.walkouts), arrived),
    waitMean: called > 0 ? round2(n(s.wait_sum_seconds) / called / 60) : null,
    waitP50: percentileFromHistogram(hist, 0.5),
    waitP90: percentileFromHistogram(hist, 0.9),
    serviceLevelPct: share(n(s.called_within_sla), called),
    serviceMean: n(s.service_count) > 0 ? round2(n(s.service_sum_seconds) / n(s.service_count) / 60) : null,
    perAdvisorHour: withAdvisorMinutes ? ratio(served, logged / 3600) : null,
    utilisationPct: withAdvisorMinutes ? share(serving, serving + n(s.available_seconds)) : null,
    ratingMean: n(s.rating_count) > 0 ? round2(n(s.rating_sum) / n(s.rating_count)) : null,
  };
}

export interface BranchQuery {
  branch?: string;
  from?: string;
  to?: string;
  groupBy?: string;
  queue?: string;
  by?: string;
}

interface Resolved {
  id: number;
  code: string;
  name: string;
}

/**
 * The reports of SPEC §20, read from the rollups only (never from tickets: a day past the ticket
 * retention answers the same). Percentiles come from summed histograms, totals from summed counts.
 */
export class ReportService {
  constructor(private readonly deps: { db: Db }) {}

  /** A branch by its code or its name; 400 naming `branch` when there is none. */
  async resolveBranch(value: string | undefined): Promise<Resolved> {
    const text = value?.trim() ?? '';
    if (!text) throw new ValidationError({ branch: 'Falta la sucursal (su código)' });
    const [row] = await this.deps.db.execute<{ id: string; code: string; name: string }[]>(
      'select id, code, name from branch where code = upper(?) or name = ? order by (code = upper(?)) desc limit 1',
      [text, text, text],
    );
    if (!row) throw new ValidationError({ branch: `No existe la sucursal ${text}` });
    return { id: Number(row.id), code: row.code, name: row.name };
  }

  parseRange(from: string | undefined, to: string | undefined): { from: string; to: string } {
    const errors: Record<string, string> = {};
    const f = from ? parseCalendarDate(from) : null;
    const t = to ? parseCalendarDate(to) : null;
    if (!f) errors.from = 'Debe ser una fecha AAAA-MM-DD real';
    if (!t) errors.to = 'Debe ser una fecha AAAA-MM-DD real';
    if (f && t) {
      const days = (Date.parse(`${t}T00:00:00Z`) - Date.parse(`${f}T00:00:00Z`)) / 86_400_000;
      if (days < 0) errors.to = 'Debe ser igual o posterior a from';
      else if (days + 1 > MAX_RANGE_DAYS) errors.to = `El rango no puede pasar de ${MAX_RANGE_DAYS} días (los informes guardan 3 años)`;
    }
    if (Object.keys(errors).length) throw new ValidationError(errors);
    return { from: f!, to: t! };
  }

  /** Checks the query of the branch report (400 naming each bad field) and resolves the branch. */
  async parseBranchQuery(q: BranchQuery): Promise<{ branch: Resolved; from: string; to: string; groupBy: GroupBy; queue: QueueType | null; byAdvisor: boolean }> {
    const errors: Record<string, string> = {};
    const groupBy = (q.groupBy ?? 'day') as GroupBy;
    if (!(GROUP_BYS as readonly string[]).includes(groupBy)) errors.groupBy = `Debe ser uno de ${GROUP_BYS.join(', ')}`;
    if (q.queue !== undefined && !(QUEUE_TYPES as readonly string[]).includes(q.queue)) errors.queue = `Debe ser una de ${QUEUE_TYPES.join(', ')}`;
    if (q.by !== undefined && q.by !== 'advisor') errors.by = 'Solo se acepta by=advisor';
    let range: { from: string; to: string } | null = null;
    try {
      range = this.parseRange(q.from, q.to);
    } catch (error) {
      if (error instanceof ValidationError) Object.assign(errors, error.campos);
      else throw error;
    }
    let branch: Resolved | null = null;
    try {
      branch = await this.resolveBranch(q.branch);
    } catch (error) {
      if (error instanceof ValidationError) Object.assign(errors, error.campos);
      else throw error;
    }
    if (Object.keys(errors).length) throw new ValidationError(errors);
    return { branch: branch!, ...range!, groupBy, queue: (q.queue as QueueType | undefined) ?? null, byAdvisor: q.by === 'advisor' };
  }

  async branchReport(q: BranchQuery): Promise<BranchReport> {
    const { branch, from, to, groupBy, queue, byAdvisor } = await this.parseBranchQuery(q);
    if (byAdvisor) return { branch: branch.code, from, to, groupBy: 'advisor', groups: await this.byAdvisor(branch, from, to) };
    let rows: Sums[];
    // Days, weeks, months and weekdays read the daily rows; a queue or hours need the period rows.
    const hour = `lpad((r.period / 2)::text, 2, '0') || ':00'`;
    if (groupBy !== 'hour' && groupBy !== 'weekdayHour' && queue === null) {
      rows = await this.dailySums(DAY_KEYS[groupBy], branch.id, from, to);
    } else {
      const key = groupBy === 'hour' ? hour : groupBy === 'weekdayHour' ? `extract(isodow from r.service_date)::int::text || '-' || ${hour}` : DAY_KEYS[groupBy];
      rows = await this.periodSums(key, key, branch.id, from, to, queue);
    }
    // The range as one group, from the same rows (summed buckets: its percentiles are exact).
    const [total] = queue === null ? await this.dailySums(`'total'`, branch.id, from, to) : await this.periodSums(`'total'`, `'total'`, branch.id, from, to, queue);
    return {
      branch: branch.code,
      from,
      to,
      groupBy,
      groups: rows.map((r) => figures(r, queue === null)),
      total: total ? figures(total, queue === null) : null,
    };
  }

  private dailySums(key: string, branchId: number, from: string, to: string): Promise<Sums[]> {
    return this.deps.db.execute<Sums[]>(
      `select ${key} as key, ${TICKET_SUMS}, sum(r.available_seconds) as available_seconds, sum(r.calling_seconds) as calling_seconds,
         sum(r.serving_seconds) as serving_seconds, sum(r.paused_seconds) as paused_seconds
       from report_daily_rollup r where r.branch_id = ? and r.service_date between ?::date and ?::date
       group by 1 order by 1`,
      [branchId, from, to],
    );
  }

  async intraday(q: { branch?: string; date?: string }): Promise<BranchReport> {
    const errors: Record<string, string> = {};
    const date = q.date ? parseCalendarDate(q.date) : null;
    if (!date) errors.date = 'Debe ser una fecha AAAA-MM-DD real';
    let branch: Resolved | null = null;
    try {
      branch = await this.resolveBranch(q.branch);
    } catch (error) {
      if (error instanceof ValidationError) Object.assign(errors, error.campos);
      else throw error;
    }
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const key = `lpad((r.period / 2)::text, 2, '0') || ':' || case when r.period % 2 = 0 then '00' else '30' end`;
    const rows = await this.periodSums(key, key, branch!.id, date!, date!, null);
    return { branch: branch!.code, from: date!, to: date!, groupBy: 'period', groups: rows.map((r) => figures(r, true)) };
  }

  private periodSums(key: string, advisorKey: string, branchId: number, from: string, to: string, queue: QueueType | null): Promise<Sums[]> {
    return this.deps.db.execute<Sums[]>(
      `with t as (
         select ${key} as key, ${TICKET_SUMS}
         from report_rollup r where r.branch_id = ? and r.service_date between ?::date and ?::date and (?::text is null or r.queue_type = ?)
         group by 1
       ),
       a as (
         select ${advisorKey} as key, sum(r.available_seconds) as available_seconds, sum(r.calling_seconds) as calling_seconds,
           sum(r.serving_seconds) as serving_seconds, sum(r.paused_seconds) as paused_seconds
         from report_advisor_rollup r where r.branch_id = ? and r.service_date between ?::date and ?::date
         group by 1
       )
       select coalesce(t.key, a.key) as key, coalesce(t.arrived, 0) as arrived, coalesce(t.served, 0) as served,
         coalesce(t.no_shows, 0) as no_shows, coalesce(t.cancelled, 0) as cancelled, coalesce(t.walkouts, 0) as walkouts,
         coalesce(t.called, 0) as called, coalesce(t.called_within_sla, 0) as called_within_sla,
         coalesce(t.wait_sum_seconds, 0) as wait_sum_seconds, coalesce(t.service_count, 0) as service_count,
         coalesce(t.service_sum_seconds, 0) as service_sum_seconds, coalesce(t.rating_count, 0) as rating_count,
         coalesce(t.rating_sum, 0) as rating_sum, coalesce(t.hist, array_fill(0::bigint, array[${WAIT_BUCKETS}])) as hist,
         a.available_seconds, a.calling_seconds, a.serving_seconds, a.paused_seconds
       from t full join a on a.key = t.key
       order by 1`,
      [branchId, from, to, queue, queue, branchId, from, to],
    );
  }

  /** Per advisor: what they served and their minutes (ticket-side shares and waits are not an advisor's). */
  private async byAdvisor(branch: Resolved, from: string, to: string): Promise<ReportGroup[]> {
    const rows = await this.deps.db.execute<Array<Record<string, string | null>>>(
      `select r.advisor_id::text as key, a.name, sum(r.served) as served, sum(r.service_count) as service_count,
         sum(r.service_sum_seconds) as service_sum_seconds, sum(r.rating_count) as rating_count, sum(r.rating_sum) as rating_sum,
         sum(r.available_seconds) as available_seconds, sum(r.calling_seconds) as calling_seconds,
         sum(r.serving_seconds) as serving_seconds, sum(r.paused_seconds) as paused_seconds
       from report_advisor_rollup r left join advisor a on a.id = r.advisor_id
       where r.branch_id = ? and r.service_date between ?::date and ?::date
       group by r.advisor_id, a.name order by a.name nulls last, r.advisor_id`,
      [branch.id, from, to],
    );
    return rows.map((r) => {
      const g = figures(
        {
          key: r.key!, arrived: 0, served: r.served ?? 0, no_shows: 0, cancelled: 0, walkouts: 0, called: 0, called_within_sla: 0,
          wait_sum_seconds: 0, service_count: r.service_count ?? 0, service_sum_seconds: r.service_sum_seconds ?? 0,
          rating_count: r.rating_count ?? 0, rating_sum: r.rating_sum ?? 0, available_seconds: r.available_seconds ?? null,
          calling_seconds: r.calling_seconds ?? null, serving_seconds: r.serving_seconds ?? null, paused_seconds: r.paused_seconds ?? null, hist: [],
        },
        true,
      );
      return { ...g, arrived: null, servedPct: null, noShowPct: null, abandonmentPct: null, serviceLevelPct: null, advisorName: r.name ?? null };
    });
  }

  async national(q: { from?: string; to?: string; metric?: string; region?: string }): Promise<NationalReport> {
    const errors: Record<string, string> = {};
    const metric = q.metric as Metric;
    if (!(METRICS as readonly string[]).includes(q.metric ?? '')) errors.metric = `Debe ser una de ${METRICS.join(', ')}`;
    let range: { from: string; to: string } | null = null;
    try {
      range = this.parseRange(q.from, q.to);
    } catch (error) {
      if (error instanceof ValidationError) Object.assign(errors, error.campos);
      else throw error;
    }
    if (Object.keys(errors).length) throw new ValidationError(errors);
    const { from, to } = range!;
    const region = q.region?.trim() || null;
    const rows = await this.deps.db.execute<Array<Sums & { code: string; name: string; region: string | null }>>(
      `select b.code as key, b.code, b.name, b.region, ${TICKET_SUMS}
       from branch b
       left join report_daily_rollup r on r.branch_id = b.id and r.service_date between ?::date and ?::date
       where (?::text is null or b.region = ?) and (b.active or r.branch_id is not null)
       group by b.id order by b.code`,
      [from, to, region, region],
    );
    const pooled = Array<number>(WAIT_BUCKETS).fill(0);
    let arrived = 0;
    let noShows = 0;
    let called = 0;
    let within = 0;
    for (const r of rows) {
      r.hist.forEach((v, i) => (pooled[i]! += Number(v)));
      arrived += n(r.arrived);
      noShows += n(r.no_shows);
      called += n(r.called);
      within += n(r.called_within_sla);
    }
    const national =
      metric === 'no_show'
        ? { volume: arrived, value: share(noShows, arrived) }
        : metric === 'service_level'
          ? { volume: called, value: share(within, called) }
          : { volume: called, value: percentileFromHistogram(pooled, 0.9) };
    const branches = rows.map((r) => {
      const volume = metric === 'no_show' ? n(r.arrived) : n(r.called);
      const value =
        metric === 'no_show' ? share(n(r.no_shows), volume) : metric === 'service_level' ? share(n(r.called_within_sla), volume) : percentileFromHistogram(r.hist.map(Number), 0.9);
      const p = metric === 'no_show' ? (arrived > 0 ? noShows / arrived : null) : metric === 'service_level' ? (called > 0 ? within / called : null) : national.value;
      return { code: r.code, name: r.name, region: r.region, volume, value, limits: this.limits(metric, p, pooled, volume) };
    });
    return { metric, from, to, national, branches };
  }

  /**
   * Every branch's figures day by day (the national export with detail=day): one day's rows read
   * at a time, so a year of 1,000 branches streams without being held in memory.
   */
  async *nationalDays(q: { from?: string; to?: string; region?: string }): AsyncGenerator<Record<string, string | number | null>> {
    const { from, to } = this.parseRange(q.from, q.to);
    const region = q.region?.trim() || null;
    for (let day = from; day <= to; day = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10)) {
      const rows = await this.deps.db.execute<Array<Sums & { code: string; name: string; region: string | null }>>(
        `select to_char(r.service_date, 'YYYY-MM-DD') as key, b.code, b.name, b.region, ${TICKET_SUMS},
           sum(r.available_seconds) as available_seconds, sum(r.calling_seconds) as calling_seconds,
           sum(r.serving_seconds) as serving_seconds, sum(r.paused_seconds) as paused_seconds
         from report_daily_rollup r join branch b on b.id = r.branch_id
         where r.service_date = ?::date and (?::text is null or b.region = ?)
         group by r.service_date, b.id order by b.code`,
        [day, region, region],
      );
      for (const r of rows) {
        const { key, ...figures_ } = figures(r, true);
        yield { date: key, code: r.code, name: r.name, region: r.region, ...figures_ };
      }
    }
  }

  /**
   * Proportions (service level, no-show): Spiegelhalter's p ± z·sqrt(p(1−p)/n), in percent. The
   * 90th percentile of a branch's n waits: the national distribution's quantiles at
   * 0.9 ± z·sqrt(0.9·0.1/n) (the distribution-free interval of a sample quantile), in minutes.
   */
  private limits(metric: Metric, nationalP: number | null, pooled: number[], volume: number): NationalReport['branches'][number]['limits'] {
    if (nationalP === null || volume <= 0) return { p95: null, p998: null };
    if (metric === 'wait_p90') {
      const at = (z: number): [number, number] => {
        const [lo, hi] = funnelLimits(0.9, volume, z)!;
        return [percentileFromHistogram(pooled, Math.max(lo, 1e-9))!, percentileFromHistogram(pooled, hi)!];
      };
      return { p95: at(Z95), p998: at(Z998) };
    }
    const p = nationalP;
    const pct = (z: number): [number, number] => {
      const [lo, hi] = funnelLimits(p, volume, z)!;
      return [round2(lo * 100), round2(hi * 100)];
    };
    return { p95: pct(Z95), p998: pct(Z998) };
  }
}
