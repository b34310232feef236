/**
 * Signing in (SPEC §18) in Chromium, as a new ADMIN would on the first day: the one-time password,
 * the forced new password, TOTP enrolment with the app's QR, the supervisor page; then signing in
 * again with a code; and the lockout after five wrong passwords.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { STRONG_PASSWORD, totpNow } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';

let browser: Browser;
let app: TestApp;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function typeCredentials(page: Page, email: string, password: string): Promise<void> {
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#ingresar');
}

describe('the sign-in page (/ingresar)', () => {
  it('takes a new ADMIN through the forced password change and TOTP enrolment to the supervisor page', async () => {
    const { initialPassword } = await app.services.accounts.create(
      { email: 'Jefa@Banco.cl', name: 'Jefa de Operaciones', role: 'ADMIN' },
      { actor: 'SYSTEM' },
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/supervisor`);
    await page.waitForURL(/\/ingresar\?volver=\/supervisor$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in.png'), fullPage: true });
    await typeCredentials(page, 'jefa@banco.cl', initialPassword);

    await page.locator('#cambio').waitFor({ state: 'visible' });
    await page.fill('#nueva', 'Unbelievable');
    await page.fill('#repite', 'Unbelievable');
    await page.click('#cambiar');
    await page.locator('#mensaje-cambio', { hasText: '10.000 más usadas' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-forced-change.png'), fullPage: true });
    await page.fill('#nueva', STRONG_PASSWORD);
    await page.fill('#repite', STRONG_PASSWORD);
    await page.click('#cambiar');

    await page.locator('#enrolar').waitFor({ state: 'visible' });
    await page.locator('#qr svg').waitFor();
    const secret = (await page.locator('#secreto').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-totp-enrolment.png'), fullPage: true });
    await page.fill('#codigo', await totpNow(secret));
    await page.click('#confirmar');

    await page.waitForURL(/\/supervisor$/);
    await page.locator('#queues tbody tr').first().waitFor();
    await expect(page.locator('#quien').textContent()).resolves.toBe('Jefa de Operaciones (ADMIN)');
    const [cookie] = await context.cookies();
    // Plain http on loopback: `ticketero` (behind https it is `__Host-ticketero`, Secure; see accounts-sign-in.test.ts).
    expect(cookie).toMatchObject({ name: 'ticketero', httpOnly: true, sameSite: 'Lax', path: '/' });

    // Sign out, then in again: the password, then the code.
    await page.click('#salir');
    await page.waitForURL(/\/ingresar$/);
    await typeCredentials(page, 'jefa@banco.cl', STRONG_PASSWORD);
    await page.locator('#paso-totp').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-totp.png'), fullPage: true });
    await page.fill('#totp', await totpNow(secret));
    await page.click('#ingresar');
    await page.waitForURL(/\/supervisor$/);
    await page.locator('#queues tbody tr').first().waitFor();
    await context.close();
  });

  it('locks the account after five wrong passwords and says so', async () => {
    const { initialPassword } = await app.services.accounts.create({ email: 'auditor@banco.cl', name: 'Auditora', role: 'AUDITOR' }, { actor: 'SYSTEM' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/ingresar`);
    for (let i = 1; i <= 5; i++) {
      await typeCredentials(page, 'auditor@banco.cl', `no-es-la-clave-${i}`);
      await page.locator('#mensaje', { hasText: 'Email o clave incorrectos' }).waitFor();
      await page.locator('#mensaje').evaluate((element) => {
        element.textContent = '';
      });
    }
    await typeCredentials(page, 'auditor@banco.cl', initialPassword);
    await page.locator('#mensaje', { hasText: 'Demasiados intentos' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'sign-in-lockout.png'), fullPage: true });
    expect(await context.cookies()).toEqual([]);
    await context.close();
  });
});
