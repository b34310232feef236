/**
 * The chats' "Mi turno" messages (issue 17 item 3): planned by the status-messages job, edited by
 * the dispatcher under its rate cap, circuit breaker and retry rules (SPEC §15), against the fake
 * Bot API over real HTTP. Driven by hand on a ManualClock shared by the dispatcher and its breaker.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { planStatusMessages } from '../../src/bot/status-refresher.js';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { texts } from '../../src/bot/texts.js';
import { ManualClock } from '../../src/clock.js';
import { TelegramCircuit } from '../../src/modules/notifications/circuit-breaker.js';
import { MessageDispatcher, RateLimiter } from '../../src/modules/notifications/dispatcher.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';

const BRANCH = 'Sucursal Mi Turno';
const clock = new ManualClock(new Date('2026-06-03T15:00:00Z'));
let app: TestApp;
let fake: FakeTelegram;
let people = 0;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  app = await startTestApp({}, { clock });
  await seedBranch(app.db, BRANCH, [{ name: 'Ana', module: 1, queues: ['CAJA'], status: 'BUSY' }]);
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});
beforeEach(() => {
  fake.clearFailures();
  fake.setRateLimit(null);
});

function dispatcher() {
  const sender = createTelegramSender(fake.token, fake.apiRoot);
  const circuit = new TelegramCircuit({ clock, logger: app.logger, probe: () => sender.probe!(), probeIntervalMs: 5000 });
  const dispatch = new MessageDispatcher({
    db: app.sql,
    clock,
    logger: app.logger,
    sender,
    circuit,
    limiter: new RateLimiter(1000),
    concurrency: 2,
    statusMessages: app.services.statusMessages,
  });
  return { dispatch, circuit, sender };
}

const plan = () => planStatusMessages(app.services);

/** A kiosk ticket and a chat whose "Mi turno" message (sent by the bot) shows its status now. */
async function follower(): Promise<{ chatId: number; messageId: number; codigo: string }> {
  people += 1;
  const chatId = 7_300_000 + people;
  fake.knowUser({ id: chatId, first_name: `Cliente${people}` });
  const { status, body } = await app.postTicket({ nationalId: rut(9500 + people), queueType: 'CAJA', branchOffice: BRANCH });
  expect(status).toBe(201);
  const codigo = String(body.identificador);
  const ticket = await app.services.tickets.getByCodigo(codigo);
  const ticketId = await app.services.tickets.idOf(codigo);
  const sent = await createTelegramSender(fake.token, fake.apiRoot).send(chatId, texts.status(ticket));
  if (!sent.ok) throw new Error(sent.description);
  await app.services.statusMessages.save(chatId, sent.messageId, ticketId, texts.status(ticket));
  return { chatId, messageId: sent.messageId, codigo };
}

/** Someone ahead gives up: every later "Mi turno" in the line should change. */
async function lineMoves(codigo: string): Promise<void> {
  await app.services.tickets.cancel(codigo, { actor: 'SYSTEM' });
}

const row = async (chatId: number) =>
  (
    await app.db.query<{ last_text: string; pending_text: string | null; esperas: number }>(
      `select last_text, pending_text, esperas from telegram_status_message where chat_id = $1`,
      [chatId],
    )
  )[0];

