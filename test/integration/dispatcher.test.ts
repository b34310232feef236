/**
 * The message dispatcher (SPEC §5) driven by hand: a ManualClock decides what is due, a real
 * grammY sender talks over HTTP to a fake Bot API, and the mensaje rows come from real tickets
 * taken through the kiosk API. The app has no bot token and no jobs, so only this dispatcher sends.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { ManualClock } from '../../src/clock.js';
import {
  MessageDispatcher,
  RateLimiter,
  RETRY_DELAYS_SECONDS,
  type DispatchResult,
} from '../../src/modules/notifications/dispatcher.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { chatWithOwnPhone } from '../support/personal-data.js';
import { FakeTelegram, type ApiCall } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';

const clock = new ManualClock(new Date());
let app: TestApp;
let fake: FakeTelegram;
let carlosId: number;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  // The seed's figures (SPEC §4 formula) are pinned here; the SPEC §13 estimator has its own tests.
  app = await startTestApp({ WAIT_ESTIMATOR: 'formula' }, { clock });
  const [carlos] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
  carlosId = Number(carlos!.id);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

beforeEach(async () => {
  // Each case starts from a quiet branch: nothing pending, nobody waiting, every advisor paused.
  await app.db.query(`update mensaje set estado_envio = 'FALLIDO', error_message = 'limpieza entre pruebas' where estado_envio = 'PENDIENTE'`);
  await app.db.query(`update ticket set status = 'CANCELADO' where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`);
  await app.db.query(`update advisor set status = 'BUSY', assigned_tickets_count = 0, workload_minutes = 0`);
  fake.clearFailures();
  fake.setRateLimit(null);
});

// ----------------------------------------------------------------------------------------------
// Helpers

let customers = 0;
interface Customer {
  chatId: number;
  nationalId: string;
  /** The chat's own phone (a verified contact): what reaches its kiosk tickets (SPEC §22). */
  phone: string;
}
interface Ticket {
  id: number;
  codigo: string;
  numero: string;
}
interface MensajeRow {
  id: string;
  plantilla: string;
  estado_envio: string;
  intentos: number;
  error_message: string | null;
  telegram_message_id: string | null;
  fecha_envio_ms: string | null;
  fecha_programada_ms: string;
}

/** A chat with a RUT and its own shared phone, straight in the database (what the bot stores). */
async function registeredCustomer(): Promise<Customer> {
  customers += 1;
  const chatId = 6_100_000 + customers;
  const nationalId = rut(100 + customers);
  const phone = await chatWithOwnPhone(app, chatId, nationalId);
  return { chatId, nationalId, phone };
}

async function takeTicket(nationalId: string, extra: Record<string, unknown> = {}): Promise<Ticket> {
  const response = await app.postTicket({ nationalId, queueType: 'CAJA', ...extra });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  const codigo = String(response.body.identificador);
  const [row] = await app.db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [codigo]);
  return { id: Number(row!.id), codigo, numero: String(response.body.numero) };
}

async function messagesOf(ticketId: number): Promise<MensajeRow[]> {
  return app.db.query<MensajeRow>(
    `select id, plantilla, estado_envio, intentos, error_message, telegram_message_id,
            (extract(epoch from fecha_envio) * 1000)::bigint as fecha_envio_ms,
            (extract(epoch from fecha_programada) * 1000)::bigint as fecha_programada_ms
     from mensaje where ticket_id = $1 order by id`,
    [ticketId],
  );
}

async function messageOf(ticketId: number, plantilla: string): Promise<MensajeRow> {
  const row = (await messagesOf(ticketId)).find((m) => m.plantilla === plantilla);
  if (!row) throw new Error(`ticket ${ticketId} has no ${plantilla} message`);
  return row;
}

async function auditOf(mensajeId: string): Promise<string[]> {
  const rows = await app.db.query<{ event_type: string }>(
    `select event_type from audit_log where entity_type = 'MENSAJE' and entity_id = $1 order by id`,
    [mensajeId],
  );
  return rows.map((r) => r.event_type);
}

