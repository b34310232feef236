import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { AdvisorView } from '../../src/modules/advisors/advisor.service.js';
import type { Alert, QueueFigures } from '../../src/modules/supervision/supervision.service.js';
import { ADMIN_KEY, KIOSK_KEY, startTestApp, type TestApp } from '../support/app.js';
import { rut } from '../support/ruts.js';

/** 11:00 in Santiago (UTC−3 in December): well inside the branch's day. */
const BASE = new Date('2026-12-01T14:00:00.000Z');
const MINUTE = 60_000;
const at = (minutes: number): Date => new Date(BASE.getTime() + minutes * MINUTE);

const clock = new ManualClock(BASE);
let app: TestApp;
let n = 0;
const nextRut = (): string => rut(++n);
/** Every RUT handed to the kiosk in this file, to prove none leaves the admin API whole. */
const usedRuts = new Set<string>();

/** Advisor ids by email (the seed's five). */
const ids: Record<string, number> = {};
const CARLOS = 'carlos.rodriguez@banco.com'; // module 1: CAJA, PERSONAL_BANKER
const LUIS = 'luis.perez@banco.com'; // module 2: CAJA, PERSONAL_BANKER
const MARIA = 'maria.gonzalez@banco.com'; // module 3: PERSONAL_BANKER, CAJA
const CARMEN = 'carmen.silva@banco.com'; // module 4: EMPRESAS, GERENCIA, PERSONAL_BANKER
const ANA = 'ana.martinez@banco.com'; // module 5: EMPRESAS, GERENCIA
const id = (email: string): number => {
  const value = ids[email];
  if (value === undefined) throw new Error(`no seed advisor ${email}`);
  return value;
};

type Json = Record<string, unknown>;

// The answers' shapes are the services' own view types, as JSON.
type AdvisorJson = AdvisorView & { completedToday?: number; noShowToday?: number };
type QueueJson = QueueFigures;
type AlertJson = Alert;

interface DashboardJson {
  branchOffice: string;
  serviceDate: string;
  generatedAt: string;
  ticketsByStatus: Record<string, number>;
  queues: QueueJson[];
  advisors: AdvisorJson[];
  averages: { averageWaitMinutesToday: number | null; averageServiceMinutesToday: number | null };
  alerts: AlertJson[];
}

interface AuditItemJson {
  id: number;
  entityType: string;
  entityId: string;
  eventType: string;
  actor: string;
  oldState: Json | null;
  newState: Json | null;
  additionalData: Json | null;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
}

interface AuditPageJson {
  items: AuditItemJson[];
  nextBefore: number | null;
}

