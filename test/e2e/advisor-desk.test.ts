/**
 * The advisor's web desk (SPEC §18) in Chromium: an ASESOR signed in sees their customer arrive
 * live (SSE), presses Llegó and Completar, pauses with a reason and links their Telegram; each
 * action lands in the database through the FloorService, audited as the person.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, signInBrowser } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { rut } from '../support/ruts.js';

let browser: Browser;
let app: TestApp;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp();
  await app.db.query(`update advisor set status = 'OFFLINE'`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('the advisor’s desk (/escritorio)', () => {
  it('shows the customer live and works the floor from the page, audited as the person', async () => {
    const [carlos] = await app.db.query<{ id: string; email: string }>(`select id, email from advisor where email = 'carlos.rodriguez@banco.com'`);
    const advisorId = Number(carlos!.id);
    const asesor = await readyAccount(app, { role: 'ASESOR', advisorId, email: 'carlos@banco.cl', name: 'Carlos Rodríguez' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInBrowser(context, app, asesor);
    await page.goto(`${app.url}/escritorio`);
    await page.locator('#estado', { hasText: 'Desconectado' }).waitFor();

    await page.click('button[data-action="disponible"]');
    await page.locator('#estado', { hasText: 'Disponible' }).waitFor();
    // A customer takes a number at the kiosk: it reaches the desk by itself (SSE), no reload.
    const taken = await app.postTicket({ nationalId: rut(7), queueType: 'CAJA' });
    expect(taken.status).toBe(201);
    await app.services.assignment.assignAvailable('Sucursal Centro');
    await page.locator('#numero', { hasText: String(taken.body.numero) }).waitFor({ timeout: 10_000 });
    await expect(page.locator('#rut').textContent()).resolves.toMatch(/^\d{2}\.\*\*\*\.\*\*\*-[\dK]$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'advisor-desk.png'), fullPage: true });

    await page.click('button[data-action="llego"]');
    await page.locator('#etapa', { hasText: 'Atendiendo' }).waitFor();
    await page.click('button[data-action="completar"]');
    await page.locator('#sin-cliente').waitFor({ state: 'visible' });
    const [ticket] = await app.db.query<{ status: string }>(`select status from ticket where codigo_referencia = $1`, [taken.body.identificador]);
    expect(ticket!.status).toBe('COMPLETADO');

    await page.selectOption('#motivo', 'Colación');
    await page.click('#pausa');
    await page.locator('#estado', { hasText: 'En pausa' }).waitFor();
    const [advisor] = await app.db.query<{ status: string; pause_reason: string }>(`select status, pause_reason from advisor where id = $1`, [advisorId]);
    expect(advisor).toMatchObject({ status: 'BUSY', pause_reason: 'Colación' });

    await page.click('#vincular');
    await page.locator('#codigo-vincular', { hasText: /Envía \/vincular [A-Z2-9]{8} al bot/ }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'advisor-desk-after.png'), fullPage: true });

    const audit = await app.db.query<{ event_type: string; actor: string }>(
      `select event_type, actor from audit_log where event_type in ('TICKET_ATENCION_INICIADA', 'TICKET_COMPLETADO', 'ADVISOR_STATUS_CHANGED') order by id`,
    );
    expect(audit.length).toBeGreaterThanOrEqual(3);
    for (const row of audit.filter((r) => r.event_type !== 'ADVISOR_STATUS_CHANGED' || r.actor !== 'SYSTEM')) {
      expect(row.actor, row.event_type).toBe(`staff:${asesor.id}`);
    }
    await context.close();
  });

  it('keeps others out: the signed-out go to /ingresar, a supervisor to their page, and the API is the ASESOR’s only', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app.url}/escritorio`);
    await page.waitForURL(/\/ingresar\?volver=\/escritorio$/);
    const supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Centro'] });
    await signInBrowser(context, app, supervisor);
    await page.goto(`${app.url}/escritorio`);
    await page.waitForURL(/\/supervisor$/);
    const refused = await supervisor.request('/escritorio/api/completar', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'ROL_NO_AUTORIZADO' });
    await context.close();
  });
});
