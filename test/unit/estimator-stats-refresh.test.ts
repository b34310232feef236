/**
 * The estimator's statistics are read at most once at a time: callers that arrive while a refresh
 * is reading the recent weeks share it (with a year of a busy branch one read takes seconds, and
 * every kiosk request that found the cache stale used to start its own).
 */
import { describe, expect, it } from 'vitest';
import type { Queryable } from '../../src/db/sql.js';
import { ManualClock } from '../../src/clock.js';
import { serviceStatsSql } from '../../src/modules/estimates/branch-state.sql.js';
import { BranchZones } from '../../src/modules/branches/branch-zones.js';
import { WaitEstimator } from '../../src/modules/estimates/wait-estimator.js';

/** Answers every statement with no rows, after `delayMs` (statistics after `statsDelayMs`); counts the service-statistics reads. */
function slowDatabase(delayMs: number, statsDelayMs = delayMs): Queryable & { statsReads: number } {
  const db = {
    statsReads: 0,
    async execute<T>(sql: string): Promise<T> {
      const stats = sql === serviceStatsSql(true) || sql === serviceStatsSql(false);
      if (stats) db.statsReads++;
      await new Promise((resolve) => setTimeout(resolve, stats ? statsDelayMs : delayMs));
      return [] as T;
    },
  };
  return db;
}

/**
 * Like slowDatabase(0), but statistics reads can be held: `hold()` makes every later one wait until
 * the function it returns is called. `statsAnswered` counts the reads that came back.
 */
function heldStatsDatabase(): Queryable & { statsReads: number; statsAnswered: number; hold(): () => void } {
  let gate: Promise<void> = Promise.resolve();
  const db = {
    statsReads: 0,
    statsAnswered: 0,
    hold(): () => void {
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      return open;
    },
    async execute<T>(sql: string): Promise<T> {
      if (sql === serviceStatsSql(true) || sql === serviceStatsSql(false)) {
        db.statsReads++;
        await gate;
        db.statsAnswered++;
      }
      return [] as T;
    },
  };
  return db;
}

/** Lets every callback already queued run (promise jobs and I/O callbacks), a few rounds deep. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('the estimator’s statistics refresh', () => {
  const clock = new ManualClock(new Date('2026-12-04T15:00:00Z'));
  const estimator = () => new WaitEstimator({ clock, zones: new BranchZones({ fallback: 'America/Santiago' }), preferentialEvery: 3 });

  it('is shared by concurrent requests for the same branch: one read, not one each', async () => {
    const db = slowDatabase(30);
    const e = estimator();
    await Promise.all(Array.from({ length: 8 }, () => e.newArrivalEstimates(db, 'Sucursal Centro')));
    expect(db.statsReads).toBe(1);
  });

  it('serves a branch from an all-branches refresh in progress (the queue job’s)', async () => {
    const db = slowDatabase(30);
    const e = estimator();
    await Promise.all([e.estimateWaiting(db), e.newArrivalEstimates(db, 'Sucursal Centro')]);
    expect(db.statsReads).toBe(1);
  });

  it('reads again for another branch, and again once the cache is stale', async () => {
    const db = slowDatabase(1);
    const e = estimator();
    await Promise.all([e.newArrivalEstimates(db, 'Sucursal Centro'), e.newArrivalEstimates(db, 'Sucursal Norte')]);
    expect(db.statsReads).toBe(2);
    clock.set(new Date(clock.now().getTime() + 61_000));
    await e.newArrivalEstimates(db, 'Sucursal Norte');
    expect(db.statsReads).toBe(3);
  });

  it('serves the previous figures while one refresh reads in the background, then the new ones', async () => {
    const db = heldStatsDatabase();
    const e = estimator();
    await e.newArrivalEstimates(db, 'Sucursal Centro');
    expect(db.statsReads).toBe(1);
    clock.set(new Date(clock.now().getTime() + 61_000));
    // Stale: the refresh's statistics read is held, yet every caller is answered (from the previous
    // figures) — they cannot have waited for it — and they share that one refresh.
    const release = db.hold();
    await Promise.all(Array.from({ length: 5 }, () => e.newArrivalEstimates(db, 'Sucursal Centro')));
    expect(db.statsReads).toBe(2);
    expect(db.statsAnswered).toBe(1);
    release();
    await settle();
    expect(db.statsAnswered).toBe(2);
    // The refresh has landed: fresh again, nothing more read.
    await e.newArrivalEstimates(db, 'Sucursal Centro');
    expect(db.statsReads).toBe(2);
  });

  it('waits for the fresh read instead when told to (the simulator)', async () => {
    const db = slowDatabase(5, 400);
    const e = new WaitEstimator({ clock, zones: new BranchZones({ fallback: 'America/Santiago' }), preferentialEvery: 3, waitForFreshStatistics: true });
    await e.newArrivalEstimates(db, 'Sucursal Centro');
    clock.set(new Date(clock.now().getTime() + 61_000));
    const started = performance.now();
    await e.newArrivalEstimates(db, 'Sucursal Centro');
    expect(db.statsReads).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(390);
  });
});