interface Reply<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** A request to the supervisor API with the admin key (unless `init.headers` brings its own authorization). */
async function admin<T = Json>(path: string, init: RequestInit = {}): Promise<Reply<T>> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN_KEY}`);
  const response = await fetch(`${app.url}/api/admin${path}`, { ...init, headers });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = null;
  }
  return { status: response.status, body: body as T, text, headers: response.headers };
}

const putJson = <T = Json>(path: string, body: unknown, extra: Record<string, string> = {}): Promise<Reply<T>> =>
  admin<T>(path, { method: 'PUT', headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(body) });

const setStatus = (email: string, status: string, reason?: string): Promise<Reply<AdvisorJson>> =>
  putJson<AdvisorJson>(`/advisors/${id(email)}/status`, reason === undefined ? { status } : { status, reason });

const complete = (email: string): Promise<Reply<AdvisorJson>> =>
  admin<AdvisorJson>(`/advisors/${id(email)}/complete-ticket`, { method: 'PUT' });

/** A no-show after the NO_SHOW_MIN_CALLS (2) calls it needs: the first call, then a recall. */
const noShow = async (email: string): Promise<Reply<AdvisorJson>> => {
  await admin(`/advisors/${id(email)}/recall`, { method: 'POST' });
  return putJson<AdvisorJson>(`/advisors/${id(email)}/complete-ticket`, { outcome: 'NO_ATENDIDO' });
};

async function takeTicket(queueType: string, nationalId: string = nextRut()): Promise<{ numero: string; identificador: string }> {
  usedRuts.add(nationalId);
  const { status, body } = await app.postTicket({ nationalId, queueType });
  expect(status, JSON.stringify(body)).toBe(201);
  return { numero: body.numero as string, identificador: body.identificador as string };
}

async function ticketRow(numero: string): Promise<Json> {
  const [row] = await app.db.query(`select * from ticket where numero = $1`, [numero]);
  if (!row) throw new Error(`no ticket ${numero}`);
  return row;
}

/** The RUT's digits, with and without dots: none of these may appear in an admin answer. */
function wholeRutForms(value: string): string[] {
  const [body = '', dv = ''] = value.replaceAll('.', '').split('-');
  const dotted = body.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return [`${body}-${dv}`, `${dotted}-${dv}`, `${body}${dv}`, body, dotted];
}

function expectNoWholeRut(text: string): void {
  for (const value of usedRuts) {
    for (const form of wholeRutForms(value)) expect(text, `the answer shows ${form}`).not.toContain(form);
  }
}

beforeAll(async () => {
  // The dashboard's figures are pinned here with the seed's formula; the estimator has its own tests.
  app = await startTestApp({ RECALL_MIN_INTERVAL_S: '0', WAIT_ESTIMATOR: 'formula' }, { clock });
  const rows = await app.db.query<{ id: number; email: string }>(`select id::int as id, email from advisor`);
  for (const row of rows) ids[row.email] = row.id;
  expect(Object.keys(ids).sort()).toEqual([ANA, CARLOS, CARMEN, LUIS, MARIA].sort());
});
afterAll(async () => {
  await app?.close();
});

/** No tickets and no audit trail, every advisor online but paused (BUSY, so nobody takes a ticket) and the clock at BASE. */
async function resetBranch(): Promise<void> {
  clock.set(BASE);
  await app.db.query('delete from mensaje');
  await app.db.query('delete from ticket');
  await app.db.query('delete from ticket_daily_counter');
  await app.db.query('delete from telegram_customer');
  await app.db.query('delete from advisor_link_code');
  await app.db.query('delete from audit_log');
  await app.db.query('delete from advisor_status_period');
  await app.db.query(
    `update advisor set status = 'BUSY', assigned_tickets_count = 0, workload_minutes = 0, total_tickets_served_today = 0,
       average_service_time_minutes = 0, last_assigned_at = null, telegram_user_id = null`,
  );
}

const ENDPOINTS: Array<{ method: string; path: () => string; body?: unknown }> = [
  { method: 'GET', path: () => '/dashboard' },
  { method: 'GET', path: () => '/summary' },
  { method: 'GET', path: () => '/queues/CAJA' },
  { method: 'GET', path: () => '/queues/CAJA/stats' },
  { method: 'GET', path: () => '/advisors' },
  { method: 'GET', path: () => '/advisors/stats' },
  { method: 'GET', path: () => '/audit' },
  { method: 'PUT', path: () => `/advisors/${id(CARLOS)}/status`, body: { status: 'OFFLINE', reason: 'intruso' } },
  { method: 'PUT', path: () => `/advisors/${id(CARLOS)}/complete-ticket` },
  { method: 'POST', path: () => `/advisors/${id(CARLOS)}/link-code` },
];

function endpointInit(endpoint: (typeof ENDPOINTS)[number], authorization?: string): RequestInit {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (endpoint.body !== undefined) headers['content-type'] = 'application/json';
  return {
    method: endpoint.method,
    headers,
    ...(endpoint.body !== undefined ? { body: JSON.stringify(endpoint.body) } : {}),
  };
}

describe('admin authentication', () => {
  beforeEach(resetBranch);

  it.each([
    ['no authorization header', undefined],
    ['a wrong key', 'Bearer not-the-admin-key'],
    ['the admin key with a suffix', `Bearer ${ADMIN_KEY}x`],
    ['the admin key without the Bearer scheme', ADMIN_KEY],
    ['a Basic header', `Basic ${Buffer.from(`admin:${ADMIN_KEY}`).toString('base64')}`],
  ])('answers every /api/admin endpoint with a JSON 401 for %s', async (_label, authorization) => {
    for (const endpoint of ENDPOINTS) {
      const response = await fetch(`${app.url}/api/admin${endpoint.path()}`, endpointInit(endpoint, authorization));
      const where = `${endpoint.method} ${endpoint.path()}`;
      expect(response.status, where).toBe(401);
      expect(response.headers.get('content-type'), where).toMatch(/application\/json/);
      expect(await response.json(), where).toMatchObject({ error: 'NO_AUTORIZADO' });
    }
    // Nothing happened behind the closed door.
    const [carlos] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [id(CARLOS)]);
    expect(carlos?.status).toBe('BUSY');
    expect(await app.db.query(`select 1 from advisor_link_code`)).toHaveLength(0);
  });

  it('answers every /api/admin endpoint 403 ROL_NO_AUTORIZADO for the kiosk key (a credential, not a supervisor)', async () => {
    for (const endpoint of ENDPOINTS) {
      const response = await fetch(`${app.url}/api/admin${endpoint.path()}`, endpointInit(endpoint, `Bearer ${KIOSK_KEY}`));
      const where = `${endpoint.method} ${endpoint.path()}`;
      expect(response.status, where).toBe(403);
      expect(await response.json(), where).toMatchObject({ error: 'ROL_NO_AUTORIZADO' });
    }
    const [carlos] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [id(CARLOS)]);
    expect(carlos?.status).toBe('BUSY');
    expect(
      await app.db.query(`select 1 from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and actor = 'apikey'`),
    ).toHaveLength(0);
  });

  it('opens every endpoint with the admin key', async () => {
    for (const endpoint of ENDPOINTS) {
      const response = await fetch(
        `${app.url}/api/admin${endpoint.path()}`,
        endpointInit(endpoint, `Bearer ${ADMIN_KEY}`),
      );
      // complete-ticket on an advisor with no ticket is a 409, not an auth failure.
      expect([200, 201, 409], `${endpoint.method} ${endpoint.path()}`).toContain(response.status);
    }
  });

  it('answers 401 on every endpoint to a key that is not configured (people sign in instead, SPEC §18)', async () => {
    const closed = await startTestApp({ ADMIN_API_KEY: '' });
    try {
      for (const endpoint of ENDPOINTS) {
        for (const authorization of [undefined, 'Bearer ', `Bearer ${ADMIN_KEY}`, 'Bearer undefined']) {
          const response = await fetch(`${closed.url}/api/admin${endpoint.path()}`, endpointInit(endpoint, authorization));
          const where = `${endpoint.method} ${endpoint.path()} with ${String(authorization)}`;
          expect(response.status, where).toBe(401);
          expect(await response.json(), where).toMatchObject({ error: 'NO_AUTORIZADO' });
        }
      }
      const [carlos] = await closed.db.query<{ status: string }>(`select status from advisor where email = $1`, [CARLOS]);
      expect(carlos?.status).toBe('AVAILABLE');
    } finally {
      await closed.close();
    }
  });
});

describe('GET /api/admin/dashboard', () => {
  beforeEach(resetBranch);

  it('gives the day’s waiting line every 15 minutes at /dashboard/history (the supervisor page’s chart)', async () => {
    await takeTicket('CAJA');
    await takeTicket('CAJA');
    const { status, body } = await admin<{ branchOffice: string; history: Array<Record<string, number | string>> }>('/dashboard/history');
    expect(status).toBe(200);
    expect(body.branchOffice).toBe('Sucursal Centro');
    expect(body.history.length).toBeGreaterThan(1);
    expect(body.history.at(-1)).toMatchObject({ CAJA: 2, PERSONAL_BANKER: 0, EMPRESAS: 0, GERENCIA: 0 });
  });

  /**
   * Luis Pérez alone works CAJA (the others stay paused): C01 waits 10 min and takes 12 min, C02
   * waits 22 min and does not show up, C03 (RUT 12.345.678-5) waits 30 min and is being served;
   * C08 is cancelled, P01 waits; the queue job then settles positions and PROXIMO.
   */
  async function busyMorning(): Promise<void> {
    for (let i = 1; i <= 8; i++) await takeTicket('CAJA', i === 3 ? '12.345.678-5' : nextRut());
    clock.set(at(10));
    const first = await setStatus(LUIS, 'AVAILABLE', 'inicio de turno');
    expect(first.status).toBe(200);
    expect(first.body.currentTicket?.numero).toBe('C01');
    clock.set(at(22));
    const second = await complete(LUIS);
    expect(second.status).toBe(200);
    expect(second.body.currentTicket?.numero).toBe('C02');
    clock.set(at(30));
    const third = await noShow(LUIS);
    expect(third.status).toBe(200);
    expect(third.body.currentTicket?.numero).toBe('C03');
    const c08 = await ticketRow('C08');
    expect((await app.request(`/api/tickets/${String(c08.codigo_referencia)}/cancel`, { method: 'POST' })).status).toBe(200);
    await takeTicket('PERSONAL_BANKER');
    await app.services.queue.recalculate();
    clock.set(at(35));
  }

  it('counts tickets by status, with all six statuses present', async () => {
    const empty = await admin<DashboardJson>('/dashboard');
    expect(empty.status).toBe(200);
    expect(empty.body.ticketsByStatus).toEqual({
      EN_ESPERA: 0,
      PROXIMO: 0,
      ATENDIENDO: 0,
      COMPLETADO: 0,
      CANCELADO: 0,
      NO_ATENDIDO: 0,
    });

    await busyMorning();
    const { status, body } = await admin<DashboardJson>('/dashboard');
    expect(status).toBe(200);
    expect(body.branchOffice).toBe('Sucursal Centro');
    expect(body.serviceDate).toBe('2026-12-01');
    // CAJA: C04–C07 wait (positions 1–4: three PROXIMO, one EN_ESPERA), PERSONAL_BANKER: P01 (PROXIMO).
    expect(body.ticketsByStatus).toEqual({
      EN_ESPERA: 1,
      PROXIMO: 4,
      ATENDIENDO: 1,
      COMPLETADO: 1,
      CANCELADO: 1,
      NO_ATENDIDO: 1,
    });
  });

  it('shows waiting, the estimate for a new ticket, advisors online and today’s figures per queue', async () => {
    await busyMorning();
    const { body } = await admin<DashboardJson>('/dashboard');
    const queue = (type: string): QueueJson => {
      const found = body.queues.find((q) => q.queueType === type);
      if (!found) throw new Error(`no ${type} in the dashboard`);
      return found;
    };
    expect(body.queues.map((q) => q.queueType).sort()).toEqual(['CAJA', 'EMPRESAS', 'GERENCIA', 'PERSONAL_BANKER']);

    // Paused (BUSY) advisors are online: CAJA has María, Carlos and Luis.
    expect(queue('CAJA')).toEqual({
      queueType: 'CAJA',
      waiting: 4,
      attending: 1,
      advisorsOnline: 3,
      estimatedWaitMinutes: Math.ceil((5 * 5) / 3),
      longestWaitMinutes: 35,
      createdToday: 8,
      completedToday: 1,
      cancelledToday: 1,
      noShowToday: 1,
      calledToday: 3,
      averageWaitMinutesToday: 20.7, // (10 + 22 + 30) / 3
      averageServiceMinutesToday: 12,
      serviceLevelToday: 0.333, // only C01 was called within 15 minutes
      noShowRateToday: 0.333, // 1 no-show of the 3 called
      cancellationRateToday: 0.125, // 1 cancelled of the 8 taken
      // The service floor (SPEC §12): visits served here, and the customers' ratings.
      servedToday: 1,
      ratingsToday: 0,
      averageRatingToday: null,
    });
    expect(queue('PERSONAL_BANKER')).toMatchObject({
      waiting: 1,
      attending: 0,
      advisorsOnline: 4,
      estimatedWaitMinutes: Math.ceil((2 * 15) / 4),
      longestWaitMinutes: 5,
      createdToday: 1,
      calledToday: 0,
      averageWaitMinutesToday: null,
      averageServiceMinutesToday: null,
      serviceLevelToday: null,
      noShowRateToday: null, // nobody called yet
      cancellationRateToday: 0,
    });
    expect(queue('EMPRESAS')).toMatchObject({ waiting: 0, advisorsOnline: 2, estimatedWaitMinutes: 10 });
    expect(queue('GERENCIA')).toMatchObject({ waiting: 0, advisorsOnline: 2, estimatedWaitMinutes: 15 });
    expect(body.averages).toEqual({ averageWaitMinutesToday: 20.7, averageServiceMinutesToday: 12 });
    expect(body.alerts).toEqual([]);
  });

  it('estimates with the advisors who are not OFFLINE, and divides by one when none is', async () => {
    await takeTicket('EMPRESAS');
    await setStatus(ANA, 'OFFLINE', 'trámite externo');
    let { body } = await admin<DashboardJson>('/dashboard');
    expect(body.queues.find((q) => q.queueType === 'EMPRESAS')).toMatchObject({
      waiting: 1,
      advisorsOnline: 1,
      estimatedWaitMinutes: 40,
    });
    await setStatus(CARMEN, 'OFFLINE', 'fin de turno');
    ({ body } = await admin<DashboardJson>('/dashboard'));
    expect(body.queues.find((q) => q.queueType === 'EMPRESAS')).toMatchObject({
      waiting: 1,
      advisorsOnline: 0,
      estimatedWaitMinutes: 40,
    });
    expect(body.alerts).toEqual([expect.objectContaining({ type: 'COLA_SIN_ASESORES', queueType: 'EMPRESAS', waiting: 1 })]);
  });

  it('lists the advisors with state, module and current ticket, the RUT masked', async () => {
    await busyMorning();
    const { body, text } = await admin<DashboardJson>('/dashboard');
    expect(body.advisors.map((a) => [a.email, a.moduleNumber])).toEqual([
      [CARLOS, 1],
      [LUIS, 2],
      [MARIA, 3],
      [CARMEN, 4],
      [ANA, 5],
    ]);
    const luis = body.advisors.find((a) => a.email === LUIS);
    expect(luis).toMatchObject({
      name: 'Luis Pérez',
      status: 'BUSY',
      moduleNumber: 2,
      assignedTicketsCount: 1,
      workloadMinutes: 5,
      totalTicketsServedToday: 1,
      averageServiceTimeMinutes: 12,
      lastAssignedAt: at(30).toISOString(),
      currentTicket: {
        numero: 'C03',
        queueType: 'CAJA',
        maskedNationalId: '12.***.***-5',
        assignedAt: at(30).toISOString(),
        minutesWaited: 30,
        minutesInService: 5,
      },
    });
    for (const other of body.advisors.filter((a) => a.email !== LUIS)) {
      expect(other).toMatchObject({ status: 'BUSY', currentTicket: null, assignedTicketsCount: 0 });
    }
    expectNoWholeRut(text);
  });

  it('raises COLA_CRITICA when 16 wait in one queue, not at 15', async () => {
    for (let i = 0; i < 15; i++) await takeTicket('CAJA');
    let { body } = await admin<DashboardJson>('/dashboard');
    expect(body.queues.find((q) => q.queueType === 'CAJA')?.waiting).toBe(15);
    expect(body.alerts.filter((a) => a.type === 'COLA_CRITICA')).toEqual([]);

    await takeTicket('CAJA');
    ({ body } = await admin<DashboardJson>('/dashboard'));
    expect(body.queues.find((q) => q.queueType === 'CAJA')?.waiting).toBe(16);
    expect(body.alerts).toEqual([
      expect.objectContaining({ type: 'COLA_CRITICA', queueType: 'CAJA', branchOffice: 'Sucursal Centro', waiting: 16 }),
    ]);
    // The queue's own stats and the network summary carry the same alert.
    const stats = await admin<{ alerts: AlertJson[] }>('/queues/CAJA/stats');
    expect(stats.body.alerts).toEqual([expect.objectContaining({ type: 'COLA_CRITICA', waiting: 16 })]);
    const summary = await admin<{ branches: Array<{ alerts: AlertJson[] }> }>('/summary');
    expect(summary.body.branches[0]?.alerts).toEqual([expect.objectContaining({ type: 'COLA_CRITICA', queueType: 'CAJA' })]);
  });

  it('does not raise COLA_CRITICA for 16 spread over two queues', async () => {
    for (let i = 0; i < 15; i++) await takeTicket('CAJA');
    await takeTicket('PERSONAL_BANKER');
    const { body } = await admin<DashboardJson>('/dashboard');
    expect(body.alerts).toEqual([]);
  });

  it('reports today’s averages from completed tickets only, per branch day', async () => {
    await takeTicket('GERENCIA');
    await takeTicket('GERENCIA');
    clock.set(at(4));
    await setStatus(ANA, 'AVAILABLE'); // G01 waited 4 min
    clock.set(at(24));
    await complete(ANA); // G01 served 20 min; G02 waited 24 min
    clock.set(at(54));
    await complete(ANA); // G02 served 30 min
    const { body } = await admin<DashboardJson>('/dashboard');
    expect(body.queues.find((q) => q.queueType === 'GERENCIA')).toMatchObject({
      completedToday: 2,
      calledToday: 2,
      averageWaitMinutesToday: 14,
      averageServiceMinutesToday: 25,
    });
    expect(body.averages).toEqual({ averageWaitMinutesToday: 14, averageServiceMinutesToday: 25 });
    const ana = body.advisors.find((a) => a.email === ANA);
    expect(ana).toMatchObject({ status: 'AVAILABLE', totalTicketsServedToday: 2, averageServiceTimeMinutes: 25 });

    // The next branch day starts from nothing (03:00 UTC is midnight in Santiago in December).
    clock.set(new Date('2026-12-02T03:00:00.000Z'));
    const tomorrow = await admin<DashboardJson>('/dashboard');
    expect(tomorrow.body.serviceDate).toBe('2026-12-02');
    expect(tomorrow.body.ticketsByStatus.COMPLETADO).toBe(0);
    expect(tomorrow.body.averages).toEqual({ averageWaitMinutesToday: null, averageServiceMinutesToday: null });
  });
});

describe('GET /api/admin/summary', () => {
  beforeEach(resetBranch);

  it('sums every branch and the network', async () => {
    for (let i = 0; i < 3; i++) await takeTicket('CAJA');
    await takeTicket('EMPRESAS');
    clock.set(at(5));
    await setStatus(ANA, 'AVAILABLE');
    clock.set(at(15));
    await complete(ANA);
    await setStatus(LUIS, 'AVAILABLE');
    const { status, body } = await admin<{
      generatedAt: string;
      totals: Json;
      branches: Array<Json & { alerts: AlertJson[] }>;
    }>('/summary');
    expect(status).toBe(200);
    expect(body.generatedAt).toBe(at(15).toISOString());
    expect(body.totals).toEqual({ branches: 1, waiting: 2, attending: 1, createdToday: 4, completedToday: 1, alerts: 0 });
    expect(body.branches).toEqual([
      expect.objectContaining({
        branchOffice: 'Sucursal Centro',
        waiting: 2,
        attending: 1,
        createdToday: 4,
        completedToday: 1,
        cancelledToday: 0,
        noShowToday: 0,
        averageWaitMinutesToday: 10, // E01 waited 5 min, C01 waited 15 (until Luis came back)
        averageServiceMinutesToday: 10,
        alerts: [],
      }),
    ]);
  });
});

describe('GET /api/admin/queues/:type', () => {
  beforeEach(resetBranch);

  interface LineJson {
    branchOffice: string;
    queueType: string;
    waiting: number;
    advisorsOnline: number;
    tickets: Array<{
      numero: string;
      identificador: string;
      status: string;
      positionInQueue: number;
      estimatedWaitMinutes: number;
      waitingMinutes: number;
      nationalId: string;
    }>;
  }

  it('lists the waiting line in order with positions, without the ticket being served', async () => {
    for (let i = 0; i < 5; i++) {
      await takeTicket('CAJA');
      clock.set(at(i + 1));
    }
    await takeTicket('PERSONAL_BANKER');
    // Luis takes P01 (higher priority) and then, after completing it, C01.
    await setStatus(LUIS, 'AVAILABLE');
    await complete(LUIS);
    expect((await ticketRow('C01')).status).toBe('ATENDIENDO');
    clock.set(at(10));

    const { status, body, text } = await admin<LineJson>('/queues/CAJA');
    expect(status).toBe(200);
    expect(body).toMatchObject({ branchOffice: 'Sucursal Centro', queueType: 'CAJA', waiting: 4, advisorsOnline: 3 });
    expect(body.tickets.map((t) => [t.numero, t.positionInQueue, t.estimatedWaitMinutes, t.waitingMinutes])).toEqual([
      ['C02', 1, Math.ceil(5 / 3), 9],
      ['C03', 2, Math.ceil(10 / 3), 8],
      ['C04', 3, Math.ceil(15 / 3), 7],
      ['C05', 4, Math.ceil(20 / 3), 6],
    ]);
    for (const ticket of body.tickets) expect(ticket.nationalId).toMatch(/^\d{1,2}\.\*\*\*\.\*\*\*-[\dK]$/);
    const c02 = await ticketRow('C02');
    expect(body.tickets[0]?.identificador).toBe(c02.codigo_referencia);
    expectNoWholeRut(text);
  });

  it('accepts the queue type in lower case', async () => {
    await takeTicket('EMPRESAS');
    await takeTicket('EMPRESAS');
    const upper = await admin<LineJson>('/queues/EMPRESAS');
    const lower = await admin<LineJson>('/queues/empresas');
    expect(lower.status).toBe(200);
    expect(lower.body).toEqual(upper.body);
    expect(lower.body.tickets.map((t) => t.numero)).toEqual(['E01', 'E02']);
  });

  it('answers an empty line for a queue nobody waits in', async () => {
    const { status, body } = await admin<LineJson>('/queues/GERENCIA');
    expect(status).toBe(200);
    expect(body).toMatchObject({ queueType: 'GERENCIA', waiting: 0, tickets: [] });
  });

  it.each(['FOO', 'caja2', 'PERSONAL%20BANKER', '%20'])('answers 400 for the unknown queue type %j', async (type) => {
    for (const path of [`/queues/${type}`, `/queues/${type}/stats`]) {
      const { status, body } = await admin(path);
      expect(status, path).toBe(400);
      expect(body, path).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { type: expect.any(String) } });
    }
  });

  it('gives the stats of one queue', async () => {
    for (let i = 0; i < 3; i++) await takeTicket('PERSONAL_BANKER');
    clock.set(at(6));
    await setStatus(MARIA, 'AVAILABLE');
    const { status, body } = await admin<QueueJson & { branchOffice: string; alerts: AlertJson[] }>(
      '/queues/personal_banker/stats',
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({
      branchOffice: 'Sucursal Centro',
      queueType: 'PERSONAL_BANKER',
      waiting: 2,
      attending: 1,
      advisorsOnline: 4,
      estimatedWaitMinutes: Math.ceil((3 * 15) / 4),
      longestWaitMinutes: 6,
      createdToday: 3,
      calledToday: 1,
      averageWaitMinutesToday: 6,
      serviceLevelToday: 1,
      alerts: [],
    });
  });
});

describe('GET /api/admin/advisors and /advisors/stats', () => {
  beforeEach(resetBranch);

  it('lists the advisors of every branch, and none for an unknown branch', async () => {
    const { status, body, text } = await admin<{ advisors: AdvisorJson[] }>('/advisors');
    expect(status).toBe(200);
    expect(body.advisors).toHaveLength(5);
    expect(body.advisors.map((a) => a.email)).toEqual([CARLOS, LUIS, MARIA, CARMEN, ANA]);
    expect(body.advisors.find((a) => a.email === CARMEN)).toMatchObject({
      name: 'Carmen Silva',
      status: 'BUSY',
      moduleNumber: 4,
      branchOffice: 'Sucursal Centro',
      queueTypes: ['EMPRESAS', 'GERENCIA', 'PERSONAL_BANKER'],
      telegramLinked: false,
      currentTicket: null,
    });
    expect(text).not.toMatch(/telegram_user_id|code_hash/);

    const other = await admin<{ advisors: AdvisorJson[] }>('/advisors?branchOffice=Sucursal%20Norte');
    expect(other.status).toBe(200);
    expect(other.body.advisors).toEqual([]);
    const centro = await admin<{ advisors: AdvisorJson[] }>('/advisors?branchOffice=Sucursal%20Centro');
    expect(centro.body.advisors).toHaveLength(5);
  });

  it('counts each advisor’s completed and no-show tickets today', async () => {
    for (let i = 0; i < 3; i++) await takeTicket('CAJA');
    await setStatus(CARLOS, 'AVAILABLE');
    clock.set(at(7));
    await complete(CARLOS);
    clock.set(at(9));
    await noShow(CARLOS);
    const { status, body, text } = await admin<{ advisors: AdvisorJson[] }>('/advisors/stats');
    expect(status).toBe(200);
    expect(body.advisors.find((a) => a.email === CARLOS)).toMatchObject({
      completedToday: 1,
      noShowToday: 1,
      totalTicketsServedToday: 1,
      averageServiceTimeMinutes: 7,
      status: 'BUSY',
      currentTicket: expect.objectContaining({ numero: 'C03' }),
    });
    for (const other of body.advisors.filter((a) => a.email !== CARLOS)) {
      expect(other).toMatchObject({ completedToday: 0, noShowToday: 0 });
    }
    expectNoWholeRut(text);
  });
});

describe('PUT /api/admin/advisors/:id/status', () => {
  beforeEach(resetBranch);

  it('changes the status and audits it with the reason, actor ADMIN, IP and user agent', async () => {
    const { status, body } = await putJson<AdvisorJson>(
      `/advisors/${id(CARLOS)}/status`,
      { status: 'OFFLINE', reason: '  colación  ' },
      { 'user-agent': 'panel-supervisor/2.0' },
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: id(CARLOS), status: 'OFFLINE', email: CARLOS });
    const [row] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [id(CARLOS)]);
    expect(row?.status).toBe('OFFLINE');
    const audits = await app.db.query(
      `select * from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and entity_id = $1`,
      [String(id(CARLOS))],
    );
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      entity_type: 'ADVISOR',
      actor: 'apikey',
      old_state: { status: 'BUSY' },
      new_state: { status: 'OFFLINE' },
      additional_data: { reason: 'colación' },
      ip_address: '127.0.0.1',
      user_agent: 'panel-supervisor/2.0',
    });
  });

  it('makes an advisor AVAILABLE and gives them a waiting ticket at once', async () => {
    await takeTicket('CAJA');
    const { status, body } = await setStatus(LUIS, 'AVAILABLE');
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'BUSY', currentTicket: expect.objectContaining({ numero: 'C01' }) });
    expect(await ticketRow('C01')).toMatchObject({ status: 'ATENDIENDO', assigned_module_number: 2 });
    const [audit] = await app.db.query(
      `select additional_data from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and entity_id = $1`,
      [String(id(LUIS))],
    );
    expect(audit).toMatchObject({ additional_data: null });
  });

  it('changes nothing and audits nothing when the status is already the one asked for', async () => {
    await setStatus(MARIA, 'BUSY', 'Colación');
    const { status, body } = await setStatus(MARIA, 'BUSY', 'Colación');
    expect(status).toBe(200);
    expect(body.status).toBe('BUSY');
    expect(await app.db.query(`select 1 from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and entity_id = $1`, [String(id(MARIA))])).toHaveLength(1);
  });

  it.each<[string, unknown]>([
    ['an unknown status', { status: 'DURMIENDO' }],
    ['a lower-case status', { status: 'offline' }],
    ['no status', { reason: 'x' }],
    ['an extra field', { status: 'OFFLINE', moduleNumber: 3 }],
    ['a reason that is not text', { status: 'OFFLINE', reason: 42 }],
    ['a reason over 500 characters', { status: 'OFFLINE', reason: 'x'.repeat(501) }],
    ['an array', [{ status: 'OFFLINE' }]],
    ['a string', 'OFFLINE'],
    ['null', null],
  ])('answers 400 for %s', async (_label, payload) => {
    const { status, body } = await putJson(`/advisors/${id(CARLOS)}/status`, payload);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: expect.any(Object) });
    const [row] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [id(CARLOS)]);
    expect(row?.status).toBe('BUSY');
  });

  it('names the offending fields', async () => {
    const { body } = await putJson<{ campos: Record<string, string> }>(`/advisors/${id(CARLOS)}/status`, {
      status: 'NOPE',
      extra: true,
    });
    expect(Object.keys(body.campos).sort()).toEqual(['extra', 'status']);
  });

  it('answers 400 for a body that is not JSON, and 415 for a non-JSON content type', async () => {
    for (const raw of ['{"status": "OFFLINE"', '', 'status=OFFLINE']) {
      const reply = await admin(`/advisors/${id(CARLOS)}/status`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: raw,
      });
      expect(reply.status, raw).toBe(400);
      expect(reply.body, raw).toMatchObject({ error: 'VALIDACION_FALLIDA' });
    }
    const plain = await admin(`/advisors/${id(CARLOS)}/status`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ status: 'OFFLINE' }),
    });
    expect(plain.status).toBe(415);
    expect(plain.body).toMatchObject({ error: 'TIPO_CONTENIDO_NO_SOPORTADO' });
  });

  it('answers 404 for an unknown advisor and 400 for an id that is not a positive integer', async () => {
    const missing = await putJson('/advisors/999999/status', { status: 'OFFLINE' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'ASESOR_NO_ENCONTRADO' });
    // Decimal digits only: Number('0x10') is 16 and Number('1e0') is 1, neither is an id (one schema, src/http/schemas/params.ts).
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999', '0x10', '1e0', '%201']) {
      const reply = await putJson(`/advisors/${bad}/status`, { status: 'OFFLINE' });
      expect(reply.status, bad).toBe(400);
      expect(reply.body, bad).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { id: 'Debe ser un entero positivo' } });
    }
  });

  it('refuses OFFLINE (and AVAILABLE) while the advisor is serving a ticket: 409 TRANSICION_INVALIDA', async () => {
    await takeTicket('CAJA');
    await setStatus(LUIS, 'AVAILABLE');
    for (const target of ['OFFLINE', 'AVAILABLE']) {
      const { status, body } = await setStatus(LUIS, target, 'me voy');
      expect(status, target).toBe(409);
      expect(body, target).toMatchObject({ error: 'TRANSICION_INVALIDA', ticketEnAtencion: 'C01' });
    }
    expect(await ticketRow('C01')).toMatchObject({ status: 'ATENDIENDO', assigned_advisor_id: String(id(LUIS)) });
    const [luis] = await app.db.query<{ status: string }>(`select status from advisor where id = $1`, [id(LUIS)]);
    expect(luis?.status).toBe('BUSY');
  });
});

describe('PUT /api/admin/advisors/:id/complete-ticket', () => {
  beforeEach(resetBranch);

  it('completes the current ticket when there is no body', async () => {
    await takeTicket('CAJA');
    clock.set(at(2));
    await setStatus(LUIS, 'AVAILABLE');
    const finishedAt = new Date(at(9).getTime() + 59_000); // 7 min 59 s of service: 7 whole minutes
    clock.set(finishedAt);
    const { status, body } = await complete(LUIS);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'AVAILABLE', currentTicket: null, totalTicketsServedToday: 1, assignedTicketsCount: 0 });
    const c01 = await ticketRow('C01');
    expect(c01).toMatchObject({ status: 'COMPLETADO', actual_service_time_minutes: 7 });
    const [stored] = await app.db.query<{ completed_at: string }>(
      `select to_char(completed_at, 'YYYY-MM-DD"T"HH24:MI:SS') as completed_at from ticket where id = $1`,
      [c01.id],
    );
    expect(`${stored?.completed_at ?? ''}.000Z`).toBe(finishedAt.toISOString());
    const [audit] = await app.db.query(
      `select actor, new_state from audit_log where event_type = 'TICKET_COMPLETADO' and entity_id = $1`,
      [String(c01.id)],
    );
    expect(audit).toMatchObject({ actor: 'apikey', new_state: { status: 'COMPLETADO', actualServiceTimeMinutes: 7 } });
    expect(await app.db.query(`select 1 from audit_log where event_type = 'ADVISOR_FREED'`)).toHaveLength(1);
  });

  it('marks a no-show with {"outcome":"NO_ATENDIDO"} and hands over the next ticket', async () => {
    await takeTicket('CAJA');
    await takeTicket('CAJA');
    await setStatus(LUIS, 'AVAILABLE');
    clock.set(at(5));
    const { status, body } = await noShow(LUIS);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'BUSY', totalTicketsServedToday: 0, currentTicket: expect.objectContaining({ numero: 'C02' }) });
    expect(await ticketRow('C01')).toMatchObject({ status: 'NO_ATENDIDO', actual_service_time_minutes: null });
    expect(await app.db.query(`select 1 from audit_log where event_type = 'TICKET_NO_ATENDIDO' and actor = 'apikey'`)).toHaveLength(1);
  });

  it('accepts an explicit {"outcome":"COMPLETADO"} and refuses any other outcome', async () => {
    await takeTicket('CAJA');
    await setStatus(LUIS, 'AVAILABLE');
    const bad = await putJson(`/advisors/${id(LUIS)}/complete-ticket`, { outcome: 'CANCELADO' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { outcome: expect.any(String) } });
    expect((await ticketRow('C01')).status).toBe('ATENDIENDO');
    const good = await putJson(`/advisors/${id(LUIS)}/complete-ticket`, { outcome: 'COMPLETADO' });
    expect(good.status).toBe(200);
    expect((await ticketRow('C01')).status).toBe('COMPLETADO');
  });

  it('answers 409 when the advisor has no ticket, and 404 for an unknown advisor', async () => {
    const idle = await complete(LUIS);
    expect(idle.status).toBe(409);
    expect(idle.body).toMatchObject({ error: 'TRANSICION_INVALIDA' });
    const noShowIdle = await noShow(LUIS);
    expect(noShowIdle.status).toBe(409);
    const missing = await admin('/advisors/999999/complete-ticket', { method: 'PUT' });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: 'ASESOR_NO_ENCONTRADO' });
    const [luis] = await app.db.query(`select status, total_tickets_served_today from advisor where id = $1`, [id(LUIS)]);
    expect(luis).toMatchObject({ status: 'BUSY', total_tickets_served_today: 0 });
  });
});

describe('POST /api/admin/advisors/:id/link-code', () => {
  beforeEach(resetBranch);

  interface LinkJson {
    advisorId: number;
    name: string;
    code: string;
    expiresAt: string;
  }

  it('answers 201 with an 8-character code valid for 15 minutes, that links one Telegram account once', async () => {
    const { status, body } = await admin<LinkJson>(`/advisors/${id(CARMEN)}/link-code`, { method: 'POST' });
    expect(status).toBe(201);
    expect(body).toMatchObject({ advisorId: id(CARMEN), name: 'Carmen Silva' });
    expect(body.code).toMatch(/^[A-Z0-9]{8}$/);
    expect(body.expiresAt).toBe(at(15).toISOString());
    const [stored] = await app.db.query<{ code_hash: string }>(`select code_hash from advisor_link_code`);
    expect(stored?.code_hash).not.toContain(body.code);

    const linked = await app.services.advisors.linkTelegram(body.code, 777001);
    expect(linked).toMatchObject({ id: id(CARMEN), telegramLinked: true });
    const [row] = await app.db.query<{ telegram_user_id: string }>(`select telegram_user_id from advisor where id = $1`, [
      id(CARMEN),
    ]);
    expect(row?.telegram_user_id).toBe('777001');
    expect(await app.services.advisors.findByTelegramUser(777001)).toMatchObject({ id: id(CARMEN) });

    await expect(app.services.advisors.linkTelegram(body.code, 777002)).rejects.toMatchObject({ code: 'VALIDACION_FALLIDA' });
    expect(await app.services.advisors.findByTelegramUser(777002)).toBeNull();

    const list = await admin<{ advisors: AdvisorJson[] }>('/advisors');
    expect(list.body.advisors.find((a) => a.email === CARMEN)?.telegramLinked).toBe(true);
  });

  it('refuses a code after 15 minutes', async () => {
    const { body } = await admin<LinkJson>(`/advisors/${id(ANA)}/link-code`, { method: 'POST' });
    clock.advance(16 * MINUTE);
    await expect(app.services.advisors.linkTelegram(body.code, 777003)).rejects.toMatchObject({ code: 'VALIDACION_FALLIDA' });
    expect(await app.services.advisors.findByTelegramUser(777003)).toBeNull();
  });

  it('still accepts a code just inside its 15 minutes, whatever its case', async () => {
    const { body } = await admin<LinkJson>(`/advisors/${id(ANA)}/link-code`, { method: 'POST' });
    clock.advance(14 * MINUTE);
    await expect(app.services.advisors.linkTelegram(body.code.toLowerCase(), 777004)).resolves.toMatchObject({ id: id(ANA) });
  });

  it('replaces an earlier unused code with the new one', async () => {
    const first = await admin<LinkJson>(`/advisors/${id(ANA)}/link-code`, { method: 'POST' });
    const second = await admin<LinkJson>(`/advisors/${id(ANA)}/link-code`, { method: 'POST' });
    await expect(app.services.advisors.linkTelegram(first.body.code, 777005)).rejects.toMatchObject({ code: 'VALIDACION_FALLIDA' });
    await expect(app.services.advisors.linkTelegram(second.body.code, 777005)).resolves.toMatchObject({ id: id(ANA) });
  });

  it('answers 404 for an unknown advisor', async () => {
    const { status, body } = await admin('/advisors/999999/link-code', { method: 'POST' });
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: 'ASESOR_NO_ENCONTRADO' });
    expect(await app.db.query(`select 1 from advisor_link_code`)).toHaveLength(0);
  });
});

describe('GET /api/admin/audit', () => {
  /** Four audited changes an hour apart: Carlos OFFLINE, Carlos BUSY, María OFFLINE, a CAJA ticket. */
  beforeEach(async () => {
    await resetBranch();
    await setStatus(CARLOS, 'OFFLINE', 'colación');
    clock.set(at(60));
    await setStatus(CARLOS, 'BUSY', 'Reunión');
    clock.set(at(120));
    await setStatus(MARIA, 'OFFLINE', 'fin de turno');
    clock.set(at(180));
    await takeTicket('CAJA');
  });

  const audit = (query: string): Promise<Reply<AuditPageJson>> => admin<AuditPageJson>(`/audit${query}`);

  it('lists the newest first with every field', async () => {
    const { status, body } = await audit('');
    expect(status).toBe(200);
    expect(body.nextBefore).toBeNull();
    expect(body.items.map((i) => i.eventType)).toEqual([
      'TICKET_CREADO',
      'ADVISOR_STATUS_CHANGED',
      'ADVISOR_STATUS_CHANGED',
      'ADVISOR_STATUS_CHANGED',
    ]);
    const ids = body.items.map((i) => i.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(body.items[3]).toEqual({
      id: expect.any(Number),
      entityType: 'ADVISOR',
      entityId: String(id(CARLOS)),
      eventType: 'ADVISOR_STATUS_CHANGED',
      actor: 'apikey',
      oldState: { status: 'BUSY' },
      newState: { status: 'OFFLINE' },
      additionalData: { reason: 'colación' },
      ipAddress: '127.0.0.1',
      userAgent: expect.any(String),
      createdAt: BASE.toISOString(),
    });
    expect(body.items.map((i) => i.createdAt)).toEqual([at(180), at(120), at(60), BASE].map((d) => d.toISOString()));
  });

  it('filters by entity type and id', async () => {
    const { body } = await audit(`?entityType=ADVISOR&entityId=${id(CARLOS)}`);
    expect(body.items.map((i) => i.newState)).toEqual([{ status: 'BUSY' }, { status: 'OFFLINE' }]);
    const advisors = await audit('?entityType=ADVISOR');
    expect(advisors.body.items).toHaveLength(3);
    const tickets = await audit('?entityType=TICKET');
    expect(tickets.body.items.map((i) => i.eventType)).toEqual(['TICKET_CREADO']);
    const nobody = await audit('?entityType=ADVISOR&entityId=999999');
    expect(nobody.body).toEqual({ items: [], nextBefore: null });
  });

  it('filters by event type', async () => {
    const { body } = await audit('?eventType=TICKET_CREADO');
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ entityType: 'TICKET', actor: 'KIOSK' });
    const none = await audit('?eventType=TICKET_ASIGNADO');
    expect(none.body.items).toEqual([]);
  });

  it('filters by a time window', async () => {
    const from = encodeURIComponent(at(30).toISOString());
    const to = encodeURIComponent(at(90).toISOString());
    const window = await audit(`?from=${from}&to=${to}`);
    expect(window.body.items.map((i) => i.newState)).toEqual([{ status: 'BUSY' }]);
    const since = await audit(`?from=${encodeURIComponent(at(100).toISOString())}`);
    expect(since.body.items.map((i) => i.eventType)).toEqual(['TICKET_CREADO', 'ADVISOR_STATUS_CHANGED']);
    const until = await audit(`?to=${encodeURIComponent(at(30).toISOString())}`);
    expect(until.body.items.map((i) => i.newState)).toEqual([{ status: 'OFFLINE' }]);
    // A date with an offset means the same instant: 11:30 in Santiago is 14:30 UTC.
    const offset = await audit(`?from=${encodeURIComponent('2026-12-01T11:30:00-03:00')}&to=${encodeURIComponent('2026-12-01T12:30:00-03:00')}`);
    expect(offset.body.items.map((i) => i.newState)).toEqual([{ status: 'BUSY' }]);
  });

  it('pages with limit and before/nextBefore until the end', async () => {
    const all = await audit('');
    const seen: number[] = [];
    let before: number | null = null;
    for (let page = 0; page < 10; page++) {
      const reply: Reply<AuditPageJson> = await audit(`?limit=1${before === null ? '' : `&before=${before}`}`);
      expect(reply.status).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...reply.body.items.map((i) => i.id));
      before = reply.body.nextBefore;
      if (before === null) break;
      expect(before).toBe(reply.body.items[0]?.id);
    }
    expect(before).toBeNull();
    expect(seen).toEqual(all.body.items.map((i) => i.id));

    const first = await audit('?entityType=ADVISOR&limit=2');
    expect(first.body.items).toHaveLength(2);
    expect(first.body.nextBefore).toBe(first.body.items[1]?.id);
    const second = await audit(`?entityType=ADVISOR&limit=2&before=${String(first.body.nextBefore)}`);
    expect(second.body.items).toHaveLength(1);
    expect(second.body.nextBefore).toBeNull();
    expect(second.body.items[0]?.newState).toEqual({ status: 'OFFLINE' });
  });

  it.each([
    ['from', 'from=yesterday'],
    ['to', 'to=2026-13-45'],
    ['limit', 'limit=0'],
    ['limit', 'limit=501'],
    ['limit', 'limit=abc'],
    ['limit', 'limit=-5'],
    ['before', 'before=-1'],
    ['before', 'before=x'],
    ['eventType', 'eventType=NOPE'],
    ['eventType', 'eventType=ticket_creado'],
  ])('answers 400 naming %s for ?%s', async (field, query) => {
    const { status, body } = await audit(`?${query}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'VALIDACION_FALLIDA', campos: { [field]: expect.any(String) } });
  });
});

describe('GET /api/admin/audit and personal data', () => {
  beforeEach(resetBranch);

  it('masks the RUT and phone kept in audit rows', async () => {
    const nationalId = nextRut();
    usedRuts.add(nationalId);
    const created = await app.postTicket({ nationalId, telefono: '+56998765432', queueType: 'CAJA' });
    expect(created.status).toBe(201);
    const reply = await admin<{ items: Array<{ newState: { nationalId?: string } }> }>('/audit?eventType=TICKET_CREADO');
    expect(reply.status).toBe(200);
    expect(reply.body.items[0]!.newState.nationalId).toMatch(/^\d{1,2}\.\*\*\*\.\*\*\*-[\dK]$/);
    expectNoWholeRut(reply.text);
    expect(reply.text).not.toContain('98765432');
  });
});
