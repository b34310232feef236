import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { eventually, type TestApp } from '../support/app.js';
import type { FakeTelegram, FakeUser } from '../support/fake-telegram.js';
import { openQueues } from '../support/journey-steps.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

/*
 * SPEC §22, end to end through the fake Bot API: a RUT typed in a chat is a claim, not a proof.
 * The victim registers RUT 16.666.666-K, shares their phone and takes a number; another chat types
 * the same RUT. That chat sees nothing of the victim, erases nothing of the victim, and never
 * receives the victim's kiosk notifications.
 */

let t: TelegramTestApp;
let app: TestApp;
let fake: FakeTelegram;
const VICTIM_RUT = '16.666.666-K';
const victim: FakeUser = { id: 5_590_001, first_name: 'Valentina' };
const attacker: FakeUser = { id: 5_590_002, first_name: 'Mallory' };

beforeAll(async () => {
  t = await startTelegramTestApp({ CHAT_TICKETS_PER_HOUR: '3', MAX_RUTS_PER_CHAT: '3' });
  ({ app, fake } = t);
  // Nobody serves: tickets stay waiting while the chats act.
  await app.db.query(`update advisor set status = 'OFFLINE'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

async function registerRut(user: FakeUser, text: string): Promise<string> {
  let mark = fake.mark();
  fake.sendText(user, BUTTONS.rut);
  await fake.waitForMessage(user.id, /Escribe tu RUT/, { since: mark });
  mark = fake.mark();
  fake.sendText(user, text);
  const reply = await fake.waitForMessage(user.id, /registramos tu RUT|RUT distintos/, { since: mark });
  return reply.text;
}

async function takeNumber(user: FakeUser, queue: RegExp): Promise<void> {
  const mark = fake.mark();
  const queues = await openQueues(fake, user, mark);
  fake.pressButton(user, queues, { text: queue });
  await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
}

async function ask(user: FakeUser, command: string, match: RegExp): Promise<string> {
  const mark = fake.mark();
  fake.sendCommand(user, command);
  return (await fake.waitForMessage(user.id, match, { since: mark })).text;
}

describe('a RUT typed in another chat moves nothing (SPEC §22)', () => {
  let victimNumero = '';

  it('the victim registers the RUT, shares the phone and takes a number', async () => {
    fake.sendCommand(victim, '/start');
    await fake.waitForMessage(victim.id, /Hola, Valentina/);
    expect(await registerRut(victim, VICTIM_RUT)).toContain('16.***.***-K');
    const mark = fake.mark();
    fake.sendContact(victim, '56911112222');
    await fake.waitForMessage(victim.id, /Guardamos tu teléfono/, { since: mark });
    await takeNumber(victim, /^Personal Banker/);
    const [row] = await app.db.query<{ numero: string; chat_id: string }>(`select numero, chat_id from ticket order by id desc limit 1`);
    victimNumero = row!.numero;
    expect(victimNumero).toMatch(/^P\d+$/);
    expect(Number(row!.chat_id)).toBe(victim.id);
  });

  it('another chat types the same RUT: it is saved there, the victim keeps it and is told', async () => {
    fake.sendCommand(attacker, '/start');
    await fake.waitForMessage(attacker.id, /Hola, Mallory/);
    const mark = fake.mark();
    expect(await registerRut(attacker, '16666666-k')).toContain('16.***.***-K');
    await fake.waitForMessage(victim.id, 'Tu RUT fue registrado en otro chat de Telegram. Si no fuiste tú, escribe /ayuda.', {
      since: mark,
    });
    const chats = await app.db.query<{ chat_id: string }>(
      `select chat_id from telegram_customer where national_id_bidx is not null order by chat_id`,
    );
    expect(chats.map((c) => Number(c.chat_id))).toEqual([victim.id, attacker.id]);
  });

  it('/misdatos, "Mi turno" and "Tomar número" in that chat show nothing of the victim', async () => {
    const mine = await ask(attacker, '/misdatos', /Tus datos en el banco/);
    expect(mine).toContain('Ninguno.');
    expect(mine).not.toContain(victimNumero);
    expect(mine).not.toContain('Personal Banker');

    const turn = await ask(attacker, '/turno', /turno/i);
    expect(turn).toContain('No tienes un turno activo');

    // The RUT's active ticket exists, but its number is not this chat's to learn.
    const mark = fake.mark();
    const queues = await openQueues(fake, attacker, mark);
    fake.pressButton(attacker, queues, { text: /^Caja/ });
    const refused = await fake.waitForEdit(attacker.id, queues.message_id, /ya tiene un turno activo/);
    expect(refused.currentText).not.toContain(victimNumero);

    const cancel = await ask(attacker, '/cancelar', /turno/i);
    expect(cancel).toContain('No tienes un turno activo');
  });

  it('/borrar in that chat erases that chat only: the victim’s ticket, RUT and link stay', async () => {
    const mark = fake.mark();
    fake.sendCommand(attacker, '/borrar');
    const confirm = await fake.waitForMessage(attacker.id, /¿Borrar tus datos\?/, { since: mark });
    await fake.waitForAnswer(fake.pressButton(attacker, confirm, { text: 'Sí, borrar mis datos' }));
    const done = await fake.waitForEdit(attacker.id, confirm.message_id, /Listo: borramos tus datos/);
    expect(done.currentText).not.toContain('Cancelamos');

    const [ticket] = await app.db.query<{ active: boolean; has_rut: boolean; chat_id: string }>(
      `select status in ('EN_ESPERA', 'PROXIMO') as active, national_id_bidx is not null as has_rut, chat_id from ticket where numero = $1`,
      [victimNumero],
    );
    expect(ticket).toEqual({ active: true, has_rut: true, chat_id: String(victim.id) });
    const [kept] = await app.db.query<{ has_rut: boolean; has_phone: boolean }>(
      `select national_id_bidx is not null as has_rut, phone_bidx is not null as has_phone from telegram_customer where chat_id = $1`,
      [victim.id],
    );
    expect(kept).toEqual({ has_rut: true, has_phone: true });
    expect(await app.db.query(`select 1 from telegram_customer where chat_id = $1`, [attacker.id])).toEqual([]);

    const mine = await ask(victim, '/misdatos', /Tus datos en el banco/);
    expect(mine).toContain('RUT: <b>16.***.***-K</b>');
    expect(mine).toContain(`${victimNumero} · Personal Banker`);
  });

  it('the victim’s kiosk ticket reaches the victim (by the verified phone), never the chat that typed the RUT', async () => {
    // The other chat comes back and types the RUT again.
    let mark = fake.mark();
    fake.sendCommand(attacker, '/start');
    await fake.waitForMessage(attacker.id, /Hola, Mallory/, { since: mark });
    await registerRut(attacker, VICTIM_RUT);

    // The victim gives up the bot ticket, then takes one at the kiosk with the same RUT and phone.
    mark = fake.mark();
    fake.sendText(victim, BUTTONS.cancel);
    const confirm = await fake.waitForMessage(victim.id, /Seguro que quieres cancelar/, { since: mark });
    await fake.waitForAnswer(fake.pressButton(victim, confirm, { text: 'Sí, cancelar' }));
    await fake.waitForEdit(victim.id, confirm.message_id, /quedó cancelado/);

    mark = fake.mark();
    const kiosk = await app.postTicket({ nationalId: VICTIM_RUT, telefono: '+56 9 1111 2222', queueType: 'GERENCIA' });
    expect(kiosk.status).toBe(201);
    const numero = String(kiosk.body.numero);
    const created = await fake.waitForMessage(victim.id, /Ticket Creado/, { since: mark });
    expect(created.text).toContain(`<b>${numero}</b>`);
    await fake.waitForMessage(victim.id, /Pronto será tu turno/, { since: mark });
    // Every message of the ticket went out (to the victim), so nothing more can reach anyone.
    await eventually(async () => {
      const [open] = await app.db.query<{ n: number }>(
        `select count(*)::int as n from mensaje m join ticket t on t.id = m.ticket_id
         where t.numero = $1 and m.plantilla in ('TOTEM_TICKET_CREADO', 'TOTEM_PROXIMO_TURNO') and m.estado_envio <> 'ENVIADO'`,
        [numero],
      );
      expect(open!.n).toBe(0);
    });
    const toAttacker = fake.messagesTo(attacker.id).filter((m) => m.seq > mark && m.text.includes(numero));
    expect(toAttacker).toEqual([]);
  });
});

describe('what one chat may do (SPEC §22)', () => {
  const chat: FakeUser = { id: 5_590_010, first_name: 'Ramiro' };

  it('holds one active ticket, whatever RUT it switches to', async () => {
    fake.sendCommand(chat, '/start');
    await fake.waitForMessage(chat.id, /Hola, Ramiro/);
    await registerRut(chat, rut(9101));
    await takeNumber(chat, /^Caja/);
    await registerRut(chat, rut(9102));
    const mark = fake.mark();
    fake.sendText(chat, BUTTONS.take);
    await fake.waitForMessage(chat.id, /Ya tienes un ticket activo: <b>C\d+<\/b>/, { since: mark });
    // The database holds the rule too, whatever the code above does.
    const [active] = await app.db.query<{ n: number }>(
      `select count(*)::int as n from ticket where chat_id = $1 and status in ('EN_ESPERA', 'PROXIMO', 'ATENDIENDO')`,
      [chat.id],
    );
    expect(active!.n).toBe(1);
    await expect(
      app.db.query(
        `insert into ticket (codigo_referencia, numero, branch_office, queue_type, status, position_in_queue,
           estimated_wait_minutes, service_date, chat_id)
         values (gen_random_uuid(), 'X99', 'Sucursal Centro', 'CAJA', 'EN_ESPERA', 9, 9, current_date, $1)`,
        [chat.id],
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'uq_ticket_active_chat' });
  });

  it('uses at most MAX_RUTS_PER_CHAT different RUTs (here 3)', async () => {
    expect(await registerRut(chat, rut(9103))).toContain('registramos tu RUT');
    // A RUT it already used is not a new one.
    expect(await registerRut(chat, rut(9101))).toContain('registramos tu RUT');
    expect(await registerRut(chat, rut(9104))).toContain('Este chat ya usó 3 RUT distintos en los últimos 30 días');
    const [row] = await app.db.query<{ n: number }>(`select count(*)::int as n from telegram_chat_rut where chat_id = $1`, [chat.id]);
    expect(row!.n).toBe(3);
  });

  it('takes at most CHAT_TICKETS_PER_HOUR numbers in an hour (here 3)', async () => {
    const other: FakeUser = { id: 5_590_011, first_name: 'Inés' };
    fake.sendCommand(other, '/start');
    await fake.waitForMessage(other.id, /Hola, Inés/);
    await registerRut(other, rut(9201));
    for (let i = 0; i < 3; i++) {
      await takeNumber(other, /^Empresas/);
      const mark = fake.mark();
      fake.sendText(other, BUTTONS.cancel);
      const confirm = await fake.waitForMessage(other.id, /Seguro que quieres cancelar/, { since: mark });
      await fake.waitForAnswer(fake.pressButton(other, confirm, { text: 'Sí, cancelar' }));
      await fake.waitForEdit(other.id, confirm.message_id, /quedó cancelado/);
    }
    const mark = fake.mark();
    const queues = await openQueues(fake, other, mark);
    fake.pressButton(other, queues, { text: /^Empresas/ });
    await fake.waitForEdit(other.id, queues.message_id, /Ya sacaste 3 números en la última hora/);
  });
});
