/**
 * The wait a newcomer is promised at the kiosk (SPEC §13) under the kiosk path's shortcuts: the
 * line read as counts per queue, and the statistics cached per branch. Two app instances on one
 * database, an injected clock, and history that differs between two branches, so a figure from the
 * wrong branch, a stale line or a shortcut that drifts from the full replay shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { Db, Queryable } from '../../src/db/sql.js';
import { QUEUE_TYPES } from '../../src/domain/queue-types.js';
import { BranchZones } from '../../src/modules/branches/branch-zones.js';
import { STATS_TTL_MS, WaitEstimator } from '../../src/modules/estimates/wait-estimator.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';
import { rut } from '../support/ruts.js';

// 11:00 in Santiago (winter, UTC−4).
const clock = new ManualClock(new Date('2026-06-02T15:00:00Z'));
const CENTRO = 'Sucursal Centro';
const NORTE = 'Sucursal Norte';
let db: TestDatabase;
let a: TestApp;
let b: TestApp;
let nextRut = 0;

/** An estimator nobody has asked before: what any instance reading afresh would promise. */
const uncached = (): WaitEstimator => new WaitEstimator({ clock, zones: new BranchZones({ fallback: 'America/Santiago' }), preferentialEvery: 2 });

/** Counts the statistics reads (the 28-day service times) that go through `sql`. */
function counting(sql: Db): { db: Queryable; statsReads: () => number } {
  let reads = 0;
  return {
    db: {
      execute: (text, params) => {
        if (/status = 'COMPLETADO' and t\.completed_at >= /.test(text)) reads++;
        return sql.execute(text, params);
      },
    },
    statsReads: () => reads,
  };
}

/** Yesterday's finished customers of a branch: `n` per queue, each served in `minutes`. */
async function history(branch: string, minutes: number, n: number): Promise<void> {
  await db.query(
    `insert into ticket (codigo_referencia, numero, branch_office, queue_type, status, position_in_queue,
       estimated_wait_minutes, service_date, created_at, updated_at, queued_at, assigned_at, completed_at)
     select gen_random_uuid(), left(q, 1) || 'H' || g, $1, q, 'COMPLETADO', 0, 0, date '2026-06-01',
       timestamp '2026-06-01 13:00' + g * interval '4 minutes', timestamp '2026-06-01 13:00' + g * interval '4 minutes',
       timestamp '2026-06-01 13:00' + g * interval '4 minutes', timestamp '2026-06-01 13:10' + g * interval '4 minutes',
       timestamp '2026-06-01 13:10' + g * interval '4 minutes' + $2 * interval '1 minute'
     from generate_series(1, $3) g, unnest($4::text[]) q`,
    [branch, minutes, n, [...QUEUE_TYPES]],
  );
}

