/**
 * The service floor through the real bot (SPEC §12): the real app polls a fake Bot API and the
 * test plays the customer and the advisor. Preferential attention when taking a number, the
 * advisor's /panel (Llamando → Volver a llamar → Llegó → Completar, pauses with a reason, Transferir,
 * Llamar otro número), the customer's messages word for word, the rating, a walkout, stale buttons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackData } from '../../src/bot/callback-data.js';
import { BUTTONS } from '../../src/bot/texts.js';
import { ADMIN_KEY, eventually } from '../support/app.js';
import { chatWithOwnPhone, phoneForChat, rutIndex } from '../support/personal-data.js';
import type { FakeUser, SentMessage } from '../support/fake-telegram.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

let t: TelegramTestApp;

beforeAll(async () => {
  t = await startTelegramTestApp({ RECALL_MIN_INTERVAL_S: '0' });
  await t.app.db.query(`update advisor set status = 'OFFLINE'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

let users = 0;
const newUser = (first_name: string): FakeUser => ({ id: 9_900_000 + ++users, first_name });

/** A chat with a RUT and its own shared phone (SPEC §22: the phone is what reaches its kiosk tickets). */
async function withRut(user: FakeUser, n: number): Promise<string> {
  const nationalId = rut(n);
  await chatWithOwnPhone(t.app, user.id, nationalId, { name: user.first_name });
  return nationalId;
}

