import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { createLogger } from '../../src/logger.js';
import { ADMIN_KEY, type TestApp } from '../support/app.js';
import type { FakeTelegram } from '../support/fake-telegram.js';
import { linkCarlos, openQueues, registerCustomer } from '../support/journey-steps.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

/*
 * SPEC §14, end to end: a whole day's journey through every door, then every row of every table
 * as text and every log line, searched for the RUTs and phones in every spelling.
 */

let t: TelegramTestApp;
let app: TestApp;
let fake: FakeTelegram;
const lines: string[] = [];
const customer = { id: 5_560_001, first_name: 'Josefa' };
const carlos = { id: 7_780_001, first_name: 'Carlos' };

// The bot customer (journey-steps): RUT 12.345.678-5 (after a mistyped 12.345.678-9), phone +56 9 1234 5678.
// The kiosk customer: a RUT with check digit K, typed in lower case, and a phone with spaces.
const KIOSK_RUT = '23.456.787-k';
const KIOSK_PHONE = '+56 9 8765 1234';
const NEEDLES = {
  'the bot customer’s RUT (any spelling: the body)': '12345678',
  'the bot customer’s RUT with dots': '12.345.678',
  'the kiosk customer’s RUT (any spelling: the body)': '23456787',
  'the kiosk customer’s RUT with dots': '23.456.787',
  'the bot customer’s phone (with or without +56)': '912345678',
  'the kiosk customer’s phone (with or without +56)': '987651234',
};

beforeAll(async () => {
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  t = await startTelegramTestApp({ LOG_LEVEL: 'debug' }, { logger });
  ({ app, fake } = t);
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  await app.db.query(`update advisor set status = 'BUSY' where email = 'carlos.rodriguez@banco.com'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

/** Every row of every table of the schema, as PostgreSQL writes it out (the text COPY would carry), and the logs. */
async function everythingStored(): Promise<string> {
  const tables = await app.db.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public' order by 1`);
  expect(tables.length).toBeGreaterThanOrEqual(12);
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = await app.db.query<{ row: string }>(`select x::text as row from "${tablename}" x`);
    parts.push(`-- ${tablename}`, ...rows.map((r) => r.row));
  }
  return `${parts.join('\n')}\n-- logs\n${lines.join('')}`;
}

function expectNoPersonalData(text: string): void {
  for (const [what, needle] of Object.entries(NEEDLES)) {
    const at = text.toLowerCase().indexOf(needle);
    expect(at, `${what} found: …${text.slice(Math.max(0, at - 200), at + 50)}…`).toBe(-1);
  }
}

/** As the break-glass ADMIN; a person's data is read or erased with a `motivo` (SPEC §18). */
const admin = (path: string, init: RequestInit = {}) =>
  app.request(path.startsWith('/api/admin/personas/') ? `${path}?motivo=${encodeURIComponent('Solicitud del titular (Ley 21.719)')}` : path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.headers ?? {}) },
  });