describe('the "Mi turno" edits', () => {
  it('are planned by the job (no Telegram call) and made by the dispatcher; "not modified" counts as done', async () => {
    const { dispatch } = dispatcher();
    const ahead = await follower();
    const me = await follower();
    const calls = fake.mark();
    await lineMoves(ahead.codigo);
    const planned = await plan();
    expect(planned.planned).toBeGreaterThanOrEqual(1);
    expect(fake.calls.filter((c) => c.seq > calls)).toEqual([]);
    const expected = texts.status(await app.services.tickets.getByCodigo(me.codigo));
    expect((await row(me.chatId))?.pending_text).toBe(expected);

    const result = await dispatch.dispatchDue();
    expect(result.statusEdits).toMatchObject({ retried: 0, forgotten: 0 });
    expect(fake.currentText(me.chatId, me.messageId)).toBeDefined();
    expect(await row(me.chatId)).toMatchObject({ last_text: expected, pending_text: null });

    // The same text planned again (say, after a restart): Telegram's "not modified" is success.
    await app.services.statusMessages.plan(me, expected);
    await dispatch.dispatchDue();
    expect(fake.callsOf('editMessageText').at(-1)?.status).toBe(400);
    expect(await row(me.chatId)).toMatchObject({ last_text: expected, pending_text: null });
  });

  it('keeps the status through a 502 outage (circuit open, nothing forgotten), then shows the newest status', async () => {
    const { dispatch, circuit } = dispatcher();
    const first = await follower();
    const second = await follower();
    const me = await follower();
    fake.failAlways('editMessageText', { status: 502, description: 'Bad Gateway' });
    fake.failAlways('getMe', { timeoutMs: 50, then: 'hangup' });

    await lineMoves(first.codigo);
    await plan();
    const held = await dispatch.dispatchDue();
    expect(circuit.isOpen).toBe(true);
    expect(held.statusEdits?.held).toBeGreaterThanOrEqual(1);
    expect(held.statusEdits?.forgotten).toBe(0);
    // Down for a while; the line keeps moving, the plan follows it, nothing is forgotten.
    for (let i = 0; i < 4; i++) {
      clock.advance(6000);
      await plan();
      await dispatch.dispatchDue();
    }
    await lineMoves(second.codigo);
    await plan();
    clock.advance(6000);
    await dispatch.dispatchDue();
    expect(await row(me.chatId)).toMatchObject({ pending_text: expect.stringContaining('Posición en cola') });

    // Telegram is back: the next probe closes the circuit and the newest status goes out.
    fake.clearFailures();
    clock.advance(6000);
    const after = await dispatch.dispatchDue();
    expect(circuit.isOpen).toBe(false);
    expect(after.statusEdits?.edited).toBeGreaterThanOrEqual(1);
    const now = texts.status(await app.services.tickets.getByCodigo(me.codigo));
    expect(await row(me.chatId)).toMatchObject({ last_text: now, pending_text: null });
    expect(fake.message(me.chatId, me.messageId)).toBeDefined();
    expect(fake.callsOf('editMessageText').filter((c) => c.chatId === me.chatId && c.status === 200).at(-1)?.params.text).toBe(now);
  });

  it("retries one chat's 502 later with a backoff (Telegram answers getMe), without forgetting it", async () => {
    const { dispatch, circuit } = dispatcher();
    const ahead = await follower();
    const me = await follower();
    fake.failNext('editMessageText', 1, { status: 502, description: 'Bad Gateway' }, { chatId: me.chatId });
    await lineMoves(ahead.codigo);
    await plan();
    const first = await dispatch.dispatchDue();
    expect(circuit.isOpen).toBe(false);
    expect(first.statusEdits?.retried).toBe(1);
    expect(await row(me.chatId)).toMatchObject({ esperas: 1, pending_text: expect.any(String) });
    // Not before its wait.
    expect((await dispatch.dispatchDue()).statusEdits?.edited).toBe(0);
    clock.advance(31_000);
    expect((await dispatch.dispatchDue()).statusEdits?.edited).toBe(1);
    expect(await row(me.chatId)).toMatchObject({ esperas: 0, pending_text: null });
  });

  it('waits out a 429 (retry_after) without forgetting the message', async () => {
    const { dispatch } = dispatcher();
    const ahead = await follower();
    const me = await follower();
    fake.failNext('editMessageText', 1, { status: 429, description: 'Too Many Requests: retry after 3', retryAfter: 3 }, { chatId: me.chatId });
    await lineMoves(ahead.codigo);
    await plan();
    const throttled = await dispatch.dispatchDue();
    expect(throttled.statusEdits?.retried).toBe(1);
    expect(await row(me.chatId)).toMatchObject({ esperas: 0, pending_text: expect.any(String) });
    const mark = fake.mark();
    clock.advance(2000);
    await dispatch.dispatchDue();
    expect(fake.callsOf('editMessageText').filter((c) => c.seq > mark)).toEqual([]);
    clock.advance(1500);
    expect((await dispatch.dispatchDue()).statusEdits?.edited).toBe(1);
    expect(await row(me.chatId)).toMatchObject({ pending_text: null });
  });

  it('forgets a message Telegram says is gone (deleted, or the bot blocked: 403)', async () => {
    const { dispatch } = dispatcher();
    const ahead = await follower();
    const deleted = await follower();
    const blocked = await follower();
    fake.failNext('editMessageText', 1, { status: 400, description: 'Bad Request: message to edit not found' }, { chatId: deleted.chatId });
    fake.failNext('editMessageText', 1, { status: 403, description: 'Forbidden: bot was blocked by the user' }, { chatId: blocked.chatId });
    await lineMoves(ahead.codigo);
    await plan();
    const result = await dispatch.dispatchDue();
    expect(result.statusEdits?.forgotten).toBe(2);
    expect(await row(deleted.chatId)).toBeUndefined();
    expect(await row(blocked.chatId)).toBeUndefined();
  });
});
