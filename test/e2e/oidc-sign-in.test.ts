/**
 * "Ingresar con la cuenta del banco" (SPEC §18) in Chromium, against a real OpenID Connect provider
 * (npm oidc-provider) on loopback: the button on /ingresar, the provider's own login and consent
 * pages, the way back; an ADMIN still gives their TOTP code, an ASESOR lands on their desk. Without
 * OIDC_ISSUER the page shows no such button.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, totpNow } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { startIdentityProvider, type TestIdentityProvider } from '../support/oidc-provider.js';

let browser: Browser;
let app: TestApp;
let idp: TestIdentityProvider;

beforeAll(async () => {
  browser = await launchBrowser();
  idp = await startIdentityProvider();
  app = await startTestApp({ OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret });
  idp.registerClient([`${app.url}/api/auth/sso/callback`]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await idp?.close();
});

describe('signing in with the bank account (OpenID Connect)', () => {
  it('an ADMIN: the bank button, the provider login and consent, back to the app, the TOTP code, the supervisor page', async () => {
    const admin = await readyAccount(app, { role: 'ADMIN', email: 'gerenta@banco.cl', name: 'Gerenta de Sucursales' });
    idp.accounts.set('gerenta', { email: 'gerenta@banco.cl', email_verified: true, name: 'Gerenta' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${app.url}/supervisor`);
    await page.waitForURL(/\/ingresar\?volver=\/supervisor$/);
    const bank = page.locator('#ingresar-banco');
    await bank.waitFor({ state: 'visible' });
    await expect(bank.textContent()).resolves.toBe('Ingresar con la cuenta del banco');
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-button.png'), fullPage: true });
    await bank.click();

    // The provider's own pages (another origin).
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.fill('input[name=login]', 'gerenta');
    await page.fill('input[name=password]', 'lo-que-sea');
    await page.click('button[type=submit]');
    await page.waitForURL((url) => url.origin === idp.issuer && /consent|interaction/.test(url.pathname));
    await page.locator('button[type=submit]').waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-provider-consent.png'), fullPage: true });
    await page.click('button[type=submit]');

    // Back at the app: the account has TOTP, so the code is still asked.
    await page.waitForURL(new RegExp(`^${app.url}/ingresar\\?volver=%2Fsupervisor$`));
    await page.locator('#verificar').waitFor({ state: 'visible' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-totp.png'), fullPage: true });
    await page.fill('#codigo-verificar', '000000');
    await page.click('#verificar-codigo');
    await page.locator('#mensaje-verificar', { hasText: 'no es válido' }).waitFor();
    await page.fill('#codigo-verificar', await totpNow(admin.totpSecret!));
    await page.click('#verificar-codigo');
    await page.waitForURL(/\/supervisor$/);
    await page.locator('#queues tbody tr').first().waitFor();
    await expect(page.locator('#quien').textContent()).resolves.toBe('Gerenta de Sucursales (ADMIN)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-supervisor.png'), fullPage: true });
    const cookies = await context.cookies(app.url);
    expect(cookies.find((c) => c.name === 'ticketero')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    // The sign-in's binding cookie is spent once used.
    expect(cookies.find((c) => c.name === 'ticketero_sso')).toBeUndefined();
    await context.close();
  });

  it('an ASESOR (no TOTP needed) goes straight to their desk', async () => {
    const [advisor] = await app.db.query<{ id: string; name: string }>(`select id, name from advisor order by id limit 1`);
    await app.services.accounts.create({ email: 'asesor.sso@banco.cl', name: 'Asesor SSO', role: 'ASESOR', advisorId: Number(advisor!.id) }, { actor: 'SYSTEM' });
    idp.accounts.set('asesor', { email: 'asesor.sso@banco.cl', email_verified: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/ingresar`);
    await page.click('#ingresar-banco');
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.fill('input[name=login]', 'asesor');
    await page.fill('input[name=password]', 'x');
    await page.click('button[type=submit]');
    await page.locator('button[type=submit]').waitFor();
    await page.click('button[type=submit]');
    await page.waitForURL(new RegExp(`^${app.url}/escritorio$`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-desk.png'), fullPage: true });
    await context.close();
  });

  it('no account for that email: the app says so in Spanish, and nobody is signed in', async () => {
    idp.accounts.set('extrano', { email: 'extrano@otro.cl', email_verified: true });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/ingresar`);
    await page.click('#ingresar-banco');
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.fill('input[name=login]', 'extrano');
    await page.fill('input[name=password]', 'x');
    await page.click('button[type=submit]');
    await page.locator('button[type=submit]').waitFor();
    await page.click('button[type=submit]');
    await page.waitForURL(new RegExp(`^${app.url}/api/auth/sso/callback`));
    await page.locator('#mensaje', { hasText: 'No hay una cuenta de Ticketero con tu email' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'oidc-sign-in-no-account.png'), fullPage: true });
    expect((await context.cookies(app.url)).find((c) => c.name === 'ticketero')).toBeUndefined();
    await context.close();
  });

  it('without OIDC_ISSUER the sign-in page has no bank button', async () => {
    const plain = await startTestApp();
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${plain.url}/ingresar`);
      await page.locator('#email').waitFor();
      await page.waitForLoadState('networkidle');
      expect(await page.locator('#sso').isHidden()).toBe(true);
    } finally {
      await context.close();
      await plain.close();
    }
  }, 60_000);
});
