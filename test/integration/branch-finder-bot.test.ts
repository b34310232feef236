import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { registerCustomer } from '../support/journey-steps.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';
import type { SentMessage } from '../support/fake-telegram.js';

// SPEC §17, the bot at 1,000 branches: a shared location gets the nearest open branches with their
// distance and waits; part of a name or comuna finds branches without regard to accents or case;
// never more than 8 branch buttons; the chat's last branch first; a closed branch says when it
// opens; a branch shows only the queues it offers.
let t: TelegramTestApp;
const customer = { id: 5_570_001, first_name: 'Elena' };
const supervisor = { id: 5_570_002, first_name: 'Sofía' };
/** Where the customer stands (Plaza Ñuñoa, more or less). */
const HERE = { latitude: -33.4569, longitude: -70.5983 };

/**
 * Seven branches north of HERE, `step` degrees of latitude apart (0.01° ≈ 1.1 km), and 1,000
 * others hundreds of kilometres away, inserted in one statement.
 */
const NEAR = [
  { code: 'NUNOA', name: 'Sucursal Ñuñoa', comuna: 'Ñuñoa', step: 1 },
  { code: 'IRARRAZAVAL', name: 'Sucursal Irarrázaval', comuna: 'Ñuñoa', step: 2 },
  // Closed today and tomorrow: not among the nearest open ones.
  { code: 'PLAZA-EGANA', name: 'Sucursal Plaza Egaña', comuna: 'La Reina', step: 3 },
  // Only Caja.
  { code: 'LOS-LEONES', name: 'Sucursal Los Leones', comuna: 'Providencia', step: 4 },
  { code: 'TOBALABA', name: 'Sucursal Tobalaba', comuna: 'Providencia', step: 5 },
  { code: 'PEDRO-DE-VALDIVIA', name: 'Sucursal Pedro de Valdivia', comuna: 'Providencia', step: 6 },
  { code: 'MANUEL-MONTT', name: 'Sucursal Manuel Montt', comuna: 'Providencia', step: 7 },
];

beforeAll(async () => {
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula', ADMIN_TELEGRAM_IDS: String(supervisor.id) });
  const { db } = t.app;
  await db.query(
    `insert into branch (code, name, region, comuna, address, latitude, longitude, timezone)
     select 'PRUEBA-' || lpad(i::text, 4, '0'), 'Sucursal Prueba ' || lpad(i::text, 4, '0'), 'Región de Prueba',
            'Comuna ' || lpad((i % 300)::text, 3, '0'), 'Calle ' || i, -18.0 - (i % 50) * 0.4, -68.0 - (i / 50) * 0.02, 'America/Santiago'
     from generate_series(1, 1000) i`,
  );
  for (const b of NEAR) {
    await db.query(
      `insert into branch (code, name, region, comuna, latitude, longitude, timezone) values ($1, $2, 'Metropolitana', $3, $4, $5, 'America/Santiago')`,
      [b.code, b.name, b.comuna, HERE.latitude + b.step * 0.01, HERE.longitude],
    );
  }
  // Plaza Egaña: 09:00–14:00 every day, but closed today and tomorrow (its own dates).
  await db.query(
    `update branch set hours = (select jsonb_object_agg(d::text, '[{"opens": "09:00", "closes": "14:00"}]'::jsonb) from generate_series(1, 7) d),
       closed_dates = (select jsonb_agg(to_char(branch_service_date(name, (now() at time zone 'UTC')::timestamp) + i, 'YYYY-MM-DD')) from generate_series(0, 1) i)
     where code = 'PLAZA-EGANA'`,
  );
  await db.query(`update branch set queues = '[{"queueType": "CAJA"}]' where code = 'LOS-LEONES'`);
  // Two waiting in Ñuñoa's Caja (no advisor there): the formula says (2 + 1) × 5 min.
  for (const nationalId of ['11.111.111-1', '22.222.222-2']) {
    const response = await t.app.postTicket({ nationalId, queueType: 'CAJA', branchOffice: 'Sucursal Ñuñoa' });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
  }
  await registerCustomer(t.fake, customer);
}, 90_000);
afterAll(async () => {
  await t?.close();
});

const buttonTexts = (message: SentMessage): string[] => t.fake.buttons(message).map((b) => b.text);

