/**
 * `npm run bench`: starts PostgreSQL (DATABASE_URL, or an embedded server in a temporary
 * folder), the real app on 127.0.0.1 on a fresh database, runs every section below, prints a
 * summary table, and removes everything it created.
 *
 * Environment: BENCH_SECONDS (each measured run, default 10), BENCH_BRANCHES (default 4),
 * BENCH_SECTIONS (comma-separated section ids, e.g. `queue-job,assignment`; default all),
 * BENCH_LOG_LEVEL (embedded PostgreSQL's log level, default error), BENCH_YEAR_SCALE (the `year`
 * section's share of a year of a busy branch, default 1), DATABASE_URL. Interrupted (Ctrl-C,
 * SIGTERM), it still drops what it created and removes its embedded server's folder.
 * A new bench is one more file in bench/sections/ exporting a `Section`, listed here.
 */
import os from 'node:os';
import { loadConfig } from '../src/config.js';
import { generateKeyEnv } from '../src/modules/privacy/keys.js';
import { createLogger } from '../src/logger.js';
import { startApp } from '../src/main.js';
import { assignmentThroughput } from './sections/assignment.js';
import { queueJobAtScale } from './sections/queue-job.js';
import { takeTicketSteadyRate } from './sections/steady-rate.js';
import { takeTicketThroughput } from './sections/take-ticket.js';
import { kioskWrk } from './sections/kiosk-wrk.js';
import { kioskEstimator } from './sections/kiosk-estimator.js';
import { nationalBench } from './sections/national.js';
import { screensBench } from './sections/screens.js';
import { telegramBench } from './sections/telegram.js';
import { metricsCost } from './sections/metrics-cost.js';
import { yearOfData } from './sections/year-of-data.js';
import { organisationBench } from './sections/organisation.js';
import { reportsBench } from './sections/reports.js';
import type { BenchContext, BenchSettings, Row, Section } from './support/context.js';
import { renderRows, renderTable } from './support/format.js';
import {
  createDatabase,
  migrateDatabase,
  prepareBranches,
  startPgServer,
  withClient,
  type BenchDatabase,
} from './support/postgres.js';
import { rutBlock } from './support/workload.js';
import { benchKey } from './support/keys.js';

const sections: readonly Section[] = [
  takeTicketThroughput,
  takeTicketSteadyRate,
  kioskWrk,
  kioskEstimator,
  queueJobAtScale,
  assignmentThroughput,
  telegramBench,
  nationalBench,
  screensBench,
  metricsCost,
  yearOfData,
  organisationBench,
  reportsBench,
];

/** Arguments or BENCH_SECTIONS pick sections by id (run in the order above); neither runs them all. */
function selectSections(): readonly Section[] {
  // `npm run bench -- kiosk-wrk screens` is the same as BENCH_SECTIONS=kiosk-wrk,screens.
  const args = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const raw = args.length > 0 ? args.join(',') : process.env.BENCH_SECTIONS?.trim();
  if (!raw) return sections;
  const wanted = new Set(raw.split(',').map((id) => id.trim()).filter(Boolean));
  const unknown = [...wanted].filter((id) => !sections.some((section) => section.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `BENCH_SECTIONS: unknown section ${unknown.map((id) => `"${id}"`).join(', ')} ` +
        `(known: ${sections.map((section) => section.id).join(', ')})`,
    );
  }
  return sections.filter((section) => wanted.has(section.id));
}

function integerSetting(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

/** A share of the year: 1 is the seed's 9 M tickets; below 0.005 a day has too few tickets to make a line. */
function yearScaleSetting(): number {
  const raw = process.env.BENCH_YEAR_SCALE?.trim();
  if (!raw) return 1;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0.005 || value > 1) {
    throw new Error(
      `BENCH_YEAR_SCALE must be a number from 0.005 to 1, the share of a year of a busy branch the \`year\` section loads ` +
        `(1 = 9 M tickets and 36 M audit rows; e.g. 0.05 for a quick run) (got "${raw}")`,
    );
  }
  return value;
}

function readSettings(): BenchSettings {
  return {
    seconds: integerSetting('BENCH_SECONDS', 10, 1, 600),
    branches: integerSetting('BENCH_BRANCHES', 4, 1, 50),
    connections: 32,
    steadyRate: 200,
    steadyConnections: 10,
    warmupSeconds: 2,
    yearScale: yearScaleSetting(),
  };
}

const log = (message: string): void => console.log(message);

async function main(): Promise<void> {
  const settings = readSettings();
  const selected = selectSections();
  const cleanup: Array<{ what: string; step: () => Promise<void> }> = [];
  const results: Array<{ title: string; rows: Row[] }> = [];
  // One cleanup, however many ask for it (the finally below and a signal can both arrive).
  let cleaning: Promise<void> | null = null;
  const runCleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      while (cleanup.length > 0) {
        const { what, step } = cleanup.pop()!;
        await step().catch((error: unknown) => console.error(`bench: could not stop ${what}:`, error));
      }
    })());
  // Ctrl-C or a kill in the middle of a long load: drop the databases and remove the server's folder before leaving.
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`bench: ${signal}, cleaning up`);
    void runCleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    const server = await startPgServer(createLogger(process.env.BENCH_LOG_LEVEL ?? 'error'));
    cleanup.push({ what: 'PostgreSQL server', step: () => server.stop() });
    const database = await createDatabase(server, 'app');
    cleanup.push({ what: `database ${database.name}`, step: () => database.drop() });
    const version = await withClient(database.url, async (client) => {
      const { rows } = await client.query<{ server_version: string }>('show server_version');
      return rows[0]?.server_version ?? '?';
    });

    const kioskApiKey = benchKey('kiosk');
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      KIOSK_API_KEY: kioskApiKey,
      DATABASE_URL: database.url,
      // As many connections as the raw baseline's clients, so both sides get the same database.
      DATABASE_POOL_MAX: String(settings.connections),
      ...generateKeyEnv('bench'),
    });
    const app = await startApp(config, { logger: createLogger(config.logLevel) });
    cleanup.push({ what: 'app', step: () => app.stop() });
    const branches = await prepareBranches(database.url, settings.branches);

    let nextBlock = 0;
    const context: BenchContext = {
      settings,
      server,
      app,
      config,
      database,
      kioskApiKey,
      branches,
      freshRuts: () => rutBlock(nextBlock++),
      async scratchDatabase(label: string): Promise<BenchDatabase> {
        const scratch = await createDatabase(server, label);
        cleanup.push({ what: `database ${scratch.name}`, step: () => scratch.drop() });
        await migrateDatabase(scratch.url);
        await prepareBranches(scratch.url, settings.branches);
        return scratch;
      },
      log,
    };

    log(`Ticketero bench — node ${process.version}, ${os.cpus().length} CPUs, PostgreSQL ${version}`);
    log(`database: ${server.description}`);
    log(`app: ${app.url}, database pool of ${app.config.databasePoolMax} connections`);
    log(`load: ${settings.seconds} s per run, ${branches.length} branches × 4 queues, half the tickets with a phone`);

    for (const section of selected) {
      log(`\n== ${section.title}`);
      const rows = await section.run(context);
      log(renderRows(rows));
      results.push({ title: section.title, rows });
    }

    log(`\n== Summary (${settings.seconds} s per run)\n`);
    log(renderTable(results));
  } finally {
    await runCleanup();
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

try {
  await main();
} catch (error) {
  console.error('bench failed:', error);
  process.exitCode = 1;
}
