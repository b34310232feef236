import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.js';
import type { PersonalDataCipher } from '../../src/modules/privacy/cipher.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { QUEUE_TYPES, type QueueType } from '../../src/domain/queue-types.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { FakeTelegram, type ApiCall } from '../../test/support/fake-telegram.js';
import { withClient } from './postgres.js';
import { BENCH_USER_AGENT, rutFor } from './workload.js';

/** The real app, jobs and bot included, polling a fake Bot API on loopback. */
export interface TelegramApp {
  app: RunningApp;
  fake: FakeTelegram;
  stop(): Promise<void>;
}

export interface TelegramAppOptions {
  databaseUrl: string;
  kioskApiKey: string;
  /** TELEGRAM_MAX_MSGS_PER_SEC of this instance. */
  maxMessagesPerSecond: number;
}

/** Runs of the dispatcher job recorded so far, and whether the last one has finished. */
async function dispatcherRuns(databaseUrl: string): Promise<{ runs: number; finished: boolean }> {
  return withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ runs: number; finished: boolean }>(
      `select runs, coalesce(last_finished_at >= last_started_at, false) as finished from job_run where name = 'dispatcher'`,
    );
    return rows[0] ?? { runs: 0, finished: false };
  });
}

/**
 * Starts a FakeTelegram and the app against it, and waits until the runner polls and the
 * dispatcher's worker thread has finished a first sweep (it boots after startApp returns).
 */
/** One set of SPEC §14 keys per database: every app the bench starts on it must read what the others wrote. */
const keysByDatabase = new Map<string, ReturnType<typeof generateKeyEnv>>();
function personalDataKeys(databaseUrl: string): ReturnType<typeof generateKeyEnv> {
  let keys = keysByDatabase.get(databaseUrl);
  if (!keys) {
    keys = generateKeyEnv('bench');
    keysByDatabase.set(databaseUrl, keys);
  }
  return keys;
}

export async function startTelegramApp(options: TelegramAppOptions): Promise<TelegramApp> {
  const before = await dispatcherRuns(options.databaseUrl);
  const fake = await FakeTelegram.start();
  let app: RunningApp;
  try {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      KIOSK_API_KEY: options.kioskApiKey,
      DATABASE_URL: options.databaseUrl,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      BOT_MODE: 'polling',
      TELEGRAM_MAX_MSGS_PER_SEC: String(options.maxMessagesPerSecond),
      ...personalDataKeys(options.databaseUrl),
    });
    app = await startApp(config, { logger: createLogger(config.logLevel), jobs: true });
  } catch (error) {
    await fake.stop();
    throw error;
  }
  try {
    // The bot connects in the background: wait until the runner's first long poll arrives.
    await fake.waitUntil(() => fake.calls.some((call) => call.method === 'getUpdates'), { timeoutMs: 15_000 }, 'getUpdates');
    const deadline = Date.now() + 30_000;
    for (;;) {
      const now = await dispatcherRuns(options.databaseUrl);
      if (now.runs > before.runs && now.finished) break;
      if (Date.now() > deadline) throw new Error('the dispatcher worker did not run within 30 s of the start');
      await sleep(50);
    }
  } catch (error) {
    await app.stop();
    await fake.stop();
    throw error;
  }
  return {
    app,
    fake,
    async stop() {
      try {
        await app.stop();
      } finally {
        await fake.stop();
      }
    },
  };
}

/**
 * Follows the fake's `calls` from a starting point without rescanning them: `poll()` looks only
 * at the calls that arrived since its last look. Keeps, per chat of interest, the first
 * sendMessage whose text contains `marker`, and the time the fake received it.
 */
export class SendWatcher {
  private cursor: number;
  private readonly firstAt = new Map<number, ApiCall>();

  constructor(
    private readonly fake: FakeTelegram,
    private readonly chats: ReadonlySet<number>,
    private readonly marker: string | null,
  ) {
    this.cursor = fake.calls.length;
  }

  private poll(): void {
    const calls = this.fake.calls;
    for (; this.cursor < calls.length; this.cursor++) {
      const call = calls[this.cursor]!;
      if (call.method !== 'sendMessage' || call.chatId === undefined || !this.chats.has(call.chatId)) continue;
      if (this.firstAt.has(call.chatId)) continue;
      if (this.marker !== null && !(typeof call.params.text === 'string' && call.params.text.includes(this.marker))) continue;
      this.firstAt.set(call.chatId, call);
    }
  }

