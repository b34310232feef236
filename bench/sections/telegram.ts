import { texts } from '../../src/bot/texts.js';
import type { FakeUser } from '../../test/support/fake-telegram.js';
import type { BenchContext, Row, Section } from '../support/context.js';
import { TELEGRAM_CAP, telegramAtTheCap } from '../support/telegram-cap.js';
import { fixed, ms, perSecond } from '../support/format.js';
import { resetTickets, withClient } from '../support/postgres.js';
import { count, percentile } from '../support/scale.js';
import {
  everyAdvisorBusy,
  kioskTicket,
  postTicket,
  registerChats,
  SendWatcher,
  sleep,
  startTelegramApp,
  withLoopDelay,
  type KioskAnswer,
  type KioskTicket,
  type TelegramApp,
} from '../support/telegram.js';

/** Issue target: the first message's p99 under 1 s at 100 tickets per second. */
const MAX_FIRST_MESSAGE_P99_MS = 1000;
const STEADY_TICKETS_PER_SECOND = 100;
/** 100 tickets/s need more than the default 25 msgs/s: the steady run lifts the cap to this. */
const STEADY_CAP = 200;
/** The dispatcher-rate run: the cap "lifted" (the highest TELEGRAM_MAX_MSGS_PER_SEC allowed). */
const LIFTED_CAP = 1000;

/** Runner: this many chats send one /ayuda each, all at once. */
const BURST_CHATS = 2000;
const BURST_WARMUP_CHATS = 100;
/** Dispatcher: a backlog of this many due "Ticket Creado" messages. */
const BACKLOG_TICKETS = 1000;
const BACKLOG_CREATE_CONNECTIONS = 16;
/** How long to wait for messages still due after a run, at most. */
const DRAIN_TIMEOUT_MS = 60_000;

// Disjoint chat ids and RUTs per run (the runs share one scratch database).
const BURST_FIRST_USER = 7_000_000;
const BACKLOG_FIRST_CHAT = 8_000_000;
const BACKLOG_FIRST_RUT = 30_000_000;
const STEADY_FIRST_CHAT = 9_000_000;
const STEADY_FIRST_RUT = 40_000_000;

const CREATED_MARKER = 'Ticket Creado';

/**
 * The bot and the notifications against the fake Bot API on loopback, through the real app (its
 * own instance, jobs on, on a scratch database): updates per second through the runner, the
 * dispatcher's messages per second with the rate cap lifted, and the latency from taking a
 * ticket at the kiosk to Telegram receiving its "Ticket Creado", at a steady 100 tickets/s.
 */
export const telegramBench: Section = {
  id: 'telegram',
  title: 'Telegram bot and notifications',
  async run(context) {
    const database = await context.scratchDatabase('telegram');
    try {
      await everyAdvisorBusy(database.url);
      context.log('scratch database, every advisor BUSY (no assignments: each ticket gets its "Ticket Creado")');
      const rows: Row[] = [];

      context.log(`app with its own FakeTelegram, TELEGRAM_MAX_MSGS_PER_SEC=${LIFTED_CAP} (cap lifted)`);
      const lifted = await startTelegramApp({
        databaseUrl: database.url,
        kioskApiKey: context.kioskApiKey,
        maxMessagesPerSecond: LIFTED_CAP,
      });
      try {
        rows.push(...(await runnerBurst(context, lifted)));
        rows.push(...(await dispatcherBacklog(context, lifted, database.url)));
      } finally {
        await lifted.stop();
      }

      await resetTickets(database.url);
      await withClient(database.url, (client) => client.query('truncate telegram_customer, bot_conversation'));
      context.log(
        `\nnew app and FakeTelegram, TELEGRAM_MAX_MSGS_PER_SEC=${STEADY_CAP} ` +
          `(${STEADY_TICKETS_PER_SECOND} tickets/s need more than the default 25 msgs/s)`,
      );
      const capped = await startTelegramApp({
        databaseUrl: database.url,
        kioskApiKey: context.kioskApiKey,
        maxMessagesPerSecond: STEADY_CAP,
      });
      try {
        rows.push(...(await steadyFirstMessage(context, capped, database.url)));
      } finally {
        await capped.stop();
      }

      await resetTickets(database.url);
      await withClient(database.url, (client) => client.query('truncate telegram_customer, bot_conversation'));
      await everyAdvisorBusy(database.url);
      context.log(`\nnew app and FakeTelegram with Telegram's cap: TELEGRAM_MAX_MSGS_PER_SEC=${TELEGRAM_CAP}, the fake answers 429 beyond it`);
      const real = await startTelegramApp({ databaseUrl: database.url, kioskApiKey: context.kioskApiKey, maxMessagesPerSecond: TELEGRAM_CAP });
      try {
        rows.push(...(await telegramAtTheCap(context, real, database.url)));
      } finally {
        await real.stop();
      }
      return rows;
    } finally {
      await database.drop();
    }
  },
};

