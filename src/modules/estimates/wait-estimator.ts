import type { Clock } from '../../clock.js';
import type { Queryable } from '../../db/sql.js';
import type { BranchZones } from '../branches/branch-zones.js';
import { QUEUE_TYPES, QUEUES, isQueueType, type QueueType } from '../../domain/queue-types.js';
import type { PlannedBreak, PlannedShift } from '../staff-plan/advisor-plan.entity.js';
import { minuteOfDay, parseHhmm, planWindows } from '../staff-plan/plan-time.js';
import {
  advisorsSql,
  arrivalStatsSql,
  earlierDaysSql,
  newcomerStateSql,
  outcomeStatsSql,
  serviceStatsSql,
  waitingSql,
} from './branch-state.sql.js';
import { estimateWaitMinutes } from '../../domain/estimate.js';
import { COME_BACK_QUANTILE, COME_BACK_SAMPLES, COME_BACK_WINDOW_MINUTES } from './come-back-rule.js';
import { quantileOf, seedOf, simulateCallTimes } from './monte-carlo.js';
import { forecastBranch, promiseOf, type AdvisorState, type BranchState, type QueueModel, type WaitForecast } from './estimator.js';

/** Observed figures weigh as much as this many customers against the queue's nominal average. */
const PRIOR_WEIGHT = 4;
/** Statistics come from this many recent days (today included). */
const STATS_DAYS = 28;
/** Statistics are re-read at most this often (virtual time under the simulator). */
export const STATS_TTL_MS = 60_000;
/** The spread assumed for a queue's service times before any is observed, as a share of the mean. */
const NOMINAL_CV = 0.5;
/** A no-show holds the advisor this long when the branch has not seen one yet (calls and waiting). */
const DEFAULT_NO_SHOW_MINUTES = 2;

/** What a screen shows of one queue: who waits, who serves it online, and the wait promised to a newcomer. */
export interface QueueOutlook {
  waiting: number;
  online: number;
  minutes: number;
}

/** One waiting ticket's estimate: the minutes promised, the expected minutes to its call and their spread, and the "avísame" request if any. */
export interface TicketEstimate {
  /** Place in its line, in call order (SPEC §12): what the queue job writes as position_in_queue. */
  position: number;
  minutes: number;
  expected: number;
  sd: number;
  branchOffice: string;
  comeBack: { leadMinutes: number; notified: boolean } | null;
  /**
   * For a customer who asked and is not told yet, within COME_BACK_WINDOW_MINUTES of their lead: the
   * COME_BACK_QUANTILE of their call time by the branch's Monte-Carlo (monte-carlo.ts), minutes from now.
   */
  comeBackQuantile?: number;
}

interface WaitingRow {
  id: string;
  pos: number;
  branch_office: string;
  queue_type: QueueType;
  lead_minutes: number | null;
  notified: boolean;
}

interface AdvisorRow {
  id: string;
  branch_office: string;
  status: 'AVAILABLE' | 'BUSY' | 'OFFLINE';
  queue_types: string[];
  serving_queue: QueueType | null;
  minutes_in_service: string | number | null;
  minutes_in_status: string | number | null;
  shifts: PlannedShift[] | null;
  breaks: PlannedBreak[] | null;
}

type Models = Record<QueueType, QueueModel>;

/** newcomerStateSql's rows: an advisor each (all null but the counts when the branch has none). */
type NewcomerRow = { counts: Record<string, number> } & { [K in keyof AdvisorRow]: AdvisorRow[K] | null };

/** Statistics read at `at` (ms, the estimator's clock), for one branch or for all of them. */
interface CachedStats {
  at: number;
  models: Promise<Map<string, Models>>;
  /** The read has finished (well): these figures can be served while a newer read runs. */
  ready: boolean;
}

const fresh = (entry: CachedStats, now: number): boolean => now - entry.at < STATS_TTL_MS && now >= entry.at;

/**
 * Reads a branch's state with a few set-based queries and asks the pure estimator
 * (estimator.ts) when each waiting customer will be called. Used by the queue job (every branch
 * at once), by ticket creation and by every view that shows a queue's wait.
 */
