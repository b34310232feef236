import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { asBrowser, readyAccount, sessionCookieOf, signInRequest, STRONG_PASSWORD, totpNow } from '../support/accounts.js';
import { rut } from '../support/ruts.js';

let app: TestApp;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ticketero-primer-inicio-'));
  // Nothing set but what the test database needs: no KIOSK_API_KEY, no ADMIN_API_KEY.
  app = await startTestApp({ KIOSK_API_KEY: '', ADMIN_API_KEY: '' }, { firstRun: { dir } });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

const json = async (response: Response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> });

describe('the first run (SPEC §18)', () => {
  it('creates the first ADMIN and a kiosk device of the default branch, in a 0600 file, and only once', async () => {
    const first = app.firstRun!;
    expect(first.email).toBe('admin@localhost');
    expect(first.kioskToken).toMatch(/^tk_kiosk_[A-Za-z0-9_-]{43}$/);
    const file = path.join(dir, 'credenciales-iniciales.txt');
    expect(first.file).toBe(file);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).toContain(first.password);
    expect(text).toContain(first.kioskToken!);
    // Only hashes are stored.
    const [account] = await app.db.query<{ password_hash: string; must_change_password: boolean; role: string }>(
      `select password_hash, must_change_password, role from staff_account where email = 'admin@localhost'`,
    );
    expect(account).toMatchObject({ must_change_password: true, role: 'ADMIN' });
    expect(account!.password_hash).toMatch(/^\$argon2id\$/);
    // SPEC §18: the kiosk is a real device of the default branch (SPEC §17), not an integration token.
    const devices = await app.db.query<{ token_hash: string; kind: string; name: string; branch: string }>(
      `select d.token_hash, d.kind, d.name, b.name as branch from device d join branch b on b.id = d.branch_id`,
    );
    expect(devices).toEqual([
      { token_hash: createHash('sha256').update(first.kioskToken!).digest('hex'), kind: 'KIOSK', name: 'Tótem 1', branch: 'Sucursal Centro' },
    ]);
    expect(await app.db.query(`select 1 from api_token`)).toEqual([]);
    // A second start on the same database makes nothing new.
    expect(await app.services.accounts.bootstrap({ email: 'otra@localhost', kioskBranch: 'Sucursal Centro' })).toBeNull();
  });

  it('lets the kiosk device take numbers for its branch only, audited as the device', async () => {
    const kiosk = { authorization: `Bearer ${app.firstRun!.kioskToken}`, 'content-type': 'application/json' };
    const taken = await fetch(`${app.url}/api/tickets`, { method: 'POST', headers: kiosk, body: JSON.stringify({ nationalId: rut(1), queueType: 'CAJA' }) });
    expect(taken.status).toBe(201);
    expect(((await taken.json()) as { branchOffice: string }).branchOffice).toBe('Sucursal Centro');
    const elsewhere = await fetch(`${app.url}/api/tickets`, {
      method: 'POST',
      headers: kiosk,
      body: JSON.stringify({ nationalId: rut(2), queueType: 'CAJA', branchOffice: 'Sucursal Maipú' }),
    });
    expect(await json(elsewhere)).toMatchObject({ status: 403, body: { error: 'SUCURSAL_NO_AUTORIZADA' } });
    const [audit] = await app.db.query<{ actor: string }>(`select actor from audit_log where event_type = 'TICKET_CREADO'`);
    expect(audit!.actor).toMatch(/^device:\d+$/);
    const nobody = await fetch(`${app.url}/api/tickets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(nobody.status).toBe(401);
  });

  it('forces a new password, then TOTP enrolment, before the first ADMIN can do anything else', async () => {
    const { email, password } = app.firstRun!;
    const signedIn = await signInRequest(app, { email, password });
    expect(signedIn.status).toBe(200);
    const setCookie = signedIn.headers.getSetCookie().join('\n');
    // Plain http on loopback (npm start on a laptop) cannot hold a Secure cookie: `ticketero`, HttpOnly, Lax.
    expect(setCookie).toMatch(/^ticketero=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Lax$/);
    let cookie = sessionCookieOf(signedIn)!;
    expect(await signedIn.json()).toMatchObject({ role: 'ADMIN', cambioDeClaveRequerido: true, totpRequerido: true });

    expect(await json(await asBrowser(app, cookie, '/api/admin/dashboard'))).toMatchObject({ status: 403, body: { error: 'CAMBIO_DE_CLAVE_REQUERIDO' } });
    // Too short, and one of the 10,000 most common: refused with the reason.
    for (const weak of ['corta', 'Unbelievable', 'SCANDINAVIAN']) {
      const refused = await json(await asBrowser(app, cookie, '/api/auth/password', { method: 'POST', body: JSON.stringify({ current: password, new: weak }) }));
      expect(refused.status, weak).toBe(400);
      expect(refused.body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { new: expect.any(String) } });
    }
    const changed = await asBrowser(app, cookie, '/api/auth/password', { method: 'POST', body: JSON.stringify({ current: password, new: STRONG_PASSWORD }) });
    expect(changed.status).toBe(200);
    const oldCookie = cookie;
    cookie = sessionCookieOf(changed)!;
    // A password change ends every session, this one included (it got a fresh one).
    expect((await asBrowser(app, oldCookie, '/api/auth/me')).status).toBe(401);
    expect(await json(await asBrowser(app, cookie, '/api/admin/dashboard'))).toMatchObject({ status: 403, body: { error: 'TOTP_REQUERIDO' } });

    const enrolled = (await json(await asBrowser(app, cookie, '/api/auth/totp/enroll', { method: 'POST', body: '{}' }))).body as {
      secret: string;
      otpauthUrl: string;
      qrSvg: string;
    };
    expect(enrolled.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Ticketero:admin%40localhost\?secret=/);
    expect(enrolled.qrSvg).toMatch(/^<svg /);
    const [stored] = await app.db.query<{ totp_secret: string }>(`select totp_secret from staff_account where email = 'admin@localhost'`);
    expect(stored!.totp_secret).not.toContain(enrolled.secret); // sealed with the §14 data keys
    expect(await json(await asBrowser(app, cookie, '/api/auth/totp/confirm', { method: 'POST', body: JSON.stringify({ code: '000000' }) }))).toMatchObject({
      status: 401,
      body: { error: 'CODIGO_TOTP_INVALIDO' },
    });
    const confirmed = await asBrowser(app, cookie, '/api/auth/totp/confirm', { method: 'POST', body: JSON.stringify({ code: await totpNow(enrolled.secret) }) });
    expect(confirmed.status).toBe(200);
    expect((await asBrowser(app, cookie, '/api/admin/dashboard')).status).toBe(200);

    // From now on the password alone is not enough.
    expect(await json(await signInRequest(app, { email, password: STRONG_PASSWORD }))).toMatchObject({ status: 403, body: { error: 'TOTP_REQUERIDO' } });
    const withCode = await signInRequest(app, { email, password: STRONG_PASSWORD, totp: await totpNow(enrolled.secret) });
    expect(withCode.status).toBe(200);

    // The audit names the person: staff:<id>, with their email.
    const rows = await app.db.query<{ event_type: string; actor: string; additional_data: { email?: string } | null }>(
      `select event_type, actor, additional_data from audit_log where entity_type = 'CUENTA' order by id`,
    );
    const [{ id }] = (await app.db.query<{ id: string }>(`select id from staff_account where email = 'admin@localhost'`)) as [{ id: string }];
    expect(rows.map((r) => r.event_type)).toEqual(expect.arrayContaining(['CUENTA_CREADA', 'SESION_INICIADA', 'CLAVE_CAMBIADA', 'TOTP_ACTIVADO']));
    expect(rows.find((r) => r.event_type === 'CLAVE_CAMBIADA')).toMatchObject({ actor: `staff:${id}`, additional_data: { email } });
  });
});

describe('hostile sign-in attempts (SPEC §18)', () => {
  it('locks an account after five failures in 15 minutes, even for the right password, with Retry-After', async () => {
    const person = await readyAccount(app, { role: 'AUDITOR' });
    for (let i = 1; i <= 5; i++) {
      const wrong = await json(await signInRequest(app, { email: person.email, password: `equivocada-${i}-xxxx` }));
      expect(wrong, `attempt ${i}`).toMatchObject({ status: 401, body: { error: 'CREDENCIALES_INVALIDAS' } });
    }
    const locked = await signInRequest(app, { email: person.email, password: person.password });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(await locked.json()).toMatchObject({ error: 'DEMASIADOS_INTENTOS' });
    const refusals = await app.db.query<{ actor: string; additional_data: Record<string, unknown> }>(
      `select actor, additional_data from audit_log where event_type = 'SESION_RECHAZADA' and entity_id = $1`,
      [String(person.id)],
    );
    expect(refusals).toHaveLength(5);
    expect(JSON.stringify(refusals)).not.toContain('equivocada');
  });

  it('answers forged, expired and revoked sessions 401, and a request from another origin 403', async () => {
    const person = await readyAccount(app, { role: 'AUDITOR' });
    expect((await person.request('/api/admin/audit')).status).toBe(200);
    const forged = await asBrowser(app, 'ticketero=' + 'A'.repeat(43), '/api/admin/audit');
    expect(await json(forged)).toMatchObject({ status: 401, body: { error: 'NO_AUTORIZADO' } });
    expect((await asBrowser(app, 'ticketero=<script>', '/api/admin/audit')).status).toBe(401);

    const csrf = await asBrowser(app, person.cookie, '/api/auth/logout', { method: 'POST', body: '{}', headers: { origin: 'https://evil.example' } });
    expect(await json(csrf)).toMatchObject({ status: 403, body: { error: 'ORIGEN_NO_PERMITIDO' } });
    const crossSite = await fetch(`${app.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: person.cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(crossSite.status).toBe(403);
    const form = await asBrowser(app, person.cookie, '/api/auth/password', {
      method: 'POST',
      body: 'current=x&new=y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect((await person.request('/api/admin/audit')).status).toBe(200);

    // Idle for over 30 minutes: the session is over.
    await app.db.query(`update staff_session set last_seen_at = last_seen_at - interval '31 minutes' where account_id = $1`, [person.id]);
    expect((await person.request('/api/admin/audit')).status).toBe(401);

    const again = await readyAccount(app, { role: 'AUDITOR' });
    const revoked = await fetch(`${app.url}/api/admin/accounts/${again.id}/revoke-sessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${(await adminToken())}` },
    });
    expect(revoked.status).toBe(200);
    expect((await again.request('/api/admin/audit')).status).toBe(401);
  });

  it('never answers 5xx to malformed sign-in bodies, and never logs the password', async () => {
    for (const body of ['{', '[]', '{"email":1}', JSON.stringify({ email: 'a@b', password: 'x'.repeat(5000) }), JSON.stringify({ email: 'x@y.cl', password: 'p', totp: 'abc' })]) {
      const response = await asBrowser(app, null, '/api/auth/login', { method: 'POST', body });
      expect(response.status, body.slice(0, 40)).toBeGreaterThanOrEqual(400);
      expect(response.status, body.slice(0, 40)).toBeLessThan(500);
    }
  });
});

describe('integration tokens and the audit actor (SPEC §18)', () => {
  it('shows a token once, keeps its hash, filters the audit by actor, and a revoked token stops at once', async () => {
    const token = await adminToken();
    const audit = await json(await fetch(`${app.url}/api/admin/audit?actor=${encodeURIComponent('SYSTEM')}&limit=500`, { headers: { authorization: `Bearer ${token}` } }));
    expect(audit.status).toBe(200);
    const items = audit.body.items as Array<{ actor: string }>;
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((i) => i.actor === 'SYSTEM')).toBe(true);

    const [{ id }] = (await app.db.query<{ id: string }>(`select id from api_token where role = 'ADMIN' order by id desc limit 1`)) as [{ id: string }];
    const mine = await json(await fetch(`${app.url}/api/admin/audit?actor=token:${id}`, { headers: { authorization: `Bearer ${token}` } }));
    expect(mine.status).toBe(200);
    const created = await json(
      await fetch(`${app.url}/api/admin/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Reportes', role: 'AUDITOR', branches: [] }),
      }),
    );
    expect(created.status).toBe(201);
    const byToken = await json(await fetch(`${app.url}/api/admin/audit?actor=token:${id}`, { headers: { authorization: `Bearer ${token}` } }));
    expect((byToken.body.items as Array<{ eventType: string }>).map((i) => i.eventType)).toContain('TOKEN_CREADO');

    const auditor = String(created.body.token);
    expect((await fetch(`${app.url}/api/admin/audit`, { headers: { authorization: `Bearer ${auditor}` } })).status).toBe(200);
    expect(await json(await fetch(`${app.url}/api/admin/tokens`, { headers: { authorization: `Bearer ${auditor}` } }))).toMatchObject({
      status: 403,
      body: { error: 'ROL_NO_AUTORIZADO' },
    });
    const revoke = await fetch(`${app.url}/api/admin/tokens/${String(created.body.id)}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(revoke.status).toBe(200);
    expect((await fetch(`${app.url}/api/admin/audit`, { headers: { authorization: `Bearer ${auditor}` } })).status).toBe(401);
  });
});

describe('the session cookie behind https (SPEC §18)', () => {
  it('is __Host-ticketero, Secure, and only that name is read there', async () => {
    const proxied = await startTestApp({ TRUST_PROXY: 'true' });
    try {
      const { initialPassword } = await proxied.services.accounts.create({ email: 'cajero@banco.cl', name: 'Cajero', role: 'AUDITOR' }, { actor: 'SYSTEM' });
      const https = { 'x-forwarded-proto': 'https', origin: proxied.url, 'content-type': 'application/json' };
      const signedIn = await fetch(`${proxied.url}/api/auth/login`, { method: 'POST', headers: https, body: JSON.stringify({ email: 'cajero@banco.cl', password: initialPassword }) });
      expect(signedIn.status).toBe(200);
      const line = signedIn.headers.getSetCookie().join('\n');
      expect(line).toMatch(/^__Host-ticketero=[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
      const token = /^__Host-ticketero=([^;]+)/.exec(line)![1]!;
      expect((await fetch(`${proxied.url}/api/auth/me`, { headers: { ...https, cookie: `__Host-ticketero=${token}` } })).status).toBe(200);
      // A plain cookie of the same name (set by a sibling subdomain, say) is not a session there.
      expect((await fetch(`${proxied.url}/api/auth/me`, { headers: { ...https, cookie: `ticketero=${token}` } })).status).toBe(401);
    } finally {
      await proxied.close();
    }
  });
});

describe('the break-glass key (SPEC §18)', () => {
  it('still opens the admin API as ADMIN, audited as apikey', async () => {
    const withKey = await startTestApp();
    try {
      const [carlos] = await withKey.db.query<{ id: string }>(`select id from advisor order by id limit 1`);
      const response = await fetch(`${withKey.url}/api/admin/advisors/${carlos!.id}/status`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status: 'BUSY', reason: 'Colación' }),
      });
      expect(response.status, await response.clone().text()).toBe(200);
      const audit = await json(await fetch(`${withKey.url}/api/admin/audit?actor=apikey`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }));
      expect((audit.body.items as Array<{ actor: string; eventType: string }>)[0]).toMatchObject({ actor: 'apikey', eventType: 'ADVISOR_STATUS_CHANGED' });
    } finally {
      await withKey.close();
    }
  });
});

let cachedAdminToken: string | null = null;
/** An ADMIN integration token, made directly through the service (as `npm run create-admin` would an account). */
async function adminToken(): Promise<string> {
  cachedAdminToken ??= (await app.services.accounts.createToken({ name: 'Pruebas', role: 'ADMIN', branches: [] }, { actor: 'SYSTEM' })).token;
  return cachedAdminToken;
}
