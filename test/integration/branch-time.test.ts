import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rut } from '../support/ruts.js';
import { seedBranch } from '../support/branch.js';
import { startTestApp, type TestApp } from '../support/app.js';

/*
 * SPEC §17: each branch's time is its own. Pacific/Easter is two hours behind Santiago in
 * December (UTC-5 and UTC-3); Santiago leaves summer time at 24:00 on Saturday 4 April 2026
 * (clocks go back to 23:00) and enters it at 24:00 on Saturday 5 September 2026 (clocks jump to 01:00).
 */
const clock = new ManualClock(new Date('2026-12-07T12:00:00Z'));
let app: TestApp;
let n = 0;
const next = (): string => rut(++n);

const WEEKDAYS_9_TO_14 = JSON.stringify({
  '1': [{ opens: '09:00', closes: '14:00' }],
  '2': [{ opens: '09:00', closes: '14:00' }],
  '3': [{ opens: '09:00', closes: '14:00' }],
  '4': [{ opens: '09:00', closes: '14:00' }],
  '5': [{ opens: '09:00', closes: '13:00' }, { opens: '15:00', closes: '17:00' }],
});

async function addBranch(code: string, name: string, timezone: string, extra: Record<string, string> = {}): Promise<void> {
  const columns = ['code', 'name', 'timezone', ...Object.keys(extra)];
  const values = [code, name, timezone, ...Object.values(extra)];
  await app.db.query(
    `insert into branch (${columns.join(', ')}) values (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
}

const take = (branchOffice: string, queueType = 'CAJA') => app.postTicket({ nationalId: next(), queueType, branchOffice });

const numbersOf = async (branch: string) =>
  app.db.query<{ numero: string; service_date: string; status: string }>(
    `select numero, to_char(service_date, 'YYYY-MM-DD') as service_date, status from ticket where branch_office = $1 order by id`,
    [branch],
  );

beforeAll(async () => {
  app = await startTestApp({ KIOSK_OPENS_EARLY_MINUTES: '15' }, { clock });
  await addBranch('HANGA-ROA', 'Sucursal Hanga Roa', 'Pacific/Easter', { hours: WEEKDAYS_9_TO_14 });
  await addBranch('SANTIAGO-DST', 'Sucursal Alameda', 'America/Santiago');
  await addBranch('SOLO-CAJA', 'Sucursal Solo Caja', 'America/Santiago', {
    queues: JSON.stringify([{ queueType: 'CAJA', averageServiceMinutes: 4 }]),
    closed_dates: JSON.stringify(['2026-12-08']),
  });
  await seedBranch(app.db, 'Sucursal Hanga Roa', [{ name: 'Rapa', module: 1, queues: ['CAJA'], status: 'OFFLINE' }]);
});
afterAll(async () => {
  await app?.close();
});

describe('a branch in Pacific/Easter', () => {
  it('refuses a ticket before its opening (less the early minutes) with SUCURSAL_CERRADA and when it opens', async () => {
    clock.set(new Date('2026-12-07T13:40:00Z')); // Monday 08:40 in Easter Island (UTC-5)
    const refused = await take('Sucursal Hanga Roa');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'SUCURSAL_CERRADA',
      abre: '2026-12-07T14:00:00.000Z',
      mensaje: 'La sucursal abre el lunes a las 09:00',
    });
    clock.set(new Date('2026-12-07T13:46:00Z')); // 08:46: within KIOSK_OPENS_EARLY_MINUTES
    const first = await take('Sucursal Hanga Roa');
    expect(first.status).toBe(201);
    expect(first.body.numero).toBe('C01');
  });

  it('numbers its own day: Santiago’s midnight does not restart it, Easter’s does', async () => {
    clock.set(new Date('2026-12-07T18:30:00Z')); // 13:30 in Easter
    expect((await take('Sucursal Hanga Roa')).body.numero).toBe('C02');
    // Tuesday 00:30 in Santiago is still Monday 22:30 in Easter: closed, and the refusal leaves no number used.
    clock.set(new Date('2026-12-08T05:30:00Z'));
    expect((await take('Sucursal Hanga Roa')).body.error).toBe('SUCURSAL_CERRADA');
    clock.set(new Date('2026-12-08T14:10:00Z')); // Tuesday 09:10 in Easter
    expect((await take('Sucursal Hanga Roa')).body.numero).toBe('C01');
    expect((await numbersOf('Sucursal Hanga Roa')).map((t) => [t.numero, t.service_date])).toEqual([
      ['C01', '2026-12-07'],
      ['C02', '2026-12-07'],
      ['C01', '2026-12-08'],
    ]);
  });

  it('ends its day at its own closing hour, not at BRANCH_CLOSING_TIME nor at Santiago’s', async () => {
    clock.set(new Date('2026-12-08T18:59:00Z')); // 13:59 in Easter: still open
    await app.services.floor.endOfDay();
    expect((await numbersOf('Sucursal Hanga Roa')).at(-1)!.status).not.toBe('NO_ATENDIDO');
    clock.set(new Date('2026-12-08T19:00:30Z')); // 14:00:30 in Easter: closed
    const result = await app.services.floor.endOfDay();
    expect(result.waitingClosed).toBe(1);
    expect((await numbersOf('Sucursal Hanga Roa')).at(-1)!.status).toBe('NO_ATENDIDO');
  });

  it('says on Friday evening that it opens on Monday, skipping the weekend without hours', async () => {
    clock.set(new Date('2026-12-11T22:30:00Z')); // Friday 17:30 in Easter, after the afternoon period
    const refused = await take('Sucursal Hanga Roa');
    expect(refused.body).toMatchObject({ error: 'SUCURSAL_CERRADA', abre: '2026-12-14T14:00:00.000Z' });
    expect(refused.body.mensaje).toBe('La sucursal abre el lunes a las 09:00');
    clock.set(new Date('2026-12-11T19:00:00Z')); // Friday 14:00: between its two periods, 1 h before the second
    expect((await take('Sucursal Hanga Roa')).body).toMatchObject({ error: 'SUCURSAL_CERRADA', abre: '2026-12-11T20:00:00.000Z' });
  });
});

describe('a branch across a Chilean DST change (no hours: open as before, closing at BRANCH_CLOSING_TIME)', () => {
  it('keeps one numbering day through the repeated 23:00–24:00 hour of 4 April, and restarts at the real midnight', async () => {
    clock.set(new Date('2026-04-05T02:30:00Z')); // 23:30 on Saturday 4 April, still UTC-3
    expect((await take('Sucursal Alameda')).body.numero).toBe('C01');
    clock.set(new Date('2026-04-05T03:30:00Z')); // 23:30 again, now UTC-4
    expect((await take('Sucursal Alameda')).body.numero).toBe('C02');
    clock.set(new Date('2026-04-05T04:10:00Z')); // 00:10 on Sunday 5 April (UTC-4)
    expect((await take('Sucursal Alameda')).body.numero).toBe('C01');
    expect((await numbersOf('Sucursal Alameda')).map((t) => t.service_date)).toEqual(['2026-04-04', '2026-04-04', '2026-04-05']);
  });

  it('closes the day at 19:00 local after the change (23:00 UTC), not at the summer offset', async () => {
    // The Saturday tickets were closed as an earlier day's by the first sweep of Sunday.
    clock.set(new Date('2026-04-05T22:30:00Z')); // 18:30 local, UTC-4
    await app.services.floor.endOfDay();
    expect((await numbersOf('Sucursal Alameda')).map((t) => t.status)).toEqual(['NO_ATENDIDO', 'NO_ATENDIDO', 'PROXIMO']);
    clock.set(new Date('2026-04-05T22:59:00Z')); // 18:59 local (it would be 19:59 at the summer offset)
    await app.services.floor.endOfDay();
    expect((await numbersOf('Sucursal Alameda')).at(-1)!.status).toBe('PROXIMO');
    clock.set(new Date('2026-04-05T23:00:30Z'));
    await app.services.floor.endOfDay();
    expect((await numbersOf('Sucursal Alameda')).at(-1)!.status).toBe('NO_ATENDIDO');
  });

  it('starts 6 September at 01:00 local, the first instant of a day whose midnight does not exist', async () => {
    const [row] = await app.db.query<{ start: string; day: string }>(
      `select branch_day_start('Sucursal Alameda', '2026-09-06 12:00')::text as start,
              branch_service_date('Sucursal Alameda', '2026-09-06 03:59')::text as day`,
    );
    expect(row).toEqual({ start: '2026-09-06 04:00:00', day: '2026-09-05' });
    clock.set(new Date('2026-09-06T03:50:00Z')); // 23:50 on the 5th (UTC-4)
    expect((await take('Sucursal Alameda')).body.numero).toBe('C01');
    clock.set(new Date('2026-09-06T04:05:00Z')); // 01:05 on the 6th (UTC-3)
    expect((await take('Sucursal Alameda', 'GERENCIA')).body.numero).toBe('G01');
    expect((await take('Sucursal Alameda')).body.numero).toBe('C01');
  });
});

describe('what a branch offers', () => {
  it('refuses a queue the branch does not offer with COLA_NO_DISPONIBLE', async () => {
    clock.set(new Date('2026-12-09T15:00:00Z')); // Wednesday noon in Santiago
    const refused = await take('Sucursal Solo Caja', 'EMPRESAS');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('COLA_NO_DISPONIBLE');
    expect((await take('Sucursal Solo Caja', 'CAJA')).status).toBe(201);
  });

  it('is closed all day on a closed date, and says when it opens again', async () => {
    clock.set(new Date('2026-12-08T15:00:00Z')); // Tuesday 8 December (a holiday) at noon
    const refused = await take('Sucursal Solo Caja');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'SUCURSAL_CERRADA',
      abre: '2026-12-09T03:00:00.000Z',
      mensaje: 'La sucursal abre el miércoles a las 00:00',
    });
  });

  it('keeps history when a branch is renamed (the text columns follow the name)', async () => {
    await app.db.query(`update branch set name = 'Sucursal Caja Única' where code = 'SOLO-CAJA'`);
    const rows = await app.db.query<{ n: number }>(`select count(*)::int as n from ticket where branch_office = 'Sucursal Caja Única'`);
    expect(rows[0]!.n).toBe(1);
    await expect(app.db.query(`insert into advisor (name, email, status, module_number, queue_types, branch_office)
      values ('X', 'x@banco.com', 'AVAILABLE', 1, '["CAJA"]', 'Sucursal Solo Caja')`)).rejects.toMatchObject({ code: '23503' });
  });
});
