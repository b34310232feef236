import { describe, expect, it } from 'vitest';
import { buildDetails, buildReport, type CustomerRecord } from '../../src/simulator/report.js';

/** A customer created at `at` (run minutes), promised `estimate`, called after `real` minutes (null: never). */
function customer(at: number, estimate: number, baseline: number, real: number | null, extra: Partial<CustomerRecord> = {}): CustomerRecord {
  return {
    day: 0,
    branch: 'Sucursal Centro',
    queueType: 'CAJA',
    hour: 9,
    createdAt: at,
    ahead: 0,
    estimate,
    baseline,
    calledAt: real === null ? null : at + real,
    comeBackLead: null,
    noticeAt: null,
    ...extra,
  };
}

describe('the simulation report on a hand-made day', () => {
  const day: CustomerRecord[] = [
    // promised 10, waited 10: exact.
    customer(0, 10, 20, 10),
    // promised 10, waited 4: 6 min too long (late by 5), outside the band (±3 min).
    customer(1, 10, 5, 4),
    // promised 20, waited 24: within ±25 % (6 min).
    customer(2, 20, 12, 24, { ahead: 4, queueType: 'PERSONAL_BANKER', hour: 10 }),
    // promised 0, waited 0.5: within ±3 min; relative error over 1 minute.
    customer(3, 0, 3, 0.5),
    // never called (cancelled): left out of the figures.
    customer(4, 30, 30, null),
  ];

  it('computes mae, meanRelErr, withinBand and lateBy5 for both estimators on the called customers', () => {
    const report = buildReport(day);
    expect(Object.keys(report)).toEqual(['estimator', 'baseline', 'comeBack', 'tickets']);
    expect(report.tickets).toBe(4);
    // |0| + |6| + |4| + |0.5| = 10.5 → 2.625; relative 0 + 6/4 + 4/24 + 0.5/1 = 2.1667 → 0.542
    expect(report.estimator).toEqual({ mae: 2.63, meanRelErr: 0.542, withinBand: 0.75, lateBy5: 0.25 });
    // |10| + |1| + |12| + |2.5| = 25.5 → 6.375; relative 1 + 0.25 + 0.5 + 2.5 = 4.25 → 1.063
    // band: 10 vs 10 ✗, 5 vs 4 ✓, 12 vs 24 ✗ (6 allowed), 3 vs 0.5 ✓; late: 20 vs 10 ✓ only
    expect(report.baseline).toEqual({ mae: 6.38, meanRelErr: 1.063, withinBand: 0.5, lateBy5: 0.25 });
  });

  it('judges the come-back notice only for those who asked and waited longer than their lead', () => {
    const report = buildReport([
      // asked 10, waited 30, told at 15 → 15 min before the call: on time, 5 min early.
      customer(0, 30, 30, 30, { comeBackLead: 10, noticeAt: 15 }),
      // asked 10, waited 30, told at 25 → 5 min before: late.
      customer(0, 30, 30, 30, { comeBackLead: 10, noticeAt: 25 }),
      // asked 20, waited 40, never told: missed.
      customer(0, 40, 40, 40, { comeBackLead: 20, noticeAt: null }),
      // asked 20, waited 50, told at 10 → 40 before: on time, 20 early.
      customer(0, 50, 50, 50, { comeBackLead: 20, noticeAt: 10 }),
      // asked 30, waited 10: not counted (their wait was shorter than the lead).
      customer(0, 10, 10, 10, { comeBackLead: 30, noticeAt: 0 }),
    ]);
    expect(report.comeBack).toEqual({ onTime: 0.5, late: 0.25, missed: 0.25, medianEarlyMinutes: 12.5 });
  });

  it('breaks the figures down by queue, people ahead and hour of arrival', () => {
    const details = buildDetails(day);
    expect(details.neverCalled).toBe(1);
    expect(details.byQueue.PERSONAL_BANKER).toMatchObject({ tickets: 1, estimator: { mae: 4, withinBand: 1 } });
    expect(details.byQueue.CAJA!.tickets).toBe(3);
    expect(details.byPeopleAhead['3-5']).toMatchObject({ tickets: 1 });
    expect(details.byPeopleAhead['0']).toMatchObject({ tickets: 3 });
    expect(Object.keys(details.byHour)).toEqual(['9', '10']);
  });
});
