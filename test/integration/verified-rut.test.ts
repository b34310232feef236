/**
 * SPEC §22 "Verificar mi RUT", end to end: the bot (through the fake Bot API) sends a chat a
 * single-use link; the link is followed over real HTTP to a real OpenID Connect provider (npm
 * oidc-provider, in process on loopback), its login and consent, and back. A kiosk ticket of RUT
 * X is not visible to a chat that only typed X, and is once the provider vouched for X there.
 * Only one chat holds a verified RUT: a newer verification takes it, and the older chat is told.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUTTONS } from '../../src/bot/texts.js';
import type { TestApp } from '../support/app.js';
import type { FakeTelegram, FakeUser } from '../support/fake-telegram.js';
import { startIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.js';
import { RedirectBrowser } from '../support/redirect-browser.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

const RUT_X = '16.666.666-K';
const CALLBACK = '/verificar-rut/callback';
const owner: FakeUser = { id: 5_610_001, first_name: 'Valentina' };
const typist: FakeUser = { id: 5_610_002, first_name: 'Mallory' };
const newPhone: FakeUser = { id: 5_610_003, first_name: 'Valentina' };

let idp: TestIdentityProvider;
let t: TelegramTestApp;
let app: TestApp;
let fake: FakeTelegram;
let kioskNumero = '';

/** The app's address must be known before it starts (PUBLIC_URL: the links the bot sends). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  // As ClaveÚnica: the RUT is released only under its own scope, asked by CUSTOMER_OIDC_SCOPE.
  idp = await startIdentityProvider({ clientId: 'ticketero-clientes', scopes: { run: ['rut'] } });
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  t = await startTelegramTestApp({
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    CUSTOMER_OIDC_ISSUER: idp.issuer,
    CUSTOMER_OIDC_CLIENT_ID: idp.clientId,
    CUSTOMER_OIDC_CLIENT_SECRET: idp.clientSecret,
    CUSTOMER_OIDC_RUT_CLAIM: 'rut',
    CUSTOMER_OIDC_SCOPE: 'openid run',
  });
  ({ app, fake } = t);
  idp.registerClient([`${publicUrl}${CALLBACK}`]);
  idp.accounts.set('valentina', { rut: RUT_X, name: 'Valentina Pérez' });
  idp.accounts.set('sin-rut', { name: 'Sin RUT' });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
  // The person takes a number at the tótem (no phone): no chat owns it.
  const kiosk = await app.postTicket({ nationalId: RUT_X, queueType: 'CAJA' });
  expect(kiosk.status).toBe(201);
  kioskNumero = String(kiosk.body.numero);
}, 90_000);
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

async function start(user: FakeUser): Promise<void> {
  const mark = fake.mark();
  fake.sendCommand(user, '/start');
  await fake.waitForMessage(user.id, new RegExp(`Hola, ${user.first_name}`), { since: mark });
}

async function typeRut(user: FakeUser, text: string): Promise<void> {
  let mark = fake.mark();
  fake.sendText(user, BUTTONS.rut);
  await fake.waitForMessage(user.id, /Escribe tu RUT/, { since: mark });
  mark = fake.mark();
  fake.sendText(user, text);
  await fake.waitForMessage(user.id, /registramos tu RUT/, { since: mark });
}

async function myData(user: FakeUser): Promise<string> {
  const mark = fake.mark();
  fake.sendCommand(user, '/misdatos');
  return (await fake.waitForMessage(user.id, /Tus datos en el banco/, { since: mark })).text;
}

/** /verificar in the chat: the link on its button. */
async function verificationLink(user: FakeUser): Promise<string> {
  const mark = fake.mark();
  fake.sendCommand(user, '/verificar');
  const message = await fake.waitForMessage(user.id, /Para verificar tu RUT/, { since: mark });
  const button = fake.buttons(message).find((b) => b.text === BUTTONS.verifyRut);
  expect(button?.url).toMatch(/\/verificar-rut\/[A-Za-z0-9_-]{43}$/);
  return button!.url!;
}

async function verifyAs(user: FakeUser, login: string): Promise<Response> {
  const browser = new RedirectBrowser();
  const callback = await browser.signInAtProvider(await verificationLink(user), login, CALLBACK);
  return browser.request(callback);
}