function newDispatcher(perSecond = 1000, concurrency = 4): MessageDispatcher {
  return new MessageDispatcher({
    db: app.sql,
    clock,
    logger: app.logger,
    sender: createTelegramSender(fake.token, fake.apiRoot),
    limiter: new RateLimiter(perSecond),
    concurrency,
  });
}

/** sendMessage requests to a chat since a mark (failed ones included). */
const sendsTo = (chatId: number, since: number): ApiCall[] =>
  fake.callsOf('sendMessage').filter((c) => c.seq > since && c.chatId === chatId);

/** Frees an advisor through the supervisor API: the oldest waiting ticket they serve is assigned. */
async function freeAdvisor(advisorId: number): Promise<void> {
  const response = await fetch(`${app.url}/api/admin/advisors/${advisorId}/status`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'AVAILABLE', reason: 'prueba' }),
  });
  expect(response.status).toBe(200);
}

const CREADO = 'TOTEM_TICKET_CREADO';
const PROXIMO = 'TOTEM_PROXIMO_TURNO';
const TU_TURNO = 'TOTEM_ES_TU_TURNO';

// ----------------------------------------------------------------------------------------------

describe('MessageDispatcher', () => {
  it('sends a due message: ENVIADO, fecha_envio, telegram_message_id and MENSAJE_ENVIADO', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    const mark = fake.mark();

    const result = await newDispatcher().dispatchDue();

    // A first ticket is PROXIMO at once: "created" then "near" (its turn has not come).
    expect(result).toMatchObject({ sent: 2, retried: 0, failed: 0 });
    const sent = fake.sent.filter((s) => s.seq > mark && s.chat_id === customer.chatId);
    expect(sent).toHaveLength(2);
    expect(sent[0]!.text).toBe(
      `✅ <b>Ticket Creado</b>\n\nTu número de turno: <b>${ticket.numero}</b>\nPosición en cola: <b>#1</b>\n` +
        'Tiempo estimado: <b>2 minutos</b>\n\nTe notificaremos cuando estés próximo.',
    );
    expect(sent[0]!.parse_mode).toBe('HTML');

    const created = await messageOf(ticket.id, CREADO);
    expect(created.estado_envio).toBe('ENVIADO');
    expect(created.intentos).toBe(0);
    expect(Number(created.fecha_envio_ms)).toBe(clock.now().getTime());
    expect(created.telegram_message_id).toBe(String(sent[0]!.message_id));
    expect(await auditOf(created.id)).toEqual(['MENSAJE_ENVIADO']);
    // "Your turn" waits for the assignment.
    expect((await messageOf(ticket.id, TU_TURNO)).estado_envio).toBe('PENDIENTE');
  });

  it('retries a 400 about the message and then sends: ENVIADO with intentos 1 and MENSAJE_REINTENTADO', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failNext('sendMessage', 1, { status: 400, description: 'Bad Request: TOPIC_CLOSED' }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    expect(await dispatcher.dispatchDue()).toMatchObject({ sent: 0, retried: 1 });
    let created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 1 });
    expect(created.error_message).toMatch(/400/);
    expect(Number(created.fecha_programada_ms)).toBe(clock.now().getTime() + 30_000);

    clock.advance(29_000);
    await dispatcher.dispatchDue();
    expect(sendsTo(customer.chatId, mark)).toHaveLength(1);

    clock.advance(1_000);
    await dispatcher.dispatchDue();
    created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'ENVIADO', intentos: 1, error_message: null });
    expect(await auditOf(created.id)).toEqual(['MENSAJE_REINTENTADO', 'MENSAJE_ENVIADO']);
    expect(sendsTo(customer.chatId, mark).map((c) => c.status)).toEqual([400, 200, 200]); // created ×2, then near
  });

  it('retries a 500 without spending an attempt: the schedule’s first step, then ENVIADO with intentos 0', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failNext('sendMessage', 1, { status: 500 }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    expect(await dispatcher.dispatchDue()).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    let created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 0 });
    expect(created.error_message).toMatch(/500/);
    expect(Number(created.fecha_programada_ms)).toBe(clock.now().getTime() + 30_000);

    clock.advance(29_000);
    await dispatcher.dispatchDue();
    expect(sendsTo(customer.chatId, mark)).toHaveLength(1);

    clock.advance(1_000);
    await dispatcher.dispatchDue();
    created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'ENVIADO', intentos: 0, error_message: null });
    expect(await auditOf(created.id)).toEqual(['MENSAJE_REINTENTADO', 'MENSAJE_ENVIADO']);
  });

  it('after four failures about the message (retries at 30 s, 60 s, 120 s) it is FALLIDO with MENSAJE_FALLIDO', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failNext('sendMessage', 4, { status: 400, description: 'Bad Request: TOPIC_CLOSED' }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();
    const createdAttempts = (): number => sendsTo(customer.chatId, mark).filter((c) => String(c.params.text).includes('Ticket Creado')).length;

    await dispatcher.dispatchDue();
    expect(createdAttempts()).toBe(1);
    expect(RETRY_DELAYS_SECONDS).toEqual([30, 60, 120]);
    for (const [i, delay] of RETRY_DELAYS_SECONDS.entries()) {
      // Not a moment before the delay has passed...
      clock.advance(delay * 1000 - 1000);
      await dispatcher.dispatchDue();
      expect(createdAttempts(), `before the retry ${i + 1} (${delay} s)`).toBe(i + 1);
      const waiting = await messageOf(ticket.id, CREADO);
      expect(waiting).toMatchObject({ estado_envio: 'PENDIENTE', intentos: i + 1 });
      // ...and at once when it has.
      clock.advance(1000);
      await dispatcher.dispatchDue();
      expect(createdAttempts(), `after the retry ${i + 1} (${delay} s)`).toBe(i + 2);
    }

    const created = await messageOf(ticket.id, CREADO);
    expect(created.estado_envio).toBe('FALLIDO');
    expect(created.intentos).toBe(4);
    expect(created.error_message).toMatch(/400.*TOPIC_CLOSED/);
    expect(created.telegram_message_id).toBeNull();
    expect(await auditOf(created.id)).toEqual(['MENSAJE_REINTENTADO', 'MENSAJE_REINTENTADO', 'MENSAJE_REINTENTADO', 'MENSAJE_FALLIDO']);

    // Given up: no fifth attempt, however long one waits.
    clock.advance(60 * 60_000);
    await dispatcher.dispatchDue();
    expect(createdAttempts()).toBe(4);
  });

  it('fails at once, without retries, when the user blocked the bot (403)', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failAlways('sendMessage', { status: 403, description: 'Forbidden: bot was blocked by the user' }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    await dispatcher.dispatchDue();
    const created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'FALLIDO', intentos: 1 });
    expect(created.error_message).toMatch(/403.*blocked/);
    expect(await auditOf(created.id)).toEqual(['MENSAJE_FALLIDO']);

    clock.advance(10 * 60_000);
    await dispatcher.dispatchDue();
    // One attempt per message (created, near), never a retry.
    expect(sendsTo(customer.chatId, mark).map((c) => String(c.params.text).split('\n')[0])).toEqual([
      '✅ <b>Ticket Creado</b>',
      '⏰ <b>¡Pronto será tu turno!</b>',
    ]);
    expect((await messageOf(ticket.id, PROXIMO)).intentos).toBe(1);
  });

  it('fails at once when the chat does not exist (400 chat not found)', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failAlways('sendMessage', { status: 400, description: 'Bad Request: chat not found' }, { chatId: customer.chatId });
    const mark = fake.mark();

    await newDispatcher().dispatchDue();
    clock.advance(10 * 60_000);
    await newDispatcher().dispatchDue();

    const created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'FALLIDO', intentos: 1 });
    expect(created.error_message).toMatch(/chat not found/);
    expect(await auditOf(created.id)).toEqual(['MENSAJE_FALLIDO']);
    expect(sendsTo(customer.chatId, mark)).toHaveLength(2); // created and near, once each
  });

  it('honours 429 retry_after: no attempt spent, nothing claimed before it passes (other chats too), then sent', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    fake.failNext('sendMessage', 1, { status: 429, retryAfter: 2 }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    await dispatcher.dispatchDue();
    let created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 0 });
    expect(Number(created.fecha_programada_ms)).toBe(clock.now().getTime() + 2000);
    expect(await auditOf(created.id)).toEqual([]);

    // Another customer's message falls due while Telegram asked to wait: it waits too.
    const other = await registeredCustomer();
    await takeTicket(other.nationalId, { telefono: other.phone });
    clock.advance(1000);
    await dispatcher.dispatchDue();
    expect(sendsTo(customer.chatId, mark)).toHaveLength(1);
    expect(sendsTo(other.chatId, mark)).toEqual([]);

    clock.advance(1000);
    await dispatcher.dispatchDue();
    created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'ENVIADO', intentos: 0 });
    expect(sendsTo(customer.chatId, mark).map((c) => c.status)).toEqual([429, 200, 200]);
    expect(sendsTo(other.chatId, mark).map((c) => c.status)).toContain(200);
  });

  it('counts a request that hangs past the sender’s timeout as Telegram’s failure: retried, no attempt spent', { timeout: 45_000 }, async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    // Longer than the sender's 10 s timeout; then the fake drops the connection unanswered.
    fake.failNext('sendMessage', 1, { timeoutMs: 12_000 }, { chatId: customer.chatId });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    const started = Date.now();
    expect(await dispatcher.dispatchDue()).toMatchObject({ sent: 0, retried: 1, failed: 0 });
    expect(Date.now() - started).toBeLessThan(11_900);
    let created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 0 });
    expect(await auditOf(created.id)).toEqual(['MENSAJE_REINTENTADO']);

    clock.advance(30_000);
    await dispatcher.dispatchDue();
    created = await messageOf(ticket.id, CREADO);
    expect(created).toMatchObject({ estado_envio: 'ENVIADO', intentos: 0 });
    expect(sendsTo(customer.chatId, mark).filter((c) => String(c.params.text).includes('Ticket Creado'))).toHaveLength(2);
  });

  // Product bug: RateLimiter is a token bucket that starts full with `perSecond` tokens, so a backlog
  // goes out as a burst of `perSecond` plus the refill in the same second (about 2× the cap).
  it('never sends faster than the rate cap', async () => {
    const people = await Promise.all(Array.from({ length: 20 }, () => registeredCustomer()));
    for (const person of people) await takeTicket(person.nationalId, { telefono: person.phone });
    const mark = fake.mark();

    const result = await newDispatcher(5).dispatchDue();

    expect(result.sent).toBe(23); // 20 "created" and 3 "near" (the first three in line)
    expect(fake.sentPerSecond({ since: mark })).toBeLessThanOrEqual(5);
  });

  it('sends "your turn" before the others when throttled', async () => {
    const first = await registeredCustomer();
    const firstTicket = await takeTicket(first.nationalId, { telefono: first.phone });
    await newDispatcher().dispatchDue(); // its "created" and "near" are out
    const others = await Promise.all(Array.from({ length: 8 }, () => registeredCustomer()));
    for (const person of others) await takeTicket(person.nationalId, { telefono: person.phone });
    // A minute later Carlos is free and calls the first in line: "your turn" is due after the others.
    clock.advance(60_000);
    await freeAdvisor(carlosId);
    expect((await messageOf(firstTicket.id, TU_TURNO)).fecha_programada_ms).toBe(String(clock.now().getTime()));
    const mark = fake.mark();
    const concurrency = 4;

    const result: DispatchResult = await newDispatcher(3, concurrency).dispatchDue();

    // 8 "created", 2 "near", 1 "your turn" — once the cap holds sends back, a "created" whose
    // "near" has waited behind it may be superseded instead (SPEC §16): sent or superseded, never lost.
    expect(result.sent + result.superseded).toBe(11);
    expect(result.superseded).toBeLessThanOrEqual(2);
    const order = fake.sent.filter((s) => s.seq > mark).map((s) => s.chat_id);
    // Every loop claims the most urgent message it can: "your turn" is among the very first sends,
    // not behind the eight "created" planned before it.
    expect(order.indexOf(first.chatId)).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(first.chatId)).toBeLessThan(concurrency);
    expect(fake.lastMessageTo(first.chatId)!.text).toContain('¡ES TU TURNO');
  });

  it('sends the three messages of a ticket in their order, even when all are due at once', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    await freeAdvisor(carlosId); // assigned at once: "near" and "your turn" are due too
    const mark = fake.mark();

    await newDispatcher().dispatchDue();

    const texts = fake.sent.filter((s) => s.seq > mark && s.chat_id === customer.chatId).map((s) => s.text);
    expect(texts.map((t) => t.split('\n')[0])).toEqual([
      '✅ <b>Ticket Creado</b>',
      '⏰ <b>¡Pronto será tu turno!</b>',
      `🔔 <b>¡ES TU TURNO ${ticket.numero}!</b>`,
    ]);
    expect(texts[2]).toBe(`🔔 <b>¡ES TU TURNO ${ticket.numero}!</b>\n\nDirígete al módulo: <b>1</b>\nAsesor: <b>Carlos Rodríguez</b>`);
    const rows = await messagesOf(ticket.id);
    expect(rows.map((m) => [m.plantilla, m.estado_envio])).toEqual([
      [CREADO, 'ENVIADO'],
      [PROXIMO, 'ENVIADO'],
      [TU_TURNO, 'ENVIADO'],
    ]);
    const ids = rows.map((m) => Number(m.telegram_message_id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('keeps a message waiting, without spending attempts, until a chat is linked', async () => {
    customers += 1;
    const chatId = 6_100_000 + customers;
    const phone = '+56987654321';
    const ticket = await takeTicket(rut(100 + customers), { telefono: phone });
    const mark = fake.mark();
    const dispatcher = newDispatcher();

    await dispatcher.dispatchDue();
    clock.advance(5 * 60_000);
    await dispatcher.dispatchDue();
    expect(fake.callsOf('sendMessage').filter((c) => c.seq > mark)).toEqual([]);
    for (const m of await messagesOf(ticket.id)) expect(m).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 0 });

    // The customer shares that phone with the bot (the bot's own path: the customer service).
    await app.services.customers.setPhone(chatId, phone, null);
    await dispatcher.dispatchDue();

    const sent = fake.sent.filter((s) => s.seq > mark);
    expect(sent.map((s) => [s.chat_id, s.text.split('\n')[0]])).toEqual([
      [chatId, '✅ <b>Ticket Creado</b>'],
      [chatId, '⏰ <b>¡Pronto será tu turno!</b>'],
    ]);
    expect(await messageOf(ticket.id, CREADO)).toMatchObject({ estado_envio: 'ENVIADO', intentos: 0 });
  });

  it('sends nothing for a cancelled ticket; its messages are FALLIDO "ticket cancelado"', async () => {
    const customer = await registeredCustomer();
    const ticket = await takeTicket(customer.nationalId, { telefono: customer.phone });
    const cancel = await app.request(`/api/tickets/${ticket.codigo}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const mark = fake.mark();

    await newDispatcher().dispatchDue();
    clock.advance(60 * 60_000);
    await newDispatcher().dispatchDue();

    expect(sendsTo(customer.chatId, mark)).toEqual([]);
    const rows = await messagesOf(ticket.id);
    expect(rows).toHaveLength(3);
    for (const m of rows) expect(m).toMatchObject({ estado_envio: 'FALLIDO', error_message: 'ticket cancelado', intentos: 0 });
  });
});
