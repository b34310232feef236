import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { rut } from '../support/ruts.js';
import { openScreen } from '../support/sse.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const METRICS_KEY = 'metrics-test-key';
let app: TestApp;

beforeAll(async () => {
  // Jobs on (compiled workers, as in production): their runs reach the main thread's registry.
  // The real clock: the workers run on it too (daily maintenance judges "old" by it).
  app = await startTestApp(
    { METRICS_API_KEY: METRICS_KEY, QUEUE_RECALC_INTERVAL_MS: '200' },
    { jobs: true, workersDir: path.join(root, 'dist/src/jobs/workers') },
  );
  await app.db.query(`update advisor set status = 'OFFLINE'`);
});
afterAll(async () => {
  await app?.close();
});

const scrape = async (key = METRICS_KEY): Promise<Response> =>
  fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${key}` } });

/** The value of one series, by its exact label set as Prometheus prints it. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const admin = (url: string, init: RequestInit = {}) =>
  fetch(`${app.url}/api/admin${url}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
  });

describe('GET /metrics', () => {
  it('refuses a missing or wrong key with 401', async () => {
    expect((await fetch(`${app.url}/metrics`)).status).toBe(401);
    const wrong = await scrape('not-the-key');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'NO_AUTORIZADO' });
  });

  it('counts tickets, waiting lines, advisors, realized waits, finished tickets and HTTP requests', async () => {
    const branch = 'Sucursal Métrica';
    const ids = await seedBranch(app.db, branch, [{ name: 'Mora', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    const tickets = [];
    for (let i = 0; i < 3; i++) {
      const { status, body } = await app.postTicket({ nationalId: rut(8100 + i), queueType: 'CAJA', branchOffice: branch });
      expect(status).toBe(201);
      tickets.push(body);
    }
    const cancelled = await app.request(`/api/tickets/${String(tickets[2]!.identificador)}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);

    let text = await (await scrape()).text();
    const b = `branch="${branch}"`;
    expect(valueOf(text, `ticketero_tickets_created_total{${b},queue="CAJA"}`)).toBe(3);
    expect(valueOf(text, `ticketero_tickets_finished_total{${b},queue="CAJA",outcome="CANCELADO"}`)).toBe(1);
    expect(valueOf(text, `ticketero_tickets_waiting{${b},queue="CAJA"}`)).toBe(2);
    expect(valueOf(text, `ticketero_advisors{${b},status="BUSY"}`)).toBe(1);
    expect(valueOf(text, `ticketero_http_requests_total{method="POST",route="/api/tickets",status="201"}`)).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/ticketero_http_request_duration_seconds_bucket\{le="0\.005",method="POST",route="\/api\/tickets",status="201"\}/);

    // The customers came seven minutes ago; the advisor frees up now: the first one waited ~420 s.
    await app.db.query(`update ticket set created_at = created_at - interval '7 minutes' where branch_office = $1`, [branch]);
    expect((await admin(`/advisors/${ids.Mora}/status`, { method: 'PUT', body: JSON.stringify({ status: 'AVAILABLE' }) })).status).toBe(200);
    expect((await admin(`/advisors/${ids.Mora}/complete-ticket`, { method: 'PUT' })).status).toBe(200);

    text = await (await scrape()).text();
    expect(valueOf(text, `ticketero_ticket_wait_seconds_bucket{le="300",${b},queue="CAJA"}`)).toBe(0);
    expect(valueOf(text, `ticketero_ticket_wait_seconds_bucket{le="600",${b},queue="CAJA"}`)).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, `ticketero_tickets_finished_total{${b},queue="CAJA",outcome="COMPLETADO"}`)).toBe(1);
    // Routes are counted by pattern, never by id.
    expect(text).toMatch(/route="\/api\/tickets\/:codigoReferencia\/cancel"/);
    expect(text).not.toContain(String(tickets[2]!.identificador));
  });

  it('shows the job workers’ runs, the pool and the event loop', async () => {
    const text = await eventually(async () => {
      const body = await (await scrape()).text();
      expect(valueOf(body, 'ticketero_job_run_duration_seconds_count{job="queue",outcome="ok"}')).toBeGreaterThan(0);
      return body;
    }, 15_000);
    expect(text).toMatch(/^ticketero_job_last_duration_seconds\{job="queue"\} /m);
    expect(valueOf(text, 'ticketero_db_pool_connections{state="total"}')).toBeGreaterThan(0);
    expect(text).toMatch(/^ticketero_nodejs_eventloop_lag_seconds /m);
  });
});

describe('the screens in /metrics', () => {
  it('counts open streams and the snapshots read for them, which follow changes', async () => {
    const branch = 'Sucursal Pantallas Métricas';
    await seedBranch(app.db, branch, [{ name: 'Olga', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    const controller = new AbortController();
    try {
      const url = `${app.url}/pantalla/stream?branch=${encodeURIComponent(branch)}`;
      const screens = await Promise.all([openScreen(url, controller.signal), openScreen(url, controller.signal)]);
      await eventually(async () => expect(screens.every((s) => s.events.some((e) => e.event === 'snapshot'))).toBe(true));
      const before = await (await scrape()).text();
      expect(valueOf(before, 'ticketero_screens_connected')).toBe(2);
      const taken = valueOf(before, 'ticketero_screen_snapshots_total')!;
      expect(taken).toBeGreaterThan(0);

      // One ticket is one change: one snapshot serves both screens.
      expect((await app.postTicket({ nationalId: rut(8200), queueType: 'CAJA', branchOffice: branch })).status).toBe(201);
      await eventually(async () => expect(screens.every((s) => s.events.filter((e) => e.event === 'snapshot').length >= 2)).toBe(true));
      const after = await (await scrape()).text();
      expect(valueOf(after, 'ticketero_screen_snapshots_total')! - taken).toBeGreaterThanOrEqual(1);
      expect(valueOf(after, 'ticketero_screen_snapshots_total')! - taken).toBeLessThanOrEqual(2);
    } finally {
      controller.abort();
    }
  });
});

describe('the Grafana dashboard (ops/grafana-dashboard.json)', () => {
  it('only charts series the app exposes', async () => {
    const dashboard = readFileSync(path.join(root, 'ops/grafana-dashboard.json'), 'utf8');
    const used = new Set([...dashboard.matchAll(/ticketero_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|count|sum)$/, '')));
    const text = await (await scrape()).text();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
  });
});

describe('/metrics without METRICS_API_KEY', () => {
  it('is open when the app listens on loopback only', async () => {
    const local = await startTestApp({ HOST: '127.0.0.1' });
    try {
      const response = await fetch(`${local.url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    } finally {
      await local.close();
    }
  });

  it('is refused, saying why, when the app listens on every interface', async () => {
    const open = await startTestApp({ HOST: '0.0.0.0' });
    try {
      const response = await fetch(`${open.url}/metrics`);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ error: 'METRICAS_SIN_CLAVE', mensaje: expect.stringMatching(/METRICS_API_KEY/) });
    } finally {
      await open.close();
    }
  });

  it('is absent when METRICS_ENABLED=false', async () => {
    const off = await startTestApp({ METRICS_ENABLED: 'false' });
    try {
      expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});
