import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';
import { calledAt, openScreen, type Screen } from '../support/sse.js';

// SPEC §22 "Screens and streams": one client that never reads must not freeze its branch's other
// screens (issue 16, finding 2), and streams are capped per IP and in total (finding 3).
const BRANCH = 'Sucursal Centro';
const STREAM = `/pantalla/stream?branch=${encodeURIComponent(BRANCH)}`;
const STALLED_CLIENT = fileURLToPath(new URL('../support/stalled-client.py', import.meta.url));

let app: TestApp;
const controller = new AbortController();
const stalled: ChildProcessWithoutNullStreams[] = [];

beforeAll(async () => {
  app = await startTestApp({ SCREEN_SWEEP_SECONDS: '3600' });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`update advisor set status = 'BUSY' where email = 'ana.martinez@banco.com'`);
});
afterAll(async () => {
  controller.abort();
  for (const child of stalled) child.kill();
  await app?.close();
});

/** A stream opened by a Python client with a tiny receive buffer that never reads a byte. */
async function openStalledScreen(port: number): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn('python3', [STALLED_CLIENT, String(port), STREAM]);
  stalled.push(child);
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  expect(line.toString()).toContain('ready');
  return child;
}

async function advisorId(email: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }>(`select id from advisor where email = $1`, [email]);
  return row!.id;
}

async function setAnaStatus(body: { status: string; reason?: string }): Promise<void> {
  const response = await fetch(`${app.url}/api/admin/advisors/${await advisorId('ana.martinez@banco.com')}/status`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.text()).toBe(200);
}

/**
 * A GERENCIA customer, then Ana becomes free and is given them: a call, as the floor makes it.
 * Ana pauses (through the floor) before the ticket is taken, so the ticket waits for her PUT
 * AVAILABLE whatever the timing; a pause set by SQL after the ticket lost the race to the
 * assignment the ticket itself starts, on a loaded machine (409: she was already serving it).
 */
async function call(n: number): Promise<string> {
  await setAnaStatus({ status: 'BUSY', reason: 'Reunión' });
  const created = await app.postTicket({ nationalId: rut(n), queueType: 'GERENCIA' });
  expect(created.status).toBe(201);
  await setAnaStatus({ status: 'AVAILABLE' });
  return created.body.numero as string;
}

/** Ana completes her customer. */
async function complete(): Promise<void> {
  const response = await fetch(`${app.url}/api/admin/advisors/${await advisorId('ana.martinez@banco.com')}/complete-ticket`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: '{}',
  });
  expect(response.status).toBe(200);
}

describe('a screen that never reads (SPEC §22)', () => {
  it('is dropped when it falls behind, while a healthy screen keeps hearing every change', async () => {
    const port = Number(new URL(app.url).port);
    const healthy: Screen = await openScreen(`${app.url}${STREAM}`, controller.signal);
    await eventually(async () => expect(healthy.events.some((e) => e.event === 'snapshot')).toBe(true), 15_000);
    await openStalledScreen(port);
    await eventually(async () => expect(app.screenHub.clientCount).toBe(2), 15_000);

    // Eight numbers on the screen; every round "calls them again" (a new calledAt each), so each
    // refresh writes eight `called` events and a snapshot to every screen — about 3 KB. The stalled
    // client's kernel buffers (about 1.6 MB on loopback) fill in seconds; before SPEC §22 the hub
    // then waited on that write forever and the healthy screen heard nothing more.
    const numbers: string[] = [];
    for (let i = 0; i < 8; i++) {
      numbers.push(await call(10 + i));
      await complete();
    }
    const ids = (await app.db.query<{ id: string }>(`select id from ticket where numero = any($1)`, [numbers])).map((r) => r.id);
    expect(ids).toHaveLength(8);

    let rounds = 0;
    let longestSilenceMs = 0;
    const started = Date.now();
    // Until the server drops the stalled stream (it fell behind), or the healthy screen stops hearing.
    while (app.screenHub.clientCount > 1 && Date.now() - started < 90_000) {
      await app.db.query(`update ticket set last_called_at = clock_timestamp() where id = any($1)`, [ids]);
      rounds++;
      const last = healthy.events.at(-1)!.at;
      longestSilenceMs = Math.max(longestSilenceMs, Date.now() - last);
      if (longestSilenceMs > 5000) break; // frozen: changes go on and the healthy screen hears nothing
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    console.info(`stalled-client test: ${rounds} changes, ${healthy.events.filter((e) => e.event === 'called').length} called events heard, longest silence ${longestSilenceMs} ms, ${Date.now() - started} ms until the stalled stream was dropped`);
    expect(longestSilenceMs, `the healthy screen went ${longestSilenceMs} ms without an event after ${rounds} changes`).toBeLessThan(5000);
    expect(app.screenHub.clientCount, 'the stalled stream was dropped').toBe(1);
    const heard = healthy.events.filter((e) => e.event === 'called').length;
    expect(heard).toBeGreaterThan(1000); // megabytes went by before the stalled client fell behind

    // After: each new call reaches the healthy screen within a second (polled, not timed tightly).
    for (let i = 0; i < 5; i++) {
      const numero = await call(100 + i);
      await eventually(async () => expect(calledAt(healthy, numero)).toBeDefined(), 1000);
      await complete();
    }
  }, 120_000);
});

describe('stream caps (SPEC §22)', () => {
  it(`answers 503 with Retry-After beyond SCREEN_STREAMS_PER_IP from one IP, and takes the screen again once one leaves`, async () => {
    const capped = await startTestApp({ SCREEN_STREAMS_PER_IP: '3' }, { db: app.db });
    const local = new AbortController();
    try {
      const open = await Promise.all([0, 1, 2].map(() => fetch(`${capped.url}${STREAM}`, { signal: local.signal })));
      expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
      const refused = await fetch(`${capped.url}${STREAM}`);
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const body = (await refused.json()) as { error: string; mensaje: string };
      expect(body.error).toBe('SERVICIO_NO_DISPONIBLE');
      expect(body.mensaje).toMatch(/Demasiadas conexiones en vivo desde esta dirección \(máximo 3\)/);
      // The page itself and the API are not streams: still served.
      expect((await fetch(`${capped.url}/api/health`)).status).toBe(200);

      // One screen goes away: its place is given back.
      await open[0]!.body!.cancel();
      const again = await eventually(async () => {
        const response = await fetch(`${capped.url}${STREAM}`, { signal: local.signal });
        expect(response.status).toBe(200);
        return response;
      });
      expect(again.headers.get('content-type')).toMatch(/text\/event-stream/);
    } finally {
      local.abort();
      await capped.stop();
    }
  });

  it('answers 503 beyond SCREEN_STREAMS_MAX in total, whatever the IPs (behind a trusted proxy)', async () => {
    const capped = await startTestApp({ SCREEN_STREAMS_MAX: '4', TRUST_PROXY: 'true' }, { db: app.db });
    const local = new AbortController();
    const from = (ip: string) => fetch(`${capped.url}${STREAM}`, { signal: local.signal, headers: { 'x-forwarded-for': ip } });
    try {
      const open = await Promise.all(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(from));
      expect(open.map((r) => r.status)).toEqual([200, 200, 200, 200]);
      const refused = await from('10.0.0.5');
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('10');
      expect(((await refused.json()) as { mensaje: string }).mensaje).toMatch(/máximo de conexiones en vivo/);
    } finally {
      local.abort();
      await capped.stop();
    }
  });
});
