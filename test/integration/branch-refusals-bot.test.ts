import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { registerCustomer } from '../support/journey-steps.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

// SPEC §17 in the bot: a closed branch and a queue the branch does not offer are refused with the
// same rules as the kiosk, and the customer is told why.
let t: TelegramTestApp;
const customer = { id: 5_560_001, first_name: 'Rosa' };

beforeAll(async () => {
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula' });
  // Today is a closed date of the branch, which offers only Caja and Personal Banker.
  await t.app.db.query(
    `update branch set closed_dates = jsonb_build_array(to_char(branch_service_date(name, (now() at time zone 'UTC')::timestamp), 'YYYY-MM-DD')),
       queues = '[{"queueType": "CAJA"}, {"queueType": "PERSONAL_BANKER"}]'
     where name = 'Sucursal Centro'`,
  );
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('the bot refuses what the branch refuses', () => {
  it('tells the customer when a closed branch opens, offers no queue and gives no number', async () => {
    const { fake, app } = t;
    await registerCustomer(fake, customer);
    const mark = fake.mark();
    fake.sendText(customer, BUTTONS.take);
    const closed = await fake.waitForMessage(customer.id, /La sucursal abre el/, { since: mark });
    expect(closed.plainText).toMatch(/^🔒 Sucursal Centro\nLa sucursal abre el (lunes|martes|miércoles|jueves|viernes|sábado|domingo) a las 00:00\.$/);
    expect(fake.buttons(closed)).toEqual([]);
    expect(await app.db.query(`select id from ticket`)).toEqual([]);
  });

  it('shows only the queues the branch offers, and refuses another (a stale or forged button) with its reason', async () => {
    const { fake, app } = t;
    await app.db.query(`update branch set closed_dates = '[]' where name = 'Sucursal Centro'`);
    const mark = fake.mark();
    fake.sendText(customer, BUTTONS.take);
    const queues = await fake.waitForMessage(customer.id, /¿Qué necesitas\?/, { since: mark });
    expect(fake.buttons(queues).map((b) => b.text.split(' · ')[0])).toEqual(['Caja', 'Personal Banker', '⭐ Necesito atención preferente']);
    const caja = fake.buttons(queues)[0]!.callback_data!;
    fake.pressButton(customer, queues, caja.replace(':CAJA', ':EMPRESAS'), { unchecked: true });
    const reply = await fake.waitForEdit(customer.id, queues.message_id, /no atiende/);
    expect(reply.currentPlainText).toBe('❗ La sucursal Sucursal Centro no atiende Empresas');
    expect(await app.db.query(`select id from ticket`)).toEqual([]);
  });
});
