import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { rut } from '../support/ruts.js';
import { ADMIN_KEY, eventually, startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';

const clock = new ManualClock(new Date('2026-06-01T14:00:00Z'));
let app: TestApp;
let branchNo = 0;
let rutNo = 0;

beforeAll(async () => {
  // Estimates here follow the seed's formula (the SPEC §13 estimator has its own tests).
  app = await startTestApp({ WAIT_ESTIMATOR: 'formula' }, { clock });
  await app.db.query(`update advisor set status = 'OFFLINE'`); // the seed branch stays out of the way
});
afterAll(async () => {
  await app?.close();
});

const newBranch = (): string => `Sucursal Prueba ${++branchNo}`;
const take = async (branchOffice: string, queueType: string, extra: Record<string, unknown> = {}) => {
  const response = await app.postTicket({ nationalId: rut(++rutNo), queueType, branchOffice, ...extra });
  expect(response.status).toBe(201);
  return response.body as { identificador: string; numero: string; positionInQueue: number };
};
const ticketRow = async (codigo: string) =>
  (
    await app.db.query<{ status: string; assigned_advisor_id: string | null; assigned_module_number: number | null }>(
      `select status, assigned_advisor_id, assigned_module_number from ticket where codigo_referencia = $1`,
      [codigo],
    )
  )[0]!;
const admin = (path: string, init: RequestInit = {}) =>
  app.request(path, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
const setStatus = async (id: number, status: string) => {
  const response = await admin(`/api/admin/advisors/${id}/status`, {
    method: 'PUT',
    body: JSON.stringify({ status, reason: 'prueba' }),
  });
  expect(response.status).toBe(200);
};

describe('assignment order (SPEC §4)', () => {
  it('serves a GERENCIA ticket before an older CAJA ticket when the advisor serves both', async () => {
    const branch = newBranch();
    const { Ana } = await seedBranch(app.db, branch, [{ name: 'Ana', module: 1, queues: ['CAJA', 'GERENCIA'], status: 'BUSY' }]);
    const caja = await take(branch, 'CAJA');
    clock.advance(60_000);
    const gerencia = await take(branch, 'GERENCIA');
    await setStatus(Ana!, 'AVAILABLE');
    expect(await ticketRow(gerencia.identificador)).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(Ana) });
    expect((await ticketRow(caja.identificador)).status).toBe('PROXIMO');
  });

  it('serves tickets of one priority in arrival order', async () => {
    const branch = newBranch();
    const { Beto } = await seedBranch(app.db, branch, [{ name: 'Beto', module: 2, queues: ['CAJA'], status: 'BUSY' }]);
    const first = await take(branch, 'CAJA');
    clock.advance(1000);
    await take(branch, 'CAJA');
    await setStatus(Beto!, 'AVAILABLE');
    expect((await ticketRow(first.identificador)).status).toBe('ATENDIENDO');
  });

  it('gives the ticket to the least-loaded available advisor', async () => {
    const branch = newBranch();
    const ids = await seedBranch(app.db, branch, [
      { name: 'Cargado', module: 1, queues: ['PERSONAL_BANKER'], workload: 30 },
      { name: 'Liviano', module: 2, queues: ['PERSONAL_BANKER'], workload: 15 },
    ]);
    const ticket = await take(branch, 'PERSONAL_BANKER');
    await eventually(async () =>
      expect(await ticketRow(ticket.identificador)).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(ids.Liviano) }),
    );
  });

  it('breaks a workload tie by the oldest last assignment, never-assigned first', async () => {
    const branch = newBranch();
    const ids = await seedBranch(app.db, branch, [
      { name: 'Reciente', module: 1, queues: ['CAJA'], lastAssignedAt: new Date('2026-06-01T13:50:00Z') },
      { name: 'Antiguo', module: 2, queues: ['CAJA'], lastAssignedAt: new Date('2026-06-01T09:00:00Z') },
      { name: 'Nuevo', module: 3, queues: ['CAJA'], lastAssignedAt: null },
    ]);
    const first = await take(branch, 'CAJA');
    await eventually(async () => expect((await ticketRow(first.identificador)).assigned_advisor_id).toBe(String(ids.Nuevo)));
    const second = await take(branch, 'CAJA');
    await eventually(async () => expect((await ticketRow(second.identificador)).assigned_advisor_id).toBe(String(ids.Antiguo)));
  });

  it('never gives an advisor a queue type outside their queue_types', async () => {
    const branch = newBranch();
    await seedBranch(app.db, branch, [{ name: 'Cajero', module: 1, queues: ['CAJA'] }]);
    const gerencia = await take(branch, 'GERENCIA');
    expect(await app.services.assignment.assignAvailable(branch)).toEqual([]);
    expect((await ticketRow(gerencia.identificador)).status).toBe('PROXIMO');
  });

  it('gives nothing to OFFLINE or BUSY advisors, and tickets wait while nobody is free', async () => {
    const branch = newBranch();
    await seedBranch(app.db, branch, [
      { name: 'Fuera', module: 1, queues: ['EMPRESAS'], status: 'OFFLINE' },
      { name: 'Pausa', module: 2, queues: ['EMPRESAS'], status: 'BUSY' },
    ]);
    const waiting = [await take(branch, 'EMPRESAS'), await take(branch, 'EMPRESAS')];
    expect(await app.services.assignment.assignAvailable(branch)).toEqual([]);
    for (const t of waiting) expect((await ticketRow(t.identificador)).assigned_advisor_id).toBeNull();
  });

  it('records the assignment on ticket and advisor, arms the messages and audits both sides', async () => {
    const branch = newBranch();
    const { Dora } = await seedBranch(app.db, branch, [{ name: 'Dora', module: 4, queues: ['EMPRESAS'], status: 'BUSY' }]);
    const ticket = await take(branch, 'EMPRESAS', { telefono: '+56987654321' });
    await setStatus(Dora!, 'AVAILABLE');
    const [t] = await app.db.query<Record<string, unknown>>(
      `select status, assigned_module_number, assigned_at, position_in_queue, estimated_wait_minutes from ticket where codigo_referencia = $1`,
      [ticket.identificador],
    );
    expect(t).toMatchObject({ status: 'ATENDIENDO', assigned_module_number: 4, position_in_queue: 0, estimated_wait_minutes: 0 });
    expect(t!.assigned_at).toEqual(clock.now());
    const [a] = await app.db.query<Record<string, unknown>>(
      `select status, assigned_tickets_count, workload_minutes, last_assigned_at from advisor where id = $1`,
      [Dora],
    );
    expect(a).toMatchObject({ status: 'BUSY', assigned_tickets_count: 1, workload_minutes: 20 });
    expect(a!.last_assigned_at).toEqual(clock.now());
    const messages = await app.db.query<{ plantilla: string; fecha_programada: Date }>(
      `select plantilla, fecha_programada from mensaje m join ticket t on t.id = m.ticket_id
       where t.codigo_referencia = $1 order by m.id`,
      [ticket.identificador],
    );
    expect(messages.map((m) => m.fecha_programada)).toEqual([clock.now(), clock.now(), clock.now()]);
    const audits = await app.db.query<{ event_type: string; entity_type: string; actor: string }>(
      `select event_type, entity_type, actor from audit_log
       where event_type in ('TICKET_ASIGNADO', 'ADVISOR_ASSIGNED') and (new_state->>'advisorId' = $1 or entity_id = $1)
       order by id`,
      [String(Dora)],
    );
    expect(audits).toEqual([
      { event_type: 'TICKET_ASIGNADO', entity_type: 'TICKET', actor: 'SYSTEM' },
      { event_type: 'ADVISOR_ASSIGNED', entity_type: 'ADVISOR', actor: 'SYSTEM' },
    ]);
  });
});

