import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/app.js';
import { linkCarlos, openQueues, registerCustomer } from '../support/journey-steps.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

let t: TelegramTestApp;
const customer = { id: 5_550_001, first_name: 'Josefa' };
const carlos = { id: 7_770_001, first_name: 'Carlos' };

beforeAll(async () => {
  // The journey's figures follow the seed's formula (the SPEC §13 estimator has its own tests).
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula' });
  // One CAJA advisor, online but paused until the customer has a number.
  await t.app.db.query(`update advisor set status = 'OFFLINE'`);
  await t.app.db.query(`update advisor set status = 'BUSY' where email = 'carlos.rodriguez@banco.com'`);
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('the customer journey through Telegram', () => {
  it('goes from /start to a completed service, with the three messages in order', async () => {
    const { fake, app } = t;

    await linkCarlos(app, fake, carlos);
    await registerCustomer(fake, customer);

    // Take a CAJA number: one branch, so straight to the queues with their current wait.
    let mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    expect(fake.buttons(queues).map((b) => b.text)).toEqual([
      'Caja · 0 en espera · ~5 min',
      'Personal Banker · 0 en espera · ~15 min',
      'Empresas · 0 en espera · ~20 min',
      'Gerencia · 0 en espera · ~30 min',
      '⭐ Necesito atención preferente',
    ]);
    fake.pressButton(customer, queues, { text: /^Caja/ });

    const created = await fake.waitForMessage(customer.id, /Ticket Creado/, { since: mark });
    expect(created.text).toBe(
      '✅ <b>Ticket Creado</b>\n\nTu número de turno: <b>C01</b>\nPosición en cola: <b>#1</b>\n' +
        'Tiempo estimado: <b>5 minutos</b>\n\nTe notificaremos cuando estés próximo.',
    );
    expect(created.parse_mode).toBe('HTML');
    const near = await fake.waitForMessage(customer.id, /Pronto será tu turno/, { since: mark });
    expect(near.text).toBe(
      '⏰ <b>¡Pronto será tu turno!</b>\n\nTurno: <b>C01</b>\nEres el siguiente.\nTiempo estimado: <b>5 minutos</b>\n\nPor favor, acércate a la sucursal.',
    );

    // The advisor opens the panel and becomes available: the customer is called at once.
    mark = fake.mark();
    fake.sendCommand(carlos, '/panel');
    const panel = await fake.waitForMessage(carlos.id, /Módulo <b>1<\/b>/, { since: mark });
    fake.pressButton(carlos, panel, { text: /Disponible/ });
    const notice = await fake.waitForMessage(carlos.id, /Nuevo cliente: C01/, { since: mark });
    expect(notice.text).toContain('RUT: 12.***.***-5');
    const turn = await fake.waitForMessage(customer.id, /ES TU TURNO/, { since: mark });
    expect(turn.text).toBe('🔔 <b>¡ES TU TURNO C01!</b>\n\nDirígete al módulo: <b>1</b>\nAsesor: <b>Carlos Rodríguez</b>');

    // The three notifications arrived in their order.
    const order = fake
      .messagesTo(customer.id)
      .map((m) => m.plainText)
      .filter((text) => /Ticket Creado|Pronto será tu turno|ES TU TURNO/.test(text))
      .map((text) => text.split('\n')[0]);
    expect(order).toEqual(['✅ Ticket Creado', '⏰ ¡Pronto será tu turno!', '🔔 ¡ES TU TURNO C01!']);

    // The advisor completes from the panel.
    const freshPanel = await fake.waitForMessage(carlos.id, /Atendiendo: <b>C01<\/b>|Nuevo cliente/, {});
    const press = fake.pressButton(carlos, freshPanel, { text: /Completar/ });
    expect((await fake.waitForAnswer(press)).text).toBe('Listo ✅');
    const [ticket] = await app.db.query<{ status: string }>(`select status from ticket where numero = 'C01'`);
    expect(ticket!.status).toBe('COMPLETADO');
    // Then the rating survey (SPEC §12), after the three.
    await fake.waitForMessage(customer.id, /¿Cómo te atendimos\?/, { since: mark });
    const sent = await app.db.query<{ plantilla: string; estado_envio: string; telegram_message_id: string }>(
      `select plantilla, estado_envio, telegram_message_id from mensaje where plantilla <> 'TOTEM_ENCUESTA' order by id`,
    );
    expect(sent.map((m) => [m.plantilla, m.estado_envio])).toEqual([
      ['TOTEM_TICKET_CREADO', 'ENVIADO'],
      ['TOTEM_PROXIMO_TURNO', 'ENVIADO'],
      ['TOTEM_ES_TU_TURNO', 'ENVIADO'],
    ]);
    expect(sent.every((m) => /^\d+$/.test(m.telegram_message_id))).toBe(true);
  });

  it('notifies the chat that shared the phone given with a kiosk ticket (a typed RUT alone reaches nothing, SPEC §22)', async () => {
    const { fake, app } = t;
    const user = { id: 5_550_002, first_name: 'Tomás' };
    const nationalId = rut(8801);
    fake.sendText(user, '/rut');
    await fake.waitForMessage(user.id, /Escribe tu RUT/);
    fake.sendText(user, nationalId);
    await fake.waitForMessage(user.id, /registramos tu RUT/);
    fake.sendContact(user, '56922223333');
    await fake.waitForMessage(user.id, /Guardamos tu teléfono/);
    const mark = fake.mark();
    const kiosk = await app.postTicket({ nationalId, telefono: '+56 9 2222 3333', queueType: 'GERENCIA' });
    expect(kiosk.status).toBe(201);
    const message = await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
    expect(message.text).toContain(`<b>${String(kiosk.body.numero)}</b>`);
    await fake.waitForMessage(user.id, /Pronto será tu turno/, { since: mark }); // first in line: near at once
  });

  it('notifies the chat that opened a kiosk ticket’s deep link', async () => {
    const { fake, app } = t;
    const user = { id: 5_550_003, first_name: 'Rocío' };
    const kiosk = await app.postTicket({ nationalId: rut(8802), telefono: '+56911110000', queueType: 'EMPRESAS' });
    const link = String(kiosk.body.telegramLink);
    // SPEC §19: an opaque single-use token, not the ticket's reference.
    expect(link).toMatch(/^https:\/\/t\.me\/ticketero_test_bot\?start=k_[A-Za-z0-9_-]{43}$/);
    const mark = fake.mark();
    fake.sendCommand(user, '/start', link.split('start=')[1]);
    await fake.waitForMessage(user.id, /Vinculamos el ticket/, { since: mark });
    const message = await fake.waitForMessage(user.id, /Ticket Creado/, { since: mark });
    expect(message.text).toContain(`<b>${String(kiosk.body.numero)}</b>`);
    await fake.waitForMessage(user.id, /Pronto será tu turno/, { since: mark });
  });

  it('sends nothing for a ticket with no registered RUT and no phone', async () => {
    const { fake, app } = t;
    const before = fake.callsOf('sendMessage').length;
    const kiosk = await app.postTicket({ nationalId: rut(8803), queueType: 'PERSONAL_BANKER' });
    expect(kiosk.status).toBe(201);
    const rows = await app.db.query(`select m.id from mensaje m join ticket t on t.id = m.ticket_id where t.numero = $1`, [
      kiosk.body.numero,
    ]);
    expect(rows).toHaveLength(0);
    // A whole dispatcher sweep that started after the ticket existed has finished (job_run).
    const sweeps = async (): Promise<{ runs: number; done: boolean }> => {
      const [run] = await app.db.query<{ runs: number; done: boolean }>(
        `select runs, coalesce(last_finished_at >= last_started_at, false) as done from job_run where name = 'dispatcher'`,
      );
      return run ?? { runs: 0, done: false };
    };
    const { runs } = await sweeps();
    await eventually(async () => {
      const now = await sweeps();
      expect(now.runs).toBeGreaterThan(runs);
      expect(now.done).toBe(true);
    }, 15_000);
    // Carlos, free again, is told about his new customer; no customer chat hears of this ticket
    // (earlier tests' chats may still get their own late replies, which are not about it).
    const numero = String(kiosk.body.numero);
    const aboutIt = fake
      .callsOf('sendMessage')
      .slice(before)
      .filter((c) => c.chatId !== carlos.id && String(c.params.text).includes(numero));
    expect(aboutIt.map((c) => `${String(c.chatId)}: ${String(c.params.text).slice(0, 60)}`)).toEqual([]);
    const ticketChats = fake.callsOf('sendMessage').slice(before).map((c) => c.chatId);
    expect(ticketChats.every((chat) => [carlos.id, 5_550_002, 5_550_003].includes(chat ?? -1))).toBe(true);
  });
});
