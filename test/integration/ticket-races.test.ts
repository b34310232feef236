import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { rutIndex, sealedRut } from '../support/personal-data.js';

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  await app.db.query('delete from ticket');
  await app.db.query('delete from ticket_daily_counter');
  // Paused advisors: these races are about numbering, not assignment (see assignment-races).
  await app.db.query(`update advisor set status = 'BUSY'`);
});

describe('races the database settles', () => {
  it('gives 50 simultaneous requests for one RUT exactly one 201 and 49 × 409', async () => {
    const nationalId = rut(4242);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        app.postTicket({ nationalId, queueType: i % 2 === 0 ? 'CAJA' : 'PERSONAL_BANKER' }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(49);
    const numero = created[0]!.body.numero as string;
    for (const r of refused) {
      expect(r.body).toMatchObject({ error: 'TICKET_ACTIVO_EXISTENTE', mensaje: `Ya tienes un ticket activo: ${numero}` });
    }
    const rows = await app.db.query('select id from ticket where national_id_bidx = $1', [rutIndex(app, nationalId)]);
    expect(rows).toHaveLength(1);
  });

  it('gives 300 simultaneous requests for different RUTs in one queue 300 distinct, gap-free numbers', async () => {
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => app.postTicket({ nationalId: rut(10_000 + i), queueType: 'CAJA' })),
    );
    expect(results.filter((r) => r.status !== 201)).toEqual([]);
    const numbers = results.map((r) => r.body.numero as string).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    const expected = Array.from({ length: 300 }, (_, i) => `C${String(i + 1).padStart(2, '0')}`);
    expect(numbers).toEqual(expected);
    // Positions follow the numbers: the n-th number is n-th in line.
    const rows = await app.db.query<{ numero: string; position_in_queue: number }>(
      `select numero, position_in_queue from ticket order by created_at, id`,
    );
    expect(rows.map((r) => r.numero)).toEqual(expected);
    expect(rows.map((r) => r.position_in_queue)).toEqual(expected.map((_, i) => i + 1));
  });

  it('keeps numbers gap-free when some requests in the storm are refused', async () => {
    const repeated = rut(777);
    const bodies = Array.from({ length: 60 }, (_, i) => ({
      nationalId: i % 3 === 0 ? repeated : rut(20_000 + i),
      queueType: 'EMPRESAS',
    }));
    const results = await Promise.all(bodies.map((b) => app.postTicket(b)));
    const created = results.filter((r) => r.status === 201).map((r) => Number((r.body.numero as string).slice(1)));
    expect(created).toHaveLength(41); // 40 distinct RUTs + one ticket for the repeated RUT
    expect(created.sort((a, b) => a - b)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  });

  it('has the database reject a second active ticket even when the service check is bypassed', async () => {
    const nationalId = rut(99);
    const insert = (numero: string) =>
      app.db.query(
        `insert into ticket (codigo_referencia, numero, national_id_enc, national_id_bidx, branch_office, queue_type, status,
           position_in_queue, estimated_wait_minutes, service_date)
         values (gen_random_uuid(), $1, $2, $3, 'Sucursal Centro', 'CAJA', 'EN_ESPERA', 1, 5, current_date)`,
        [numero, ...sealedRut(app, nationalId)],
      );
    await insert('C90');
    await expect(insert('C91')).rejects.toThrow(/uq_ticket_active_national_id_bidx/);
  });
});
