/**
 * Telegram down for everyone (SPEC §15): the dispatcher's circuit breaker. Driven by hand on a
 * ManualClock (dispatcher and breaker share it) against the fake Bot API over real HTTP, with real
 * tickets from the kiosk API; then once end to end through the running app's dispatcher worker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { ManualClock } from '../../src/clock.js';
import { TelegramCircuit } from '../../src/modules/notifications/circuit-breaker.js';
import { MessageDispatcher, RateLimiter } from '../../src/modules/notifications/dispatcher.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from '../support/app.js';
import { chatWithOwnPhone, rutIndex } from '../support/personal-data.js';
import { seedBranch } from '../support/branch.js';
import { FakeTelegram, type Failure } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp } from '../support/telegram-app.js';

const clock = new ManualClock(new Date('2026-06-03T15:00:00Z'));
let app: TestApp;
let fake: FakeTelegram;
let customers = 0;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  app = await startTestApp({}, { clock });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});
beforeEach(async () => {
  await app.db.query(`update mensaje set estado_envio = 'FALLIDO', error_message = 'limpieza' where estado_envio = 'PENDIENTE'`);
  await app.db.query(`update ticket set status = 'CANCELADO' where status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`);
  await app.db.query(`update advisor set status = 'OFFLINE', assigned_tickets_count = 0, workload_minutes = 0`);
  fake.clearFailures();
});

interface Row {
  id: string;
  ticket_id: string;
  plantilla: string;
  estado_envio: string;
  intentos: number;
  error_message: string | null;
}

async function customerWithTicket(branchOffice: string): Promise<{ chatId: number; ticketId: number }> {
  customers += 1;
  const chatId = 7_200_000 + customers;
  const nationalId = rut(9300 + customers);
  // The chat's own shared phone reaches the kiosk ticket given with it (SPEC §22).
  const telefono = await chatWithOwnPhone(app, chatId, nationalId);
  const { status, body } = await app.postTicket({ nationalId, telefono, queueType: 'CAJA', branchOffice });
  expect(status).toBe(201);
  const [row] = await app.db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [body.identificador]);
  return { chatId, ticketId: Number(row!.id) };
}

const messages = (ticketIds: number[]): Promise<Row[]> =>
  app.db.query<Row>(
    `select id, ticket_id, plantilla, estado_envio, intentos, error_message from mensaje where ticket_id = any($1) order by id`,
    [ticketIds],
  );

const admin = (url: string, body?: unknown) =>
  fetch(`${app.url}/api/admin${url}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });

const DISPATCH_CONCURRENCY = 4;

function dispatcherWithBreaker(retryDelaysSeconds?: number[]) {
  const sender = createTelegramSender(fake.token, fake.apiRoot);
  const circuit = new TelegramCircuit({ clock, logger: app.logger, probe: () => sender.probe!(), probeIntervalMs: 5000 });
  const dispatcher = new MessageDispatcher({
    db: app.sql,
    clock,
    logger: app.logger,
    sender,
    limiter: new RateLimiter(1000),
    concurrency: DISPATCH_CONCURRENCY,
    circuit,
    ...(retryDelaysSeconds ? { retryDelaysSeconds } : {}),
  });
  return { dispatcher, circuit };
}

describe('the circuit breaker', () => {
  it('holds every message without spending attempts while Telegram is down, then sends the backlog, most urgent first', async () => {
    const branch = 'Sucursal Apagón';
    const ids = await seedBranch(app.db, branch, [
      { name: 'Ada', module: 1, queues: ['CAJA'], status: 'BUSY' },
      { name: 'Beto', module: 2, queues: ['CAJA'], status: 'BUSY' },
    ]);
    const { dispatcher, circuit } = dispatcherWithBreaker();
    // Before the outage: the first customer already got "created" and "near".
    const first = await customerWithTicket(branch);
    await dispatcher.dispatchDue();

    // Telegram goes away: sends answer 502, getMe gets no answer at all.
    fake.failAlways('sendMessage', { status: 502, description: 'Bad Gateway' });
    fake.failAlways('getMe', { timeoutMs: 50, then: 'hangup' });
    const others = [await customerWithTicket(branch), await customerWithTicket(branch), await customerWithTicket(branch)];
    const mark = fake.mark();
    const held = await dispatcher.dispatchDue();
    expect(held.sent).toBe(0);
    expect(held.held).toBeGreaterThanOrEqual(1);
    expect(circuit.isOpen).toBe(true);

    // Meanwhile the branch goes on: the first customer is called; the second is called and served.
    expect((await admin(`/advisors/${ids.Ada}/status`, { status: 'AVAILABLE' })).status).toBe(200);
    expect((await admin(`/advisors/${ids.Beto}/status`, { status: 'AVAILABLE' })).status).toBe(200);
    const [served] = await app.db.query<{ assigned_advisor_id: string }>(`select assigned_advisor_id from ticket where id = $1`, [
      others[0]!.ticketId,
    ]);
    expect((await admin(`/advisors/${served!.assigned_advisor_id}/complete-ticket`)).status).toBe(200);

    // Down far longer than the whole retry schedule (30 + 60 + 120 s), the dispatcher sweeping every second.
    const sendsWhileOpen = fake.callsOf('sendMessage').filter((c) => c.seq > mark).length;
    for (let s = 0; s < 400; s += 1) {
      clock.advance(1000);
      await dispatcher.dispatchDue();
    }
    expect(circuit.isOpen).toBe(true);
    // Nothing was tried while open: only getMe, once per probe interval.
    expect(fake.callsOf('sendMessage').filter((c) => c.seq > mark).length).toBe(sendsWhileOpen);
    const probes = fake.callsOf('getMe').filter((c) => c.seq > mark).length;
    expect(probes).toBeGreaterThanOrEqual(400 / 5 - 2);
    expect(probes).toBeLessThanOrEqual(400 / 5 + 2);

    const ticketIds = [first.ticketId, ...others.map((o) => o.ticketId)];
    let rows = await messages(ticketIds);
    expect(rows.filter((r) => r.intentos > 0)).toEqual([]);
    // The only FALLIDO: the served customer's messages whose moment passed, closed with the reason.
    const failed = rows.filter((r) => r.estado_envio === 'FALLIDO');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((r) => Number(r.ticket_id) === others[0]!.ticketId && r.error_message === 'ticket finalizado antes del envío')).toBe(true);
    expect(failed.map((r) => r.plantilla)).toContain('TOTEM_ES_TU_TURNO');

    // Telegram is back: the next probe closes the circuit and the backlog goes out.
    fake.clearFailures();
    const back = fake.mark();
    clock.advance(5000);
    const result = await dispatcher.dispatchDue();
    expect(circuit.isOpen).toBe(false);
    expect(result.failed).toBe(0);
    const sent = fake.sent.filter((m) => m.seq > back);
    // Most urgent first: the called customer's "your turn" is claimed before anything else; the
    // dispatcher's DISPATCH_CONCURRENCY senders race to the Bot API, so it lands among the first sends.
    const firstTurn = sent.findIndex((m) => m.chat_id === first.chatId && /ES TU TURNO/.test(m.text));
    expect(firstTurn).toBeGreaterThanOrEqual(0);
    expect(firstTurn).toBeLessThan(DISPATCH_CONCURRENCY);
    // Each customer's messages in their order.
    for (const other of others.slice(1)) {
      const theirs = sent.filter((m) => m.chat_id === other.chatId).map((m) => m.text.split('\n')[0]);
      expect(theirs[0]).toMatch(/Ticket Creado/);
    }
    rows = await messages(ticketIds);
    expect(rows.filter((r) => r.estado_envio === 'PENDIENTE' && r.plantilla === 'TOTEM_TICKET_CREADO')).toEqual([]);
    expect(rows.filter((r) => r.intentos > 0)).toEqual([]);
  });

  it('does not open for one chat’s failures while Telegram answers: that message backs off, no attempt spent', async () => {
    const { dispatcher, circuit } = dispatcherWithBreaker();
    const customer = await customerWithTicket('Sucursal Apagón');
    fake.failNext('sendMessage', 1, { status: 500 }, { chatId: customer.chatId });
    expect(await dispatcher.dispatchDue()).toMatchObject({ retried: 1 });
    expect(circuit.isOpen).toBe(false);
    const [created] = await messages([customer.ticketId]);
    expect(created).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 0 });
    expect(created!.error_message).toMatch(/500/);
  });

  it('follows TELEGRAM_RETRY_DELAYS_S for the retry schedule', async () => {
    const { dispatcher } = dispatcherWithBreaker([5, 10]);
    const customer = await customerWithTicket('Sucursal Apagón');
    fake.failAlways('sendMessage', { status: 400, description: 'Bad Request: TOPIC_CLOSED' }, { chatId: customer.chatId });
    const due = async (): Promise<Row> => (await messages([customer.ticketId]))[0]!;
    await dispatcher.dispatchDue();
    expect(await due()).toMatchObject({ estado_envio: 'PENDIENTE', intentos: 1 });
    clock.advance(4_000);
    await dispatcher.dispatchDue();
    expect((await due()).intentos).toBe(1);
    clock.advance(1_000);
    await dispatcher.dispatchDue();
    expect((await due()).intentos).toBe(2);
    clock.advance(10_000);
    await dispatcher.dispatchDue();
    expect(await due()).toMatchObject({ estado_envio: 'FALLIDO', intentos: 3 });
  });
});

/**
 * SPEC §15: a 5xx, a 429 or a network error never spends attempts, even while getMe answers (so the
 * circuit stays closed): the message backs off (the schedule's steps, capped at 60 s) and goes out
 * when Telegram takes it again. Each outage lasts 35 s of the dispatcher's clock, longer than the
 * whole schedule of TELEGRAM_RETRY_DELAYS_S=3,6,12 (21 s), with the dispatcher sweeping every second.
 */
