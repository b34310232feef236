/**
 * The service floor (SPEC §12) through the admin API, over real HTTP, with an injected clock:
 * called vs served, recalls, no-shows, walkouts, transfers, pauses with reasons and the minutes
 * per state, calls out of order, and bad input answered with stable codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { renderMessage } from '../../src/modules/notifications/templates.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';
import { rut } from '../support/ruts.js';

const clock = new ManualClock(new Date('2026-06-02T14:00:00Z')); // 10:00 in Santiago
let app: TestApp;
let n = 0;
let b = 0;

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  await app.db.query(`update advisor set status = 'OFFLINE'`);
});
afterAll(async () => {
  await app?.close();
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function admin(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${app.url}/api/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}
const post = (path: string, body?: unknown) => admin(path, 'POST', body ?? {});

/** A branch of its own whose advisors start on a pause, so tickets wait until someone is made available. */
async function branch(advisors: Array<{ name: string; queues: Array<'CAJA' | 'PERSONAL_BANKER' | 'EMPRESAS' | 'GERENCIA'> }>) {
  const name = `Sucursal Piso ${++b}`;
  const ids = await seedBranch(
    app.db,
    name,
    advisors.map((a, i) => ({ name: a.name, module: i + 1, queues: a.queues, status: 'BUSY' as const })),
  );
  return { name, ids };
}
async function take(branchOffice: string, queueType = 'CAJA', extra: Record<string, unknown> = {}) {
  const { status, body } = await app.postTicket({ nationalId: rut(20_000 + ++n), telefono: `+569${String(10_000_000 + n)}`, queueType, branchOffice, ...extra });
  expect(status, JSON.stringify(body)).toBe(201);
  return body as { identificador: string; numero: string; positionInQueue: number; status: string };
}
const available = (id: number) => admin(`/advisors/${id}/status`, 'PUT', { status: 'AVAILABLE' });
const ticketRow = async (numero: string, branchOffice: string) =>
  (
    await app.db.query<Json>(
      `select id, status, queue_type, assigned_advisor_id, assigned_at, service_started_at, recall_count, last_called_at,
              actual_service_time_minutes, queued_at, created_at, reserved_advisor_id, position_in_queue
       from ticket where numero = $1 and branch_office = $2`,
      [numero, branchOffice],
    )
  )[0]!;
const messages = async (ticketId: string) =>
  app.db.query<{ plantilla: string; estado_envio: string; datos: Json | null; error_message: string | null }>(
    `select plantilla, estado_envio, datos, error_message from mensaje where ticket_id = $1 order by id`,
    [ticketId],
  );

describe('called, then served (Llegó)', () => {
  it('keeps the first call in assigned_at, starts the service on arrival and measures it from there', async () => {
    const { name, ids } = await branch([{ name: 'Ana', queues: ['CAJA'] }]);
    const t = await take(name);
    clock.advance(6 * 60_000); // waits 6 minutes
    await available(ids.Ana!);
    const advisor = (await admin(`/advisors?branchOffice=${encodeURIComponent(name)}`)).body.advisors[0];
    expect(advisor).toMatchObject({ floorState: 'CALLING', floorLabel: 'Llamando', currentTicket: { numero: t.numero, stage: 'LLAMANDO', recallCount: 1 } });
    const kiosk = await app.request(`/api/tickets/${t.identificador}`);
    expect(await kiosk.json()).toMatchObject({ status: 'ATENDIENDO', serviceStartedAt: null });

    clock.advance(2 * 60_000); // walks to the desk in 2 minutes
    const arrived = await post(`/advisors/${ids.Ana}/arrived`);
    expect(arrived.status).toBe(200);
    expect(arrived.body).toMatchObject({ floorState: 'SERVING', floorLabel: 'Atendiendo', currentTicket: { stage: 'ATENDIENDO' } });
    expect((await post(`/advisors/${ids.Ana}/arrived`)).body).toMatchObject({ error: 'TRANSICION_INVALIDA' });

    clock.advance(5 * 60_000 + 10_000);
    await admin(`/advisors/${ids.Ana}/complete-ticket`, 'PUT');
    const row = await ticketRow(t.numero, name);
    expect(row).toMatchObject({ status: 'COMPLETADO', actual_service_time_minutes: 5 }); // from arrival, not from the call
    const queue = (await admin(`/queues/CAJA/stats?branchOffice=${encodeURIComponent(name)}`)).body;
    expect(queue).toMatchObject({ averageWaitMinutesToday: 6, averageServiceMinutesToday: 5, servedToday: 1 });
    const audit = await app.db.query(`select 1 from audit_log where event_type = 'TICKET_ATENCION_INICIADA' and entity_id = $1`, [row.id]);
    expect(audit).toHaveLength(1);
    // The rating survey follows the completion, once.
    expect((await messages(row.id)).map((m) => m.plantilla)).toEqual([
      'TOTEM_TICKET_CREADO',
      'TOTEM_PROXIMO_TURNO',
      'TOTEM_ES_TU_TURNO',
      'TOTEM_ENCUESTA',
    ]);
  });
});

