/**
 * The bot as users meet it (SPEC §6, §10), over real HTTP: the real app polls a fake Bot API, the
 * test plays the users. Strangers, supervisors, odd updates, stale and forged buttons, the RUT
 * conversation, contacts, cancelling, the live "Mi turno" message and several branches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackData } from '../../src/bot/callback-data.js';
import { BUTTONS } from '../../src/bot/texts.js';
import { ADMIN_KEY, eventually } from '../support/app.js';
import { rutIndex, sealedRut } from '../support/personal-data.js';
import { seedBranch } from '../support/branch.js';
import type { FakeUser, SentMessage } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

const SUPERVISOR_ID = 4_440_001;
let t: TelegramTestApp;

beforeAll(async () => {
  // Queue figures on the buttons follow the seed's formula here (the SPEC §13 estimator has its own tests).
  t = await startTelegramTestApp({ ADMIN_TELEGRAM_IDS: `${SUPERVISOR_ID}, 4440002`, WAIT_ESTIMATOR: 'formula' });
  // Everybody is busy: tickets wait in line (and can be cancelled) unless a test frees someone.
  await t.app.db.query(`update advisor set status = 'BUSY'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

// ----------------------------------------------------------------------------------------------
// Helpers

let users = 0;
function newUser(first_name: string): FakeUser {
  users += 1;
  return { id: 8_800_000 + users, first_name };
}

/** A chat registered with a RUT, the way the RUT conversation leaves it. */
async function withRut(user: FakeUser, n: number): Promise<string> {
  const nationalId = rut(n);
  await t.app.db.query(`insert into telegram_customer (chat_id, national_id_enc, national_id_bidx, name) values ($1, $2, $3, $4)`, [
    user.id,
    ...sealedRut(t.app, nationalId),
    user.first_name,
  ]);
  return nationalId;
}

