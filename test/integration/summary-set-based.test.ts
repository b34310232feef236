/**
 * SPEC §17: GET /api/admin/summary is set-based (one statement for every branch's figures); it
 * must say what the per-branch figures (queueFigures, the dashboard's) say, branch by branch, for
 * branches in different zones with waiting, served, cancelled tickets and advisors online.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

let app: TestApp;
const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${app.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
const post = async (path: string, body: unknown, method = 'POST'): Promise<Record<string, unknown>> => {
  const response = await admin(path, { method, body: JSON.stringify(body) });
  const json = (await response.json()) as Record<string, unknown>;
  if (response.status >= 300) throw new Error(`${method} ${path} ${response.status}: ${JSON.stringify(json)}`);
  return json;
};

beforeAll(async () => {
  app = await startTestApp();
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('GET /api/admin/summary, set-based (SPEC §17)', () => {
  it('gives every branch the figures its own queueFigures give, in a few statements', async () => {
    const branches = [
      { code: 'PASCUA', name: 'Sucursal Hanga Roa', timezone: 'Pacific/Easter' },
      { code: 'MAGALLANES', name: 'Sucursal Punta Arenas', timezone: 'America/Punta_Arenas', queues: [{ queueType: 'CAJA' }, { queueType: 'EMPRESAS' }] },
      { code: 'NUNOA', name: 'Sucursal Ñuñoa', timezone: 'America/Santiago' },
    ];
    let n = 100;
    for (const [i, b] of branches.entries()) {
      await post('/api/admin/branches', b);
      const advisor = await post('/api/admin/advisors', { name: `Asesora ${i}`, email: `asesora.${i}@banco.cl`, branch: b.code, moduleNumber: 1, queueTypes: ['CAJA'] });
      for (let k = 0; k < 3 + i; k++) {
        const { status } = await app.postTicket({ nationalId: rut(n++), queueType: k % 2 ? 'EMPRESAS' : 'CAJA', branchOffice: b.name });
        expect(status).toBe(201);
      }
      // The advisor connects (takes a CAJA ticket) and finishes it; in one branch a ticket is cancelled.
      await post(`/api/admin/advisors/${advisor.id as number}/status`, { status: 'AVAILABLE' }, 'PUT');
      const served = await admin(`/api/admin/advisors/${advisor.id as number}/complete-ticket`, { method: 'PUT' });
      expect(served.status).toBe(200);
      if (i === 2) {
        const [row] = (await app.db.query(`select codigo_referencia from ticket where branch_office = $1 and status in ('EN_ESPERA', 'PROXIMO') order by id desc limit 1`, [b.name])) as { codigo_referencia: string }[];
        expect((await app.request(`/api/tickets/${row!.codigo_referencia}/cancel`, { method: 'POST' })).status).toBe(200);
      }
    }

    const response = await admin('/api/admin/summary');
    expect(response.status).toBe(200);
    const summary = (await response.json()) as { totals: Record<string, number>; branches: Array<Record<string, unknown> & { branchOffice: string }> };
    const names = summary.branches.map((b) => b.branchOffice);
    expect(names).toEqual(expect.arrayContaining(branches.map((b) => b.name)));
    expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    // What the per-branch figures say (the way the summary was computed before, one branch at a time).
    for (const entry of summary.branches) {
      const queues = await app.services.supervision.queueFigures(entry.branchOffice);
      const sum = (pick: (q: (typeof queues)[number]) => number) => queues.reduce((a, q) => a + pick(q), 0);
      const weighted = (value: (q: (typeof queues)[number]) => number | null, weight: (q: (typeof queues)[number]) => number) => {
        let total = 0;
        let count = 0;
        for (const q of queues) {
          const v = value(q);
          if (v != null) {
            total += v * weight(q);
            count += weight(q);
          }
        }
        return count ? Math.round((total / count) * 10) / 10 : null;
      };
      expect(entry).toEqual({
        branchOffice: entry.branchOffice,
        waiting: sum((q) => q.waiting),
        attending: sum((q) => q.attending),
        createdToday: sum((q) => q.createdToday),
        completedToday: sum((q) => q.completedToday),
        cancelledToday: sum((q) => q.cancelledToday),
        noShowToday: sum((q) => q.noShowToday),
        averageWaitMinutesToday: weighted((q) => q.averageWaitMinutesToday, (q) => q.calledToday),
        averageServiceMinutesToday: weighted((q) => q.averageServiceMinutesToday, (q) => q.completedToday),
        alerts: app.services.supervision.alertsFor(entry.branchOffice, queues),
      });
    }
    const pascua = summary.branches.find((b) => b.branchOffice === 'Sucursal Hanga Roa')!;
    expect(pascua).toMatchObject({ waiting: 1, attending: 1, createdToday: 3, completedToday: 1 });
    const nunoa = summary.branches.find((b) => b.branchOffice === 'Sucursal Ñuñoa')!;
    expect(nunoa).toMatchObject({ waiting: 2, attending: 1, createdToday: 5, completedToday: 1, cancelledToday: 1 });
    // EMPRESAS waits with nobody online for it: the alert is there.
    expect((pascua.alerts as Array<{ type: string; queueType: string }>).map((a) => [a.type, a.queueType])).toEqual([['COLA_SIN_ASESORES', 'EMPRESAS']]);
    expect(summary.totals.branches).toBe(summary.branches.length);
  });
});