  get received(): number {
    this.poll();
    return this.firstAt.size;
  }

  /** The matching call of a chat, if it arrived. */
  callOf(chatId: number): ApiCall | undefined {
    this.poll();
    return this.firstAt.get(chatId);
  }

  /** Receipt times (Date.now() at the fake) of every matching call seen so far. */
  times(): number[] {
    this.poll();
    return [...this.firstAt.values()].map((call) => call.at);
  }

  /** Calls that the fake answered with an error (should be none). */
  failed(): number {
    this.poll();
    return [...this.firstAt.values()].filter((call) => call.status !== undefined && call.status !== 200).length;
  }

  /** Waits (checking every few ms) until `count` chats got their message or `timeoutMs` passed; true if all did. */
  async waitFor(count: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.received < count) {
      if (Date.now() >= deadline) return false;
      await sleep(5);
    }
    return true;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A kiosk request of the bench: distinct RUTs from `firstRut`, queues and branches in turn. */
export interface KioskTicket {
  nationalId: string;
  queueType: QueueType;
  branchOffice: string;
  telefono?: string;
}

export function kioskTicket(n: number, firstRut: number, branches: readonly string[], withPhone: boolean): KioskTicket {
  const ticket: KioskTicket = {
    nationalId: rutFor(firstRut + n),
    queueType: QUEUE_TYPES[n % QUEUE_TYPES.length]!,
    branchOffice: branches[Math.floor(n / QUEUE_TYPES.length) % branches.length]!,
  };
  if (withPhone) ticket.telefono = `+569${String(firstRut + n).slice(-8).padStart(8, '0')}`;
  return ticket;
}

export interface KioskAnswer {
  status: number;
  numero?: string;
  body?: string;
}

/** POST /api/tickets once (keep-alive connections of the global fetch). */
export async function postTicket(appUrl: string, apiKey: string, ticket: KioskTicket): Promise<KioskAnswer> {
  const response = await fetch(`${appUrl}/api/tickets`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'user-agent': BENCH_USER_AGENT,
    },
    body: JSON.stringify(ticket),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.status !== 201) return { status: response.status, body: text.slice(0, 200) };
  const parsed = JSON.parse(text) as { numero?: unknown };
  return { status: 201, ...(typeof parsed.numero === 'string' ? { numero: parsed.numero } : {}) };
}

/** Registers chat `firstChat + i` with the RUT of ticket i (what /rut leaves behind), in one statement. */
export async function registerChats(
  databaseUrl: string,
  firstChat: number,
  nationalIds: readonly string[],
  personalData: PersonalDataCipher,
): Promise<number> {
  const started = performance.now();
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `insert into telegram_customer (chat_id, national_id_enc, national_id_bidx, name, created_at, updated_at)
       select $1::bigint + i - 1, enc, bidx, 'Cliente ' || i, now() at time zone 'UTC', now() at time zone 'UTC'
       from unnest($2::text[], $3::bytea[]) with ordinality as r(enc, bidx, i)`,
      [
        firstChat,
        nationalIds.map((rut) => personalData.encrypt('rut', rut)),
        nationalIds.map((rut) => personalData.blindIndex('rut', rut)),
      ],
    );
    // What the app's CustomerService does when a chat is linked: messages the dispatcher parked
    // while no chat could receive them are due again at once.
    await client.query(
      `update mensaje set fecha_programada = now() at time zone 'UTC'
       where estado_envio = 'PENDIENTE' and fecha_programada > now() at time zone 'UTC'
         and plantilla = 'TOTEM_TICKET_CREADO'`,
    );
  });
  return performance.now() - started;
}

/**
 * Everyone BUSY (as at a rush hour): nobody is assigned, so each ticket's only due message is
 * its "Ticket Creado" (plus "Próximo" for the first few of each queue, which start PROXIMO).
 */
export async function everyAdvisorBusy(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, (client) => client.query(`update advisor set status = 'BUSY'`));
}

/** Main-thread event-loop delay while `work` runs (the app, the fake and the load share it). */
export async function withLoopDelay<T>(work: () => Promise<T>): Promise<{ result: T; p99Ms: number; maxMs: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  try {
    const result = await work();
    return { result, p99Ms: histogram.percentile(99) / 1e6, maxMs: histogram.max / 1e6 };
  } finally {
    histogram.disable();
  }
}