async function linkAdvisor(user: FakeUser, email: string): Promise<number> {
  const [row] = await t.app.db.query<{ id: string }>(`select id from advisor where email = $1`, [email]);
  const id = Number(row!.id);
  const response = await fetch(`${t.app.url}/api/admin/advisors/${id}/link-code`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const { code } = (await response.json()) as { code: string };
  const mark = t.fake.mark();
  t.fake.sendText(user, `/vincular ${code}`);
  await t.fake.waitForMessage(user.id, /Quedaste vinculado/, { since: mark });
  return id;
}

/** Presses a panel button and waits for its answer and for the panel to show `after`. */
async function press(user: FakeUser, message: SentMessage, label: RegExp, after: RegExp): Promise<{ answer: string | undefined; panel: SentMessage }> {
  const update = t.fake.pressButton(user, message, { text: label });
  const answer = await t.fake.waitForAnswer(update);
  const panel = await t.fake.waitForEdit(user.id, message.message_id, after);
  return { answer: answer.text, panel };
}

async function openPanel(user: FakeUser, shows: RegExp): Promise<SentMessage> {
  const mark = t.fake.mark();
  t.fake.sendCommand(user, '/panel');
  return t.fake.waitForMessage(user.id, shows, { since: mark });
}

describe('the service floor in Telegram', () => {
  it('a preferential customer is called, recalled, served, and rates the service', async () => {
    const { fake, app } = t;
    const customer = newUser('Elena');
    await withRut(customer, 70_001);
    const carlos = newUser('Carlos');
    const carlosId = await linkAdvisor(carlos, 'carlos.rodriguez@banco.com');

    // Taking a number with preferential attention: the button, the kind, then the queue.
    let mark = fake.mark();
    fake.sendText(customer, BUTTONS.take);
    const queues = await fake.waitForMessage(customer.id, /¿Qué necesitas\?/, { since: mark });
    fake.pressButton(customer, queues, { text: '⭐ Necesito atención preferente' });
    const kinds = await fake.waitForEdit(customer.id, queues.message_id, /¿Qué atención preferente necesitas\?/);
    fake.pressButton(customer, kinds, { text: 'Tercera edad' });
    const again = await fake.waitForEdit(customer.id, queues.message_id, /⭐ Tercera edad/);
    fake.pressButton(customer, again, { text: /^Caja/ });
    await fake.waitForMessage(customer.id, /Ticket Creado/, { since: mark });
    const [ticket] = await app.db.query<{ id: string; numero: string; atencion_preferente: string }>(
      `select id, numero, atencion_preferente from ticket where national_id_bidx = $1`,
      [rutIndex(app, rut(70_001))],
    );
    expect(ticket).toMatchObject({ numero: 'C01', atencion_preferente: 'TERCERA_EDAD' });
    mark = fake.mark();
    fake.sendText(customer, BUTTONS.myTurn);
    const status = await fake.waitForMessage(customer.id, /Tu turno C01/, { since: mark });
    expect(status.text).toContain('Atención preferente: Tercera edad');

    // The advisor becomes available: Llamando, with Llegó and Volver a llamar.
    mark = fake.mark();
    const panel = await openPanel(carlos, /Módulo <b>1<\/b>/);
    await press(carlos, panel, /Disponible/, /Llamando: <b>C01<\/b> \(Caja\) · ⭐ Tercera edad · llamado 1/);
    await fake.waitForMessage(customer.id, /ES TU TURNO C01/, { since: mark });
    const live = await fake.waitForMessage(carlos.id, /Nuevo cliente: C01/, { since: mark });
    expect(fake.buttons(live).map((b) => b.text)).toEqual(expect.arrayContaining(['🙋 Llegó', '🔔 Volver a llamar', '🚫 No se presentó', '↪️ Transferir']));

    // Volver a llamar twice: the customer is told which call it is; a fourth is refused.
    let current = (await press(carlos, live, /Volver a llamar/, /llamado 2/)).panel;
    const recall = await fake.waitForMessage(customer.id, /Te estamos llamando/, { since: mark });
    expect(recall.text).toBe('🔔 <b>¡Te estamos llamando! C01</b>\n\nLlamado 2 de 3. Dirígete al módulo: <b>1</b>\nAsesor: <b>Carlos Rodríguez</b>');
    current = (await press(carlos, current, /Volver a llamar/, /llamado 3/)).panel;
    const refused = t.fake.pressButton(carlos, current, { text: /Volver a llamar/ });
    expect((await fake.waitForAnswer(refused)).text).toBe('❗ Ya llamaste a C01 3 veces (máximo 3); puedes marcarlo como no presentado');

    // Llegó, then Completar: the customer is asked for a rating, once.
    current = (await press(carlos, current, /Llegó/, /Atendiendo: <b>C01<\/b>/)).panel;
    const done = await press(carlos, current, /Completar/, /Sin cliente en este momento/);
    expect(done.answer).toBe('Listo ✅');
    const survey = await fake.waitForMessage(customer.id, /¿Cómo te atendimos\?/, { since: mark });
    expect(survey.text).toBe('⭐ <b>¿Cómo te atendimos?</b>\n\nTurno: <b>C01</b>\nElige una nota de 1 (muy mal) a 5 (excelente).');
    expect(fake.buttons(survey).map((b) => b.text)).toEqual(['1 ⭐', '2 ⭐', '3 ⭐', '4 ⭐', '5 ⭐']);
    fake.pressButton(customer, survey, { text: '5 ⭐' });
    await fake.waitForEdit(customer.id, survey.message_id, /Gracias/);
    expect(fake.currentText(customer.id, survey.message_id)).toBe('🙏 ¡Gracias! Registramos tu nota <b>5</b> para el turno <b>C01</b>.');
    const twice = fake.pressButton(customer, survey, callbackData.rating(Number(ticket!.id), 1), { unchecked: true });
    expect((await fake.waitForAnswer(twice)).text).toBe('Ya habíamos registrado tu evaluación de ese turno. ¡Gracias!');
    const [rated] = await app.db.query<{ rating: number }>(`select rating from ticket where id = $1`, [ticket!.id]);
    expect(rated!.rating).toBe(5);

    // A stale "Llegó" from the first notice changes nothing and says why.
    const stale = fake.pressButton(carlos, live, callbackData.advisorArrived(Number(ticket!.id)), { unchecked: true });
    expect((await fake.waitForAnswer(stale)).text).toBe('❗ Carlos Rodríguez no tiene un ticket en atención');
    expect((await app.services.advisors.get(carlosId)).currentTicket).toBeNull();
  });

  it('pauses with a reason, calls another number, transfers, and tells the advisor about a walkout', async () => {
    const { fake, app } = t;
    const luis = newUser('Luis');
    await linkAdvisor(luis, 'luis.perez@banco.com');
    const first = newUser('Pía');
    const second = newUser('Raúl');
    await withRut(first, 70_010);
    await withRut(second, 70_011);
    // Carlos (also CAJA) is away: only Luis serves.
    await app.db.query(`update advisor set status = 'OFFLINE' where email = 'carlos.rodriguez@banco.com'`);

    // Pausa asks for a reason.
    let panel = await openPanel(luis, /Módulo <b>2<\/b>/);
    const menu = t.fake.pressButton(luis, panel, { text: /Pausa/ });
    await fake.waitForAnswer(menu);
    const reasons = await fake.waitForEdit(luis.id, panel.message_id, /¿Por qué haces una pausa\?/);
    expect(fake.buttons(reasons).map((b) => b.text)).toEqual(['Colación', 'Reunión', 'Trámite interno', 'Capacitación', 'Otro', '⬅️ Volver al panel']);
    panel = (await press(luis, reasons, /^Reunión$/, /En pausa \(Reunión, 0 min\)/)).panel;

    // Two customers wait; Luis calls the second one out of order from his pause.
    const a = await app.postTicket({ nationalId: rut(70_010), telefono: phoneForChat(first.id), queueType: 'CAJA' });
    const b = await app.postTicket({ nationalId: rut(70_011), telefono: phoneForChat(second.id), queueType: 'CAJA' });
    const list = t.fake.pressButton(luis, panel, { text: /Llamar otro número/ });
    await fake.waitForAnswer(list);
    const numbers = await fake.waitForEdit(luis.id, panel.message_id, /Elige el número que quieres llamar/);
    expect(fake.buttons(numbers).map((x) => x.text)).toEqual([a.body.numero, b.body.numero, '⬅️ Volver al panel']);
    let mark = fake.mark();
    panel = (await press(luis, numbers, new RegExp(`^${String(b.body.numero)}$`), new RegExp(`Llamando: <b>${String(b.body.numero)}</b>`))).panel;
    await fake.waitForMessage(second.id, new RegExp(`ES TU TURNO ${String(b.body.numero)}`), { since: mark });
    const [audit] = await app.db.query(`select actor from audit_log where event_type = 'TICKET_LLAMADO_FUERA_DE_ORDEN' order by id desc limit 1`);
    expect(audit).toMatchObject({ actor: 'luis.perez@banco.com' });

    // Transferir to Empresas (a queue Luis does not serve): the customer is told where, with place and estimate.
    const transfer = t.fake.pressButton(luis, panel, { text: /Transferir/ });
    await fake.waitForAnswer(transfer);
    const targets = await fake.waitForEdit(luis.id, panel.message_id, /¿A dónde derivas a/);
    mark = fake.mark();
    panel = (await press(luis, targets, /Fila Empresas/, new RegExp(`Llamando: <b>${String(a.body.numero)}</b>`))).panel;
    const moved = await fake.waitForMessage(second.id, /Te derivamos a/, { since: mark });
    expect(moved.text).toMatch(
      new RegExp(`^↪️ <b>Te derivamos a Empresas</b>\\n\\nTurno: <b>${String(b.body.numero)}</b>\\nPosición en cola: <b>#\\d+</b>\\nTiempo estimado: <b>\\d+ minutos</b>$`),
    );

    // Luis now calls the first customer, who cancels from the bot before reaching the desk.
    mark = fake.mark();
    fake.sendText(first, BUTTONS.cancel);
    const confirm = await fake.waitForMessage(first.id, /Seguro que quieres cancelar/, { since: mark });
    fake.pressButton(first, confirm, { text: 'Sí, cancelar' });
    await fake.waitForEdit(first.id, confirm.message_id, /quedó cancelado/);
    const told = await fake.waitForMessage(luis.id, /canceló su turno/, { since: mark });
    expect(told.text).toBe(`🚶 <b>${String(a.body.numero)}</b> canceló su turno antes de llegar al módulo. Quedaste libre para el siguiente cliente.`);
    await eventually(async () => {
      const [row] = await app.db.query<{ status: string }>(`select status from ticket where codigo_referencia = $1`, [a.body.identificador]);
      expect(row!.status).toBe('CANCELADO');
    });
  });
});