describe('a kiosk ticket and a typed RUT (SPEC §22)', () => {
  it('a chat that only typed the RUT does not see the kiosk ticket', async () => {
    await start(owner);
    await typeRut(owner, RUT_X);
    const data = await myData(owner);
    expect(data).toContain('16.***.***-K');
    expect(data).not.toContain(kioskNumero);
  });

  it('"Verificar mi RUT": the provider vouches for the RUT, the chat is told and now sees the kiosk ticket in /misdatos', async () => {
    const mark = fake.mark();
    const back = await verifyAs(owner, 'valentina');
    expect(back.status).toBe(200);
    expect(await back.text()).toContain('quedó verificado');
    await fake.waitForMessage(owner.id, /Verificamos tu RUT 16\.\*\*\*\.\*\*\*-K/, { since: mark });
    expect(await myData(owner)).toContain(kioskNumero);
    const rows = await app.db.query<{ chat_id: string; masked_rut: string; issuer: string }>(`select chat_id, masked_rut, issuer from telegram_verified_rut`);
    expect(rows).toEqual([{ chat_id: String(owner.id), masked_rut: '16.***.***-K', issuer: idp.issuer }]);
    const [audit] = await app.db.query<{ actor: string }>(`select actor from audit_log where event_type = 'RUT_VERIFICADO'`);
    expect(audit!.actor).toBe(`telegram:${owner.id}`);
  });

  it('the typist chat still sees nothing of it', async () => {
    await start(typist);
    await typeRut(typist, '16666666-k');
    expect(await myData(typist)).not.toContain(kioskNumero);
  });
});

describe('the link', () => {
  it('a forged link, a used link and an expired link are refused with a page, and start nothing', async () => {
    const forged = await fetch(`${app.url}/verificar-rut/${'A'.repeat(43)}`, { redirect: 'manual' });
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain('Este enlace no es válido, venció o ya se usó');
    expect((await fetch(`${app.url}/verificar-rut/corto`, { redirect: 'manual' })).status).toBe(404);

    const link = await verificationLink(typist);
    const first = await fetch(link, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')!.startsWith(idp.issuer)).toBe(true);
    const again = await fetch(link, { redirect: 'manual' });
    expect(again.status).toBe(409);

    const expiring = await verificationLink(typist);
    await app.db.query(`update rut_verification_link set expires_at = now() at time zone 'utc' - interval '1 minute' where used_at is null`);
    const expired = await fetch(expiring, { redirect: 'manual' });
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain('Pide uno nuevo en Telegram con /verificar');
  });

  it('a provider answer without a valid RUT verifies nothing (403 page)', async () => {
    const back = await verifyAs(typist, 'sin-rut');
    expect(back.status).toBe(403);
    expect(await back.text()).toContain('no entregó un RUT válido');
    expect((await app.db.query(`select 1 from telegram_verified_rut where chat_id = $1`, [typist.id])).length).toBe(0);
  });

  it('a forged state at the return is refused (400), never a 5xx', async () => {
    const browser = new RedirectBrowser();
    const callback = new URL(await browser.signInAtProvider(await verificationLink(typist), 'valentina', CALLBACK));
    callback.searchParams.set('state', 'forjado');
    const back = await browser.request(callback.href);
    expect(back.status).toBe(400);
    expect((await app.db.query(`select 1 from telegram_verified_rut where chat_id = $1`, [typist.id])).length).toBe(0);
  });
});

describe('only one chat holds a verified RUT', () => {
  it('a newer chat that verifies the RUT takes it; the older chat is told and no longer sees the kiosk ticket', async () => {
    await start(newPhone);
    const mark = fake.mark();
    expect((await verifyAs(newPhone, 'valentina')).status).toBe(200);
    await fake.waitForMessage(newPhone.id, /Verificamos tu RUT/, { since: mark });
    await fake.waitForMessage(owner.id, /fue verificado en otro chat de Telegram/, { since: mark });
    expect(await myData(newPhone)).toContain(kioskNumero);
    expect(await myData(owner)).not.toContain(kioskNumero);
    const rows = await app.db.query<{ chat_id: string }>(`select chat_id from telegram_verified_rut`);
    expect(rows.map((r) => Number(r.chat_id))).toEqual([newPhone.id]);
  });

  it('the database refuses a second chat with the same verified RUT', async () => {
    const [row] = await app.db.query<{ national_id_bidx: Buffer }>(`select national_id_bidx from telegram_verified_rut`);
    await expect(
      app.db.query(`insert into telegram_verified_rut (chat_id, national_id_bidx, masked_rut, issuer) values ($1, $2, 'x', 'y')`, [owner.id, row!.national_id_bidx]),
    ).rejects.toMatchObject({ code: '23505' });
  });
});
