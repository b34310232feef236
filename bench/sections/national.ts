/**
 * National scale (SPEC §16): 1,000 branches, 5,000 advisors, 20,000 waiting, three app
 * instances on one PostgreSQL — each its own OS process started as `npm start` starts it, with its
 * Bree jobs (the queue job every 5 s under its advisory lock), pool and LISTEN session — and 2,000
 * SSE screens spread over them, read by a process of their own. Everything reaches the instances over
 * HTTP: tickets through the kiosk API, advisors through the admin API. Measures the queue job per
 * tick (from job_run, whichever instance ran it), call → screen latency, the screens' database
 * work idle and during calls (each instance's /metrics), ticket latency at the peak and at a
 * steady 200/s with the queue job running, and the calls advisors get through.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { QUEUE_TYPES } from '../../src/domain/queue-types.js';
import type { Section } from '../support/context.js';
import { fixed, ms, perSecond } from '../support/format.js';
import { withClient } from '../support/postgres.js';
import { ADVISOR_QUEUES, count, insertWaitingTickets, percentile } from '../support/scale.js';
import { kioskTicket, postTicket, sleep } from '../support/telegram.js';
import { seriesValue, startAppProcess, type AppProcess } from '../support/app-process.js';
import { startScreenReaders, type ScreenReaders } from '../support/screen-readers.js';
import { ensureBranches } from '../support/branches.js';
import { benchKey } from '../support/keys.js';

const BRANCHES = 1000;
const ADVISORS_PER_BRANCH = 5;
const WAITING = 20_000;
const INSTANCES = 3;
const SCREENS = 2000;
const PEAK_TICKETS_PER_SECOND = 25;
const CALLS_PER_SECOND = 25;
const STEADY_TICKETS_PER_SECOND = 200;
const QUEUE_TICK_MS = 5000;
const IDLE_SECONDS = 5;

const MAX_QUEUE_TICK_MS = 1000;
const MAX_CALL_TO_SCREEN_P99_MS = 1000;
const MAX_TICKET_P99_MS = 50;

const branchName = (i: number): string => `Sucursal Nacional ${String(i).padStart(4, '0')}`;

/** The queue job's runs as job_run records them (any instance), polled every 100 ms. */
function watchQueueJob(databaseUrl: string): { stop(): Promise<number[]> } {
  const durations: number[] = [];
  let running = true;
  const loop = withClient(databaseUrl, async (client) => {
    let lastRuns = -1;
    while (running) {
      const { rows } = await client.query<{ runs: number; last_duration_ms: number | null }>(
        `select runs, last_duration_ms from job_run where name = 'queue'`,
      );
      const row = rows[0];
      if (row && lastRuns >= 0 && row.runs > lastRuns && row.last_duration_ms !== null) durations.push(row.last_duration_ms);
      if (row) lastRuns = row.runs;
      await sleep(100);
    }
  });
  return {
    async stop() {
      running = false;
      await loop;
      return durations;
    },
  };
}

/** Every instance's screen snapshots so far (`ticketero_screen_snapshots_total`). */
async function snapshotsTaken(apps: readonly AppProcess[]): Promise<number> {
  const texts = await Promise.all(apps.map((app) => app.metrics()));
  return texts.reduce((sum, text) => sum + seriesValue(text, 'ticketero_screen_snapshots_total'), 0);
}

/** An advisor's next step through the admin API: finish the customer being served, or become free. */
async function advisorStep(app: AppProcess, adminKey: string, advisorId: number): Promise<'completed' | 'freed' | string> {
  const headers = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
  const signal = AbortSignal.timeout(10_000);
  const done = await fetch(`${app.url}/api/admin/advisors/${advisorId}/complete-ticket`, { method: 'PUT', headers, signal });
  await done.arrayBuffer();
  if (done.ok) return 'completed';
  const freed = await fetch(`${app.url}/api/admin/advisors/${advisorId}/status`, {
    method: 'PUT',
    headers,
    body: JSON.stringify({ status: 'AVAILABLE' }),
    signal,
  });
  const answer = await freed.text();
  // A failure says why (status and error code), so a run that fails its actions can be read.
  return freed.ok ? 'freed' : `${freed.status} ${/"error":"([^"]+)"/.exec(answer)?.[1] ?? answer.slice(0, 60)}`;
}

