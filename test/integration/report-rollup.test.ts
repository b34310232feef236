import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { MaintenanceService } from '../../src/modules/maintenance/maintenance.service.js';
import { RollupRefusedError, RollupService } from '../../src/modules/reports/rollup.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import {
  bucketOf, buildKnownDay, localInstant, localPeriod, serviceSeconds, stateSeconds, waitSeconds, type KnownDay,
} from '../support/report-day.js';

const DATE = '2026-11-18';
const clock = new ManualClock(new Date('2026-11-19T15:00:00Z'));
let app: TestApp;
let day: KnownDay;
let rollups: RollupService;

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  day = await buildKnownDay(app.db, {
    date: DATE,
    seed: 23,
    perBranch: 90,
    branches: [
      { name: 'Sucursal Rollup Norte', timeZone: 'America/Santiago', offsetMinutes: -180 },
      { name: 'Sucursal Rollup Isla', timeZone: 'Pacific/Easter', offsetMinutes: -300 },
    ],
  });
  rollups = new RollupService({ db: app.sql, clock, logger: app.logger, slaMinutes: 15 });
}, 60_000);
afterAll(async () => {
  await app?.close();
});

interface Row {
  branch_id: string; queue_type: string; period: number; arrived: number; served: number; no_shows: number; cancelled: number;
  walkouts: number; transferred: number; called: number; called_within_sla: number; wait_sum_seconds: string; wait_hist: number[];
  service_count: number; service_sum_seconds: string; service_sum_sq_seconds: number; rating_count: number; rating_sum: number;
}
const rowsOf = (date: string): Promise<Row[]> =>
  app.db.query<Row>(
    `select branch_id, queue_type, period, arrived, served, no_shows, cancelled, walkouts, transferred, called, called_within_sla,
       wait_sum_seconds, wait_hist, service_count, service_sum_seconds, service_sum_sq_seconds, rating_count, rating_sum
     from report_rollup where service_date = $1 order by branch_id, queue_type, period`,
    [date],
  );

