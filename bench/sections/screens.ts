/**
 * Screens at rest (SPEC §16): 300 SSE screens on 150 branches over two app instances (each its own
 * OS process as `npm start` runs it, jobs on, the default 30 s safety sweep), nothing changing.
 * Measures what PostgreSQL commits in the app's database over a minute (pg_stat_database's
 * xact_commit): first with no screen (what the jobs cost alone), then with the 300 screens, in the
 * same run; the sweeps the instances ran and the snapshots they took (their /metrics); then 2,000
 * screens reconnecting at once (a deploy), and the snapshots that took per branch and instance.
 */
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import type { Section } from '../support/context.js';
import { fixed, ms } from '../support/format.js';
import { withClient } from '../support/postgres.js';
import { ADVISOR_QUEUES } from '../support/scale.js';
import { sleep } from '../support/telegram.js';
import { seriesValue, startAppProcess, type AppProcess } from '../support/app-process.js';
import { startScreenReaders, type ScreenReaders } from '../support/screen-readers.js';
import { benchKey } from '../support/keys.js';

const BRANCHES = 150;
const INSTANCES = 2;
const IDLE_SCREENS = 300;
const RECONNECTING_SCREENS = 2000;
const ADVISORS_PER_BRANCH = 3;
/** SPEC §16: "averaged over a minute". */
const WINDOW_SECONDS = 60;
const BASELINE_SECONDS = 30;
/** An idle connection's statistics reach pg_stat_database up to 10 s after its last transaction. */
const STATS_SETTLE_MS = 11_000;
const MAX_IDLE_COMMITS_PER_SECOND = 5;

const branchName = (i: number): string => `Sucursal Pantallas ${String(i).padStart(3, '0')}`;

async function metricSum(apps: readonly AppProcess[], series: string): Promise<number> {
  const texts = await Promise.all(apps.map((app) => app.metrics()));
  return texts.reduce((sum, text) => sum + seriesValue(text, series), 0);
}

/** Transactions committed in the database per second over `seconds` (from a settled start). */
async function commitsPerSecond(url: string, seconds: number): Promise<number> {
  return withClient(url, async (client) => {
    const read = async (): Promise<number> => {
      const { rows } = await client.query<{ n: string }>(`select xact_commit as n from pg_stat_database where datname = current_database()`);
      return Number(rows[0]!.n);
    };
    const start = await read();
    const started = performance.now();
    await sleep(seconds * 1000);
    const end = await read();
    // Minus this client's own two reads.
    return (end - start - 1) / ((performance.now() - started) / 1000);
  });
}

