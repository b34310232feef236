import { QUEUE_TYPES, QUEUES, type QueueType } from '../../domain/queue-types.js';

/*
 * The wait-time estimator (SPEC §13), a pure function of a branch's state: no I/O, no clock.
 * It replays the coming hours of the branch with expected values — who serves what and when
 * (real status now, the staff plan after), how long each customer ahead will take (observed
 * service times per queue and hour, cancellations and no-shows), GERENCIA-first across queues,
 * and the higher-priority customers still to arrive — and reads off when each waiting ticket
 * will be called, with how uncertain that is: each advisor's chain of customers carries the
 * variance of its services (observed spread, cancellations, no-shows, how many higher-priority
 * customers really come), and a customer's call is the next free advisor of several.
 */

/** Minutes from "now" during which an advisor is planned to work: [from, to). */
export type Window = readonly [number, number];

export type AdvisorNow =
  /** Serving a customer of `queueType` for `minutesInService` already. */
  | { kind: 'SERVING'; queueType: QueueType; minutesInService: number }
  | { kind: 'AVAILABLE' }
  /** Paused (BUSY without a customer) for `minutesPaused` already. */
  | { kind: 'PAUSED'; minutesPaused: number }
  | { kind: 'OFFLINE' };

export interface AdvisorState {
  id: number;
  queues: readonly QueueType[];
  now: AdvisorNow;
  /** Working windows from now on, by the staff plan; null when the advisor has no plan today. */
  plan: readonly Window[] | null;
  /**
   * Planned breaks not over yet, [from, to) in minutes from now. A break that comes while serving starts
   * when that customer leaves and lasts its full length ("finish and pause"), so it ends later than planned.
   */
  breaks?: readonly Window[];
}

export interface QueueModel {
  /** Expected minutes an advisor is busy with one customer who shows up, by hour of day (0–23). */
  serviceMinutesByHour: number[];
  /** Standard deviation of those minutes, by hour of day: how far one service may stray. */
  serviceSdByHour: number[];
  /** Share of waiting customers who give up before their call. */
  cancelRate: number;
  /** Share of called customers who never show up, and the minutes such a call holds an advisor. */
  noShowRate: number;
  noShowMinutes: number;
  /** Customers expected to arrive in each hour of day (0–23), still to come. */
  arrivalsByHour: number[];
}

export interface BranchState {
  /** Branch-local minute of the day "now" is (0–1439): hour-of-day statistics and arrivals. */
  minuteOfDay: number;
  /** Waiting tickets of each queue, in the order they will be called. */
  waiting: Readonly<Record<QueueType, readonly number[]>>;
  advisors: readonly AdvisorState[];
  queues: Readonly<Record<QueueType, QueueModel>>;
  /** Minutes from now until the branch stops taking arrivals (no arrivals expected after). */
  minutesToClose: number;
}

/** How long an unplanned pause is expected to last in all, when the plan does not say. */
export const UNPLANNED_PAUSE_MINUTES = 10;
/** Look this far ahead at most: beyond it the estimate is "very long" anyway. */
const HORIZON_MINUTES = 12 * 60;

/**
 * Expected minutes still to go for a customer in service for `elapsed` minutes, when a service
 * takes `mean` on average: a long service in progress is expected to go on a little longer
 * (service times are skewed), never to have ended already.
 */
export function expectedRemaining(mean: number, elapsed: number): number {
  if (elapsed <= mean) return Math.max(mean - elapsed, 0.35 * mean);
  return 0.35 * mean + 0.1 * (elapsed - mean);
}

/** The first minute at or after `t` the advisor can take a customer; Infinity when never (within the horizon). */
export function nextWorkingMinute(plan: readonly Window[] | null, t: number): number {
  if (plan === null) return t;
  for (const [from, to] of plan) {
    if (t < to) return Math.max(t, from);
  }
  return Infinity;
}

/** The hour of the day (0–23) of a minute of day, wrapping past midnight either way. */
export const hourAt = (minuteOfDay: number): number => Math.floor((((minuteOfDay % 1440) + 1440) % 1440) / 60);

/**
 * Mean and variance of the minutes one waiting customer holds an advisor: a mixture of a service
 * (observed mean and spread), a no-show's call and a cancellation (no time at all).
 */
export function holdMoments(model: QueueModel, minuteOfDay: number): { mean: number; variance: number } {
  const hour = hourAt(minuteOfDay);
  const service = model.serviceMinutesByHour[hour] ?? 0;
  const sd = model.serviceSdByHour[hour] ?? 0;
  const shows = 1 - model.cancelRate;
  const served = shows * (1 - model.noShowRate);
  const missing = shows * model.noShowRate;
  const mean = served * service + missing * model.noShowMinutes;
  const square = served * (service * service + sd * sd) + missing * model.noShowMinutes * model.noShowMinutes;
  return { mean, variance: Math.max(0, square - mean * mean) };
}