/** "Tomar número" with several branches: the finder's question (and the last branch, when there is one). */
async function askForBranch(): Promise<SentMessage> {
  const mark = t.fake.mark();
  t.fake.sendText(customer, BUTTONS.take);
  return t.fake.waitForMessage(customer.id, /¿En qué sucursal quieres tu número\?/, { since: mark });
}

async function search(text: string, reply: RegExp): Promise<SentMessage> {
  const mark = t.fake.mark();
  t.fake.sendText(customer, text);
  return t.fake.waitForMessage(customer.id, reply, { since: mark });
}

describe('the branch finder at 1,000 branches', () => {
  it('offers the location button on the main keyboard, and no list of every branch', async () => {
    const question = await askForBranch();
    const keyboard = question.reply_markup;
    expect(keyboard && 'keyboard' in keyboard ? keyboard.keyboard.flat() : []).toContainEqual({
      text: BUTTONS.location,
      request_location: true,
    });
    expect(t.fake.buttons(question)).toEqual([]);
  });

  it('answers a shared location with the 5 nearest open branches, in order, with distance and waits', async () => {
    const mark = t.fake.mark();
    t.fake.sendLocation(customer, HERE.latitude, HERE.longitude);
    const list = await t.fake.waitForMessage(customer.id, /Las sucursales más cercanas/, { since: mark });
    expect(buttonTexts(list)).toEqual([
      'Sucursal Ñuñoa · 1,1 km',
      'Sucursal Irarrázaval · 2,2 km',
      'Sucursal Los Leones · 4,4 km',
      'Sucursal Tobalaba · 5,6 km',
      'Sucursal Pedro de Valdivia · 6,7 km',
    ]);
    const text = list.plainText;
    expect(text).toContain('1. Sucursal Ñuñoa · 1,1 km · Ñuñoa\nCaja: 2 en espera · ~15 min\nPersonal Banker: 0 en espera · ~15 min');
    // Los Leones offers only Caja: only Caja's wait.
    expect(text).toContain('3. Sucursal Los Leones · 4,4 km · Providencia\nCaja: 0 en espera · ~5 min\n\n4.');
    expect(text).not.toContain('Plaza Egaña');
  });

  it('finds "Ñuñoa" by "nunoa" (name or comuna, accents and case aside)', async () => {
    await askForBranch();
    const found = await search('nunoa', /Sucursales con «nunoa»/);
    expect(buttonTexts(found).sort()).toEqual(['Sucursal Irarrázaval · Ñuñoa', 'Sucursal Ñuñoa']);
    const again = await search('ÑUÑOA', /Sucursales con «ÑUÑOA»/);
    expect(buttonTexts(again)).toHaveLength(2);
    expect(again.plainText).not.toContain('Más resultados');
  });

  it('shows at most 8 branches and asks for more letters when more match', async () => {
    await askForBranch();
    const found = await search('prueba', /Sucursales con «prueba»/);
    expect(buttonTexts(found)).toHaveLength(8);
    expect(found.plainText).toContain('Más resultados: escribe más letras.');
    const narrower = await search('Prueba 0999', /Sucursales con «Prueba 0999»/);
    expect(buttonTexts(narrower)).toEqual(['Sucursal Prueba 0999 · Comuna 099']);
  });

  it('says when a closed branch opens, in the list and when it is chosen', async () => {
    await askForBranch();
    const found = await search('egana', /Sucursales con «egana»/);
    expect(buttonTexts(found)).toEqual(['🔒 Sucursal Plaza Egaña · La Reina']);
    expect(found.plainText).toMatch(/Sucursal Plaza Egaña: La sucursal abre el (lunes|martes|miércoles|jueves|viernes|sábado|domingo) a las 09:00/);
    const mark = t.fake.mark();
    t.fake.pressButton(customer, found, { text: /Plaza Egaña/ });
    const closed = await t.fake.waitForMessage(customer.id, /🔒/, { since: mark });
    expect(closed.plainText).toMatch(/^🔒 Sucursal Plaza Egaña\nLa sucursal abre el \S+ a las 09:00\.$/);
    expect(t.fake.buttons(closed)).toEqual([]);
  });

  it('shows only the queues a branch offers, and remembers the branch a number was taken in', async () => {
    await askForBranch();
    const found = await search('leones', /Sucursales con «leones»/);
    let mark = t.fake.mark();
    t.fake.pressButton(customer, found, { text: /Los Leones/ });
    const queues = await t.fake.waitForMessage(customer.id, /¿Qué necesitas\?/, { since: mark });
    expect(buttonTexts(queues)).toEqual(['Caja · 0 en espera · ~5 min', '⭐ Necesito atención preferente']);
    mark = t.fake.mark();
    t.fake.pressButton(customer, queues, { text: /^Caja/ });
    await t.fake.waitForEdit(customer.id, queues.message_id, /Pediste un número de <b>Caja<\/b> en <b>Sucursal Los Leones<\/b>/);
    const [row] = await t.app.db.query<{ numero: string }>(`select numero from ticket where branch_office = 'Sucursal Los Leones'`);
    expect(row?.numero).toMatch(/^C\d+$/);
    await t.app.db.query(`update ticket set status = 'CANCELADO' where branch_office = 'Sucursal Los Leones'`);

    // The next time, the last branch is offered right away, and first among those found.
    mark = t.fake.mark();
    t.fake.sendText(customer, BUTTONS.take);
    const last = await t.fake.waitForMessage(customer.id, /La de la última vez/, { since: mark });
    expect(buttonTexts(last)).toEqual(['Sucursal Los Leones · Providencia']);
    const all = await search('sucursal', /Sucursales con «sucursal»/);
    expect(buttonTexts(all)[0]).toBe('Sucursal Los Leones · Providencia');
    expect(buttonTexts(all)).toHaveLength(8);
  });

  it('lets a supervisor reach any branch by part of its name, with at most 8 buttons', async () => {
    const ask = async (text: string, reply: RegExp): Promise<SentMessage> => {
      const mark = t.fake.mark();
      t.fake.sendText(supervisor, text);
      return t.fake.waitForMessage(supervisor.id, reply, { since: mark });
    };
    const many = await ask('/supervisor prueba', /¿Qué sucursal con «prueba»\?/);
    expect(t.fake.buttons(many)).toHaveLength(8);
    expect(many.plainText).toContain('Más resultados: escribe más letras.');
    const two = await ask('/supervisor nunoa', /¿Qué sucursal con «nunoa»\?/);
    expect(t.fake.buttons(two).map((b) => b.text).sort()).toEqual(['Sucursal Irarrázaval · Ñuñoa', 'Sucursal Ñuñoa']);
    const mark = t.fake.mark();
    t.fake.pressButton(supervisor, two, { text: 'Sucursal Ñuñoa' });
    const dashboard = await t.fake.waitForMessage(supervisor.id, /📊 <b>Sucursal Ñuñoa<\/b>/, { since: mark });
    expect(dashboard.plainText).toContain('Caja: 2 en espera');
    await ask('/supervisor Prueba 0999', /📊 <b>Sucursal Prueba 0999<\/b>/);
    await ask('/supervisor zzzz', /No encontré sucursales con «zzzz»/);
    // A customer pressing a supervisor's button gets nothing.
    const press = t.fake.pressButton(customer, two.message_id, t.fake.buttons(two)[0]!.callback_data!, { unchecked: true });
    expect((await t.fake.waitForAnswer(press)).text).toBe('Este comando es solo para supervisores.');
    for (const message of t.fake.messagesTo(supervisor.id)) {
      const markup = message.reply_markup;
      if (markup && 'inline_keyboard' in markup) expect(markup.inline_keyboard.flat().length).toBeLessThanOrEqual(8);
    }
  });

  it('never sent a keyboard of more than 8 buttons', () => {
    const sent = t.fake.messagesTo(customer.id);
    expect(sent.length).toBeGreaterThan(10);
    for (const message of sent) {
      const markups = [message.reply_markup, ...message.edits.map((e) => e.reply_markup)];
      for (const markup of markups) {
        if (markup && 'inline_keyboard' in markup) expect(markup.inline_keyboard.flat().length, message.text).toBeLessThanOrEqual(8);
      }
    }
  });

  it('reads text as a search only after the bot asked which branch', async () => {
    await t.app.db.query(`update telegram_customer set branch_search_at = null`);
    await search('nunoa', /No entendí eso/);
  });
});
