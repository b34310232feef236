import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';

// The queue job writes only rows whose values change (issue 21): counted row by row from each row's
// version (xmin), not from what the job reports.
const clock = new ManualClock(new Date('2026-06-03T15:00:00Z'));
let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp({ PROXIMO_THRESHOLD: '3', WAIT_ESTIMATOR: 'formula' }, { clock });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
});
afterAll(async () => {
  await app?.close();
});

const take = async (branchOffice: string, queueType: string) =>
  (await app.postTicket({ nationalId: rut(8100 + ++n), telefono: '+56912340000', queueType, branchOffice })).body as {
    identificador: string;
    numero: string;
  };

type Version = { v: string; c: unknown };

/** Every row the job may write, by table and id: its version and its values (updated_at aside). */
async function versions(): Promise<Map<string, Version>> {
  const rows = await app.db.query<{ k: string; v: string; c: unknown }>(
    `select 'ticket:' || id as k, xmin::text as v, to_jsonb(t) - 'updated_at' as c from ticket t
     union all select 'mensaje:' || id, xmin::text, to_jsonb(m) from mensaje m
     union all select 'advisor:' || id, xmin::text, to_jsonb(a) - 'updated_at' from advisor a
     union all select 'come_back:' || ticket_id, xmin::text, to_jsonb(cb) from ticket_come_back cb
     union all select 'call_state:' || branch_office || queue_type, xmin::text, to_jsonb(q) - 'updated_at' from queue_call_state q`,
  );
  return new Map(rows.map((r) => [r.k, { v: r.v, c: r.c }]));
}

/** Rows written between two reads (a new version), and among them those whose values did not change. */
function diff(before: Map<string, Version>, after: Map<string, Version>): { written: string[]; unchanged: string[] } {
  const written: string[] = [];
  const unchanged: string[] = [];
  for (const [k, a] of after) {
    const b = before.get(k);
    if (!b || b.v === a.v) continue;
    written.push(k);
    if (JSON.stringify(b.c) === JSON.stringify(a.c)) unchanged.push(k);
  }
  return { written: written.sort(), unchanged };
}

describe('the queue job writes only what changed', () => {
  it('writes no row at all when nothing changed', async () => {
    const branch = 'Sucursal Quieta';
    await seedBranch(app.db, branch, [{ name: 'Uno', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    for (let i = 0; i < 5; i++) await take(branch, 'CAJA');
    await app.services.queue.tick();
    const before = await versions();
    clock.advance(60_000);
    await app.services.queue.tick();
    expect(diff(before, await versions()).written).toEqual([]);
  });

  it('rewrites the tickets that moved and none of the messages whose planned time stays the same', async () => {
    const branch = 'Sucursal Avanza';
    await seedBranch(app.db, branch, [{ name: 'Uno', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    const tickets = [];
    for (let i = 0; i < 5; i++) tickets.push(await take(branch, 'CAJA'));
    await app.services.queue.tick();
    await app.request(`/api/tickets/${tickets[0]!.identificador}/cancel`, { method: 'POST' });
    const before = await versions();
    // Five minutes later (one CAJA customer's average with one advisor): everyone moves up one place and
    // their estimate drops by five minutes, so "now + estimate" — when their messages are planned — stays put.
    clock.advance(5 * 60_000);
    const result = await app.services.queue.recalculate();
    const { written, unchanged } = diff(before, await versions());
    expect(unchanged).toEqual([]);
    const ids = await app.db.query<{ id: string; numero: string }>(`select id, numero from ticket where branch_office = $1`, [branch]);
    const byNumero = new Map(ids.map((r) => [r.numero, r.id]));
    const writtenTickets = written.filter((k) => k.startsWith('ticket:'));
    expect(writtenTickets).toEqual(['C02', 'C03', 'C04', 'C05'].map((x) => `ticket:${byNumero.get(x)}`).sort());
    expect(result.updated).toBe(writtenTickets.length);
    // The only message written: C04's "near" message, armed now that C04 is third (PROXIMO).
    const armed = await app.db.query<{ id: string }>(
      `select m.id from mensaje m join ticket t on t.id = m.ticket_id
       where t.branch_office = $1 and t.numero = 'C04' and m.plantilla = 'TOTEM_PROXIMO_TURNO'`,
      [branch],
    );
    expect(written.filter((k) => k.startsWith('mensaje:'))).toEqual(armed.map((r) => `mensaje:${r.id}`));
    expect(result.becameProximo).toHaveLength(1);
  });
});