export class WaitEstimator {
  /**
   * Statistics are a 28-day history: re-read per branch at most every STATS_TTL_MS, so kiosks of
   * many branches do not evict each other's. Only a saving: the waiting line and the advisors are
   * read live on every call, and any instance reading afresh gets the same figures.
   */
  private statsAll: CachedStats | null = null;
  private readonly statsByBranch = new Map<string, CachedStats>();

  /** Statistics reads under way behind a stale entry that is still being served. */
  private readonly refreshing = new Set<string | null>();

  constructor(
    private readonly deps: {
      clock: Clock;
      /** Each branch's zone: the minute of its day (SPEC §17). */
      zones: BranchZones;
      preferentialEvery: number;
      /**
       * Wait for a fresh read once the statistics are stale, instead of serving the previous ones
       * while one refresh reads (the default: a year of a busy branch takes seconds to read, and no
       * kiosk or tick should wait for it). The simulator waits, so the same seed gives the same day.
       */
      waitForFreshStatistics?: boolean;
    },
  ) {}

  /** Every waiting ticket of every branch (or of one), with its estimate. */
  async estimateWaiting(db: Queryable, branchOffice: string | null = null): Promise<Map<number, TicketEstimate>> {
    const now = this.deps.clock.now();
    const one = branchOffice !== null;
    const extra = one ? [branchOffice] : [];
    const [waiting, advisors, models, zoneOf] = await Promise.all([
      db.execute<WaitingRow[]>(waitingSql(one, this.deps.preferentialEvery), extra),
      this.advisors(db, now, branchOffice),
      this.models(db, now, branchOffice),
      this.deps.zones.all(db),
    ]);
    const byBranch = new Map<string, WaitingRow[]>();
    for (const row of waiting) {
      const list = byBranch.get(row.branch_office) ?? [];
      list.push(row);
      byBranch.set(row.branch_office, list);
    }
    const result = new Map<number, TicketEstimate>();
    for (const [branch, rows] of byBranch) {
      const state = this.branchState(now, zoneOf(branch), rows, advisors.get(branch) ?? [], models.get(branch));
      const forecast = forecastBranch(state);
      const shown = promisedMinutes(state, forecast);
      const quantiles = comeBackQuantiles(state, rows, forecast, branch, now);
      for (const row of rows) {
        const f = forecast.get(Number(row.id)) ?? { expected: Infinity, sd: Infinity };
        result.set(Number(row.id), {
          position: row.pos,
          minutes: shown.get(Number(row.id))!,
          expected: f.expected,
          sd: f.sd,
          branchOffice: branch,
          comeBack: row.lead_minutes === null ? null : { leadMinutes: row.lead_minutes, notified: row.notified },
          ...(quantiles.has(Number(row.id)) ? { comeBackQuantile: quantiles.get(Number(row.id))! } : {}),
        });
      }
    }
    return result;
  }

  /**
   * The wait a customer taking a number now in each queue of a branch would be promised: the
   * replay with them at the back of their queue. The replay depends on how many wait in each queue,
   * not on who they are, so the line is read as counts (its cost does not grow with the line's
   * call-order work).
   */
  async newArrivalEstimates(db: Queryable, branchOffice: string, only?: QueueType): Promise<Record<QueueType, number>> {
    const outlook = await this.newArrivalOutlook(db, branchOffice, only);
    return Object.fromEntries(Object.entries(outlook).map(([queue, o]) => [queue, o.minutes])) as Record<QueueType, number>;
  }

  /**
   * The wait promised to a customer about to be placed at `place` (1-based, in call order) of
   * their queue, ahead of others — a preferential customer (SPEC §12) — by the same replay as a
   * newcomer's: the line as counts (the others waiting, read live), this customer among them.
   */
  async promiseForPlace(db: Queryable, branchOffice: string, queue: QueueType, place: number): Promise<number> {
    const { now, zone, counts, advisors, models } = await this.newcomerState(db, branchOffice);
    const state = this.branchState(now, zone, [], advisors, models.get(branchOffice), lineOf(counts, queue, true));
    // Everyone in a queue holds the same place in the replay whoever they are: the place-th one's time is theirs.
    const line = state.waiting[queue];
    const index = Math.max(1, Math.min(place, line.length)) - 1;
    return promiseAt(state, queue, index);
  }

