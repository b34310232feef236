import { QUEUE_TYPES, QUEUES, type QueueType } from '../../domain/queue-types.js';

/*
 * The wait-time estimator (SPEC §13), a pure function of a branch's state: no I/O, no clock.
 * It replays the coming hours of the branch with expected values — who serves what and when
 * (real status now, the staff plan after), how long each customer ahead will take (observed
 * service times per queue and hour, cancellations and no-shows), GERENCIA-first across queues,
 * and the higher-priority customers still to arrive — and reads off when each waiting ticket
 * will be called.
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
}

export interface QueueModel {
  /** Expected minutes an advisor is busy with one customer who shows up, by hour of day (0–23). */
  serviceMinutesByHour: number[];
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

const hourAt = (minuteOfDay: number): number => Math.floor((((minuteOfDay % 1440) + 1440) % 1440) / 60);

/** Expected minutes one waiting customer of a queue holds an advisor, counting cancels and no-shows. */
export function expectedHold(model: QueueModel, minuteOfDay: number): number {
  const service = model.serviceMinutesByHour[hourAt(minuteOfDay)] ?? 0;
  const shows = 1 - model.cancelRate;
  return shows * ((1 - model.noShowRate) * service + model.noShowRate * model.noShowMinutes);
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
      // On a planned break: back when the plan says. An unplanned pause: a guess, then the plan.
      const planned = advisor.plan !== null && nextWorkingMinute(advisor.plan, 0) > 0;
      if (planned) return nextWorkingMinute(advisor.plan, 0);
      return nextWorkingMinute(advisor.plan, Math.max(1, UNPLANNED_PAUSE_MINUTES - now.minutesPaused));
    }
    case 'SERVING': {
      const mean = queues[now.queueType].serviceMinutesByHour[hourAt(minuteOfDay)] ?? QUEUES[now.queueType].averageMinutes;
      return nextWorkingMinute(advisor.plan, expectedRemaining(mean, now.minutesInService));
    }
  }
}

interface Pending {
  /** Real ticket ids still waiting, in call order, with the index of the next one. */
  ids: readonly number[];
  next: number;
  /** The next expected arrival (minutes from now), or Infinity. */
  nextArrival: number;
  arrivalCredit: number;
}

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

/**
 * Minutes until each waiting ticket is expected to be called (ticket id → minutes, fractional),
 * by replaying the branch: the advisor who is free first takes the next customer of the
 * highest-priority queue they serve, expected arrivals included.
 */
export function estimateBranch(state: BranchState): Map<number, number> {
  const result = new Map<number, number>();
  const pending = new Map<QueueType, Pending>();
  let remaining = 0;
  for (const queue of QUEUE_TYPES) {
    const ids = state.waiting[queue] ?? [];
    remaining += ids.length;
    const first = nextArrivalAfter(state.queues[queue], state.minuteOfDay, 0, 0.5, state.minutesToClose);
    pending.set(queue, { ids, next: 0, nextArrival: first.at, arrivalCredit: 0 });
  }
  if (remaining === 0) return result;

  // Queues each advisor serves, highest priority first.
  const advisors = state.advisors
    .map((a) => {
      const freeAt = firstFreeMinute(a, state.queues, state.minuteOfDay);
      // Who is working now (or will be) and when they last finish: where overtime starts.
      const present = a.now.kind !== 'OFFLINE' || Number.isFinite(freeAt);
      const unplanned = firstFreeMinute({ ...a, plan: null }, state.queues, state.minuteOfDay);
      return {
        state: a,
        queues: [...a.queues].sort((x, y) => QUEUES[y].priority - QUEUES[x].priority),
        freeAt,
        lastBusy: present ? (Number.isFinite(unplanned) ? unplanned : freeAt) : Infinity,
      };
    })
    .filter((a) => a.queues.length > 0);
  let overtime = false;
  const working = (a: (typeof advisors)[number], t: number) => (overtime ? t : nextWorkingMinute(a.state.plan, t));

  while (remaining > 0) {
    let chosen: (typeof advisors)[number] | undefined;
    for (const a of advisors) if (a.freeAt < (chosen?.freeAt ?? Infinity)) chosen = a;
    if (!chosen || chosen.freeAt > HORIZON_MINUTES) {
      // Customers still inside when the plan ends are served all the same (as at closing time):
      // whoever worked carries on from their last customer.
      if (overtime) break;
      overtime = true;
      for (const a of advisors) a.freeAt = a.lastBusy;
      continue;
    }
    const t = chosen.freeAt;

    // The highest-priority queue with someone here at t: a waiting ticket or an arrival by then.
    let served: { queue: QueueType; real: boolean } | null = null;
    let earliestArrival = Infinity;
    for (const queue of chosen.queues) {
      const p = pending.get(queue)!;
      if (p.next < p.ids.length) {
        served = { queue, real: true };
        // An expected arrival of this queue that came before the real ticket is behind it anyway.
        break;
      }
      if (p.nextArrival <= t) {
        served = { queue, real: false };
        break;
      }
      earliestArrival = Math.min(earliestArrival, p.nextArrival);
    }
    if (!served) {
      // Nobody for this advisor now: they wait for the next arrival of a queue they serve, or are done.
      chosen.freeAt = earliestArrival === Infinity ? Infinity : working(chosen, earliestArrival);
      continue;
    }
    const p = pending.get(served.queue)!;
    const model = state.queues[served.queue];
    if (served.real) {
      result.set(p.ids[p.next]!, t);
      p.next++;
      remaining--;
    } else {
      const following = nextArrivalAfter(model, state.minuteOfDay, p.nextArrival, 0, state.minutesToClose);
      p.nextArrival = following.at;
    }
    // Higher-priority arrivals that came while this queue had real tickets are still pending above.
    chosen.lastBusy = t + expectedHold(model, state.minuteOfDay + t);
    chosen.freeAt = working(chosen, chosen.lastBusy);
  }
  for (const queue of QUEUE_TYPES) {
    const p = pending.get(queue)!;
    for (let i = p.next; i < p.ids.length; i++) result.set(p.ids[i]!, Infinity);
  }
  return result;
}

/** The minutes shown to a customer for an expected wait: whole minutes, bounded. */
export function shownMinutes(expected: number): number {
  if (!Number.isFinite(expected)) return 999;
  return Math.min(999, Math.max(0, Math.round(expected * SHOWN_SHARE)));
}

/**
 * The promise as a share of the expected wait. 1: a 90 % promise (waits are skewed) did better before
 * the floor's rules (walk to the desk, recalls) lengthened each call, and worse after; kept as a knob.
 */
export const SHOWN_SHARE = 1;
