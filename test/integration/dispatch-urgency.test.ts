/**
 * Dispatch by urgency and supersession (SPEC §16), driven by hand like dispatcher.test.ts: a
 * ManualClock decides what is due and how long it has been due, a real grammY sender talks to a
 * fake Bot API. And TELEGRAM_PAID_BROADCAST on the wire, through the running app's dispatcher job.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { ManualClock } from '../../src/clock.js';
import { MessageDispatcher, RateLimiter } from '../../src/modules/notifications/dispatcher.js';
import { SUPERSEDED_REASON } from '../../src/modules/notifications/urgency.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { chatWithOwnPhone } from '../support/personal-data.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp } from '../support/telegram-app.js';

const clock = new ManualClock(new Date());
let app: TestApp;
let fake: FakeTelegram;
let carlosId: number;
let customers = 0;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  app = await startTestApp({}, { clock });
  const [carlos] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
  carlosId = Number(carlos!.id);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});
beforeEach(async () => {
  await app.db.query(`update mensaje set estado_envio = 'FALLIDO', error_message = 'limpieza entre pruebas' where estado_envio = 'PENDIENTE'`);
  await app.db.query(`update ticket set status = 'CANCELADO' where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`);
  await app.db.query(`update advisor set status = 'BUSY', assigned_tickets_count = 0, workload_minutes = 0`);
});

/**
 * A kiosk ticket whose phone is a chat's own shared phone (so it can be reached, SPEC §22); unlinked:
 * a phone no chat has shared yet.
 */
async function reachableTicket(linked = true): Promise<{ id: number; numero: string; chatId: number }> {
  customers += 1;
  const chatId = 7_200_000 + customers;
  const nationalId = rut(300 + customers);
  const telefono = linked ? await chatWithOwnPhone(app, chatId, nationalId) : '+56911111111';
  const response = await app.postTicket({ nationalId, queueType: 'CAJA', telefono });
  expect(response.status).toBe(201);
  const [row] = await app.db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [response.body.identificador]);
  return { id: Number(row!.id), numero: String(response.body.numero), chatId };
}

async function freeCarlos(): Promise<void> {
  const response = await fetch(`${app.url}/api/admin/advisors/${carlosId}/status`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'AVAILABLE' }),
  });
  expect(response.status).toBe(200);
}

const markSent = (ticketId: number, plantillas: string[]) =>
  app.db.query(`update mensaje set estado_envio = 'ENVIADO', fecha_envio = now() where ticket_id = $1 and plantilla = any($2)`, [
    ticketId,
    plantillas,
  ]);

const messagesOf = (ticketId: number) =>
  app.db.query<{ id: string; plantilla: string; estado_envio: string; error_message: string | null }>(
    `select id, plantilla, estado_envio, error_message from mensaje where ticket_id = $1 order by id`,
    [ticketId],
  );

/** Supersession judged on every run (`always`), or only while throttled, as in the app. */
function dispatcher(concurrency = 1, supersede: 'always' | 'when-throttled' = 'always', perSecond = 1000): MessageDispatcher {
  return new MessageDispatcher({
    db: app.sql,
    clock,
    logger: app.logger,
    sender: createTelegramSender(fake.token, fake.apiRoot),
    limiter: new RateLimiter(perSecond),
    concurrency,
    supersede,
  });
}

const headline = (text: string) => text.split('\n')[0];

describe('dispatch by urgency', () => {
  it('sends "your turn" first, then "near", then "created", whatever the order they became due', async () => {
    const called = await reachableTicket();
    await freeCarlos(); // `called` is given to Carlos: its "your turn" is due
    await markSent(called.id, ['TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO']);
    const near = await reachableTicket(); // first in line: PROXIMO at once
    await markSent(near.id, ['TOTEM_TICKET_CREADO']);
    const created = await reachableTicket();
    const mark = fake.mark();

    await dispatcher(1).dispatchDue();

    const sent = fake.sent.filter((s) => s.seq > mark).map((s) => [s.chat_id, headline(s.text)]);
    expect(sent).toEqual([
      [called.chatId, `🔔 <b>¡ES TU TURNO ${called.numero}!</b>`],
      [near.chatId, '⏰ <b>¡Pronto será tu turno!</b>'],
      // A ticket's own messages keep their order: "created" before its "near".
      [created.chatId, '✅ <b>Ticket Creado</b>'],
      [created.chatId, '⏰ <b>¡Pronto será tu turno!</b>'],
    ]);
  });
});

