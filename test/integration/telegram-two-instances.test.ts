/**
 * Two app instances (two OS processes) on one database and one Bot API (SPEC §5, §11): the test
 * app polls and runs its jobs; a second `node src/main.ts` runs in webhook mode (so it does not
 * poll the same token) with its own jobs and dispatcher. Under load, each message goes out once —
 * straight to PostgreSQL, and again with both instances going through PgBouncer in transaction
 * mode (SPEC §16: job locks, SKIP LOCKED claims and the leader's lock hold without a session).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTelegramSender } from '../../src/bot/telegram-sender.js';
import { systemClock } from '../../src/clock.js';
import { MessageDispatcher, RateLimiter } from '../../src/modules/notifications/dispatcher.js';
import { SUPERSEDED_REASON } from '../../src/modules/notifications/urgency.js';
import { ADMIN_KEY, KIOSK_KEY, eventually } from '../support/app.js';
import { chatWithOwnPhone } from '../support/personal-data.js';
import { startAppProcess, type AppProcess } from '../support/second-instance.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';
import { createMigratedDatabase, type TestDatabase } from '../support/database.js';
import { hasPgBouncer, startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';

const CUSTOMERS = 40;
let t: TelegramTestApp;
let second: AppProcess;

async function postTicket(baseUrl: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/api/tickets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KIOSK_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function adminPut(baseUrl: string, path: string, body: unknown = {}): Promise<number> {
  const response = await fetch(`${baseUrl}/api/admin${path}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return response.status;
}

/** Messages that may go out now (their event has happened) and are still PENDIENTE. */
const DELIVERABLE_PENDING = `select count(*)::int as n from mensaje m join ticket t on t.id = m.ticket_id
  where m.estado_envio = 'PENDIENTE' and m.fecha_programada <= now() at time zone 'UTC'
    and (m.plantilla = 'TOTEM_TICKET_CREADO'
      or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status in ('PROXIMO', 'ATENDIENDO'))
      or (m.plantilla = 'TOTEM_ES_TU_TURNO' and t.status = 'ATENDIENDO'))`;

/** Resolves once nothing deliverable is pending, and it stays so across a few dispatcher sweeps. */
async function settled(): Promise<void> {
  await eventually(
    async () => {
      const [pending] = await t.app.db.query<{ n: number }>(DELIVERABLE_PENDING);
      expect(pending!.n).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const [still] = await t.app.db.query<{ n: number }>(DELIVERABLE_PENDING);
      expect(still!.n).toBe(0);
    },
    45_000,
    200,
  );
}

interface Chat {
  chatId: number;
  nationalId: string;
  /** The chat's own shared phone, given with its kiosk ticket (SPEC §22: what reaches the chat). */
  phone?: string;
}
const allChats: Chat[] = [];
const QUEUES = ['CAJA', 'PERSONAL_BANKER', 'EMPRESAS', 'GERENCIA'];

/** Registers `CUSTOMERS` chats with RUTs and own phones (SQL) and gives each a ticket, alternating between the instances. */
async function ticketsForNewChats(first: number): Promise<Chat[]> {
  const urls = [t.app.url, second.url];
  const chats: Chat[] = Array.from({ length: CUSTOMERS }, (_, i) => ({ chatId: 9_300_000 + first + i, nationalId: rut(3000 + first + i) }));
  for (const c of chats) c.phone = await chatWithOwnPhone(t.app, c.chatId, c.nationalId);
  allChats.push(...chats);
  const created = await Promise.all(
    chats.map((c, i) => postTicket(urls[i % 2]!, { nationalId: c.nationalId, telefono: c.phone, queueType: QUEUES[i % QUEUES.length] })),
  );
  expect(created.map((r) => r.status)).toEqual(chats.map(() => 201));
  return chats;
}

/**
 * Every ENVIADO row was received by the Bot API exactly once, in its chat; nothing was sent twice;
 * each row's telegram_message_id is the id of that delivery (so no two rows of a chat share one).
 */