const benchUser = (id: number): FakeUser => ({ id, first_name: `Bench ${id}` });

/** 1. N chats send /ayuda at once; the time until the fake has every reply. */
async function runnerBurst(context: BenchContext, { fake }: TelegramApp): Promise<Row[]> {
  const ask = async (first: number, n: number): Promise<{ watcher: SendWatcher; startedAt: number; all: boolean }> => {
    const ids = Array.from({ length: n }, (_, i) => first + i);
    const watcher = new SendWatcher(fake, new Set(ids), texts.help);
    const startedAt = Date.now();
    for (const id of ids) fake.sendText(benchUser(id), '/ayuda');
    const all = await watcher.waitFor(n, DRAIN_TIMEOUT_MS);
    return { watcher, startedAt, all };
  };

  const warm = await ask(BURST_FIRST_USER, BURST_WARMUP_CHATS);
  if (!warm.all) context.log(`  warning: warm-up got ${warm.watcher.received}/${BURST_WARMUP_CHATS} replies`);

  context.log(`runner: ${count(BURST_CHATS)} chats send /ayuda at once (one update each)`);
  const { result, p99Ms } = await withLoopDelay(() => ask(BURST_FIRST_USER + BURST_WARMUP_CHATS, BURST_CHATS));
  const { watcher, startedAt } = result;
  const times = watcher.times();
  const received = times.length;
  const lastAt = received > 0 ? Math.max(...times) : Date.now();
  const seconds = (lastAt - startedAt) / 1000;
  const rate = received / seconds;
  const latency = times.map((at) => at - startedAt);
  context.log(
    `runner: ${count(received)}/${count(BURST_CHATS)} replies in ${fixed(seconds, 2)} s; ` +
      `main-thread event-loop delay p99 ${ms(p99Ms)}` +
      (watcher.failed() ? `; ${watcher.failed()} replies refused by the fake` : ''),
  );
  return [
    { metric: `runner: updates handled/s (${count(BURST_CHATS)} chats × 1 /ayuda)`, value: perSecond(rate) },
    { metric: 'runner: reply p50 after the burst', value: ms(percentile(latency, 50)) },
    { metric: 'runner: last reply after the burst', value: ms(percentile(latency, 100)) },
    ...(received < BURST_CHATS ? [{ metric: 'runner: replies missing', value: count(BURST_CHATS - received) }] : []),
  ];
}

/** POSTs every ticket with `connections` requests in flight; the answers by index. */
async function createAll(
  appUrl: string,
  apiKey: string,
  tickets: readonly KioskTicket[],
  connections: number,
): Promise<KioskAnswer[]> {
  const answers: KioskAnswer[] = new Array<KioskAnswer>(tickets.length);
  let next = 0;
  const loop = async (): Promise<void> => {
    for (let n = next++; n < tickets.length; n = next++) {
      answers[n] = await postTicket(appUrl, apiKey, tickets[n]!).catch(
        (error: unknown): KioskAnswer => ({ status: 0, body: error instanceof Error ? error.message : String(error) }),
      );
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return answers;
}

/**
 * 2. A backlog of due messages, then the fake's receive rate from the first to the last. The
 * tickets are taken (with a phone, so their messages exist) while no chat is known for them:
 * nothing can go out. Then one statement registers every chat by RUT and the dispatcher's next
 * sweep finds the whole backlog due at once.
 */
async function dispatcherBacklog(context: BenchContext, { app, fake }: TelegramApp, databaseUrl: string): Promise<Row[]> {
  const tickets = Array.from({ length: BACKLOG_TICKETS }, (_, n) =>
    kioskTicket(n, BACKLOG_FIRST_RUT, context.branches, true),
  );
  const answers = await createAll(app.url, context.kioskApiKey, tickets, BACKLOG_CREATE_CONNECTIONS);
  const created = tickets.filter((_, n) => answers[n]?.status === 201);
  const refused = answers.filter((a) => a.status !== 201);
  if (refused.length > 0) context.log(`  warning: ${refused.length} tickets refused, e.g. ${refused[0]?.status} ${refused[0]?.body ?? ''}`);

  const chats = new Set(created.map((_, i) => BACKLOG_FIRST_CHAT + i));
  const watcher = new SendWatcher(fake, chats, CREATED_MARKER);
  const callsBefore = fake.calls.length;
  const registerMs = await registerChats(
    databaseUrl,
    BACKLOG_FIRST_CHAT,
    created.map((t) => t.nationalId),
  );
  const registeredAt = Date.now();
  context.log(
    `dispatcher: ${count(created.length)} tickets taken while their chats were unknown; ` +
      `${count(created.length)} chats registered in ${ms(registerMs)}; waiting for the backlog`,
  );
  const all = await watcher.waitFor(created.length, DRAIN_TIMEOUT_MS);
  // The claim query's plan depends on whether autovacuum has analyzed the just-filled tables yet.
  const analyzed = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ relname: string; analyzed: boolean }>(
      `select relname, coalesce(last_analyze, last_autoanalyze) is not null as analyzed
       from pg_stat_user_tables where relname in ('mensaje', 'ticket', 'telegram_customer') order by relname`,
    );
    return rows.map((r) => `${r.relname} ${r.analyzed ? 'analyzed' : 'not analyzed yet'}`).join(', ');
  });
  context.log(`dispatcher: statistics after the drain: ${analyzed}`);
  const times = watcher.times().sort((a, b) => a - b);
  const first = times[0] ?? registeredAt;
  const last = times.at(-1) ?? registeredAt;
  const rate = times.length > 1 ? ((times.length - 1) * 1000) / (last - first) : Number.NaN;
  const allSends = fake.calls.slice(callsBefore).filter((c) => c.method === 'sendMessage' && c.at >= first && c.at <= last);
  context.log(
    `dispatcher: ${count(times.length)}/${count(created.length)} "Ticket Creado" received, first ${ms(first - registeredAt)} ` +
      `after the registration, last ${ms(last - registeredAt)}; ${count(allSends.length)} sendMessage in that span ` +
      `(the rest: "Próximo" of the first tickets of each queue)` +
      (all ? '' : ' — TIMED OUT') +
      (watcher.failed() ? `; ${watcher.failed()} refused by the fake` : ''),
  );
  return [
    { metric: `dispatcher: msgs/s, cap ${LIFTED_CAP}/s (${count(created.length)} due at once)`, value: perSecond(rate) },
    {
      metric: 'dispatcher: backlog drained in',
      value: ms(last - first),
    },
    ...(all ? [] : [{ metric: 'dispatcher: messages missing', value: count(created.length - times.length) }]),
  ];
}

