import { describe, expect, it } from 'vitest';
import { QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';
import {
  estimateBranch,
  expectedRemaining,
  forecastBranch,
  holdMoments,
  promiseOf,
  UNPLANNED_PAUSE_MINUTES,
  type AdvisorState,
  type BranchState,
  type QueueModel,
} from '../../src/modules/estimates/estimator.js';
import { comeBackDue } from '../../src/modules/estimates/queue-hook.js';
import { planWindows } from '../../src/modules/staff-plan/plan-time.js';

/** A queue whose customers always take `minutes` (no spread), nobody cancels or fails to show, nobody else arrives. */
const model = (minutes: number, extra: Partial<QueueModel> = {}): QueueModel => ({
  serviceMinutesByHour: Array.from({ length: 24 }, () => minutes),
  serviceSdByHour: Array.from({ length: 24 }, () => 0),
  cancelRate: 0,
  noShowRate: 0,
  noShowMinutes: 2,
  arrivalsByHour: Array.from({ length: 24 }, () => 0),
  ...extra,
});

function branch(waiting: Partial<Record<QueueType, number[]>>, advisors: AdvisorState[], queues: Partial<Record<QueueType, QueueModel>> = {}): BranchState {
  return {
    minuteOfDay: 10 * 60,
    waiting: Object.fromEntries(QUEUE_TYPES.map((q) => [q, waiting[q] ?? []])) as Record<QueueType, number[]>,
    advisors,
    queues: Object.fromEntries(QUEUE_TYPES.map((q) => [q, queues[q] ?? model(q === 'CAJA' ? 5 : 15)])) as Record<QueueType, QueueModel>,
    minutesToClose: 8 * 60,
  };
}

const available = (id: number, queues: QueueType[], plan: AdvisorState['plan'] = null): AdvisorState => ({
  id,
  queues,
  now: { kind: 'AVAILABLE' },
  plan,
});

describe('the wait-time estimator', () => {
  it('calls the first customers at once when advisors are free, then one service per advisor', () => {
    const estimates = estimateBranch(branch({ CAJA: [1, 2, 3, 4] }, [available(1, ['CAJA']), available(2, ['CAJA'])]));
    expect([...estimates.values()]).toEqual([0, 0, 5, 5]);
  });

  it('does not count a paused advisor until the planned break ends', () => {
    // Advisor 2 is on a planned break until 10:20 (plan windows in minutes from 10:00).
    const paused: AdvisorState = { id: 2, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 5 }, plan: [[20, 480]] };
    const serving: AdvisorState = { id: 1, queues: ['CAJA'], now: { kind: 'SERVING', queueType: 'CAJA', minutesInService: 0 }, plan: null };
    const estimates = estimateBranch(branch({ CAJA: [1, 2, 3, 4, 5] }, [serving, paused]));
    // Only advisor 1 works until minute 20: customers at 5, 10, 15, then both from 20.
    expect([...estimates.values()]).toEqual([5, 10, 15, 20, 20]);
  });

  it('expects an unplanned pause to end after a while', () => {
    const paused: AdvisorState = { id: 1, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 4 }, plan: null };
    expect(estimateBranch(branch({ CAJA: [1] }, [paused])).get(1)).toBe(UNPLANNED_PAUSE_MINUTES - 4);
  });

  it('shares an advisor between queues by priority: the higher queue first, the lower waits', () => {
    // One advisor serves both; a PERSONAL_BANKER customer (priority 2) goes before the CAJA one.
    const estimates = estimateBranch(
      branch({ CAJA: [1], PERSONAL_BANKER: [2] }, [{ id: 1, queues: ['CAJA', 'PERSONAL_BANKER'], now: { kind: 'SERVING', queueType: 'CAJA', minutesInService: 5 }, plan: null }]),
    );
    const remaining = expectedRemaining(5, 5);
    expect(estimates.get(2)).toBeCloseTo(remaining);
    expect(estimates.get(1)).toBeCloseTo(remaining + 15);
  });

  it('puts GERENCIA arrivals still to come ahead of a waiting CAJA customer on a shared advisor', () => {
    const shared = available(1, ['CAJA', 'GERENCIA']);
    const caja = [1, 2, 3, 4, 5, 6, 7];
    const quiet = estimateBranch(branch({ CAJA: caja }, [shared]));
    expect(quiet.get(7)).toBe(30);
    // One GERENCIA customer an hour: the first is expected at minute 30 (half an hour's worth due).
    const gerencia = model(30, { arrivalsByHour: Array.from({ length: 24 }, () => 1) });
    const withArrivals = estimateBranch(branch({ CAJA: caja }, [shared], { GERENCIA: gerencia }));
    expect(withArrivals.get(6)).toBe(25);
    // At minute 30 the GERENCIA arrival goes first (30–60): the seventh CAJA customer waits for it.
    expect(withArrivals.get(7)).toBe(60);
  });

  it('counts the time a long service has already taken: not over yet, but not a full service either', () => {
    expect(expectedRemaining(15, 0)).toBe(15);
    expect(expectedRemaining(15, 10)).toBe(5.25); // at least 35 % of a service is still expected
    expect(expectedRemaining(15, 40)).toBeCloseTo(0.35 * 15 + 0.1 * 25);
    const longService: AdvisorState = { id: 1, queues: ['PERSONAL_BANKER'], now: { kind: 'SERVING', queueType: 'PERSONAL_BANKER', minutesInService: 40 }, plan: null };
    expect(estimateBranch(branch({ PERSONAL_BANKER: [7] }, [longService])).get(7)).toBeCloseTo(7.75);
  });

  it('expects fewer minutes per customer ahead when some cancel or fail to show', () => {
    const lean = model(10, { cancelRate: 0.2, noShowRate: 0.1, noShowMinutes: 2 });
    const estimates = estimateBranch(branch({ CAJA: [1, 2] }, [{ id: 1, queues: ['CAJA'], now: { kind: 'SERVING', queueType: 'CAJA', minutesInService: 0 }, plan: null }], { CAJA: lean }));
    // Remaining 10, then one customer ahead: 0.8 × (0.9 × 10 + 0.1 × 2) = 7.36.
    expect(estimates.get(2)).toBeCloseTo(10 + 7.36);
  });

  it('brings in an advisor whose shift starts later, and stops one whose shift ends', () => {
    const later: AdvisorState = { id: 2, queues: ['CAJA'], now: { kind: 'OFFLINE' }, plan: [[30, 480]] };
    const leaving = available(1, ['CAJA'], [[-60, 10]]);
    const estimates = estimateBranch(branch({ CAJA: [1, 2, 3, 4] }, [leaving, later]));
    expect([...estimates.values()]).toEqual([0, 5, 30, 35]);
  });

  it('promises the expected wait in whole minutes', () => {
    expect(promiseOf({ expected: 0, sd: 0 })).toBe(0);
    expect(promiseOf({ expected: 30, sd: 8 })).toBe(30);
    expect(promiseOf({ expected: 13.5, sd: 2 })).toBe(14); // rounds half up
    expect(promiseOf({ expected: Infinity, sd: Infinity })).toBe(999);
  });

  it('turns a shift with a break into working windows from now', () => {
    expect(planWindows([{ from: '09:00', to: '14:00' }], [{ from: '11:30', minutes: 20 }], 10 * 60)).toEqual([
      [-60, 90],
      [110, 240],
    ]);
  });

  it('sends the come-back notice when the expected wait less its margin (1.3 sd, between 2 and 6 minutes) reaches the lead', () => {
    // expected − min(6, max(2, 1.3 × sd)) ≤ lead
    expect(comeBackDue(13, 10, 1)).toBe(false); // 13 − 2 = 11: a sure wait keeps the customer away a little longer
    expect(comeBackDue(12, 10, 1)).toBe(true); // 12 − 2 = 10
    expect(comeBackDue(16, 10, 5)).toBe(true); // 16 − 6 = 10: an uncertain one calls them back earlier
    expect(comeBackDue(16.5, 10, 5)).toBe(false); // 16.5 − 6 = 10.5
    expect(comeBackDue(40, 30, 8)).toBe(false); // 40 − 6 = 34: capped, not 10.4 (told 30 minutes early far too often)
    expect(comeBackDue(36, 30, 20)).toBe(true); // 36 − 6 = 30
    expect(comeBackDue(14, 30, 0)).toBe(true);
    expect(comeBackDue(Infinity, 30, Infinity)).toBe(false);
  });
});

