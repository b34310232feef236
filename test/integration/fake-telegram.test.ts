/**
 * Tests the fake Telegram Bot API itself, by driving it with real grammY bots over real HTTP:
 * @grammyjs/runner long polling, bot.start(), webhooks, and a @grammyjs/conversations v2
 * conversation (whose internal Api must reach the fake too).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { conversations, createConversation, type Conversation, type ConversationFlavor } from '@grammyjs/conversations';
import { run, sequentialize, type RunnerHandle } from '@grammyjs/runner';
import { Api, Bot, type Context, GrammyError, HttpError, InlineKeyboard, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegram, parseTelegramHtml, type FakeUser } from '../support/fake-telegram.js';

const ana: FakeUser = { id: 5_100_001, first_name: 'Ana', username: 'ana_cl' };
const beto: FakeUser = { id: 5_100_002, first_name: 'Beto' };

let fake: FakeTelegram;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  fake = await FakeTelegram.start();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await fake.stop();
});

function newBot<C extends Context = Context>(options: { canUseWebhookReply?: (method: string) => boolean } = {}): Bot<C> {
  return new Bot<C>(fake.token, { client: { apiRoot: fake.apiRoot, ...options } });
}

/** Starts the runner and registers its stop for the end of the test. */
function runBot<C extends Context>(bot: Bot<C>): RunnerHandle {
  const handle = run(bot, { runner: { silent: true } });
  cleanups.push(async () => {
    if (handle.isRunning()) await handle.stop();
  });
  return handle;
}

