// SPEC §22 (issue 16, finding 6): behind a trusted proxy (TRUST_PROXY=true) the client IP is the
// right-most X-Forwarded-For hop — the one the proxy appended. A client that forges hops to its
// left must not escape the per-IP sign-in limit or be recorded under someone else's address.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ TRUST_PROXY: 'true', LOGIN_ATTEMPTS_PER_IP: '5' });
}, 60_000);
afterAll(async () => {
  await app?.close();
});

/** A failed sign-in as the proxy forwards it: the client's own X-Forwarded-For, then the address the proxy saw. */
async function signIn(forwardedFor: string, email: string): Promise<number> {
  const response = await fetch(`${app.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: app.url, 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email, password: 'no-es-la-clave-1234' }),
  });
  await response.body?.cancel();
  return response.status;
}

describe('the client IP behind a trusted proxy', () => {
  it('is the right-most hop: forged left-most hops do not reset the per-IP sign-in limit', async () => {
    const statuses: number[] = [];
    // Each attempt forges a new left-most hop (and a new email, so no account lockout is involved).
    for (let i = 1; i <= 6; i++) statuses.push(await signIn(`198.51.100.${i}, 203.0.113.7`, `nadie${i}@banco.cl`));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    // Another client (another address appended by the proxy) still signs in attempts of its own,
    // even when it forges the first client's address on the left.
    expect(await signIn('203.0.113.7, 203.0.113.8', 'otra@banco.cl')).toBe(401);

    // The audit records the address the proxy saw, never the forged one.
    const rows = await app.db.query<{ ip_address: string }>(
      `select distinct ip_address from audit_log where event_type = 'SESION_RECHAZADA' order by ip_address`,
    );
    expect(rows.map((r) => r.ip_address)).toEqual(['203.0.113.7', '203.0.113.8']);
  });

  it('falls back to the connection’s peer when the right-most hop is not an address', async () => {
    expect(await signIn('203.0.113.9, no-es-una-ip', 'tercera@banco.cl')).toBe(401);
    const [row] = await app.db.query<{ ip_address: string }>(
      `select ip_address from audit_log where event_type = 'SESION_RECHAZADA' order by id desc limit 1`,
    );
    expect(row!.ip_address).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
  });
});
