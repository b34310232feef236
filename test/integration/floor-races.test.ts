/**
 * The floor's races across two app processes on one database (SPEC §12): two advisors calling
 * the same ticket out of order, a recall pressed on two instances at once, a transfer racing the
 * customer's cancel and the advisor's own "complete". One wins, the other gets a 409 with a stable
 * code — never a 5xx — and the committed state stays consistent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { rut } from '../support/ruts.js';
import { startAppProcess, type AppProcess } from '../support/second-instance.js';

let app: TestApp;
let other: AppProcess;
let n = 0;

beforeAll(async () => {
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  other = await startAppProcess(app.db.url, { QUEUE_RECALC_INTERVAL_MS: '60000' });
}, 150_000);
afterAll(async () => {
  await other?.stop();
  await app?.close();
});

const call = (base: string, method: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${path.startsWith('/api/admin') ? ADMIN_KEY : KIOSK_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

async function take(branchOffice: string, queueType = 'CAJA') {
  const { status, body } = await call(app.url, 'POST', '/api/tickets', { nationalId: rut(60_000 + ++n), queueType, branchOffice });
  expect(status).toBe(201);
  return body as { identificador: string; numero: string };
}

async function consistent(branch: string): Promise<void> {
  const rows = await app.db.query<{ assigned_tickets_count: number; serving: number; open_visits: number; status: string }>(
    `select a.assigned_tickets_count, a.status,
            (select count(*)::int from ticket t where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO') as serving,
            (select count(*)::int from ticket_visit v where v.advisor_id = a.id and v.ended_at is null) as open_visits
     from advisor a where a.branch_office = $1`,
    [branch],
  );
  for (const r of rows) {
    expect(r.serving).toBeLessThanOrEqual(1);
    expect(r.assigned_tickets_count).toBe(r.serving);
    expect(r.open_visits).toBe(r.serving);
  }
  const periods = await app.db.query(
    `select p.advisor_id from advisor_status_period p join advisor a on a.id = p.advisor_id
     where a.branch_office = $1 and p.ended_at is null group by p.advisor_id having count(*) > 1`,
    [branch],
  );
  expect(periods).toEqual([]);
}

describe('floor races across two app processes', () => {
  it('two advisors calling the same ticket out of order at once: one gets it, the other a 409', async () => {
    const branch = 'Sucursal Carrera Piso';
    const ids = await seedBranch(app.db, branch, [
      { name: 'Uno', module: 1, queues: ['CAJA'], status: 'BUSY' },
      { name: 'Dos', module: 2, queues: ['CAJA'], status: 'BUSY' },
    ]);
    await app.db.query(`update advisor set pause_reason = 'Reunión' where branch_office = $1`, [branch]);
    for (let round = 0; round < 5; round++) {
      const t = await take(branch);
      const results = await Promise.all([
        call(app.url, 'POST', `/api/admin/advisors/${ids.Uno}/call`, { numero: t.numero, reason: 'urgencia' }),
        call(other.url, 'POST', `/api/admin/advisors/${ids.Dos}/call`, { numero: t.numero, reason: 'urgencia' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      expect(results.find((r) => r.status === 409)!.body.error).toBe('TICKET_NO_DISPONIBLE');
      const visits = await app.db.query(`select 1 from ticket_visit v join ticket t on t.id = v.ticket_id where t.codigo_referencia = $1`, [t.identificador]);
      expect(visits).toHaveLength(1);
      await consistent(branch);
      // The winner finishes and pauses again, ready for the next round.
      const winner = results[0]!.status === 200 ? ids.Uno : ids.Dos;
      await call(app.url, 'PUT', `/api/admin/advisors/${winner}/status`, { status: 'BUSY', reason: 'Reunión' });
      await call(other.url, 'PUT', `/api/admin/advisors/${winner}/complete-ticket`);
    }
  });

  it('a recall pressed on two instances at once counts once', async () => {
    const branch = 'Sucursal Eco';
    const { Eco } = await seedBranch(app.db, branch, [{ name: 'Eco', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    await take(branch);
    await call(app.url, 'PUT', `/api/admin/advisors/${Eco}/status`, { status: 'AVAILABLE' });
    // RECALL_MIN_INTERVAL_S is 30: pretend the first call was a minute ago.
    await app.db.query(`update ticket set last_called_at = last_called_at - interval '1 minute' where branch_office = $1`, [branch]);
    const results = await Promise.all([
      call(app.url, 'POST', `/api/admin/advisors/${Eco}/recall`),
      call(other.url, 'POST', `/api/admin/advisors/${Eco}/recall`),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error).toBe('RELLAMADO_MUY_PRONTO');
    const [row] = await app.db.query<{ recall_count: number }>(`select recall_count from ticket where branch_office = $1`, [branch]);
    expect(row!.recall_count).toBe(2);
    const audits = await app.db.query(`select 1 from audit_log a join ticket t on t.id::text = a.entity_id where a.event_type = 'TICKET_RELLAMADO' and t.branch_office = $1`, [branch]);
    expect(audits).toHaveLength(1);
  });

  it('a transfer racing the customer’s cancel, or the advisor’s complete: one wins, nothing half-done', async () => {
    const branch = 'Sucursal Deriva';
    const { Deriva } = await seedBranch(app.db, branch, [
      { name: 'Deriva', module: 1, queues: ['CAJA'], status: 'BUSY' },
      { name: 'Otra', module: 2, queues: ['EMPRESAS'], status: 'OFFLINE' },
    ]);
    const statuses: number[] = [];
    for (let round = 0; round < 6; round++) {
      const t = await take(branch);
      await call(app.url, 'PUT', `/api/admin/advisors/${Deriva}/status`, { status: 'AVAILABLE' });
      const rival =
        round % 2 === 0
          ? call(other.url, 'POST', `/api/tickets/${t.identificador}/cancel`)
          : call(other.url, 'PUT', `/api/admin/advisors/${Deriva}/complete-ticket`);
      const [transfer, second] = await Promise.all([
        call(app.url, 'POST', `/api/admin/advisors/${Deriva}/transfer`, { queueType: 'EMPRESAS' }),
        rival,
      ]);
      statuses.push(transfer.status, second.status);
      expect([200, 409]).toContain(transfer.status);
      expect([200, 409]).toContain(second.status);
      if (transfer.status === 409) expect(transfer.body.error).toBe('TRANSICION_INVALIDA');
      await consistent(branch);
      const [row] = await app.db.query<{ status: string; queue_type: string }>(`select status, queue_type from ticket where codigo_referencia = $1`, [t.identificador]);
      if (transfer.status === 200) expect(row!.queue_type).toBe('EMPRESAS');
      else expect(['CANCELADO', 'COMPLETADO']).toContain(row!.status);
      // Leave the line empty for the next round.
      await app.db.query(`update ticket set status = 'CANCELADO' where branch_office = $1 and status in ('EN_ESPERA', 'PROXIMO')`, [branch]);
      await call(app.url, 'PUT', `/api/admin/advisors/${Deriva}/status`, { status: 'BUSY', reason: 'Otro' });
    }
    expect(statuses.every((s) => s < 500)).toBe(true);
  });
});