describe('recall and no-show', () => {
  it('recalls at most RECALL_MAX times, RECALL_MIN_INTERVAL_S apart, only before arrival; a no-show needs NO_SHOW_MIN_CALLS', async () => {
    const { name, ids } = await branch([{ name: 'Beto', queues: ['CAJA'] }]);
    const t = await take(name);
    await available(ids.Beto!);
    const id = ids.Beto!;

    // One call so far: too early for a no-show, and too early for a recall.
    const early = await admin(`/advisors/${id}/complete-ticket`, 'PUT', { outcome: 'NO_ATENDIDO' });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ error: 'TRANSICION_INVALIDA', llamados: 1, minimo: 2 });
    clock.advance(10_000);
    const soon = await post(`/advisors/${id}/recall`);
    expect(soon.status).toBe(409);
    expect(soon.body).toMatchObject({ error: 'RELLAMADO_MUY_PRONTO', reintentarEnSegundos: 20 });

    clock.advance(20_000);
    const second = await post(`/advisors/${id}/recall`);
    expect(second.status).toBe(200);
    expect(second.body.currentTicket).toMatchObject({ recallCount: 2 });
    // The screen flashes the number again, as its 2nd call.
    const screen = await app.services.screen.snapshot(name);
    expect(screen.called[0]).toMatchObject({ numero: t.numero, callNumber: 2, calledAt: clock.now().toISOString() });

    clock.advance(30_000);
    expect((await post(`/advisors/${id}/recall`)).status).toBe(200);
    clock.advance(30_000);
    const fourth = await post(`/advisors/${id}/recall`);
    expect(fourth.status).toBe(409);
    expect(fourth.body).toMatchObject({ error: 'LLAMADOS_AGOTADOS', llamados: 3, maximo: 3 });

    const row = await ticketRow(t.numero, name);
    expect(row.recall_count).toBe(3);
    const recalls = (await messages(row.id)).filter((m) => m.plantilla === 'TOTEM_RELLAMADO');
    expect(recalls.map((m) => m.datos)).toEqual([{ n: 2, max: 3 }, { n: 3, max: 3 }]);
    expect(renderMessage('TOTEM_RELLAMADO', { numero: t.numero, posicion: 0, tiempo: 0, modulo: 1, nombreAsesor: 'Beto', datos: recalls[0]!.datos })).toBe(
      `🔔 <b>¡Te estamos llamando! ${t.numero}</b>\n\nLlamado 2 de 3. Dirígete al módulo: <b>1</b>\nAsesor: <b>Beto</b>`,
    );

    const noShow = await admin(`/advisors/${id}/complete-ticket`, 'PUT', { outcome: 'NO_ATENDIDO' });
    expect(noShow.status).toBe(200);
    expect(await ticketRow(t.numero, name)).toMatchObject({ status: 'NO_ATENDIDO', actual_service_time_minutes: null });
  });

  it('refuses a recall after arrival', async () => {
    const { name, ids } = await branch([{ name: 'Carla', queues: ['CAJA'] }]);
    await take(name);
    await available(ids.Carla!);
    await post(`/advisors/${ids.Carla}/arrived`);
    clock.advance(60_000);
    const recall = await post(`/advisors/${ids.Carla}/recall`);
    expect(recall.status).toBe(409);
    expect(recall.body.error).toBe('TRANSICION_INVALIDA');
    const noShow = await admin(`/advisors/${ids.Carla}/complete-ticket`, 'PUT', { outcome: 'NO_ATENDIDO' });
    expect(noShow.status).toBe(409);
    await admin(`/advisors/${ids.Carla}/complete-ticket`, 'PUT');
  });
});

