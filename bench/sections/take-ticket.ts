import pg from 'pg';
import type { BenchContext, Row, Section } from '../support/context.js';
import { fixed, ms, otherStatuses, percent, perSecond } from '../support/format.js';
import { runLoad, type LoadJob, type LoadResult } from '../support/load.js';
import { runLoops, type LoopsResult } from '../support/loops.js';
import { countWritten, resetTickets, type WrittenRows } from '../support/postgres.js';
import { rawTakeTicket, type RawSettings } from '../support/raw-take-ticket.js';
import { ticketRequest, type Workload } from '../support/workload.js';

/** Issue target: the app gives at least half the tickets per second that bare SQL can. */
const MIN_APP_TO_RAW = 0.5;

/**
 * Throughput of "take a ticket": the app through HTTP (autocannon, N connections, as fast as it
 * answers) against the same transaction sent straight through `pg` by N loops, each on a fresh,
 * empty queue and fresh RUTs.
 */
export const takeTicketThroughput: Section = {
  id: 'take-ticket',
  title: 'take a ticket: throughput',
  async run(context) {
    const app = await appThroughput(context);
    const appRows = await countWritten(context.database.url);
    // Leave the app's queue job nothing to chew on while the baseline runs on the same machine.
    await resetTickets(context.database.url);
    const { result: raw, written: rawRows } = await rawThroughput(context);

    const appRate = app.created / app.seconds;
    const rawRate = raw.completed / raw.seconds;
    const ratio = rawRate > 0 ? appRate / rawRate : 0;
    const { connections } = context.settings;
    const rows: Row[] = [
      { metric: `app tickets/s (${connections} connections)`, value: perSecond(appRate) },
      { metric: 'app latency p50', value: ms(app.latency.p50) },
      { metric: 'app latency p99', value: ms(app.latency.p99) },
      { metric: 'app tickets given (201)', value: String(app.created) },
      { metric: 'app non-201 responses', value: `${app.responses - app.created} (${otherStatuses(app.byStatus)})` },
      { metric: 'app socket errors / timeouts', value: `${app.errors} / ${app.timeouts}` },
      { metric: 'app rows: tickets / mensajes / audits', value: written(appRows) },
      { metric: `raw SQL transactions/s (${connections} loops)`, value: perSecond(rawRate) },
      { metric: 'raw latency p50', value: ms(raw.latency.p50) },
      { metric: 'raw latency p99', value: ms(raw.latency.p99) },
      { metric: 'raw failed transactions', value: String(raw.failed) },
      { metric: 'raw rows: tickets / mensajes / audits', value: written(rawRows) },
      {
        metric: 'app / raw',
        value: percent(ratio),
        target: `>= ${fixed(MIN_APP_TO_RAW * 100, 0)} %`,
        met: ratio >= MIN_APP_TO_RAW,
      },
    ];
    for (const failure of [...app.failures, ...raw.failures]) context.log(`  sample failure: ${failure}`);
    return rows;
  },
};

/** Rows include work still in flight when the clock stopped (done, but not counted as throughput). */
const written = (rows: WrittenRows): string => `${rows.tickets} / ${rows.mensajes} / ${rows.audits}`;

async function appThroughput(context: BenchContext): Promise<LoadResult> {
  const { settings } = context;
  const job = (seconds: number): LoadJob => ({
    url: `${context.app.url}/api/tickets`,
    apiKey: context.kioskApiKey,
    connections: settings.connections,
    seconds,
    workload: { firstRut: context.freshRuts(), branches: context.branches },
  });
  context.log(`app: warm-up ${settings.warmupSeconds} s`);
  await runLoad(job(settings.warmupSeconds));
  await resetTickets(context.database.url);
  context.log(`app: POST /api/tickets, ${settings.connections} connections, ${settings.seconds} s`);
  return runLoad(job(settings.seconds));
}

async function rawThroughput(context: BenchContext): Promise<{ result: LoopsResult; written: WrittenRows }> {
  const { settings, config } = context;
  const database = await context.scratchDatabase('raw');
  const rawSettings: RawSettings = {
    opensEarlyMinutes: config.kioskOpensEarlyMinutes,
    proximoThreshold: config.proximoThreshold,
    personalData: context.app.personalData,
  };
  // One connection per loop: every loop really has a transaction in flight.
  const pool = new pg.Pool({
    connectionString: database.url,
    max: settings.connections,
    options: '-c TimeZone=UTC',
    statement_timeout: 10_000,
  });
  const loops = (seconds: number): Promise<LoopsResult> => {
    const workload: Workload = { firstRut: context.freshRuts(), branches: context.branches };
    return runLoops({
      concurrency: settings.connections,
      seconds,
      task: (n) => rawTakeTicket(pool, ticketRequest(workload, n), rawSettings),
    });
  };
  try {
    context.log(`raw: warm-up ${settings.warmupSeconds} s`);
    await loops(settings.warmupSeconds);
    await resetTickets(database.url);
    context.log(`raw: same transaction through pg, ${settings.connections} loops, ${settings.seconds} s`);
    const result = await loops(settings.seconds);
    return { result, written: await countWritten(database.url) };
  } finally {
    await pool.end();
  }
}
