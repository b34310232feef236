import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Queryable } from '../db/sql.js';
import type { EventBus } from '../events.js';
import type { DispatchEvent } from '../modules/notifications/dispatcher.js';

/** What a job's worker thread reports to the main thread's registry (it has none of its own). */
export type WorkerMetric =
  | { type: 'metric'; kind: 'dispatch'; event: DispatchEvent }
  | { type: 'metric'; kind: 'job'; job: string; outcome: 'ok' | 'failed'; seconds: number }
  | { type: 'metric'; kind: 'circuit'; open: boolean };

export function isWorkerMetric(value: unknown): value is WorkerMetric {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'metric';
}

/** What this instance's waiting-room screens cost: streams open, snapshots taken and sweeps run since start. */
export interface ScreenStats {
  connected: number;
  snapshots: number;
  sweeps?: number;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

interface Snapshot {
  waiting: { branch: string; queue: string; n: number }[];
  advisors: { branch: string; status: string; n: number }[];
  jobs: { job: string; last_duration_ms: number | null; last_succeeded_at: number | null }[];
  due: number;
}

/**
 * One query at scrape time for every gauge that needs the database: a handful of grouped counts
 * over indexed columns, run only when Prometheus asks (never on a hot path).
 */
const SNAPSHOT_SQL = `select json_build_object(
  'waiting', coalesce((select json_agg(w) from (select branch_office as branch, queue_type as queue, count(*)::int as n
      from ticket where status in ('EN_ESPERA', 'PROXIMO') group by 1, 2) w), '[]'),
  'advisors', coalesce((select json_agg(a) from (select branch_office as branch, status, count(*)::int as n
      from advisor group by 1, 2) a), '[]'),
  'jobs', coalesce((select json_agg(j) from (select name as job, last_duration_ms,
      extract(epoch from last_succeeded_at)::float8 as last_succeeded_at from job_run) j), '[]'),
  'due', (select count(*)::int from mensaje where estado_envio = 'PENDIENTE' and fecha_programada <= now() at time zone 'UTC')
) as snapshot`;

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const WAIT_SECONDS = [60, 120, 300, 600, 900, 1200, 1800, 2700, 3600, 5400, 7200];
const LAG_SECONDS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300];

/**
 * The app's Prometheus registry (SPEC §15). Counters and histograms follow domain events (the
 * main thread's, and those the job workers forward) and what the workers report; gauges that need
 * the database are read at scrape time by `collect()`.
 */
