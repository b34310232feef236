/**
 * SPEC §17: with SCREENS_REQUIRE_TOKEN=true a waiting-room screen (`/pantalla` and its stream)
 * opens only with a SCREEN device's token, for that device's own branch: set up once as
 * `/pantalla?token=…` (kept in an HttpOnly cookie, out of the address) or sent as Bearer; a
 * revoked device is refused on its next request; a kiosk's token does not open a screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let centroCode: string;
const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${app.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
async function device(code: string, kind: 'KIOSK' | 'SCREEN', name: string): Promise<{ id: number; token: string }> {
  const response = await admin(`/api/admin/branches/${code}/devices`, { method: 'POST', body: JSON.stringify({ kind, name }) });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: number; token: string };
}
/** The first SSE event of a stream (the branch's snapshot), then the stream is closed. */
async function firstEvent(response: Response): Promise<string> {
  const reader = response.body!.getReader();
  let text = '';
  while (!/\n\n/.test(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  await reader.cancel();
  return text;
}

beforeAll(async () => {
  app = await startTestApp({ SCREENS_REQUIRE_TOKEN: 'true' });
  centroCode = ((await app.db.query(`select code from branch where name = 'Sucursal Centro'`)) as { code: string }[])[0]!.code;
  expect((await admin('/api/admin/branches', { method: 'POST', body: JSON.stringify({ code: 'MAIPU', name: 'Sucursal Maipú' }) })).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('SCREENS_REQUIRE_TOKEN=true (SPEC §17)', () => {
  it('refuses a screen without a token, page and stream', async () => {
    const page = await fetch(`${app.url}/pantalla?branch=${encodeURIComponent('Sucursal Centro')}`, { redirect: 'manual' });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('Pantalla sin autorizar');
    const stream = await fetch(`${app.url}/pantalla/stream?branch=${encodeURIComponent('Sucursal Centro')}`);
    expect(stream.status).toBe(401);
    expect(((await stream.json()) as { error: string }).error).toBe('NO_AUTORIZADO');
  });

  it('a SCREEN token set up once opens its own branch only; a revoked one is refused at once', async () => {
    const screen = await device(centroCode, 'SCREEN', 'Pantalla sala');
    const setup = await fetch(`${app.url}/pantalla?token=${screen.token}`, { redirect: 'manual' });
    expect(setup.status).toBe(303);
    expect(setup.headers.get('location')).toBe(`/pantalla?branch=${encodeURIComponent('Sucursal Centro')}`);
    const setCookie = setup.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^ticketero_pantalla=tk_screen_/);
    expect(setCookie).toMatch(/HttpOnly/i);
    const cookie = setCookie.split(';')[0]!;

    const page = await fetch(`${app.url}${setup.headers.get('location')}`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const stream = await fetch(`${app.url}/pantalla/stream?branch=${encodeURIComponent('Sucursal Centro')}`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    expect(await firstEvent(stream)).toContain('Sucursal Centro');
    // The same token as Bearer (a screen appliance that sends headers).
    const bearer = await fetch(`${app.url}/pantalla/stream`, { headers: { authorization: `Bearer ${screen.token}` } });
    expect(bearer.status).toBe(200);
    expect(await firstEvent(bearer)).toContain('Sucursal Centro');

    // Another branch: 403, by cookie or Bearer.
    const other = await fetch(`${app.url}/pantalla/stream?branch=${encodeURIComponent('Sucursal Maipú')}`, { headers: { cookie } });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: string }).error).toBe('SUCURSAL_NO_AUTORIZADA');
    expect((await fetch(`${app.url}/pantalla?branch=${encodeURIComponent('Sucursal Maipú')}`, { headers: { authorization: `Bearer ${screen.token}` } })).status).toBe(403);

    // Revoked: refused on the next request (nothing cached).
    expect((await admin(`/api/admin/devices/${screen.id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${app.url}/pantalla?branch=${encodeURIComponent('Sucursal Centro')}`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${app.url}/pantalla/stream?branch=${encodeURIComponent('Sucursal Centro')}`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${app.url}/pantalla?token=${screen.token}`, { redirect: 'manual' })).status).toBe(401);
  });

  it('a kiosk token opens no screen; a signed-in ADMIN may watch any', async () => {
    const kiosk = await device('MAIPU', 'KIOSK', 'Tótem');
    expect((await fetch(`${app.url}/pantalla?token=${kiosk.token}`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${app.url}/pantalla/stream`, { headers: { authorization: `Bearer ${kiosk.token}` } })).status).toBe(401);
    const watched = await fetch(`${app.url}/pantalla/stream?branch=${encodeURIComponent('Sucursal Centro')}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(watched.status).toBe(200);
    expect(await firstEvent(watched)).toContain('Sucursal Centro');
  });
});
