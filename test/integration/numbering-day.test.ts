import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';

// 23:50 in Santiago on 2026-03-10 (UTC-3 in summer time) is 02:50 UTC on 2026-03-11.
const lateEvening = new Date('2026-03-11T02:50:00Z');
const clock = new ManualClock(lateEvening);
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ TZ_BRANCH: 'America/Santiago' }, { clock });
});
afterAll(async () => {
  await app?.close();
});

describe('daily numbering in the branch’s time zone', () => {
  it('restarts at 01 when the branch day changes, not when the UTC day does', async () => {
    expect((await app.postTicket({ nationalId: rut(1), queueType: 'CAJA' })).body.numero).toBe('C01');
    expect((await app.postTicket({ nationalId: rut(2), queueType: 'CAJA' })).body.numero).toBe('C02');
    expect((await app.postTicket({ nationalId: rut(3), queueType: 'GERENCIA' })).body.numero).toBe('G01');

    clock.advance(5 * 60_000); // 23:55, still the same branch day (the UTC day changed hours ago)
    expect((await app.postTicket({ nationalId: rut(4), queueType: 'CAJA' })).body.numero).toBe('C03');

    clock.advance(10 * 60_000); // 00:05 the next morning in Santiago
    expect((await app.postTicket({ nationalId: rut(5), queueType: 'CAJA' })).body.numero).toBe('C01');
    expect((await app.postTicket({ nationalId: rut(6), queueType: 'GERENCIA' })).body.numero).toBe('G01');

    const rows = await app.db.query<{ numero: string; service_date: string }>(
      `select numero, to_char(service_date, 'YYYY-MM-DD') as service_date from ticket order by id`,
    );
    expect(rows).toEqual([
      { numero: 'C01', service_date: '2026-03-10' },
      { numero: 'C02', service_date: '2026-03-10' },
      { numero: 'G01', service_date: '2026-03-10' },
      { numero: 'C03', service_date: '2026-03-10' },
      { numero: 'C01', service_date: '2026-03-11' },
      { numero: 'G01', service_date: '2026-03-11' },
    ]);
  });

  it('goes past 99 with three digits', async () => {
    await app.db.query(
      `insert into ticket_daily_counter (branch_office, service_date, queue_type, last_number)
       values ('Sucursal Centro', '2026-03-11', 'PERSONAL_BANKER', 99)
       on conflict (branch_office, service_date, queue_type) do update set last_number = 99`,
    );
    expect((await app.postTicket({ nationalId: rut(7), queueType: 'PERSONAL_BANKER' })).body.numero).toBe('P100');
  });
});
