import type pg from 'pg';
import type { RunningApp } from '../../src/main.js';
import type { Row } from './context.js';
import { ms } from './format.js';
import { runLoad } from './load.js';
import { percentile, timed } from './scale.js';

/** Targets from the other sections and SPEC, so "keeps its figures" has a number. */
export const TARGETS = {
  /** steady-rate section: p99 at 200 tickets/s. */
  takeTicketP99Ms: 50,
  /** queue-job section: a steady run over 10,000 waiting. */
  queueSteadyP95Ms: 100,
  /** SPEC §16: under 1 s a tick (the run that refreshes the statistics included). */
  queueTickMs: 1000,
  /** This section's own (no SPEC figure): a supervisor's screen refresh. */
  dashboardP99Ms: 250,
  /** This section's own: one entity's history is one index probe per partition. */
  auditP99Ms: 50,
} as const;

export interface HotPathRun {
  /** `scale 1, 9,000,000 tickets` — goes into every label. */
  tag: string;
  app: RunningApp;
  adminKey: string;
  kioskKey: string;
  branch: string;
  /** Ticket ids whose audit trail a supervisor may look up (any of the year). */
  ticketIds: () => number;
  advisorIds: readonly number[];
  /** First RUT body of a block no other run on this database used. */
  firstRut: number;
  rate: number;
  connections: number;
  seconds: number;
  log: (message: string) => void;
}

async function getLatencies(url: string, key: string, times: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`GET ${url}: ${response.status}`);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Ends the tickets a load left waiting (as a cancel does), so the next measurement sees the branch's usual line. */
export async function cancelNewTickets(pool: pg.Pool, afterId: number): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `update ticket set status = 'CANCELADO', completed_at = now() at time zone 'UTC', updated_at = now() at time zone 'UTC',
       position_in_queue = 0, estimated_wait_minutes = 0
     where id > $1 and status in ('EN_ESPERA', 'PROXIMO') returning id`,
    [afterId],
  );
  await pool.query(
    `update mensaje set estado_envio = 'FALLIDO', error_message = 'ticket cancelado'
     where ticket_id > $1 and estado_envio = 'PENDIENTE'`,
    [afterId],
  );
  return rows.length;
}

/** The queue job, the dashboard, the audit trail by entity and taking a ticket, each with its target. */
export async function measureHotPaths(run: HotPathRun, pool: pg.Pool): Promise<Row[]> {
  const { app, tag, log } = run;
  const rows: Row[] = [];

  const first = await timed(() => app.services.queue.tick());
  const steady: number[] = [];
  for (let i = 0; i < 20; i++) steady.push((await timed(() => app.services.queue.tick())).ms);
  const waiting = first.result.updated;
  log(`  queue job: first tick ${ms(first.ms)} (${waiting} tickets updated), 20 more: p50 ${ms(percentile(steady, 50))}`);
  rows.push(
    {
      metric: `${tag}: queue job, first tick (statistics refreshed)`,
      value: ms(first.ms),
      target: `< ${TARGETS.queueTickMs} ms`,
      met: first.ms < TARGETS.queueTickMs,
    },
    {
      metric: `${tag}: queue job, steady tick p95 of 20`,
      value: ms(percentile(steady, 95)),
      target: `< ${TARGETS.queueSteadyP95Ms} ms`,
      met: percentile(steady, 95) < TARGETS.queueSteadyP95Ms,
    },
  );

  const dashboardUrl = `${app.url}/api/admin/dashboard?branchOffice=${encodeURIComponent(run.branch)}`;
  const dashboard = await getLatencies(dashboardUrl, run.adminKey, 50);
  rows.push(
    { metric: `${tag}: GET /api/admin/dashboard p50 (50 in a row)`, value: ms(percentile(dashboard, 50)) },
    {
      metric: `${tag}: GET /api/admin/dashboard p99`,
      value: ms(percentile(dashboard, 99)),
      target: `< ${TARGETS.dashboardP99Ms} ms`,
      met: percentile(dashboard, 99) < TARGETS.dashboardP99Ms,
    },
  );

  const audit = async (entityType: string, id: () => number, times: number): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < times; i++) {
      const url = `${app.url}/api/admin/audit?entityType=${entityType}&entityId=${id()}`;
      samples.push(...(await getLatencies(url, run.adminKey, 1)));
    }
    return samples;
  };
  const byTicket = await audit('TICKET', run.ticketIds, 200);
  let advisorTurn = 0;
  const byAdvisor = await audit('ADVISOR', () => run.advisorIds[advisorTurn++ % run.advisorIds.length]!, 50);
  rows.push(
    { metric: `${tag}: GET /api/admin/audit?entityType=TICKET&entityId= p50 (200 of the year's tickets)`, value: ms(percentile(byTicket, 50)) },
    {
      metric: `${tag}: GET /api/admin/audit by ticket p99`,
      value: ms(percentile(byTicket, 99)),
      target: `< ${TARGETS.auditP99Ms} ms`,
      met: percentile(byTicket, 99) < TARGETS.auditP99Ms,
    },
    {
      metric: `${tag}: GET /api/admin/audit by advisor p99 (50; first page of a year of theirs)`,
      value: ms(percentile(byAdvisor, 99)),
      target: `< ${TARGETS.auditP99Ms} ms`,
      met: percentile(byAdvisor, 99) < TARGETS.auditP99Ms,
    },
  );

  const { rows: top } = await pool.query<{ id: string }>(`select coalesce(max(id), 0) as id from ticket`);
  const before = Number(top[0]?.id ?? 0);
  log(`  take a ticket: POST /api/tickets at ${run.rate}/s into ${run.branch}, ${run.connections} connections, ${run.seconds} s`);
  const load = await runLoad({
    url: `${app.url}/api/tickets`,
    apiKey: run.kioskKey,
    connections: run.connections,
    seconds: run.seconds,
    overallRate: run.rate,
    workload: { firstRut: run.firstRut, branches: [run.branch] },
  });
  for (const failure of load.failures) log(`  sample failure: ${failure}`);
  const cancelled = await cancelNewTickets(pool, before);
  log(`  take a ticket: ${load.created} given (${load.responses - load.created} other answers); ${cancelled} cancelled after`);
  rows.push(
    { metric: `${tag}: POST /api/tickets p50 at ${run.rate}/s for ${run.seconds} s`, value: ms(load.latency.p50) },
    {
      metric: `${tag}: POST /api/tickets p99 at ${run.rate}/s (${load.created} given)`,
      value: ms(load.latency.p99),
      target: `< ${TARGETS.takeTicketP99Ms} ms`,
      met: load.latency.p99 < TARGETS.takeTicketP99Ms && load.created > 0,
    },
  );
  return rows;
}