describe('a called customer who cancels (walkout)', () => {
  it('is CANCELADO and frees the advisor, who gets the next customer', async () => {
    const { name, ids } = await branch([{ name: 'Dora', queues: ['CAJA'] }]);
    const first = await take(name);
    const second = await take(name);
    await available(ids.Dora!);
    const cancelled = await app.request(`/api/tickets/${first.identificador}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ status: 'CANCELADO' });
    expect(await ticketRow(second.numero, name)).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(ids.Dora) });
    const [visit] = await app.db.query(`select outcome from ticket_visit v join ticket t on t.id = v.ticket_id where t.numero = $1 and t.branch_office = $2`, [
      first.numero,
      name,
    ]);
    expect(visit).toMatchObject({ outcome: 'CANCELADO' });
    const [advisor] = await app.db.query(`select assigned_tickets_count from advisor where id = $1`, [ids.Dora]);
    expect(advisor).toMatchObject({ assigned_tickets_count: 1 });
    // Once at the desk, it is too late to cancel.
    await post(`/advisors/${ids.Dora}/arrived`);
    const late = await app.request(`/api/tickets/${second.identificador}/cancel`, { method: 'POST' });
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ error: 'TICKET_NO_CANCELABLE' });
  });
});

describe('transfer', () => {
  it('sends the customer to another queue keeping their place by arrival, with the new queue’s messages', async () => {
    const { name, ids } = await branch([
      { name: 'Eva', queues: ['CAJA'] },
      { name: 'Fede', queues: ['PERSONAL_BANKER'] },
    ]);
    const moved = await take(name, 'CAJA');
    clock.advance(60_000);
    const p1 = await take(name, 'PERSONAL_BANKER');
    const p2 = await take(name, 'PERSONAL_BANKER');
    await available(ids.Eva!);
    await post(`/advisors/${ids.Eva}/arrived`);
    clock.advance(4 * 60_000);
    const response = await post(`/advisors/${ids.Eva}/transfer`, { queueType: 'PERSONAL_BANKER', reason: 'crédito hipotecario' });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ floorState: 'AVAILABLE', currentTicket: null });

    const row = await ticketRow(moved.numero, name);
    expect(row).toMatchObject({ status: 'PROXIMO', queue_type: 'PERSONAL_BANKER', assigned_advisor_id: null, position_in_queue: 1 });
    expect(row.queued_at).toEqual(row.created_at);
    // Same number, first in the new line (it arrived before P01 and P02).
    const line = (await admin(`/queues/PERSONAL_BANKER?branchOffice=${encodeURIComponent(name)}`)).body;
    expect(line.tickets.map((x: Json) => x.numero)).toEqual([moved.numero, p1.numero, p2.numero]);
    const kiosk = await (await app.request(`/api/tickets/${moved.identificador}`)).json();
    expect(kiosk).toMatchObject({ numero: moved.numero, queueType: 'PERSONAL_BANKER', positionInQueue: 1 });

    const planned = await messages(row.id);
    expect(planned.map((m) => [m.plantilla, m.estado_envio])).toEqual([
      // The first queue's messages are over (this customer has no chat yet: closed, saying why)…
      ['TOTEM_TICKET_CREADO', 'FALLIDO'],
      ['TOTEM_PROXIMO_TURNO', 'FALLIDO'],
      ['TOTEM_ES_TU_TURNO', 'FALLIDO'],
      // …and the new queue's go out like a new ticket's.
      ['TOTEM_TRANSFERIDO', 'PENDIENTE'],
      ['TOTEM_PROXIMO_TURNO', 'PENDIENTE'],
      ['TOTEM_ES_TU_TURNO', 'PENDIENTE'],
    ]);
    expect(planned[3]!.datos).toEqual({ fila: 'Personal Banker' });
    expect(renderMessage('TOTEM_TRANSFERIDO', { numero: moved.numero, posicion: 1, tiempo: 15, modulo: null, nombreAsesor: null, datos: planned[3]!.datos })).toBe(
      `↪️ <b>Te derivamos a Personal Banker</b>\n\nTurno: <b>${moved.numero}</b>\nPosición en cola: <b>#1</b>\nTiempo estimado: <b>15 minutos</b>`,
    );
    const [audit] = await app.db.query<Json>(`select new_state, additional_data from audit_log where event_type = 'TICKET_TRANSFERIDO' and entity_id = $1`, [row.id]);
    expect(audit).toMatchObject({ new_state: { queueType: 'PERSONAL_BANKER' }, additional_data: { keepPlace: true, reason: 'crédito hipotecario' } });

    // Served in the second queue too: each queue counts its visit.
    await available(ids.Fede!);
    expect(await ticketRow(moved.numero, name)).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(ids.Fede) });
    await post(`/advisors/${ids.Fede}/arrived`);
    clock.advance(10 * 60_000);
    await admin(`/advisors/${ids.Fede}/complete-ticket`, 'PUT');
    const caja = (await admin(`/queues/CAJA/stats?branchOffice=${encodeURIComponent(name)}`)).body;
    const banker = (await admin(`/queues/PERSONAL_BANKER/stats?branchOffice=${encodeURIComponent(name)}`)).body;
    expect(caja).toMatchObject({ servedToday: 1, averageServiceMinutesToday: 4 });
    expect(banker).toMatchObject({ servedToday: 1, averageServiceMinutesToday: 10 });
  });

  it('goes to the back of the line without keepPlace, and to one named advisor only', async () => {
    const { name, ids } = await branch([
      { name: 'Gabi', queues: ['CAJA'] },
      { name: 'Hugo', queues: ['CAJA'] },
      { name: 'Inés', queues: ['CAJA'] },
    ]);
    const a = await take(name);
    const bb = await take(name);
    await available(ids.Gabi!);
    clock.advance(60_000);
    await post(`/advisors/${ids.Gabi}/transfer`, { queueType: 'CAJA', advisorId: ids.Inés, keepPlace: false });
    // Gabi took B next; Hugo, free now, does not get A: it waits for Inés only.
    expect(await ticketRow(bb.numero, name)).toMatchObject({ assigned_advisor_id: String(ids.Gabi) });
    await available(ids.Hugo!);
    expect(await ticketRow(a.numero, name)).toMatchObject({ status: 'PROXIMO', reserved_advisor_id: String(ids.Inés), assigned_advisor_id: null });
    await available(ids.Inés!);
    expect(await ticketRow(a.numero, name)).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(ids.Inés) });
    const row = await ticketRow(a.numero, name);
    expect(row.queued_at).not.toEqual(row.created_at);
  });

  it('answers bad transfers with stable codes and changes nothing', async () => {
    const { name, ids } = await branch([{ name: 'Juan', queues: ['CAJA'] }]);
    const t = await take(name);
    expect((await post(`/advisors/${ids.Juan}/transfer`, { queueType: 'GERENCIA' })).status).toBe(409); // nobody serving yet
    await available(ids.Juan!);
    const notServed = await post(`/advisors/${ids.Juan}/transfer`, { queueType: 'GERENCIA' });
    expect(notServed.status).toBe(409);
    expect(notServed.body.error).toBe('COLA_NO_DISPONIBLE');
    for (const body of [{}, { queueType: 'VIP' }, { advisorId: -1 }, { queueType: 'CAJA', extra: 1 }, { queueType: 'EMPRESAS', keepPlace: 'sí' }]) {
      const bad = await post(`/advisors/${ids.Juan}/transfer`, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error).toBe('VALIDACION_FALLIDA');
    }
    expect((await post(`/advisors/${ids.Juan}/transfer`, { advisorId: 999_999 })).body.error).toBe('ASESOR_NO_ENCONTRADO');
    expect(await ticketRow(t.numero, name)).toMatchObject({ status: 'ATENDIENDO', queue_type: 'CAJA', assigned_advisor_id: String(ids.Juan) });
  });
});

