/**
 * SPEC §17: the supervisor page's Sucursales / Personal / Dispositivos tabs, on a touch screen,
 * through the same admin API: an ADMIN creates a branch (and sees the API's refusal of a taken
 * code), creates and deactivates a person there, issues a tótem device whose token is shown once
 * (and opens the kiosk API) and revokes it (refused at once), and deactivates the branch.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, signInBrowser, type SignedIn } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';

let browser: Browser;
let app: TestApp;
let admin: SignedIn;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp();
  admin = await readyAccount(app, { role: 'ADMIN', email: 'operaciones@banco.cl' });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
const row = async <T>(sql: string, params: unknown[]): Promise<T> => ((await app.db.query(sql, params)) as T[])[0]!;

describe('the supervisor page: Sucursales, Personal, Dispositivos (SPEC §17)', () => {
  it('creates and deactivates a branch and a person, issues and revokes a device, by touch', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, hasTouch: true });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signInBrowser(context, app, admin);
    await page.goto(`${app.url}/supervisor`);

    // Sucursales: create one with hours as text and three of the four queues.
    const tab = page.locator('#tab-sucursales');
    await tab.waitFor({ state: 'visible' });
    const box = await tab.boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await tab.tap();
    await page.locator('#suc-code').fill('TALCA');
    await page.locator('#suc-name').fill('Sucursal Talca');
    await page.locator('#suc-comuna').fill('Talca');
    await page.locator('#suc-timezone').selectOption('America/Santiago');
    await page.locator('#suc-hours').fill('L-V 09:00-14:00; S 10:00-13:00');
    await page.locator('#suc-q-GERENCIA').uncheck();
    await page.locator('#suc-guardar').tap();
    const talca = page.locator('#suc-lista tr[data-code="TALCA"]');
    await talca.waitFor();
    expect(await talca.textContent()).toContain('L-V 09:00-14:00; S 10:00-13:00');
    const created = await row<{ name: string; timezone: string; queues: Array<{ queueType: string }>; active: boolean }>(
      'select name, timezone, queues, active from branch where code = $1',
      ['TALCA'],
    );
    expect(created).toMatchObject({ name: 'Sucursal Talca', timezone: 'America/Santiago', active: true });
    expect(created.queues.map((q) => q.queueType)).toEqual(['CAJA', 'PERSONAL_BANKER', 'EMPRESAS']);
    await shot(page, 'supervisor-sucursales.png');

    // The same code again: the API's own message, on the page.
    await page.locator('#suc-code').fill('TALCA');
    await page.locator('#suc-name').fill('Otra Talca');
    await page.locator('#suc-guardar').tap();
    const error = page.locator('#org-error');
    await error.waitFor({ state: 'visible' });
    expect(await error.getAttribute('data-error')).toBe('CODIGO_EN_USO');
    expect(await error.textContent()).toContain('Ya existe una sucursal con ese código');
    await shot(page, 'supervisor-sucursales-error.png');

    // Personal: a person in Talca, then deactivated.
    await page.locator('#tab-personal').tap();
    await page.locator('#per-sucursal option[value="TALCA"]').waitFor({ state: 'attached' });
    await page.locator('#per-sucursal').selectOption('TALCA');
    await page.locator('#per-name').fill('Javiera Muñoz');
    await page.locator('#per-email').fill('Javiera.Munoz@banco.cl');
    await page.locator('#per-module').fill('3');
    await page.locator('#per-q-CAJA').check();
    await page.locator('#per-q-EMPRESAS').check();
    await page.locator('#per-guardar').tap();
    const javiera = page.locator('#per-lista tr[data-email="javiera.munoz@banco.cl"]');
    await javiera.waitFor();
    const advisor = await row<{ id: string; branch_office: string; module_number: number; active: boolean }>(
      'select id, branch_office, module_number, active from advisor where email = $1',
      ['javiera.munoz@banco.cl'],
    );
    expect(advisor).toMatchObject({ branch_office: 'Sucursal Talca', module_number: 3, active: true });
    // A queue Talca does not offer: the API refuses, the page says why.
    await page.locator('#per-name').fill('Pedro Soto');
    await page.locator('#per-email').fill('pedro.soto@banco.cl');
    await page.locator('#per-module').fill('4');
    await page.locator('#per-q-GERENCIA').check();
    await page.locator('#per-guardar').tap();
    await page.locator('#org-error[data-error="COLA_NO_DISPONIBLE"]').waitFor();
    expect(await page.locator('#org-error').textContent()).toContain('no atiende Gerencia');
    await javiera.locator('button.desactivar').tap();
    await javiera.locator('.estado', { hasText: 'Desactivado' }).waitFor();
    expect((await row<{ active: boolean }>('select active from advisor where id = $1', [advisor.id])).active).toBe(false);
    await shot(page, 'supervisor-personal.png');

    // Dispositivos: a tótem's token shown once, which opens the kiosk API for Talca; revoked, refused.
    await page.locator('#tab-dispositivos').tap();
    await page.locator('#dis-sucursal option[value="TALCA"]').waitFor({ state: 'attached' });
    await page.locator('#dis-sucursal').selectOption('TALCA');
    await page.locator('#dis-name').fill('Tótem entrada');
    await page.locator('#dis-kind').selectOption('KIOSK');
    await page.locator('#dis-form button[type="submit"]').tap();
    await page.locator('#dis-token').waitFor({ state: 'visible' });
    const token = (await page.locator('#dis-token-valor').textContent())!;
    expect(token).toMatch(/^tk_kiosk_[A-Za-z0-9_-]{43}$/);
    await page.locator('#dis-copiar').tap();
    await page.locator('#dis-copiado', { hasText: /Copiado|cópialo a mano/ }).waitFor();
    const estado = (t: string) => fetch(`${app.url}/api/totem/estado`, { headers: { authorization: `Bearer ${t}` } });
    const open = await estado(token);
    expect(open.status).toBe(200);
    expect(JSON.stringify(await open.json())).toContain('Sucursal Talca');
    const device = page.locator('#dis-lista tr', { hasText: 'Tótem entrada' });
    await device.waitFor();
    await shot(page, 'supervisor-dispositivos.png');
    await device.locator('button.revocar').tap();
    await device.locator('.estado', { hasText: 'Revocado' }).waitFor();
    expect((await estado(token)).status).toBe(401);

    // Back to Sucursales: deactivate Talca (no active tickets), seen among the deactivated.
    await page.locator('#tab-sucursales').tap();
    await talca.locator('button.desactivar').tap();
    await talca.waitFor({ state: 'detached' });
    await page.locator('#suc-inactivas').check();
    await talca.locator('.estado', { hasText: 'Desactivada' }).waitFor();
    expect((await row<{ active: boolean }>('select active from branch where code = $1', ['TALCA'])).active).toBe(false);
    const audit = await row<{ actor: string; new_state: { active: boolean } }>(
      `select actor, new_state from audit_log where event_type = 'SUCURSAL_MODIFICADA' order by id desc limit 1`,
      [],
    );
    expect(audit).toEqual({ actor: `staff:${admin.id}`, new_state: { active: false } });
    await shot(page, 'supervisor-sucursales-desactivada.png');
    await context.close();
  }, 90_000);
});
