import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { createEmptyDatabase, type TestDatabase } from '../support/database.js';
import { rut } from '../support/ruts.js';

let browser: Browser;
let db: TestDatabase;
let port: number;
let app: TestApp;
let n = 0;

// The safety sweep an hour away: a number reaches the screen only when pushed by the change notification.
const start = () => startTestApp({ PORT: String(port), SCREEN_SWEEP_SECONDS: '3600' }, { db });
const carlosId = async () =>
  Number((await db.query<{ id: string }>(`select id from advisor where email = 'carlos.rodriguez@banco.com'`))[0]!.id);
const free = async (advisorId: number) => {
  const response = await fetch(`${app.url}/api/admin/advisors/${advisorId}/status`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status: 'AVAILABLE', reason: 'prueba de pantalla' }),
  });
  expect(response.status).toBe(200);
};
const pause = (advisorId: number) =>
  db.query(`update advisor set status = 'BUSY' where id = $1`, [advisorId]);

beforeAll(async () => {
  browser = await launchBrowser();
  db = await createEmptyDatabase();
  port = await freePort();
  app = await start();
  // Only Carlos (CAJA, module 1) works, paused until a test calls someone.
  await db.query(`update advisor set status = 'OFFLINE'`);
  await db.query(`update advisor set status = 'BUSY' where email = 'carlos.rodriguez@banco.com'`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await db?.drop();
});

describe('the branch screen (/pantalla)', () => {
  it('shows a number when it is assigned, pushed (no polling), at 1920×1080 and 1280×720', async () => {
    const carlos = await carlosId();
    const created = await app.postTicket({ nationalId: rut(++n), queueType: 'CAJA' });
    expect(created.status).toBe(201);
    const numero = String(created.body.numero);

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    await page.goto(`${app.url}/pantalla?branch=${encodeURIComponent('Sucursal Centro')}`);
    await page.locator('#status', { hasText: 'En línea' }).waitFor();
    await page.locator('tr[data-queue="CAJA"] .waiting', { hasText: '1 en espera' }).waitFor();

    await free(carlos);
    // How fast is the bench's figure (screen latency); here: it arrives, pushed, with no reload.
    await page.locator('.called li.newest', { hasText: numero }).waitFor({ timeout: 15_000 });
    await expect(page.locator('.called li.newest .modulo').textContent()).resolves.toBe('Módulo 1');
    // No personal data on a public screen.
    expect(await page.content()).not.toMatch(/\d{7,8}-[\dkK]/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'pantalla-1920x1080.png') });
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'pantalla-1280x720.png') });
    const fits = await page.evaluate('document.documentElement.scrollHeight <= window.innerHeight + 1');
    expect(fits).toBe(true);
    await page.close();
  });

  it('recovers by itself after the server restarts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await page.goto(`${app.url}/pantalla`);
    await page.locator('#status', { hasText: 'En línea' }).waitFor();

    await app.close(); // the database stays: the same branch comes back
    await page.locator('#status', { hasText: 'Reconectando' }).waitFor({ timeout: 5000 });
    app = await start();
    await page.locator('#status', { hasText: 'En línea' }).waitFor({ timeout: 10_000 });

    const carlos = await carlosId();
    await app.services.floor.finishCurrent(carlos, 'COMPLETADO', { actor: 'SYSTEM' }).catch(() => undefined);
    await pause(carlos);
    const created = await app.postTicket({ nationalId: rut(++n), queueType: 'CAJA' });
    await free(carlos);
    await page.locator('.called li.newest', { hasText: String(created.body.numero) }).waitFor({ timeout: 2000 });
    await page.close();
  });
});
