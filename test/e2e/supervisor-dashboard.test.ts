import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, signInBrowser, type SignedIn } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { rut } from '../support/ruts.js';

let browser: Browser;
let app: TestApp;
let supervisor: SignedIn;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'BUSY'`); // everyone paused: the lines grow
  supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Centro'], email: 'jefa.centro@banco.cl' });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Signed in as the branch's SUPERVISOR (SPEC §18; the sign-in page has its own test). */
async function signIn(page: Page): Promise<void> {
  await signInBrowser(page.context(), app, supervisor);
  await page.goto(`${app.url}/supervisor`);
}

describe('the supervisor dashboard (/supervisor)', () => {
  it('sends the signed-out to /ingresar, and the admin API it reads answers 401', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/supervisor`);
    await page.waitForURL(/\/ingresar\?volver=\/supervisor$/);
    expect(await page.locator('#queues').count()).toBe(0);
    const api = await page.request.get(`${app.url}/api/admin/dashboard`);
    expect(api.status()).toBe(401);
    await context.close();
  });

  it('keeps the session in an HttpOnly, SameSite=Lax cookie and shows COLA_CRITICA when 16 wait', async () => {
    const context = await browser.newContext({ viewport: { width: 1440, height: 1100 } });
    const page = await context.newPage();
    await signIn(page);
    await page.locator('#queues tbody tr').first().waitFor();
    const [cookie] = await context.cookies();
    // Plain http on loopback: `ticketero` (behind https it is `__Host-ticketero`, Secure; see accounts-sign-in.test.ts).
    expect(cookie).toMatchObject({ name: 'ticketero', httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(await page.locator('.alert[data-type="COLA_CRITICA"]').count()).toBe(0);

    for (let i = 0; i < 16; i++) {
      expect((await app.postTicket({ nationalId: rut(100 + i), queueType: 'PERSONAL_BANKER' })).status).toBe(201);
    }
    // The page refreshes every 5 s by itself.
    const alert = page.locator('.alert[data-type="COLA_CRITICA"]');
    await alert.waitFor({ timeout: 7000 });
    expect(await alert.textContent()).toContain('PERSONAL_BANKER tiene 16 clientes');
    await expect(page.locator('tr[data-queue="PERSONAL_BANKER"] .waiting').textContent()).resolves.toBe('16');
    await page.screenshot({ path: path.join(ARTIFACTS, 'supervisor-dashboard.png'), fullPage: true });
    await context.close();
  });

  it('sets an advisor to Pausa from the page, with a reason, in the database', async () => {
    await app.db.query(`update advisor set status = 'OFFLINE' where email = 'luis.perez@banco.com'`);
    const [luis] = await app.db.query<{ id: string }>(`select id from advisor where email = 'luis.perez@banco.com'`);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    const row = page.locator(`#advisors tr[data-advisor="${luis!.id}"]`);
    await row.waitFor();
    await row.locator('select.status').selectOption('BUSY');
    await row.locator('select.reason').selectOption('Colación');
    await row.locator('button.apply').click();
    await row.locator('.pill.PAUSED', { hasText: 'En pausa (Colación' }).waitFor({ timeout: 5000 });
    const [db] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [luis!.id]);
    expect(db!.status).toBe('BUSY');
    const [audit] = await app.db.query<{ actor: string; additional_data: { reason: string } }>(
      `select actor, additional_data from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and entity_id = $1
       order by id desc limit 1`,
      [luis!.id],
    );
    expect(audit).toMatchObject({ actor: `staff:${supervisor.id}`, additional_data: { reason: 'Colación', email: 'jefa.centro@banco.cl' } });
    await context.close();
  });

  it('refuses a status change without the page’s own header (a cross-site form cannot set it)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page);
    await page.locator('#queues tbody tr').first().waitFor();
    const response = await page.request.put(`${app.url}/api/admin/advisors/1/status`, {
      data: { status: 'OFFLINE' },
    });
    expect(response.status()).toBe(403);
    await context.close();
  });
});
