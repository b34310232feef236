/**
 * "Avísame cuando falten N minutos" (SPEC §13) through the real bot over the fake Bot API, with
 * an injected clock: the queue job (run by hand) decides when the PROXIMO notice is due, and a
 * dispatcher on the same clock sends it with the truthful text of that moment.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { ManualClock } from '../../src/clock.js';
import { MessageDispatcher, RateLimiter } from '../../src/modules/notifications/dispatcher.js';
import { peopleAhead } from '../../src/modules/notifications/templates.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { chatWithOwnPhone } from '../support/personal-data.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { registerCustomer } from '../support/journey-steps.js';
import { rut } from '../support/ruts.js';

// 10:00 in Santiago (winter, UTC−4).
const clock = new ManualClock(new Date('2026-06-01T14:00:00Z'));
const customer = { id: 5_560_001, first_name: 'Josefa' };
let app: TestApp;
let fake: FakeTelegram;
let dispatcher: MessageDispatcher;
let carlosId: number;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  app = await startTestApp(
    // PROXIMO only for the first in line, so the come-back lead is what triggers the notice here.
    { TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, BOT_MODE: 'polling', PROXIMO_THRESHOLD: '1' },
    { clock, jobs: false },
  );
  await fake.waitUntil(() => fake.calls.some((call) => call.method === 'getUpdates'), { timeoutMs: 10_000 });
  dispatcher = new MessageDispatcher({
    db: app.sql,
    clock,
    logger: app.logger,
    sender: createTelegramSender(fake.token, fake.apiRoot),
    limiter: new RateLimiter(1000),
    concurrency: 2,
  });
  const [carlos] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
  carlosId = Number(carlos!.id);
  // Only Carlos serves CAJA today.
  await app.db.query(`update advisor set status = 'OFFLINE' where id <> $1`, [carlosId]);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

/** The queue job's tick, then whatever became due is sent. */
async function tickAndDispatch(): Promise<void> {
  await app.services.queue.tick();
  await dispatcher.dispatchDue();
}

/** The come-back quantile the queue job's estimator gives a ticket now (the Monte-Carlo is seeded by branch and instant: the tick sees the same). */
async function comeBackQuantile(numero: string): Promise<number | undefined> {
  const [t] = await app.db.query<{ id: string }>(`select id from ticket where numero = $1 and status in ('EN_ESPERA', 'PROXIMO')`, [numero]);
  return (await app.services.estimator.estimateWaiting(app.sql)).get(Number(t!.id))?.comeBackQuantile;
}

const nearNotices = () => fake.messagesTo(customer.id).filter((m) => /Pronto será tu turno/.test(m.text ?? ''));

