/**
 * SPEC §18: every route of the app, for every role, against the one table that says who may
 * (src/http/authz/route-permissions.ts). Built from the app's own route table: a new route
 * without an entry fails here. A SUPERVISOR of one branch is refused another branch's data on
 * every route that touches a branch.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS_BY_ROUTE, permissionKey, ROUTE_PERMISSIONS, type Role } from '../../src/http/authz/route-permissions.js';
import { KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { readyAccount } from '../support/accounts.js';
import { rut } from '../support/ruts.js';

const A = 'Sucursal Centro';
const B = 'Sucursal Maipú';
/** Routes registered only in some modes (webhook mode). */
const CONDITIONAL = new Set([permissionKey('POST', '/telegram/webhook')]);

let app: TestApp;
let who: Array<{ label: string; role: Role | null; headers: Record<string, string> }>;
let advisorOf: Record<'A' | 'B', number>;
/** Each branch's code, and a device of each that the walk may revoke (not the ones in `who`). */
let codeOf: Record<'A' | 'B', string>;
let walkDeviceOf: Record<'A' | 'B', number>;
const rutOf = { A: rut(501), B: rut(502) };

beforeAll(async () => {
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  const [a] = await app.db.query<{ id: string }>(`select id from advisor where branch_office = $1 order by id limit 1`, [A]);
  await app.db.query(`insert into branch (code, name, timezone) values ('MAIPU', $1, 'America/Santiago')`, [B]);
  const [b] = await app.db.query<{ id: string }>(
    `insert into advisor (name, email, status, module_number, queue_types, branch_office)
     values ('Paula Maipú', 'paula.maipu@banco.com', 'OFFLINE', 1, '["CAJA"]', $1) returning id`,
    [B],
  );
  advisorOf = { A: Number(a!.id), B: Number(b!.id) };
  expect((await app.postTicket({ nationalId: rutOf.A, queueType: 'CAJA' })).status).toBe(201);
  expect((await app.postTicket({ nationalId: rutOf.B, queueType: 'CAJA', branchOffice: B })).status).toBe(201);

  const session = async (role: 'ADMIN' | 'SUPERVISOR' | 'ASESOR' | 'AUDITOR') => {
    const person = await readyAccount(app, {
      role,
      ...(role === 'SUPERVISOR' ? { branches: [A] } : {}),
      ...(role === 'ASESOR' ? { advisorId: advisorOf.A } : {}),
    });
    return { cookie: person.cookie, origin: app.url };
  };
  const kiosk = await app.services.accounts.createToken({ name: 'Tótem Centro', role: 'KIOSK', branches: [A] }, { actor: 'SYSTEM' });
  const [centro] = await app.db.query<{ code: string }>(`select code from branch where name = $1`, [A]);
  codeOf = { A: centro!.code, B: 'MAIPU' };
  const device = (branch: 'A' | 'B', kind: 'KIOSK' | 'SCREEN', name: string) =>
    app.services.devices.create(codeOf[branch], { kind, name }, { actor: 'SYSTEM' });
  walkDeviceOf = { A: (await device('A', 'KIOSK', 'Recorrido A')).device.id, B: (await device('B', 'KIOSK', 'Recorrido B')).device.id };
  const kioskDevice = await device('A', 'KIOSK', 'Tótem 1');
  const screenDevice = await device('A', 'SCREEN', 'Pantalla 1');
  who = [
    { label: 'nobody', role: null, headers: {} },
    { label: 'ADMIN', role: 'ADMIN', headers: await session('ADMIN') },
    { label: `SUPERVISOR of ${A}`, role: 'SUPERVISOR', headers: await session('SUPERVISOR') },
    { label: `ASESOR of advisor ${advisorOf.A}`, role: 'ASESOR', headers: await session('ASESOR') },
    { label: 'AUDITOR', role: 'AUDITOR', headers: await session('AUDITOR') },
    { label: `KIOSK token of ${A}`, role: 'KIOSK', headers: { authorization: `Bearer ${kiosk.token}` } },
    { label: 'KIOSK_API_KEY', role: 'KIOSK', headers: { authorization: `Bearer ${KIOSK_KEY}` } },
    { label: `KIOSK device of ${A}`, role: 'KIOSK', headers: { authorization: `Bearer ${kioskDevice.token}` } },
    { label: `SCREEN device of ${A}`, role: 'SCREEN', headers: { authorization: `Bearer ${screenDevice.token}` } },
  ];
}, 120_000);
afterAll(async () => {
  await app?.close();
});

/** A concrete request for a route pattern, touching branch A or B. */
function requestFor(method: string, pattern: string, branch: 'A' | 'B'): { path: string; init: RequestInit } {
  const byName: Record<string, string> = {
    type: 'CAJA',
    numero: 'C99',
    codigoReferencia: randomUUID(),
    action: 'recall',
    name: 'styles.css',
    rut: encodeURIComponent(rutOf[branch]),
    code: codeOf[branch],
    // Accounts and tokens: an id that does not exist (404 after the decision, nothing changed);
    // devices: one of the branch kept for the walk (revoking it again changes nothing).
    id: /\/(accounts|tokens)\//.test(pattern) ? '999999' : /\/devices\//.test(pattern) ? String(walkDeviceOf[branch]) : String(advisorOf[branch]),
  };
  const path = pattern.replace(/:(\w+)/g, (_, name: string) => byName[name] ?? 'x');
  const query = `?branchOffice=${encodeURIComponent(branch === 'A' ? A : B)}&branch=${encodeURIComponent(branch === 'A' ? A : B)}`;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  // Bodies every handler refuses after the decision (400), so walking the routes changes nothing.
  const body = pattern === '/api/tickets' ? JSON.stringify({ branchOffice: branch === 'A' ? A : B }) : '{}';
  return {
    path: `${path}${query}`,
    init: { method, ...(hasBody ? { body, headers: { 'content-type': 'application/json', 'x-requested-with': 'ticketero' } } : {}) },
  };
}