/** The variance of when an advisor can first take a customer, from their state now. */
export function firstFreeVariance(advisor: AdvisorState, queues: Readonly<Record<QueueType, QueueModel>>, minuteOfDay: number): number {
  const now = advisor.now;
  switch (now.kind) {
    case 'OFFLINE':
    case 'AVAILABLE':
      return 0;
    case 'PAUSED': {
      // A planned break ends about when planned; an unplanned one is a guess.
      const planned = advisor.plan !== null && nextWorkingMinute(advisor.plan, 0) > 0;
      return planned ? 1 : (UNPLANNED_PAUSE_MINUTES / 2) ** 2;
    }
    case 'SERVING': {
      const model = queues[now.queueType];
      const hour = hourAt(minuteOfDay);
      const mean = model.serviceMinutesByHour[hour] ?? QUEUES[now.queueType].averageMinutes;
      const sd = model.serviceSdByHour[hour] ?? 0;
      // What is left of a skewed service stays uncertain: at least half its spread, even late in it.
      const share = Math.min(1, Math.max(0.5, expectedRemaining(mean, now.minutesInService) / Math.max(mean, 1e-9)));
      return (share * sd) ** 2;
    }
  }
}

/** When each advisor can first take a new customer, from their real status now and their plan. */
export function firstFreeMinute(advisor: AdvisorState, queues: Readonly<Record<QueueType, QueueModel>>, minuteOfDay: number): number {
  const now = advisor.now;
  switch (now.kind) {
    case 'OFFLINE': {
      // Real status wins now; the plan says when they come (a shift that starts later).
      if (advisor.plan === null) return Infinity;
      const next = advisor.plan.find(([from]) => from > 0);
      return next ? next[0] : Infinity;
    }
    case 'AVAILABLE':
      return nextWorkingMinute(advisor.plan, 0);
    case 'PAUSED': {
      // On a planned break: back when the plan says, or later when it started late. An unplanned pause: a guess, then the plan.
      const planned = advisor.plan !== null && nextWorkingMinute(advisor.plan, 0) > 0;
      const onBreak = advisor.breaks?.find(([from, to]) => from <= 0 && to > 0);
      if (planned && onBreak) return nextWorkingMinute(advisor.plan, Math.max(0, onBreak[1] - onBreak[0] - now.minutesPaused));
      if (planned) return nextWorkingMinute(advisor.plan, 0);
      return nextWorkingMinute(advisor.plan, Math.max(1, UNPLANNED_PAUSE_MINUTES - now.minutesPaused));
    }
    case 'SERVING': {
      const mean = queues[now.queueType].serviceMinutesByHour[hourAt(minuteOfDay)] ?? QUEUES[now.queueType].averageMinutes;
      return afterHold(advisor, -Infinity, expectedRemaining(mean, now.minutesInService));
    }
  }
}

/**
 * When an advisor whose customer, taken at `start`, leaves at `end` can take the next one: a planned break
 * that began meanwhile starts only then, for its full length; otherwise the plan's next working minute.
 */
export function afterHold(advisor: AdvisorState, start: number, end: number): number {
  for (const [from, to] of advisor.breaks ?? []) {
    if (from > start && from < end) return nextWorkingMinute(advisor.plan, end + (to - from));
    if (from >= end) break;
  }
  return nextWorkingMinute(advisor.plan, end);
}

interface Pending {
  /** Real ticket ids still waiting, in call order, with the index of the next one. */
  ids: readonly number[];
  next: number;
  /** The next expected arrival (minutes from now), or Infinity. */
  nextArrival: number;
  arrivalCredit: number;
  /** Expected customers of this queue who came while their idle advisors were in fact busy (fractional). */
  spilled: number;
}
/** However loaded a queue, an advisor who has nothing to do now is not certainly busy when the next customer comes. */
const MAX_BUSY_SHARE = 0.9;