describe('no RUT or phone in clear anywhere, after a full journey', () => {
  it('kiosk, bot registration, contact, advisor flow, rights: tables and logs hold neither', async () => {
    await linkCarlos(app, fake, carlos);
    await registerCustomer(fake, customer);

    // The bot customer takes a CAJA number; the kiosk customer another, with a phone.
    let mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    fake.pressButton(customer, queues, { text: /^Caja/ });
    await fake.waitForMessage(customer.id, /Ticket Creado/, { since: mark });
    const kiosk = await app.postTicket({ nationalId: KIOSK_RUT, telefono: KIOSK_PHONE, queueType: 'CAJA' });
    expect(kiosk.status).toBe(201);

    // Carlos serves the bot customer from /panel (masked RUT), then the kiosk customer through the admin API.
    mark = fake.mark();
    fake.sendCommand(carlos, '/panel');
    const panel = await fake.waitForMessage(carlos.id, /Módulo <b>1<\/b>/, { since: mark });
    fake.pressButton(carlos, panel, { text: /Disponible/ });
    const notice = await fake.waitForMessage(carlos.id, /Nuevo cliente: C01/, { since: mark });
    expect(notice.text).toContain('RUT: 12.***.***-5');
    await fake.waitForMessage(customer.id, /ES TU TURNO C01/, { since: mark });
    mark = fake.mark();
    await fake.waitForAnswer(fake.pressButton(carlos, notice, { text: /Completar/ }));
    await fake.waitForMessage(carlos.id, /Nuevo cliente: C02/, { since: mark });
    expect((await fake.waitForMessage(carlos.id, /Nuevo cliente: C02/, { since: mark })).text).toContain('RUT: 23.***.***-K');
    const [carlosRow] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
    expect((await admin(`/api/admin/advisors/${carlosRow!.id}/complete-ticket`, { method: 'PUT' })).status).toBe(200);
    expect((await admin('/api/admin/queues/CAJA')).status).toBe(200);
    expect((await admin('/api/admin/dashboard')).status).toBe(200);

    // /misdatos: what is kept about the chat, masked.
    mark = fake.mark();
    fake.sendCommand(customer, '/misdatos');
    const mine = await fake.waitForMessage(customer.id, /Tus datos en el banco/, { since: mark });
    expect(mine.text).toContain('RUT: <b>12.***.***-5</b>');
    expect(mine.text).toContain('Teléfono: <b>+569****5678</b>');
    expect(mine.text).toMatch(/C01 · Caja · Sucursal Centro · .* · Atendido/);

    // The supervisor exports the kiosk customer's data (decrypted for the holder, audited masked).
    const exported = await admin(`/api/admin/personas/${encodeURIComponent(KIOSK_RUT)}`);
    expect(exported.status).toBe(200);
    expect(await exported.json()).toMatchObject({ nationalId: '23456787-K', tickets: [{ numero: 'C02', telefono: '+56987651234' }] });

    const stored = await everythingStored();
    // The dump does hold the journey (masked RUTs in audit rows, ciphertexts, the request log)…
    expect(stored).toMatch(/nationalId"+:"+12\.\*{3}\.\*{3}-5/);
    expect(stored).toContain('23.***.***-K');
    expect(stored).toMatch(/v1:test:[A-Za-z0-9_-]{40,}/);
    expect(stored).toContain('"path":"/api/admin/personas/[oculto]"');
    // …and not one RUT or phone in clear.
    expectNoPersonalData(stored);
  });

  it('/borrar asks first, then forgets the chat, its RUT and phone; the finished ticket stays anonymous', async () => {
    let mark = fake.mark();
    fake.sendCommand(customer, '/borrar');
    const confirm = await fake.waitForMessage(customer.id, /¿Borrar tus datos\?/, { since: mark });
    expect(fake.buttons(confirm).map((b) => b.text)).toEqual(['Sí, borrar mis datos', 'No, conservarlos']);
    await fake.waitForAnswer(fake.pressButton(customer, confirm, { text: 'No, conservarlos' }));
    await fake.waitForEdit(customer.id, confirm.message_id, 'Perfecto, tus datos siguen guardados.');
    expect(await app.db.query(`select 1 from telegram_customer where chat_id = $1 and national_id_enc is not null`, [customer.id])).toHaveLength(1);

    // A waiting ticket is cancelled first, through the ordinary cancel flow.
    mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    fake.pressButton(customer, queues, { text: /^Empresas/ });
    await fake.waitForMessage(customer.id, /Ticket Creado/, { since: mark });

    mark = fake.mark();
    fake.sendCommand(customer, '/borrar');
    const again = await fake.waitForMessage(customer.id, /¿Borrar tus datos\?/, { since: mark });
    await fake.waitForAnswer(fake.pressButton(customer, again, { text: 'Sí, borrar mis datos' }));
    await fake.waitForEdit(customer.id, again.message_id, /Listo: borramos tus datos\. Cancelamos tu turno <b>E01<\/b>/);

    const tickets = await app.db.query<{ numero: string; status: string; personal: string | null; created_at: string }>(
      `select numero, status, coalesce(national_id_enc, national_id_bidx::text, telefono_enc, telefono_bidx::text) as personal, created_at
       from ticket order by id`,
    );
    expect(tickets.map((t) => [t.numero, t.status, t.personal === null])).toEqual([
      ['C01', 'COMPLETADO', true],
      ['C02', 'COMPLETADO', false], // the kiosk customer's: not theirs to erase
      ['E01', 'CANCELADO', true],
    ]);
    expect(await app.db.query(`select 1 from telegram_customer where chat_id = $1`, [customer.id])).toEqual([]);
    const [audit] = await app.db.query<{ actor: string; entity_id: string }>(
      `select actor, entity_id from audit_log where event_type = 'DATOS_ELIMINADOS'`,
    );
    expect(audit).toEqual({ actor: `telegram:${customer.id}`, entity_id: '12.***.***-5' });

    // /misdatos now knows nothing; the supervisor cannot find the RUT either.
    mark = fake.mark();
    fake.sendCommand(customer, '/misdatos');
    const mine = await fake.waitForMessage(customer.id, /Tus datos en el banco/, { since: mark });
    expect(mine.text).toContain('RUT: no registrado');
    expect(mine.text).toContain('Teléfono: no registrado');
    expect(mine.text).toContain('Ninguno.');
    expect((await admin('/api/admin/personas/12.345.678-5')).status).toBe(404);
    // Taking a number asks for the RUT again.
    mark = fake.mark();
    fake.sendText(customer, BUTTONS.take);
    await fake.waitForMessage(customer.id, /Primero necesito tu RUT/, { since: mark });

    expectNoPersonalData(await everythingStored());
  });
});