export class AppMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly ticketsCreated: Counter<'branch' | 'queue'>;
  private readonly ticketsFinished: Counter<'branch' | 'queue' | 'outcome'>;
  private readonly realizedWait: Histogram<'branch' | 'queue'>;
  private readonly waiting: Gauge<'branch' | 'queue'>;
  private readonly advisors: Gauge<'branch' | 'status'>;
  private readonly messages: Counter<'outcome' | 'template'>;
  private readonly dispatchLag: Histogram<'template'>;
  private readonly messagesDue: Gauge;
  private readonly circuitOpen: Gauge;
  private readonly jobDuration: Histogram<'job' | 'outcome'>;
  private readonly jobFailures: Counter<'job'>;
  private readonly jobLastDuration: Gauge<'job'>;
  private readonly jobLastSuccess: Gauge<'job'>;
  private readonly pool: Gauge<'state'>;
  private readonly screensConnected: Gauge;
  private readonly screenSnapshots: Counter;
  private screenSnapshotsSeen = 0;
  private readonly screenSweeps: Counter;
  private screenSweepsSeen = 0;
  private readonly offEvents: Array<() => void>;

  constructor(
    private readonly deps: { events: EventBus; db: Queryable; poolStats: () => PoolStats; screens?: () => ScreenStats },
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'ticketero_' });
    this.httpRequests = new Counter({
      name: 'ticketero_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'ticketero_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: SECONDS,
      registers,
    });
    this.ticketsCreated = new Counter({
      name: 'ticketero_tickets_created_total',
      help: 'Tickets created, by branch and queue',
      labelNames: ['branch', 'queue'],
      registers,
    });
    this.ticketsFinished = new Counter({
      name: 'ticketero_tickets_finished_total',
      help: 'Tickets finished, by branch, queue and outcome (COMPLETADO, NO_ATENDIDO, CANCELADO)',
      labelNames: ['branch', 'queue', 'outcome'],
      registers,
    });
    this.realizedWait = new Histogram({
      name: 'ticketero_ticket_wait_seconds',
      help: 'Realized wait: ticket created to first call',
      labelNames: ['branch', 'queue'],
      buckets: WAIT_SECONDS,
      registers,
    });
    this.waiting = new Gauge({
      name: 'ticketero_tickets_waiting',
      help: 'Tickets waiting (EN_ESPERA or PROXIMO), by branch and queue',
      labelNames: ['branch', 'queue'],
      registers,
    });
    this.advisors = new Gauge({
      name: 'ticketero_advisors',
      help: 'Advisors by branch and state',
      labelNames: ['branch', 'status'],
      registers,
    });
    this.messages = new Counter({
      name: 'ticketero_messages_total',
      help: 'Telegram notifications by outcome (sent, retried, failed, held while Telegram is down) and template',
      labelNames: ['outcome', 'template'],
      registers,
    });
    this.dispatchLag = new Histogram({
      name: 'ticketero_message_dispatch_lag_seconds',
      help: 'From a message becoming due to it being sent',
      labelNames: ['template'],
      buckets: LAG_SECONDS,
      registers,
    });
    this.messagesDue = new Gauge({
      name: 'ticketero_messages_due',
      help: 'Messages due and not yet sent',
      registers,
    });
    this.circuitOpen = new Gauge({
      name: 'ticketero_telegram_circuit_open',
      help: '1 while the dispatcher holds messages because Telegram does not answer',
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'ticketero_job_run_duration_seconds',
      help: 'Scheduled job runs by job and outcome',
      labelNames: ['job', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.jobFailures = new Counter({
      name: 'ticketero_job_failures_total',
      help: 'Scheduled job runs that failed (SCHEDULER_ERROR)',
      labelNames: ['job'],
      registers,
    });
    this.jobLastDuration = new Gauge({
      name: 'ticketero_job_last_duration_seconds',
      help: 'Duration of the last run of each job, any instance (job_run)',
      labelNames: ['job'],
      registers,
    });
    this.jobLastSuccess = new Gauge({
      name: 'ticketero_job_last_success_timestamp_seconds',
      help: 'When each job last succeeded, any instance (job_run)',
      labelNames: ['job'],
      registers,
    });
    this.pool = new Gauge({
      name: 'ticketero_db_pool_connections',
      help: "This instance's PostgreSQL pool: total, idle and waiting clients",
      labelNames: ['state'],
      registers,
    });
    this.screensConnected = new Gauge({
      name: 'ticketero_screens_connected',
      help: "Waiting-room screens (SSE streams) open on this instance",
      registers,
    });
    this.screenSnapshots = new Counter({
      name: 'ticketero_screen_snapshots_total',
      help: "Branch snapshots this instance read for its screens (each is the screens' database work for one change)",
      registers,
    });
    this.screenSweeps = new Counter({
      name: 'ticketero_screen_sweeps_total',
      help: "Safety sweeps this instance ran for its screens (one statement each, whatever the number of branches)",
      registers,
    });

    const { events } = deps;
    this.offEvents = [
      events.on('ticket.created', ({ branchOffice, queueType }) => this.ticketsCreated.inc({ branch: branchOffice, queue: queueType })),
      events.on('ticket.finished', ({ branchOffice, queueType, outcome }) =>
        this.ticketsFinished.inc({ branch: branchOffice, queue: queueType ?? 'desconocida', outcome: outcome ?? 'COMPLETADO' }),
      ),
      events.on('ticket.cancelled', ({ branchOffice, queueType }) =>
        this.ticketsFinished.inc({ branch: branchOffice, queue: queueType ?? 'desconocida', outcome: 'CANCELADO' }),
      ),
      events.on('ticket.assigned', ({ branchOffice, queueType, waitedSeconds }) => {
        if (waitedSeconds !== undefined) this.realizedWait.observe({ branch: branchOffice, queue: queueType }, waitedSeconds);
      }),
    ];
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** A job's worker thread reported something (see worker-runtime and the dispatcher worker). */
  fromWorker(metric: WorkerMetric): void {
    if (metric.kind === 'dispatch') {
      const { outcome, plantilla, lagSeconds } = metric.event;
      this.messages.inc({ outcome, template: plantilla });
      if (outcome === 'sent' && lagSeconds !== undefined) this.dispatchLag.observe({ template: plantilla }, lagSeconds);
    } else if (metric.kind === 'job') {
      this.jobDuration.observe({ job: metric.job, outcome: metric.outcome }, metric.seconds);
      if (metric.outcome === 'failed') this.jobFailures.inc({ job: metric.job });
    } else {
      this.circuitOpen.set(metric.open ? 1 : 0);
    }
  }

  /** The Prometheus text: the database gauges read now, in one query. */
  async collect(): Promise<string> {
    const [row] = await this.deps.db.execute<{ snapshot: Snapshot }[]>(SNAPSHOT_SQL);
    const snapshot = row!.snapshot;
    this.waiting.reset();
    for (const w of snapshot.waiting) this.waiting.set({ branch: w.branch, queue: w.queue }, w.n);
    this.advisors.reset();
    for (const a of snapshot.advisors) this.advisors.set({ branch: a.branch, status: a.status }, a.n);
    for (const j of snapshot.jobs) {
      if (j.last_duration_ms !== null) this.jobLastDuration.set({ job: j.job }, j.last_duration_ms / 1000);
      if (j.last_succeeded_at !== null) this.jobLastSuccess.set({ job: j.job }, j.last_succeeded_at);
    }
    this.messagesDue.set(snapshot.due);
    const pool = this.deps.poolStats();
    this.pool.set({ state: 'total' }, pool.total);
    this.pool.set({ state: 'idle' }, pool.idle);
    this.pool.set({ state: 'waiting' }, pool.waiting);
    const screens = this.deps.screens?.();
    if (screens) {
      this.screensConnected.set(screens.connected);
      this.screenSnapshots.inc(screens.snapshots - this.screenSnapshotsSeen);
      this.screenSnapshotsSeen = screens.snapshots;
      this.screenSweeps.inc((screens.sweeps ?? 0) - this.screenSweepsSeen);
      this.screenSweepsSeen = screens.sweeps ?? 0;
    }
    return this.registry.metrics();
  }

  stop(): void {
    this.offEvents.forEach((off) => off());
    this.registry.clear();
  }
}
