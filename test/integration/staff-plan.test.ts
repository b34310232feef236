import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

// 10:00 in Santiago (winter, UTC−4).
const clock = new ManualClock(new Date('2026-06-01T14:00:00Z'));
let app: TestApp;
let ana: number;

beforeAll(async () => {
  app = await startTestApp({}, { clock });
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

describe('advisors’ planned hours (GET/PUT /api/admin/advisors/:id/plan)', () => {
  it('keeps a day’s shifts and breaks, audited, and shows an empty plan for other days', async () => {
    const plan = { shifts: [{ from: '09:00', to: '14:00' }], breaks: [{ from: '11:30', minutes: 20 }] };
    const put = await admin(`/advisors/${ana}/plan?date=2026-06-01`, { method: 'PUT', body: JSON.stringify(plan) });
    expect(put).toEqual({ status: 200, body: { advisorId: ana, date: '2026-06-01', ...plan, planned: true } });
    expect((await admin(`/advisors/${ana}/plan`)).body).toMatchObject({ date: '2026-06-01', ...plan });
    expect((await admin(`/advisors/${ana}/plan?date=2026-06-02`)).body).toEqual({
      advisorId: ana,
      date: '2026-06-02',
      shifts: [],
      breaks: [],
      planned: false,
    });
    const audit = await app.db.query<{ actor: string }>(
      `select actor from audit_log where event_type = 'ADVISOR_PLAN_CHANGED' and entity_id = $1`,
      [String(ana)],
    );
    expect(audit).toEqual([{ actor: 'apikey' }]);
  });

  it('refuses a bad plan naming the field, an unknown advisor and a bad date', async () => {
    const bad = await admin(`/advisors/${ana}/plan`, {
      method: 'PUT',
      body: JSON.stringify({ shifts: [{ from: '14:00', to: '09:00' }], breaks: [] }),
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { 'shifts.0.to': 'el turno debe terminar después de empezar' } });
    const extra = await admin(`/advisors/${ana}/plan`, { method: 'PUT', body: JSON.stringify({ shifts: [], breaks: [], note: 'x' }) });
    expect(extra.status).toBe(400);
    expect(Object.keys(extra.body.campos as object)).toEqual(['(raíz)']);
    expect((await admin(`/advisors/999999/plan`)).status).toBe(404);
    expect((await admin(`/advisors/${ana}/plan?date=2026-13-40`)).body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { date: expect.any(String) } });
    expect((await fetch(`${app.url}/api/admin/advisors/${ana}/plan`)).status).toBe(401);
  });

  it('is what the estimator uses: a GERENCIA customer waits for the advisor whose shift starts later', async () => {
    // Nobody who serves GERENCIA is online now; Ana's shift starts at 10:40.
    await app.db.query(`update advisor set status = 'OFFLINE'`);
    await admin(`/advisors/${ana}/plan?date=2026-06-01`, { method: 'PUT', body: JSON.stringify({ shifts: [], breaks: [] }) });
    const before = await app.postTicket({ nationalId: rut(700), queueType: 'GERENCIA' });
    // No one expected: the seed's formula, dividing by one (30 minutes for the first in line).
    expect(before.body).toMatchObject({ positionInQueue: 1, estimatedWaitMinutes: 30 });
    await admin(`/advisors/${ana}/plan?date=2026-06-01`, {
      method: 'PUT',
      body: JSON.stringify({ shifts: [{ from: '10:40', to: '14:00' }], breaks: [] }),
    });
    const after = await app.postTicket({ nationalId: rut(701), queueType: 'GERENCIA' });
    // Ana comes at 10:40 and serves the first one (30 min by default): 40 + 30 = 70.
    expect(after.body).toMatchObject({ positionInQueue: 2, estimatedWaitMinutes: 70 });
    await app.services.queue.tick();
    const [first] = await app.db.query<{ estimated_wait_minutes: number }>(
      `select estimated_wait_minutes from ticket where codigo_referencia = $1`,
      [before.body.identificador],
    );
    expect(first!.estimated_wait_minutes).toBe(40);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/admin/advisors/{id}/plan']!)).toEqual(['get', 'put']);
  });
});