/** The next expected arrival after `t`: the fluid arrival curve reaching one more whole customer. */
function nextArrivalAfter(model: QueueModel, minuteOfDay: number, t: number, credit: number, minutesToClose: number): { at: number; credit: number } {
  let time = t;
  let owed = 1 - credit;
  while (time < Math.min(minutesToClose, HORIZON_MINUTES)) {
    const hour = hourAt(minuteOfDay + time);
    const perMinute = (model.arrivalsByHour[hour] ?? 0) / 60;
    const hourEnd = Math.min(Math.ceil((minuteOfDay + time + 1e-9) / 60) * 60 - minuteOfDay, minutesToClose);
    const span = hourEnd - time;
    if (perMinute > 0 && perMinute * span >= owed) return { at: time + owed / perMinute, credit: 0 };
    owed -= perMinute * span;
    time = hourEnd;
  }
  return { at: Infinity, credit: 0 };
}

/** When a waiting ticket is expected to be called (minutes from now, fractional), and how uncertain that is. */
export interface WaitForecast {
  expected: number;
  /** Standard deviation of the minutes to the call. */
  sd: number;
}

/**
 * Minutes until each waiting ticket is expected to be called (ticket id → minutes, fractional),
 * by replaying the branch: the advisor who is free first takes the next customer of the
 * highest-priority queue they serve, expected arrivals included.
 */
export function estimateBranch(state: BranchState): Map<number, number> {
  const out = new Map<number, number>();
  for (const [id, f] of forecastBranch(state)) out.set(id, f.expected);
  return out;
}

/**
 * The replay of estimateBranch with the variance of each call: every advisor carries the variance
 * of when they are next free (the services in their chain add up); a customer is called by
 * whichever of the n advisors who serve the queue is free first, and n parallel chains move a line
 * n times faster with 1/n² of the variance of one: the call's variance is the mean of their chains' ÷ n.
 * With `until`, the replay stops at that ticket's call (its forecast is the same as the full replay's).
 */
