import { describe, expect, it } from 'vitest';
import { QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';
import {
  estimateBranch,
  expectedRemaining,
  UNPLANNED_PAUSE_MINUTES,
  type AdvisorState,
  type BranchState,
  type QueueModel,
} from '../../src/modules/estimates/estimator.js';
import { comeBackDue } from '../../src/modules/estimates/queue-hook.js';
import { shownMinutes } from '../../src/modules/estimates/estimator.js';
import { planWindows } from '../../src/modules/staff-plan/plan-time.js';

/** A queue whose customers always take `minutes`, nobody cancels or fails to show, nobody else arrives. */
const model = (minutes: number, extra: Partial<QueueModel> = {}): QueueModel => ({
  serviceMinutesByHour: Array.from({ length: 24 }, () => minutes),
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
    expect(shownMinutes(0)).toBe(0);
    expect(shownMinutes(30)).toBe(30);
    expect(shownMinutes(13.5)).toBe(14); // rounds half up
    expect(shownMinutes(Infinity)).toBe(999);
  });

  it('turns a shift with a break into working windows from now', () => {
    expect(planWindows([{ from: '09:00', to: '14:00' }], [{ from: '11:30', minutes: 20 }], 10 * 60)).toEqual([
      [-60, 90],
      [110, 240],
    ]);
  });

  it('sends the come-back notice while an optimistic reading of the wait reaches the lead', () => {
    expect(comeBackDue(13, 10)).toBe(true); // 13 − max(4, 4.55) = 8.45
    expect(comeBackDue(16, 10)).toBe(false); // 16 − 5.6 = 10.4
    expect(comeBackDue(40, 30)).toBe(true); // 40 − 14 = 26
    expect(comeBackDue(47, 30)).toBe(false); // 47 − 16.45 = 30.55
    expect(comeBackDue(14, 30)).toBe(true);
  });
});
