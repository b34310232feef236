/*
 * SPEC §20's page, /supervisor/reportes, in Chromium: a known day (the truth test's fixture) rolled
 * up, then read by an ADMIN (one branch, its KPIs, charts, advisors, downloads, the national funnel
 * plot) and by a SUPERVISOR (their branch only, no national view). Screenshots in test/artifacts/.
 */
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, signInBrowser, type SignedIn } from '../support/accounts.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { buildKnownDay, type KnownDay } from '../support/report-day.js';

const DATE = '2026-11-18';
const clock = new ManualClock(new Date('2026-11-19T15:00:00Z'));
let app: TestApp;
let day: KnownDay;
let browser: Browser;
let admin: SignedIn;
let supervisor: SignedIn;

beforeAll(async () => {
  browser = await launchBrowser();
  app = await startTestApp({}, { clock });
  day = await buildKnownDay(app.db, {
    date: DATE,
    seed: 77,
    perBranch: 80,
    branches: [
      { name: 'Sucursal Informe Norte', timeZone: 'America/Santiago', offsetMinutes: -180 },
      { name: 'Sucursal Informe Isla', timeZone: 'Pacific/Easter', offsetMinutes: -300 },
    ],
  });
  await app.services.rollups.recomputeDay(DATE);
  admin = await readyAccount(app, { role: 'ADMIN' }, () => clock.now());
  supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Informe Isla'] }, () => clock.now());
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** The page's range is the browser's last 30 days: it holds the known day when run within a month of it, else the test sets it. */
async function openReports(person: SignedIn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, hasTouch: true });
  await signInBrowser(context, app, person);
  const page = await context.newPage();
  await page.goto(`${app.url}/supervisor/reportes`);
  await page.locator('#r-branch option').first().waitFor({ state: 'attached' });
  await page.fill('#r-from', '2026-11-01');
  await page.fill('#r-to', '2026-11-30');
  return { context, page };
}

describe('the reports page (SPEC §20)', () => {
  it('shows an ADMIN a branch’s figures, charts, advisors and downloads, and the national funnel plot', async () => {
    const { context, page } = await openReports(admin);
    const branch = day.branches[0]!;
    await page.selectOption('#r-branch', branch.code);
    await page.tap('#r-filters button[type="submit"]');
    const arrived = day.tickets.filter((t) => t.branch === branch.name).length;
    // The first card is the period's arrivals: the known day's tickets of that branch.
    await page.locator('#r-kpis .card .value').first().filter({ hasText: String(arrived) }).waitFor();
    expect(await page.textContent('#r-branch-name')).toBe(branch.name);
    await page.locator('#r-waits svg').waitFor();
    await page.locator('#r-heatmap svg').waitFor();
    expect(await page.locator('#r-advisors tbody tr').count()).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'reports-01-branch.png'), fullPage: true });

    // The downloads are the same report as CSV (BOM, ';') and XLSX, with the session.
    const csvHref = await page.getAttribute('#r-csv', 'href');
    const csv = await context.request.get(`${app.url}${csvHref}`);
    expect(csv.status()).toBe(200);
    const text = (await csv.body()).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(';');
    expect(text).toContain(DATE);
    const xlsx = await context.request.get(`${app.url}${await page.getAttribute('#r-xlsx', 'href')}`);
    expect(xlsx.status()).toBe(200);
    expect(xlsx.headers()['content-type']).toContain('spreadsheetml');

    // National: every branch with a volume, the funnel's limits drawn.
    expect(await page.isVisible('#r-national-section')).toBe(true);
    await page.selectOption('#r-metric', 'service_level');
    await page.tap('#r-national-form button[type="submit"]');
    await page.locator('#r-funnel svg').waitFor();
    // The figure is the API's: the volume the metric counts (for the service level, the customers called).
    const national = (await (
      await app.request('/api/admin/reports/national?metric=service_level&from=2026-11-01&to=2026-11-30', { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    ).json()) as { national: { volume: number }; branches: unknown[] };
    expect(national.national.volume).toBeGreaterThan(0);
    expect(national.branches.length).toBeGreaterThanOrEqual(2);
    await page.locator('#r-national-total', { hasText: `Nacional: ${national.national.volume} en el período` }).waitFor();
    await page.locator('#r-national-section').screenshot({ path: path.join(ARTIFACTS, 'reports-02-national-funnel.png') });
    await context.close();
  }, 90_000);

  it('shows a SUPERVISOR only their branch, no national view; a bad range is said in words', async () => {
    const { context, page } = await openReports(supervisor);
    const options = await page.locator('#r-branch option').allTextContents();
    expect(options).toEqual(['Sucursal Informe Isla']);
    expect(await page.isVisible('#r-national-section')).toBe(false);
    await page.tap('#r-filters button[type="submit"]');
    const arrived = day.tickets.filter((t) => t.branch === 'Sucursal Informe Isla').length;
    await page.locator('#r-kpis .card .value').first().filter({ hasText: String(arrived) }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'reports-03-supervisor.png'), fullPage: true });

    // from after to: the API's own message, with the field.
    await page.fill('#r-from', '2026-11-30');
    await page.fill('#r-to', '2026-11-01');
    await page.tap('#r-filters button[type="submit"]');
    await page.locator('#r-error', { hasText: 'from' }).waitFor();
    await context.close();
  }, 90_000);

  it('sends the signed-out to sign in, and serves ECharts from the app itself', async () => {
    const page = await browser.newPage();
    await page.goto(`${app.url}/supervisor/reportes`);
    expect(new URL(page.url()).pathname).toBe('/ingresar');
    await page.close();
    const script = await fetch(`${app.url}/supervisor/vendor/echarts.min.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    expect((await script.text()).length).toBeGreaterThan(500_000);
  });
});