describe('pauses with a reason', () => {
  it('asks for one of PAUSE_REASONS, keeps every period and shows minutes per state and a PAUSA_PROLONGADA alert', async () => {
    const { name, ids } = await branch([{ name: 'Karla', queues: ['EMPRESAS'] }]);
    const id = ids.Karla!;
    await available(id);
    for (const body of [{ status: 'BUSY' }, { status: 'BUSY', reason: 'siesta' }]) {
      const bad = await admin(`/advisors/${id}/status`, 'PUT', body);
      expect(bad.status).toBe(400);
      expect(bad.body.campos.reason).toContain('Colación, Reunión, Trámite interno, Capacitación, Otro');
    }
    clock.advance(10 * 60_000);
    const paused = await admin(`/advisors/${id}/status`, 'PUT', { status: 'BUSY', reason: 'Colación' });
    expect(paused.body).toMatchObject({ status: 'BUSY', floorState: 'PAUSED', floorLabel: 'En pausa', pauseReason: 'Colación' });
    clock.advance(31 * 60_000);
    const dashboard = (await admin(`/dashboard?branchOffice=${encodeURIComponent(name)}`)).body;
    expect(dashboard.alerts).toContainEqual(expect.objectContaining({ type: 'PAUSA_PROLONGADA', advisorId: id, reason: 'Colación', minutes: 31 }));
    expect(dashboard.pauseReasons).toEqual(['Colación', 'Reunión', 'Trámite interno', 'Capacitación', 'Otro']);

    await available(id);
    await take(name, 'EMPRESAS');
    await app.services.assignment.assignAvailable(name);
    clock.advance(2 * 60_000);
    expect((await post(`/advisors/${id}/arrived`)).status).toBe(200);
    clock.advance(3 * 60_000);
    const stats = (await admin(`/advisors/stats?branchOffice=${encodeURIComponent(name)}`)).body.advisors[0];
    expect(stats.minutesByStateToday).toMatchObject({ AVAILABLE: 10, PAUSED: 31, CALLING: 2, SERVING: 3 });
    expect(stats.pauseMinutesByReasonToday).toEqual({ Colación: 31 });
    const periods = await app.db.query(`select status, reason from advisor_status_period where advisor_id = $1 order by id`, [id]);
    expect(periods).toEqual([
      { status: 'AVAILABLE', reason: null },
      { status: 'PAUSED', reason: 'Colación' },
      { status: 'AVAILABLE', reason: null },
      { status: 'CALLING', reason: null },
      { status: 'SERVING', reason: null },
    ]);
    // A pause asked for while serving starts when the customer leaves.
    await admin(`/advisors/${id}/status`, 'PUT', { status: 'BUSY', reason: 'Reunión' });
    const after = await admin(`/advisors/${id}/complete-ticket`, 'PUT');
    expect(after.body).toMatchObject({ status: 'BUSY', floorState: 'PAUSED', pauseReason: 'Reunión' });
  });
});

