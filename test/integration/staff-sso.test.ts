/**
 * SPEC §18: staff single sign-on with the bank's identity provider (OpenID Connect, authorization
 * code + PKCE, state and nonce, through openid-client) against a real provider (npm oidc-provider)
 * started in-process on loopback. The whole redirect dance over HTTP, cookies kept by hand, the
 * provider's own login and consent forms posted; then every hostile return refused with a clear
 * 4xx, never a 5xx, and logged without a code, a state or a token.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { asBrowser, readyAccount, totpNow } from '../support/accounts.js';
import { startIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.js';
import { RedirectBrowser } from '../support/redirect-browser.js';

const CALLBACK = '/api/auth/sso/callback';
const CENTRO = 'Sucursal Centro';

let idp: TestIdentityProvider;
/** Accounts made by an ADMIN only (OIDC_AUTO_PROVISION=false). */
let app: TestApp;
/** First sign-in makes the account (OIDC_AUTO_PROVISION=true, a role map). */
let provisioning: TestApp;
const logLines: string[] = [];

function env(autoProvision: boolean): Record<string, string> {
  return {
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: idp.clientId,
    OIDC_CLIENT_SECRET: idp.clientSecret,
    OIDC_ROLE_CLAIM: 'roles',
    OIDC_ROLE_MAP: JSON.stringify({
      'ticketero-supervisor-centro': { role: 'SUPERVISOR', branches: [CENTRO] },
      'ticketero-auditor': { role: 'AUDITOR' },
      'ticketero-asesor': { role: 'ASESOR' },
    }),
    OIDC_AUTO_PROVISION: String(autoProvision),
  };
}

beforeAll(async () => {
  idp = await startIdentityProvider({ claimsInProfile: ['roles'] });
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  app = await startTestApp(env(false), { logger: createLogger('info', sink) });
  provisioning = await startTestApp(env(true));
  idp.registerClient([`${app.url}${CALLBACK}`, `${provisioning.url}${CALLBACK}`]);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await provisioning?.close();
  await idp?.close();
});

/** The browser signs in at the provider as `login` and is about to come back to the app: the callback URL. */
async function toCallback(browser: RedirectBrowser, on: TestApp, login: string, volver?: string): Promise<string> {
  const start = `${on.url}/api/auth/sso/start${volver ? `?volver=${encodeURIComponent(volver)}` : ''}`;
  return browser.signInAtProvider(start, login, CALLBACK);
}