async function call(method: string, pattern: string, branch: 'A' | 'B', headers: Record<string, string>) {
  const { path, init } = requestFor(method, pattern, branch);
  const controller = new AbortController();
  const response = await fetch(`${app.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), ...headers },
    signal: controller.signal,
  });
  // A live stream (the desk's SSE) answered: that it opened is the answer; stop reading.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    controller.abort();
    return { status: response.status, error: undefined };
  }
  const text = await response.text();
  let error: string | undefined;
  try {
    error = (JSON.parse(text) as { error?: string }).error;
  } catch {
    error = undefined;
  }
  return { status: response.status, error };
}

/** Logging out would end the sessions the walk uses: it is walked on its own, last. */
const routes = () => app.routes.filter((r) => r.path !== '/api/auth/logout');

describe('the route × role matrix (SPEC §18)', () => {
  it('has a permission for every route the app answers, and none for a route that does not exist', () => {
    const missing = app.routes.filter((r) => !PERMISSIONS_BY_ROUTE.has(permissionKey(r.method, r.path)));
    expect(missing, 'add these to src/http/authz/route-permissions.ts').toEqual([]);
    const answered = new Set(app.routes.map((r) => permissionKey(r.method, r.path)));
    const stale = ROUTE_PERMISSIONS.map((p) => permissionKey(p.method, p.path)).filter((k) => !answered.has(k) && !CONDITIONAL.has(k));
    expect(stale).toEqual([]);
  });

  it('lets each role through exactly where the table says, on every route', async () => {
    const wrong: string[] = [];
    for (const route of routes()) {
      const permission = PERMISSIONS_BY_ROUTE.get(permissionKey(route.method, route.path))!;
      if (permission.allow === 'public') continue;
      for (const principal of who) {
        const allowed = principal.role !== null && permission.allow.includes(principal.role);
        const { status, error } = await call(route.method, route.path, 'A', principal.headers);
        const refused = status === 401 || error === 'ROL_NO_AUTORIZADO' || error === 'SUCURSAL_NO_AUTORIZADA';
        if (status >= 500) wrong.push(`${route.method} ${route.path} as ${principal.label}: ${status} ${error}`);
        if (allowed && refused) wrong.push(`${route.method} ${route.path} as ${principal.label}: refused (${status} ${error})`);
        if (!allowed) {
          const expected = principal.role === null ? 401 : 403;
          const code = principal.role === null ? 'NO_AUTORIZADO' : 'ROL_NO_AUTORIZADO';
          if (status !== expected || error !== code) wrong.push(`${route.method} ${route.path} as ${principal.label}: ${status} ${error}, expected ${expected} ${code}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it(`refuses the SUPERVISOR of ${A} every route that touches ${B}: 403 SUCURSAL_NO_AUTORIZADA`, async () => {
    const supervisor = who.find((w) => w.role === 'SUPERVISOR')!;
    const wrong: string[] = [];
    let checked = 0;
    for (const route of routes()) {
      const permission = PERMISSIONS_BY_ROUTE.get(permissionKey(route.method, route.path))!;
      if (permission.allow === 'public' || !permission.scope || !permission.allow.includes('SUPERVISOR')) continue;
      checked++;
      const { status, error } = await call(route.method, route.path, 'B', supervisor.headers);
      if (status !== 403 || error !== 'SUCURSAL_NO_AUTORIZADA') wrong.push(`${route.method} ${route.path}: ${status} ${error}`);
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  }, 60_000);

  it(`holds an ASESOR to their own desk and a kiosk token or device to its branch`, async () => {
    const asesor = who.find((w) => w.role === 'ASESOR')!;
    expect(await call('POST', '/api/admin/advisors/:id/recall', 'B', asesor.headers)).toEqual({ status: 403, error: 'PROHIBIDO' });
    expect(await call('GET', '/api/admin/dashboard', 'B', asesor.headers)).toEqual({ status: 403, error: 'SUCURSAL_NO_AUTORIZADA' });
    const own = await call('POST', '/api/admin/advisors/:id/recall', 'A', asesor.headers);
    expect(own.status).toBe(409); // allowed: nobody to recall
    const kiosk = who.find((w) => w.label.startsWith('KIOSK token'))!;
    expect(await call('POST', '/api/tickets', 'B', kiosk.headers)).toEqual({ status: 403, error: 'SUCURSAL_NO_AUTORIZADA' });
    const device = who.find((w) => w.label.startsWith('KIOSK device'))!;
    expect(await call('POST', '/api/tickets', 'B', device.headers)).toEqual({ status: 403, error: 'SUCURSAL_NO_AUTORIZADA' });
  });

  it('lets every signed-in person, and nobody else, sign out (walked last: it ends the sessions)', async () => {
    for (const principal of who) {
      const { status, error } = await call('POST', '/api/auth/logout', 'A', principal.headers);
      if (principal.role === null) expect({ status, error }).toEqual({ status: 401, error: 'NO_AUTORIZADO' });
      else if (principal.role === 'KIOSK' || principal.role === 'SCREEN') expect({ status, error }).toEqual({ status: 403, error: 'ROL_NO_AUTORIZADO' });
      else expect(status, principal.label).toBe(200);
    }
  });
});
