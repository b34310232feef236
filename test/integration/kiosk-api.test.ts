import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { rutIndex, sealedRut } from '../support/personal-data.js';

let app: TestApp;
let n = 0;
const nextRut = (): string => rut(++n);

beforeAll(async () => {
  // The seed's figures (SPEC §4 formula) are pinned here; the SPEC §13 estimator has its own tests.
  app = await startTestApp({ WAIT_ESTIMATOR: 'formula' });
});
afterAll(async () => {
  await app?.close();
});

async function resetQueues(): Promise<void> {
  await app.db.query('delete from mensaje');
  await app.db.query('delete from ticket');
  await app.db.query('delete from ticket_daily_counter');
  await app.db.query('delete from telegram_customer');
  // Advisors online but paused (BUSY): they count for estimates and take no one, so lines stay put.
  await app.db.query(`update advisor set status = 'BUSY'`);
}

describe('POST /api/tickets — the seed acceptance cases', () => {
  beforeEach(resetQueues);

  it('creates a CAJA ticket: 201, C01, position 1', async () => {
    const { status, body } = await app.postTicket({ nationalId: '12.345.678-5', queueType: 'CAJA' });
    expect(status).toBe(201);
    expect(body).toMatchObject({ numero: 'C01', positionInQueue: 1, queueType: 'CAJA', branchOffice: 'Sucursal Centro' });
    expect(body.identificador).toMatch(/^[0-9a-f-]{36}$/);
    const [row] = await app.db.query<{ national_id_enc: string; national_id_bidx: Buffer; numero: string }>(
      'select national_id_enc, national_id_bidx, numero, status from ticket where codigo_referencia = $1',
      [body.identificador],
    );
    // SPEC §14: stored normalised, encrypted, and found by its blind index.
    expect(row).toMatchObject({ numero: 'C01' });
    expect(row!.national_id_enc).not.toContain('12345678');
    expect(app.personalData.decrypt('rut', row!.national_id_enc)).toBe('12345678-5');
    expect(row!.national_id_bidx.equals(rutIndex(app, '12345678-5'))).toBe(true);
  });

  it('gives a second active ticket for the same RUT a 409 naming the first number', async () => {
    const first = await app.postTicket({ nationalId: '12345678-5', queueType: 'PERSONAL_BANKER' });
    expect(first.status).toBe(201);
    const second = await app.postTicket({ nationalId: '123456785', queueType: 'CAJA' });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ error: 'TICKET_ACTIVO_EXISTENTE', mensaje: 'Ya tienes un ticket activo: P01' });
  });

  it('answers an empty RUT with 400 and a field message', async () => {
    const { status, body } = await app.postTicket({ nationalId: '', queueType: 'CAJA' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { nationalId: 'El RUT es obligatorio' } });
  });

  it('rejects a RUT whose check digit is wrong', async () => {
    const { status, body } = await app.postTicket({ nationalId: '12.345.678-9', queueType: 'CAJA' });
    expect(status).toBe(400);
    expect((body.campos as Record<string, string>).nationalId).toMatch(/dígito verificador/);
  });

  it('answers phone "123" with 400', async () => {
    const { status, body } = await app.postTicket({ nationalId: nextRut(), telefono: '123', queueType: 'CAJA' });
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'VALIDACION_FALLIDA' });
    expect((body.campos as Record<string, string>).telefono).toMatch(/\+56/);
  });

  it('gives P01, position 1 and 15 minutes in an empty PERSONAL_BANKER queue', async () => {
    // Only one PERSONAL_BANKER advisor online, so the estimate is exactly one average service.
    await app.db.query(
      `update advisor set status = 'OFFLINE' where queue_types::jsonb @> '"PERSONAL_BANKER"' and email <> 'maria.gonzalez@banco.com'`,
    );
    const { status, body } = await app.postTicket({ nationalId: nextRut(), queueType: 'PERSONAL_BANKER' });
    expect(status).toBe(201);
    expect(body).toMatchObject({ numero: 'P01', positionInQueue: 1, estimatedWaitMinutes: 15 });
  });

  it('puts an EMPRESAS ticket with 4 waiting at position 5 and ceil(5×20 ÷ online advisors) minutes', async () => {
    for (let i = 0; i < 4; i++) expect((await app.postTicket({ nationalId: nextRut(), queueType: 'EMPRESAS' })).status).toBe(201);
    const [{ online }] = (await app.db.query<{ online: number }>(
      `select count(*)::int as online from advisor where status <> 'OFFLINE' and queue_types::jsonb @> '"EMPRESAS"'`,
    )) as [{ online: number }];
    expect(online).toBe(2); // Ana Martínez and Carmen Silva
    const { body } = await app.postTicket({ nationalId: nextRut(), queueType: 'EMPRESAS' });
    expect(body).toMatchObject({ numero: 'E05', positionInQueue: 5, estimatedWaitMinutes: Math.ceil((5 * 20) / online) });
  });

  it('divides by one when no advisor of the queue is online', async () => {
    await app.db.query(`update advisor set status = 'OFFLINE'`);
    await app.postTicket({ nationalId: nextRut(), queueType: 'GERENCIA' });
    const { body } = await app.postTicket({ nationalId: nextRut(), queueType: 'GERENCIA' });
    expect(body).toMatchObject({ positionInQueue: 2, estimatedWaitMinutes: 60 });
  });

  it('creates no messages for a ticket with no phone and no registered RUT', async () => {
    const { body } = await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    const rows = await app.db.query('select m.* from mensaje m join ticket t on t.id = m.ticket_id where t.codigo_referencia = $1', [
      body.identificador,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('creates the three messages, in order, for a ticket with a phone', async () => {
    const { body } = await app.postTicket({ nationalId: nextRut(), telefono: '+56912345678', queueType: 'CAJA' });
    const rows = await app.db.query<{ plantilla: string; estado_envio: string; intentos: number }>(
      `select plantilla, estado_envio, intentos from mensaje m join ticket t on t.id = m.ticket_id
       where t.codigo_referencia = $1 order by m.id`,
      [body.identificador],
    );
    expect(rows).toEqual([
      { plantilla: 'TOTEM_TICKET_CREADO', estado_envio: 'PENDIENTE', intentos: 0 },
      { plantilla: 'TOTEM_PROXIMO_TURNO', estado_envio: 'PENDIENTE', intentos: 0 },
      { plantilla: 'TOTEM_ES_TU_TURNO', estado_envio: 'PENDIENTE', intentos: 0 },
    ]);
  });

  it('creates the messages for a RUT registered in the bot, even without a phone', async () => {
    const nationalId = nextRut();
    await app.db.query(`insert into telegram_customer (chat_id, national_id_enc, national_id_bidx) values (555001, $1, $2)`, [
      ...sealedRut(app, nationalId),
    ]);
    const { body } = await app.postTicket({ nationalId, queueType: 'CAJA' });
    const rows = await app.db.query('select m.id from mensaje m join ticket t on t.id = m.ticket_id where t.codigo_referencia = $1', [
      body.identificador,
    ]);
    expect(rows).toHaveLength(3);
  });

  it('does not count cancelled or finished tickets in positions', async () => {
    const a = await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    const b = await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    expect((await app.request(`/api/tickets/${String(a.body.identificador)}/cancel`, { method: 'POST' })).status).toBe(200);
    await app.db.query(`update ticket set status = 'COMPLETADO', completed_at = now() where codigo_referencia = $1`, [
      b.body.identificador,
    ]);
    const d = await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    expect(d.body).toMatchObject({ numero: 'C04', positionInQueue: 2 });
  });

  it('records TICKET_CREADO with actor KIOSK, the client IP and user agent', async () => {
    const response = await app.request('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'totem-centro/1.0' },
      body: JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA' }),
    });
    const body = (await response.json()) as { identificador: string };
    const [audit] = await app.db.query<Record<string, unknown>>(
      `select a.* from audit_log a join ticket t on a.entity_id = t.id::text
       where a.entity_type = 'TICKET' and a.event_type = 'TICKET_CREADO' and t.codigo_referencia = $1`,
      [body.identificador],
    );
    expect(audit).toMatchObject({ actor: 'KIOSK', ip_address: '127.0.0.1', user_agent: 'totem-centro/1.0' });
  });
});

describe('reading and cancelling', () => {
  beforeEach(resetQueues);

  it('reads a ticket by its reference code', async () => {
    const created = await app.postTicket({ nationalId: nextRut(), queueType: 'EMPRESAS' });
    const response = await app.request(`/api/tickets/${String(created.body.identificador)}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      numero: 'E01',
      status: 'PROXIMO',
      positionInQueue: 1,
      moduleNumber: null,
      advisorName: null,
    });
  });

  it('answers the position of today’s ticket by its number', async () => {
    await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    await app.postTicket({ nationalId: nextRut(), queueType: 'CAJA' });
    const response = await app.request('/api/tickets/C02/position?branchOffice=Sucursal%20Centro');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ numero: 'C02', positionInQueue: 2 });
    expect((await app.request('/api/tickets/C77/position')).status).toBe(404);
  });

  it('cancels a waiting ticket, closes its messages and lets the RUT take a new one', async () => {
    const nationalId = nextRut();
    const created = await app.postTicket({ nationalId, telefono: '+56911112222', queueType: 'CAJA' });
    const response = await app.request(`/api/tickets/${String(created.body.identificador)}/cancel`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'CANCELADO' });
    const messages = await app.db.query<{ estado_envio: string; error_message: string }>(
      `select estado_envio, error_message from mensaje m join ticket t on t.id = m.ticket_id where t.codigo_referencia = $1`,
      [created.body.identificador],
    );
    expect(messages).toHaveLength(3);
    expect(messages.every((m) => m.estado_envio === 'FALLIDO' && m.error_message === 'ticket cancelado')).toBe(true);
    const [audit] = await app.db.query(`select actor from audit_log where event_type = 'TICKET_CANCELADO'`);
    expect(audit).toMatchObject({ actor: 'KIOSK' });
    expect((await app.postTicket({ nationalId, queueType: 'CAJA' })).status).toBe(201);
    const again = await app.request(`/api/tickets/${String(created.body.identificador)}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'TICKET_NO_CANCELABLE' });
  });

  it('answers 404 for an unknown reference and 400 for one that is not a UUID', async () => {
    expect((await app.request('/api/tickets/0b7a4a63-0a8e-4b59-9d5e-2f2b8c3f9a11')).status).toBe(404);
    const bad = await app.request('/api/tickets/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'VALIDACION_FALLIDA' });
  });
});

describe('the door', () => {
  it('refuses the kiosk API without the key, or with a wrong one', async () => {
    for (const authorization of ['', 'Bearer nope', 'Basic a2lvc2s=']) {
      const response = await app.request('/api/tickets', {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ nationalId: nextRut(), queueType: 'CAJA' }),
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'NO_AUTORIZADO' });
    }
  });

  it('answers health, the OpenAPI document and JSON 404s', async () => {
    const health = await fetch(`${app.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const openapi = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/tickets');
    const missing = await fetch(`${app.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'NO_ENCONTRADO' });
  });
});