describe('the uncertainty of the wait', () => {
  const spread = (minutes: number, sd: number, extra: Partial<QueueModel> = {}) =>
    model(minutes, { serviceSdByHour: Array.from({ length: 24 }, () => sd), ...extra });

  it('adds up the spread of the services ahead on one advisor: n customers, √n times one', () => {
    const one = available(1, ['CAJA']);
    const f = forecastBranch(branch({ CAJA: [1, 2, 3, 4, 5] }, [one], { CAJA: spread(5, 2) }));
    expect(f.get(1)).toEqual({ expected: 0, sd: 0 });
    expect(f.get(5)!.expected).toBe(20);
    expect(f.get(5)!.sd).toBeCloseTo(Math.sqrt(4 * 4)); // four services of sd 2 ahead
  });

  it('moves a line n times faster with n advisors, and 1/n² of the variance', () => {
    const f = forecastBranch(branch({ CAJA: [1, 2, 3, 4, 5, 6] }, [available(1, ['CAJA']), available(2, ['CAJA'])], { CAJA: spread(5, 2) }));
    // The sixth is called after two services on each advisor: 10 minutes. Variance: the two chains as they
    // stand, 2 and 3 services of variance 4 (advisor 1 has just begun the fifth), ÷ 2².
    expect(f.get(6)!.expected).toBe(10);
    expect(f.get(6)!.sd).toBeCloseTo(Math.sqrt((8 + 12) / 4));
    // One advisor alone: the sixth after five services, the variance of all five.
    const alone = forecastBranch(branch({ CAJA: [1, 2, 3, 4, 5, 6] }, [available(1, ['CAJA'])], { CAJA: spread(5, 2) }));
    expect(alone.get(6)).toEqual({ expected: 25, sd: Math.sqrt(5 * 4) });
  });

  it('keeps part of the spread of a long service in progress: it may end any minute, or go on', () => {
    const inService = (minutes: number): AdvisorState => ({
      id: 1,
      queues: ['PERSONAL_BANKER'],
      now: { kind: 'SERVING', queueType: 'PERSONAL_BANKER', minutesInService: minutes },
      plan: null,
    });
    const after = (minutes: number) => forecastBranch(branch({ PERSONAL_BANKER: [7] }, [inService(minutes)], { PERSONAL_BANKER: spread(15, 6) })).get(7)!;
    expect(after(0)).toEqual({ expected: 15, sd: 6 });
    // 10 minutes in: 5.25 expected, and at least half of one service's spread.
    expect(after(10).expected).toBeCloseTo(5.25);
    expect(after(10).sd).toBeCloseTo(3);
    // 40 minutes in (far past the mean): 7.75 expected, the spread in proportion.
    expect(after(40).expected).toBeCloseTo(7.75);
    expect(after(40).sd).toBeCloseTo((6 * 7.75) / 15);
  });

  it('knows when a planned break ends, and only guesses an unplanned pause', () => {
    const planned: AdvisorState = { id: 1, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 5 }, plan: [[20, 480]] };
    const unplanned: AdvisorState = { id: 1, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 4 }, plan: null };
    const onBreak = forecastBranch(branch({ CAJA: [1] }, [planned], { CAJA: spread(5, 2) })).get(1)!;
    const guessed = forecastBranch(branch({ CAJA: [1] }, [unplanned], { CAJA: spread(5, 2) })).get(1)!;
    expect(onBreak).toEqual({ expected: 20, sd: 1 });
    expect(guessed.expected).toBe(UNPLANNED_PAUSE_MINUTES - 4);
    expect(guessed.sd).toBe(UNPLANNED_PAUSE_MINUTES / 2);
  });

  it('counts a break that comes during a service from when the customer leaves ("finish and pause")', () => {
    // Serving a 15-minute customer just begun; a 30-minute break is planned from minute 10 to 40.
    const serving: AdvisorState = {
      id: 1,
      queues: ['PERSONAL_BANKER'],
      now: { kind: 'SERVING', queueType: 'PERSONAL_BANKER', minutesInService: 0 },
      plan: [
        [-60, 10],
        [40, 480],
      ],
      breaks: [[10, 40]],
    };
    // Free at 15, then the break's full 30 minutes: the next customer at 45, not at 40.
    expect(estimateBranch(branch({ PERSONAL_BANKER: [1] }, [serving])).get(1)).toBe(45);
    // Without the breaks (a plan only), the plan's end of the break.
    expect(estimateBranch(branch({ PERSONAL_BANKER: [1] }, [{ ...serving, breaks: undefined }])).get(1)).toBe(40);
  });

  it('expects a pause that started late to last its full length', () => {
    // On the break planned for 10:00–10:30 since 10:05 (it began after a customer): back at 10:35.
    const paused: AdvisorState = { id: 1, queues: ['CAJA'], now: { kind: 'PAUSED', minutesPaused: 0 }, plan: [[25, 480]], breaks: [[-5, 25]] };
    const state = { ...branch({ CAJA: [1] }, [paused]) };
    expect(estimateBranch(state).get(1)).toBe(30);
  });

  it('mixes services, no-shows and cancellations into what one customer holds an advisor', () => {
    const m = model(10, { serviceSdByHour: Array.from({ length: 24 }, () => 4), cancelRate: 0.2, noShowRate: 0.1, noShowMinutes: 2 });
    const { mean, variance } = holdMoments(m, 600);
    expect(mean).toBeCloseTo(0.8 * (0.9 * 10 + 0.1 * 2));
    const square = 0.8 * 0.9 * (100 + 16) + 0.8 * 0.1 * 4;
    expect(variance).toBeCloseTo(square - mean * mean);
  });

  it('sends a higher-priority arrival to a shared advisor when the idle one may well be busy then', () => {
    // Advisor 1 serves only GERENCIA and has nothing to do; advisor 2 serves CAJA and GERENCIA and has a CAJA line.
    const gerencia = model(30, { arrivalsByHour: Array.from({ length: 24 }, () => 1.5) }); // 1.5 an hour × 30 min: busy 75 %
    const caja = [1, 2, 3, 4, 5, 6, 7, 8];
    const advisors = [available(1, ['GERENCIA']), available(2, ['CAJA', 'GERENCIA'])];
    const withArrivals = estimateBranch(branch({ CAJA: caja }, advisors, { GERENCIA: gerencia }));
    const without = estimateBranch(branch({ CAJA: caja }, advisors));
    expect(without.get(8)).toBe(35);
    // The first GERENCIA arrival (minute 20) finds advisor 1 idle in the replay; in a real day GERENCIA's load
    // (0.75) keeps each of its two advisors busy 37.5 % of the time, so that share of it falls to advisor 2,
    // free at 20: the last CAJA customer waits 0.375 × 30 more.
    expect(withArrivals.get(8)).toBeCloseTo(35 + 0.375 * 30);
    // Without the shared advisor's line in the way (CAJA empty), the idle advisor simply takes it.
    expect(estimateBranch(branch({ GERENCIA: [9] }, advisors, { GERENCIA: gerencia })).get(9)).toBe(0);
  });
});