  /** A newcomer's live read (waiting counts and advisors, one statement) and the statistics. */
  private async newcomerState(db: Queryable, branchOffice: string) {
    const now = this.deps.clock.now();
    const [live, models, zone] = await Promise.all([
      db.execute<NewcomerRow[]>(newcomerStateSql, [branchOffice, now, now, now, branchOffice]),
      this.models(db, now, branchOffice),
      this.deps.zones.of(db, branchOffice),
    ]);
    const advisors = live.filter((row): row is NewcomerRow & AdvisorRow => row.id !== null);
    const counts = live[0]?.counts ?? {};
    return { now, zone, counts, advisors, models };
  }

  /**
   * Per queue of a branch: how many wait, how many advisors who serve it are online, and the wait a
   * customer taking a number now would be promised — what a waiting-room screen shows, from the
   * newcomer's one live read (and the cached statistics).
   */
  async newArrivalOutlook(db: Queryable, branchOffice: string, only?: QueueType): Promise<Record<QueueType, QueueOutlook>> {
    const { now, zone, counts, advisors, models } = await this.newcomerState(db, branchOffice);
    const out = {} as Record<QueueType, QueueOutlook>;
    for (const queue of only ? [only] : QUEUE_TYPES) {
      // The newcomer goes at the back of their queue.
      const state = this.branchState(now, zone, [], advisors, models.get(branchOffice), lineOf(counts, queue, true));
      out[queue] = {
        waiting: counts[queue] ?? 0,
        online: advisors.filter((a) => a.status !== 'OFFLINE' && a.queue_types.includes(queue)).length,
        minutes: promiseAt(state, queue, state.waiting[queue].length - 1),
      };
    }
    return out;
  }

  /** The state the pure estimator replays, for one branch. */
  private branchState(
    now: Date,
    timeZone: string,
    rows: WaitingRow[],
    advisors: AdvisorRow[],
    models: Models | undefined,
    line?: Record<QueueType, number[]>,
  ): BranchState {
    const nowMinute = minuteOfDay(now, timeZone);
    const waiting = line ?? (Object.fromEntries(QUEUE_TYPES.map((q) => [q, [] as number[]])) as Record<QueueType, number[]>);
    for (const row of rows) waiting[row.queue_type].push(Number(row.id));
    let lastPlanned = 0;
    const states: AdvisorState[] = advisors.map((a) => {
      const plan = a.shifts ? planWindows(a.shifts, a.breaks ?? [], nowMinute) : null;
      for (const [, to] of plan ?? []) lastPlanned = Math.max(lastPlanned, to);
      const queues = a.queue_types.filter(isQueueType);
      const inStatus = Math.max(0, Number(a.minutes_in_status ?? 0));
      const nowState: AdvisorState['now'] =
        a.status === 'OFFLINE'
          ? { kind: 'OFFLINE' }
          : a.serving_queue
            ? { kind: 'SERVING', queueType: a.serving_queue, minutesInService: Math.max(0, Number(a.minutes_in_service ?? 0)) }
            : a.status === 'BUSY'
              ? { kind: 'PAUSED', minutesPaused: inStatus }
              : { kind: 'AVAILABLE' };
      const breaks = (a.breaks ?? [])
        .map((b): [number, number] => [parseHhmm(b.from) - nowMinute, parseHhmm(b.from) + b.minutes - nowMinute])
        .filter(([, to]) => to > 0)
        .sort((x, y) => x[0] - y[0]);
      return { id: Number(a.id), queues, now: nowState, plan, breaks };
    });
    return {
      minuteOfDay: nowMinute,
      waiting,
      advisors: states,
      queues: models ?? defaultModels(),
      // Arrivals are expected while someone is planned to work (all day when nobody has a plan).
      minutesToClose: lastPlanned > 0 ? lastPlanned : 12 * 60,
    };
  }