describe('call out of order', () => {
  it('calls a named waiting ticket from a pause; refuses while serving, and for tickets not waiting', async () => {
    const { name, ids } = await branch([{ name: 'Lalo', queues: ['CAJA'] }]);
    await take(name);
    await take(name);
    const third = await take(name);
    const id = ids.Lalo!;
    await admin(`/advisors/${id}/status`, 'PUT', { status: 'BUSY', reason: 'Trámite interno' });
    const bad = await post(`/advisors/${id}/call`, { numero: third.numero });
    expect(bad.status).toBe(400); // the reason is required
    const called = await post(`/advisors/${id}/call`, { numero: third.numero, reason: 'cliente con movilidad reducida' });
    expect(called.status).toBe(200);
    expect(called.body.currentTicket).toMatchObject({ numero: third.numero, stage: 'LLAMANDO' });
    const [audit] = await app.db.query<Json>(`select additional_data from audit_log where event_type = 'TICKET_LLAMADO_FUERA_DE_ORDEN' order by id desc limit 1`);
    expect(audit!.additional_data).toMatchObject({ numero: third.numero, reason: 'cliente con movilidad reducida' });
    const busy = await post(`/advisors/${id}/call`, { numero: 'C01', reason: 'x' });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe('TRANSICION_INVALIDA');
    await admin(`/advisors/${id}/complete-ticket`, 'PUT');
    // Free again, the next in line (C01) is called automatically; C03 is finished.
    const again = await post(`/advisors/${ids.Lalo}/call`, { numero: third.numero, reason: 'x' });
    expect(again.status).toBe(409);
    const unknown = await post(`/advisors/${ids.Lalo}/call`, { numero: 'C99', reason: 'x' });
    expect([404, 409]).toContain(unknown.status);
  });
});

describe('the contract', () => {
  it('lists the floor’s endpoints in the OpenAPI document', async () => {
    const openapi = (await (await fetch(`${app.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const action of ['arrived', 'recall', 'transfer', 'call']) {
      expect(Object.keys(openapi.paths)).toContain(`/api/admin/advisors/{id}/${action}`);
    }
  });

  it('takes atencionPreferente at the kiosk and refuses an unknown kind', async () => {
    const { name } = await branch([{ name: 'Zoe', queues: ['CAJA'] }]);
    const bad = await app.postTicket({ nationalId: rut(29_999), queueType: 'CAJA', branchOffice: name, atencionPreferente: 'VIP' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { atencionPreferente: expect.stringContaining('TERCERA_EDAD') } });
    const normal = await take(name);
    const preferential = await take(name, 'CAJA', { atencionPreferente: 'DISCAPACIDAD' });
    expect(normal.positionInQueue).toBe(1);
    expect(preferential.positionInQueue).toBe(2); // one normal arrived before it: no jump yet (counter at 0)
  });
});