describe('the seed flow through the HTTP API', () => {
  it('moves the line when P01 completes: P02 to the freed advisor, P03 and P04 move up', async () => {
    const branch = newBranch();
    const { Elena } = await seedBranch(app.db, branch, [{ name: 'Elena', module: 3, queues: ['PERSONAL_BANKER'] }]);
    const p01 = await take(branch, 'PERSONAL_BANKER');
    await eventually(async () => expect((await ticketRow(p01.identificador)).status).toBe('ATENDIENDO'));
    const p02 = await take(branch, 'PERSONAL_BANKER');
    const p03 = await take(branch, 'PERSONAL_BANKER');
    const p04 = await take(branch, 'PERSONAL_BANKER');
    expect([p01.numero, p02.numero, p03.numero, p04.numero]).toEqual(['P01', 'P02', 'P03', 'P04']);
    expect(p04.positionInQueue).toBe(3);

    clock.advance(12 * 60_000);
    const done = await admin(`/api/admin/advisors/${Elena}/complete-ticket`, { method: 'PUT' });
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: 'BUSY', currentTicket: { numero: 'P02' }, totalTicketsServedToday: 1 });

    const read = async (codigo: string) => (await (await app.request(`/api/tickets/${codigo}`)).json()) as Record<string, unknown>;
    expect(await read(p01.identificador)).toMatchObject({ status: 'COMPLETADO', positionInQueue: 0 });
    expect(await read(p02.identificador)).toMatchObject({ status: 'ATENDIENDO', moduleNumber: 3, advisorName: 'Elena' });
    expect(await read(p03.identificador)).toMatchObject({ positionInQueue: 1, estimatedWaitMinutes: 15 });
    expect(await read(p04.identificador)).toMatchObject({ positionInQueue: 2, estimatedWaitMinutes: 30 });

    // The queue job writes the same figures into the table.
    await app.services.queue.recalculate();
    const rows = await app.db.query<{ numero: string; position_in_queue: number; estimated_wait_minutes: number; status: string }>(
      `select numero, position_in_queue, estimated_wait_minutes, status from ticket where branch_office = $1 order by numero`,
      [branch],
    );
    expect(rows).toEqual([
      { numero: 'P01', position_in_queue: 0, estimated_wait_minutes: 0, status: 'COMPLETADO' },
      { numero: 'P02', position_in_queue: 0, estimated_wait_minutes: 0, status: 'ATENDIENDO' },
      { numero: 'P03', position_in_queue: 1, estimated_wait_minutes: 15, status: 'PROXIMO' },
      { numero: 'P04', position_in_queue: 2, estimated_wait_minutes: 30, status: 'PROXIMO' },
    ]);
  });
});