describe('supersession', () => {
  it('drops "created" and "near" still unsent once "your turn" has waited behind them, audited', async () => {
    const ticket = await reachableTicket();
    await freeCarlos(); // all three due at once
    clock.advance(1500); // a backlog held them past the grace: "your turn" has waited 1.5 s
    const mark = fake.mark();

    const result = await dispatcher(2).dispatchDue();

    expect(result.superseded).toBe(2);
    const sent = fake.sent.filter((s) => s.seq > mark && s.chat_id === ticket.chatId).map((s) => headline(s.text));
    expect(sent).toEqual([`🔔 <b>¡ES TU TURNO ${ticket.numero}!</b>`]);
    const rows = await messagesOf(ticket.id);
    expect(rows.map((m) => [m.plantilla, m.estado_envio, m.error_message])).toEqual([
      ['TOTEM_TICKET_CREADO', 'FALLIDO', SUPERSEDED_REASON],
      ['TOTEM_PROXIMO_TURNO', 'FALLIDO', SUPERSEDED_REASON],
      ['TOTEM_ES_TU_TURNO', 'ENVIADO', null],
    ]);
    const audit = await app.db.query<{ entity_id: string; new_state: { error: string; reemplazadoPor: string } }>(
      `select entity_id, new_state from audit_log where entity_type = 'MENSAJE' and event_type = 'MENSAJE_FALLIDO'
         and entity_id = any($1) order by id`,
      [rows.slice(0, 2).map((m) => m.id)],
    );
    expect(audit.map((a) => [a.entity_id, a.new_state.error, a.new_state.reemplazadoPor])).toEqual([
      [rows[0]!.id, SUPERSEDED_REASON, 'TOTEM_PROXIMO_TURNO'],
      [rows[1]!.id, SUPERSEDED_REASON, 'TOTEM_ES_TU_TURNO'],
    ]);
  });

  it('drops "created" overtaken by a due "near", but keeps what is not overtaken or cannot be sent yet', async () => {
    const near = await reachableTicket(); // first in line: "near" due with "created"
    const unlinked = await reachableTicket(false); // no chat: waits, it was not overtaken by a send
    clock.advance(1500);
    const mark = fake.mark();

    await dispatcher(1).dispatchDue();

    expect((await messagesOf(near.id)).map((m) => [m.plantilla, m.estado_envio])).toEqual([
      ['TOTEM_TICKET_CREADO', 'FALLIDO'],
      ['TOTEM_PROXIMO_TURNO', 'ENVIADO'],
      ['TOTEM_ES_TU_TURNO', 'PENDIENTE'],
    ]);
    expect((await messagesOf(unlinked.id)).map((m) => m.estado_envio)).toEqual(['PENDIENTE', 'PENDIENTE', 'PENDIENTE']);
    expect(fake.sent.filter((s) => s.seq > mark).map((s) => s.chat_id)).toEqual([near.chatId]);
  });

  it('keeps all three for a ticket called at once when nothing holds them back', async () => {
    const ticket = await reachableTicket();
    await freeCarlos();
    await dispatcher(2).dispatchDue();
    expect((await messagesOf(ticket.id)).map((m) => m.estado_envio)).toEqual(['ENVIADO', 'ENVIADO', 'ENVIADO']);
  });

  it('drops nothing when the dispatcher is merely late, only once the cap holds sends back', async () => {
    const late = await reachableTicket();
    await freeCarlos();
    clock.advance(1500); // the dispatcher ran late (a restart), but nothing throttles it
    await dispatcher(2, 'when-throttled').dispatchDue();
    expect((await messagesOf(late.id)).map((m) => m.estado_envio)).toEqual(['ENVIADO', 'ENVIADO', 'ENVIADO']);

    // A backlog behind a cap of 2/s: three older "created" of customers further back go first and
    // fill the cap; the first three in line wait with "created" and "near" both due, 2 s overdue.
    await app.db.query(`update advisor set status = 'BUSY'`);
    const front = [];
    for (let i = 0; i < 3; i++) front.push(await reachableTicket());
    const back = [];
    for (let i = 0; i < 3; i++) back.push(await reachableTicket());
    await app.db.query(`update mensaje set fecha_programada = fecha_programada - interval '2 seconds' where estado_envio = 'PENDIENTE'`);
    await app.db.query(`update mensaje set fecha_programada = fecha_programada - interval '1 second' where ticket_id = any($1)`, [
      back.map((t) => t.id),
    ]);
    const result = await dispatcher(1, 'when-throttled', 2).dispatchDue();

    expect(result.superseded).toBeGreaterThan(0);
    for (const t of front) {
      // "created" went out or was superseded, never lost without its "near" going out.
      const [created, near] = await messagesOf(t.id);
      expect(near!.estado_envio).toBe('ENVIADO');
      if (created!.estado_envio === 'FALLIDO') expect(created!.error_message).toBe(SUPERSEDED_REASON);
    }
    for (const t of back) expect((await messagesOf(t.id))[0]!.estado_envio).toBe('ENVIADO');
  }, 30_000);
});

describe('TELEGRAM_PAID_BROADCAST', () => {
  it('puts allow_paid_broadcast on every send only when set', async () => {
    const paid = createTelegramSender(fake.token, fake.apiRoot, { paidBroadcast: true });
    const free = createTelegramSender(fake.token, fake.apiRoot);
    const mark = fake.mark();
    expect(await paid.send(7_299_001, 'uno')).toMatchObject({ ok: true });
    expect(await free.send(7_299_002, 'dos')).toMatchObject({ ok: true });
    const calls = fake.callsOf('sendMessage').filter((c) => c.seq > mark);
    expect(calls.map((c) => c.params.allow_paid_broadcast)).toEqual([true, undefined]);
  });

  it('reaches the running app\'s dispatcher job: a customer\'s notification carries the flag', async () => {
    const telegram = await startTelegramTestApp({ TELEGRAM_PAID_BROADCAST: 'true' });
    try {
      const chatId = 7_299_100;
      const nationalId = rut(399);
      await telegram.app.db.query(`update advisor set status = 'BUSY'`); // nobody called: only "created" is due
      const telefono = await chatWithOwnPhone(telegram.app, chatId, nationalId);
      expect((await telegram.app.postTicket({ nationalId, telefono, queueType: 'EMPRESAS' })).status).toBe(201);
      // The app's dispatcher worker starts with the app: on a loaded machine that can take seconds.
      const sent = await telegram.fake.waitForMessage(chatId, /Ticket Creado/, { timeoutMs: 20_000 });
      const call = telegram.fake.callsOf('sendMessage').find((c) => c.chatId === chatId && c.seq === sent.seq);
      expect(call?.params.allow_paid_broadcast).toBe(true);
    } finally {
      await telegram.close();
    }
  }, 60_000);
});