async function me(browser: RedirectBrowser, on: TestApp): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await browser.request(`${on.url}/api/auth/me`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('signing in through the bank (SPEC §18)', () => {
  it('says whether the bank sign-in is offered, and the page shows its button only then', async () => {
    expect(await (await fetch(`${app.url}/api/auth/sso`)).json()).toEqual({ disponible: true });
    const plain = await startTestApp();
    try {
      expect(await (await fetch(`${plain.url}/api/auth/sso`)).json()).toEqual({ disponible: false });
      const start = await fetch(`${plain.url}/api/auth/sso/start`, { redirect: 'manual' });
      expect(start.status).toBe(404);
      expect(await start.text()).toContain('no está habilitado');
    } finally {
      await plain.close();
    }
  }, 60_000);

  it('an ASESOR with an account: the provider vouches, the app opens their desk', async () => {
    const [advisor] = await app.db.query<{ id: string }>(`select id from advisor where branch_office = $1 order by id limit 1`, [CENTRO]);
    const asesor = await app.services.accounts.create(
      { email: 'paula.rojas@banco.cl', name: 'Paula Rojas', role: 'ASESOR', advisorId: Number(advisor!.id) },
      { actor: 'SYSTEM' },
    );
    idp.accounts.set('projas', { email: 'Paula.Rojas@banco.cl', email_verified: true, name: 'Paula Rojas', roles: [] });
    const browser = new RedirectBrowser();
    const callback = await toCallback(browser, app, 'projas');
    const url = new URL(callback);
    expect(url.searchParams.get('code')).toBeTruthy();
    expect(url.searchParams.get('iss')).toBe(idp.issuer);
    // The authorization request carried PKCE (S256), state and nonce: the provider requires PKCE.
    const back = await browser.request(callback);
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/escritorio');
    const session = await me(browser, app);
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ id: asesor.account.id, role: 'ASESOR', cambioDeClaveRequerido: false, totpVerificacionRequerida: false });
    // Signed in through the provider: the initial password was never needed, and the audit says how.
    const [audit] = await app.db.query<{ actor: string; additional_data: Record<string, unknown> }>(
      `select actor, additional_data from audit_log where event_type = 'SESION_INICIADA' and entity_id = $1 order by id desc limit 1`,
      [String(asesor.account.id)],
    );
    expect(audit).toMatchObject({ actor: `staff:${asesor.account.id}`, additional_data: expect.objectContaining({ metodo: 'OIDC', emisor: idp.issuer }) });
    expect((await browser.request(`${app.url}/escritorio/api/estado`)).status).toBe(200);
  });

  it('an ADMIN with TOTP: the provider does not replace the second factor — nothing until the code', async () => {
    const admin = await readyAccount(app, { role: 'ADMIN', email: 'jefa.ti@banco.cl' });
    idp.accounts.set('jefa', { email: 'jefa.ti@banco.cl', email_verified: true });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, app, 'jefa', '/supervisor'));
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/ingresar?volver=%2Fsupervisor');
    expect((await me(browser, app)).body).toMatchObject({ role: 'ADMIN', totpVerified: false, totpVerificacionRequerida: true });
    const refused = await browser.request(`${app.url}/api/admin/accounts`);
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: string }).error).toBe('TOTP_REQUERIDO');
    const confirm = (code: string) =>
      browser.request(`${app.url}/api/auth/totp/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: app.url },
        body: JSON.stringify({ code }),
      });
    const wrong = await confirm((Number(await totpNow(admin.totpSecret!)) + 1).toString().padStart(6, '0').slice(-6));
    expect(wrong.status).toBe(401);
    const right = await confirm(await totpNow(admin.totpSecret!));
    expect(right.status).toBe(200);
    expect(await right.json()).toMatchObject({ totpVerified: true, totpVerificacionRequerida: false });
    expect((await browser.request(`${app.url}/api/admin/accounts`)).status).toBe(200);
  });

  it('no account with that email and no auto-provisioning: a clear page in Spanish, 403, no session', async () => {
    idp.accounts.set('nadie', { email: 'nadie@banco.cl', email_verified: true, roles: ['ticketero-auditor'] });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, app, 'nadie'));
    expect(back.status).toBe(403);
    expect(back.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await back.text();
    expect(page).toContain('No hay una cuenta de Ticketero con tu email');
    expect(back.headers.getSetCookie().some((c) => c.startsWith('ticketero='))).toBe(false);
    expect((await me(browser, app)).status).toBe(401);
    expect((await app.db.query(`select 1 from staff_account where email = 'nadie@banco.cl'`)).length).toBe(0);
  });

  it('a deactivated account is refused (403), even though the provider vouches', async () => {
    const gone = await app.services.accounts.create({ email: 'ex.auditor@banco.cl', name: 'Ex', role: 'AUDITOR' }, { actor: 'SYSTEM' });
    await app.services.accounts.deactivate(gone.account.id, { actor: 'SYSTEM' });
    idp.accounts.set('ex', { email: 'ex.auditor@banco.cl', email_verified: true });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, app, 'ex'));
    expect(back.status).toBe(403);
    expect(await back.text()).toContain('desactivada');
  });
});

describe('auto-provisioning (OIDC_AUTO_PROVISION=true)', () => {
  it('makes the account on the first sign-in from the role claim, audited as the person, then asks TOTP enrolment of a SUPERVISOR', async () => {
    idp.accounts.set('msoto', { email: 'marta.soto@banco.cl', email_verified: true, name: 'Marta Soto', roles: ['otro-sistema', 'ticketero-supervisor-centro'] });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, provisioning, 'msoto'));
    expect(back.status).toBe(303);
    expect(back.headers.get('location')).toBe('/ingresar?volver=%2Fsupervisor');
    const session = await me(browser, provisioning);
    expect(session.body).toMatchObject({ email: 'marta.soto@banco.cl', name: 'Marta Soto', role: 'SUPERVISOR', branches: [CENTRO], totpRequerido: true });
    const id = session.body.id as number;
    const [created] = await provisioning.db.query<{ actor: string; new_state: Record<string, unknown>; additional_data: Record<string, unknown> }>(
      `select actor, new_state, additional_data from audit_log where event_type = 'CUENTA_CREADA' and entity_id = $1`,
      [String(id)],
    );
    expect(created!.actor).toBe(`staff:${id}`);
    expect(created!.new_state).toMatchObject({ role: 'SUPERVISOR', branches: [CENTRO] });
    expect(created!.additional_data).toMatchObject({ metodo: 'OIDC', emisor: idp.issuer, aprovisionada: true, email: 'marta.soto@banco.cl' });
    // No password: this account signs in through the bank only.
    const [row] = await provisioning.db.query<{ password_hash: string | null }>(`select password_hash from staff_account where id = $1`, [id]);
    expect(row!.password_hash).toBeNull();
    // A second sign-in finds the same account (no second one).
    const again = new RedirectBrowser();
    await again.request(await toCallback(again, provisioning, 'msoto'));
    expect((await me(again, provisioning)).body.id).toBe(id);
    expect((await provisioning.db.query(`select 1 from staff_account where email = 'marta.soto@banco.cl'`)).length).toBe(1);
  });

  it('a claim that maps to no role makes no account: 403 with the reason', async () => {
    idp.accounts.set('cajero', { email: 'cajero@banco.cl', email_verified: true, roles: ['otro-sistema'] });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, provisioning, 'cajero'));
    expect(back.status).toBe(403);
    expect(await back.text()).toContain('no tiene un rol en Ticketero');
    expect((await provisioning.db.query(`select 1 from staff_account where email = 'cajero@banco.cl'`)).length).toBe(0);
  });

  it('an email the provider says is not verified makes nothing', async () => {
    idp.accounts.set('dudoso', { email: 'dudoso@banco.cl', email_verified: false, roles: ['ticketero-auditor'] });
    const browser = new RedirectBrowser();
    const back = await browser.request(await toCallback(browser, provisioning, 'dudoso'));
    expect(back.status).toBe(403);
    expect((await provisioning.db.query(`select 1 from staff_account where email = 'dudoso@banco.cl'`)).length).toBe(0);
  });
});

describe('hostile returns: a clear 4xx, never a 5xx, logged without secrets', () => {
  let callback: URL;
  let browser: RedirectBrowser;

  beforeAll(async () => {
    await app.services.accounts.create({ email: 'auditora@banco.cl', name: 'Auditora', role: 'AUDITOR' }, { actor: 'SYSTEM' });
    idp.accounts.set('auditora', { email: 'auditora@banco.cl', email_verified: true });
  });

  const fresh = async () => {
    browser = new RedirectBrowser();
    callback = new URL(await toCallback(browser, app, 'auditora'));
  };

  const refusedWith400 = async (response: Response) => {
    expect(response.status).toBe(400);
    const page = await response.text();
    expect(page).toContain('La respuesta del proveedor de identidad no es válida');
    expect(response.headers.getSetCookie().some((c) => c.startsWith('ticketero='))).toBe(false);
  };

  it('a tampered state', async () => {
    await fresh();
    const tampered = new URL(callback);
    tampered.searchParams.set('state', `${callback.searchParams.get('state')!.slice(0, -2)}xx`);
    await refusedWith400(await browser.request(tampered.href));
    // The real state still works once (the forged one spent nothing).
    expect((await browser.request(callback.href)).status).toBe(303);
  });

  it('no state at all, and a state with no code', async () => {
    await fresh();
    const none = new URL(callback);
    none.searchParams.delete('state');
    await refusedWith400(await browser.request(none.href));
    const noCode = new URL(callback);
    noCode.searchParams.delete('code');
    await refusedWith400(await browser.request(noCode.href));
  });

  it('the same return replayed', async () => {
    await fresh();
    expect((await browser.request(callback.href)).status).toBe(303);
    await refusedWith400(await browser.request(callback.href));
  });

  it('a used code replayed with a fresh state of the same browser: the provider refuses it, and so does the app', async () => {
    await fresh();
    const usedCode = callback.searchParams.get('code')!;
    expect((await browser.request(callback.href)).status).toBe(303);
    const second = new URL(await toCallback(browser, app, 'auditora'));
    const replay = new URL(second);
    replay.searchParams.set('code', usedCode);
    const tokensBefore = idp.tokenRequests();
    await refusedWith400(await browser.request(replay.href));
    expect(idp.tokenRequests()).toBe(tokensBefore + 1); // it reached the provider, which said invalid_grant
  });

  it('a wrong issuer in the answer (mix-up, RFC 9207)', async () => {
    await fresh();
    const wrong = new URL(callback);
    wrong.searchParams.set('iss', 'http://127.0.0.1:1/otro-emisor');
    await refusedWith400(await browser.request(wrong.href));
  });

  it('the answer opened in another browser (no binding cookie): login CSRF refused', async () => {
    await fresh();
    await refusedWith400(await fetch(callback.href, { redirect: 'manual' }));
  });

  it('the provider says access_denied', async () => {
    await fresh();
    const denied = new URL(callback);
    denied.searchParams.delete('code');
    denied.searchParams.set('error', 'access_denied');
    await refusedWith400(await browser.request(denied.href));
  });

  it('logged the refusals, never a code, a state or a secret', () => {
    const refusals = logLines.filter((l) => l.includes('proveedor de identidad'));
    expect(refusals.length).toBeGreaterThan(3);
    const secrets = [idp.clientSecret, callback.searchParams.get('code')!, callback.searchParams.get('state')!];
    for (const line of logLines) for (const secret of secrets) expect(line).not.toContain(secret);
    expect(logLines.some((l) => /"status":5\d\d/.test(l))).toBe(false);
  });
});

describe('the CSRF guard still holds for the sign-in endpoints', () => {
  it('a TOTP confirm from another origin is refused', async () => {
    const admin = await readyAccount(app, { role: 'ADMIN' });
    const response = await asBrowser(app, admin.cookie, '/api/auth/totp/confirm', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
      body: JSON.stringify({ code: '123456' }),
    });
    expect(response.status).toBe(403);
  });
});
