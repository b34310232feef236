import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';
import { openScreen } from '../support/sse.js';

let app: TestApp;

beforeAll(async () => {
  // 500 screens from one loopback address: the per-IP cap (SPEC §22) is raised for this test.
  app = await startTestApp({ SCREEN_STREAMS_PER_IP: '1000' });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`update advisor set status = 'BUSY' where email = 'ana.martinez@banco.com'`);
});
afterAll(async () => {
  await app?.close();
});

describe('GET /pantalla/stream', () => {
  it('answers 404 for a branch that does not exist, and 400 for a bad name', async () => {
    for (const path of ['/pantalla?branch=Sucursal%20Inventada', '/pantalla/stream?branch=Sucursal%20Inventada']) {
      const response = await fetch(`${app.url}${path}`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'NO_ENCONTRADO' });
    }
    expect((await fetch(`${app.url}/pantalla?branch=a%00b`)).status).toBe(400);
  });

  it('holds 500 connected screens on loopback and tells every one of them about a call', async () => {
    const controller = new AbortController();
    const screens = await Promise.all(
      Array.from({ length: 500 }, () => openScreen(`${app.url}/pantalla/stream?branch=Sucursal%20Centro`, controller.signal)),
    );
    expect(screens[0]!.headers.get('content-type')).toMatch(/text\/event-stream/);
    const deadline = Date.now() + 10_000;
    while (screens.some((s) => !s.events.some((e) => e.event === 'snapshot')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(screens.filter((s) => s.events.some((e) => e.event === 'snapshot'))).toHaveLength(500);

    const created = await app.postTicket({ nationalId: rut(1), queueType: 'GERENCIA' });
    const [ana] = await app.db.query<{ id: string }>(`select id from advisor where email = 'ana.martinez@banco.com'`);
    const response = await fetch(`${app.url}/api/admin/advisors/${ana!.id}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'AVAILABLE' }),
    });
    expect(response.status).toBe(200);
    const called = (s: (typeof screens)[number]) =>
      s.events.some((e) => e.event === 'called' && (e.data as { numero: string }).numero === created.body.numero);
    while (screens.some((s) => !called(s)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(screens.filter(called)).toHaveLength(500);
    const [last] = screens[499]!.events.filter((e) => e.event === 'snapshot').slice(-1);
    expect(JSON.stringify(last)).not.toMatch(/\d{7,8}-[\dkK]/); // no personal data on a public screen
    controller.abort();
    await Promise.all(screens.map((s) => s.pump));
  });

  it("shows each queue's waiting customers and promised wait as the supervisor's dashboard does", async () => {
    // A line in two queues, one advisor serving them paused and another online.
    await app.db.query(`update advisor set status = 'BUSY' where email in ('carlos.rodriguez@banco.com', 'luis.perez@banco.com')`);
    for (let i = 0; i < 5; i++) expect((await app.postTicket({ nationalId: rut(100 + i), queueType: i % 2 ? 'CAJA' : 'PERSONAL_BANKER' })).status).toBe(201);
    await app.db.query(`update advisor set status = 'AVAILABLE' where email = 'luis.perez@banco.com'`);
    await app.db.query(`update advisor set status = 'BUSY' where email = 'luis.perez@banco.com'`);

    const snapshot = await app.services.screen.snapshot('Sucursal Centro');
    const dashboard = await fetch(`${app.url}/api/admin/dashboard`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    const body = (await dashboard.json()) as { queues: Array<{ queueType: string; waiting: number; estimatedWaitMinutes: number }> };
    const figures = (list: Array<{ queueType: string; waiting: number; estimatedWaitMinutes: number }>) =>
      Object.fromEntries(list.map((q) => [q.queueType, [q.waiting, q.estimatedWaitMinutes]]));
    expect(figures(snapshot.queues)).toEqual(figures(body.queues));
    expect(snapshot.queues.find((q) => q.queueType === 'CAJA')!.waiting).toBeGreaterThanOrEqual(2);
  });
});
