/**
 * The TV screen on a recall (SPEC §12): "Volver a llamar" flashes the number again, marked as its
 * 2nd call, in Chromium over the live stream.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { rut } from '../support/ruts.js';

let browser: Browser;
let app: TestApp;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp({ RECALL_MIN_INTERVAL_S: '0' });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const admin = (path: string, method: string, body?: unknown) =>
  fetch(`${app.url}/api/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });

describe('the branch screen on a recall', () => {
  it('shows the number again with "2.º llamado" and flashes it', async () => {
    const [carlos] = await app.db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`);
    const first = await app.postTicket({ nationalId: rut(1), queueType: 'CAJA' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${app.url}/pantalla`);
    await page.locator('#status', { hasText: 'En línea' }).waitFor();

    expect((await admin(`/advisors/${carlos!.id}/status`, 'PUT', { status: 'AVAILABLE' })).status).toBe(200);
    const newest = page.locator('.called li.newest', { hasText: String(first.body.numero) });
    await newest.waitFor({ timeout: 5000 });
    expect(await newest.locator('.llamado').count()).toBe(0);

    expect((await admin(`/advisors/${carlos!.id}/recall`, 'POST')).status).toBe(200);
    await page.locator('.called li.newest.flash .llamado', { hasText: '2.º llamado' }).waitFor({ timeout: 5000 });
    await expect(page.locator('.called li.newest .numero').textContent()).resolves.toBe(String(first.body.numero));
    await page.screenshot({ path: path.join(ARTIFACTS, 'pantalla-rellamado.png') });
    await page.close();
  });
});
