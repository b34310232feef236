import { describe, expect, it } from 'vitest';
import { QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';
import type { AdvisorState, BranchState, QueueModel } from '../../src/modules/estimates/estimator.js';
import { quantileOf, seedOf, simulateCallTimes } from '../../src/modules/estimates/monte-carlo.js';

/** A queue whose services take `minutes` with spread `sd`, nobody cancels or fails to show, nobody else arrives. */
const model = (minutes: number, sd = 0, extra: Partial<QueueModel> = {}): QueueModel => ({
  serviceMinutesByHour: Array.from({ length: 24 }, () => minutes),
  serviceSdByHour: Array.from({ length: 24 }, () => sd),
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

const available = (id: number, queues: QueueType[], extra: Partial<AdvisorState> = {}): AdvisorState => ({
  id,
  queues,
  now: { kind: 'AVAILABLE' },
  plan: null,
  ...extra,
});

/** Erlang(k, rate) distribution function: the sum of k exponential services. */
const erlangCdf = (k: number, rate: number, t: number): number => {
  let term = 1;
  let sum = 0;
  for (let i = 0; i < k; i++) {
    if (i > 0) term *= (rate * t) / i;
    sum += term;
  }
  return 1 - Math.exp(-rate * t) * sum;
};
const inverse = (cdf: (t: number) => number, p: number): number => {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
};
/** Standard normal quantile (Acklam's rational approximation is more than enough here: bisection on erf). */
const normalQuantile = (p: number): number => {
  const erf = (x: number): number => {
    // Abramowitz–Stegun 7.1.26
    const t = 1 / (1 + 0.3275911 * Math.abs(x));
    const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return x >= 0 ? y : -y;
  };
  return inverse((z) => 0.5 * (1 + erf((z - 50) / Math.SQRT2)), p) - 50;
};

describe('the branch Monte-Carlo', () => {
  it('one advisor, exponential services: the fourth in line is called after an Erlang(3) time', () => {
    const state = branch({ CAJA: [1, 2, 3, 4] }, [available(1, ['CAJA'])], { CAJA: model(5, 5) });
    const samples = simulateCallTimes(state, [1, 4], { samples: 20_000, seed: 7, serviceShape: 'exponential' });
    expect(quantileOf(samples.get(1)!, 0.99)).toBe(0);
    for (const p of [0.1, 0.25, 0.5, 0.75, 0.9]) {
      const analytic = inverse((t) => erlangCdf(3, 1 / 5, t), p);
      expect(Math.abs(quantileOf(samples.get(4)!, p) - analytic) / analytic).toBeLessThan(0.04);
    }
  });

  it('one lognormal service ahead: the quantiles of that lognormal', () => {
    const state = branch({ CAJA: [1, 2] }, [available(1, ['CAJA'])], { CAJA: model(8, 4) });
    const sorted = simulateCallTimes(state, [2], { samples: 20_000, seed: 11 }).get(2)!;
    const sigma2 = Math.log(1 + 16 / 64);
    const mu = Math.log(8) - sigma2 / 2;
    for (const p of [0.1, 0.5, 0.9]) {
      const analytic = Math.exp(mu + Math.sqrt(sigma2) * normalQuantile(p));
      expect(Math.abs(quantileOf(sorted, p) - analytic) / analytic).toBeLessThan(0.03);
    }
  });

  it('higher-priority customers arrive at the learned rate and go ahead on a shared advisor', () => {
    // One advisor for GERENCIA and CAJA: CAJA's second is called at 5 unless a GERENCIA customer (6 an hour)
    // came in those 5 minutes: P = e^(−0.5).
    const gerencia = model(15, 0, { arrivalsByHour: Array.from({ length: 24 }, () => 6) });
    const state = branch({ CAJA: [1, 2] }, [available(1, ['GERENCIA', 'CAJA'])], { GERENCIA: gerencia, CAJA: model(5) });
    const sorted = simulateCallTimes(state, [2], { samples: 20_000, seed: 3 }).get(2)!;
    const onTime = sorted.filter((t) => Math.abs(t - 5) < 1e-9).length / sorted.length;
    expect(Math.abs(onTime - Math.exp(-0.5))).toBeLessThan(0.015);
    expect(quantileOf(sorted, 0.9)).toBeGreaterThanOrEqual(20);
  });

  it('people ahead fail to show or cancel at the learned rates', () => {
    const noShows = branch({ CAJA: [1, 2] }, [available(1, ['CAJA'])], { CAJA: model(10, 0, { noShowRate: 0.5, noShowMinutes: 2 }) });
    const a = simulateCallTimes(noShows, [2], { samples: 10_000, seed: 5 }).get(2)!;
    expect(a.filter((t) => t === 2).length / a.length).toBeCloseTo(0.5, 1);
    expect(a.filter((t) => t !== 2 && t !== 10)).toHaveLength(0);
    const cancels = branch({ CAJA: [1, 2] }, [available(1, ['CAJA'])], { CAJA: model(10, 0, { cancelRate: 0.5 }) });
    const b = simulateCallTimes(cancels, [2], { samples: 10_000, seed: 5 }).get(2)!;
    // The first one is called at once: only a customer still waiting when called may have gone.
    expect(b.every((t) => t === 0 || t === 10)).toBe(true);
  });

  it('follows the staff plan: a break that comes while serving starts when that customer leaves', () => {
    const advisor = available(1, ['CAJA'], { plan: [[0, 5], [20, 480]], breaks: [[5, 20]] });
    const sorted = simulateCallTimes(branch({ CAJA: [1, 2] }, [advisor], { CAJA: model(10) }), [2], { samples: 50, seed: 1 }).get(2)!;
    expect([...new Set(sorted)]).toEqual([25]);
    // An advisor who comes at minute 30 by the plan.
    const later: AdvisorState = { id: 2, queues: ['CAJA'], now: { kind: 'OFFLINE' }, plan: [[30, 480]] };
    expect([...simulateCallTimes(branch({ CAJA: [1] }, [later]), [1], { samples: 10, seed: 1 }).get(1)!]).toEqual(Array(10).fill(30));
  });

  it('is deterministic for a seed, and draws for only the tickets asked about', () => {
    const state = branch({ CAJA: [1, 2, 3, 4, 5] }, [available(1, ['CAJA']), available(2, ['CAJA'])], { CAJA: model(5, 3) });
    const one = simulateCallTimes(state, [5, 99], { samples: 100, seed: seedOf('Centro', 1_780_000_000_000) });
    const two = simulateCallTimes(state, [5, 99], { samples: 100, seed: seedOf('Centro', 1_780_000_000_000) });
    expect([...one.keys()]).toEqual([5]);
    expect([...one.get(5)!]).toEqual([...two.get(5)!]);
    const other = simulateCallTimes(state, [5], { samples: 100, seed: seedOf('Centro', 1_780_000_030_000) });
    expect([...other.get(5)!]).not.toEqual([...one.get(5)!]);
  });

  it('leaves a ticket nobody will serve at Infinity', () => {
    const sorted = simulateCallTimes(branch({ EMPRESAS: [1] }, [available(1, ['CAJA'])]), [1], { samples: 10, seed: 1 }).get(1)!;
    expect(quantileOf(sorted, 0.1)).toBe(Infinity);
  });
});
