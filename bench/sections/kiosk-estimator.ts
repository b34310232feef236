/**
 * Issue 21: the kiosk path with the replay estimator against the same path with the seed's formula
 * (WAIT_ESTIMATOR=formula) and against the raw SQL transaction (pgbench), alternated in one run
 * (replay, formula, raw, twice), with a line of 4,000 waiting in one branch before each run and every
 * ticket of the run going to that branch (so the line only grows). Two app processes on one scratch
 * database, each as `npm start` runs it (jobs on); advisors as seeded (mostly not free).
 */
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { QUEUE_TYPES } from '../../src/domain/queue-types.js';
import { startAppProcess } from '../support/app-process.js';
import type { Row, Section } from '../support/context.js';
import { fixed, ms, percent, perSecond } from '../support/format.js';
import { resetTicketsBesideJobs, withClient } from '../support/postgres.js';
import { insertWaitingTickets } from '../support/scale.js';
import { pgbench, wrk, type SideRun } from './kiosk-wrk.js';

const LINE = 4000;
const ROUNDS = 2;
const MIN_REPLAY_TO_FORMULA = 0.9;
const MIN_REPLAY_TO_RAW = 0.75;
const MAX_P99_TO_P50 = 4;

export const kioskEstimator: Section = {
  id: 'kiosk-estimator',
  title: 'kiosk path with a line of 4,000 in one branch: replay estimator against formula and raw SQL',
  async run(context) {
    const { settings } = context;
    const database = await context.scratchDatabase('kiosk-estimator');
    const branch = context.branches[0]!;
    const one = { ...context, branches: [branch] };
    const env = (estimator: string): Record<string, string> => ({
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: String(settings.connections),
      KIOSK_API_KEY: context.kioskApiKey,
      TZ_BRANCH: context.config.branchTimeZone,
      PROXIMO_THRESHOLD: String(context.config.proximoThreshold),
      WAIT_ESTIMATOR: estimator,
    });
    const keys = generateKeyEnv('bench');
    const replayApp = await startAppProcess({ ...env('replay'), ...keys }, { log: context.log });
    const formulaApp = await startAppProcess({ ...env('formula'), ...keys }, { log: context.log });
    const runs: Record<'replay' | 'formula' | 'raw', SideRun[]> = { replay: [], formula: [], raw: [] };
    const seedRut = context.freshRuts();
    // Every run starts from emptied queues: the runs reuse one block of RUTs, apart from the seeded line's.
    const runRut = context.freshRuts();
    try {
      /** Empty queues, then the long line in the branch (its counters set to match). */
      const fresh = async (): Promise<void> => {
        // Requests wrk left in flight finish first (on a loaded machine an app may still be working
        // through them): a ticket committed after the reset would take a number the line then reuses.
        await withClient(database.url, async (client) => {
          let last = '';
          for (;;) {
            const { rows } = await client.query<{ top: string | null }>('select max(id)::text as top from ticket');
            const top = rows[0]?.top ?? '';
            if (top === last) break;
            last = top;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        });
        await resetTicketsBesideJobs(database.url);
        await withClient(database.url, async (client) => {
          await insertWaitingTickets(client, {
            branches: [branch],
            queueTypes: QUEUE_TYPES,
            count: LINE,
            timeZone: context.config.branchTimeZone,
            firstRut: seedRut,
          });
          await client.query('vacuum analyze ticket');
        });
      };
      const side = async (name: 'replay' | 'formula' | 'raw', seconds: number, keep: boolean): Promise<void> => {
        await fresh();
        const r =
          name === 'raw'
            ? await pgbench(database.url, one, runRut, seconds)
            : await wrk(name === 'replay' ? replayApp.url : formulaApp.url, one, runRut, seconds);
        if (keep) {
          runs[name].push(r);
          context.log(`  ${name}: ${perSecond(r.done / r.seconds)}, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}; ${r.detail}`);
        }
      };
      context.log(`warm-up: ${settings.warmupSeconds} s each`);
      for (const name of ['replay', 'formula', 'raw'] as const) await side(name, settings.warmupSeconds, false);
      for (let round = 1; round <= ROUNDS; round++) {
        context.log(`round ${round} (${settings.seconds} s each, ${LINE} waiting in ${branch} at the start)`);
        for (const name of ['replay', 'formula', 'raw'] as const) await side(name, settings.seconds, true);
      }
    } finally {
      await replayApp.stop();
      await formulaApp.stop();
      await database.drop();
    }
    const rate = (list: SideRun[]): number => list.reduce((s, r) => s + r.done, 0) / list.reduce((s, r) => s + r.seconds, 0);
    const replay = rate(runs.replay);
    const formula = rate(runs.formula);
    const raw = rate(runs.raw);
    const worst = runs.replay.reduce((w, r) => (r.p99 / r.p50 > w.p99 / w.p50 ? r : w));
    const spread = worst.p99 / worst.p50;
    const list = (l: SideRun[]): string => l.map((r) => `${perSecond(r.done / r.seconds)} (p50 ${ms(r.p50)}, p99 ${ms(r.p99)})`).join(', ');
    const rows: Row[] = [
      { metric: `replay (wrk, ${settings.connections} connections)`, value: list(runs.replay) },
      { metric: 'formula (wrk)', value: list(runs.formula) },
      { metric: 'raw SQL (pgbench)', value: list(runs.raw) },
      {
        metric: 'replay / formula tickets/s',
        value: `${percent(replay / formula)} (${perSecond(replay)} / ${perSecond(formula)})`,
        target: `>= ${fixed(MIN_REPLAY_TO_FORMULA * 100, 0)} %`,
        met: replay / formula >= MIN_REPLAY_TO_FORMULA,
      },
      {
        metric: 'replay / raw tickets/s',
        value: `${percent(replay / raw)} (${perSecond(replay)} / ${perSecond(raw)})`,
        target: `>= ${fixed(MIN_REPLAY_TO_RAW * 100, 0)} %`,
        met: replay / raw >= MIN_REPLAY_TO_RAW,
      },
      { metric: 'formula / raw tickets/s', value: percent(formula / raw) },
      { metric: 'replay p99 / p50 (worse run)', value: fixed(spread, 2), target: `<= ${MAX_P99_TO_P50}`, met: spread <= MAX_P99_TO_P50 },
      {
        metric: 'replay non-201 answers',
        value: String(runs.replay.reduce((s, r) => s + r.failed, 0)),
        target: '0',
        met: runs.replay.every((r) => r.failed === 0),
      },
    ];
    return rows;
  },
};