/** The rows the day must give, computed here from the known tickets. */
function expectedRows(known: KnownDay): Row[] {
  const rows = new Map<string, Row>();
  const row = (branchId: number, queue: string, period: number): Row => {
    const key = `${branchId}|${queue}|${String(period).padStart(2, '0')}`;
    let r = rows.get(key);
    if (!r) {
      r = { branch_id: String(branchId), queue_type: queue, period, arrived: 0, served: 0, no_shows: 0, cancelled: 0, walkouts: 0,
        transferred: 0, called: 0, called_within_sla: 0, wait_sum_seconds: '0', wait_hist: Array<number>(122).fill(0), service_count: 0,
        service_sum_seconds: '0', service_sum_sq_seconds: 0, rating_count: 0, rating_sum: 0 };
      rows.set(key, r);
    }
    return r;
  };
  for (const t of known.tickets) {
    const branch = known.branches.find((b) => b.name === t.branch)!;
    const period = localPeriod(t.createdAt, branch.timeZone);
    const first = row(branch.id, t.firstQueue, period);
    first.arrived++;
    const wait = waitSeconds(t);
    if (t.status === 'NO_ATENDIDO' && wait !== null) first.no_shows++;
    if (t.status === 'CANCELADO' && wait === null) first.cancelled++;
    if ((t.status === 'CANCELADO' && wait !== null) || (t.status === 'NO_ATENDIDO' && wait === null)) first.walkouts++;
    if (wait !== null) {
      first.called++;
      if (wait <= 15 * 60) first.called_within_sla++;
      first.wait_sum_seconds = String(Number(first.wait_sum_seconds) + wait);
      first.wait_hist[bucketOf(wait)]!++;
    }
    if (t.transferred) row(branch.id, t.firstQueue, period).transferred++;
    if (t.status === 'COMPLETADO') {
      const last = row(branch.id, t.finalQueue, period);
      last.served++;
      const service = serviceSeconds(t)!;
      last.service_count++;
      last.service_sum_seconds = String(Number(last.service_sum_seconds) + service);
      last.service_sum_sq_seconds += service * service;
      if (t.rating !== null) {
        last.rating_count++;
        last.rating_sum += t.rating;
      }
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}

describe('the report rollup (SPEC §20)', () => {
  it('gives, per branch × queue × 30-minute period of the branch’s own day, exactly the figures of the day’s tickets', async () => {
    const result = await rollups.recomputeDay(DATE);
    const actual = await rowsOf(DATE);
    const expected = expectedRows(day);
    expect(result.rows).toBe(expected.length);
    // Sorted the same way (branch id as text, queue, period).
    const key = (r: Row) => `${r.branch_id}|${r.queue_type}|${String(r.period).padStart(2, '0')}`;
    expect(actual.map(key).sort()).toEqual(expected.map(key));
    const byKey = new Map(actual.map((r) => [key(r), r]));
    for (const e of expected) expect(byKey.get(key(e))).toEqual(e);
    // The Easter Island branch's day is its own: its 09:00 local is 14:00 UTC, period 18.
    const isla = day.branches.find((b) => b.timeZone === 'Pacific/Easter')!;
    expect(Math.min(...actual.filter((r) => r.branch_id === String(isla.id)).map((r) => r.period))).toBe(18);
  });

  it('keeps each advisor’s minutes per state, clipped to the branch’s day, and the customers they served', async () => {
    await rollups.recomputeDay(DATE);
    for (const branch of day.branches) {
      const from = localInstant(DATE, 0, branch.offsetMinutes);
      const to = localInstant(DATE, 24 * 60, branch.offsetMinutes);
      for (const advisorId of branch.advisors) {
        const expected = stateSeconds(day.periods.filter((p) => p.advisorId === advisorId), from, to);
        const served = day.tickets.filter((t) => t.status === 'COMPLETADO' && t.advisorId === advisorId);
        const [actual] = await app.db.query<Record<string, number>>(
          `select sum(available_seconds)::int as available, sum(calling_seconds)::int as calling, sum(serving_seconds)::int as serving,
             sum(paused_seconds)::int as paused, sum(served)::int as served, sum(rating_sum)::int as rating_sum
           from report_advisor_rollup where service_date = $1 and branch_id = $2 and advisor_id = $3`,
          [DATE, branch.id, advisorId],
        );
        expect(actual).toEqual({
          available: expected.AVAILABLE, calling: expected.CALLING, serving: expected.SERVING, paused: expected.PAUSED,
          served: served.length, rating_sum: served.reduce((n, t) => n + (t.rating ?? 0), 0),
        });
      }
      // Per period too: 09:30–10:00 local of the first advisor.
      const p19from = localInstant(DATE, 19 * 30, branch.offsetMinutes);
      const p19 = stateSeconds(day.periods.filter((p) => p.advisorId === branch.advisors[0]), p19from, new Date(p19from.getTime() + 30 * 60_000));
      const [row] = await app.db.query<{ serving: number }>(
        `select coalesce(sum(serving_seconds), 0)::int as serving from report_advisor_rollup
         where service_date = $1 and branch_id = $2 and advisor_id = $3 and period = 19`,
        [DATE, branch.id, branch.advisors[0]],
      );
      expect(row!.serving).toBe(p19.SERVING);
    }
  });

  it('is idempotent, and one branch’s recomputation leaves the other’s rows alone', async () => {
    await rollups.recomputeDay(DATE);
    const first = await rowsOf(DATE);
    await rollups.recomputeDay(DATE);
    expect(await rowsOf(DATE)).toEqual(first);
    const [norte] = day.branches;
    await app.db.query(`update report_rollup set arrived = arrived + 1000 where service_date = $1 and branch_id <> $2`, [DATE, norte!.id]);
    const tampered = await rowsOf(DATE);
    await rollups.recomputeDay(DATE, [norte!.id]);
    expect(await rowsOf(DATE)).toEqual(tampered);
    await rollups.recomputeDay(DATE);
    expect(await rowsOf(DATE)).toEqual(first);
  });

  it('refuses to recompute a day whose tickets are gone (it would erase the history), unless forced', async () => {
    const other = '2026-11-10';
    await app.db.query(
      `insert into report_rollup (branch_id, service_date, queue_type, period, arrived, wait_hist, updated_at)
       values ($1, $2, 'CAJA', 20, 7, array_fill(0, array[122]), now())`,
      [day.branches[0]!.id, other],
    );
    await expect(rollups.recomputeDay(other)).rejects.toBeInstanceOf(RollupRefusedError);
    expect(await rowsOf(other)).toHaveLength(1);
    await rollups.recomputeDay(other, undefined, { force: true });
    expect(await rowsOf(other)).toHaveLength(0);
  });

  it('refreshes each branch’s today and yesterday (the job’s run)', async () => {
    await app.db.query('delete from report_rollup');
    clock.set(new Date('2026-11-19T15:00:00Z')); // 19 Nov in both zones: yesterday is the known day
    const { days } = await rollups.refreshToday();
    expect(days.map((d) => d.date).sort()).toEqual(['2026-11-18', '2026-11-19']);
    expect((await rowsOf(DATE)).length).toBe(expectedRows(day).length);
  });

  it('keeps rollups three years: the daily maintenance deletes older ones', async () => {
    const branchId = day.branches[0]!.id;
    for (const date of ['2023-11-18', '2023-11-20']) {
      await app.db.query(
        `insert into report_rollup (branch_id, service_date, queue_type, period, arrived, wait_hist, updated_at)
         values ($1, $2, 'CAJA', 20, 7, array_fill(0, array[122]), now())`,
        [branchId, date],
      );
      await app.db.query(
        `insert into report_advisor_rollup (branch_id, service_date, period, advisor_id, updated_at) values ($1, $2, 20, 1, now())`,
        [branchId, date],
      );
    }
    const summary = await new MaintenanceService({ db: app.sql, clock, logger: app.logger }).runDaily();
    expect(summary.rollupsDeleted).toBe(2);
    expect(await rowsOf('2023-11-18')).toHaveLength(0);
    expect(await rowsOf('2023-11-20')).toHaveLength(1);
  });
});

describe('the daily rollup', () => {
  it('is the sum of the day’s periods and queues, and of its advisors’ seconds, per branch', async () => {
    await rollups.recomputeDay(DATE);
    for (const branch of day.branches) {
      const tickets = day.tickets.filter((t) => t.branch === branch.name);
      const [row] = await app.db.query<{ arrived: number; called: number; wait_hist: number[]; serving_seconds: string }>(
        `select arrived, called, wait_hist, serving_seconds from report_daily_rollup where service_date = $1 and branch_id = $2`,
        [DATE, branch.id],
      );
      const hist = Array<number>(122).fill(0);
      for (const t of tickets) {
        const w = waitSeconds(t);
        if (w !== null) hist[bucketOf(w)]!++;
      }
      const from = localInstant(DATE, 0, branch.offsetMinutes);
      const to = localInstant(DATE, 24 * 60, branch.offsetMinutes);
      const serving = branch.advisors.reduce((n, id) => n + stateSeconds(day.periods.filter((p) => p.advisorId === id), from, to).SERVING!, 0);
      expect(row).toEqual({ arrived: tickets.length, called: tickets.filter((t) => t.assignedAt).length, wait_hist: hist, serving_seconds: String(serving) });
    }
  });
});
