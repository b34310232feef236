import { expect } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import { ADMIN_KEY, type TestApp } from './app.js';
import type { FakeTelegram, FakeUser, SentMessage } from './fake-telegram.js';

/*
 * The steps of the customer journey through the bot, shared by the polling and webhook tests:
 * the same conversation must work whichever way updates arrive.
 */

/** Carlos (CAJA, module 1) links his Telegram account with a one-time code from the admin API. */
export async function linkCarlos(app: TestApp, fake: FakeTelegram, carlos: FakeUser): Promise<void> {
  const [row] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
  const response = await fetch(`${app.url}/api/admin/advisors/${row!.id}/link-code`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  const { code } = (await response.json()) as { code: string };
  fake.sendText(carlos, `/vincular ${code}`);
  await fake.waitForMessage(carlos.id, /Quedaste vinculado como <b>Carlos Rodríguez<\/b>, módulo 1/);
}

/** /start, the RUT conversation (a bad RUT first, then 12.345.678-5) and the phone by contact. */
export async function registerCustomer(fake: FakeTelegram, customer: FakeUser): Promise<void> {
  fake.sendCommand(customer, '/start');
  await fake.waitForMessage(customer.id, new RegExp(`Hola, ${customer.first_name}`));

  fake.sendText(customer, BUTTONS.rut);
  await fake.waitForMessage(customer.id, /Escribe tu RUT/);
  let mark = fake.mark();
  fake.sendText(customer, '12.345.678-9');
  await fake.waitForMessage(customer.id, /dígito verificador/, { since: mark });
  mark = fake.mark();
  fake.sendText(customer, '12.345.678-5');
  await fake.waitForMessage(customer.id, /registramos tu RUT <b>12\.\*\*\*\.\*\*\*-5<\/b>/, { since: mark });

  mark = fake.mark();
  fake.sendContact(customer, '56912345678');
  await fake.waitForMessage(customer.id, /Guardamos tu teléfono <b>\+569\*\*\*\*5678<\/b>/, { since: mark });
}

/** "Tomar número": one branch, so straight to the four queues; returns that message. */
export async function openQueues(fake: FakeTelegram, customer: FakeUser, since: number): Promise<SentMessage> {
  fake.sendText(customer, BUTTONS.take);
  const queues = await fake.waitForMessage(customer.id, /¿Qué necesitas\?/, { since });
  // The four queues, and the preferential-attention button (SPEC §12).
  expect(fake.buttons(queues)).toHaveLength(5);
  return queues;
}
