import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueues, registerCustomer } from '../support/journey-steps.js';
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
  it('tells the customer when a closed branch opens, and gives no number', async () => {
    const { fake, app } = t;
    await registerCustomer(fake, customer);
    const mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    fake.pressButton(customer, queues, { text: /^Caja/ });
    const reply = await fake.waitForEdit(customer.id, queues.message_id, /La sucursal abre el/);
    expect(reply.currentPlainText).toMatch(/^❗ La sucursal abre el (lunes|martes|miércoles|jueves|viernes|sábado|domingo) a las 00:00$/);
    expect(await app.db.query(`select id from ticket`)).toEqual([]);
  });

  it('refuses a queue the branch does not offer with its reason', async () => {
    const { fake, app } = t;
    await app.db.query(`update branch set closed_dates = '[]' where name = 'Sucursal Centro'`);
    const mark = fake.mark();
    const queues = await openQueues(fake, customer, mark);
    fake.pressButton(customer, queues, { text: /^Empresas/ });
    const reply = await fake.waitForEdit(customer.id, queues.message_id, /no atiende/);
    expect(reply.currentPlainText).toBe('❗ La sucursal Sucursal Centro no atiende Empresas');
    expect(await app.db.query(`select id from ticket`)).toEqual([]);
  });
});
