// SPEC §22 (issue 16, finding 6): every date in a query or body is validated — a real calendar
// date (it survives a round trip) with a year within 2000–2100 — and answered 400 VALIDACION_FALLIDA
// naming the field, never 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';

let app: TestApp;
let ana: number;

beforeAll(async () => {
  app = await startTestApp();
  const [row] = await app.db.query<{ id: string }>(`select id from advisor where email = 'ana.martinez@banco.com'`);
  ana = Number(row!.id);
}, 60_000);
afterAll(async () => {
  await app?.close();
});

async function admin(path: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/api/admin${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const refused = (field: string) => ({
  status: 400,
  body: expect.objectContaining({ error: 'VALIDACION_FALLIDA', campos: { [field]: expect.stringMatching(/entre 2000 y 2100/) } }),
});

describe('dates in queries and bodies', () => {
  it('an advisor’s plan: a day that does not exist or a year out of range is 400 naming date', async () => {
    for (const date of ['2026-02-30', '0000-01-01', '2026-04-31', '2101-01-01', '1999-12-31', '2026-1-5']) {
      expect(await admin(`/advisors/${ana}/plan?date=${date}`), date).toEqual(refused('date'));
      const put = await admin(`/advisors/${ana}/plan?date=${date}`, { method: 'PUT', body: JSON.stringify({ shifts: [], breaks: [] }) });
      expect(put, `PUT ${date}`).toEqual(refused('date'));
    }
    // The real ones still answer, leap day included.
    expect((await admin(`/advisors/${ana}/plan?date=2028-02-29`)).status).toBe(200);
    expect((await admin(`/advisors/${ana}/plan?date=2100-12-31`)).status).toBe(200);
  });

  it('the audit’s from/to: an instant that is not real or out of range is 400 naming the field', async () => {
    expect(await admin('/audit?from=-200000-01-01T00:00:00Z')).toEqual(refused('from'));
    expect(await admin('/audit?to=2026-02-30T10:00:00Z')).toEqual(refused('to'));
    expect(await admin('/audit?from=0000-01-01')).toEqual(refused('from'));
    expect(await admin('/audit?to=%2B275760-09-13T00:00:00Z')).toEqual(refused('to'));
    expect(await admin('/audit?from=2026-01-01T25:00:00Z')).toEqual(refused('from'));
    expect(await admin('/audit?from=2026-01-01T10:00:00%2B15:00')).toEqual(refused('from'));
    for (const ok of ['2026-01-01', '2026-01-01T00:00:00Z', '2026-01-01T09:30:00-03:00', '2026-01-01T09:30:00.250Z']) {
      expect((await admin(`/audit?from=${encodeURIComponent(ok)}`)).status, ok).toBe(200);
    }
  });

  it('a token’s expiresAt: not real or out of range is 400 naming expiresAt; a real future one is kept', async () => {
    for (const expiresAt of ['2027-02-30T10:00:00Z', '9999-12-31T00:00:00Z', '+275760-09-13T00:00:00Z', 'mañana']) {
      const answer = await admin('/tokens', { method: 'POST', body: JSON.stringify({ name: 'Reportes', role: 'AUDITOR', branches: [], expiresAt }) });
      expect(answer, expiresAt).toEqual(refused('expiresAt'));
    }
    const past = await admin('/tokens', { method: 'POST', body: JSON.stringify({ name: 'R', role: 'AUDITOR', branches: [], expiresAt: '2001-01-01T00:00:00Z' }) });
    expect(past).toMatchObject({ status: 400, body: { campos: { expiresAt: 'Debe ser una fecha futura' } } });
    const ok = await admin('/tokens', { method: 'POST', body: JSON.stringify({ name: 'R', role: 'AUDITOR', branches: [], expiresAt: '2099-06-30T12:00:00-04:00' }) });
    expect(ok).toMatchObject({ status: 201, body: { expiresAt: '2099-06-30T16:00:00.000Z' } });
  });

  it('a branch’s closed dates: year 0 or 2101 is 400 naming the date', async () => {
    const branches = (await admin('/branches')).body as { branches?: Array<{ code: string }> };
    const code = branches.branches![0]!.code;
    for (const day of ['0000-01-01', '2101-01-01', '2026-02-29']) {
      const answer = await admin(`/branches/${code}`, { method: 'PATCH', body: JSON.stringify({ closedDates: [day] }) });
      expect(answer, day).toEqual(refused('closedDates.0'));
    }
  });

  it('a control character in a query or path text is 400 naming it, not a 500 from PostgreSQL', async () => {
    for (const [path, field] of [
      ['/audit?actor=%00', 'actor'],
      ['/audit?entityId=a%00b', 'entityId'],
      ['/branches?q=%00', 'q'],
      ['/branches/%00', 'code'],
    ] as const) {
      const answer = await admin(path);
      expect(answer, path).toMatchObject({ status: 400, body: { error: 'VALIDACION_FALLIDA', campos: { [field]: 'No admite caracteres de control' } } });
    }
    const patch = await admin('/branches/a%00', { method: 'PATCH', body: JSON.stringify({ name: 'X' }) });
    expect(patch).toMatchObject({ status: 400, body: { campos: { code: 'No admite caracteres de control' } } });
    // A SUPERVISOR's branch check may look the code up first: refused (400 or 403), never a 500.
    const { token } = await app.services.accounts.createToken({ name: 'Sup', role: 'SUPERVISOR', branches: ['Sucursal Centro'] }, { actor: 'SYSTEM' });
    for (const path of ['/branches/%00', '/branches/%00/devices']) {
      const response = await fetch(`${app.url}/api/admin${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect([400, 403], path).toContain(response.status);
    }
  });
});
