/**
 * The supervisor page shows the service floor (SPEC §12) and acts on it, in Chromium: advisors as
 * Llamando / Atendiendo / En pausa (reason, minutes) / Disponible / Desconectado, minutes per state,
 * ratings, PAUSA_PROLONGADA; Llegó and Volver a llamar pressed on the page change the database.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, signInBrowser } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { rut } from '../support/ruts.js';

const clock = new ManualClock(new Date('2026-06-02T14:00:00Z'));
const SUPERVISOR = { actor: 'supervisor@banco.com' };
let browser: Browser;
let app: TestApp;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp({ RECALL_MIN_INTERVAL_S: '0' }, { clock });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const idOf = async (email: string) =>
  Number((await app.db.query<{ id: string }>(`select id from advisor where email = $1`, [email]))[0]!.id);

describe('the supervisor page on the service floor', () => {
  it('shows each advisor’s floor state and figures, and Llegó / Volver a llamar work from the page', async () => {
    const [maria, carlos, ana, luis] = await Promise.all(
      ['maria.gonzalez@banco.com', 'carlos.rodriguez@banco.com', 'ana.martinez@banco.com', 'luis.perez@banco.com'].map(idOf),
    );
    const { floor } = app.services;
    // Carlos served and rated one customer; Ana is on a long lunch; María is calling; Luis serves someone.
    await floor.setStatus(carlos!, 'AVAILABLE', null, SUPERVISOR);
    const rated = await app.postTicket({ nationalId: rut(1), queueType: 'CAJA' });
    await app.services.assignment.assignAvailable('Sucursal Centro');
    await floor.arrived(carlos!, SUPERVISOR);
    clock.advance(6 * 60_000);
    await floor.finishCurrent(carlos!, 'COMPLETADO', SUPERVISOR);
    const [ticket] = await app.db.query<{ id: string }>(`select id from ticket where codigo_referencia = $1`, [rated.body.identificador]);
    await floor.rate(Number(ticket!.id), 4, { actor: 'telegram:1' });
    await floor.setStatus(carlos!, 'OFFLINE', 'fin de turno', SUPERVISOR);

    await floor.setStatus(ana!, 'BUSY', 'Colación', SUPERVISOR);
    await app.postTicket({ nationalId: rut(2), queueType: 'PERSONAL_BANKER', atencionPreferente: 'EMBARAZO' });
    await floor.setStatus(maria!, 'AVAILABLE', null, SUPERVISOR);
    await app.postTicket({ nationalId: rut(3), queueType: 'CAJA' });
    await floor.setStatus(luis!, 'AVAILABLE', null, SUPERVISOR);
    await app.services.assignment.assignAvailable('Sucursal Centro');
    await floor.arrived(luis!, SUPERVISOR);
    for (let i = 4; i < 8; i++) await app.postTicket({ nationalId: rut(i), queueType: 'CAJA' });
    clock.advance(35 * 60_000); // Ana's pause is now longer than PAUSE_ALERT_MINUTES (30)

    const context = await browser.newContext({ viewport: { width: 1600, height: 1200 } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.dismiss());
    const supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Centro'] }, () => clock.now());
    await signInBrowser(context, app, supervisor);
    await page.goto(`${app.url}/supervisor`);
    const row = (id: number) => page.locator(`#advisors tr[data-advisor="${id}"]`);
    await row(maria!).waitFor();

    await expect(row(maria!).locator('.pill').textContent()).resolves.toBe('Llamando');
    await expect(row(maria!).locator('.client').textContent()).resolves.toMatch(/^P01 · Llamando \(1\.º llamado\) · ★$/);
    await expect(row(luis!).locator('.pill').textContent()).resolves.toBe('Atendiendo');
    await expect(row(ana!).locator('.pill').textContent()).resolves.toBe('En pausa (Colación, 35 min)');
    await expect(row(carlos!).locator('.pill').textContent()).resolves.toBe('Desconectado');
    await expect(row(carlos!).locator('.minutes').textContent()).resolves.toContain('Aten. 6');
    await expect(row(carlos!).locator('.rating').textContent()).resolves.toBe('4 ★');
    await expect(page.locator('tr[data-queue="CAJA"] .rating').textContent()).resolves.toBe('4 ★ (1)');
    await expect(page.locator('.alert[data-type="PAUSA_PROLONGADA"]').textContent()).resolves.toContain('Ana Martínez lleva 35 minutos en pausa (Colación)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'supervisor-floor.png'), fullPage: true });

    // Volver a llamar, then Llegó, pressed on the page.
    await row(maria!).locator('button[data-action="recall"]').click();
    await row(maria!).locator('.client', { hasText: '2.º llamado' }).waitFor({ timeout: 5000 });
    await row(maria!).locator('button[data-action="arrived"]').click();
    await row(maria!).locator('.pill', { hasText: 'Atendiendo' }).waitFor({ timeout: 5000 });
    const [db] = await app.db.query<{ recall_count: number; service_started_at: string | null }>(
      `select recall_count, service_started_at from ticket where numero = 'P01'`,
    );
    expect(db!.recall_count).toBe(2);
    expect(db!.service_started_at).not.toBeNull();
    await context.close();
  });
});