  private async advisors(db: Queryable, now: Date, branchOffice: string | null): Promise<Map<string, AdvisorRow[]>> {
    const rows = await db.execute<AdvisorRow[]>(advisorsSql(branchOffice !== null), [
      now,
      now,
      now,
      ...(branchOffice !== null ? [branchOffice] : []),
    ]);
    const out = new Map<string, AdvisorRow[]>();
    for (const row of rows) out.set(row.branch_office, [...(out.get(row.branch_office) ?? []), row]);
    return out;
  }

  /**
   * The statistics of one branch (or all), from the cache while fresh; one read at a time per key.
   * Once stale, the previous figures are served while one refresh reads in the background (unless
   * waitForFreshStatistics): statistics of the last weeks barely move in a minute.
   */
  private models(db: Queryable, now: Date, branchOffice: string | null): Promise<Map<string, Models>> {
    const at = now.getTime();
    if (this.statsAll && fresh(this.statsAll, at)) return this.statsAll.models;
    const cached = branchOffice === null ? this.statsAll : this.statsByBranch.get(branchOffice);
    if (cached && fresh(cached, at)) return cached.models;
    if (cached?.ready && !this.deps.waitForFreshStatistics) {
      if (!this.refreshing.has(branchOffice)) {
        this.refreshing.add(branchOffice);
        void this.read(db, now, branchOffice)
          .models.catch(() => undefined)
          .finally(() => this.refreshing.delete(branchOffice));
      }
      return cached.models;
    }
    return this.read(db, now, branchOffice).models;
  }

  /** Starts a read of the statistics and caches it under its key as soon as it starts. */
  private read(db: Queryable, now: Date, branchOffice: string | null): CachedStats {
    const entry: CachedStats = { at: now.getTime(), models: this.readModels(db, now, branchOffice), ready: false };
    const previous = branchOffice === null ? this.statsAll : this.statsByBranch.get(branchOffice);
    // While a stale entry is served, the new read replaces it only once it has its figures.
    const install = (): void => {
      if (branchOffice === null) this.statsAll = entry;
      else this.statsByBranch.set(branchOffice, entry);
    };
    if (!previous?.ready || this.deps.waitForFreshStatistics) install();
    entry.models.then(
      () => {
        entry.ready = true;
        install();
      },
      () => {
        // A failed read is not kept: the next call tries again (a stale entry stays served).
        if (this.statsAll === entry) this.statsAll = null;
        if (branchOffice !== null && this.statsByBranch.get(branchOffice) === entry) this.statsByBranch.delete(branchOffice);
      },
    );
    return entry;
  }