describe('"Avísame cuando falten N minutos"', () => {
  it('sends the PROXIMO notice when the remaining wait may reach N, with the truth of that moment', async () => {
    // Carlos serves one customer and five more wait: Josefa will be the seventh.
    for (let i = 1; i <= 6; i++) expect((await app.postTicket({ nationalId: rut(900 + i), queueType: 'CAJA' })).status).toBe(201);
    await registerCustomer(fake, customer);
    // The phone Josefa shared in the bot reaches her kiosk ticket (SPEC §22: the typed RUT does not).
    const { body } = await app.postTicket({ nationalId: '12.345.678-5', telefono: '+56912345678', queueType: 'CAJA' });
    // One service in progress (5 min expected) and five ahead at 5 min each.
    expect(body).toMatchObject({ numero: 'C07', positionInQueue: 6, estimatedWaitMinutes: 30 });

    let mark = fake.mark();
    fake.sendText(customer, BUTTONS.myTurn);
    const offer = await fake.waitForMessage(customer.id, /¿Quieres salir mientras esperas\?/, { since: mark });
    expect(offer.text).toBe('¿Quieres salir mientras esperas? Te aviso cuando falten unos 10, 20 o 30 minutos para tu turno.');
    expect(fake.buttons(offer).map((b) => b.text)).toEqual([
      'Avísame cuando falten 10 min',
      'Avísame cuando falten 20 min',
      'Avísame cuando falten 30 min',
    ]);
    mark = fake.mark();
    fake.pressButton(customer, offer, { text: 'Avísame cuando falten 10 min' });
    await fake.waitForEdit(customer.id, offer.message_id, /Listo/);
    expect(fake.currentText(customer.id, offer.message_id)).toBe(
      '👍 Listo: te avisaremos cuando falten unos <b>10 minutos</b> para tu turno.',
    );

    // 30, 25, 20 minutes expected, give or take a few (five-minute services of the nominal spread, then the
    // observed one): too early to call the customer back (20 less 1.3 × about 4 = 14.7 > 10).
    await tickAndDispatch();
    for (let served = 0; served < 2; served++) {
      clock.advance(5 * 60_000);
      await app.services.floor.finishCurrent(carlosId, 'COMPLETADO', { actor: 'test' });
      await tickAndDispatch();
    }
    expect(fake.messagesTo(customer.id).some((m) => /Ticket Creado/.test(m.text ?? ''))).toBe(true);
    expect(nearNotices()).toEqual([]);

    // Four minutes into the next service: 16.75 expected (at least 35 % of a service left, then three at 5),
    // its 10 % quantile about 12: not yet.
    clock.advance(4 * 60_000);
    await tickAndDispatch();
    expect(nearNotices()).toEqual([]);

    // Two ahead and a service just begun: 15 expected; the Monte-Carlo's quantile of the call is still above 10.
    clock.advance(60_000);
    await app.services.floor.finishCurrent(carlosId, 'COMPLETADO', { actor: 'test' });
    expect(await comeBackQuantile('C07')).toBeGreaterThan(10);
    await tickAndDispatch();
    expect(nearNotices()).toEqual([]);

    // One ahead and a service just begun: 10 expected, the Monte-Carlo's quantile ≤ 10 — told now, not 15 minutes early.
    clock.advance(5 * 60_000);
    await app.services.floor.finishCurrent(carlosId, 'COMPLETADO', { actor: 'test' });
    expect(await comeBackQuantile('C07')).toBeLessThanOrEqual(10);
    await tickAndDispatch();
    const [notice, ...more] = nearNotices();
    expect(more).toEqual([]);
    expect(notice!.text).toBe(
      '⏰ <b>¡Pronto será tu turno!</b>\n\nTurno: <b>C07</b>\nHay 1 persona antes que tú.\n' +
        'Tiempo estimado: <b>10 minutos</b>\n\nPor favor, acércate a la sucursal.',
    );
    const [row] = await app.db.query<{ notified: boolean }>(
      `select cb.notified_at = $1::timestamp as notified from ticket_come_back cb join ticket t on t.id = cb.ticket_id where t.numero = 'C07'`,
      [clock.now().toISOString().replace('Z', '')],
    );
    expect(row!.notified).toBe(true);

    // Reaching the front later sends no second notice.
    for (let served = 0; served < 2; served++) {
      clock.advance(5 * 60_000);
      await app.services.floor.finishCurrent(carlosId, 'COMPLETADO', { actor: 'test' });
      await tickAndDispatch();
    }
    expect(nearNotices()).toHaveLength(1);
  }, 60_000);

  it('for a customer who asked, reaching the front sends nothing early: the notice is time-based, or comes with the call', async () => {
    // A quiet line: nothing waiting, nothing pending, Carlos away (no estimate reaches the lead).
    await app.db.query(`update mensaje set estado_envio = 'FALLIDO', error_message = 'limpieza' where estado_envio = 'PENDIENTE'`);
    await app.db.query(`update ticket set status = 'CANCELADO' where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`);
    await app.db.query(`update advisor set status = 'OFFLINE', assigned_tickets_count = 0, workload_minutes = 0 where id = $1`, [carlosId]);
    const asked = { id: 5_560_002, first_name: 'Tomasa' };
    const nationalId = rut(950);
    // The chat's own shared phone reaches the kiosk ticket (SPEC §22).
    const telefono = await chatWithOwnPhone(app, asked.id, nationalId);
    const taken = await app.postTicket({ nationalId, telefono, queueType: 'CAJA' });
    expect(taken.status).toBe(201);
    const [ticket] = await app.db.query<{ id: string; status: string }>(`select id, status from ticket where codigo_referencia = $1`, [
      taken.body.identificador,
    ]);
    // First in line: PROXIMO by the position rule (PROXIMO_THRESHOLD=1) — and they asked for 10 minutes.
    expect(ticket!.status).toBe('PROXIMO');
    await app.services.comeBack.request(Number(ticket!.id), 10);

    await tickAndDispatch();
    clock.advance(60_000);
    await tickAndDispatch();
    const texts = () => fake.messagesTo(asked.id).map((m) => (m.text ?? '').split('\n')[0]);
    expect(texts()).toEqual(['✅ <b>Ticket Creado</b>']);
    const [near] = await app.db.query<{ estado_envio: string }>(
      `select estado_envio from mensaje where ticket_id = $1 and plantilla = 'TOTEM_PROXIMO_TURNO'`,
      [ticket!.id],
    );
    expect(near!.estado_envio).toBe('PENDIENTE');

    // Called before the lead was reached: the notice still goes, before "your turn", in order.
    const response = await fetch(`${app.url}/api/admin/advisors/${carlosId}/status`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'AVAILABLE' }),
    });
    expect(response.status).toBe(200);
    await tickAndDispatch();
    expect(texts()).toEqual(['✅ <b>Ticket Creado</b>', '⏰ <b>¡Pronto será tu turno!</b>', expect.stringMatching(/ES TU TURNO/)]);
  }, 60_000);

  it('says exactly who is ahead', () => {
    expect(peopleAhead(1)).toBe('Eres el siguiente.');
    expect(peopleAhead(0)).toBe('Eres el siguiente.');
    expect(peopleAhead(2)).toBe('Hay 1 persona antes que tú.');
    expect(peopleAhead(7)).toBe('Hay 6 personas antes que tú.');
  });
});
