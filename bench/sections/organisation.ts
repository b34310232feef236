/**
 * The organisation as data at a bank's size (SPEC §17): the bulk import of 1,000 branches and
 * 5,000 people (target < 30 s, one transaction, through the same ImportService as `npm run import`
 * and POST /api/admin/import), the same files again (must change nothing), on a scratch database;
 * then, on those 1,000 branches with 20,000 tickets (waiting, served today) and 2,000 advisors
 * online, `GET /api/admin/summary` through HTTP on an app of its own (p99 target < 300 ms).
 */
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startApp } from '../../src/main.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import type { Section } from '../support/context.js';
import { fixed, ms } from '../support/format.js';
import { withClient } from '../support/postgres.js';
import { count, insertWaitingTickets, openServices, percentile, timed } from '../support/scale.js';
import { branchesCsv, staffCsv } from '../../test/support/org-files.js';
import { benchKey } from '../support/keys.js';

const BRANCHES = 1000;
const PEOPLE_PER_BRANCH = 5;
const MAX_IMPORT_SECONDS = 30;
const TICKETS = 20_000;
const SUMMARY_REQUESTS = 200;
const MAX_SUMMARY_P99_MS = 300;

export const organisationBench: Section = {
  id: 'organisation',
  title: 'organisation: bulk import (1,000 branches + 5,000 people) and the summary at 1,000 branches',
  async run(context) {
    const database = await context.scratchDatabase('org');
    const { services, close } = openServices(database.url, context.config, { poolMax: 4, personalData: context.app.personalData });
    try {
      const branches = branchesCsv(BRANCHES);
      const staff = staffCsv(BRANCHES, PEOPLE_PER_BRANCH);
      context.log(`files: ${BRANCHES} branches (${fixed(branches.length / 1024, 0)} KB), ${BRANCHES * PEOPLE_PER_BRANCH} people (${fixed(staff.length / 1024, 0)} KB)`);
      const origin = { actor: 'SYSTEM' as const };
      const dry = await timed(() => services.imports.run({ branches, staff, dryRun: true, deactivateMissing: false, origin }));
      const first = await timed(() => services.imports.run({ branches, staff, dryRun: false, deactivateMissing: false, origin }));
      const second = await timed(() => services.imports.run({ branches, staff, dryRun: false, deactivateMissing: false, origin }));
      const r = first.result;
      context.log(`  first run: ${r.sucursales.crear} branches and ${r.personal.crear} people created, ${r.errores.length} bad lines`);
      context.log(`  second run: ${second.result.sucursales.sinCambios} branches and ${second.result.personal.sinCambios} people unchanged, applied=${second.result.aplicada}`);
      const imported = r.aplicada && r.sucursales.crear === BRANCHES && r.personal.crear === BRANCHES * PEOPLE_PER_BRANCH;
      const unchanged = !second.result.aplicada && second.result.sucursales.sinCambios === BRANCHES && second.result.personal.sinCambios === BRANCHES * PEOPLE_PER_BRANCH;
      const summary = await summaryAtScale(context, database.url);
      return [
        { metric: 'dry run (validate everything, write nothing)', value: `${fixed(dry.ms / 1000, 2)} s` },
        {
          metric: `import ${BRANCHES} branches + ${BRANCHES * PEOPLE_PER_BRANCH} people (one transaction)`,
          value: `${fixed(first.ms / 1000, 2)} s${imported ? '' : ' (INCOMPLETE)'}`,
          target: `< ${MAX_IMPORT_SECONDS} s`,
          met: imported && first.ms < MAX_IMPORT_SECONDS * 1000,
        },
        { metric: 'the same files again (changes nothing)', value: `${fixed(second.ms / 1000, 2)} s${unchanged ? '' : ' (CHANGED SOMETHING)'}`, met: unchanged },
        ...summary,
      ];
    } finally {
      await close();
    }
  },
};

/** 20,000 tickets over the imported branches (a quarter served today), 2 advisors online a branch; the summary's latency over HTTP. */
async function summaryAtScale(context: Parameters<Section['run']>[0], url: string) {
  await withClient(url, async (client) => {
    const { rows } = await client.query<{ name: string }>(`select name from branch where code like 'SUC-%' order by code`);
    await insertWaitingTickets(client, {
      branches: rows.map((r) => r.name),
      queueTypes: ['CAJA', 'PERSONAL_BANKER'],
      count: TICKETS,
      timeZone: 'America/Santiago',
      firstRut: context.freshRuts(),
    });
    // A quarter served today (called a few minutes after arriving), and every branch's first two advisors online.
    await client.query(
      `update ticket set status = 'COMPLETADO', assigned_at = created_at + interval '7 minutes', completed_at = created_at + interval '19 minutes'
       where id % 4 = 0`,
    );
    await client.query(`update advisor set status = 'AVAILABLE' where email like 'asesor.%.1@banco.cl' or email like 'asesor.%.2@banco.cl'`);
    await client.query('analyze');
  });
  const adminKey = benchKey('admin');
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    KIOSK_API_KEY: benchKey('kiosk'),
    ADMIN_API_KEY: adminKey,
    DATABASE_URL: url,
    ...generateKeyEnv('bench-org'),
  });
  const app = await startApp(config, { logger: createLogger('silent'), jobs: false });
  try {
    const get = async (): Promise<{ ms: number; branches: number }> => {
      const started = performance.now();
      const response = await fetch(`${app.url}/api/admin/summary`, { headers: { authorization: `Bearer ${adminKey}` } });
      const body = (await response.json()) as { totals?: { branches: number } };
      if (response.status !== 200) throw new Error(`summary ${response.status}: ${JSON.stringify(body).slice(0, 200)}`);
      return { ms: performance.now() - started, branches: body.totals!.branches };
    };
    for (let i = 0; i < 5; i++) await get();
    const samples: number[] = [];
    let branches = 0;
    for (let i = 0; i < SUMMARY_REQUESTS; i++) {
      const r = await get();
      samples.push(r.ms);
      branches = r.branches;
    }
    context.log(`  summary: ${count(SUMMARY_REQUESTS)} sequential GET /api/admin/summary, ${count(branches)} branches in the answer, ${count(TICKETS)} tickets`);
    const p99 = percentile(samples, 99);
    return [
      { metric: `GET /api/admin/summary p50 (${count(branches)} branches)`, value: ms(percentile(samples, 50)) },
      { metric: `GET /api/admin/summary p99 (${count(branches)} branches)`, value: ms(p99), target: `< ${MAX_SUMMARY_P99_MS} ms`, met: p99 < MAX_SUMMARY_P99_MS },
    ];
  } finally {
    await app.stop();
  }
}
