import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/app.js';
import { ARTIFACTS, launchBrowser } from '../support/browser.js';
import { startFakePrinter, type FakePrinter } from '../support/fake-printer.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let browser: Browser;
let t: TelegramTestApp;
/** SPEC §17, §19: the tótem runs on a kiosk device's token of its branch. */
let KIOSK_TOKEN: string;
let branchCode: string;

beforeAll(async () => {
  browser = await launchBrowser();
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula' });
  await t.app.db.query(`update advisor set status = 'BUSY'`);
  const [branch] = await t.app.db.query<{ code: string }>(`select code from branch where name = 'Sucursal Centro'`);
  branchCode = branch!.code;
  KIOSK_TOKEN = (await t.app.services.devices.create(branchCode, { kind: 'KIOSK', name: 'Tótem entrada' }, { actor: 'SYSTEM' })).token;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function axeSerious(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(`axe.run().then((r) => r.violations.map((v) => v.impact + ': ' + v.id))`)) as string[];
  return violations.filter((v) => v.startsWith('serious') || v.startsWith('critical'));
}

async function openTotem(width: number, height: number): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height } });
  await page.goto(`${t.app.url}/totem`);
  return page;
}

const ticketsOf = async (nationalId: string): Promise<number> => {
  const bidx = t.app.personalData.blindIndex('rut', nationalId);
  const [row] = await t.app.db.query<{ count: number }>('select count(*)::int as count from ticket where national_id_bidx = $1', [bidx]);
  return row!.count;
};

const typeRut = async (page: Page, value: string) => {
  for (const ch of value.replace('-', '')) await page.click(`#s-rut [data-key="${ch.toUpperCase()}"]`);
};

