/**
 * The bot in webhook mode (BOT_MODE=webhook): the fake Bot API POSTs updates to the app's
 * `POST /telegram/webhook` with the secret token header, the way Telegram does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { jobsRunning, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { linkCarlos, openQueues, registerCustomer } from '../support/journey-steps.js';

const SECRET = 's3cret';
let fake: FakeTelegram;
let app: TestApp;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  const port = await freePort();
  app = await startTestApp(
    {
      // The journey's figures follow the seed's formula (the SPEC §13 estimator has its own tests).
      WAIT_ESTIMATOR: 'formula',
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      BOT_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram/webhook`,
      PORT: String(port),
      QUEUE_RECALC_INTERVAL_MS: '300',
    },
    { jobs: true },
  );
  // The app registers its own webhook, with the secret; the fake then delivers updates there.
  await fake.waitUntil(() => fake.calls.some((call) => call.method === 'setWebhook'), { timeoutMs: 10_000 });
  await jobsRunning(app, ['dispatcher', 'queue']);
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`update advisor set status = 'BUSY' where email = 'carlos.rodriguez@banco.com'`);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

function startUpdate(userId: number): string {
  return JSON.stringify({
    update_id: 1,
    message: {
      message_id: 1,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: 'private', first_name: 'Intrusa' },
      from: { id: userId, is_bot: false, first_name: 'Intrusa' },
      text: '/start',
      entities: [{ type: 'bot_command', offset: 0, length: 6 }],
    },
  });
}

describe('the Telegram webhook', () => {
  it('is registered by the app at start, with its secret', () => {
    const [call] = fake.callsOf('setWebhook');
    expect(call!.params).toMatchObject({ url: `${app.url}/telegram/webhook`, secret_token: SECRET });
    expect(fake.webhook).toMatchObject({ url: `${app.url}/telegram/webhook`, secret: SECRET, source: 'api' });
  });

  it('refuses updates without the secret token, or with a wrong one (401)', async () => {
    const intruder = 5_660_001;
    const before = fake.callsOf('sendMessage').length;
    const url = `${app.url}/telegram/webhook`;

    const without = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: startUpdate(intruder) });
    expect(without.status).toBe(401);
    const wrong = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'not-the-secret' },
      body: startUpdate(intruder),
    });
    expect(wrong.status).toBe(401);
    const almost = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': `${SECRET}x` },
      body: startUpdate(intruder),
    });
    expect(almost.status).toBe(401);

    // None of them was handled: a genuine update sent after them is answered, and still nothing for the intruder.
    const control = { id: 5_660_002, first_name: 'Control' };
    const mark = fake.mark();
    fake.sendCommand(control, '/start');
    await fake.waitForMessage(control.id, /./, { since: mark, timeoutMs: 15_000 });
    expect(fake.callsOf('sendMessage').slice(before).filter((c) => c.chatId === intruder)).toEqual([]);
    const rows = await app.db.query(`select 1 from telegram_customer where chat_id = $1`, [intruder]);
    expect(rows).toEqual([]);
  });

  it('does not poll: no getUpdates in webhook mode', () => {
    expect(fake.callsOf('getUpdates')).toEqual([]);
  });

  it('handles the same customer journey as polling', async () => {
    const customer = { id: 5_660_002, first_name: 'Josefa' };
    const carlos = { id: 7_660_001, first_name: 'Carlos' };

    await linkCarlos(app, fake, carlos);
    // The RUT conversation, across several webhook requests: a bad RUT first.
    await registerCustomer(fake, customer);

    let mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    const press = fake.pressButton(customer, queues, { text: /^Caja/ });
    await fake.waitForAnswer(press);

    const created = await fake.waitForMessage(customer.id, /Ticket Creado/, { since: mark });
    expect(created.text).toBe(
      '✅ <b>Ticket Creado</b>\n\nTu número de turno: <b>C01</b>\nPosición en cola: <b>#1</b>\n' +
        'Tiempo estimado: <b>5 minutos</b>\n\nTe notificaremos cuando estés próximo.',
    );
    await fake.waitForMessage(customer.id, /Pronto será tu turno/, { since: mark });

    // The advisor's panel works through the webhook too.
    mark = fake.mark();
    fake.sendCommand(carlos, '/panel');
    const panel = await fake.waitForMessage(carlos.id, /Módulo <b>1<\/b>/, { since: mark });
    fake.pressButton(carlos, panel, { text: /Disponible/ });
    const notice = await fake.waitForMessage(carlos.id, /Nuevo cliente: C01/, { since: mark });
    const turn = await fake.waitForMessage(customer.id, /ES TU TURNO/, { since: mark });
    expect(turn.text).toBe('🔔 <b>¡ES TU TURNO C01!</b>\n\nDirígete al módulo: <b>1</b>\nAsesor: <b>Carlos Rodríguez</b>');
    const done = fake.pressButton(carlos, notice, { text: /Completar/ });
    expect((await fake.waitForAnswer(done)).text).toBe('Listo ✅');
    const [ticket] = await app.db.query<{ status: string }>(`select status from ticket where numero = 'C01'`);
    expect(ticket!.status).toBe('COMPLETADO');

    // Every update went through the webhook, with the secret, and was accepted.
    expect(fake.deliveries.length).toBeGreaterThanOrEqual(10);
    expect(fake.deliveries.every((d) => d.secretSent && d.status === 200)).toBe(true);
    expect(fake.callsOf('getUpdates')).toEqual([]);
  });
});

describe('the Telegram webhook’s body (SPEC §22)', () => {
  const post = (body: string, secret: string | null = SECRET): Promise<Response> =>
    fetch(`${app.url}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}) },
      body,
    });

  it('accepts a 16.7 KB update from Telegram (the kiosk’s 16 KB limit stays for everything else)', async () => {
    const userId = 5_660_101;
    const user = { id: userId, is_bot: false, first_name: 'Larga' };
    const mark = fake.mark();
    // A /start answering a long message: Telegram sends the quoted message whole.
    const update = fake.injectUpdate({
      message: {
        message_id: 2,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: 'private', first_name: 'Larga' },
        from: user,
        text: '/start',
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
        reply_to_message: {
          message_id: 1,
          date: Math.floor(Date.now() / 1000) - 60,
          chat: { id: userId, type: 'private', first_name: 'Larga' },
          from: user,
          text: 'ñ'.repeat(8_200),
        },
      },
    } as never);
    const size = Buffer.byteLength(JSON.stringify(update));
    expect(size).toBeGreaterThan(16_700);
    expect(size).toBeLessThan(17_500);
    const delivery = await fake.waitForDelivery(update, { timeoutMs: 10_000 });
    expect(delivery.status).toBe(200);
    await fake.waitForMessage(userId, /./, { since: mark, timeoutMs: 10_000 });

    // The kiosk (and every other route) still refuses more than 16 KB.
    const kiosk = await fetch(`${app.url}/api/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KIOSK_KEY}` },
      body: JSON.stringify({ nationalId: '12.345.678-5', queueType: 'CAJA', relleno: 'x'.repeat(17_000) }),
    });
    expect(kiosk.status).toBe(413);
  });

  it('refuses more than 1 MB (413) and answers malformed JSON with 400, never 500', async () => {
    const huge = JSON.stringify({ update_id: 9, message: { text: 'x'.repeat(1024 * 1024) } });
    expect((await post(huge)).status).toBe(413);

    for (const body of ['{"update_id":', 'no es json', '[1,2]', 'null']) {
      const answer = await post(body);
      expect(answer.status, body).toBe(400);
      expect(await answer.json()).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { cuerpo: expect.any(String) } });
    }
    // Without the secret it is still 401 whatever the body: nothing is said to a stranger.
    expect((await post('{"update_id":', null)).status).toBe(401);
    expect((await post('{"update_id":', 'not-the-secret')).status).toBe(401);
  });
});