interface SteadyRecord {
  n: number;
  chatId: number;
  sentAt: number;
  answeredAt?: number;
  answer?: KioskAnswer;
}

/**
 * 3. POST /api/tickets at a steady 100/s (open loop: a slow answer does not delay the next
 * request) for a warm-up and BENCH_SECONDS, every RUT registered to its own chat beforehand;
 * per ticket, from the request to the fake receiving its "Ticket Creado".
 */
async function steadyFirstMessage(context: BenchContext, { app, fake }: TelegramApp, databaseUrl: string): Promise<Row[]> {
  const { seconds, warmupSeconds } = context.settings;
  const warmupCount = STEADY_TICKETS_PER_SECOND * warmupSeconds;
  const total = warmupCount + STEADY_TICKETS_PER_SECOND * seconds;
  const tickets = Array.from({ length: total }, (_, n) => kioskTicket(n, STEADY_FIRST_RUT, context.branches, false));
  await registerChats(
    databaseUrl,
    STEADY_FIRST_CHAT,
    tickets.map((t) => t.nationalId),
  );
  await withClient(databaseUrl, (client) => client.query('analyze telegram_customer'));
  const watcher = new SendWatcher(fake, new Set(tickets.map((_, n) => STEADY_FIRST_CHAT + n)), CREATED_MARKER);
  context.log(
    `first message: POST /api/tickets at ${STEADY_TICKETS_PER_SECOND}/s for ${warmupSeconds} s (warm-up) + ${seconds} s, ` +
      `${count(total)} chats registered by RUT beforehand, cap ${STEADY_CAP} msgs/s`,
  );

  const records: SteadyRecord[] = [];
  const inFlight: Promise<void>[] = [];
  const intervalMs = 1000 / STEADY_TICKETS_PER_SECOND;
  const fire = (n: number): void => {
    const record: SteadyRecord = { n, chatId: STEADY_FIRST_CHAT + n, sentAt: Date.now() };
    records.push(record);
    inFlight.push(
      postTicket(app.url, context.kioskApiKey, tickets[n]!)
        .catch((error: unknown): KioskAnswer => ({ status: 0, body: error instanceof Error ? error.message : String(error) }))
        .then((answer) => {
          record.answer = answer;
          record.answeredAt = Date.now();
        }),
    );
  };

  const { p99Ms: loopP99 } = await withLoopDelay(async () => {
    const started = performance.now();
    let fired = 0;
    while (fired < total) {
      const due = Math.min(total, Math.floor((performance.now() - started) / intervalMs) + 1);
      while (fired < due) fire(fired++);
      await sleep(1);
    }
    await Promise.all(inFlight);
  });
  const loadSeconds = (Date.now() - records[0]!.sentAt) / 1000;

  const created = records.filter((r) => r.answer?.status === 201);
  const all = await watcher.waitFor(created.length, DRAIN_TIMEOUT_MS);
  const refused = records.filter((r) => r.answer?.status !== 201);
  if (refused.length > 0) {
    context.log(`  warning: ${refused.length} tickets refused, e.g. ${refused[0]?.answer?.status} ${refused[0]?.answer?.body ?? ''}`);
  }

  const warm: number[] = [];
  for (const record of created.filter((r) => r.n < warmupCount)) {
    warm.push((watcher.callOf(record.chatId)?.at ?? Number.POSITIVE_INFINITY) - record.sentAt);
  }
  if (warm.length > 0) {
    context.log(
      `first message, warm-up (first ${warmupSeconds} s after the app started, not counted): ` +
        `p50 ${ms(percentile(warm, 50))}, p99 ${ms(percentile(warm, 99))}, max ${ms(Math.max(...warm))}`,
    );
  }
  const measured = created.filter((r) => r.n >= warmupCount);
  const fromRequest: number[] = [];
  const fromAnswer: number[] = [];
  const kiosk: number[] = [];
  let missing = 0;
  for (const record of measured) {
    kiosk.push(record.answeredAt! - record.sentAt);
    const call = watcher.callOf(record.chatId);
    if (!call) {
      missing++;
      fromRequest.push(Number.POSITIVE_INFINITY);
      fromAnswer.push(Number.POSITIVE_INFINITY);
      continue;
    }
    const numero = record.answer?.numero;
    if (numero && typeof call.params.text === 'string' && !call.params.text.includes(numero)) {
      context.log(`  warning: chat ${record.chatId} got "Ticket Creado" without its number ${numero}`);
    }
    fromRequest.push(call.at - record.sentAt);
    fromAnswer.push(call.at - record.answeredAt!);
  }
  const achieved = measured.length / seconds;
  const p99 = percentile(fromRequest, 99);
  context.log(
    `first message: ${count(records.length)} requests in ${fixed(loadSeconds, 1)} s, ${count(created.length)} tickets, ` +
      `${count(created.length - missing)} "Ticket Creado" received${all ? '' : ' (TIMED OUT waiting for the rest)'}; ` +
      `kiosk answer p99 ${ms(percentile(kiosk, 99))}; main-thread event-loop delay p99 ${ms(loopP99)}`,
  );
  context.log(
    `first message, measured ${count(measured.length)} (after the warm-up): from the 201 answer p50 ` +
      `${ms(percentile(fromAnswer, 50))}, p99 ${ms(percentile(fromAnswer, 99))}`,
  );
  await logDispatchBreakdown(context, databaseUrl, STEADY_FIRST_RUT, warmupCount);

  return [
    {
      metric: `first message: tickets/s achieved (asked ${STEADY_TICKETS_PER_SECOND}/s, cap ${STEADY_CAP} msgs/s)`,
      value: perSecond(achieved),
    },
    { metric: 'first message: latency p50 (request → fake receives)', value: ms(percentile(fromRequest, 50)) },
    { metric: 'first message: latency p90', value: ms(percentile(fromRequest, 90)) },
    {
      metric: 'first message: latency p99',
      value: ms(p99),
      target: `< ${MAX_FIRST_MESSAGE_P99_MS} ms`,
      met: p99 < MAX_FIRST_MESSAGE_P99_MS,
    },
    { metric: 'first message: latency max', value: ms(Math.max(...fromRequest)) },
    ...(missing > 0 ? [{ metric: 'first message: never received', value: count(missing) }] : []),
  ];
}

/**
 * Where the time went, from the database's side: ticket created_at → the dispatcher recording
 * ENVIADO (after Telegram answered), per measured ticket.
 */
async function logDispatchBreakdown(
  context: BenchContext,
  databaseUrl: string,
  firstRut: number,
  warmupCount: number,
): Promise<void> {
  const rows = await withClient(databaseUrl, async (client) => {
    const { rows: found } = await client.query<{ ms: number }>(
      `select extract(epoch from (m.fecha_envio - t.created_at)) * 1000 as ms
       from mensaje m join ticket t on t.id = m.ticket_id
       where m.plantilla = 'TOTEM_TICKET_CREADO' and m.estado_envio = 'ENVIADO'
         and split_part(t.national_id, '-', 1)::bigint >= $1`,
      [firstRut + warmupCount],
    );
    return found.map((r) => Number(r.ms));
  });
  if (rows.length === 0) return;
  context.log(
    `first message, database side: ticket created_at → ENVIADO recorded p50 ${ms(percentile(rows, 50))}, ` +
      `p99 ${ms(percentile(rows, 99))}, max ${ms(Math.max(...rows))} (${count(rows.length)} messages)`,
  );
}
