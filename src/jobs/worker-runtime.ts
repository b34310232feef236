import { parentPort, threadId, workerData } from 'node:worker_threads';
import pg from 'pg';
import { systemClock, type Clock } from '../clock.js';
import { configInWorker, type Config, type WorkerConfig } from '../config.js';
import { createDb, type Db } from '../db/sql.js';
import { EventBus } from '../events.js';
import { createLogger, type Logger } from '../logger.js';
import type { WorkerMetric } from '../metrics/metrics.js';
import { JobLocks, leaderLocks, runScheduledJob, type Locks } from '../modules/jobs/job-runner.js';
import { PersonalDataCipher } from '../modules/privacy/cipher.js';
import { keysFromWorker } from '../modules/privacy/key-source.js';
import { createServices, type Services } from '../services.js';

/** How the scheduler runs one job's worker (plain data: it crosses a thread boundary). */
export interface JobOptions {
  /** Set for jobs that stay alive and run on their own period; unset for one run and exit. */
  intervalMs?: number;
  /** Keep the job's lock between runs: one instance runs it for as long as it lives. */
  leader?: boolean;
  /** Connections the worker may open (default 4). */
  poolMax?: number;
}

/** What the scheduler hands every worker (plain data: it crosses a thread boundary). */
export interface JobWorkerData {
  /** The app's config as the variables it was read from; the worker reads them with the same loadConfig. */
  config: WorkerConfig;
  /** The database the app runs on (the embedded server's when DATABASE_URL is unset). */
  databaseUrl: string;
  /** SPEC §14 keys, as text (see keysForWorker): given or generated, the app's own. */
  personalDataKeys: { dataKeys: string; blindIndexKey: string };
  job: JobOptions;
}

export interface WorkerContext {
  db: Db;
  logger: Logger;
  clock: Clock;
  events: EventBus;
  /** The app's config, validated in this thread by loadConfig. */
  config: Config;
  /** The same service graph as the app's (createServices). */
  services: Services;
  /** Decrypts and indexes RUTs and phones with the app's keys. */
  personalData: PersonalDataCipher;
  /** Hands a metric to the main thread's registry. */
  report: (metric: WorkerMetric) => void;
}

export type JobBody = () => Promise<Record<string, unknown> | void>;

/** A periodic job is skipped when another instance started it within this share of its period. */
const PERIOD_SLACK = 0.8;

/**
 * The life of a job's worker thread: open its own pg pool, run the job under its advisory lock —
 * once, or every `intervalMs` until Bree says "cancel" — then close everything and tell Bree.
 * Domain events raised in the worker are forwarded to the main thread.
 */
export async function runJobWorker(name: string, build: (ctx: WorkerContext) => JobBody): Promise<void> {
  const data = workerData as JobWorkerData;
  const config = configInWorker(data.config);
  const settings = data.job;
  const logger = createLogger(config.logLevel).child({ job: name, thread: threadId });
  let cancelled = false;
  let wake: (() => void) | undefined;
  // A wake-up that arrives while a run is in progress is not lost: the next pause is skipped.
  let wokenDuringRun = false;
  parentPort?.on('message', (message: unknown) => {
    if (message === 'cancel') {
      cancelled = true;
      wake?.();
    } else if (message === 'wake') {
      // Something happened in the main thread: run now rather than at the end of the period.
      wokenDuringRun = true;
      wake?.();
    }
  });

  const db = createDb({ url: data.databaseUrl, max: settings.poolMax ?? 4, logger, applicationName: `ticketero-${name}` });
  const events = new EventBus();
  events.onAny((envelope) => parentPort?.postMessage(envelope));
  const report = (metric: WorkerMetric): void => parentPort?.postMessage(metric);
  const personalData = new PersonalDataCipher(keysFromWorker(data.personalDataKeys));
  // No bot in a worker, so no deep link to give (a ticket taken here gets none, as without a bot).
  const links = { start: (): null => null };
  const services = createServices({ db, clock: systemClock, events, config, links, personalData, logger });
  const body = build({ db, logger, clock: systemClock, events, config, services, report, personalData });

  // The advisory locks live on one dedicated connection. If PostgreSQL restarts, that connection
  // (and every lock on it) is gone: drop it and connect again on the next run, so the worker (and
  // what it remembers, like the dispatcher's sent-but-unrecorded messages) lives on.
  let lockClient: pg.Client | null = null;
  let locks: Locks | null = null;
  const dropLocks = (client: pg.Client | null): void => {
    if (!client || client !== lockClient) return;
    lockClient = null;
    locks = null;
    void client.end().catch(() => {});
  };
  const connectLocks = async (): Promise<Locks> => {
    const client = new pg.Client({ connectionString: data.databaseUrl });
    client.on('error', (error) => {
      logger.warn({ err: error }, 'se perdió la conexión de los locks del trabajo; se reconecta en la próxima ejecución');
      dropLocks(client);
    });
    await client.connect();
    lockClient = client;
    const base = new JobLocks(client);
    locks = settings.leader ? leaderLocks(base) : base;
    return locks;
  };

  try {
    do {
      const started = performance.now();
      wokenDuringRun = false;
      wake = undefined;
      try {
        const current = locks ?? (await connectLocks());
        // A periodic job that is not a leader's runs once a period over all instances (a little
        // slack for the instances' timers and clocks).
        const once = settings.intervalMs && !settings.leader ? { notWithinMs: settings.intervalMs * PERIOD_SLACK } : {};
        const outcome = await runScheduledJob({ db, clock: systemClock, logger, locks: current }, name, body, once);
        if (outcome !== 'skipped') {
          report({ type: 'metric', kind: 'job', job: name, outcome, seconds: (performance.now() - started) / 1000 });
        }
      } catch (error) {
        // Only the lock connection fails this way (runScheduledJob handles the job's own errors).
        logger.warn({ err: error }, 'PostgreSQL no disponible para el trabajo; se reintenta en el próximo periodo');
        dropLocks(lockClient);
        if (!settings.intervalMs) throw error;
      }
      if (!settings.intervalMs || cancelled) break;
      if (wokenDuringRun) continue;
      const pause = Math.max(0, settings.intervalMs - (performance.now() - started));
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, pause);
      });
    } while (!cancelled);
  } finally {
    const client = lockClient as pg.Client | null;
    await client?.end().catch(() => {});
    await db.close().catch(() => {});
  }
  // 'done' either way: Bree then ends the thread quietly ('cancelled' makes it log a forced exit as an error).
  parentPort?.postMessage('done');
}