async function take(app: TestApp, queueType: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const { status, body } = await app.postTicket({ nationalId: rut(++nextRut), queueType, ...extra });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

beforeAll(async () => {
  db = await createMigratedDatabase();
  a = await startTestApp({}, { clock, db });
  b = await startTestApp({}, { clock, db });
  await db.query(`insert into branch (code, name, timezone) values ('NORTE', $1, 'America/Santiago')`, [NORTE]);
  await db.query(
    `insert into advisor (name, email, status, module_number, queue_types, branch_office)
     select name, split_part(email, '@', 1) || '.norte@' || split_part(email, '@', 2), status, module_number, queue_types, $1
     from advisor where branch_office = $2`,
    [NORTE, CENTRO],
  );
  // Nobody is free (the kiosk's immediate assignment leaves the line alone): everyone is on a pause.
  await db.query(`update advisor set status = 'BUSY'`);
  await history(CENTRO, 14, 6);
  await history(NORTE, 3, 6);
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe("a newcomer's promise", () => {
  it('is what the full replay of the line then estimates for the ticket they take', async () => {
    // A mixed line: every queue, preferential customers who are called ahead of others.
    for (const queueType of ['CAJA', 'CAJA', 'GERENCIA', 'PERSONAL_BANKER', 'EMPRESAS', 'CAJA']) await take(b, queueType);
    await take(b, 'CAJA', { atencionPreferente: 'TERCERA_EDAD' });
    await take(b, 'PERSONAL_BANKER', { atencionPreferente: 'EMBARAZO' });

    for (const queueType of QUEUE_TYPES) {
      const ticket = await take(a, queueType);
      const [row] = await db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [ticket.identificador]);
      const replay = await uncached().estimateWaiting(a.sql, CENTRO);
      expect(replay.get(Number(row!.id))?.minutes, queueType).toBe(ticket.estimatedWaitMinutes);
    }
  });

  it('is, for a preferential customer placed ahead of others, what the full replay estimates at that place', async () => {
    // Four normal customers wait for PERSONAL_BANKER: a preferential one is called after the next
    // PREFERENTIAL_EVERY (2) normal calls, so their place is third, not fifth.
    for (let i = 0; i < 4; i++) await take(b, 'PERSONAL_BANKER', { branchOffice: NORTE });
    const ticket = await take(a, 'PERSONAL_BANKER', { branchOffice: NORTE, atencionPreferente: 'TERCERA_EDAD' });
    const [row] = await db.query<{ id: string; position_in_queue: number }>(
      `select id, position_in_queue from ticket where codigo_referencia = $1`,
      [ticket.identificador],
    );
    const line = await db.query<{ n: number }>(
      `select count(*)::int as n from ticket where branch_office = $1 and queue_type = 'PERSONAL_BANKER' and status in ('EN_ESPERA', 'PROXIMO')`,
      [NORTE],
    );
    expect(row!.position_in_queue).toBeLessThan(line[0]!.n);
    const replay = await uncached().estimateWaiting(a.sql, NORTE);
    expect(ticket.positionInQueue).toBe(row!.position_in_queue);
    expect(replay.get(Number(row!.id))?.minutes).toBe(ticket.estimatedWaitMinutes);
  });

  it("comes from the newcomer's own branch, however kiosks of different branches interleave", async () => {
    // A line in the north too, so its promise depends on its own service times.
    for (let i = 0; i < 3; i++) await take(b, 'CAJA', { branchOffice: NORTE });
    const estimator = uncached();
    const reads = counting(a.sql);
    for (const branch of [CENTRO, NORTE, CENTRO, NORTE, CENTRO]) {
      expect(await estimator.newArrivalEstimates(reads.db, branch)).toEqual(await uncached().newArrivalEstimates(a.sql, branch));
    }
    // The branches' histories differ (14 against 3 minutes a customer), so their promises do too.
    expect(await estimator.newArrivalEstimates(a.sql, CENTRO)).not.toEqual(await estimator.newArrivalEstimates(a.sql, NORTE));
    // Each branch's statistics were read once, not again at every switch of branch.
    expect(reads.statsReads()).toBe(2);
  });

  it('follows the line and the advisors that another instance changed, while its statistics are cached', async () => {
    const estimator = uncached();
    const before = await estimator.newArrivalEstimates(a.sql, CENTRO);
    // Through the other instance: three more wait for GERENCIA (called before everyone), and an advisor leaves.
    for (let i = 0; i < 3; i++) await take(b, 'GERENCIA');
    await db.query(`update advisor set status = 'OFFLINE' where branch_office = $1 and module_number = 1`, [CENTRO]);

    const after = await estimator.newArrivalEstimates(a.sql, CENTRO);
    expect(after).toEqual(await uncached().newArrivalEstimates(a.sql, CENTRO));
    expect(after).not.toEqual(before);
  });

  it('reads the statistics again once they are older than their time to live', async () => {
    const estimator = uncached();
    const reads = counting(a.sql);
    await estimator.newArrivalEstimates(reads.db, CENTRO);
    clock.advance(STATS_TTL_MS - 1);
    await estimator.newArrivalEstimates(reads.db, CENTRO);
    expect(reads.statsReads()).toBe(1);
    clock.advance(1);
    await estimator.newArrivalEstimates(reads.db, CENTRO);
    expect(reads.statsReads()).toBe(2);
  });
});
