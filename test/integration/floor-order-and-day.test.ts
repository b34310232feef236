/**
 * The service floor's rules over time (SPEC §12), on the real app with an injected clock: the
 * preferential interleaving as really assigned and as positions report it, the automatic no-show,
 * and the end of the day at the branch's closing time (America/Santiago, not UTC).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { callOrder, callPositions, type WaitingTicket } from '../../src/domain/call-order.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { chatWithOwnPhone } from '../support/personal-data.js';
import { seedBranch } from '../support/branch.js';
import { rut } from '../support/ruts.js';

const clock = new ManualClock(new Date('2026-06-02T14:00:00Z')); // Tuesday 10:00 in Santiago (UTC−4 in June)
let app: TestApp;
let n = 0;

beforeAll(async () => {
  app = await startTestApp({ RECALL_MIN_INTERVAL_S: '0', NO_SHOW_AUTO_MINUTES: '5' }, { clock });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
});
afterAll(async () => {
  await app?.close();
});

const SUPERVISOR = { actor: 'supervisor@banco.com' };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function take(branchOffice: string, preferential: boolean, nationalId = rut(40_000 + ++n), telefono?: string) {
  const response = await app.postTicket({
    nationalId,
    ...(telefono ? { telefono } : {}),
    queueType: 'CAJA',
    branchOffice,
    ...(preferential ? { atencionPreferente: 'TERCERA_EDAD' } : {}),
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return response.body as { identificador: string; numero: string; positionInQueue: number };
}
const status = async (numero: string, branch: string) =>
  (await app.db.query<Json>(`select status, end_reason, assigned_advisor_id, id from ticket where numero = $1 and branch_office = $2`, [numero, branch]))[0]!;

describe('preferential attention (PREFERENTIAL_EVERY = 2)', () => {
  it('positions follow the real call order, and one advisor calls a long mixed line in exactly that order', async () => {
    const branch = 'Sucursal Preferente';
    const { Solo } = await seedBranch(app.db, branch, [{ name: 'Solo', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    const pattern = 'NNNNPNNPPNNNNNPNNNNP';
    const tickets: Array<{ numero: string; identificador: string; preferential: boolean }> = [];
    for (const c of pattern) {
      const t = await take(branch, c === 'P');
      tickets.push({ ...t, preferential: c === 'P' });
      clock.advance(1000);
    }
    const waiting: WaitingTicket[] = tickets.map((t, i) => ({ id: i, preferential: t.preferential }));
    const expected = callPositions(waiting, 0, 2);
    // Live reads (kiosk, bot) and the queue job agree with the rule.
    for (const [i, t] of tickets.entries()) {
      const view = (await (await app.request(`/api/tickets/${t.identificador}`)).json()) as Json;
      expect(view.positionInQueue, t.numero).toBe(expected.get(i));
    }
    await app.services.queue.recalculate();
    const stored = await app.db.query<{ numero: string; position_in_queue: number }>(
      `select numero, position_in_queue from ticket where branch_office = $1 order by position_in_queue`,
      [branch],
    );
    expect(stored.map((s) => s.numero)).toEqual(callOrder(waiting, 0, 2).map((w) => tickets[w.id]!.numero));
    const line = (await (
      await fetch(`${app.url}/api/admin/queues/CAJA?branchOffice=${encodeURIComponent(branch)}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as Json;
    expect(line.tickets.map((t: Json) => t.numero)).toEqual(stored.map((s) => s.numero));

    // Now serve them, with a new arrival (every third one preferential) after each call; the
    // model line is kept beside, in arrival order, with the queue's counter.
    const model: Array<WaitingTicket & { numero: string }> = tickets.map((t, i) => ({ id: i, preferential: t.preferential, numero: t.numero }));
    let counter = 0;
    const called: string[] = [];
    const expectedCalls: string[] = [];
    await app.services.floor.setStatus(Solo!, 'AVAILABLE', null, SUPERVISOR);
    for (let step = 0; step < 40 && model.length > 0; step++) {
      const next = model.find((m) => m.id === callOrder(model, counter, 2)[0]!.id)!;
      expectedCalls.push(next.numero);
      model.splice(model.indexOf(next), 1);
      counter = next.preferential ? 0 : counter + 1;
      const current = (await app.services.advisors.get(Solo!)).currentTicket!;
      called.push(current.numero);
      if (step < 25) {
        const pref = step % 3 === 2;
        const t = await take(branch, pref);
        model.push({ id: 100 + step, preferential: pref, numero: t.numero });
      }
      clock.advance(60_000);
      await app.services.floor.finishCurrent(Solo!, 'COMPLETADO', SUPERVISOR);
    }
    expect(called).toEqual(expectedCalls);
    // The last completion called the next customer already: the counter counts that call too.
    if (model.length > 0) counter = callOrder(model, counter, 2)[0]!.preferential ? 0 : counter + 1;
    const [state] = await app.db.query<{ normal_calls: number }>(`select normal_calls from queue_call_state where branch_office = $1`, [branch]);
    expect(state!.normal_calls).toBe(counter);
  });
});

describe('automatic no-show (NO_SHOW_AUTO_MINUTES = 5)', () => {
  it('closes a called customer not at the desk 5 minutes after the last allowed call, and frees the advisor', async () => {
    const branch = 'Sucursal Ausente';
    const { Ausente } = await seedBranch(app.db, branch, [{ name: 'Ausente', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    const t = await take(branch, false);
    await app.services.floor.setStatus(Ausente!, 'AVAILABLE', null, SUPERVISOR);
    await app.services.floor.recall(Ausente!, SUPERVISOR);
    clock.advance(4 * 60_000);
    expect(await app.services.floor.autoNoShow()).toBe(0); // only 2 of 3 calls made
    await app.services.floor.recall(Ausente!, SUPERVISOR);
    clock.advance(4 * 60_000);
    expect(await app.services.floor.autoNoShow()).toBe(0);
    clock.advance(61_000);
    expect(await app.services.floor.autoNoShow()).toBe(1);
    expect(await status(t.numero, branch)).toMatchObject({ status: 'NO_ATENDIDO' });
    expect(await app.services.advisors.get(Ausente!)).toMatchObject({ status: 'AVAILABLE', currentTicket: null });
  });
});

describe('the end of the day (BRANCH_CLOSING_TIME 19:00 in America/Santiago)', () => {
  it('closes today’s waiting tickets at 19:00 Santiago (23:00 UTC), finishes those being served normally, and frees the RUT', async () => {
    const branch = 'Sucursal Cierre';
    const { Cierre } = await seedBranch(app.db, branch, [{ name: 'Cierre', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    clock.set(new Date('2026-06-02T19:30:00Z')); // 19:30 UTC is only 15:30 in Santiago
    const linkedRut = rut(49_001);
    // The chat is reached by the phone it shared (SPEC §22), given at the kiosk.
    const telefono = await chatWithOwnPhone(app, 7700001, linkedRut, { name: 'Rosa' });
    const atDesk = await take(branch, false);
    const waiting = await take(branch, false, linkedRut, telefono);
    const preferential = await take(branch, true);
    await app.services.floor.setStatus(Cierre!, 'AVAILABLE', null, SUPERVISOR);
    expect((await app.services.advisors.get(Cierre!)).currentTicket?.numero).toBe(atDesk.numero);
    await app.services.floor.arrived(Cierre!, SUPERVISOR);
    expect(await app.services.floor.endOfDay()).toEqual({ waitingClosed: 0, servingClosed: 0 });

    clock.set(new Date('2026-06-02T22:59:00Z')); // 18:59 in Santiago
    expect(await app.services.floor.endOfDay()).toEqual({ waitingClosed: 0, servingClosed: 0 });
    clock.set(new Date('2026-06-02T23:00:30Z')); // 19:00:30 in Santiago
    // (Every branch closes: the ones left waiting by the tests above close too.)
    expect((await app.services.floor.endOfDay()).waitingClosed).toBeGreaterThanOrEqual(2);
    for (const t of [waiting, preferential]) expect(await status(t.numero, branch)).toMatchObject({ status: 'NO_ATENDIDO', end_reason: 'cierre del día' });
    expect(await status(atDesk.numero, branch)).toMatchObject({ status: 'ATENDIENDO' });
    const closed = await app.db.query<{ plantilla: string; estado_envio: string; error_message: string | null }>(
      `select plantilla, estado_envio, error_message from mensaje m join ticket t on t.id = m.ticket_id
       where t.numero = $1 and t.branch_office = $2 order by m.id`,
      [waiting.numero, branch],
    );
    expect(closed.filter((m) => m.estado_envio === 'PENDIENTE').map((m) => m.plantilla)).toEqual(['TOTEM_CIERRE_DIA']);
    expect(closed.filter((m) => m.plantilla !== 'TOTEM_CIERRE_DIA').every((m) => m.estado_envio !== 'PENDIENTE')).toBe(true);
    const audits = await app.db.query(`select 1 from audit_log where event_type = 'TICKET_NO_ATENDIDO' and additional_data->>'reason' = 'cierre del día' and additional_data->>'branchOffice' = $1`, [branch]);
    expect(audits).toHaveLength(2);
    // Run again: nothing more (idempotent).
    expect(await app.services.floor.endOfDay()).toEqual({ waitingClosed: 0, servingClosed: 0 });
    // Served at closing: finished normally.
    await app.services.floor.finishCurrent(Cierre!, 'COMPLETADO', SUPERVISOR);
    expect(await status(atDesk.numero, branch)).toMatchObject({ status: 'COMPLETADO', end_reason: null });
    // The RUT is free at once: a number taken after closing waits for tomorrow's start (or the change of day).
    const late = await take(branch, false, linkedRut);
    expect(late.numero).toBe('C04');
  });

  it('at start and at the change of day closes any ticket of an earlier day still active, freeing its advisor', async () => {
    const branch = 'Sucursal Ayer';
    const { Ayer } = await seedBranch(app.db, branch, [{ name: 'Ayer', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
    clock.set(new Date('2026-06-03T02:00:00Z')); // 22:00 Tuesday in Santiago (after closing)
    const stuck = await take(branch, false);
    const left = await take(branch, false, rut(49_100));
    await app.services.floor.setStatus(Ayer!, 'AVAILABLE', null, SUPERVISOR);
    expect(await status(stuck.numero, branch)).toMatchObject({ status: 'ATENDIENDO' });

    // Wednesday morning: a new app instance starts on the same database.
    const morning = new ManualClock(new Date('2026-06-03T12:00:00Z'));
    const next = await startTestApp({}, { clock: morning, db: app.db });
    try {
      expect(await status(stuck.numero, branch)).toMatchObject({ status: 'NO_ATENDIDO', end_reason: 'cierre del día' });
      expect(await status(left.numero, branch)).toMatchObject({ status: 'NO_ATENDIDO', end_reason: 'cierre del día' });
      expect(await next.services.advisors.get(Ayer!)).toMatchObject({ status: 'AVAILABLE', currentTicket: null, assignedTicketsCount: 0 });
      // The same RUT takes a number today, and numbering restarted.
      const again = await next.postTicket({ nationalId: rut(49_100), queueType: 'CAJA', branchOffice: branch });
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ numero: 'C01', positionInQueue: 1 });
    } finally {
      await next.stop();
    }
  });
});
