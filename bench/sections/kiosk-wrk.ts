import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ticketMessageSteps } from '../../src/modules/notifications/message-plan.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { startAppProcess } from '../support/app-process.js';
import type { BenchContext, Row, Section } from '../support/context.js';
import { fixed, ms, otherStatuses, percent, perSecond } from '../support/format.js';
import { countWritten, resetTicketsBesideJobs } from '../support/postgres.js';

/** Issue 9: the app gives at least 75 % of the tickets/s of the same transaction as raw SQL… */
const MIN_APP_TO_RAW = 0.75;
/** …and does not stall: at 32 clients p99 within 4 × p50. */
const MAX_P99_TO_P50 = 4;
/** Measured pairs, alternated (app, raw, app, raw) so both sides see the same machine. */
const ROUNDS = 2;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

export interface SideRun {
  seconds: number;
  /** Tickets given: 201 answers, or committed transactions. */
  done: number;
  /** Non-201 answers, or failed transactions. */
  failed: number;
  p50: number;
  p99: number;
  detail: string;
}

/** wrk's summary line (bench/wrk/take-ticket.lua's `done`); latencies in µs. */
interface WrkSummary {
  seconds: number;
  requests: number;
  created: number;
  others: number;
  byStatus: Record<string, number>;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  p50: number;
  p90: number;
  p99: number;
  max: number;
  samples: string[];
}

function requireTool(command: string, install: string): void {
  const probe = spawnSync(command, ['--version'], { stdio: 'ignore' });
  if (probe.error) {
    throw new Error(`kiosk-wrk needs \`${command}\`, which is not installed here: install it with \`${install}\` (Debian)`);
  }
}

/**
 * The kiosk path at national scale (issue 9): `POST /api/tickets` driven by `wrk` (C, LuaJIT) at
 * 32 connections against the app in its own process with its queue job running, and the same
 * transaction driven by `pgbench` at 32 clients against the same database, with that same app
 * process (and so the same queue job) running beside it — the raw side's only missing piece is the
 * app's own work per request. Alternated, from empty queues each time.
 */
export const kioskWrk: Section = {
  id: 'kiosk-wrk',
  title: 'kiosk path: app (wrk) against raw SQL (pgbench)',
  async run(context) {
    requireTool('wrk', 'apt-get install wrk');
    requireTool('pgbench', 'apt-get install postgresql-client');
    const { settings } = context;
    const database = await context.scratchDatabase('kiosk');
    const app = await startAppProcess(
      {
        DATABASE_URL: database.url,
        DATABASE_POOL_MAX: String(settings.connections),
        KIOSK_API_KEY: context.kioskApiKey,
        TZ_BRANCH: context.config.branchTimeZone,
        PROXIMO_THRESHOLD: String(context.config.proximoThreshold),
        ...generateKeyEnv('bench'),
      },
      { log: context.log },
    );
    const firstRut = context.freshRuts();
    const apps: SideRun[] = [];
    const raws: SideRun[] = [];
    try {
      const wrkRun = async (seconds: number): Promise<SideRun> => {
        await resetTicketsBesideJobs(database.url);
        return wrk(app.url, context, firstRut, seconds);
      };
      const rawRun = async (seconds: number): Promise<SideRun> => {
        await resetTicketsBesideJobs(database.url);
        return pgbench(database.url, context, firstRut, seconds);
      };
      context.log(`warm-up: ${settings.warmupSeconds} s each side`);
      await wrkRun(settings.warmupSeconds);
      await rawRun(settings.warmupSeconds);
      for (let round = 1; round <= ROUNDS; round++) {
        context.log(`round ${round}: wrk -t2 -c${settings.connections} -d${settings.seconds}s (app, queue job running)`);
        const a = await wrkRun(settings.seconds);
        const appRows = await countWritten(database.url);
        context.log(`  ${perSecond(a.done / a.seconds)}, p50 ${ms(a.p50)}, p99 ${ms(a.p99)}; ${a.detail}; rows ${appRows.tickets}/${appRows.mensajes}/${appRows.audits}`);
        apps.push(a);
        context.log(`round ${round}: pgbench -c${settings.connections} -j2 -T${settings.seconds} (same transaction, same queue job)`);
        const r = await rawRun(settings.seconds);
        const rawRows = await countWritten(database.url);
        context.log(`  ${perSecond(r.done / r.seconds)}, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}; ${r.detail}; rows ${rawRows.tickets}/${rawRows.mensajes}/${rawRows.audits}`);
        raws.push(r);
      }
    } finally {
      await app.stop();
    }

    const rate = (runs: SideRun[]): number => runs.reduce((s, r) => s + r.done, 0) / runs.reduce((s, r) => s + r.seconds, 0);
    const appRate = rate(apps);
    const rawRate = rate(raws);
    const ratio = rawRate > 0 ? appRate / rawRate : 0;
    // The worse run of the app side decides whether it stalls.
    const worst = apps.reduce((w, r) => (r.p99 / r.p50 > w.p99 / w.p50 ? r : w));
    const spread = worst.p50 > 0 ? worst.p99 / worst.p50 : Infinity;
    const c = settings.connections;
    const list = (runs: SideRun[], pick: (r: SideRun) => string): string => runs.map(pick).join(', ');
    const rows: Row[] = [
      { metric: `app tickets/s (wrk, ${c} connections, ${ROUNDS} runs)`, value: list(apps, (r) => perSecond(r.done / r.seconds)) },
      { metric: 'app latency p50 / p99', value: list(apps, (r) => `${ms(r.p50)} / ${ms(r.p99)}`) },
      { metric: 'app non-201 answers', value: list(apps, (r) => r.detail) },
      { metric: `raw tickets/s (pgbench, ${c} clients, ${ROUNDS} runs)`, value: list(raws, (r) => perSecond(r.done / r.seconds)) },
      { metric: 'raw latency p50 / p99', value: list(raws, (r) => `${ms(r.p50)} / ${ms(r.p99)}`) },
      { metric: 'raw failed transactions', value: list(raws, (r) => String(r.failed)) },
      {
        metric: 'app / raw tickets/s (all runs)',
        value: `${percent(ratio)} (${perSecond(appRate)} / ${perSecond(rawRate)})`,
        target: `>= ${fixed(MIN_APP_TO_RAW * 100, 0)} %`,
        met: ratio >= MIN_APP_TO_RAW,
      },
      {
        metric: `app p99 / p50 at ${c} clients (worse run)`,
        value: fixed(spread, 2),
        target: `<= ${MAX_P99_TO_P50}`,
        met: spread <= MAX_P99_TO_P50,
      },
      {
        metric: 'app non-201 answers (all runs)',
        value: String(apps.reduce((s, r) => s + r.failed, 0)),
        target: '0',
        met: apps.every((r) => r.failed === 0),
      },
    ];
    return rows;
  },
};

