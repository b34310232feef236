import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * The kiosk path's one statement under the numbering lock (issue 21, migration 20261207130000):
 * numbers, the place counted under the lock (reserved tickets aside), and created_at kept in the
 * order of the numbers.
 */

const clock = new ManualClock(new Date('2026-06-02T14:00:00Z')); // a Tuesday, 10:00 in Santiago
let app: TestApp;
let n = 7000;
const nextRut = (): string => rut(++n);

beforeAll(async () => {
  app = await startTestApp({ WAIT_ESTIMATOR: 'formula' }, { clock });
});
afterAll(async () => {
  await app?.close();
});

beforeEach(async () => {
  clock.set(new Date('2026-06-02T14:00:00Z'));
  await app.db.query('delete from mensaje');
  await app.db.query('delete from ticket');
  await app.db.query('delete from ticket_daily_counter');
  // Online but paused: they count for the estimate and take no one, so the lines stay put.
  await app.db.query(`update advisor set status = 'BUSY'`);
});

async function take(queueType: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const { status, body } = await app.postTicket({ nationalId: nextRut(), queueType, ...extra });
  expect(status, JSON.stringify(body)).toBe(201);
  return body;
}

describe('the take-ticket statement', () => {
  it('numbers each queue with its prefix and at least two digits: C01 … C09, C10, C100, C1000, C1234', async () => {
    expect((await take('CAJA')).numero).toBe('C01');
    expect((await take('PERSONAL_BANKER')).numero).toBe('P01');
    expect((await take('EMPRESAS')).numero).toBe('E01');
    expect((await take('GERENCIA')).numero).toBe('G01');
    expect((await take('CAJA')).numero).toBe('C02');
    const setCaja = (last: number): Promise<unknown> =>
      app.db.query(`update ticket_daily_counter set last_number = $1 where queue_type = 'CAJA'`, [last]);
    await setCaja(8);
    expect((await take('CAJA')).numero).toBe('C09');
    expect((await take('CAJA')).numero).toBe('C10');
    await setCaja(99);
    expect((await take('CAJA')).numero).toBe('C100');
    await setCaja(999);
    expect((await take('CAJA')).numero).toBe('C1000');
    await setCaja(1233);
    const last = await take('CAJA');
    expect(last.numero).toBe('C1234');
    const [row] = await app.db.query<{ numero: string; service_date: string }>(
      `select numero, service_date::text from ticket where codigo_referencia = $1`,
      [last.identificador],
    );
    expect(row).toEqual({ numero: 'C1234', service_date: '2026-06-02' });
    // The other queues' counters were not touched.
    expect((await take('GERENCIA')).numero).toBe('G02');
  });

  it('counts ahead only who waits for anyone: tickets reserved for one advisor are not ahead', async () => {
    const first = await take('CAJA');
    const second = await take('CAJA');
    await take('CAJA');
    await take('PERSONAL_BANKER'); // another queue: never ahead of a CAJA ticket
    expect(first.positionInQueue).toBe(1);
    expect(second.positionInQueue).toBe(2);
    const [advisor] = await app.db.query<{ id: string }>(`select id from advisor where branch_office = 'Sucursal Centro' order by id limit 1`);
    await app.db.query(`update ticket set reserved_advisor_id = $1 where codigo_referencia = $2`, [advisor!.id, first.identificador]);
    // The waiting-count table still counts the reserved ticket (it waits): the statement takes it off.
    const [count] = await app.db.query<{ waiting: number }>(
      `select waiting from ticket_waiting_count where branch_office = 'Sucursal Centro' and queue_type = 'CAJA'`,
    );
    expect(count!.waiting).toBe(3);
    const fourth = await take('CAJA');
    expect(fourth.numero).toBe('C04');
    expect(fourth.positionInQueue).toBe(3);
    const [row] = await app.db.query<{ position_in_queue: number; estimated_wait_minutes: number }>(
      `select position_in_queue, estimated_wait_minutes from ticket where codigo_referencia = $1`,
      [fourth.identificador],
    );
    expect(row!.position_in_queue).toBe(3);
    expect(row!.estimated_wait_minutes).toBe(fourth.estimatedWaitMinutes);
  });

  it('gives concurrent takes of one queue the places 1..N (the count is read after the lock)', async () => {
    const bodies = await Promise.all(Array.from({ length: 12 }, () => take('EMPRESAS')));
    const byNumber = bodies.map((b) => [b.numero as string, b.positionInQueue as number] as const).sort();
    expect(byNumber.map(([, p]) => p)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(byNumber.map(([numero]) => numero)).toEqual(Array.from({ length: 12 }, (_, i) => `E${String(i + 1).padStart(2, '0')}`));
  });

  it("never dates a ticket before its queue's last one (a clock that went back)", async () => {
    const createdAt = async (body: Record<string, unknown>): Promise<unknown> => {
      const response = await app.request(`/api/tickets/${String(body.identificador)}`);
      return ((await response.json()) as Record<string, unknown>).createdAt;
    };
    const first = await take('CAJA');
    expect(await createdAt(first)).toBe('2026-06-02T14:00:00.000Z');
    clock.set(new Date('2026-06-02T13:59:55.000Z')); // another instance's clock, 5 s behind
    const second = await take('CAJA', { telefono: '+56912345678' });
    expect(second.numero).toBe('C02');
    expect(await createdAt(second)).toBe('2026-06-02T14:00:00.000Z');
    // Another queue has its own last ticket: its clock is taken as it is.
    const other = await take('GERENCIA');
    expect(await createdAt(other)).toBe('2026-06-02T13:59:55.000Z');
    const rows = await app.db.query<{ numero: string; created_at: string; updated_at: string }>(
      `select numero, created_at::text, updated_at::text from ticket where queue_type = 'CAJA' order by id`,
    );
    expect(rows).toEqual([
      { numero: 'C01', created_at: '2026-06-02 14:00:00', updated_at: '2026-06-02 14:00:00' },
      { numero: 'C02', created_at: '2026-06-02 14:00:00', updated_at: '2026-06-02 14:00:00' },
    ]);
    // The messages and the audit row carry the same instant.
    const messages = await app.db.query<{ created_at: string }>(
      `select m.created_at::text from mensaje m join ticket t on t.id = m.ticket_id where t.numero = 'C02'`,
    );
    expect(messages).toHaveLength(3);
    for (const m of messages) expect(m.created_at).toBe('2026-06-02 14:00:00');
    const [audit] = await app.db.query<{ created_at: string; new_state: Record<string, unknown>; text: string }>(
      `select created_at::text, new_state, new_state::text as text from audit_log where event_type = 'TICKET_CREADO' and entity_id = (select id::text from ticket where numero = 'C02')`,
    );
    expect(audit!.created_at).toBe('2026-06-02 14:00:00');
    expect(audit!.new_state).toMatchObject({
      numero: 'C02',
      status: second.status,
      queueType: 'CAJA',
      branchOffice: 'Sucursal Centro',
      positionInQueue: 2,
      estimatedWaitMinutes: second.estimatedWaitMinutes,
    });
    // Stored as the app always wrote it (compact, in this order): dumps and log searches read the text.
    expect(audit!.text).toBe(
      JSON.stringify({
        numero: 'C02',
        status: second.status,
        queueType: 'CAJA',
        branchOffice: 'Sucursal Centro',
        nationalId: audit!.new_state.nationalId,
        positionInQueue: 2,
        estimatedWaitMinutes: second.estimatedWaitMinutes,
      }),
    );
    expect(audit!.new_state.nationalId).toMatch(/^\d{1,2}\.\*{3}\.\*{3}-[\dK]$/);
  });
});
