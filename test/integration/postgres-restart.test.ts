/**
 * PostgreSQL restarted under steady kiosk load (SPEC §15): a real embedded server stopped and
 * started again under the running app (its jobs and the Telegram dispatcher included).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ensureDatabase, withDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { eventually, KIOSK_KEY, TEST_PERSONAL_DATA_KEYS } from '../support/app.js';
import { FakeTelegram } from '../support/fake-telegram.js';
import { chatWithOwnPhone, phoneForChat } from '../support/personal-data.js';
import { rut } from '../support/ruts.js';

const KEY = KIOSK_KEY;
let dir: string;
let server: EmbeddedServer;
let app: RunningApp;
let fake: FakeTelegram;
let db: pg.Pool;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ticketero-restart-'));
  const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  server = await startEmbeddedPostgres({ dir, logger });
  await ensureDatabase(server.url, 'ticketero');
  const url = withDatabase(server.url, 'ticketero');
  fake = await FakeTelegram.start();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    HOST: '127.0.0.1',
    PORT: '0',
    KIOSK_API_KEY: KEY,
    TELEGRAM_BOT_TOKEN: fake.token,
    TELEGRAM_API_ROOT: fake.apiRoot,
    QUEUE_RECALC_INTERVAL_MS: '300',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...TEST_PERSONAL_DATA_KEYS,
  });
  app = await startApp(config, { logger, jobs: true });
  db = new pg.Pool({ connectionString: url, max: 2 });
  db.on('error', () => {}); // its idle connections die with the server, as they should
  // Every customer has a chat that shared its own phone (SPEC §22: what reaches a kiosk ticket),
  // so every ticket has messages to send; nobody serves yet.
  await db.query(`update advisor set status = 'OFFLINE'`);
  for (let i = 0; i < 400; i++) await chatWithOwnPhone({ ...app, db }, 8_800_000 + i, rut(6000 + i));
}, 90_000);

afterAll(async () => {
  await db?.end();
  await app?.stop();
  await fake?.stop();
  await server?.stop();
  if (server?.fallbackDir) await rm(server.fallbackDir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

const health = async (): Promise<number> => (await fetch(`${app.url}/api/health`)).status;

describe('a PostgreSQL restart under steady kiosk load', () => {
  it('answers 503 while down, recovers by itself, loses no accepted ticket and sends nothing twice', async () => {
    const accepted: string[] = [];
    const statuses: number[] = [];
    let n = 0;
    let loading = true;
    // A kiosk taking a ticket every 40 ms, whatever happens.
    const kiosk = (async () => {
      while (loading) {
        const i = n++;
        const response = await fetch(`${app.url}/api/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ nationalId: rut(6000 + i), telefono: phoneForChat(8_800_000 + i), queueType: 'CAJA' }),
        }).catch(() => null);
        statuses.push(response?.status ?? 0);
        if (response?.status === 201) accepted.push(String(((await response.json()) as { identificador: string }).identificador));
        else await response?.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 40));
      }
    })();

    await eventually(async () => expect(accepted.length).toBeGreaterThan(10), 20_000);
    await server.stop();
    await eventually(async () => expect(await health()).toBe(503), 10_000);
    const whileDown = statuses.length;
    await eventually(async () => expect(statuses.length).toBeGreaterThan(whileDown + 10), 20_000);
    // Refused while down, cleanly: 503, never a crash or a hang.
    expect(statuses.slice(whileDown)).toContain(503);

    await server.start();
    await eventually(async () => expect(await health()).toBe(200), 20_000);
    const afterRestart = accepted.length;
    await eventually(async () => expect(accepted.length).toBeGreaterThan(afterRestart + 10), 30_000);
    loading = false;
    await kiosk;
    expect(n).toBeLessThan(400);
    expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);

    // Every ticket answered 201 exists.
    const { rows } = await db.query<{ codigo_referencia: string }>(`select codigo_referencia from ticket`);
    const stored = new Set(rows.map((r) => r.codigo_referencia));
    expect(accepted.filter((id) => !stored.has(id))).toEqual([]);

    // The job workers came back by themselves: the dispatcher sends again (a message of a ticket
    // taken after the restart arrives) and the queue job's sweep assigns again.
    const lastAccepted = accepted.at(-1)!;
    const [last] = (await db.query<{ chat_id: string }>(
      `select c.chat_id from ticket t join telegram_customer c on c.phone_bidx = t.telefono_bidx where t.codigo_referencia = $1`,
      [lastAccepted],
    )).rows;
    await fake.waitForMessage(Number(last!.chat_id), /Ticket Creado/, { timeoutMs: 30_000 });
    await db.query(`update advisor set status = 'AVAILABLE'`); // behind the services' back: only the sweep notices
    await eventually(async () => {
      const { rows: called } = await db.query(`select 1 from ticket where status = 'ATENDIENDO'`);
      expect(called.length).toBeGreaterThan(0);
    }, 30_000);

    // Nothing double-assigned: one serving ticket per advisor, one assignment per ticket.
    const { rows: twice } = await db.query(
      `select entity_id from audit_log where event_type = 'TICKET_ASIGNADO' group by entity_id having count(*) > 1`,
    );
    expect(twice).toEqual([]);
    const { rows: busy } = await db.query(
      `select assigned_advisor_id from ticket where status = 'ATENDIENDO' group by 1 having count(*) > 1`,
    );
    expect(busy).toEqual([]);
    // Nothing double-sent: every send the fake saw is one ENVIADO row (a send in flight commits a moment
    // after the fake saw it, hence `eventually`), and no chat got the same text twice.
    const ours = () => fake.sent.filter((m) => m.chat_id >= 8_800_000 && m.chat_id < 8_800_400);
    await eventually(async () => {
      const { rows: sentRows } = await db.query<{ n: number }>(`select count(*)::int as n from mensaje where estado_envio = 'ENVIADO'`);
      if (ours().length !== sentRows[0]!.n) {
        const { rows: all } = await db.query<{ chat_id: string; estado_envio: string }>(
          `select c.chat_id, m.id, m.plantilla, m.estado_envio, m.intentos, m.error_message, m.fecha_programada, m.fecha_envio, t.status
           from mensaje m join ticket t on t.id = m.ticket_id join telegram_customer c on c.phone_bidx = t.telefono_bidx order by m.id`,
        );
        const odd = [...new Set(ours().map((m) => m.chat_id))].filter(
          (chat) => ours().filter((m) => m.chat_id === chat).length !== all.filter((r) => Number(r.chat_id) === chat && r.estado_envio === 'ENVIADO').length,
        );
        const detail = odd.map((chat) => ({
          chat,
          sent: ours().filter((m) => m.chat_id === chat).map((m) => m.text.split('\n')[0]),
          rows: all.filter((r) => Number(r.chat_id) === chat),
        }));
        expect(ours().length, JSON.stringify(detail)).toBe(sentRows[0]!.n);
      }
    }, 10_000);
    const seen = new Set<string>();
    const duplicates = ours().filter((m) => {
      const key = `${m.chat_id}|${m.text}`;
      if (seen.has(key)) return true;
      seen.add(key);
      return false;
    });
    expect(duplicates).toEqual([]);
  }, 150_000);
});