export async function wrk(url: string, context: BenchContext, firstRut: number, seconds: number): Promise<SideRun> {
  const { settings } = context;
  const { stdout } = await run(
    'wrk',
    [
      '-t2',
      `-c${settings.connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      path.join(root, 'bench/wrk/take-ticket.lua'),
      url,
      '--',
      context.kioskApiKey,
      String(firstRut),
      context.branches.join('|'),
    ],
    { maxBuffer: 1 << 20 },
  );
  const line = stdout.split('\n').find((l) => l.startsWith('KIOSK_WRK '));
  if (!line) throw new Error(`wrk printed no summary:\n${stdout}`);
  const s = JSON.parse(line.slice('KIOSK_WRK '.length)) as WrkSummary;
  for (const sample of s.samples) context.log(`  sample non-201: ${sample}`);
  const socket = s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout;
  const non201 = s.requests - s.created;
  return {
    seconds: s.seconds,
    done: s.created,
    failed: non201 + socket,
    p50: s.p50 / 1000,
    p99: s.p99 / 1000,
    detail: `${non201} (${otherStatuses({ '201': s.created, ...s.byStatus })})${socket ? `, socket errors ${socket}` : ''}`,
  };
}

export async function pgbench(databaseUrl: string, context: BenchContext, firstRut: number, seconds: number): Promise<SideRun> {
  const { settings, config } = context;
  const dir = await mkdtemp(path.join(tmpdir(), 'ticketero-pgbench-'));
  try {
    const { stdout } = await run(
      'pgbench',
      [
        '-n',
        '-M',
        'extended',
        `-c${settings.connections}`,
        '-j2',
        `-T${seconds}`,
        '-f',
        path.join(root, 'bench/pgbench/take-ticket.sql'),
        '-D',
        'n=0',
        '-D',
        `first=${firstRut}`,
        '-D',
        `nbranches=${context.branches.length}`,
        '-D',
        `branches=${context.branches.join('|')}`,
        '-D',
        `threshold=${config.proximoThreshold}`,
        '-D',
        `steps=${JSON.stringify(ticketMessageSteps())}`,
        '--log',
        `--log-prefix=${path.join(dir, 'tx')}`,
        databaseUrl,
      ],
      { env: { ...process.env, PGOPTIONS: '-c TimeZone=UTC' }, maxBuffer: 1 << 20 },
    );
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1] ?? NaN);
    const processed = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1] ?? NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(stdout)?.[1] ?? 0);
    if (!Number.isFinite(tps) || !Number.isFinite(processed)) throw new Error(`pgbench printed no figures:\n${stdout}`);
    // Per-transaction log: client, transaction, latency (µs), script, epoch s, µs.
    const latencies: number[] = [];
    for (const file of await readdir(dir)) {
      for (const line of (await readFile(path.join(dir, file), 'utf8')).split('\n')) {
        const latency = Number(line.split(' ')[2]);
        if (line && Number.isFinite(latency)) latencies.push(latency / 1000);
      }
    }
    latencies.sort((a, b) => a - b);
    const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
    return {
      seconds: processed / tps,
      done: processed,
      failed,
      p50: at(0.5),
      p99: at(0.99),
      detail: `${failed} failed`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