  /** Per branch and queue: service minutes by hour, cancel and no-show rates, expected arrivals. */
  private async readModels(db: Queryable, now: Date, branchOffice: string | null): Promise<Map<string, Models>> {
    const one = branchOffice !== null;
    const extra = one ? [branchOffice] : [];
    const since = new Date(now.getTime() - STATS_DAYS * 86_400_000);
    const [service, outcomes, arrivals, days] = await Promise.all([
      db.execute<{ branch_office: string; queue_type: QueueType; hour: number; n: number; minutes: number; squares: number }[]>(
        serviceStatsSql(one),
        [since, ...extra],
      ),
      db.execute<
        {
          branch_office: string;
          queue_type: QueueType;
          finished: number;
          cancelled: number;
          called: number;
          no_shows: number;
          no_show_minutes: number | null;
        }[]
      >(outcomeStatsSql(one), [since, ...extra]),
      db.execute<{ branch_office: string; queue_type: QueueType; hour: number; earlier: number; today: number }[]>(
        arrivalStatsSql(one),
        [now, now, since, ...extra],
      ),
      db.execute<{ branch_office: string; days: number; first_today: string | null }[]>(earlierDaysSql(one), [
        now,
        now,
        since,
        ...extra,
      ]),
    ]);

    const models = new Map<string, Models>();
    const modelsOf = (branch: string): Models => {
      let m = models.get(branch);
      if (!m) {
        m = defaultModels();
        models.set(branch, m);
      }
      return m;
    };
    // Service: mean and spread per hour, shrunk towards the queue's all-day observed figures, themselves
    // shrunk towards the nominal (both moments alike, so the spread stays a spread).
    const totals = new Map<string, { n: number; minutes: number; squares: number }>();
    for (const row of service) {
      const key = `${row.branch_office}\u0000${row.queue_type}`;
      const t = totals.get(key) ?? { n: 0, minutes: 0, squares: 0 };
      t.n += row.n;
      t.minutes += row.minutes;
      t.squares += row.squares;
      totals.set(key, t);
    }
    const allDay = (branch: string, queue: QueueType): Moments => {
      const t = totals.get(`${branch}\u0000${queue}`);
      const nominal = nominalMoments(queue);
      if (!t) return nominal;
      return { mean: (t.minutes + PRIOR_WEIGHT * nominal.mean) / (t.n + PRIOR_WEIGHT), square: (t.squares + PRIOR_WEIGHT * nominal.square) / (t.n + PRIOR_WEIGHT) };
    };
    for (const [key] of totals) {
      const [branch, queue] = key.split('\u0000') as [string, QueueType];
      const base = allDay(branch, queue);
      modelsOf(branch)[queue].serviceMinutesByHour = Array.from({ length: 24 }, () => base.mean);
      modelsOf(branch)[queue].serviceSdByHour = Array.from({ length: 24 }, () => spread(base));
    }
    for (const row of service) {
      if (!isQueueType(row.queue_type)) continue;
      const base = allDay(row.branch_office, row.queue_type);
      const hour = { mean: (row.minutes + PRIOR_WEIGHT * base.mean) / (row.n + PRIOR_WEIGHT), square: (row.squares + PRIOR_WEIGHT * base.square) / (row.n + PRIOR_WEIGHT) };
      const m = modelsOf(row.branch_office)[row.queue_type];
      m.serviceMinutesByHour[row.hour] = hour.mean;
      m.serviceSdByHour[row.hour] = spread(hour);
    }
    for (const row of outcomes) {
      if (!isQueueType(row.queue_type)) continue;
      const m = modelsOf(row.branch_office)[row.queue_type];
      m.cancelRate = row.finished > 0 ? Math.min(0.5, row.cancelled / (row.finished + PRIOR_WEIGHT)) : 0;
      m.noShowRate = row.called > 0 ? Math.min(0.5, row.no_shows / (row.called + PRIOR_WEIGHT)) : 0;
      m.noShowMinutes = row.no_show_minutes ?? DEFAULT_NO_SHOW_MINUTES;
    }
    const earlierDays = new Map(days.map((d) => [d.branch_office, d.days]));
    const firstToday = new Map(days.map((d) => [d.branch_office, d.first_today]));
    const todayByQueue = new Map<string, number>();
    for (const row of arrivals) {
      const key = `${row.branch_office}\u0000${row.queue_type}`;
      todayByQueue.set(key, (todayByQueue.get(key) ?? 0) + row.today);
    }
    for (const row of arrivals) {
      if (!isQueueType(row.queue_type)) continue;
      const m = modelsOf(row.branch_office)[row.queue_type];
      const daysSeen = earlierDays.get(row.branch_office) ?? 0;
      if (daysSeen > 0) m.arrivalsByHour[row.hour] = row.earlier / daysSeen;
    }
    // Without earlier days, today's pace so far (over at least an hour) is expected to go on.
    for (const [key, count] of todayByQueue) {
      const [branch, queue] = key.split('\u0000') as [string, QueueType];
      const first = firstToday.get(branch);
      if ((earlierDays.get(branch) ?? 0) > 0 || !first) continue;
      const hours = Math.max(1, (now.getTime() - new Date(`${first}Z`).getTime()) / 3_600_000);
      modelsOf(branch)[queue].arrivalsByHour = Array.from({ length: 24 }, () => count / hours);
    }
    return models;
  }
}

/**
 * The come-back notices' Monte-Carlo for one branch (SPEC §13, issue 22): only for customers who asked
 * and are not told yet, whose expected call is within COME_BACK_WINDOW_MINUTES of their lead; one run
 * of COME_BACK_SAMPLES draws for all of them, seeded by the branch and the instant (the same state at
 * the same instant gives the same notice).
 */
