import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`update advisor set status = 'BUSY' where email = 'ana.martinez@banco.com'`);
});
afterAll(async () => {
  await app?.close();
});

/** One screen: reads the SSE stream and records its events. */
async function openScreen(url: string, signal: AbortSignal) {
  const response = await fetch(url, { signal });
  if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
  const events: Array<{ event: string; data: unknown }> = [];
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as unknown });
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  return { events, pump, headers: response.headers };
}

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
});
