/**
 * National scale (SPEC §16): 1,000 branches, 5,000 advisors, 20,000 waiting, three app
 * instances on one PostgreSQL (in this process, each with its own pool, HTTP server and LISTEN
 * session), 2,000 SSE screens spread over them. Measures the queue job per tick, call → screen
 * latency, the screens' database work idle and during calls, ticket latency at a steady 200/s
 * with the queue job running, and the calls advisors get through.
 */
import { setMaxListeners } from 'node:events';
import { loadConfig } from '../../src/config.js';
import { QUEUE_TYPES } from '../../src/domain/queue-types.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { openScreen, type Screen } from '../../test/support/sse.js';
import type { Section } from '../support/context.js';
import { fixed, ms, perSecond } from '../support/format.js';
import { withClient } from '../support/postgres.js';
import { ADVISOR_QUEUES, count, insertWaitingTickets, percentile } from '../support/scale.js';
import { kioskTicket, postTicket, sleep } from '../support/telegram.js';

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

export const nationalBench: Section = {
  id: 'national',
  title: 'national scale: 1,000 branches, three instances, 2,000 screens',
  async run(context) {
    const database = await context.scratchDatabase('national');
    const branches = Array.from({ length: BRANCHES }, (_, i) => branchName(i + 1));
    const apps: RunningApp[] = [];
    const controller = new AbortController();
    setMaxListeners(SCREENS + 10, controller.signal); // one listener per screen's stream
    try {
      const seedMs = await withClient(database.url, async (client) => {
        const started = performance.now();
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

      for (let i = 0; i < INSTANCES; i++) {
        const config = loadConfig({
          NODE_ENV: 'production',
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'silent',
          KIOSK_API_KEY: context.kioskApiKey,
          DATABASE_URL: database.url,
          DATABASE_POOL_MAX: '10',
          MIGRATE_ON_START: 'false',
          // The safety sweep is reported as its bound below; here it stays out of the idle count.
          SCREEN_SWEEP_SECONDS: '3600',
        });
        // The queue job is run below by hand on instance 1 (the same body the Bree worker runs), to time each tick.
        apps.push(await startApp(config, { logger: createLogger('silent'), jobs: false }));
      }
      const [first] = apps;
      const tickMs: number[] = [];
      let ticking = true;
      const queueJob = (async () => {
        while (ticking) {
          const started = performance.now();
          await first!.services.queue.tick().catch(() => undefined);
          tickMs.push(performance.now() - started);
          const rest = QUEUE_TICK_MS - (performance.now() - started);
          for (let waited = 0; ticking && waited < rest; waited += 100) await sleep(Math.min(100, rest - waited));
        }
      })();

      // 2,000 screens: two per branch, spread over the instances.
      const opened = performance.now();
      const screens: Array<{ screen: Screen; branch: string }> = [];
      for (let s = 0; s < SCREENS; s += 100) {
        screens.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(100, SCREENS - s) }, async (_, k) => {
              const n = s + k;
              const branch = branches[n % BRANCHES]!;
              const url = `${apps[n % INSTANCES]!.url}/pantalla/stream?branch=${encodeURIComponent(branch)}`;
              return { screen: await openScreen(url, controller.signal), branch };
            }),
          )),
        );
      }
      while (screens.some(({ screen }) => !screen.events.some((e) => e.event === 'snapshot'))) await sleep(50);
      context.log(`${count(SCREENS)} screens connected over ${INSTANCES} instances in ${ms(performance.now() - opened)}`);

      const snapshots = (): number => apps.reduce((sum, app) => sum + app.screenHub.snapshotsTaken, 0);
      await sleep(1000);
      const idleBefore = snapshots();
      await sleep(IDLE_SECONDS * 1000);
      const idleRate = (snapshots() - idleBefore) / IDLE_SECONDS;

      // Peak: 25 tickets/s over the instances, advisors freed or completing at 25 calls/s.
      const { seconds } = context.settings;
      const calledBefore = new Map(screens.map(({ screen }) => [screen, screen.events.filter((e) => e.event === 'called').length]));
      const callsStart = snapshots();
      const peakRut = context.freshRuts();
      const advisors = await withClient(database.url, async (client) => {
        const { rows } = await client.query<{ id: string }>(`select id from advisor order by random()`);
        return rows.map((r) => Number(r.id));
      });
      let callsAsked = 0;
      let callsDone = 0;
      let completions = 0;
      const pendingCalls: Promise<void>[] = [];
      const peakStarted = performance.now();
      const ticketLatency: number[] = [];
      const pendingTickets: Promise<void>[] = [];
      let ticketsFired = 0;
      while (performance.now() - peakStarted < seconds * 1000) {
        const elapsed = performance.now() - peakStarted;
        while (ticketsFired < Math.floor((elapsed * PEAK_TICKETS_PER_SECOND) / 1000)) {
          const n = ticketsFired++;
          pendingTickets.push(
            postTicket(apps[n % INSTANCES]!.url, context.kioskApiKey, kioskTicket(n, peakRut, branches, false)).then(() => undefined, () => undefined),
          );
        }
        while (callsAsked < Math.floor((elapsed * CALLS_PER_SECOND) / 1000)) {
          const advisorId = advisors[callsAsked % advisors.length]!;
          const app = apps[callsAsked % INSTANCES]!;
          callsAsked++;
          pendingCalls.push(
            (async () => {
              const view = await app.services.advisors.get(advisorId);
              if (view.status === 'BUSY' && view.currentTicket) {
                await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', { actor: 'SYSTEM' });
                completions++;
              } else await app.services.floor.setStatus(advisorId, 'AVAILABLE', null, { actor: 'SYSTEM' });
              callsDone++;
            })().catch(() => undefined),
          );
        }
        await sleep(5);
      }
      await Promise.all([...pendingCalls, ...pendingTickets]);
      const peakSeconds = (performance.now() - peakStarted) / 1000;
      await sleep(1500); // the last calls reach the screens
      const callsRate = (snapshots() - callsStart) / (peakSeconds + 1.5);
      const latency: number[] = [];
      let calledEvents = 0;
      for (const { screen } of screens) {
        const fresh = screen.events.filter((e) => e.event === 'called').slice(calledBefore.get(screen) ?? 0);
        calledEvents += fresh.length;
        for (const e of fresh) latency.push(e.at - Date.parse((e.data as { calledAt: string }).calledAt));
      }
      const calls = await withClient(database.url, async (client) => {
        const { rows } = await client.query<{ n: number }>(
          `select count(*)::int as n from ticket where assigned_at > (now() at time zone 'UTC') - make_interval(secs => $1)`,
          [peakSeconds + 5],
        );
        return rows[0]?.n ?? 0;
      });
      context.log(
        `peak: ${count(ticketsFired)} tickets, ${count(callsDone)} advisor actions → ${count(calls)} calls in ${fixed(peakSeconds, 1)} s; ` +
          `${count(calledEvents)} "called" events on screens; snapshots ${fixed(callsRate, 1)}/s`,
      );

      // Steady 200 tickets/s with the queue job running.
      const steadyRut = context.freshRuts();
      const steadyStarted = performance.now();
      let steadyFired = 0;
      while (performance.now() - steadyStarted < seconds * 1000) {
        while (steadyFired < Math.floor(((performance.now() - steadyStarted) * STEADY_TICKETS_PER_SECOND) / 1000)) {
          const n = steadyFired++;
          const sent = performance.now();
          pendingTickets.push(
            postTicket(apps[n % INSTANCES]!.url, context.kioskApiKey, kioskTicket(n, steadyRut, branches, false)).then(
              (answer) => void (answer.status === 201 && ticketLatency.push(performance.now() - sent)),
              () => undefined,
            ),
          );
        }
        await sleep(1);
      }
      await Promise.all(pendingTickets);
      ticking = false;
      await queueJob;

      const ticketP99 = percentile(ticketLatency, 99);
      const tickMax = Math.max(...tickMs.slice(1));
      const screenP99 = percentile(latency, 99);
      // A change a screen shows: a ticket taken, a customer called, a service finished (each its own transaction).
      const changes = ticketsFired + calls + completions;
      const snapshotsPerChange = changes > 0 ? (callsRate * (peakSeconds + 1.5)) / changes : Number.NaN;
      return [
        {
          metric: `queue job per tick (${count(WAITING)} waiting at start, ${count(BRANCHES)} branches), max of ${tickMs.length - 1} after the first`,
          value: ms(tickMax),
          target: `< ${MAX_QUEUE_TICK_MS} ms`,
          met: tickMax < MAX_QUEUE_TICK_MS,
        },
        { metric: 'queue job: first tick (rewrites every waiting ticket)', value: ms(tickMs[0] ?? Number.NaN) },
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
        { metric: `calls made (asked ${CALLS_PER_SECOND}/s with ${PEAK_TICKETS_PER_SECOND} tickets/s)`, value: perSecond(calls / peakSeconds) },
        {
          metric: `POST /api/tickets p99 at a steady ${STEADY_TICKETS_PER_SECOND}/s, queue job running (${count(ticketLatency.length)} tickets)`,
          value: ms(ticketP99),
          target: `< ${MAX_TICKET_P99_MS} ms`,
          met: ticketP99 < MAX_TICKET_P99_MS,
        },
      ];
    } finally {
      controller.abort();
      for (const app of apps.reverse()) await app.stop().catch(() => undefined);
      await database.drop();
    }
  },
};
