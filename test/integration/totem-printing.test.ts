/**
 * SPEC §19 printing: a kiosk device with a printer gets every ticket printed by the server (read
 * back from a fake ESC/POS printer on loopback and decoded); out of paper or unreachable, the ticket
 * is valid all the same, the answer says so, and the supervisor dashboard raises TOTEM_SIN_PAPEL /
 * IMPRESORA_DESCONECTADA for that device until a later ticket prints.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY } from '../support/app.js';
import { decodeEscPos, startFakePrinter, type FakePrinter } from '../support/fake-printer.js';
import { rut } from '../support/ruts.js';
import { startTelegramTestApp, type TelegramTestApp } from '../support/telegram-app.js';

const BRANCH = 'Sucursal Centro';
let t: TelegramTestApp;
let printer: FakePrinter;
let code: string;
let n = 0;
const nextRut = (): string => rut(9400 + ++n);

const admin = (path: string, init: RequestInit = {}) =>
  t.app.request(path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  });

async function kiosk(printerAt: { host: string; port: number } | null, name: string): Promise<{ id: number; token: string }> {
  const response = await admin(`/api/admin/branches/${code}/devices`, {
    method: 'POST',
    body: JSON.stringify({ kind: 'KIOSK', name, ...(printerAt ? { printer: printerAt } : {}) }),
  });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { id: number; token: string };
  return { id: body.id, token: body.token };
}

async function take(token: string, headers: Record<string, string> = {}) {
  const response = await t.app.request('/api/tickets', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA' }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function dashboardAlerts(): Promise<Array<Record<string, unknown>>> {
  const response = await admin(`/api/admin/dashboard?branchOffice=${encodeURIComponent(BRANCH)}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { alerts: Array<Record<string, unknown>> }).alerts;
}

const printerAlerts = async (deviceId: number) =>
  (await dashboardAlerts()).filter((a) => a.deviceId === deviceId).map((a) => a.type);

async function ticketRow(identificador: unknown) {
  const [row] = await t.app.db.query<{ status: string; device_id: string | null }>(
    `select status, device_id from ticket where codigo_referencia = $1`,
    [identificador],
  );
  return row;
}

beforeAll(async () => {
  t = await startTelegramTestApp({ WAIT_ESTIMATOR: 'formula', PRINTER_TIMEOUT_MS: '700' });
  await t.app.db.query(`update advisor set status = 'BUSY'`);
  const [branch] = await t.app.db.query<{ code: string }>(`select code from branch where name = $1`, [BRANCH]);
  code = branch!.code;
  printer = await startFakePrinter('ok');
}, 60_000);
afterAll(async () => {
  await printer?.stop();
  await t?.close();
});

describe('a tótem with an ESC/POS printer (SPEC §19)', () => {
  it('prints every ticket: the status asked first, then the branch, the number double size, the queue, the QR of the single-use link by GS ( k, a cut', async () => {
    const device = await kiosk({ host: printer.host, port: printer.port }, 'Tótem con impresora');
    printer.clear();
    const ticket = await take(device.token);
    expect(ticket.status).toBe(201);
    expect(ticket.body.impresion).toEqual({ estado: 'IMPRESA' });
    const [paper] = await printer.printed(1);
    expect(paper!.statusQueries).toEqual([1, 2, 4]);
    expect(paper!.numero).toBe(ticket.body.numero);
    const lines = paper!.lines.map((l) => l.text);
    expect(lines).toContain(BRANCH);
    expect(lines).toContain('Caja');
    expect(lines.some((l) => /^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/.test(l))).toBe(true);
    expect(lines.some((l) => /antes que tú$/.test(l))).toBe(true);
    expect(lines).toContain(`Espera estimada: ${String(ticket.body.estimatedWaitMinutes)} min`);
    // The QR is the answer's single-use k_ link, and the short code is printed beside it.
    expect(ticket.body.telegramLink).toMatch(/\?start=k_/);
    expect(paper!.qrPayloads).toEqual([ticket.body.telegramLink]);
    expect(paper!.qrPrinted).toBe(1);
    expect(lines).toContain(`o escribe /turno ${String(ticket.body.codigoCorto)} al bot`);
    expect(paper!.cuts).toBe(1);
    expect(await ticketRow(ticket.body.identificador)).toMatchObject({ status: expect.stringMatching(/^(EN_ESPERA|PROXIMO)$/), device_id: String(device.id) });
    expect(await printerAlerts(device.id)).toEqual([]);
  });

  it('the printed QR links the ticket to the chat that opens it, once', async () => {
    const device = await kiosk({ host: printer.host, port: printer.port }, 'Tótem QR');
    printer.clear();
    const ticket = await take(device.token);
    const [paper] = await printer.printed(1);
    const token = paper!.qrPayloads[0]!.split('?start=')[1]!;
    const user = { id: 6_400_001, first_name: 'Rosa' };
    const mark = t.fake.mark();
    t.fake.sendCommand(user, '/start', token);
    await t.fake.waitForMessage(user.id, new RegExp(`Vinculamos el ticket <b>${String(ticket.body.numero)}</b>`), { since: mark });
  });

  it('a replayed request (same Idempotency-Key) prints nothing again', async () => {
    const device = await kiosk({ host: printer.host, port: printer.port }, 'Tótem reintento');
    printer.clear();
    const key = randomUUID();
    const body = { nationalId: nextRut(), queueType: 'CAJA' };
    const send = () =>
      t.app.request('/api/tickets', {
        method: 'POST',
        headers: { authorization: `Bearer ${device.token}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(body),
      });
    const first = await send();
    expect(first.status).toBe(201);
    await printer.printed(1);
    const replay = await send();
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as Record<string, unknown>).impresion).toEqual({ estado: 'IMPRESA' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(printer.jobs().map(decodeEscPos).filter((j) => j.cuts > 0)).toHaveLength(1);
  });

  it('out of paper: the ticket stays valid, the answer says SIN_PAPEL, TOTEM_SIN_PAPEL is raised; a later printed ticket clears it', async () => {
    const device = await kiosk({ host: printer.host, port: printer.port }, 'Tótem sin papel');
    printer.mode = 'paper-out';
    try {
      printer.clear();
      const ticket = await take(device.token);
      expect(ticket.status).toBe(201);
      expect(ticket.body.impresion).toEqual({ estado: 'SIN_PAPEL' });
      expect(ticket.body.numero).toMatch(/^C\d+$/);
      expect(await ticketRow(ticket.body.identificador)).toMatchObject({ status: expect.stringMatching(/^(EN_ESPERA|PROXIMO)$/) });
      // Only the status was asked: no ticket bytes went to a printer without paper.
      expect(decodeEscPos(printer.bytes())).toMatchObject({ statusQueries: [1, 2, 4], cuts: 0 });
      const alerts = (await dashboardAlerts()).filter((a) => a.deviceId === device.id);
      expect(alerts).toEqual([
        expect.objectContaining({ type: 'TOTEM_SIN_PAPEL', branchOffice: BRANCH, deviceName: 'Tótem sin papel', mensaje: expect.stringContaining('no tiene papel') }),
      ]);
      // On the all-branches summary too.
      const summary = (await (await admin('/api/admin/summary')).json()) as { branches: Array<{ branchOffice: string; alerts: Array<Record<string, unknown>> }> };
      expect(summary.branches.find((b) => b.branchOffice === BRANCH)!.alerts.some((a) => a.type === 'TOTEM_SIN_PAPEL' && a.deviceId === device.id)).toBe(true);
      const [audit] = await t.app.db.query<{ actor: string; event_type: string }>(
        `select actor, event_type from audit_log where entity_type = 'DISPOSITIVO' and entity_id = $1 and event_type like 'IMPRESORA%' order by id`,
        [String(device.id)],
      );
      expect(audit).toEqual({ actor: `device:${device.id}`, event_type: 'IMPRESORA_SIN_PAPEL' });
    } finally {
      printer.mode = 'ok';
    }
    printer.clear();
    const next = await take(device.token);
    expect(next.body.impresion).toEqual({ estado: 'IMPRESA' });
    expect((await printer.printed(1))[0]!.numero).toBe(next.body.numero);
    expect(await printerAlerts(device.id)).toEqual([]);
  });

  it('printer unreachable (nothing listening): IMPRESORA_DESCONECTADA, the ticket valid', async () => {
    const gone = await startFakePrinter('ok');
    const where = { host: gone.host, port: gone.port };
    await gone.stop();
    const device = await kiosk(where, 'Tótem desenchufado');
    const ticket = await take(device.token);
    expect(ticket.status).toBe(201);
    expect(ticket.body.impresion).toEqual({ estado: 'DESCONECTADA' });
    expect(await ticketRow(ticket.body.identificador)).toMatchObject({ status: expect.stringMatching(/^(EN_ESPERA|PROXIMO)$/) });
    expect(await printerAlerts(device.id)).toEqual(['IMPRESORA_DESCONECTADA']);
  });

  it('a printer that accepts and never answers: the answer comes within PRINTER_TIMEOUT_MS, DESCONECTADA', async () => {
    const silent = await startFakePrinter('silent');
    try {
      const device = await kiosk({ host: silent.host, port: silent.port }, 'Tótem colgado');
      const started = Date.now();
      const ticket = await take(device.token);
      const took = Date.now() - started;
      expect(ticket.status).toBe(201);
      expect(ticket.body.impresion).toEqual({ estado: 'DESCONECTADA' });
      // Bounded by the printer's timeout (700 ms here), not by the printer.
      expect(took).toBeGreaterThanOrEqual(650);
      expect(took).toBeLessThan(10_000);
      expect(await printerAlerts(device.id)).toEqual(['IMPRESORA_DESCONECTADA']);
    } finally {
      await silent.stop();
    }
  });

  it('without a printer (or with the all-branches key) the answer says NAVEGADOR and nothing is printed', async () => {
    const device = await kiosk(null, 'Tótem sin impresora');
    printer.clear();
    const ticket = await take(device.token);
    expect(ticket.body.impresion).toEqual({ estado: 'NAVEGADOR' });
    const viaKey = await t.app.request('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA' }),
    });
    expect(((await viaKey.json()) as Record<string, unknown>).impresion).toEqual({ estado: 'NAVEGADOR' });
    expect(printer.bytes()).toHaveLength(0);
  });
});