export const screensBench: Section = {
  id: 'screens',
  title: 'screens at rest: 300 screens on 150 branches, two instances; 2,000 reconnecting',
  async run(context) {
    const database = await context.scratchDatabase('screens');
    const branches = Array.from({ length: BRANCHES }, (_, i) => branchName(i + 1));
    const apps: AppProcess[] = [];
    let readers: ScreenReaders | null = null;
    try {
      await withClient(database.url, async (client) => {
        await client.query(
          `insert into advisor (name, email, status, module_number, queue_types, branch_office)
           select 'Asesor ' || k || ' ' || b.name, 'asesor' || k || '.pantallas' || b.ix || '@bench.banco.com',
                  case when k = 1 then 'AVAILABLE' else 'BUSY' end, k, ($2::text[])[k]::json, b.name
           from unnest($1::text[]) with ordinality as b(name, ix) cross join generate_series(1, ${ADVISORS_PER_BRANCH}) k`,
          [branches, ADVISOR_QUEUES],
        );
        await client.query('vacuum analyze');
      });
      const env = {
        ...generateKeyEnv('bench'),
        NODE_ENV: 'production',
        KIOSK_API_KEY: context.kioskApiKey,
        ADMIN_API_KEY: benchKey('admin'),
        DATABASE_URL: database.url,
        DATABASE_POOL_MAX: '10',
        MIGRATE_ON_START: 'false',
        TZ_BRANCH: context.config.branchTimeZone,
        // Every bench screen comes from one loopback address: the per-IP cap (SPEC §22) is lifted.
        SCREEN_STREAMS_PER_IP: '1000000',
      };
      apps.push(...(await Promise.all(Array.from({ length: INSTANCES }, () => startAppProcess(env)))));
      context.log(`${INSTANCES} instances up (pids ${apps.map((a) => a.pid).join(', ')}), jobs on, SCREEN_SWEEP_SECONDS default (30)`);

      // The jobs alone, no screen: what any idle instance costs.
      await sleep(STATS_SETTLE_MS);
      const baseline = await commitsPerSecond(database.url, BASELINE_SECONDS);
      context.log(`no screen: ${fixed(baseline, 2)} commits/s over ${BASELINE_SECONDS} s`);

      readers = startScreenReaders();
      const urlOf = (n: number): string => `${apps[n % INSTANCES]!.url}/pantalla/stream?branch=${encodeURIComponent(branches[Math.floor(n / INSTANCES) % BRANCHES]!)}`;
      const openMs = await readers.open(Array.from({ length: IDLE_SCREENS }, (_, n) => urlOf(n)));
      context.log(`${IDLE_SCREENS} screens connected in ${ms(openMs)}`);
      await sleep(STATS_SETTLE_MS);
      const sweepsBefore = await metricSum(apps, 'ticketero_screen_sweeps_total');
      const snapshotsBefore = await metricSum(apps, 'ticketero_screen_snapshots_total');
      const idle = await commitsPerSecond(database.url, WINDOW_SECONDS);
      const sweeps = (await metricSum(apps, 'ticketero_screen_sweeps_total')) - sweepsBefore;
      const idleSnapshots = (await metricSum(apps, 'ticketero_screen_snapshots_total')) - snapshotsBefore;
      context.log(`${IDLE_SCREENS} idle screens: ${fixed(idle, 2)} commits/s over ${WINDOW_SECONDS} s; ${sweeps} sweeps, ${idleSnapshots} snapshots`);
      await readers.close();

      // A deploy: every screen reconnects at once (the streams above are gone, so each branch starts cold).
      await sleep(500);
      readers = startScreenReaders();
      const stormBefore = await metricSum(apps, 'ticketero_screen_snapshots_total');
      const stormMs = await readers.open(Array.from({ length: RECONNECTING_SCREENS }, (_, n) => urlOf(n)));
      const storm = (await metricSum(apps, 'ticketero_screen_snapshots_total')) - stormBefore;
      const perBranch = storm / (BRANCHES * INSTANCES);
      context.log(`${RECONNECTING_SCREENS} screens reconnected in ${ms(stormMs)}: ${storm} snapshots`);

      return [
        {
          metric: `commits/s in the database over ${WINDOW_SECONDS} s, ${IDLE_SCREENS} idle screens on ${BRANCHES} branches, ${INSTANCES} instances, jobs on`,
          value: fixed(idle, 2),
          target: `< ${MAX_IDLE_COMMITS_PER_SECOND}`,
          met: idle < MAX_IDLE_COMMITS_PER_SECOND,
        },
        { metric: `commits/s with no screen (the jobs alone; same run, ${BASELINE_SECONDS} s)`, value: fixed(baseline, 2) },
        { metric: 'the screens\' share (difference)', value: fixed(idle - baseline, 2) },
        {
          metric: `sweeps in the minute (all instances; one statement each, whatever the branches) / snapshots taken`,
          value: `${sweeps} / ${idleSnapshots}`,
          target: `≤ ${(WINDOW_SECONDS / 30 + 1) * INSTANCES} / 0`,
          met: sweeps <= (WINDOW_SECONDS / 30 + 1) * INSTANCES && idleSnapshots === 0,
        },
        {
          metric: `${RECONNECTING_SCREENS} screens reconnecting at once (${BRANCHES} branches, ${INSTANCES} instances): snapshots per branch and instance (${storm} in all, ${ms(stormMs)})`,
          value: fixed(perBranch, 2),
          target: '≤ 1',
          met: perBranch <= 1,
        },
      ];
    } finally {
      await readers?.close().catch(() => undefined);
      await Promise.all(apps.map((app) => app.stop().catch(() => undefined)));
      await database.drop();
    }
  },
};