export function forecastBranch(state: BranchState, until?: number): Map<number, WaitForecast> {
  const result = new Map<number, WaitForecast>();
  const pending = new Map<QueueType, Pending>();
  let remaining = 0;
  for (const queue of QUEUE_TYPES) {
    const ids = state.waiting[queue] ?? [];
    remaining += ids.length;
    const first = nextArrivalAfter(state.queues[queue], state.minuteOfDay, 0, 0.5, state.minutesToClose);
    pending.set(queue, { ids, next: 0, nextArrival: first.at, arrivalCredit: 0, spilled: 0 });
  }
  if (remaining === 0) return result;

  // Queues each advisor serves, highest priority first.
  const advisors = state.advisors
    .map((a) => {
      const freeAt = firstFreeMinute(a, state.queues, state.minuteOfDay);
      // Who is working now (or will be) and when they last finish: where overtime starts.
      const present = a.now.kind !== 'OFFLINE' || Number.isFinite(freeAt);
      const unplanned = firstFreeMinute({ ...a, plan: null }, state.queues, state.minuteOfDay);
      const variance = firstFreeVariance(a, state.queues, state.minuteOfDay);
      return {
        state: a,
        queues: [...a.queues].sort((x, y) => QUEUES[y].priority - QUEUES[x].priority),
        freeAt,
        lastBusy: present ? (Number.isFinite(unplanned) ? unplanned : freeAt) : Infinity,
        variance,
        lastVariance: variance,
        /** Waiting for an expected arrival, with nothing else to do. */
        idle: false,
        busyShare: 0,
      };
    })
    .filter((a) => a.queues.length > 0);
  const servers = new Map<QueueType, typeof advisors>(QUEUE_TYPES.map((q) => [q, advisors.filter((a) => a.queues.includes(q))]));
  // How busy each advisor is kept by arrivals alone (the load of each queue they serve, shared by its servers).
  const loadPerServer = new Map<QueueType, number>();
  for (const queue of QUEUE_TYPES) {
    const model = state.queues[queue];
    const perMinute = (model.arrivalsByHour[hourAt(state.minuteOfDay)] ?? 0) / 60;
    const present = servers.get(queue)!.filter((a) => Number.isFinite(a.freeAt)).length;
    loadPerServer.set(queue, present > 0 ? (perMinute * holdMoments(model, state.minuteOfDay).mean) / present : 0);
  }
  for (const a of advisors) a.busyShare = Math.min(MAX_BUSY_SHARE, a.queues.reduce((sum, q) => sum + loadPerServer.get(q)!, 0));
  let overtime = false;
  const working = (a: (typeof advisors)[number], t: number) => (overtime ? t : nextWorkingMinute(a.state.plan, t));
  /**
   * The variance of a call of `queue` made now: the chains of everyone who will serve it, in parallel, as they
   * stand (a service another advisor has just begun counts too: a slight over-count that stands for what the
   * replay leaves out — who of several busy advisors frees first, customers who will jump ahead).
   */
  const callVariance = (queue: QueueType, chosen: (typeof advisors)[number]): number => {
    let sum = 0;
    let n = 0;
    for (const a of servers.get(queue)!) {
      if (!Number.isFinite(a.freeAt)) continue;
      sum += a.variance;
      n++;
    }
    return n > 0 ? sum / (n * n) : chosen.variance;
  };

  while (remaining > 0) {
    let chosen: (typeof advisors)[number] | undefined;
    for (const a of advisors) if (a.freeAt < (chosen?.freeAt ?? Infinity)) chosen = a;
    if (!chosen || chosen.freeAt > HORIZON_MINUTES) {
      // Customers still inside when the plan ends are served all the same (as at closing time):
      // whoever worked carries on from their last customer.
      if (overtime) break;
      overtime = true;
      for (const a of advisors) {
        a.freeAt = a.lastBusy;
        a.variance = a.lastVariance;
      }
      continue;
    }
    const t = chosen.freeAt;

    // The highest-priority queue with someone here at t: a waiting ticket or an arrival by then.
    let served: { queue: QueueType; real: boolean; share: number } | null = null;
    let earliestArrival = Infinity;
    for (const queue of chosen.queues) {
      const p = pending.get(queue)!;
      if (p.next < p.ids.length) {
        served = { queue, real: true, share: 1 };
        // An expected arrival of this queue that came before the real ticket is behind it anyway.
        break;
      }
      if (p.spilled > 1e-6) {
        served = { queue, real: false, share: Math.min(1, p.spilled) };
        p.spilled -= served.share;
        break;
      }
      if (p.nextArrival <= t) {
        served = { queue, real: false, share: 1 };
        if (chosen.idle) {
          // In the replay an idle advisor takes the arrival; in a real day they are often busy then (arrivals
          // bunch), and the customer goes to whoever is free next — maybe a shared advisor with a line of
          // lower-priority customers. The chance all idle servers are busy is spilled to the next one free.
          let busy = 1;
          for (const a of servers.get(queue)!) if (a.idle && a.freeAt <= t + 1e-9) busy *= a.busyShare;
          served.share = 1 - busy;
          p.spilled += busy;
        }
        const following = nextArrivalAfter(state.queues[queue], state.minuteOfDay, p.nextArrival, 0, state.minutesToClose);
        p.nextArrival = following.at;
        break;
      }
      earliestArrival = Math.min(earliestArrival, p.nextArrival);
    }
    if (!served) {
      // Nobody for this advisor now: they wait for the next arrival of a queue they serve, or are done.
      chosen.freeAt = earliestArrival === Infinity ? Infinity : working(chosen, earliestArrival);
      chosen.idle = true;
      continue;
    }
    chosen.idle = false;
    const p = pending.get(served.queue)!;
    const model = state.queues[served.queue];
    const hold = holdMoments(model, state.minuteOfDay + t);
    let added = hold.variance;
    if (served.real) {
      const id = p.ids[p.next]!;
      result.set(id, { expected: t, sd: Math.sqrt(callVariance(served.queue, chosen)) });
      // Only one ticket's call wanted: the replay after it cannot change it (nothing looks ahead).
      if (id === until) return result;
      p.next++;
      remaining--;
    } else {
      // An expected arrival may not come at all, or come twice (Poisson): its whole hold is uncertain.
      added = served.share * (hold.variance + hold.mean * hold.mean);
    }
    // Higher-priority arrivals that came while this queue had real tickets are still pending above.
    chosen.lastBusy = t + served.share * hold.mean;
    chosen.variance += added;
    chosen.lastVariance = chosen.variance;
    chosen.freeAt = overtime ? chosen.lastBusy : afterHold(chosen.state, t, chosen.lastBusy);
  }
  if (until !== undefined) {
    // Not called within the horizon: only that ticket is asked about.
    if (!result.has(until)) result.set(until, { expected: Infinity, sd: Infinity });
    return result;
  }
  for (const queue of QUEUE_TYPES) {
    const p = pending.get(queue)!;
    for (let i = p.next; i < p.ids.length; i++) result.set(p.ids[i]!, { expected: Infinity, sd: Infinity });
  }
  return result;
}

/**
 * The minutes promised for a forecast: the expected wait, in whole minutes. (The median of a lognormal
 * wait with that spread was tried: lateBy5 a little lower, MAE the same, no goal changed; the mean stays.)
 */
export function promiseOf(forecast: WaitForecast): number {
  const { expected } = forecast;
  if (!Number.isFinite(expected)) return 999;
  return Math.min(999, Math.max(0, Math.round(expected)));
}
