import { QUEUE_TYPES, QUEUES, type QueueType } from '../../domain/queue-types.js';
import { UNPLANNED_PAUSE_MINUTES, afterHold, expectedRemaining, hourAt, nextWorkingMinute, type AdvisorState, type BranchState, type QueueModel } from './estimator.js';

/*
 * A forward Monte-Carlo of a branch (SPEC §13, issue 22): the same state the replay of estimator.ts
 * reads, run many times with its uncertainties drawn instead of averaged — each service a lognormal
 * draw with the learned mean and spread for its queue and hour, each customer ahead cancelling or
 * not showing at the learned rates, customers of every queue arriving as a Poisson process at the
 * learned rates per hour (so higher-priority ones go ahead on shared advisors, and lower-priority
 * ones hold a shared advisor once taken), a service under way lasting a draw longer than what it has
 * already lasted, unplanned pauses of random length, and the staff plan with its breaks ("finish and
 * pause"). What comes out is a sample of each asked-about ticket's call time, from which quantiles
 * are read. Pure and seeded: the same state and seed give the same samples.
 */

/** Look this far ahead at most (as the replay does). */
const HORIZON_MINUTES = 12 * 60;

/** mulberry32: small, fast, seeded. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** A 32-bit seed from a text (FNV-1a) and a number: a branch and the minute asked about give the same draws every time. */
export function seedOf(text: string, n: number): number {
  let h = 0x811c9dc5;
  const s = `${text}\u0000${n}`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A lognormal draw with that mean and standard deviation (of the variable itself). */
function lognormal(rng: SeededRandom, mean: number, sd: number): number {
  if (mean <= 0) return 0;
  if (sd <= 0) return mean;
  const sigma2 = Math.log(1 + (sd * sd) / (mean * mean));
  return Math.exp(Math.log(mean) - sigma2 / 2 + Math.sqrt(sigma2) * rng.normal());
}

/** The next Poisson arrival after `t` (minutes from now) at the hourly rates, or Infinity once arrivals stop. */
function nextArrival(rng: SeededRandom, model: QueueModel, minuteOfDay: number, t: number, stop: number): number {
  let owed = rng.exponential(1);
  let time = t;
  while (time < stop) {
    const perMinute = (model.arrivalsByHour[hourAt(minuteOfDay + time)] ?? 0) / 60;
    const hourEnd = Math.min(Math.floor((minuteOfDay + time) / 60 + 1) * 60 - minuteOfDay, stop);
    const span = hourEnd - time;
    if (perMinute > 0 && perMinute * span >= owed) return time + owed / perMinute;
    owed -= perMinute * span;
    time = hourEnd;
  }
  return Infinity;
}

/** When an advisor can first take a customer in one draw: their real status now, then the plan. */
function drawFirstFree(rng: SeededRandom, shape: ServiceShape, advisor: AdvisorState, state: BranchState): number {
  const now = advisor.now;
  switch (now.kind) {
    case 'OFFLINE': {
      if (advisor.plan === null) return Infinity;
      const next = advisor.plan.find(([from]) => from > 0);
      return next ? next[0] : Infinity;
    }
    case 'AVAILABLE':
      return nextWorkingMinute(advisor.plan, 0);
    case 'PAUSED': {
      const planned = advisor.plan !== null && nextWorkingMinute(advisor.plan, 0) > 0;
      const onBreak = advisor.breaks?.find(([from, to]) => from <= 0 && to > 0);
      if (planned && onBreak) return nextWorkingMinute(advisor.plan, Math.max(0, onBreak[1] - onBreak[0] - now.minutesPaused));
      if (planned) return nextWorkingMinute(advisor.plan, 0);
      // An unplanned pause: memoryless around what is expected to be left of it.
      return nextWorkingMinute(advisor.plan, rng.exponential(Math.max(1, UNPLANNED_PAUSE_MINUTES - now.minutesPaused)));
    }
    case 'SERVING': {
      const model = state.queues[now.queueType];
      const hour = hourAt(state.minuteOfDay);
      const mean = model.serviceMinutesByHour[hour] ?? QUEUES[now.queueType].averageMinutes;
      const sd = model.serviceSdByHour[hour] ?? 0;
      // A draw of the whole service longer than what it has lasted (a few tries), else the replay's expected rest, spread.
      let left = shape === 'exponential' ? rng.exponential(mean) : -1;
      for (let i = 0; i < 8 && left < 0; i++) {
        const whole = lognormal(rng, mean, sd);
        if (whole > now.minutesInService) left = whole - now.minutesInService;
      }
      if (left < 0) left = rng.exponential(expectedRemaining(mean, now.minutesInService));
      return afterHold(advisor, -Infinity, left);
    }
  }
}

/** The family service times are drawn from: lognormal (what services look like); exponential for checks against queueing theory. */
export type ServiceShape = 'lognormal' | 'exponential';

export interface MonteCarloOptions {
  /** Draws of the branch's future. */
  samples: number;
  seed: number;
  /** Lognormal unless said. */
  serviceShape?: ServiceShape;
}

/** Per queue and hour: the lognormal's log-mean and log-spread (or the plain mean when there is no spread). */
interface ServiceTable {
  mean: Float64Array;
  sd: Float64Array;
  logMean: Float64Array;
  logSd: Float64Array;
}

function serviceTable(model: QueueModel, queue: QueueType): ServiceTable {
  const t: ServiceTable = { mean: new Float64Array(24), sd: new Float64Array(24), logMean: new Float64Array(24), logSd: new Float64Array(24) };
  for (let h = 0; h < 24; h++) {
    const mean = model.serviceMinutesByHour[h] ?? QUEUES[queue].averageMinutes;
    const sd = model.serviceSdByHour[h] ?? 0;
    t.mean[h] = mean;
    t.sd[h] = sd;
    if (mean > 0 && sd > 0) {
      const sigma2 = Math.log(1 + (sd * sd) / (mean * mean));
      t.logMean[h] = Math.log(mean) - sigma2 / 2;
      t.logSd[h] = Math.sqrt(sigma2);
    }
  }
  return t;
}

/**
 * Sorted samples of the minutes from now to each target ticket's call (Infinity when not called
 * within the horizon), from `samples` runs of the branch. Each run stops once every target is called,
 * so its cost is the customers up to the furthest target (and the arrivals meanwhile) × advisors.
 */
export function simulateCallTimes(state: BranchState, targets: readonly number[], options: MonteCarloOptions): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  const Q = QUEUE_TYPES.length;
  // Where each target stands: per queue, the slot of the target at each index of its line (−1: not asked about).
  const wanted = new Set(targets);
  const ids: number[] = [];
  const slotAt: Int32Array[] = [];
  const waitingCount = new Int32Array(Q);
  QUEUE_TYPES.forEach((queue, qi) => {
    const line = state.waiting[queue] ?? [];
    waitingCount[qi] = line.length;
    const slots = new Int32Array(line.length).fill(-1);
    line.forEach((id, index) => {
      if (!wanted.has(id)) return;
      slots[index] = ids.length;
      ids.push(id);
    });
    slotAt.push(slots);
  });
  if (ids.length === 0) return out;
  const draws = ids.map(() => new Float64Array(options.samples).fill(Infinity));
  const rng = new SeededRandom(options.seed);
  const shape = options.serviceShape ?? 'lognormal';
  const stop = Math.min(state.minutesToClose, HORIZON_MINUTES);
  const models = QUEUE_TYPES.map((q) => state.queues[q]);
  const tables = QUEUE_TYPES.map((q) => serviceTable(state.queues[q], q));
  const indexOf = new Map<QueueType, number>(QUEUE_TYPES.map((q, i) => [q, i]));
  const advisors = state.advisors
    .filter((a) => a.queues.length > 0)
    .map((a) => ({ state: a, queues: [...a.queues].sort((x, y) => QUEUES[y].priority - QUEUES[x].priority).map((q) => indexOf.get(q)!) }));
  const n = advisors.length;
  const freeAt = new Float64Array(n);
  const lastBusy = new Float64Array(n);
  const served = new Int32Array(Q);
  const arrived = new Int32Array(Q);
  const arrivalAt = new Float64Array(Q);

  /** Minutes one customer holds an advisor from a call at `minuteOfDay`: cancelled (0), a no-show's wait, or a service. */
  const hold = (qi: number, minuteOfDay: number, mayCancel: boolean): number => {
    const model = models[qi]!;
    if (mayCancel && rng.next() < model.cancelRate) return 0;
    if (rng.next() < model.noShowRate) return model.noShowMinutes;
    const h = hourAt(minuteOfDay);
    const table = tables[qi]!;
    const mean = table.mean[h]!;
    if (shape === 'exponential') return rng.exponential(mean);
    if (mean <= 0) return 0;
    if (table.sd[h]! <= 0) return mean;
    return Math.exp(table.logMean[h]! + table.logSd[h]! * rng.normal());
  };

  for (let s = 0; s < options.samples; s++) {
    served.fill(0);
    arrived.fill(0);
    for (let qi = 0; qi < Q; qi++) arrivalAt[qi] = nextArrival(rng, models[qi]!, state.minuteOfDay, 0, stop);
    let left = ids.length;
    for (let i = 0; i < n; i++) {
      freeAt[i] = drawFirstFree(rng, shape, advisors[i]!.state, state);
      lastBusy[i] = advisors[i]!.state.now.kind !== 'OFFLINE' || Number.isFinite(freeAt[i]!) ? Math.max(0, Math.min(freeAt[i]!, HORIZON_MINUTES)) : Infinity;
    }
    let overtime = false;
    while (left > 0) {
      let k = -1;
      let best = Infinity;
      for (let i = 0; i < n; i++) {
        if (freeAt[i]! < best) {
          best = freeAt[i]!;
          k = i;
        }
      }
      if (k < 0 || best > HORIZON_MINUTES) {
        // Customers still inside when the plan ends are served all the same by whoever worked (as the replay does).
        if (overtime) break;
        overtime = true;
        for (let i = 0; i < n; i++) freeAt[i] = lastBusy[i]!;
        continue;
      }
      const advisor = advisors[k]!;
      const t = best;
      // Arrivals up to t join the back of their lines.
      for (const qi of advisor.queues) {
        let at = arrivalAt[qi]!;
        while (at <= t) {
          arrived[qi]!++;
          at = nextArrival(rng, models[qi]!, state.minuteOfDay, at, stop);
        }
        arrivalAt[qi] = at;
      }
      let queue = -1;
      let real = false;
      for (const qi of advisor.queues) {
        if (served[qi]! < waitingCount[qi]!) {
          queue = qi;
          real = true;
          break;
        }
        if (arrived[qi]! > 0) {
          queue = qi;
          break;
        }
      }
      if (queue < 0) {
        // Nothing for this advisor: they wait for the next arrival of a queue they serve.
        let next = Infinity;
        for (const qi of advisor.queues) next = Math.min(next, arrivalAt[qi]!);
        freeAt[k] = next === Infinity ? Infinity : overtime ? next : nextWorkingMinute(advisor.state.plan, next);
        continue;
      }
      let mayCancel = true;
      if (real) {
        const index = served[queue]!;
        served[queue] = index + 1;
        const slot = slotAt[queue]![index]!;
        if (slot >= 0) {
          draws[slot]![s] = t;
          left--;
          // The target is asked about as one who stays: it holds the advisor as a customer who shows or not.
          mayCancel = false;
        }
      } else {
        arrived[queue]!--;
      }
      const minutes = hold(queue, state.minuteOfDay + t, mayCancel);
      lastBusy[k] = t + minutes;
      freeAt[k] = overtime ? t + minutes : afterHold(advisor.state, t, t + minutes);
    }
  }
  ids.forEach((id, slot) => out.set(id, draws[slot]!.sort()));
  return out;
}

/** The p-quantile (0–1) of sorted samples, by the nearest rank below: Infinity stays Infinity. */
export function quantileOf(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Infinity;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index]!;
}