describe('sendMessage failing for 35 s while getMe answers (TELEGRAM_RETRY_DELAYS_S=3,6,12)', () => {
  const outages: Array<{ name: string; failure: Failure }> = [
    { name: '502 Bad Gateway', failure: { status: 502, description: 'Bad Gateway' } },
    { name: '429 Too Many Requests (retry_after 5)', failure: { status: 429, retryAfter: 5 } },
    { name: 'connection resets', failure: { reset: true } },
  ];

  it.each(outages)('$name: nothing FALLIDO, no attempt spent, everything delivered in order afterwards', async ({ failure }) => {
    const branch = `Sucursal Intermitente ${customers}`;
    await seedBranch(app.db, branch, [{ name: 'Ada', module: 1, queues: ['CAJA'], status: 'OFFLINE' }]);
    const { dispatcher, circuit } = dispatcherWithBreaker([3, 6, 12]);
    const outageStart = clock.now().getTime();
    const mark = fake.mark();
    fake.failAlways('sendMessage', failure);

    // Three customers take a ticket during the first 10 s of the outage.
    const taken: Array<{ chatId: number; ticketId: number }> = [];
    for (let s = 0; s < 35; s += 1) {
      if (s % 5 === 0 && taken.length < 3) taken.push(await customerWithTicket(branch));
      await dispatcher.dispatchDue();
      clock.advance(1000);
    }
    const ticketIds = taken.map((t) => t.ticketId);
    const tried = fake.callsOf('sendMessage').filter((c) => c.seq > mark);
    expect(tried.length).toBeGreaterThan(0);
    expect(tried.every((c) => c.status !== 200)).toBe(true);
    // Backed off, not hammered: per message at most one try per step of 3, 6, 12, 12 … s.
    expect(tried.length).toBeLessThanOrEqual(taken.length * 2 * 6);
    let rows = await messages(ticketIds);
    expect(rows.filter((r) => r.estado_envio !== 'PENDIENTE' || r.intentos > 0)).toEqual([]);
    expect(circuit.isOpen).toBe(false);

    // Telegram takes messages again: within one capped step (12 s) everything due is out.
    fake.clearFailures();
    const outageEnd = clock.now().getTime();
    expect(outageEnd - outageStart).toBe(35_000);
    const back = fake.mark();
    for (let s = 0; s <= 12; s += 1) {
      await dispatcher.dispatchDue();
      clock.advance(1000);
    }
    rows = await messages(ticketIds);
    expect(rows.filter((r) => r.estado_envio === 'FALLIDO')).toEqual([]);
    expect(rows.filter((r) => r.intentos > 0)).toEqual([]);
    // Only "your turn" still waits (nobody was called); everything else went out.
    expect(rows.filter((r) => r.estado_envio === 'PENDIENTE').map((r) => r.plantilla)).toEqual(taken.map(() => 'TOTEM_ES_TU_TURNO'));
    const sent = fake.sent.filter((m) => m.seq > back);
    for (const { chatId } of taken) {
      const theirs = sent.filter((m) => m.chat_id === chatId).map((m) => m.text.split('\n')[0]);
      expect(theirs).toEqual(['✅ <b>Ticket Creado</b>', '⏰ <b>¡Pronto será tu turno!</b>']);
    }
  });
});

