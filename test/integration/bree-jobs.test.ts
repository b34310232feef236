import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rut } from '../support/ruts.js';
import { eventually, jobsRunning, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const compiledWorkers = path.join(root, 'dist/src/jobs/workers');
let app: TestApp;

beforeAll(async () => {
  if (!existsSync(path.join(compiledWorkers, 'queue.worker.js'))) {
    throw new Error('dist/ is missing: `npm test` builds it first (pretest); or run `npm run build`');
  }
  app = await startTestApp({ QUEUE_RECALC_INTERVAL_MS: '200', REPORTS_REFRESH_SECONDS: '10' }, { jobs: true, workersDir: compiledWorkers });
  // Each worker loads the app's service graph before its first run: seconds on a busy machine.
  await jobsRunning(app, ['queue']);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

describe('the Bree scheduler with the compiled workers', () => {
  it('moves a waiting ticket to a freed advisor on its own, and records its runs', async () => {
    const branch = 'Sucursal Bree';
    await seedBranch(app.db, branch, [{ name: 'Bree', module: 1, queues: ['EMPRESAS'], status: 'BUSY' }]);
    await seedBranch(app.db, branch, [{ name: 'Otro', module: 2, queues: ['EMPRESAS'], status: 'BUSY' }]);
    for (let i = 0; i < 5; i++) {
      const created = await app.postTicket({ nationalId: rut(60_000 + i), queueType: 'EMPRESAS', branchOffice: branch });
      expect(created.status).toBe(201);
    }
    // A stale figure the job must correct, and an advisor freed behind the app's back: no event
    // fires, so only the worker's own sweep can notice either.
    await app.db.query(`update ticket set position_in_queue = 99 where branch_office = $1 and numero = 'E05'`, [branch]);
    await app.db.query(`update advisor set status = 'AVAILABLE' where branch_office = $1 and name = 'Bree'`, [branch]);

    await eventually(async () => {
      const rows = await app.db.query<{ numero: string; status: string; position_in_queue: number }>(
        `select numero, status, position_in_queue from ticket where branch_office = $1 order by numero`,
        [branch],
      );
      expect(rows).toEqual([
        { numero: 'E01', status: 'ATENDIENDO', position_in_queue: 0 },
        { numero: 'E02', status: 'PROXIMO', position_in_queue: 1 },
        { numero: 'E03', status: 'PROXIMO', position_in_queue: 2 },
        { numero: 'E04', status: 'PROXIMO', position_in_queue: 3 },
        { numero: 'E05', status: 'EN_ESPERA', position_in_queue: 4 },
      ]);
    }, 10_000);

    await eventually(async () => {
      const runs = await app.db.query<{ name: string; last_status: string; runs: number }>(
        `select name, last_status, runs from job_run order by name`,
      );
      expect(runs).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'daily-maintenance', last_status: 'OK' }),
          expect.objectContaining({ name: 'queue', last_status: 'OK' }),
          expect.objectContaining({ name: 'reports', last_status: 'OK' }),
        ]),
      );
      expect(runs.find((r) => r.name === 'queue')!.runs).toBeGreaterThan(1);
    }, 10_000);
    // SPEC §20: the reports job brings today's rollups up to date (every 10 s here): the five arrivals.
    await eventually(async () => {
      const [row] = await app.db.query<{ arrived: number }>(
        `select coalesce(sum(r.arrived), 0)::int as arrived from report_rollup r join branch b on b.id = r.branch_id where b.name = $1`,
        [branch],
      );
      expect(row!.arrived).toBe(5);
    }, 20_000);
    const [started] = await app.db.query(`select id from audit_log where event_type = 'SISTEMA_INICIADO'`);
    expect(started).toBeDefined();
  });
});
