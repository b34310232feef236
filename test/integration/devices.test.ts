/**
 * SPEC §17 devices: a branch's tótems and screens with their own tokens (shown once, SHA-256 at
 * rest, revocable on every instance at once), the kiosk API bound to the device's branch, the
 * device as the audit's actor and on the ticket; the printer of SPEC §19 (`devicePrinter`).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNumbered } from '../../src/db/sql.js';
import { devicePrinter } from '../../src/modules/devices/device.service.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, type SignedIn } from '../support/accounts.js';
import { rut } from '../support/ruts.js';
import { startAppProcess, type AppProcess } from '../support/second-instance.js';

const A = 'Sucursal Centro';
const B = 'Sucursal Maipú';
let app: TestApp;
let second: AppProcess;
let codeA: string;
let supervisorA: SignedIn;

const admin = (path: string, init: RequestInit = {}) =>
  app.request(path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });
const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

async function createDevice(code: string, body: Record<string, unknown>) {
  return json(await admin(`/api/admin/branches/${code}/devices`, { method: 'POST', body: JSON.stringify(body) }));
}

function takeWith(base: string, token: string, body: Record<string, unknown>) {
  return fetch(`${base}/api/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`insert into branch (code, name, timezone) values ('MAIPU', $1, 'America/Santiago')`, [B]);
  const [centro] = await app.db.query<{ code: string }>(`select code from branch where name = $1`, [A]);
  codeA = centro!.code;
  supervisorA = await readyAccount(app, { role: 'SUPERVISOR', branches: [A] });
  second = await startAppProcess(app.db.url);
}, 150_000);
afterAll(async () => {
  await second?.stop();
  await app?.close();
});

describe('creating a device (SPEC §17)', () => {
  it('answers 201 with the token once: tk_kiosk_ + 32 random bytes base64url; only its SHA-256 is stored', async () => {
    const created = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem entrada' });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^tk_kiosk_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice('tk_kiosk_'.length), 'base64url')).toHaveLength(32);
    expect(created.body).toMatchObject({ kind: 'KIOSK', name: 'Tótem entrada', branch: codeA, branchName: A, printer: null, active: true });
    expect(created.body.tokenPrefix).toBe(token.slice(0, 'tk_kiosk_'.length + 4));

    const [row] = await app.db.query<{ token_hash: string; token_prefix: string }>(`select token_hash, token_prefix from device where id = $1`, [
      created.body.id,
    ]);
    expect(row!.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    // Nowhere else: not in the list, not in the audit.
    const listed = await json(await admin(`/api/admin/branches/${codeA}/devices`));
    expect(JSON.stringify(listed.body)).not.toContain(token);
    const audit = await app.db.query<{ row: string }>(`select row_to_json(a)::text as row from audit_log a where entity_type = 'DISPOSITIVO'`);
    expect(audit.map((a) => a.row).join('\n')).not.toContain(token.slice(12));
  });

  it('makes screens with tk_screen_, refuses a printer on a screen, bad kinds, names and printers field by field', async () => {
    const screen = await createDevice(codeA, { kind: 'SCREEN', name: 'TV sala' });
    expect(screen.status).toBe(201);
    expect(screen.body.token).toMatch(/^tk_screen_[A-Za-z0-9_-]{43}$/);
    const bad = await createDevice(codeA, { kind: 'PRINTER', name: '', printer: { host: 'no es un host', port: 70000 }, extra: 1 });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.campos as object).sort()).toEqual(['extra', 'kind', 'name', 'printer.host', 'printer.port']);
    expect((await createDevice(codeA, { kind: 'SCREEN', name: 'TV', printer: { host: '10.0.0.9' } })).status).toBe(400);
    expect(await createDevice('NO-EXISTE', { kind: 'KIOSK', name: 'x' })).toMatchObject({ status: 404, body: { error: 'SUCURSAL_NO_ENCONTRADA' } });
  });

  it('audits the creation with the actor and the new state', async () => {
    const created = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem auditado' });
    const [row] = await app.db.query<{ actor: string; new_state: { name: string; branch: string } }>(
      `select actor, new_state from audit_log where entity_type = 'DISPOSITIVO' and entity_id = $1 and event_type = 'DISPOSITIVO_CREADO'`,
      [String(created.body.id)],
    );
    expect(row).toMatchObject({ actor: 'apikey', new_state: { name: 'Tótem auditado', branch: codeA } });
  });
});

describe('the printer of a kiosk device (SPEC §19)', () => {
  it('is set at creation or by PATCH {printer: {host, port} | null}, port 9100 by default, and read by devicePrinter', async () => {
    const created = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem con impresora', printer: { host: '192.168.1.50' } });
    expect(created.body.printer).toEqual({ host: '192.168.1.50', port: 9100 });
    const id = created.body.id as number;
    expect(await app.services.devices.devicePrinter(id)).toEqual({ deviceId: id, host: '192.168.1.50', port: 9100 });

    const moved = await json(await admin(`/api/admin/devices/${id}`, { method: 'PATCH', body: JSON.stringify({ printer: { host: 'impresora-3.sucursal.local', port: 9101 } }) }));
    expect(moved).toMatchObject({ status: 200, body: { printer: { host: 'impresora-3.sucursal.local', port: 9101 }, name: 'Tótem con impresora' } });
    const renamed = await json(await admin(`/api/admin/devices/${id}`, { method: 'PATCH', body: JSON.stringify({ name: 'Tótem 2' }) }));
    expect(renamed.body).toMatchObject({ name: 'Tótem 2', printer: { host: 'impresora-3.sucursal.local', port: 9101 } });
    const cleared = await json(await admin(`/api/admin/devices/${id}`, { method: 'PATCH', body: JSON.stringify({ printer: null }) }));
    expect(cleared.body.printer).toBeNull();
    expect(await app.services.devices.devicePrinter(id)).toBeNull();

    const [audit] = await app.db.query<{ old_state: { printerPort: number }; new_state: { printerHost: null } }>(
      `select old_state, new_state from audit_log where entity_type = 'DISPOSITIVO' and entity_id = $1 and event_type = 'DISPOSITIVO_MODIFICADO' order by id desc limit 1`,
      [String(id)],
    );
    expect(audit).toMatchObject({ old_state: { printerPort: 9101 }, new_state: { printerHost: null } });
    expect((await admin(`/api/admin/devices/${id}`, { method: 'PATCH', body: '{}' })).status).toBe(400);
    expect((await admin(`/api/admin/devices/999999`, { method: 'PATCH', body: JSON.stringify({ name: 'x' }) })).status).toBe(404);
  });

  it('is none for a revoked device', async () => {
    const created = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem a retirar', printer: { host: '10.1.1.1', port: 9100 } });
    const id = created.body.id as number;
    await admin(`/api/admin/devices/${id}`, { method: 'DELETE' });
    // The exported function, on any Queryable (the printing module's way in).
    const queryable = { execute: async <T,>(sql: string, params: readonly unknown[] = []) => (await app.db.query(toNumbered(sql), [...params])) as T };
    expect(await devicePrinter(queryable, id)).toBeNull();
  });
});

describe('a kiosk device takes numbers for its branch only (SPEC §17)', () => {
  it('takes a ticket in its branch without naming it; the ticket records the device and the audit names device:<id>', async () => {
    const { body } = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem Centro' });
    const response = await takeWith(app.url, body.token as string, { nationalId: rut(801), queueType: 'CAJA' });
    expect(response.status).toBe(201);
    const ticket = (await response.json()) as { identificador: string; branchOffice: string };
    expect(ticket.branchOffice).toBe(A);
    const [row] = await app.db.query<{ device_id: string }>(`select device_id from ticket where codigo_referencia = $1`, [ticket.identificador]);
    expect(Number(row!.device_id)).toBe(body.id);
    const [audit] = await app.db.query<{ actor: string }>(`select actor from audit_log where event_type = 'TICKET_CREADO' and additional_data->>'codigoReferencia' = $1`, [
      ticket.identificador,
    ]);
    expect(audit!.actor).toBe(`device:${body.id}`);
    const [seen] = await app.db.query<{ last_seen_at: string | null }>(`select last_seen_at from device where id = $1`, [body.id]);
    expect(seen!.last_seen_at).not.toBeNull();
  });

  it(`refuses a body branchOffice naming another branch: 403 SUCURSAL_NO_AUTORIZADA, and nothing is made`, async () => {
    const { body } = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem Centro 2' });
    const before = await app.db.query(`select id from ticket where branch_office = $1`, [B]);
    const response = await takeWith(app.url, body.token as string, { nationalId: rut(802), queueType: 'CAJA', branchOffice: B });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('SUCURSAL_NO_AUTORIZADA');
    expect(await app.db.query(`select id from ticket where branch_office = $1`, [B])).toHaveLength(before.length);
    // Naming its own branch is fine.
    expect((await takeWith(app.url, body.token as string, { nationalId: rut(803), queueType: 'CAJA', branchOffice: A })).status).toBe(201);
  });

  it('writes last_seen_at at most once a minute: a busy tótem reads, it does not write per request', async () => {
    const { body } = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem ocupado' });
    const token = body.token as string;
    expect((await app.request('/api/totem/estado', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const [first] = await app.db.query<{ last_seen_at: string; xmin: string }>(`select last_seen_at::text, xmin::text from device where id = $1`, [body.id]);
    for (let i = 0; i < 5; i++) expect((await app.request('/api/totem/estado', { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const [after] = await app.db.query<{ last_seen_at: string; xmin: string }>(`select last_seen_at::text, xmin::text from device where id = $1`, [body.id]);
    expect(after).toEqual(first); // same row version: not rewritten
  });

  it('a screen device cannot take numbers', async () => {
    const { body } = await createDevice(codeA, { kind: 'SCREEN', name: 'TV 2' });
    const response = await takeWith(app.url, body.token as string, { nationalId: rut(804), queueType: 'CAJA' });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('ROL_NO_AUTORIZADO');
  });
});

describe('revoking a device (SPEC §17: refused by every instance within 1 s)', () => {
  it('is refused at once by this instance and by a second instance on the same database: nothing caches a device', async () => {
    const { body } = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem robado' });
    const token = body.token as string;
    // Both instances accept it (the second has looked it up, so any cache would now hold it).
    expect((await takeWith(second.url, token, { nationalId: rut(811), queueType: 'CAJA' })).status).toBe(201);
    expect((await fetch(`${second.url}/api/totem/estado`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);

    const revoked = await json(await admin(`/api/admin/devices/${body.id}`, { method: 'DELETE' }));
    expect(revoked).toMatchObject({ status: 200, body: { active: false } });
    const answeredAt = Date.now();
    // The very next request, on either instance, is refused (no waiting for anything to expire).
    const onSecond = await takeWith(second.url, token, { nationalId: rut(812), queueType: 'CAJA' });
    const elapsed = Date.now() - answeredAt;
    expect(onSecond.status).toBe(401);
    expect(((await onSecond.json()) as { error: string }).error).toBe('NO_AUTORIZADO');
    expect((await takeWith(app.url, token, { nationalId: rut(813), queueType: 'CAJA' })).status).toBe(401);
    expect((await fetch(`${second.url}/api/totem/estado`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    // Recorded for the report, not asserted tight: the refusal was the first request after the revocation.
    console.info(`revoked device refused by the second instance on its first request, ${elapsed} ms after the DELETE answered`);

    // Revoking again changes nothing and writes no second audit row; a revoked device cannot be edited.
    expect((await admin(`/api/admin/devices/${body.id}`, { method: 'DELETE' })).status).toBe(200);
    const rows = await app.db.query(`select 1 from audit_log where entity_type = 'DISPOSITIVO' and entity_id = $1 and event_type = 'DISPOSITIVO_REVOCADO'`, [
      String(body.id),
    ]);
    expect(rows).toHaveLength(1);
    expect((await admin(`/api/admin/devices/${body.id}`, { method: 'PATCH', body: JSON.stringify({ name: 'otra vez' }) })).status).toBe(409);
    expect((await admin(`/api/admin/devices/999999`, { method: 'DELETE' })).status).toBe(404);
  }, 30_000);
});

describe('who manages devices (SPEC §18)', () => {
  it(`lets a SUPERVISOR of ${A} list and revoke ${A}'s devices, not create them or set printers, and nothing of ${B}`, async () => {
    const ours = await createDevice(codeA, { kind: 'KIOSK', name: 'Tótem del supervisor' });
    const theirs = await createDevice('MAIPU', { kind: 'KIOSK', name: 'Tótem Maipú' });
    expect(theirs.status).toBe(201);

    const list = await supervisorA.request(`/api/admin/branches/${codeA}/devices`);
    expect(list.status).toBe(200);
    expect(((await list.json()) as { devices: Array<{ id: number }> }).devices.map((d) => d.id)).toContain(ours.body.id);

    const refuse = async (response: Promise<Response>, error: string) => {
      const answer = await response;
      expect({ status: answer.status, error: ((await answer.json()) as { error: string }).error }).toEqual({ status: 403, error });
    };
    await refuse(supervisorA.request(`/api/admin/branches/MAIPU/devices`), 'SUCURSAL_NO_AUTORIZADA');
    await refuse(supervisorA.request(`/api/admin/devices/${theirs.body.id}`, { method: 'DELETE' }), 'SUCURSAL_NO_AUTORIZADA');
    await refuse(
      supervisorA.request(`/api/admin/branches/${codeA}/devices`, { method: 'POST', body: JSON.stringify({ kind: 'KIOSK', name: 'x' }) }),
      'ROL_NO_AUTORIZADO',
    );
    await refuse(supervisorA.request(`/api/admin/devices/${ours.body.id}`, { method: 'PATCH', body: JSON.stringify({ printer: null }) }), 'ROL_NO_AUTORIZADO');

    const revoked = await supervisorA.request(`/api/admin/devices/${ours.body.id}`, { method: 'DELETE' });
    expect(revoked.status).toBe(200);
    const [audit] = await app.db.query<{ actor: string }>(
      `select actor from audit_log where entity_type = 'DISPOSITIVO' and entity_id = $1 and event_type = 'DISPOSITIVO_REVOCADO'`,
      [String(ours.body.id)],
    );
    expect(audit!.actor).toBe(`staff:${supervisorA.id}`);
    const [still] = await app.db.query<{ revoked_at: string | null }>(`select revoked_at from device where id = $1`, [theirs.body.id]);
    expect(still!.revoked_at).toBeNull();
  });
});

describe('the OpenAPI document', () => {
  it('lists the device endpoints', async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/admin/branches/{code}/devices'] ?? {})).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/api/admin/devices/{id}'] ?? {})).toEqual(['patch', 'delete']);
  });
});
