/**
 * Issue 17 item 4: the bot's errors are neither made permanent nor silent. A database failure
 * during /vincular is an outage (logged, and the advisor told to try again: the code still
 * works), never "invalid code"; an edit Telegram refuses is logged with its reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { FakeTelegram } from '../support/fake-telegram.js';

const lines: string[] = [];
let app: TestApp;
let fake: FakeTelegram;

beforeAll(async () => {
  fake = await FakeTelegram.start();
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  // The bot without the jobs: nothing here is sent by the dispatcher.
  app = await startTestApp({ TELEGRAM_BOT_TOKEN: fake.token, TELEGRAM_API_ROOT: fake.apiRoot, BOT_MODE: 'polling' }, { logger });
  await fake.waitUntil(() => fake.calls.some((call) => call.method === 'getUpdates'), { timeoutMs: 20_000 });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

const logged = (msg: string): Array<Record<string, unknown>> =>
  lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry.msg === msg);

async function linkCode(email: string): Promise<string> {
  const [row] = await app.db.query<{ id: string }>(`select id from advisor where email = $1`, [email]);
  const response = await fetch(`${app.url}/api/admin/advisors/${row!.id}/link-code`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { code: string }).code;
}

describe("the advisor's link code", () => {
  it('answers a database failure as an outage (the code still works afterwards), not as an invalid code', async () => {
    const advisor = { id: 8_100_001, first_name: 'Carlos' };
    const code = await linkCode('carlos.rodriguez@banco.com');
    // The table the code lives in is unreachable for a moment (as in an outage, the query fails).
    await app.db.query(`alter table advisor_link_code rename to advisor_link_code_away`);
    let mark = fake.mark();
    try {
      fake.sendText(advisor, `/vincular ${code}`);
      const reply = await fake.waitForMessage(advisor.id, /./, { since: mark });
      expect(reply.text).not.toMatch(/no es válido/);
      expect(reply.text).toMatch(/No pudimos vincular tu cuenta en este momento/);
    } finally {
      await app.db.query(`alter table advisor_link_code_away rename to advisor_link_code`);
    }
    expect(logged('no se pudo vincular la cuenta de asesor: falla del sistema, no del código')).toHaveLength(1);
    // Back up: the same code links.
    mark = fake.mark();
    fake.sendText(advisor, `/vincular ${code}`);
    await fake.waitForMessage(advisor.id, /Quedaste vinculado como <b>Carlos Rodríguez<\/b>/, { since: mark });
  });

  it('still says "invalid" for a code that is not one', async () => {
    const advisor = { id: 8_100_002, first_name: 'Otro' };
    const mark = fake.mark();
    fake.sendText(advisor, '/vincular ZZZZ9999');
    await fake.waitForMessage(advisor.id, /El código no es válido o ya expiró/, { since: mark });
  });
});

describe("the advisor's panel", () => {
  it('logs, with Telegram\'s reason, an edit of the panel that Telegram refuses', async () => {
    const advisor = { id: 8_100_001, first_name: 'Carlos' };
    let mark = fake.mark();
    fake.sendCommand(advisor, '/panel');
    const panel = await fake.waitForMessage(advisor.id, /Módulo <b>1<\/b>/, { since: mark });
    fake.failNext('editMessageText', 1, { status: 400, description: 'Bad Request: message to edit not found' });
    mark = fake.mark();
    const press = fake.pressButton(advisor, panel, { text: /Disponible/ });
    await fake.waitForAnswer(press);
    await fake.waitUntil(() => logged('no se pudo editar un mensaje del bot').length > 0, { timeoutMs: 5000 });
    const [entry] = logged('no se pudo editar un mensaje del bot');
    expect(entry).toMatchObject({ reason: '400: Bad Request: message to edit not found', edit: 'panel del asesor' });
    expect(JSON.stringify(entry)).not.toContain(String(advisor.id));
  });

  it('takes "message is not modified" as done, without a log line', async () => {
    const advisor = { id: 8_100_001, first_name: 'Carlos' };
    const before = logged('no se pudo editar un mensaje del bot').length;
    const mark = fake.mark();
    fake.sendCommand(advisor, '/panel');
    const panel = await fake.waitForMessage(advisor.id, /Módulo <b>1<\/b>/, { since: mark });
    // A press that changes nothing: Telegram answers 400 "message is not modified".
    const press = fake.pressButton(advisor, panel, { text: /Disponible/ });
    await fake.waitForAnswer(press);
    await fake.waitUntil(() => fake.callsOf('editMessageText').some((c) => c.seq > mark && c.status === 400), { timeoutMs: 5000 });
    // The chat's updates are handled in order: once the next one is answered, that press is done.
    const next = fake.mark();
    fake.sendCommand(advisor, '/panel');
    await fake.waitForMessage(advisor.id, /Módulo <b>1<\/b>/, { since: next });
    expect(logged('no se pudo editar un mensaje del bot')).toHaveLength(before);
  });
});