const admin = (path: string, init: RequestInit = {}): Promise<Response> =>
  fetch(`${t.app.url}/api/admin${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });

async function advisorByEmail(email: string): Promise<{ id: number; status: string }> {
  const [row] = await t.app.db.query<{ id: string; status: string }>(`select id, status from advisor where email = $1`, [email]);
  return { id: Number(row!.id), status: row!.status };
}

/** Links a Telegram user to an advisor with a one-time code, through the bot. */
async function linkAdvisor(user: FakeUser, email: string): Promise<number> {
  const { id } = await advisorByEmail(email);
  const link = (await (await admin(`/advisors/${id}/link-code`, { method: 'POST' })).json()) as { code: string };
  const mark = t.fake.mark();
  t.fake.sendText(user, `/vincular ${link.code}`);
  await t.fake.waitForMessage(user.id, /Quedaste vinculado/, { since: mark });
  return id;
}

/** Asks the bot for something and waits for the reply that matches. */
async function ask(user: FakeUser, text: string, reply: string | RegExp, timeoutMs = 5000): Promise<SentMessage> {
  const mark = t.fake.mark();
  t.fake.sendText(user, text);
  return t.fake.waitForMessage(user.id, reply, { since: mark, timeoutMs });
}

interface TicketRow {
  id: string;
  codigo_referencia: string;
  numero: string;
  status: string;
  branch_office: string;
}
async function ticketsOf(nationalId: string): Promise<TicketRow[]> {
  return t.app.db.query<TicketRow>(
    `select id, codigo_referencia, numero, status, branch_office from ticket where national_id_bidx = $1 order by id`,
    [rutIndex(t.app, nationalId)],
  );
}

async function kioskTicket(nationalId: string, queueType: string): Promise<{ codigo: string; numero: string }> {
  const response = await t.app.postTicket({ nationalId, queueType });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { codigo: String(response.body.identificador), numero: String(response.body.numero) };
}

const STALE = 'Esa opción ya no está disponible.';

// ----------------------------------------------------------------------------------------------

describe('advisor and supervisor commands', () => {
  it('refuses advisor commands to anyone who is not a linked advisor, politely', async () => {
    const stranger = newUser('Extraño');
    const refusal = await ask(stranger, '/panel', /solo para asesores del banco/);
    expect(refusal.text).toContain('/vincular CÓDIGO');
    expect(refusal.reply_markup).toBeUndefined();
    await ask(stranger, '/vincular', /Envía <b>\/vincular CÓDIGO<\/b>/);
    await ask(stranger, '/vincular ZZZZ9999', /no es válido o ya expiró/);
    const [linked] = await t.app.db.query(`select id from advisor where telegram_user_id = $1`, [stranger.id]);
    expect(linked).toBeUndefined();
  });

  it('ignores a stranger who presses the buttons of an advisor’s panel', async () => {
    const { fake, app } = t;
    const luis = newUser('Luis');
    const stranger = newUser('Mirón');
    const luisId = await linkAdvisor(luis, 'luis.perez@banco.com');
    const panel = await ask(luis, '/panel', /Módulo <b>2<\/b>/);
    expect(fake.buttons(panel).map((b) => b.text)).toEqual([
      '🟢 Disponible',
      '🟡 Pausa',
      '⚫ Desconectado',
      '📣 Llamar otro número', // without a customer; Completar and No se presentó come with one (SPEC §12)
      '🔄 Actualizar',
    ]);
    const auditBefore = await app.db.query(`select id from audit_log where entity_type = 'ADVISOR' and entity_id = $1`, [String(luisId)]);

    // The panel reaches someone else (forwarded, or a modified client): every press is re-checked.
    const presses = [
      ...[/Disponible/, /Pausa/, /Desconectado/, /Llamar otro número/, /Actualizar/].map((text) => ({ text })),
      callbackData.advisorFinish('COMPLETADO'),
      callbackData.advisorFinish('NO_ATENDIDO'),
    ];
    for (const data of presses) {
      const press = fake.pressButton(stranger, panel, data, { unchecked: true });
      const answer = await fake.waitForAnswer(press);
      expect(answer).toMatchObject({ text: 'Solo el asesor vinculado puede usar este panel.', show_alert: true });
    }

    expect((await advisorByEmail('luis.perez@banco.com')).status).toBe('BUSY');
    const auditAfter = await app.db.query(`select id from audit_log where entity_type = 'ADVISOR' and entity_id = $1`, [String(luisId)]);
    expect(auditAfter).toHaveLength(auditBefore.length);
    expect(fake.sent.find((s) => s.message_id === panel.message_id && s.chat_id === luis.id)!.edits).toEqual([]);

    // The advisor himself still can.
    const own = fake.pressButton(luis, panel, { text: /Actualizar/ });
    expect((await fake.waitForAnswer(own)).text).toBe('Listo ✅');
  });

  it('gives /supervisor to ADMIN_TELEGRAM_IDS only', async () => {
    const supervisor: FakeUser = { id: SUPERVISOR_ID, first_name: 'Sofía' };
    const dashboard = await ask(supervisor, '/supervisor', /📊/);
    expect(dashboard.text).toMatch(/^📊 <b>Sucursal Centro<\/b>/);
    expect(dashboard.text).toContain('<b>Filas</b>');
    expect(dashboard.text).toMatch(/Caja: \d+ en espera/);
    expect(dashboard.text).toContain('<b>Asesores</b>');
    expect(dashboard.text).toContain('M1 Carlos Rodríguez');
    expect(dashboard.text).toContain('<b>Alertas</b>');

    const other = newUser('Curioso');
    await ask(other, '/supervisor', 'Este comando es solo para supervisores.');
    // A linked advisor is not a supervisor either.
    const ana = newUser('Ana');
    await linkAdvisor(ana, 'ana.martinez@banco.com');
    await ask(ana, '/supervisor', 'Este comando es solo para supervisores.');
  });
});

describe('robustness', () => {
  it('answers stickers, photos and unknown text with a way forward, and ignores edits', async () => {
    const { fake } = t;
    const user = newUser('Pía');
    let mark = fake.mark();
    fake.sendSticker(user);
    const reply = await fake.waitForMessage(user.id, /No entendí eso/, { since: mark });
    expect(reply.reply_markup).toMatchObject({ keyboard: expect.any(Array) });
    mark = fake.mark();
    fake.sendPhoto(user, 'mi carnet');
    await fake.waitForMessage(user.id, /No entendí eso/, { since: mark });
    const said = await ask(user, 'hola, ¿a qué hora abren?', /No entendí eso/);
    expect(said.text).toContain('/ayuda');

    // The user edits an earlier message (even into a command): nothing happens, nothing breaks.
    const [own] = fake.updates.filter((u) => u.message?.chat.id === user.id && u.message.text?.startsWith('hola'));
    mark = fake.mark();
    fake.editText(user, own!.message!.message_id, '/tomar');
    await ask(user, '/ayuda', /¿Cómo funciona\?/);
    expect(fake.sent.filter((s) => s.seq > mark && s.chat_id === user.id).map((s) => s.plainText.split('\n')[0])).toEqual([
      '¿Cómo funciona?',
    ]);
  });

  it('gives one ticket for a queue button pressed twice, and survives late presses', async () => {
    const { fake } = t;
    const user = newUser('Doble');
    const nationalId = await withRut(user, 501);
    const queues = await ask(user, BUTTONS.take, /¿Qué necesitas\?/);
    const caja = fake.buttons(queues).find((b) => b.text.startsWith('Caja'))!.callback_data!;
    const mark = fake.mark();
    const first = fake.pressButton(user, queues, { text: /^Caja/ });
    const second = fake.pressButton(user, queues, { text: /^Caja/ });
    await fake.waitForAnswer(first);
    await fake.waitForAnswer(second);
    await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
    const tickets = await ticketsOf(nationalId);
    expect(tickets).toHaveLength(1);
    expect(fake.currentText(user.id, queues.message_id)).toMatch(/Ya tienes un ticket activo: <b>C\d+<\/b>|Pediste un número/);

    // Much later, the same (now gone) button again.
    const late = fake.pressButton(user, queues, caja, { unchecked: true });
    await fake.waitForAnswer(late);
    const [only] = await ticketsOf(nationalId);
    expect(await ticketsOf(nationalId)).toHaveLength(1);
    // One "created" notification only: the one ticket has one such message, and it has been sent
    // (ENVIADO is final: the dispatcher never sends a row twice), so nothing else can come.
    const created = (): Promise<Array<{ estado_envio: string }>> =>
      t.app.db.query(`select estado_envio from mensaje where ticket_id = $1 and plantilla = 'TOTEM_TICKET_CREADO'`, [only!.id]);
    await eventually(async () => expect(await created()).toEqual([{ estado_envio: 'ENVIADO' }]));
    expect(fake.messagesTo(user.id).filter((s) => s.text.includes('Ticket Creado'))).toHaveLength(1);
  });

  it('answers forged or foreign button data with "ya no está disponible", changing nothing', async () => {
    const { fake } = t;
    const user = newUser('Forja');
    await withRut(user, 502);
    const victim = await kioskTicket(rut(503), 'PERSONAL_BANKER');
    const [victimRow] = await t.app.db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [victim.codigo]);
    const help = await ask(user, '/ayuda', /¿Cómo funciona\?/);

    for (const data of [
      'tk:q:0000000000:CAJA', // unknown branch
      'tk:q:zz:CAJA', // malformed
      'tk:q:0000000000:VIP', // unknown queue
      `cx:y:${victimRow!.id}`, // somebody else's ticket
      'cx:y:99999999999', // no such ticket
      'hola', // nothing the bot ever sent
      'x'.repeat(64),
    ]) {
      const press = fake.pressButton(user, help, data, { unchecked: true });
      expect((await fake.waitForAnswer(press)).text, data).toBe(STALE);
    }
    // Advisor buttons from a customer: refused the same way as from any stranger.
    const advisorPress = fake.pressButton(user, help, callbackData.advisorStatus('AVAILABLE'), { unchecked: true });
    expect((await fake.waitForAnswer(advisorPress)).show_alert).toBe(true);

    const [victimNow] = await t.app.db.query<{ status: string }>(`select status from ticket where id = $1`, [victimRow!.id]);
    expect(victimNow!.status).toMatch(/^(EN_ESPERA|PROXIMO)$/);
  });
});

describe('customers', () => {
  it('RUT conversation: re-asks on a non-text message, can be cancelled, then registers', async () => {
    const { fake, app } = t;
    const user = newUser('Rut');
    await ask(user, BUTTONS.rut, /Escribe tu RUT/);
    let mark = fake.mark();
    fake.sendSticker(user);
    await fake.waitForMessage(user.id, /Necesito tu RUT escrito como texto/, { since: mark });
    mark = fake.mark();
    fake.sendPhoto(user);
    await fake.waitForMessage(user.id, /Necesito tu RUT escrito como texto/, { since: mark });
    await ask(user, 'cancelar', 'Ok, no cambiamos tu RUT.');
    const [after] = await app.db.query<{ national_id_enc: string | null }>(
      `select national_id_enc from telegram_customer where chat_id = $1`,
      [user.id],
    );
    expect(after?.national_id_enc ?? null).toBeNull();

    // The conversation is over: a RUT now is just text.
    await ask(user, rut(504), /No entendí eso/);

    await ask(user, '/rut', /Escribe tu RUT/);
    await ask(user, 'no sé', /Inténtalo de nuevo/);
    await ask(user, rut(504), /registramos tu RUT/);
    const [registered] = await app.db.query<{ national_id_enc: string; national_id_bidx: Buffer }>(
      `select national_id_enc, national_id_bidx from telegram_customer where chat_id = $1`,
      [user.id],
    );
    expect(app.personalData.decrypt('rut', registered!.national_id_enc)).toBe(rut(504));
    expect(registered!.national_id_bidx.equals(rutIndex(app, rut(504)))).toBe(true);
  });

  it('refuses a contact that is not the user’s own', async () => {
    const { fake, app } = t;
    const user = newUser('Contacto');
    let mark = fake.mark();
    fake.sendContact(user, '+56911112222', { ownContact: false, userId: 12345, firstName: 'Mamá' });
    await fake.waitForMessage(user.id, /solo puedo guardar tu propio número/, { since: mark });
    mark = fake.mark();
    fake.sendContact(user, '+56911112222', { ownContact: false, firstName: 'Sin cuenta' });
    await fake.waitForMessage(user.id, /solo puedo guardar tu propio número/, { since: mark });
    const rows = await app.db.query<{ phone_enc: string | null }>(`select phone_enc from telegram_customer where chat_id = $1`, [user.id]);
    expect(rows.every((r) => r.phone_enc === null)).toBe(true);

    mark = fake.mark();
    fake.sendContact(user, '56911112222');
    await fake.waitForMessage(user.id, /Guardamos tu teléfono/, { since: mark });
    const [saved] = await app.db.query<{ phone_enc: string }>(`select phone_enc from telegram_customer where chat_id = $1`, [user.id]);
    expect(app.personalData.decrypt('phone', saved!.phone_enc)).toBe('+56911112222');
  });

  it('cancels with confirmation: "No" keeps the ticket, "Sí" cancels it, a late "Sí" is answered politely', async () => {
    const { fake, app } = t;
    const user = newUser('Cancela');
    const nationalId = await withRut(user, 505);
    const queues = await ask(user, BUTTONS.take, /¿Qué necesitas\?/);
    const mark = fake.mark();
    fake.pressButton(user, queues, { text: /^Personal Banker/ });
    await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
    const [ticket] = await ticketsOf(nationalId);

    const keep = await ask(user, BUTTONS.cancel, /¿Seguro que quieres cancelar tu turno <b>P\d+<\/b>\?/);
    expect(fake.buttons(keep).map((b) => b.text)).toEqual(['Sí, cancelar', 'No, mantener']);
    await fake.waitForAnswer(fake.pressButton(user, keep, { text: 'No, mantener' }));
    await fake.waitForEdit(user.id, keep.message_id, 'Perfecto, mantienes tu turno.');
    expect((await ticketsOf(nationalId))[0]!.status).toMatch(/^(EN_ESPERA|PROXIMO)$/);

    // Two confirmations open at once (the user tapped twice); the first "Sí" cancels.
    const confirm = await ask(user, '/cancelar', /¿Seguro que quieres cancelar/);
    const again = await ask(user, '/cancelar', /¿Seguro que quieres cancelar/);
    await fake.waitForAnswer(fake.pressButton(user, confirm, { text: 'Sí, cancelar' }));
    await fake.waitForEdit(user.id, confirm.message_id, /quedó cancelado/);
    expect((await ticketsOf(nationalId))[0]!.status).toBe('CANCELADO');
    const [audit] = await app.db.query<{ actor: string }>(
      `select actor from audit_log where entity_type = 'TICKET' and entity_id = $1 and event_type = 'TICKET_CANCELADO'`,
      [ticket!.id],
    );
    expect(audit!.actor).toBe(`telegram:${user.id}`);

    // The second confirmation, pressed after the ticket was cancelled.
    const late = fake.pressButton(user, again, { text: 'Sí, cancelar' });
    await fake.waitForAnswer(late);
    await fake.waitForEdit(user.id, again.message_id, /ya no se puede cancelar/);
    // And the first one once more, though its buttons are gone.
    const stale = fake.pressButton(user, confirm, callbackData.cancel(true, Number(ticket!.id)), { unchecked: true });
    await fake.waitForAnswer(stale);
    await fake.waitForEdit(user.id, confirm.message_id, /ya no se puede cancelar/);
    expect(await ticketsOf(nationalId)).toMatchObject([{ status: 'CANCELADO' }]);
    await ask(user, BUTTONS.cancel, /No tienes un turno activo/);
  });

  it('"Mi turno" shows the status and the bot edits that message as the line moves', { timeout: 40_000 }, async () => {
    const { fake } = t;
    const user = newUser('Espera');
    const nationalId = await withRut(user, 506);
    // Two customers ahead, from the kiosk (GERENCIA: no other test uses it).
    const ahead = [await kioskTicket(rut(507), 'GERENCIA'), await kioskTicket(rut(508), 'GERENCIA')];
    const queues = await ask(user, BUTTONS.take, /¿Qué necesitas\?/);
    expect(fake.buttons(queues).map((b) => b.text)).toContain('Gerencia · 2 en espera · ~45 min');
    const mark = fake.mark();
    fake.pressButton(user, queues, { text: /^Gerencia/ });
    await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });

    const status = await ask(user, BUTTONS.myTurn, /Tu turno G\d+/);
    expect(status.text).toContain('Posición en cola: <b>#3</b>');
    expect(status.text).toContain('Fila: Gerencia · Sucursal Centro');

    // One customer ahead gives up at the kiosk: the same message now says #2.
    const cancelled = await t.app.request(`/api/tickets/${ahead[0]!.codigo}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    const edited = await fake.waitForEdit(user.id, status.message_id, 'Posición en cola: <b>#2</b>', { timeoutMs: 8000 });
    expect(edited.edits).toHaveLength(1);
    expect(edited.currentText).toContain('Tiempo estimado:');

    // The ticket ends: one last edit, then the bot stops following it.
    const [mine] = await ticketsOf(nationalId);
    expect((await t.app.request(`/api/tickets/${mine!.codigo_referencia}/cancel`, { method: 'POST' })).status).toBe(200);
    await fake.waitForEdit(user.id, status.message_id, 'Estado: <b>Cancelado</b>', { timeoutMs: 8000 });
    await eventually(async () => {
      const rows = await t.app.db.query(`select 1 from telegram_status_message where chat_id = $1`, [user.id]);
      expect(rows).toHaveLength(0);
    }, 8000);
    expect(fake.sent.find((s) => s.chat_id === user.id && s.message_id === status.message_id)!.edits).toHaveLength(2);
    // A job like the others: planned by the status-messages worker, recorded in job_run.
    const [run] = await t.app.db.query<{ runs: number; last_status: string }>(`select runs, last_status from job_run where name = 'status-messages'`);
    expect(run).toMatchObject({ last_status: 'OK' });
    expect(run!.runs).toBeGreaterThan(1);
  });

  it('asks for the branch first when there are several', async () => {
    const { fake, app } = t;
    await seedBranch(app.db, 'Sucursal Norte', [{ name: 'Pedro Soto', module: 1, queues: ['CAJA', 'EMPRESAS'], status: 'BUSY' }]);
    try {
      const user = newUser('Norte');
      const nationalId = await withRut(user, 509);
      // SPEC §17: no list of every branch; the customer types part of its name.
      const question = await ask(user, BUTTONS.take, '¿En qué sucursal quieres tu número?');
      expect(fake.buttons(question)).toEqual([]);
      const branches = await ask(user, 'norte', /Sucursales con «norte»/);
      expect(fake.buttons(branches).map((b) => b.text)).toEqual(['Sucursal Norte']);
      let mark = fake.mark();
      await fake.waitForAnswer(fake.pressButton(user, branches, { text: 'Sucursal Norte' }));
      const queues = await fake.waitForMessage(user.id, /<b>Sucursal Norte<\/b>\n¿Qué necesitas\?/, { since: mark });
      expect(fake.buttons(queues).map((b) => b.text)[0]).toBe('Caja · 0 en espera · ~5 min');

      mark = fake.mark();
      fake.pressButton(user, queues, { text: /^Empresas/ });
      await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
      expect(await ticketsOf(nationalId)).toMatchObject([{ branch_office: 'Sucursal Norte', numero: 'E01' }]);
    } finally {
      await app.db.query(`update ticket set status = 'CANCELADO' where branch_office = 'Sucursal Norte'`);
      await app.db.query(`delete from advisor where branch_office = 'Sucursal Norte'`);
      await app.db.query(`update branch set active = false where name = 'Sucursal Norte'`);
    }
  });
});