async function expectEachMessageDeliveredOnce(): Promise<void> {
  const { app, fake } = t;
  const rows = await app.db.query<{
    chat_id: string;
    plantilla: string;
    estado_envio: string;
    error_message: string | null;
    telegram_message_id: string | null;
  }>(
    `select c.chat_id, m.plantilla, m.estado_envio, m.error_message, m.telegram_message_id
     from mensaje m join ticket t on t.id = m.ticket_id join telegram_customer c on c.phone_bidx = t.telefono_bidx
     order by m.id`,
  );
  // Nothing failed; only an informational message overtaken while the dispatcher was behind may be
  // dropped as superseded (SPEC §16), never "your turn".
  const failed = rows.filter((r) => r.estado_envio === 'FALLIDO');
  expect(failed.filter((r) => r.error_message !== SUPERSEDED_REASON || r.plantilla === 'TOTEM_ES_TU_TURNO')).toEqual([]);
  const sentRows = rows.filter((r) => r.estado_envio === 'ENVIADO');

  const customerChats = new Set(allChats.map((c) => c.chatId));
  const delivered = fake.sent.filter((s) => customerChats.has(s.chat_id));
  const counts = new Map<string, number>();
  for (const s of delivered) counts.set(`${s.chat_id}|${s.text}`, (counts.get(`${s.chat_id}|${s.text}`) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
  const attempts = fake.callsOf('sendMessage').filter((c) => c.chatId !== undefined && customerChats.has(c.chatId));
  expect(attempts).toHaveLength(sentRows.length);
  expect(delivered).toHaveLength(sentRows.length);

  const keys = sentRows.map((r) => `${r.chat_id}|${r.telegram_message_id}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect([...keys].sort()).toEqual(delivered.map((s) => `${s.chat_id}|${s.message_id}`).sort());
}

/**
 * Both instances straight to PostgreSQL, or through PgBouncer (transaction mode) with the screens'
 * LISTEN on the direct URL.
 */
function twoInstances(route: 'direct' | 'pgbouncer'): void {
  let db: TestDatabase | undefined;
  let bouncer: PgBouncer | undefined;

  beforeAll(async () => {
    let env: Record<string, string> = {};
    if (route === 'pgbouncer') {
      db = await createMigratedDatabase();
      // PgBouncer drops the `options` startup parameter (TimeZone=UTC): the database carries it instead.
      await db.query(`alter database "${db.name}" set timezone to 'UTC'`);
      bouncer = await startPgBouncer(db.url);
      env = { DATABASE_URL: bouncer.url, DATABASE_DIRECT_URL: db.url, MIGRATE_ON_START: 'false' };
    }
    t = await startTelegramTestApp(env, db ? { db } : {});
    second = await startAppProcess(t.app.db.url, {
      ...env,
      TELEGRAM_BOT_TOKEN: t.fake.token,
      TELEGRAM_API_ROOT: t.fake.apiRoot,
      BOT_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: 'x',
      QUEUE_RECALC_INTERVAL_MS: '300',
    });
  }, 150_000);

  afterAll(async () => {
    await second?.stop();
    await t?.close();
    await bouncer?.stop();
    await db?.drop();
    allChats.length = 0;
  });

  it('delivers every message exactly once', { timeout: 90_000 }, async () => {
    const { app } = t;
    const urls = [app.url, second.url];

    // Every advisor busy: the tickets wait in line and get their "created" (and maybe "near") message.
    await app.db.query(`update advisor set status = 'BUSY'`);
    const chats = await ticketsForNewChats(0);

    // Free the advisors, half through each instance: some customers are called ("your turn").
    const advisors = await app.db.query<{ id: string }>(`select id from advisor order by id`);
    const freed = await Promise.all(
      advisors.map((a, i) => adminPut(urls[i % 2]!, `/advisors/${a.id}/status`, { status: 'AVAILABLE', reason: 'prueba' })),
    );
    expect(freed).toEqual(advisors.map(() => 200));
    await settled();

    const rows = await app.db.query<{ plantilla: string; n: number }>(
      `select m.plantilla, count(*)::int as n from mensaje m
       where m.estado_envio = 'ENVIADO' or m.error_message = $1 group by m.plantilla`,
      [SUPERSEDED_REASON],
    );
    const sent = Object.fromEntries(rows.map((r) => [r.plantilla, r.n]));
    // Each customer's "created" went out, or was overtaken by their "near" or "your turn".
    expect(sent.TOTEM_TICKET_CREADO).toBe(chats.length);
    expect(sent.TOTEM_ES_TU_TURNO).toBeGreaterThanOrEqual(advisors.length);
    await expectEachMessageDeliveredOnce();

    for (const url of urls) expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('still delivers each message once with a third, lock-free dispatcher competing for the rows', { timeout: 90_000 }, async () => {
    const { app, fake } = t;
    const urls = [app.url, second.url];
    // A dispatcher outside any job lock, in this process, racing the leader's on SKIP LOCKED.
    const rogue = new MessageDispatcher({
      db: app.sql,
      clock: systemClock,
      logger: app.logger,
      sender: createTelegramSender(fake.token, fake.apiRoot),
      limiter: new RateLimiter(1000),
      concurrency: 4,
    });
    let rogueSent = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        rogueSent += (await rogue.dispatchDue()).sent;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    try {
      await ticketsForNewChats(CUSTOMERS);
      // Every advisor finishes their customer (through either instance) and gets the next one.
      const advisors = await app.db.query<{ id: string }>(`select id from advisor order by id`);
      const finished = await Promise.all(advisors.map((a, i) => adminPut(urls[i % 2]!, `/advisors/${a.id}/complete-ticket`)));
      expect(finished).toEqual(advisors.map(() => 200));
      await settled();
    } finally {
      running = false;
      await loop;
    }

    console.log(`two-instances: the competing dispatcher sent ${rogueSent} messages`);
    await expectEachMessageDeliveredOnce();
  });
}

describe('two app instances on one database and one Bot API', () => twoInstances('direct'));
describe.skipIf(!hasPgBouncer)('two app instances through PgBouncer on one database and one Bot API', () => twoInstances('pgbouncer'));