export function comeBackQuantiles(
  state: BranchState,
  rows: readonly { id: string; lead_minutes: number | null; notified: boolean }[],
  forecast: Map<number, WaitForecast>,
  branch: string,
  now: Date,
): Map<number, number> {
  const targets: number[] = [];
  for (const row of rows) {
    if (row.lead_minutes === null || row.notified) continue;
    const f = forecast.get(Number(row.id));
    if (f && Number.isFinite(f.expected) && f.expected - row.lead_minutes <= COME_BACK_WINDOW_MINUTES) targets.push(Number(row.id));
  }
  const out = new Map<number, number>();
  if (targets.length === 0) return out;
  const samples = simulateCallTimes(state, targets, { samples: COME_BACK_SAMPLES, seed: seedOf(branch, now.getTime()) });
  for (const [id, sorted] of samples) out.set(id, quantileOf(sorted, COME_BACK_QUANTILE));
  return out;
}

/**
 * Stand-ins for the customers a newcomer's replay needs, from the waiting counts: ids below -1 in
 * their queues (in the order the counts come, as before), and with `newcomer` the newcomer (-1) at
 * the back of `queue`. Only numbers: the replay never needs who they are.
 */
function lineOf(counts: Record<string, number>, queue: QueueType, newcomer = false): Record<QueueType, number[]> {
  const line = Object.fromEntries(QUEUE_TYPES.map((q) => [q, [] as number[]])) as Record<QueueType, number[]>;
  let next = -2;
  for (const [q, n] of Object.entries(counts)) {
    if (!isQueueType(q)) continue;
    const ids = line[q];
    for (let i = 0; i < n; i++) ids.push(next--);
  }
  if (newcomer) line[queue].push(-1);
  return line;
}

/**
 * What promisedMinutes gives the ticket at `index` of `queue`, replaying only up to its call: the
 * replay's minutes, or the seed's formula when nobody who serves the queue is expected.
 */
/** The branch state's advisors online who serve the queue (ONLINE_PER_QUEUE's rule, in memory). */
const onlineIn = (state: BranchState, queue: QueueType): number =>
  state.advisors.filter((a) => a.now.kind !== 'OFFLINE' && a.queues.includes(queue)).length;

function promiseAt(state: BranchState, queue: QueueType, index: number): number {
  const id = state.waiting[queue][index]!;
  const f = forecastBranch(state, id).get(id);
  if (f && Number.isFinite(f.expected)) return promiseOf(f);
  const online = onlineIn(state, queue);
  return estimateWaitMinutes(index + 1, queue, online);
}

/**
 * The minutes shown for each ticket: the replay's, or — when no advisor who serves the queue is
 * expected (everyone offline, no plan) — the seed's formula, dividing by one.
 */
function promisedMinutes(state: BranchState, forecast: Map<number, WaitForecast>): Map<number, number> {
  const out = new Map<number, number>();
  for (const queue of QUEUE_TYPES) {
    const online = onlineIn(state, queue);
    state.waiting[queue].forEach((id, i) => {
      const f = forecast.get(id);
      out.set(id, f && Number.isFinite(f.expected) ? promiseOf(f) : estimateWaitMinutes(i + 1, queue, online));
    });
  }
  return out;
}

/** First and second moments of service minutes. */
interface Moments {
  mean: number;
  square: number;
}

/** Before anything is observed: the queue's nominal average, with a spread of half of it. */
const nominalMoments = (queue: QueueType): Moments => {
  const mean = QUEUES[queue].averageMinutes;
  return { mean, square: mean * mean * (1 + NOMINAL_CV * NOMINAL_CV) };
};
const spread = (m: Moments): number => Math.sqrt(Math.max(0, m.square - m.mean * m.mean));

function defaultModels(): Models {
  return Object.fromEntries(
    QUEUE_TYPES.map((q) => [
      q,
      {
        serviceMinutesByHour: Array.from({ length: 24 }, () => QUEUES[q].averageMinutes),
        serviceSdByHour: Array.from({ length: 24 }, () => NOMINAL_CV * QUEUES[q].averageMinutes),
        cancelRate: 0,
        noShowRate: 0,
        noShowMinutes: DEFAULT_NO_SHOW_MINUTES,
        arrivalsByHour: Array.from({ length: 24 }, () => 0),
      } satisfies QueueModel,
    ]),
  ) as Models;
}