function api(options: { timeoutSeconds?: number } = {}): Api {
  return new Api(fake.token, { apiRoot: fake.apiRoot, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

async function grammyError(promise: Promise<unknown>): Promise<GrammyError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(GrammyError);
  return error as GrammyError;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('FakeTelegram: Bot API basics', () => {
  it('answers getMe and the command methods, and rejects a wrong token, unknown methods and bad JSON', async () => {
    const bot = newBot();
    await bot.init();
    expect(bot.botInfo).toMatchObject({ is_bot: true, username: 'ticketero_test_bot', id: 123456789 });

    await bot.api.setMyCommands([
      { command: 'start', description: 'Comenzar' },
      { command: 'ayuda', description: 'Ayuda' },
    ]);
    await bot.api.setMyCommands([{ command: 'panel', description: 'Panel' }], { scope: { type: 'chat', chat_id: ana.id } });
    expect(await bot.api.getMyCommands()).toEqual([
      { command: 'start', description: 'Comenzar' },
      { command: 'ayuda', description: 'Ayuda' },
    ]);
    expect(fake.commands({ type: 'chat', chat_id: ana.id })).toEqual([{ command: 'panel', description: 'Panel' }]);
    const badCommand = await grammyError(bot.api.setMyCommands([{ command: 'Mi-Turno', description: 'x' }]));
    expect(badCommand.error_code).toBe(400);
    expect(badCommand.description).toBe('Bad Request: BOT_COMMAND_INVALID');

    const stranger = new Bot('42:not-the-token', { client: { apiRoot: fake.apiRoot } });
    expect((await grammyError(stranger.api.getMe())).error_code).toBe(401);

    const unknown = await fetch(`${fake.apiRoot}/bot${fake.token}/sendRocket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ ok: false, error_code: 404, description: 'Not Found: method not found' });

    const malformed = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"chat_id": 1, "text": ',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ ok: false, error_code: 400 });

    // Method names are case-insensitive and form bodies work, as on Telegram.
    const form = await fetch(`${fake.apiRoot}/bot${fake.token}/SENDMESSAGE`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ chat_id: String(ana.id), text: 'por formulario', reply_markup: '{"remove_keyboard":true}' }),
    });
    expect(form.status).toBe(200);
    expect(fake.lastMessageTo(ana.id)).toMatchObject({ text: 'por formulario', reply_markup: { remove_keyboard: true } });
  });

  it('parses HTML like Telegram and rejects what Telegram rejects', async () => {
    const a = api();
    const ok = await a.sendMessage(ana.id, '<b>Turno C01</b> &amp; módulo <i>3</i> — <a href="https://banco.cl">ver</a> 5 &lt; 6', {
      parse_mode: 'HTML',
    });
    expect(ok.text).toBe('Turno C01 & módulo 3 — ver 5 < 6');
    expect(ok.entities).toEqual([
      { type: 'bold', offset: 0, length: 9 },
      { type: 'italic', offset: 19, length: 1 },
      { type: 'text_link', offset: 23, length: 3, url: 'https://banco.cl' },
    ]);
    const sent = fake.lastMessageTo(ana.id)!;
    expect(sent.text).toContain('<b>Turno C01</b>');
    expect(sent.plainText).toBe('Turno C01 & módulo 3 — ver 5 < 6');
    expect(sent.parse_mode).toBe('HTML');

    const cases: [string, RegExp][] = [
      ['<b>sin cerrar', /can't parse entities: Can't find end tag corresponding to start tag "b"/],
      ['<b>cruzado</i>', /Unmatched end tag at byte offset 10, expected "<\/b>", found "<\/i>"/],
      ['línea<br>otra', /Unsupported start tag "br" at byte offset 6/],
      ['5 < 6', /Unsupported start tag "" at byte offset 2/],
      ['fin </b>', /Unexpected end tag at byte offset 4/],
      ['<span>x</span>', /Tag "span" must have class "tg-spoiler"/],
    ];
    for (const [text, expected] of cases) {
      const error = await grammyError(a.sendMessage(ana.id, text, { parse_mode: 'HTML' }));
      expect(error.error_code).toBe(400);
      expect(error.description).toMatch(/^Bad Request: can't parse entities: /);
      expect(error.description).toMatch(expected);
    }
    // Without parse_mode the same text is fine.
    await a.sendMessage(ana.id, '<b>sin cerrar');
    expect(parseTelegramHtml('<pre><code class="language-ts">x</code></pre>').entities).toEqual([
      { type: 'pre', offset: 0, length: 1, language: 'ts' },
    ]);
    expect((await grammyError(a.sendMessage(ana.id, ''))).description).toBe('Bad Request: message text is empty');
    expect((await grammyError(a.sendMessage(ana.id, 'x'.repeat(4097)))).description).toBe('Bad Request: message is too long');
    const longData = await grammyError(
      a.sendMessage(ana.id, 'botones', { reply_markup: new InlineKeyboard().text('x', 'd'.repeat(65)) }),
    );
    expect(longData.description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });

  it('edits and deletes with Telegram\'s errors, and message ids shared per chat', async () => {
    const a = api();
    const first = await a.sendMessage(ana.id, 'Posición 3', { reply_markup: new InlineKeyboard().text('Cancelar', 'cancel') });
    const other = await a.sendMessage(beto.id, 'Hola Beto');
    expect(first.message_id).toBe(1);
    expect(other.message_id).toBe(1);
    const userUpdate = fake.sendText(ana, 'hola');
    expect(userUpdate.message?.message_id).toBe(2);
    expect((await a.sendMessage(ana.id, 'siguiente')).message_id).toBe(3);

    const notModified = await grammyError(
      a.editMessageText(ana.id, first.message_id, 'Posición 3', { reply_markup: new InlineKeyboard().text('Cancelar', 'cancel') }),
    );
    expect(notModified.description).toMatch(/^Bad Request: message is not modified/);

    // An edit without reply_markup drops the inline keyboard, as on Telegram.
    const edited = await a.editMessageText(ana.id, first.message_id, 'Posición <b>2</b>', { parse_mode: 'HTML' });
    expect(edited).toMatchObject({ text: 'Posición 2', message_id: 1 });
    expect(edited).not.toHaveProperty('reply_markup');
    const record = fake.messagesTo(ana.id)[0]!;
    expect(record).toMatchObject({ text: 'Posición 3', currentText: 'Posición <b>2</b>', currentPlainText: 'Posición 2' });
    expect(record.currentReplyMarkup).toBeUndefined();
    expect(record.edits).toHaveLength(1);
    expect(fake.currentText(ana.id, first.message_id)).toBe('Posición <b>2</b>');
    expect(fake.message(ana.id, first.message_id)?.edit_date).toBeTypeOf('number');

    await a.editMessageReplyMarkup(ana.id, first.message_id, { reply_markup: new InlineKeyboard().text('Ok', 'ok') });
    expect(fake.buttons(record)).toEqual([{ text: 'Ok', callback_data: 'ok' }]);

    expect((await grammyError(a.editMessageText(ana.id, 99, 'x'))).description).toBe('Bad Request: message to edit not found');
    expect((await grammyError(a.editMessageText(ana.id, 2, 'x'))).description).toBe("Bad Request: message can't be edited");
    expect(await a.deleteMessage(ana.id, first.message_id)).toBe(true);
    expect(record.deleted).toBe(true);
    expect((await grammyError(a.deleteMessage(ana.id, first.message_id))).description).toBe(
      'Bad Request: message to delete not found',
    );
    expect((await grammyError(a.editMessageText(ana.id, first.message_id, 'y'))).description).toBe(
      'Bad Request: message to edit not found',
    );
    expect(await a.sendChatAction(ana.id, 'typing')).toBe(true);
  });

  it('with strictChats, a chat that never wrote to the bot is "chat not found"', async () => {
    const strict = await FakeTelegram.start({ strictChats: true, token: '777:strict-token', botUsername: 'estricto_bot' });
    cleanups.push(() => strict.stop());
    const a = new Api(strict.token, { apiRoot: strict.apiRoot });
    expect((await a.getMe()).username).toBe('estricto_bot');
    expect((await grammyError(a.sendMessage(ana.id, 'hola'))).description).toBe('Bad Request: chat not found');
    strict.sendCommand(ana, '/start');
    expect((await a.sendMessage(ana.id, 'hola')).chat).toMatchObject({ id: ana.id, type: 'private', first_name: 'Ana' });
  });
});

describe('FakeTelegram: long polling', () => {
  it('holds getUpdates for `timeout`, honours offset and limit, and confirmed updates never come back', async () => {
    const a = api();
    const started = Date.now();
    expect(await a.getUpdates({ timeout: 1 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const u1 = fake.sendText(ana, 'uno');
    const u2 = fake.sendText(ana, 'dos');
    const u3 = fake.sendText(beto, 'tres');
    expect(u2.update_id).toBe(u1.update_id + 1);
    expect((await a.getUpdates({ limit: 2 })).map((u) => u.update_id)).toEqual([u1.update_id, u2.update_id]);
    // Not confirmed yet: asked again, they come again.
    expect((await a.getUpdates({ limit: 1 })).map((u) => u.update_id)).toEqual([u1.update_id]);
    expect((await a.getUpdates({ offset: u2.update_id + 1 })).map((u) => u.update_id)).toEqual([u3.update_id]);
    expect((await a.getUpdates({ offset: u1.update_id })).map((u) => u.update_id)).toEqual([u3.update_id]);
    expect(await a.getUpdates({ offset: u3.update_id + 1 })).toEqual([]);

    // A held poll returns as soon as an update is injected.
    const held = a.getUpdates({ offset: u3.update_id + 1, timeout: 10 });
    await fake.waitFor((c) => c.method === 'getUpdates' && c.status === undefined);
    const t0 = Date.now();
    const u4 = fake.sendContact(beto, '+56912345678');
    expect((await held).map((u) => u.update_id)).toEqual([u4.update_id]);
    expect(Date.now() - t0).toBeLessThan(500);

    // A negative offset keeps only the last |offset| updates.
    fake.sendText(ana, 'a');
    const last = fake.sendText(ana, 'b');
    expect((await a.getUpdates({ offset: -1 })).map((u) => u.update_id)).toEqual([last.update_id]);
    expect(fake.pendingUpdates().map((u) => u.update_id)).toEqual([last.update_id]);
  });

  it('answers 409 to the older of two concurrent polls, and a poll whose client left does not swallow updates', async () => {
    const first = api();
    const second = api();
    const p1 = first.getUpdates({ timeout: 10 });
    await fake.waitFor((c) => c.method === 'getUpdates' && c.status === undefined);
    const p2 = second.getUpdates({ timeout: 10 });
    const conflict = await grammyError(p1);
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toBe(
      'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
    );
    const update = fake.sendText(ana, 'solo una vez');
    expect((await p2).map((u) => u.update_id)).toEqual([update.update_id]);

    // The client aborts its long poll; the update injected afterwards waits for the next poll.
    const controller = new AbortController();
    const aborted = first.getUpdates(
      { offset: update.update_id + 1, timeout: 10 },
      // grammY types its signal with the abort-controller shim; Node's is what it uses at runtime.
      controller.signal as Parameters<Api['getUpdates']>[1],
    );
    const pending = await fake.waitFor((c) => c.method === 'getUpdates' && c.status === undefined, { since: fake.mark() - 1 });
    controller.abort();
    expect(await rejection(aborted)).toBeInstanceOf(HttpError);
    await fake.waitFor((c) => c.seq === pending.seq && c.status === 0);
    const later = fake.sendText(ana, 'después');
    expect((await second.getUpdates({ offset: update.update_id + 1 })).map((u) => u.update_id)).toEqual([later.update_id]);
  });

  it('runner: echoes, /start with a deep-link payload, contact, sticker, photo, edits — each update once', async () => {
    const bot = newBot();
    const seen: number[] = [];
    bot.use(async (ctx, next) => {
      seen.push(ctx.update.update_id);
      await next();
    });
    bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
    bot.command('start', (ctx) => ctx.reply(`Hola ${ctx.from?.first_name}, payload=${ctx.match || '-'}`));
    bot.on('message:contact', (ctx) =>
      ctx.reply(`Teléfono ${ctx.msg.contact.phone_number}, propio=${ctx.msg.contact.user_id === ctx.from.id}`),
    );
    bot.on('message:sticker', (ctx) => ctx.reply(`Sticker ${ctx.msg.sticker.emoji ?? ''} no entiendo`));
    bot.on('message:photo', (ctx) => ctx.reply(`Foto de ${ctx.msg.photo.length} tamaños: ${ctx.msg.caption ?? ''}`));
    bot.on('edited_message:text', (ctx) => ctx.reply(`Editaste: ${ctx.editedMessage.text}`));
    bot.on('message:text', async (ctx) => {
      await ctx.replyWithChatAction('typing');
      await ctx.reply(`Eco: ${ctx.msg.text}`, { reply_parameters: { message_id: ctx.msg.message_id } });
    });
    runBot(bot);

    fake.sendCommand(ana, '/start', 'tkt_abc123');
    expect((await fake.waitForMessage(ana.id, 'payload=tkt_abc123')).text).toBe('Hola Ana, payload=tkt_abc123');
    fake.sendCommand(beto, '/start');
    await fake.waitForMessage(beto.id, 'Hola Beto, payload=-');

    const hola = fake.sendText(ana, 'hola');
    const echo = await fake.waitForMessage(ana.id, 'Eco: hola');
    expect(echo.message_id).toBeGreaterThan(hola.message!.message_id);
    expect(fake.callsOf('sendChatAction').some((c) => c.chatId === ana.id)).toBe(true);

    fake.sendContact(ana, '+56 9 1234 5678');
    await fake.waitForMessage(ana.id, 'Teléfono +56 9 1234 5678, propio=true');
    fake.sendContact(beto, '+56 2 2222 2222', { ownContact: false, firstName: 'Mamá' });
    await fake.waitForMessage(beto.id, 'propio=false');
    fake.sendSticker(ana);
    await fake.waitForMessage(ana.id, /Sticker 👍/);
    fake.sendPhoto(beto, 'mi carnet');
    await fake.waitForMessage(beto.id, 'Foto de 3 tamaños: mi carnet');
    fake.editText(ana, hola.message!.message_id, 'hola editado');
    await fake.waitForMessage(ana.id, 'Editaste: hola editado');
    expect(() => fake.editText(ana, echo.message_id, 'no es mío')).toThrow(/has no message/);

    const polls = fake.callsOf('getUpdates');
    expect(polls[0]?.params).toMatchObject({ timeout: 30 });
    expect(fake.callsOf('getMe')).toHaveLength(1);
    // Every update handled exactly once, and confirmed by a later offset.
    await fake.waitFor((c) => c.method === 'getUpdates' && Number(c.params.offset) > fake.updates.at(-1)!.update_id);
    expect([...seen].sort()).toEqual(fake.updates.map((u) => u.update_id).sort());
    expect(fake.pendingUpdates()).toEqual([]);
  });

  it('two runners with one token: the older poll gets 409 (the runner stops), the other gets every update once', async () => {
    const handled = new Map<number, string>();
    const make = (name: string): Bot => {
      const bot = newBot();
      bot.on('message', (ctx) => {
        if (handled.has(ctx.update.update_id)) throw new Error(`update ${ctx.update.update_id} handled twice`);
        handled.set(ctx.update.update_id, name);
      });
      return bot;
    };
    const first = runBot(make('first'));
    await fake.waitFor((c) => c.method === 'getUpdates' && c.status === undefined);
    const second = runBot(make('second'));
    const firstError = await rejection(first.task()!);
    expect(firstError).toBeInstanceOf(GrammyError);
    expect((firstError as GrammyError).error_code).toBe(409);
    const updates: Update[] = [];
    for (let i = 0; i < 20; i += 1) updates.push(fake.sendText(i % 2 === 0 ? ana : beto, `m${i}`));
    await fake.waitUntil(() => handled.size === 20);
    expect([...handled.keys()].sort()).toEqual(updates.map((u) => u.update_id).sort());
    expect(new Set(handled.values())).toEqual(new Set(['second']));
    expect(second.isRunning()).toBe(true);
  });

  it('bot.start(): deleteWebhook, 30 s long polls, and bot.stop() ends the poll and confirms the offset', async () => {
    const bot = newBot();
    bot.on('message:text', (ctx) => ctx.reply(`Eco: ${ctx.msg.text}`));
    let onStart!: () => void;
    const startedPolling = new Promise<void>((resolve) => (onStart = resolve));
    const polling = bot.start({ onStart });
    cleanups.push(async () => {
      if (bot.isRunning()) await bot.stop();
    });
    await startedPolling;
    const u1 = fake.sendText(ana, 'uno');
    await fake.waitForMessage(ana.id, 'Eco: uno');
    const u2 = fake.sendText(beto, 'dos');
    await fake.waitForMessage(beto.id, 'Eco: dos');
    await fake.waitFor((c) => c.method === 'getUpdates' && c.status === undefined && Number(c.params.offset) === u2.update_id + 1);

    const t0 = Date.now();
    await bot.stop();
    await polling;
    expect(Date.now() - t0).toBeLessThan(1000);

    const methods = fake.calls.map((c) => c.method);
    expect(methods.indexOf('deleteWebhook')).toBeLessThan(methods.indexOf('getUpdates'));
    expect(fake.callsOf('getUpdates')[0]?.params).toMatchObject({ timeout: 30 });
    const last = fake.callsOf('getUpdates').at(-1)!;
    expect(last.params).toMatchObject({ offset: u2.update_id + 1, limit: 1 });
    expect(last.status).toBe(200);
    expect(u1.update_id).toBeLessThan(u2.update_id);
    expect(fake.pendingUpdates()).toEqual([]);
  });
});

describe('FakeTelegram: callback buttons', () => {
  it('presses a button on the bot message: answerCallbackQuery, editMessageText; stale, forged and repeated presses', async () => {
    const bot = newBot();
    bot.command('menu', (ctx) =>
      ctx.reply('<b>Elige</b> una fila', {
        parse_mode: 'HTML',
        reply_markup: new InlineKeyboard().text('Caja', 'q:CAJA').text('Empresas', 'q:EMPRESAS').row().url('Web', 'https://banco.cl'),
      }),
    );
    bot.callbackQuery(/^q:(CAJA|EMPRESAS)$/, async (ctx) => {
      await ctx.answerCallbackQuery({ text: `Fila ${ctx.match[1]}` });
      await ctx.editMessageText(`Elegiste <i>${ctx.match[1]}</i>`, { parse_mode: 'HTML' });
    });
    bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: 'Opción no válida', show_alert: true }));
    runBot(bot);

    fake.sendCommand(ana, '/menu');
    const menu = await fake.waitForMessage(ana.id, 'Elige una fila');
    expect(menu.entities).toEqual([{ type: 'bold', offset: 0, length: 5 }]);
    expect(fake.buttons(menu)).toEqual([
      { text: 'Caja', callback_data: 'q:CAJA' },
      { text: 'Empresas', callback_data: 'q:EMPRESAS' },
      { text: 'Web', url: 'https://banco.cl' },
    ]);

    const press = fake.pressButton(ana, menu, 'q:CAJA');
    expect(press.callback_query).toMatchObject({ from: { id: ana.id }, data: 'q:CAJA', message: { message_id: menu.message_id } });
    expect(await fake.waitForAnswer(press)).toMatchObject({ text: 'Fila CAJA' });
    const edited = await fake.waitForEdit(ana.id, menu.message_id, 'Elegiste CAJA');
    expect(edited.currentText).toBe('Elegiste <i>CAJA</i>');
    expect(edited.currentReplyMarkup).toBeUndefined();

    // The keyboard is gone: a normal press is a test mistake; a stale client can still send it.
    expect(() => fake.pressButton(ana, menu, 'q:EMPRESAS')).toThrow(/no button with callback_data "q:EMPRESAS"/);
    const stale = fake.pressButton(ana, menu, 'q:EMPRESAS', { unchecked: true });
    await fake.waitForAnswer(stale);
    await fake.waitForEdit(ana.id, menu.message_id, 'Elegiste EMPRESAS');
    const forged = fake.pressButton(beto, menu, 'admin:borrar', { unchecked: true });
    expect(forged.callback_query?.from.id).toBe(beto.id);
    expect(await fake.waitForAnswer(forged)).toMatchObject({ text: 'Opción no válida', show_alert: true });

    // By label, on a fresh menu addressed by message_id.
    fake.sendCommand(ana, '/menu');
    const again = await fake.waitForMessage(ana.id, 'Elige', { since: menu.seq });
    const byLabel = fake.pressButton(ana, again.message_id, { text: /^Empresas$/ });
    expect(byLabel.callback_query?.data).toBe('q:EMPRESAS');
    await fake.waitForAnswer(byLabel);

    // A query can be answered once.
    const twice = await grammyError(bot.api.answerCallbackQuery(press.callback_query!.id));
    expect(twice.description).toBe('Bad Request: query is too old and response timeout expired or query ID is invalid');
  });
});

describe('FakeTelegram: conversations v2', () => {
  type BotContext = ConversationFlavor<Context>;

  async function registro(conversation: Conversation<BotContext, Context>, ctx: Context): Promise<void> {
    await ctx.reply('¿Cómo te llamas?');
    const name = await conversation.waitFor('message:text', {
      otherwise: (other) => other.reply('Escribe tu nombre con texto, por favor.'),
    });
    await ctx.reply(`Hola ${name.msg.text}. ¿En qué comuna vives?`);
    const comuna = await conversation.waitFor('message:text');
    await ctx.reply(`Listo: <b>${name.msg.text}</b> de ${comuna.msg.text}`, { parse_mode: 'HTML' });
  }

  it('runs a two-step conversation whose internal Api calls reach the fake (failures included)', async () => {
    const bot = newBot<BotContext>();
    const errors: unknown[] = [];
    bot.catch((err) => {
      errors.push(err.error);
    });
    bot.use(sequentialize((ctx: Context) => ctx.chat?.id.toString()));
    bot.use(conversations());
    bot.use(createConversation(registro, 'registro'));
    bot.command('registro', (ctx) => ctx.conversation.enter('registro'));
    bot.on('message', (ctx) => ctx.reply('Fuera de la conversación'));
    runBot(bot);

    fake.sendCommand(ana, '/registro');
    await fake.waitForMessage(ana.id, '¿Cómo te llamas?');
    fake.sendSticker(ana);
    await fake.waitForMessage(ana.id, 'Escribe tu nombre con texto');
    fake.sendText(ana, 'Ana');
    await fake.waitForMessage(ana.id, 'Hola Ana. ¿En qué comuna vives?');
    fake.sendText(ana, 'Ñuñoa');
    const done = await fake.waitForMessage(ana.id, 'Listo: Ana de Ñuñoa');
    expect(done.text).toBe('Listo: <b>Ana</b> de Ñuñoa');
    fake.sendText(ana, 'otra cosa');
    await fake.waitForMessage(ana.id, 'Fuera de la conversación');
    expect(fake.messagesTo(ana.id).map((m) => m.plainText)).toEqual([
      '¿Cómo te llamas?',
      'Escribe tu nombre con texto, por favor.',
      'Hola Ana. ¿En qué comuna vives?',
      'Listo: Ana de Ñuñoa',
      'Fuera de la conversación',
    ]);

    // An injected failure hits the reply made from inside the conversation.
    fake.sendCommand(beto, '/registro');
    await fake.waitForMessage(beto.id, '¿Cómo te llamas?');
    fake.failNext('sendMessage', 1, { status: 403, description: 'Forbidden: bot was blocked by the user' }, { chatId: beto.id });
    fake.sendText(beto, 'Beto');
    const failed = await fake.waitForCall('sendMessage', (c) => c.chatId === beto.id && c.status === 403);
    expect(failed.failure).toMatchObject({ status: 403 });
    await fake.waitUntil(() => errors.length > 0);
    expect(errors[0]).toBeInstanceOf(GrammyError);
    expect((errors[0] as GrammyError).description).toBe('Forbidden: bot was blocked by the user');
  });
});

describe('FakeTelegram: failure injection and rates', () => {
  it('fails the next calls with 500, 429 retry_after, 403/400 for one chat, raw 502 pages, and until cleared', async () => {
    const a = api();
    fake.failNext('sendMessage', 1, { status: 500 });
    const e500 = await grammyError(a.sendMessage(ana.id, 'uno'));
    expect(e500).toMatchObject({ error_code: 500, description: 'Internal Server Error' });
    await a.sendMessage(ana.id, 'uno');
    expect(fake.messagesTo(ana.id).map((m) => m.text)).toEqual(['uno']);

    fake.failNext('sendMessage', 1, { status: 429, retryAfter: 7 });
    const e429 = await grammyError(a.sendMessage(ana.id, 'dos'));
    expect(e429.description).toBe('Too Many Requests: retry after 7');
    expect(e429.parameters.retry_after).toBe(7);

    fake.failNext('sendMessage', 2, { status: 403, description: 'Forbidden: bot was blocked by the user' }, { chatId: beto.id });
    await a.sendMessage(ana.id, 'para Ana');
    expect((await grammyError(a.sendMessage(beto.id, 'x'))).error_code).toBe(403);
    expect((await grammyError(a.sendMessage(String(beto.id), 'x'))).description).toBe('Forbidden: bot was blocked by the user');
    await a.sendMessage(beto.id, 'ahora sí');

    fake.failNext('sendMessage', 1, { status: 400, description: 'Bad Request: chat not found' });
    expect((await grammyError(a.sendMessage(ana.id, 'x'))).description).toBe('Bad Request: chat not found');

    fake.failNext('*', 1, { status: 502, body: '<html><body>502 Bad Gateway</body></html>' });
    expect(await rejection(a.getMe())).toBeInstanceOf(HttpError);

    const clear = fake.failAlways('editMessageText', { status: 500 });
    const msg = await a.sendMessage(ana.id, 'Posición 5');
    for (let i = 0; i < 3; i += 1) {
      expect((await grammyError(a.editMessageText(ana.id, msg.message_id, `Posición ${4 - i}`))).error_code).toBe(500);
    }
    clear();
    await a.editMessageText(ana.id, msg.message_id, 'Posición 1');
    fake.failAlways('sendMessage', { status: 500 });
    fake.clearFailures('sendmessage');
    await a.sendMessage(ana.id, 'limpio');

    const failedCalls = fake.calls.filter((c) => c.failure !== undefined);
    expect(failedCalls.map((c) => c.status)).toEqual([500, 429, 403, 403, 400, 502, 500, 500, 500]);
  });

  it('hangs a request: dropped without effect, or done late after the client gave up', async () => {
    fake.failNext('sendMessage', 1, { timeoutMs: 300 });
    const t0 = Date.now();
    expect(await rejection(api().sendMessage(ana.id, 'colgado'))).toBeInstanceOf(HttpError);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(fake.sent).toEqual([]);
    expect(fake.callsOf('sendMessage')[0]?.status).toBe(0);

    fake.failNext('sendMessage', 1, { timeoutMs: 400, then: 'process' });
    const impatient = api({ timeoutSeconds: 0.1 });
    const error = await rejection(impatient.sendMessage(ana.id, 'tarde pero llegó'));
    expect(error).toBeInstanceOf(HttpError);
    expect(String((error as HttpError).error)).toMatch(/timed out after 0.1 seconds/);
    const late = await fake.waitForMessage(ana.id, 'tarde pero llegó');
    expect(late.at - t0).toBeGreaterThanOrEqual(300);
  });

  it('the runner survives failed polls and recovers', async () => {
    fake.failNext('getUpdates', 2, { status: 500 });
    const bot = newBot();
    bot.on('message:text', (ctx) => ctx.reply(`Eco: ${ctx.msg.text}`));
    runBot(bot);
    fake.sendText(ana, 'tras el fallo');
    await fake.waitForMessage(ana.id, 'Eco: tras el fallo');
    expect(fake.callsOf('getUpdates').slice(0, 2).map((c) => c.status)).toEqual([500, 500]);
  });

  it('counts the send rate, and can emulate Telegram flood control', async () => {
    const a = api();
    await Promise.all(Array.from({ length: 12 }, (_, i) => a.sendMessage(ana.id, `ráfaga ${i}`)));
    expect(fake.sentPerSecond()).toBe(12);

    const mark = fake.mark();
    for (let i = 0; i < 6; i += 1) {
      await a.sendMessage(beto.id, `pausado ${i}`);
      await sleep(250);
    }
    expect(fake.sentPerSecond({ since: mark })).toBeLessThanOrEqual(5);
    expect(fake.sentPerSecond({ since: mark })).toBeGreaterThanOrEqual(3);
    expect(fake.callTimes({ chatId: beto.id })).toHaveLength(6);

    fake.setRateLimit({ perChatPerSecond: 2, retryAfter: 3 });
    await a.sendMessage(1001, 'a');
    await a.sendMessage(1001, 'b');
    const flood = await grammyError(a.sendMessage(1001, 'c'));
    expect(flood).toMatchObject({ error_code: 429, parameters: { retry_after: 3 } });
    await a.sendMessage(1002, 'otro chat');
    fake.setRateLimit(null);
    await a.sendMessage(1001, 'c');
  });

  it('wait helpers time out with a readable list of what was sent, and `since` ignores older messages', async () => {
    const a = api();
    await a.sendMessage(ana.id, 'Hola, tu número es <b>C01</b>', { parse_mode: 'HTML' });
    await expect(fake.waitForMessage(ana.id, /Adiós/, 200)).rejects.toThrow(
      /timed out after 200 ms waiting for a message to chat 5100001 matching \/Adiós\/[\s\S]*Hola, tu número es <b>C01<\/b>/,
    );
    expect((await fake.waitForMessage(ana.id, 'número es C01')).message_id).toBe(1);
    const mark = fake.mark();
    const next = fake.waitForMessage(ana.id, 'Hola', { since: mark, timeoutMs: 2000 });
    await sleep(50);
    await a.sendMessage(ana.id, 'Hola otra vez');
    expect((await next).text).toBe('Hola otra vez');
  });
});

describe('FakeTelegram: webhook mode', () => {
  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => unknown): Promise<string> {
    const server: Server = createServer((req, res) => {
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    );
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/telegram/webhook`;
  }

  it('POSTs updates with the secret header, records statuses, keeps chat order, and 409s getUpdates', async () => {
    const bot = newBot();
    bot.on('message:text', (ctx) => ctx.reply(`Eco: ${ctx.msg.text}`));
    bot.on('callback_query:data', (ctx) => ctx.answerCallbackQuery({ text: 'ok' }));
    await bot.init();
    const url = await serve(webhookCallback(bot, 'http', { secretToken: 's3cr3t-token' }));

    fake.useWebhook(url, 's3cr3t-token');
    const update = fake.sendText(ana, 'por webhook');
    await fake.waitForMessage(ana.id, 'Eco: por webhook');
    expect(await fake.waitForDelivery(update)).toMatchObject({ status: 200, secretSent: true, url });

    const conflict = await grammyError(api().getUpdates());
    expect(conflict.error_code).toBe(409);
    expect(conflict.description).toMatch(/can't use getUpdates method while webhook is active/);

    // Order within a chat is kept.
    const burst = Array.from({ length: 8 }, (_, i) => fake.sendText(beto, `n${i}`));
    await fake.waitForMessage(beto.id, 'Eco: n7');
    expect(fake.messagesTo(beto.id).map((m) => m.text)).toEqual(burst.map((_, i) => `Eco: n${i}`));

    const press = fake.pressButton(ana, (await api().sendMessage(ana.id, 'x', { reply_markup: new InlineKeyboard().text('y', 'y') })).message_id, 'y');
    expect(await fake.waitForAnswer(press)).toMatchObject({ text: 'ok' });

    // Without the right secret grammY answers 401 and nothing is handled.
    fake.useWebhook(url, 'wrong-secret');
    const rejected = fake.sendText(ana, 'intruso');
    expect(await fake.waitForDelivery(rejected)).toMatchObject({ status: 401 });
    fake.useWebhook(url);
    const noSecret = fake.sendText(ana, 'sin secreto');
    expect(await fake.waitForDelivery(noSecret)).toMatchObject({ status: 401, secretSent: false });
    expect(fake.messagesTo(ana.id).some((m) => m.text.includes('intruso') || m.text.includes('sin secreto'))).toBe(false);

    // Back to polling: updates queue for getUpdates again.
    fake.usePolling();
    const queued = fake.sendText(ana, 'a la cola');
    expect((await api().getUpdates()).map((u) => u.update_id)).toEqual([queued.update_id]);
  });

  it('executes a webhook reply, and follows the app\'s own setWebhook / deleteWebhook', async () => {
    const bot = newBot({ canUseWebhookReply: (method) => method === 'sendMessage' });
    bot.on('message:text', (ctx) => ctx.reply(`Respuesta en el cuerpo: ${ctx.msg.text}`));
    await bot.init();
    const url = await serve(webhookCallback(bot, 'http', { secretToken: 'abc_123' }));

    const badSecret = await grammyError(bot.api.setWebhook(url, { secret_token: 'con espacios' }));
    expect(badSecret.error_code).toBe(400);
    await bot.api.setWebhook(url, { secret_token: 'abc_123' });
    expect(fake.webhook).toMatchObject({ url, secret: 'abc_123', source: 'api' });
    expect(await bot.api.getWebhookInfo()).toMatchObject({ url, pending_update_count: 0 });

    const update = fake.sendText(ana, 'hola');
    const reply = await fake.waitForMessage(ana.id, 'Respuesta en el cuerpo: hola');
    expect(fake.calls.find((c) => c.seq === reply.seq)?.viaWebhookReply).toBe(true);
    expect(await fake.waitForDelivery(update)).toMatchObject({ status: 200, replyMethod: 'sendMessage' });

    await bot.api.deleteWebhook();
    expect(fake.webhook).toBeNull();
    expect((await bot.api.getWebhookInfo()).url).toBe('');
  });
});
