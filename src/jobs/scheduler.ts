import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Bree from 'bree';
import { configForWorker, type Config } from '../config.js';
import { isEventEnvelope, type EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { isWorkerMetric, type WorkerMetric } from '../metrics/metrics.js';
import { dispatchConcurrency } from '../modules/notifications/dispatcher.js';
import { keysForWorker } from '../modules/privacy/key-source.js';
import type { PersonalDataKeys } from '../modules/privacy/keys.js';
import type { JobOptions, JobWorkerData } from './worker-runtime.js';
import { sendRatePerSecond } from '../modules/notifications/urgency.js';

export type JobName = 'queue' | 'dispatcher' | 'status-messages' | 'daily-maintenance' | 'weekly-maintenance' | 'floor' | 'reports';

/** How often the floor job looks at the clock (end of day, automatic no-shows). */
const FLOOR_INTERVAL_MS = 30_000;

/** How often the dispatcher looks for due messages when no event woke it. */
const DISPATCH_SWEEP_MS = 1000;

/** How often the chats' "Mi turno" messages are brought up to date (planned; the dispatcher edits). */
const STATUS_MESSAGES_MS = 5000;

export interface SchedulerDeps {
  config: Config;
  databaseUrl: string;
  logger: Logger;
  events: EventBus;
  /** SPEC §14 keys: workers that read RUTs or phones decrypt with the app's own keys. */
  personalDataKeys: PersonalDataKeys;
  /**
   * Folder of the worker files. Defaults to the compiled workers next to this file when
   * running from dist/, or the TypeScript sources (through a tsx bootstrap) under `npm start`.
   */
  workersDir?: string;
  /** Where the workers' metrics go (the main thread's registry). */
  onMetric?: (metric: WorkerMetric) => void;
}

export interface Scheduler {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Tells a long-lived job to run now (the dispatcher, after an event). */
  wake(name: JobName): void;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const runningCompiled = import.meta.url.endsWith('.js');

/**
 * Bree runs every job in a worker thread. The queue job is one long-lived worker looping on its
 * own period (a thread start and a pg pool per 5 s run would be waste); the maintenance jobs are one
 * worker per run on a cron in the branch's time zone. A long-lived worker that dies is started
 * again; advisory locks inside the workers keep one instance per job across app instances.
 */
export function createScheduler({ config, databaseUrl, logger, events, personalDataKeys, workersDir, onMetric }: SchedulerDeps): Scheduler {
  const log = logger.child({ component: 'scheduler' });
  const dir = workersDir ?? path.join(here, 'workers');
  const compiled = workersDir ? existsSync(path.join(dir, 'queue.worker.js')) : runningCompiled;

  const base: Omit<JobWorkerData, 'job'> = {
    config: configForWorker(config),
    databaseUrl,
    personalDataKeys: keysForWorker(personalDataKeys),
  };

  const job = (name: JobName, extra: Partial<Bree.JobOptions>, options: JobOptions = {}): Bree.JobOptions => {
    const entry = path.join(dir, `${name}.worker.${compiled ? 'js' : 'ts'}`);
    const workerData: JobWorkerData & { entry?: string } = { ...base, job: options, ...(compiled ? {} : { entry }) };
    return {
      name,
      path: compiled ? entry : path.join(dir, 'tsx-bootstrap.mjs'),
      worker: { workerData },
      ...extra,
    };
  };

  const longLived = new Set<string>(['queue', 'dispatcher', 'status-messages', 'floor', 'reports']);
  // Without a bot token nothing can be sent: messages stay PENDIENTE (SPEC §2).
  const dispatcher = config.telegram.token
    ? [
        job('dispatcher', { timeout: 0 }, { intervalMs: DISPATCH_SWEEP_MS, leader: true, poolMax: dispatchConcurrency(sendRatePerSecond(config)) + 2 }),
        job('status-messages', { timeout: 0 }, { intervalMs: STATUS_MESSAGES_MS, poolMax: 2 }),
      ]
    : [];
  const bree = new Bree({
    root: false,
    doRootCheck: false,
    logger: {
      info: (message: unknown) => log.debug({ bree: String(message) }, 'bree'),
      warn: (message: unknown) => log.warn({ bree: String(message) }, 'bree'),
      error: (message: unknown, meta: unknown) => log.error({ bree: String(message), meta }, 'bree'),
    },
    errorHandler: (error, data) => log.error({ err: error, job: data.name }, 'un trabajo terminó con error'),
    workerMessageHandler: ({ message }) => {
      if (isEventEnvelope(message)) events.dispatch(message);
      else if (isWorkerMetric(message)) onMetric?.(message);
    },
    jobs: [
      job('queue', { timeout: 0 }, { intervalMs: config.queueRecalcIntervalMs }),
      job('floor', { timeout: 0 }, { intervalMs: FLOOR_INTERVAL_MS }),
      // SPEC §20: today's report rollups, every REPORTS_REFRESH_SECONDS.
      job('reports', { timeout: 0 }, { intervalMs: config.reports.refreshSeconds * 1000 }),
      ...dispatcher,
      // At start (to catch up after downtime; it is idempotent) and every hour on the hour: each
      // branch's midnight falls on some hour in its own zone (SPEC §17), and the advisor figures are
      // counted from each branch's own midnight.
      job('daily-maintenance', { timeout: 0, cron: '0 * * * *', timezone: 'UTC' }),
      job('weekly-maintenance', { timeout: false, cron: '30 3 * * 0', timezone: config.branchTimeZone }),
    ],
  });

  let stopping = false;
  bree.on('worker deleted', (name: string) => {
    if (stopping || !longLived.has(name)) return;
    log.warn({ job: name }, 'el trabajo se detuvo inesperadamente; se reinicia en 1 s');
    setTimeout(() => {
      if (!stopping) bree.run(name).catch((error: unknown) => log.error({ err: error, job: name }, 'no se pudo reiniciar'));
    }, 1000).unref();
  });

  return {
    async start() {
      await bree.start();
      log.info(
        { jobs: bree.config.jobs.map((j) => j.name), compiled, intervalMs: config.queueRecalcIntervalMs },
        'trabajos programados iniciados',
      );
    },
    async stop() {
      stopping = true;
      await bree.stop();
    },
    wake(name) {
      bree.workers.get(name)?.postMessage('wake');
    },
  };
}