describe('the running app during a Telegram outage', () => {
  it('keeps every message PENDIENTE with its attempts while the fake Bot API is down past the retry schedule, then delivers', async () => {
    // A 3-second retry schedule, and Telegram down for longer than it (real time: the dispatcher worker's own clock).
    const { app: live, fake: bot, close } = await startTelegramTestApp({ TELEGRAM_RETRY_DELAYS_S: '1,1,1', METRICS_API_KEY: 'm' });
    try {
      bot.failAlways('sendMessage', { status: 503, description: 'Service Unavailable' });
      bot.failAlways('getMe', { status: 502, description: 'Bad Gateway' });
      const chatId = 7_299_001;
      const nationalId = rut(9399);
      const telefono = await chatWithOwnPhone(live, chatId, nationalId);
      const taken = await live.postTicket({ nationalId, telefono, queueType: 'CAJA' });
      expect(taken.status).toBe(201);
      await eventually(async () => {
        const text = await (await fetch(`${live.url}/metrics`, { headers: { authorization: 'Bearer m' } })).text();
        expect(text).toMatch(/^ticketero_telegram_circuit_open 1$/m);
      }, 30_000); // the dispatcher's worker thread starts first: 10 s was not enough at a load average of 19
      await new Promise((resolve) => setTimeout(resolve, 4_000)); // longer than the whole schedule: 1 + 1 + 1 s
      const pending = await live.db.query<{ estado_envio: string; intentos: number }>(
        `select estado_envio, intentos from mensaje m join ticket t on t.id = m.ticket_id where t.national_id_bidx = $1`,
        [rutIndex(live, nationalId)],
      );
      expect(pending.every((m) => m.estado_envio === 'PENDIENTE' && m.intentos === 0)).toBe(true);

      bot.clearFailures();
      await bot.waitForMessage(chatId, /Ticket Creado/, { timeoutMs: 15_000 });
      // The worker reports to the main thread's registry a moment after the send.
      await eventually(async () => {
        const text = await (await fetch(`${live.url}/metrics`, { headers: { authorization: 'Bearer m' } })).text();
        expect(text).toMatch(/^ticketero_telegram_circuit_open 0$/m);
        expect(text).toMatch(/^ticketero_messages_total\{outcome="sent",template="TOTEM_TICKET_CREADO"\} [1-9]/m);
        expect(text).toMatch(/^ticketero_message_dispatch_lag_seconds_count\{template="TOTEM_TICKET_CREADO"\} [1-9]/m);
      });
    } finally {
      await close();
    }
  }, 90_000);
});
