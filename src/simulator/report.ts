import type { QueueType } from '../domain/queue-types.js';

/*
 * The report's arithmetic (SPEC §13), pure: on the same simulated customers, the wait the app
 * promised at ticket creation beside the realized wait (creation → first call).
 */

/** One simulated customer, as the simulator saw them. */
export interface CustomerRecord {
  day: number;
  branch: string;
  queueType: QueueType;
  /** Branch-local hour of arrival (0–23). */
  hour: number;
  /** Minutes since the run started, at creation. */
  createdAt: number;
  /** People ahead in their queue at creation (position − 1). */
  ahead: number;
  /** What the app showed at creation, and the seed's formula on the same state. */
  estimate: number;
  baseline: number;
  /** Minutes since the run started at the first call; null if never called. */
  calledAt: number | null;
  /** "Avísame cuando falten N minutos": N, and when the notice became due (run minutes). */
  comeBackLead: number | null;
  noticeAt: number | null;
}

export interface Metrics {
  mae: number;
  meanRelErr: number;
  withinBand: number;
  lateBy5: number;
}

export interface ComeBack {
  onTime: number;
  late: number;
  missed: number;
  medianEarlyMinutes: number;
}

/** The report, keys exactly as SPEC §13 gives them. */
export interface Report {
  estimator: Metrics;
  baseline: Metrics;
  comeBack: ComeBack;
  tickets: number;
}

const round = (x: number, digits = 3): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** Within ±25 % of the real wait or ±3 minutes, whichever is wider. */
export function withinBand(promised: number, real: number): boolean {
  return Math.abs(promised - real) <= Math.max(0.25 * real, 3);
}

/** Promised too long: the customer who left comes back after being called (real wait > 5 min shorter). */
export function lateBy5(promised: number, real: number): boolean {
  return real < promised - 5;
}

/** Metrics of promised vs real waits (minutes); relative error over max(real, 1 minute). */
export function metrics(pairs: readonly { promised: number; real: number }[]): Metrics {
  if (pairs.length === 0) return { mae: 0, meanRelErr: 0, withinBand: 0, lateBy5: 0 };
  let abs = 0;
  let rel = 0;
  let band = 0;
  let late = 0;
  for (const { promised, real } of pairs) {
    const err = Math.abs(promised - real);
    abs += err;
    rel += err / Math.max(real, 1);
    if (withinBand(promised, real)) band++;
    if (lateBy5(promised, real)) late++;
  }
  const n = pairs.length;
  return { mae: round(abs / n, 2), meanRelErr: round(rel / n), withinBand: round(band / n), lateBy5: round(late / n) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Over the customers who asked to be told N minutes ahead and whose real wait was longer than
 * N: told at least N minutes before their call (on time), told later (late), never told before
 * the call (missed); and the median minutes an on-time customer still waits after coming back.
 */
export function comeBack(records: readonly CustomerRecord[]): ComeBack {
  let onTime = 0;
  let late = 0;
  let missed = 0;
  const early: number[] = [];
  for (const r of records) {
    if (r.comeBackLead === null || r.calledAt === null) continue;
    if (r.calledAt - r.createdAt <= r.comeBackLead) continue;
    if (r.noticeAt === null || r.noticeAt > r.calledAt) {
      missed++;
    } else if (r.calledAt - r.noticeAt >= r.comeBackLead) {
      onTime++;
      early.push(r.calledAt - r.noticeAt - r.comeBackLead);
    } else {
      late++;
    }
  }
  const n = onTime + late + missed;
  return {
    onTime: n ? round(onTime / n) : 0,
    late: n ? round(late / n) : 0,
    missed: n ? round(missed / n) : 0,
    medianEarlyMinutes: round(median(early), 1),
  };
}

const called = (records: readonly CustomerRecord[]) => records.filter((r) => r.calledAt !== null);
const pairsOf = (records: readonly CustomerRecord[], which: 'estimate' | 'baseline') =>
  called(records).map((r) => ({ promised: r[which], real: r.calledAt! - r.createdAt }));

export function buildReport(records: readonly CustomerRecord[]): Report {
  return {
    estimator: metrics(pairsOf(records, 'estimate')),
    baseline: metrics(pairsOf(records, 'baseline')),
    comeBack: comeBack(records),
    tickets: called(records).length,
  };
}

/** People-ahead buckets: where the spread of a short line puts a floor under any estimator. */
export const AHEAD_BUCKETS = [
  { label: '0', max: 0 },
  { label: '1-2', max: 2 },
  { label: '3-5', max: 5 },
  { label: '6-10', max: 10 },
  { label: '11-20', max: 20 },
  { label: '21+', max: Infinity },
] as const;

export interface Breakdown {
  tickets: number;
  estimator: Metrics;
  baseline: Metrics;
}

function breakdown(records: readonly CustomerRecord[]): Breakdown {
  return { tickets: called(records).length, estimator: metrics(pairsOf(records, 'estimate')), baseline: metrics(pairsOf(records, 'baseline')) };
}

function groupBy<K extends string | number>(records: readonly CustomerRecord[], key: (r: CustomerRecord) => K): Map<K, CustomerRecord[]> {
  const out = new Map<K, CustomerRecord[]>();
  for (const r of records) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
  return out;
}

/** The breakdowns beside the report: per queue, per people-ahead bucket, per hour of arrival. */
export function buildDetails(records: readonly CustomerRecord[]) {
  const bucketOf = (ahead: number) => AHEAD_BUCKETS.find((b) => ahead <= b.max)!.label;
  const sortedEntries = <K extends string | number>(m: Map<K, CustomerRecord[]>) =>
    Object.fromEntries([...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [String(k), breakdown(v)]));
  return {
    customers: records.length,
    neverCalled: records.filter((r) => r.calledAt === null).length,
    byQueue: sortedEntries(groupBy(records, (r) => r.queueType)),
    byPeopleAhead: Object.fromEntries(
      AHEAD_BUCKETS.map((b) => [b.label, breakdown(records.filter((r) => bucketOf(r.ahead) === b.label))]),
    ),
    byHour: sortedEntries(groupBy(records, (r) => r.hour)),
  };
}

export type Details = ReturnType<typeof buildDetails>;

/** The SPEC §13 goals, checked against a report. */
export function goals(report: Report) {
  const ratio = report.baseline.mae > 0 ? report.estimator.mae / report.baseline.mae : 0;
  return {
    maeRatio: { value: round(ratio), goal: '≤ 0.60', met: ratio <= 0.6 },
    withinBand: { value: report.estimator.withinBand, goal: '≥ 0.70', met: report.estimator.withinBand >= 0.7 },
    lateBy5: { value: report.estimator.lateBy5, goal: '≤ 0.10', met: report.estimator.lateBy5 <= 0.1 },
    comeBackOnTime: { value: report.comeBack.onTime, goal: '≥ 0.90', met: report.comeBack.onTime >= 0.9 },
    medianEarlyMinutes: {
      value: report.comeBack.medianEarlyMinutes,
      goal: '≤ 10',
      met: report.comeBack.medianEarlyMinutes <= 10,
    },
  };
}