describe('the tótem page (SPEC §19)', () => {
  for (const [width, height, n] of [
    [1080, 1920, 1],
    [1280, 1024, 2],
  ] as const) {
    it(`takes a number through the whole flow at ${width}×${height}, with a screenshot of every step and no serious axe violation`, async () => {
      const page = await openTotem(width, height);
      const shot = async (step: string) => {
        await page.screenshot({ path: path.join(ARTIFACTS, `totem-${width}x${height}-${step}.png`) });
        expect(await axeSerious(page)).toEqual([]);
      };
      await page.locator('#s-setup').waitFor();
      await shot('01-credencial');
      await page.fill('#setup-key', 'una-clave-equivocada');
      await page.click('#setup-save');
      await page.locator('#s-unauthorized', { hasText: 'Tótem no autorizado' }).waitFor();
      await shot('02-no-autorizado');
      await page.click('#unauth-reset');
      await page.fill('#setup-key', KIOSK_TOKEN);
      await page.click('#setup-save');
      await page.locator('#start-branch', { hasText: 'Sucursal Centro' }).waitFor();
      await shot('03-inicio');

      await page.click('#start');
      const id = rut(7000 + n);
      const [body, dv] = id.split('-') as [string, string];
      // A wrong check digit first: said in words on Continuar.
      await typeRut(page, `${body}${dv === '0' ? '1' : '0'}`);
      await page.click('#rut-next');
      await page.locator('#rut-error', { hasText: 'dígito verificador' }).waitFor();
      await shot('04-rut-invalido');
      await page.click('#s-rut [data-key="del"]');
      await page.click(`#s-rut [data-key="${dv}"]`);
      expect(await page.textContent('#rut-display')).toBe(`${body.slice(0, 2)}.${body.slice(2, 5)}.${body.slice(5)}-${dv}`);
      await shot('05-rut');
      await page.click('#rut-next');
      await page.locator('#queues [data-queue="PERSONAL_BANKER"]', { hasText: 'esperando' }).waitFor();
      await shot('06-filas');
      await page.click('#queues [data-queue="PERSONAL_BANKER"]');
      await page.locator('#s-pref').waitFor();
      await shot('07-preferente');
      await page.click('[data-pref="TERCERA_EDAD"]');
      for (const d of '1234567') await page.click(`#s-phone [data-digit="${d}"]`);
      await page.click(`#s-phone [data-digit="${n}"]`);
      expect(await page.isChecked('#phone-consent')).toBe(false);
      await page.click('#phone-next');
      await page.locator('#phone-error', { hasText: 'consentimiento' }).waitFor();
      await shot('08-telefono-sin-consentimiento');
      await page.check('#phone-consent');
      await page.click('#phone-next');
      await page.locator('#summary', { hasText: 'Tercera edad' }).waitFor();
      await shot('09-confirmar');
      await page.click('#confirm');
      await page.locator('#t-numero', { hasText: /^P\d{2,}$/ }).waitFor();
      await page.locator('#t-qr svg').waitFor();
      expect(await page.textContent('#t-code')).toMatch(/\/turno [A-Z2-9]{4}-[A-Z2-9]{4}/);
      await shot('10-ticket');

      // What the page shows is the database's ticket, with its consent stored.
      const numero = await page.textContent('#t-numero');
      const [row] = await t.app.db.query<{ numero: string; atencion_preferente: string; consented: boolean }>(
        `select t.numero, t.atencion_preferente, exists (select 1 from ticket_phone_consent c where c.ticket_id = t.id) as consented
           from ticket t where t.national_id_bidx = $1`,
        [t.app.personalData.blindIndex('rut', id)],
      );
      expect(row).toEqual({ numero, atencion_preferente: 'TERCERA_EDAD', consented: true });
      await page.close();
    }, 90_000); // ten screenshots, each with an axe run: slow on a shared machine
  }

  it('keeps only the RUN of a cédula’s QR typed by a keyboard-wedge scanner', async () => {
    const page = await openTotem(1080, 1920);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
    await page.reload();
    await page.click('#start');
    const id = rut(7101);
    await page.keyboard.type(`https://portal.sidiv.registrocivil.cl/docstatus?RUN=${id}&type=CEDULA&serial=A1234&mrz=XYZ`);
    await page.keyboard.press('Enter');
    const [body, dv] = id.split('-') as [string, string];
    await page.locator('#rut-display', { hasText: `-${dv}` }).waitFor();
    expect((await page.textContent('#rut-display'))!.replaceAll('.', '')).toBe(`${body}-${dv}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1080x1920-11-cedula-escaneada.png') });
    await page.close();
  });

  it("shows the branch's time, not the kiosk computer's (SPEC §17: each branch its zone)", async () => {
    // A kiosk whose operating system is set to Tokyo, in a branch of America/Santiago.
    const page = await browser.newPage({ viewport: { width: 1280, height: 1024 }, timezoneId: 'Asia/Tokyo' });
    await page.goto(`${t.app.url}/totem`);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
    await page.reload();
    await page.locator('#start-branch', { hasText: 'Sucursal Centro' }).waitFor();
    /** The time in a zone, as Chromium writes it, `agoMs` ago. */
    const format = (zone: string, agoMs = 0) =>
      page.evaluate(
        `new Date(Date.now() - ${agoMs}).toLocaleTimeString('es-CL', { hour: '2-digit', minute: '2-digit', timeZone: ${JSON.stringify(zone)} })`,
      );
    // The page redraws its clock every 10 s, so it may show the minute that just ended.
    const clock = await page.textContent('#clock');
    expect([await format('America/Santiago', 15_000), await format('America/Santiago')]).toContain(clock);
    expect(clock).not.toBe(await format('Asia/Tokyo'));
    await page.close();
  });

  it('makes one ticket of two taps on Confirmar 50 ms apart', async () => {
    const page = await openTotem(1280, 1024);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
    await page.reload();
    await page.click('#start');
    const id = rut(7202);
    await typeRut(page, id);
    await page.click('#rut-next');
    await page.click('#queues [data-queue="CAJA"]');
    await page.click('[data-pref=""]');
    await page.click('#phone-skip');
    await page.locator('#s-confirm').waitFor();
    // Two taps that both reach the server (the button's own guard bypassed): the key settles it.
    await page.evaluate(`(async () => {
      const button = document.getElementById('confirm');
      button.click();
      await new Promise((resolve) => setTimeout(resolve, 50));
      button.removeAttribute('disabled');
      button.click();
    })()`);
    await page.locator('#t-numero', { hasText: /^C\d{2,}$/ }).waitFor();
    await eventually(async () => expect(await ticketsOf(id)).toBe(1));
    await page.close();
  });

  it('says so in words when the API cannot be reached, and the retry (same key) makes one ticket', async () => {
    const page = await openTotem(1080, 1920);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
    await page.reload();
    await page.click('#start');
    const id = rut(7303);
    await typeRut(page, id);
    await page.click('#rut-next');
    await page.click('#queues [data-queue="EMPRESAS"]');
    await page.click('[data-pref=""]');
    await page.click('#phone-skip');
    // The network to the API is down for this request.
    await page.route('**/api/tickets**', (route) => route.abort('connectionrefused'));
    await page.click('#confirm');
    await page.locator('#s-error', { hasText: 'No pudimos entregar tu número. Intenta de nuevo o acércate a un ejecutivo.' }).waitFor();
    expect(await page.isVisible('#t-numero')).toBe(false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1080x1920-12-api-caida.png') });
    expect(await axeSerious(page)).toEqual([]);
    expect(await ticketsOf(id)).toBe(0);
    await page.unroute('**/api/tickets**');
    await page.click('#retry');
    await page.locator('#t-numero', { hasText: /^E\d{2,}$/ }).waitFor();
    expect(await ticketsOf(id)).toBe(1);
    await page.close();
  });

  it('asks "¿Sigues ahí?" after the idle time, then goes back to the start', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1024 } });
    await page.goto(`${t.app.url}/totem?inactividad=1&aviso=1`);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
    await page.reload();
    await page.click('#start');
    await page.locator('#idle', { hasText: '¿Sigues ahí?' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1280x1024-13-sigues-ahi.png') });
    await page.locator('#s-start').waitFor();
    expect(await page.isVisible('#idle')).toBe(false);
    await page.close();
  });

  it('shows "Tótem no autorizado" once its device is revoked, and takes no number with it', async () => {
    const device = await t.app.services.devices.create(branchCode, { kind: 'KIOSK', name: 'Tótem a revocar' }, { actor: 'SYSTEM' });
    const page = await openTotem(1080, 1920);
    await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(device.token)})`);
    await page.reload();
    await page.locator('#start-branch', { hasText: 'Sucursal Centro' }).waitFor();
    await t.app.services.devices.revoke(device.device.id, { actor: 'SYSTEM' });
    await page.reload();
    await page.locator('#s-unauthorized', { hasText: 'Tótem no autorizado' }).waitFor();
    await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1080x1920-14-dispositivo-revocado.png') });
    expect(await axeSerious(page)).toEqual([]);
    // The page keeps nothing that works: the API refuses the token too.
    const refused = await fetch(`${t.app.url}/api/tickets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ nationalId: rut(7404), queueType: 'CAJA' }),
    });
    expect(refused.status).toBe(401);
    await page.close();
  });

  it('says when a closed branch opens ("abre …") and gives no number', async () => {
    // Today is a closed date of the tótem's branch.
    await t.app.db.query(
      `update branch set closed_dates = jsonb_build_array(to_char(branch_service_date(name, (now() at time zone 'UTC')::timestamp), 'YYYY-MM-DD'))
        where name = 'Sucursal Centro'`,
    );
    try {
      const page = await openTotem(1280, 1024);
      await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(KIOSK_TOKEN)})`);
      await page.reload();
      await page.click('#start');
      const id = rut(7505);
      await typeRut(page, id);
      await page.click('#rut-next');
      await page.click('#queues [data-queue="CAJA"]');
      await page.click('[data-pref=""]');
      await page.click('#phone-skip');
      await page.click('#confirm');
      await page.locator('#s-closed', { hasText: /La sucursal abre el (lunes|martes|miércoles|jueves|viernes|sábado|domingo) a las \d{2}:\d{2}/ }).waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1280x1024-15-sucursal-cerrada.png') });
      expect(await axeSerious(page)).toEqual([]);
      expect(await ticketsOf(id)).toBe(0);
      await page.close();
    } finally {
      await t.app.db.query(`update branch set closed_dates = '[]' where name = 'Sucursal Centro'`);
    }
  });

  describe('printing (SPEC §19): the server prints on the tótem\'s printer, the browser only without one', () => {
    let printer: FakePrinter;
    beforeAll(async () => {
      printer = await startFakePrinter('ok');
    });
    afterAll(async () => {
      await printer?.stop();
    });

    /** Takes a CAJA number on a tótem page whose `window.print` is counted; returns the page and the count. */
    const takeNumberCountingPrints = async (token: string, id: string) => {
      const page = await browser.newPage({ viewport: { width: 1080, height: 1920 } });
      await page.addInitScript(`window.__prints = 0; window.print = () => { window.__prints += 1; };`);
      await page.goto(`${t.app.url}/totem`);
      await page.evaluate(`localStorage.setItem('ticketero.totem.credencial', ${JSON.stringify(token)})`);
      await page.reload();
      await page.click('#start');
      await typeRut(page, id);
      await page.click('#rut-next');
      await page.click('#queues [data-queue="CAJA"]');
      await page.click('[data-pref=""]');
      await page.click('#phone-skip');
      await page.click('#confirm');
      await page.locator('#t-numero', { hasText: /^C\d{2,}$/ }).waitFor();
      return { page, prints: async () => (await page.evaluate('window.__prints')) as number };
    };

    it('without a printer the browser prints the ticket, once', async () => {
      const { page, prints } = await takeNumberCountingPrints(KIOSK_TOKEN, rut(7606));
      await eventually(async () => expect(await prints()).toBe(1));
      expect(await page.textContent('#t-print')).toBe('');
      await page.close();
    });

    it('with a printer that has paper the server prints it and the browser does not', async () => {
      const device = await t.app.services.devices.create(
        branchCode,
        { kind: 'KIOSK', name: 'Tótem con impresora', printer: { host: printer.host, port: printer.port } },
        { actor: 'SYSTEM' },
      );
      printer.mode = 'ok';
      printer.clear();
      const { page, prints } = await takeNumberCountingPrints(device.token, rut(7707));
      const [paper] = await printer.printed(1);
      expect(paper!.numero).toBe(await page.textContent('#t-numero'));
      expect(await page.textContent('#t-print')).toBe('');
      expect(await prints()).toBe(0);
      await page.close();
    });

    it('with a printer out of paper it says "Sin papel" on the ticket screen and the ticket stands', async () => {
      const device = await t.app.services.devices.create(
        branchCode,
        { kind: 'KIOSK', name: 'Tótem sin papel', printer: { host: printer.host, port: printer.port } },
        { actor: 'SYSTEM' },
      );
      printer.mode = 'paper-out';
      try {
        const id = rut(7808);
        const { page, prints } = await takeNumberCountingPrints(device.token, id);
        await page.locator('#t-print', { hasText: 'Sin papel: anota o fotografía tu número.' }).waitFor();
        await page.screenshot({ path: path.join(ARTIFACTS, 'totem-1080x1920-16-sin-papel.png') });
        expect(await axeSerious(page)).toEqual([]);
        expect(await prints()).toBe(0);
        expect(await ticketsOf(id)).toBe(1);
        await page.close();
      } finally {
        printer.mode = 'ok';
      }
    });
  });

  it("records the tótem's device on the tickets it takes", async () => {
    const [row] = await t.app.db.query<{ devices: string[] }>(
      `select array_agg(distinct d.name) as devices from ticket t join device d on d.id = t.device_id where t.branch_office = 'Sucursal Centro'`,
    );
    // The printing tests above took theirs on their own devices.
    expect(row!.devices).toEqual(['Tótem con impresora', 'Tótem entrada', 'Tótem sin papel']);
  });
});