/** How the advisor actions that failed failed, most frequent first. */
function failureSummary(failures: Map<string, number>): string {
  return [...failures].sort((a, b) => b[1] - a[1]).map(([why, n]) => `${why} ×${n}`).join('; ') || 'none';
}

export const nationalBench: Section = {
  id: 'national',
  title: 'national scale: 1,000 branches, three instances (OS processes), 2,000 screens',
  async run(context) {
    const database = await context.scratchDatabase('national');
    const branches = Array.from({ length: BRANCHES }, (_, i) => branchName(i + 1));
    const apps: AppProcess[] = [];
    const logs = await mkdtemp(path.join(tmpdir(), 'ticketero-bench-national-'));
    let readers: ScreenReaders | null = null;
    let failed = true;
    try {
      const seedMs = await withClient(database.url, async (client) => {
        const started = performance.now();
        await ensureBranches(client, branches, context.config.branchTimeZone);
        await client.query(
          `insert into advisor (name, email, status, module_number, queue_types, branch_office)
           select 'Asesor ' || k || ' ' || b.name, 'asesor' || k || '.nacional' || b.ix || '@bench.banco.com', 'BUSY',
                  k, ($2::text[])[k]::json, b.name
           from unnest($1::text[]) with ordinality as b(name, ix) cross join generate_series(1, ${ADVISORS_PER_BRANCH}) k`,
          [branches, ADVISOR_QUEUES],
        );
        await insertWaitingTickets(client, {
          branches,
          queueTypes: QUEUE_TYPES,
          count: WAITING,
          timeZone: context.config.branchTimeZone,
          firstRut: context.freshRuts(),
        });
        await client.query('vacuum analyze');
        return performance.now() - started;
      });
      context.log(
        `${count(BRANCHES)} branches, ${count(BRANCHES * ADVISORS_PER_BRANCH)} advisors (all BUSY), ` +
          `${count(WAITING)} waiting inserted in ${fixed(seedMs / 1000, 1)} s`,
      );

      // Three production instances on one database and one set of SPEC §14 keys, jobs on.
      const adminKey = benchKey('admin');
      const env = {
        ...generateKeyEnv('bench'),
        NODE_ENV: 'production',
        KIOSK_API_KEY: context.kioskApiKey,
        ADMIN_API_KEY: adminKey,
        DATABASE_URL: database.url,
        DATABASE_POOL_MAX: '10',
        MIGRATE_ON_START: 'false',
        QUEUE_RECALC_INTERVAL_MS: String(QUEUE_TICK_MS),
        TZ_BRANCH: context.config.branchTimeZone,
        // Every bench screen comes from one loopback address: the per-IP cap (SPEC §22) is lifted.
        SCREEN_STREAMS_PER_IP: '1000000',
        // The safety sweep is reported as its bound below; here it stays out of the idle count.
        SCREEN_SWEEP_SECONDS: '3600',
      };
      const started = performance.now();
      apps.push(
        ...(await Promise.all(
          Array.from({ length: INSTANCES }, (_, i) => startAppProcess(env, { logFile: path.join(logs, `instance-${i + 1}.log`) })),
        )),
      );
      context.log(`${INSTANCES} instances up (pids ${apps.map((a) => a.pid).join(', ')}) in ${ms(performance.now() - started)}; logs in ${logs}`);
      const queueJob = watchQueueJob(database.url);

      // 2,000 screens: two per branch, spread over the instances, read in their own process.
      readers = startScreenReaders();
      const openMs = await readers.open(
        Array.from({ length: SCREENS }, (_, n) => `${apps[n % INSTANCES]!.url}/pantalla/stream?branch=${encodeURIComponent(branches[n % BRANCHES]!)}`),
      );
      context.log(`${count(SCREENS)} screens connected over ${INSTANCES} instances in ${ms(openMs)}`);

      await sleep(1000);
      const idleBefore = await snapshotsTaken(apps);
      await sleep(IDLE_SECONDS * 1000);
      const idleRate = ((await snapshotsTaken(apps)) - idleBefore) / IDLE_SECONDS;

      // Peak: 25 tickets/s over the instances, advisors finishing or freed at 25 actions/s.
      const { seconds } = context.settings;
      await readers.mark();
      const callsStart = await snapshotsTaken(apps);
      const peakRut = context.freshRuts();
      const advisors = await withClient(database.url, async (client) => {
        const { rows } = await client.query<{ id: string }>(`select id from advisor order by random()`);
        return rows.map((r) => Number(r.id));
      });
      const steps = { completed: 0, freed: 0, failed: 0 };
      const failures = new Map<string, number>();
      const failedBecause = (why: string): void => {
        steps.failed++;
        failures.set(why, (failures.get(why) ?? 0) + 1);
      };
      const pending: Promise<void>[] = [];
      const peakLatency: number[] = [];
      const peakStarted = performance.now();
      let ticketsFired = 0;
      let actionsAsked = 0;
      while (performance.now() - peakStarted < seconds * 1000) {
        const elapsed = performance.now() - peakStarted;
        while (ticketsFired < Math.floor((elapsed * PEAK_TICKETS_PER_SECOND) / 1000)) {
          const n = ticketsFired++;
          const sent = performance.now();
          pending.push(
            postTicket(apps[n % INSTANCES]!.url, context.kioskApiKey, kioskTicket(n, peakRut, branches, false)).then(
              (answer) => void (answer.status === 201 && peakLatency.push(performance.now() - sent)),
              () => undefined,
            ),
          );
        }
        while (actionsAsked < Math.floor((elapsed * CALLS_PER_SECOND) / 1000)) {
          const n = actionsAsked++;
          pending.push(
            advisorStep(apps[n % INSTANCES]!, adminKey, advisors[n % advisors.length]!).then(
              (outcome) => (outcome === 'completed' || outcome === 'freed' ? void steps[outcome]++ : failedBecause(outcome)),
              (error: unknown) => failedBecause(error instanceof Error ? error.name : 'error'),
            ),
          );
        }
        await sleep(5);
      }
      await Promise.all(pending.splice(0));
      const peakSeconds = (performance.now() - peakStarted) / 1000;
      await sleep(1500); // the last calls reach the screens
      const peakSnapshots = (await snapshotsTaken(apps)) - callsStart;
      const callsRate = peakSnapshots / (peakSeconds + 1.5);
      const { calledDelaysMs: latency } = await readers.report();
      const calledEvents = latency.length;
      const calls = await withClient(database.url, async (client) => {
        const { rows } = await client.query<{ n: number }>(
          `select count(*)::int as n from ticket where assigned_at > (now() at time zone 'UTC') - make_interval(secs => $1)`,
          [peakSeconds + 5],
        );
        return rows[0]?.n ?? 0;
      });
      context.log(
        `peak: ${count(ticketsFired)} tickets, ${count(actionsAsked)} advisor actions (${steps.completed} completed, ` +
          `${steps.freed} freed, ${steps.failed} failed: ${failureSummary(failures)}) → ${count(calls)} calls in ${fixed(peakSeconds, 1)} s; ` +
          `${count(calledEvents)} "called" events on screens; snapshots ${fixed(callsRate, 1)}/s`,
      );
      context.log(`steady phase: ${STEADY_TICKETS_PER_SECOND} tickets/s for ${seconds} s`);

      // Steady 200 tickets/s with the queue job running.
      const steadyRut = context.freshRuts();
      const steadyLatency: number[] = [];
      const steadyStatuses: Record<string, number> = {};
      const steadyStarted = performance.now();
      let steadyFired = 0;
      while (performance.now() - steadyStarted < seconds * 1000) {
        while (steadyFired < Math.floor(((performance.now() - steadyStarted) * STEADY_TICKETS_PER_SECOND) / 1000)) {
          const n = steadyFired++;
          const sent = performance.now();
          pending.push(
            postTicket(apps[n % INSTANCES]!.url, context.kioskApiKey, kioskTicket(n, steadyRut, branches, false)).then(
              (answer) => {
                steadyStatuses[answer.status] = (steadyStatuses[answer.status] ?? 0) + 1;
                if (answer.status === 201) steadyLatency.push(performance.now() - sent);
              },
              () => void (steadyStatuses.error = (steadyStatuses.error ?? 0) + 1),
            ),
          );
        }
        await sleep(1);
      }
      context.log(`steady phase: ${count(steadyFired)} tickets sent, waiting for their answers`);
      await Promise.all(pending.splice(0));
      const steadySeconds = (performance.now() - steadyStarted) / 1000;
      const tickMs = await queueJob.stop();
      context.log(`queue job runs (ms, in order; the first after the start rewrites every waiting ticket): ${tickMs.join(', ')}`);

      const ticketP99 = percentile(steadyLatency, 99);
      // The first run after the start rewrites every seeded ticket (inserted with position and estimate 0).
      const steadyTicks = tickMs.slice(1);
      const tickMax = Math.max(...steadyTicks);
      const screenP99 = percentile(latency, 99);
      // A change a screen shows: a ticket taken, a customer called, a service finished (each its own transaction).
      const changes = ticketsFired + calls + steps.completed;
      const snapshotsPerChange = changes > 0 ? peakSnapshots / changes : Number.NaN;
      const others = Object.entries(steadyStatuses).filter(([status]) => status !== '201');
      failed = false;
      return [
        {
          metric: `queue job per tick (${count(WAITING)} waiting at start, ${count(BRANCHES)} branches), max of ${steadyTicks.length} runs after the first (median ${ms(percentile(steadyTicks, 50))})`,
          value: ms(tickMax),
          target: `< ${MAX_QUEUE_TICK_MS} ms`,
          met: steadyTicks.length > 0 && tickMax < MAX_QUEUE_TICK_MS,
        },
        { metric: 'queue job: first run after the start (rewrites every seeded waiting ticket)', value: ms(tickMs[0] ?? Number.NaN) },
        { metric: 'call → screen p50', value: ms(percentile(latency, 50)) },
        {
          metric: `call → screen p99 (${count(latency.length)} "called" events on ${count(SCREENS)} screens)`,
          value: ms(screenP99),
          target: `< ${MAX_CALL_TO_SCREEN_P99_MS} ms`,
          met: screenP99 < MAX_CALL_TO_SCREEN_P99_MS,
        },
        {
          metric: `screen snapshots/s while nothing changes (${count(SCREENS)} screens, ${count(BRANCHES)} branches)`,
          value: perSecond(idleRate),
          target: '0 (sweep aside)',
          met: idleRate === 0,
        },
        {
          metric: `screen snapshots per change during the peak (tickets, calls, completions; ${INSTANCES} instances, 2 screens a branch)`,
          value: fixed(snapshotsPerChange, 2),
          target: '≤ 2 (follows changes)',
          met: snapshotsPerChange <= 2,
        },
        {
          metric: `safety sweep at the default SCREEN_SWEEP_SECONDS=30 (bound: branches with screens × instances ÷ 30 s)`,
          value: perSecond(Math.min(BRANCHES * INSTANCES, SCREENS) / 30),
        },
        { metric: 'screen snapshots/s during the peak', value: perSecond(callsRate) },
        { metric: `calls made (asked ${CALLS_PER_SECOND} advisor actions/s with ${PEAK_TICKETS_PER_SECOND} tickets/s)`, value: perSecond(calls / peakSeconds) },
        {
          metric: `POST /api/tickets p50 / p99 at the peak (${PEAK_TICKETS_PER_SECOND}/s, ${count(peakLatency.length)} tickets)`,
          value: `${ms(percentile(peakLatency, 50))} / ${ms(percentile(peakLatency, 99))}`,
        },
        {
          metric: `POST /api/tickets p99 at a steady ${STEADY_TICKETS_PER_SECOND}/s, queue job running (${count(steadyLatency.length)} tickets in ${fixed(steadySeconds, 1)} s; p50 ${ms(percentile(steadyLatency, 50))}; non-201: ${others.length ? others.map(([k, v]) => `${k}×${v}`).join(', ') : 'none'})`,
          value: ms(ticketP99),
          target: `< ${MAX_TICKET_P99_MS} ms`,
          met: ticketP99 < MAX_TICKET_P99_MS && others.length === 0,
        },
      ];
    } finally {
      context.log('national: closing the screens, stopping the instances, dropping the database');
      await readers?.close().catch(() => undefined);
      await Promise.all(apps.map((app) => app.stop().catch(() => undefined)));
      if (!failed) await rm(logs, { recursive: true, force: true });
      else context.log(`national: instance logs kept in ${logs}`);
      await database.drop();
    }
  },
};
