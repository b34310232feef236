import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { serviceDay } from '../../src/domain/numbering.js';
import { createLogger } from '../../src/logger.js';
import { JobLocks, runScheduledJob, type JobRunnerDeps } from '../../src/modules/jobs/job-runner.js';
import { MaintenanceService } from '../../src/modules/maintenance/maintenance.service.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { rutIndex } from '../support/personal-data.js';
import { rut } from '../support/ruts.js';

const DAY = 24 * 60 * 60_000;
/** Noon in Santiago on 1 December 2026 (summer time, UTC−3). */
const NOON = new Date('2026-12-01T15:00:00.000Z');
/** The branch's midnight that starts 1 December, and the one that starts 2 December. */
const MIDNIGHT_1 = new Date('2026-12-01T03:00:00.000Z');
const MIDNIGHT_2 = new Date('2026-12-02T03:00:00.000Z');
const ago = (days: number, from: Date = NOON): Date => new Date(from.getTime() - days * DAY);

const clock = new ManualClock(NOON);
let app: TestApp;
let maintenance: MaintenanceService;
let timeZone: string;
const advisorIds: Record<string, number> = {};
const LUIS = 'luis.perez@banco.com';
const CARMEN = 'carmen.silva@banco.com';
const advisor = (email: string): number => {
  const value = advisorIds[email];
  if (value === undefined) throw new Error(`no seed advisor ${email}`);
  return value;
};

let sequence = 0;

interface TicketSeed {
  status: 'EN_ESPERA' | 'PROXIMO' | 'ATENDIENDO' | 'COMPLETADO' | 'CANCELADO' | 'NO_ATENDIDO';
  createdAt: Date;
  advisorId?: number;
  assignedAt?: Date;
  completedAt?: Date;
  serviceMinutes?: number;
  queueType?: 'CAJA' | 'PERSONAL_BANKER' | 'EMPRESAS' | 'GERENCIA';
}

/** Timestamps go in as UTC wall time (ISO text into `timestamp`), the way the app stores them. */
async function insertTicket(seed: TicketSeed): Promise<number> {
  sequence++;
  const prefix = { CAJA: 'C', PERSONAL_BANKER: 'P', EMPRESAS: 'E', GERENCIA: 'G' }[seed.queueType ?? 'CAJA'];
  const [row] = await app.db.query<{ id: string }>(
    `insert into ticket (codigo_referencia, numero, national_id_bidx, branch_office, queue_type, status, position_in_queue,
       estimated_wait_minutes, assigned_advisor_id, assigned_module_number, assigned_at, completed_at,
       actual_service_time_minutes, service_date, created_at, updated_at)
     values (gen_random_uuid(), $1, $2, 'Sucursal Centro', $3, $4, 0, 0, $5,
       (select module_number from advisor where id = $5), $6::timestamp, $7::timestamp, $8, $9::date, $10::timestamp,
       coalesce($7::timestamp, $6::timestamp, $10::timestamp))
     returning id`,
    [
      `${prefix}${String(sequence).padStart(2, '0')}`,
      rutIndex(app, rut(sequence)),
      seed.queueType ?? 'CAJA',
      seed.status,
      seed.advisorId ?? null,
      seed.assignedAt?.toISOString() ?? null,
      seed.completedAt?.toISOString() ?? null,
      seed.serviceMinutes ?? null,
      serviceDay(seed.createdAt, timeZone),
      seed.createdAt.toISOString(),
    ],
  );
  return Number(row!.id);
}

/** A ticket served by `advisorId` and completed at `completedAt` after `minutes` of service. */
const completedTicket = (advisorId: number, completedAt: Date, minutes: number): Promise<number> =>
  insertTicket({
    status: 'COMPLETADO',
    advisorId,
    createdAt: new Date(completedAt.getTime() - (minutes + 5) * 60_000),
    assignedAt: new Date(completedAt.getTime() - minutes * 60_000),
    completedAt,
    serviceMinutes: minutes,
  });

async function insertMessage(
  ticketId: number,
  estado: 'PENDIENTE' | 'ENVIADO' | 'FALLIDO',
  when: Date,
  plantilla = 'TOTEM_TICKET_CREADO',
): Promise<number> {
  const [row] = await app.db.query<{ id: string }>(
    `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, fecha_envio, intentos, created_at)
     values ($1, $2, $3, $4::timestamp, $5::timestamp, $6, $4::timestamp) returning id`,
    [ticketId, plantilla, estado, when.toISOString(), estado === 'ENVIADO' ? when.toISOString() : null, estado === 'PENDIENTE' ? 0 : 1],
  );
  return Number(row!.id);
}

async function insertAudit(createdAt: Date, eventType: string, entityId: string): Promise<number> {
  const [row] = await app.db.query<{ id: string }>(
    `insert into audit_log (entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
       ip_address, user_agent, created_at)
     values ('TICKET', $1, $2, 'KIOSK', '{"status":"EN_ESPERA"}', '{"status":"CANCELADO","n":[1,2]}',
       '{"motivo":"prueba ñandú"}', '10.0.0.7', 'totem/1.0', $3::timestamp)
     returning id`,
    [entityId, eventType, createdAt.toISOString()],
  );
  return Number(row!.id);
}

const idsOf = async (table: string): Promise<number[]> =>
  (await app.db.query<{ id: string }>(`select id from ${table} order by id`)).map((r) => Number(r.id));

/** Whole rows as JSON text, for comparing a row before and after it moves. */
const rowsAsJson = async (table: string, ids: number[]): Promise<string[]> =>
  (
    await app.db.query<{ row: string }>(`select to_jsonb(t)::text as row from ${table} t where id = any($1) order by id`, [
      ids,
    ])
  ).map((r) => r.row);

interface Figures {
  email: string;
  total_tickets_served_today: number;
  average_service_time_minutes: string;
}
const advisorFigures = (): Promise<Figures[]> =>
  app.db.query<Figures>(
    `select email, total_tickets_served_today, average_service_time_minutes::text from advisor order by email`,
  );
const figuresOf = async (email: string): Promise<Omit<Figures, 'email'>> => {
  const found = (await advisorFigures()).find((f) => f.email === email);
  if (!found) throw new Error(`no advisor ${email}`);
  return { total_tickets_served_today: found.total_tickets_served_today, average_service_time_minutes: found.average_service_time_minutes };
};

beforeAll(async () => {
  app = await startTestApp({}, { clock });
  timeZone = app.config.branchTimeZone;
  maintenance = new MaintenanceService({ db: app.sql, clock, logger: app.logger });
  for (const row of await app.db.query<{ id: string; email: string }>(`select id, email from advisor`)) {
    advisorIds[row.email] = Number(row.id);
  }
});
afterAll(async () => {
  await app?.close();
});
beforeEach(async () => {
  clock.set(NOON);
  await app.db.query('delete from mensaje');
  await app.db.query('delete from ticket');
  await app.db.query('delete from audit_log');
  await app.db.query('delete from audit_log_archive');
  await app.db.query('delete from job_run');
  await app.db.query(
    `update advisor set status = 'BUSY', assigned_tickets_count = 0, workload_minutes = 0,
       total_tickets_served_today = 0, average_service_time_minutes = 0`,
  );
});

describe('daily maintenance: advisor figures', () => {
  it('checks the test’s own calendar: 03:00 UTC is the branch’s midnight in December', () => {
    expect(timeZone).toBe('America/Santiago');
    expect(serviceDay(MIDNIGHT_1, timeZone)).toBe('2026-12-01');
    expect(serviceDay(new Date(MIDNIGHT_1.getTime() - 1000), timeZone)).toBe('2026-11-30');
    expect(serviceDay(MIDNIGHT_2, timeZone)).toBe('2026-12-02');
  });

  it('recomputes served-today and the average from today’s COMPLETADO tickets on a mid-day run', async () => {
    const luis = advisor(LUIS);
    const carmen = advisor(CARMEN);
    await completedTicket(luis, MIDNIGHT_1, 3); // exactly at the branch's midnight: today
    await completedTicket(luis, new Date('2026-12-01T13:00:00.000Z'), 10);
    await completedTicket(luis, new Date('2026-12-01T14:00:00.000Z'), 21);
    await completedTicket(luis, new Date(MIDNIGHT_1.getTime() - 1000), 50); // 23:59:59 yesterday
    await insertTicket({ status: 'NO_ATENDIDO', advisorId: luis, createdAt: ago(0.1), assignedAt: ago(0.1), completedAt: ago(0.05) });
    await insertTicket({ status: 'ATENDIENDO', advisorId: luis, createdAt: ago(0.02), assignedAt: ago(0.01) });
    await completedTicket(carmen, new Date('2026-12-01T12:00:00.000Z'), 7);
    // Stale figures, as after a crash or a missed midnight.
    await app.db.query(`update advisor set total_tickets_served_today = 9, average_service_time_minutes = 33`);

    const summary = await maintenance.runDaily();
    expect(summary.advisorsRefreshed).toBe(5);
    expect(await figuresOf(LUIS)).toEqual({ total_tickets_served_today: 3, average_service_time_minutes: '11.33' });
    expect(await figuresOf(CARMEN)).toEqual({ total_tickets_served_today: 1, average_service_time_minutes: '7.00' });
    for (const other of (await advisorFigures()).filter((f) => f.email !== LUIS && f.email !== CARMEN)) {
      expect(other).toMatchObject({ total_tickets_served_today: 0, average_service_time_minutes: '0.00' });
    }
    // Nothing else about the advisor is touched.
    const [row] = await app.db.query(`select status from advisor where id = $1`, [luis]);
    expect(row).toMatchObject({ status: 'BUSY' });
  });

  it('resets every advisor to 0 at the branch’s midnight', async () => {
    await completedTicket(advisor(LUIS), new Date('2026-12-01T20:00:00.000Z'), 12);
    await completedTicket(advisor(CARMEN), new Date('2026-12-02T02:59:00.000Z'), 8); // 23:59 in Santiago
    await maintenance.runDaily();
    expect(await figuresOf(LUIS)).toEqual({ total_tickets_served_today: 1, average_service_time_minutes: '12.00' });

    clock.set(MIDNIGHT_2);
    const summary = await maintenance.runDaily();
    expect(summary.advisorsRefreshed).toBe(2);
    for (const figures of await advisorFigures()) {
      expect(figures).toMatchObject({ total_tickets_served_today: 0, average_service_time_minutes: '0.00' });
    }
  });

  it('uses the branch’s midnight in winter too (UTC−4), not a fixed offset', async () => {
    const winterMidnight = new Date('2026-07-15T04:00:00.000Z');
    expect(serviceDay(winterMidnight, timeZone)).toBe('2026-07-15');
    expect(serviceDay(new Date(winterMidnight.getTime() - 1000), timeZone)).toBe('2026-07-14');
    await completedTicket(advisor(LUIS), new Date('2026-07-15T03:30:00.000Z'), 9); // 23:30 on the 14th
    await completedTicket(advisor(LUIS), new Date('2026-07-15T04:10:00.000Z'), 4); // 00:10 on the 15th
    clock.set(new Date('2026-07-15T05:00:00.000Z'));
    await maintenance.runDaily();
    expect(await figuresOf(LUIS)).toEqual({ total_tickets_served_today: 1, average_service_time_minutes: '4.00' });
  });

  it('keeps the figures the app computed during the day', async () => {
    // Luis works through the app: two completions of 6 and 10 minutes.
    await app.db.query(`update advisor set status = 'AVAILABLE' where id = $1`, [advisor(LUIS)]);
    for (let i = 0; i < 2; i++) {
      const { status } = await app.postTicket({ nationalId: rut(900 + i), queueType: 'CAJA' });
      expect(status).toBe(201);
    }
    await app.services.assignment.assignAvailable('Sucursal Centro');
    clock.advance(6 * 60_000);
    await app.services.floor.finishCurrent(advisor(LUIS), 'COMPLETADO', { actor: 'SYSTEM' });
    clock.advance(10 * 60_000);
    await app.services.floor.finishCurrent(advisor(LUIS), 'COMPLETADO', { actor: 'SYSTEM' });
    const before = await figuresOf(LUIS);
    expect(before).toEqual({ total_tickets_served_today: 2, average_service_time_minutes: '8.00' });

    const summary = await maintenance.runDaily();
    expect(summary.advisorsRefreshed).toBe(0);
    expect(await figuresOf(LUIS)).toEqual(before);
  });
});

describe('daily maintenance: cleanup and archive', () => {
  interface World {
    oldCompleted: number;
    oldCancelled: number;
    oldNoShow: number;
    youngFinished: number;
    oldWaiting: number;
    oldServing: number;
    oldTicketMessages: number[];
    sentOld: number;
    sentYoung: number;
    pendingOld: number;
    failedOld: number;
    oldAudit: number[];
    youngAudit: number[];
  }

  async function buildWorld(): Promise<World> {
    const luis = advisor(LUIS);
    const oldCompleted = await insertTicket({
      status: 'COMPLETADO',
      advisorId: luis,
      createdAt: ago(91.1),
      assignedAt: ago(91.05),
      completedAt: ago(91),
      serviceMinutes: 10,
    });
    const oldTicketMessages = [
      await insertMessage(oldCompleted, 'ENVIADO', ago(91.1), 'TOTEM_TICKET_CREADO'),
      await insertMessage(oldCompleted, 'ENVIADO', ago(91.05), 'TOTEM_ES_TU_TURNO'),
      await insertMessage(oldCompleted, 'FALLIDO', ago(91.05), 'TOTEM_PROXIMO_TURNO'),
    ];
    const oldCancelled = await insertTicket({ status: 'CANCELADO', createdAt: ago(95), completedAt: ago(94) });
    const oldNoShow = await insertTicket({
      status: 'NO_ATENDIDO',
      advisorId: luis,
      createdAt: ago(120),
      assignedAt: ago(120),
      completedAt: ago(120),
    });
    // Created long ago, but finished only 89 days ago: kept.
    const youngFinished = await insertTicket({
      status: 'COMPLETADO',
      advisorId: luis,
      createdAt: ago(100),
      assignedAt: ago(89.1),
      completedAt: ago(89),
      serviceMinutes: 15,
    });
    const sentOld = await insertMessage(youngFinished, 'ENVIADO', ago(31));
    const sentYoung = await insertMessage(youngFinished, 'ENVIADO', ago(29), 'TOTEM_ES_TU_TURNO');
    // Active tickets are never deleted, however old.
    const oldWaiting = await insertTicket({ status: 'EN_ESPERA', createdAt: ago(200) });
    const pendingOld = await insertMessage(oldWaiting, 'PENDIENTE', ago(60));
    const failedOld = await insertMessage(oldWaiting, 'FALLIDO', ago(60), 'TOTEM_PROXIMO_TURNO');
    const oldServing = await insertTicket({ status: 'ATENDIENDO', advisorId: luis, createdAt: ago(150), assignedAt: ago(150) });

    const oldAudit = [
      await insertAudit(ago(400), 'TICKET_CREADO', String(oldCompleted)),
      await insertAudit(ago(366), 'TICKET_CANCELADO', String(oldCancelled)),
      await insertAudit(ago(500), 'TICKET_COMPLETADO', '42'),
    ];
    const youngAudit = [await insertAudit(ago(364), 'TICKET_CREADO', '43'), await insertAudit(ago(1), 'TICKET_CREADO', '44')];
    return {
      oldCompleted,
      oldCancelled,
      oldNoShow,
      youngFinished,
      oldWaiting,
      oldServing,
      oldTicketMessages,
      sentOld,
      sentYoung,
      pendingOld,
      failedOld,
      oldAudit,
      youngAudit,
    };
  }

  it('deletes finished tickets after 90 days with their messages, and keeps younger and active ones', async () => {
    const w = await buildWorld();
    const summary = await maintenance.runDaily();
    expect(summary.ticketsDeleted).toBe(3);
    expect(await idsOf('ticket')).toEqual([w.youngFinished, w.oldWaiting, w.oldServing].sort((a, b) => a - b));
    const messages = await idsOf('mensaje');
    for (const gone of w.oldTicketMessages) expect(messages).not.toContain(gone);
  });

  it('deletes sent messages after 30 days and keeps pending, failed and younger ones', async () => {
    const w = await buildWorld();
    const summary = await maintenance.runDaily();
    expect(summary.messagesDeleted).toBe(1);
    expect(await idsOf('mensaje')).toEqual([w.sentYoung, w.pendingOld, w.failedOld].sort((a, b) => a - b));
  });

  it('moves audit rows older than a year to audit_log_archive with the same ids and content', async () => {
    const w = await buildWorld();
    const before = await rowsAsJson('audit_log', w.oldAudit);
    expect(before).toHaveLength(3);
    const summary = await maintenance.runDaily();
    expect(summary.auditArchived).toBe(3);
    expect(await idsOf('audit_log_archive')).toEqual([...w.oldAudit].sort((a, b) => a - b));
    expect(await rowsAsJson('audit_log_archive', w.oldAudit)).toEqual(before);
    const remaining = await idsOf('audit_log');
    for (const id of w.oldAudit) expect(remaining).not.toContain(id);
    for (const id of w.youngAudit) expect(remaining).toContain(id);
  });

  it('tells an observer each step in order, with its time and the rows it touched (what the year bench times)', async () => {
    await buildWorld();
    const heard: Array<{ step: string; ms: number; rows: number }> = [];
    const observed = new MaintenanceService({
      db: app.sql,
      clock,
      logger: app.logger,
      onStep: (step, ms, rows) => heard.push({ step, ms, rows }),
    });
    const summary = await observed.runDaily();
    expect(heard.map((h) => h.step)).toEqual(['advisor-figures', 'old-tickets', 'sent-messages', 'counters-and-codes', 'audit-archive', 'report-rollups']);
    const rowsOf = (step: string) => heard.find((h) => h.step === step)?.rows;
    expect(rowsOf('old-tickets')).toBe(summary.ticketsDeleted);
    expect(rowsOf('sent-messages')).toBe(summary.messagesDeleted);
    expect(rowsOf('audit-archive')).toBe(summary.auditArchived);
    expect(summary).toMatchObject({ ticketsDeleted: 3, messagesDeleted: 1, auditArchived: 3 });
    for (const h of heard) expect(h.ms).toBeGreaterThanOrEqual(0);
  });

  it('is idempotent: a second run changes nothing more', async () => {
    await buildWorld();
    await completedTicket(advisor(LUIS), ago(0.1), 11);
    const first = await maintenance.runDaily();
    expect(first).toMatchObject({ ticketsDeleted: 3, messagesDeleted: 1, auditArchived: 3 });
    const snapshot = async () => ({
      tickets: await idsOf('ticket'),
      messages: await idsOf('mensaje'),
      audit: await idsOf('audit_log'),
      archive: await rowsAsJson('audit_log_archive', await idsOf('audit_log_archive')),
      figures: await advisorFigures(),
    });
    const after = await snapshot();
    const second = await maintenance.runDaily();
    expect(second).toEqual({ advisorsRefreshed: 0, ticketsDeleted: 0, messagesDeleted: 0, auditArchived: 0, rollupsDeleted: 0 });
    expect(await snapshot()).toEqual(after);
  });
});

describe('weekly maintenance', () => {
  const indexState = (names: string[]) =>
    app.db.query<{ name: string; valid: boolean }>(
      `select c.relname as name, i.indisvalid as valid from pg_index i join pg_class c on c.oid = i.indexrelid
       where c.relname = any($1) order by c.relname`,
      [names],
    );
  const leftovers = () =>
    app.db.query<{ name: string }>(`select relname as name from pg_class where relname like '%\\_ccnew%' and relkind = 'i'`);

  it('reindexes the two created_at indexes concurrently and analyzes the tables', async () => {
    await completedTicket(advisor(LUIS), ago(0.1), 5);
    const summary = await maintenance.runWeekly();
    expect(summary).toEqual({ reindexed: ['idx_ticket_created_at', 'idx_audit_created_at'], droppedLeftovers: 0 });
    expect(await indexState(['idx_audit_created_at', 'idx_ticket_created_at'])).toEqual([
      { name: 'idx_audit_created_at', valid: true },
      { name: 'idx_ticket_created_at', valid: true },
    ]);
    expect(await leftovers()).toEqual([]);
    const analyzed = await app.db.query<{ relname: string; analyzed: boolean }>(
      `select relname, last_analyze is not null as analyzed from pg_stat_user_tables
       where relname in ('ticket', 'mensaje', 'audit_log') order by relname`,
    );
    expect(analyzed).toEqual([
      { relname: 'audit_log', analyzed: true },
      { relname: 'mensaje', analyzed: true },
      { relname: 'ticket', analyzed: true },
    ]);
    // And again: nothing left behind makes a second run fail.
    await expect(maintenance.runWeekly()).resolves.toMatchObject({ droppedLeftovers: 0 });
  });

  it('drops an invalid _ccnew index left by a REINDEX CONCURRENTLY that died half-way', async (context) => {
    await app.db.query(`create index idx_ticket_created_at_ccnew on ticket (created_at desc)`);
    try {
      await app.db.query(
        `update pg_index set indisvalid = false where indexrelid = 'idx_ticket_created_at_ccnew'::regclass`,
      );
    } catch (error) {
      await app.db.query(`drop index if exists idx_ticket_created_at_ccnew`);
      context.skip(`cannot mark an index invalid without superuser: ${String(error)}`);
      return;
    }
    expect(await indexState(['idx_ticket_created_at_ccnew'])).toEqual([{ name: 'idx_ticket_created_at_ccnew', valid: false }]);

    const summary = await maintenance.runWeekly();
    expect(summary).toMatchObject({ droppedLeftovers: 1 });
    expect(await leftovers()).toEqual([]);
    expect(await indexState(['idx_ticket_created_at'])).toEqual([{ name: 'idx_ticket_created_at', valid: true }]);
  });

  it('leaves a valid index that merely has a similar name alone', async () => {
    await app.db.query(`create index idx_ticket_created_at_ccnew_report on ticket (created_at)`);
    try {
      const summary = await maintenance.runWeekly();
      expect(summary).toMatchObject({ droppedLeftovers: 0 });
      expect(await indexState(['idx_ticket_created_at_ccnew_report'])).toEqual([
        { name: 'idx_ticket_created_at_ccnew_report', valid: true },
      ]);
    } finally {
      await app.db.query(`drop index if exists idx_ticket_created_at_ccnew_report`);
    }
  });
});

describe('the job runner', () => {
  let lockClient: pg.Client;
  let otherClient: pg.Client;
  let lines: string[];
  let deps: JobRunnerDeps;

  beforeEach(async () => {
    lockClient = new pg.Client({ connectionString: app.db.url });
    otherClient = new pg.Client({ connectionString: app.db.url });
    await lockClient.connect();
    await otherClient.connect();
    lines = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    deps = { db: app.sql, clock, logger, locks: new JobLocks(lockClient) };
  });
  afterEach(async () => {
    await lockClient.end();
    await otherClient.end();
  });

  const jobRun = async (name: string) => {
    const [row] = await app.db.query<{
      last_status: string | null;
      last_error: string | null;
      runs: number;
      failures: number;
      succeeded: string | null;
    }>(
      `select last_status, last_error, runs, failures,
              to_char(last_succeeded_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as succeeded
       from job_run where name = $1`,
      [name],
    );
    return row;
  };
  const logged = (): Array<Record<string, unknown>> => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  const otherCanLock = async (name: string): Promise<boolean> => {
    const { rows } = await otherClient.query<{ locked: boolean }>(
      `select pg_try_advisory_lock(hashtext('ticketero:job'), hashtext($1)) as locked`,
      [name],
    );
    if (rows[0]?.locked) await otherClient.query(`select pg_advisory_unlock(hashtext('ticketero:job'), hashtext($1))`, [name]);
    return rows[0]?.locked === true;
  };

  it('logs, records and audits a body that throws, and the next run succeeds', async () => {
    const failure = await runScheduledJob(deps, 'prueba', async () => {
      throw new Error('la base de datos se fue a almorzar');
    });
    expect(failure).toBe('failed');

    const errors = logged().filter((entry) => entry.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ job: 'prueba' });
    expect(JSON.stringify(errors[0])).toContain('la base de datos se fue a almorzar');

    expect(await jobRun('prueba')).toMatchObject({
      last_status: 'FAILED',
      last_error: 'la base de datos se fue a almorzar',
      runs: 1,
      failures: 1,
      succeeded: null,
    });
    const audits = await app.db.query<Record<string, unknown>>(
      `select entity_type, entity_id, actor, additional_data, to_char(created_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
       from audit_log where event_type = 'SCHEDULER_ERROR'`,
    );
    expect(audits).toEqual([
      {
        entity_type: 'SISTEMA',
        entity_id: 'prueba',
        actor: 'SYSTEM',
        additional_data: { job: 'prueba', error: 'la base de datos se fue a almorzar' },
        at: NOON.toISOString(),
      },
    ]);
    // The lock was given back even though the body threw.
    expect(await otherCanLock('prueba')).toBe(true);

    clock.advance(5000);
    let ran = false;
    const success = await runScheduledJob(deps, 'prueba', async () => {
      ran = true;
      return { moved: 3 };
    });
    expect(success).toBe('ok');
    expect(ran).toBe(true);
    expect(await jobRun('prueba')).toMatchObject({
      last_status: 'OK',
      last_error: null,
      runs: 2,
      failures: 1,
      succeeded: new Date(NOON.getTime() + 5000).toISOString(),
    });
    expect(await app.db.query(`select 1 from audit_log where event_type = 'SCHEDULER_ERROR'`)).toHaveLength(1);
    expect(await otherCanLock('prueba')).toBe(true);
  });

  it('runs a periodic job once a period across instances: skipped when another started it within the period', async () => {
    let runs = 0;
    const body = async () => void runs++;
    expect(await runScheduledJob(deps, 'periodo', body, { notWithinMs: 4000 })).toBe('ok');
    // Another instance's timer comes 1.5 s later: the job ran in this period already.
    clock.advance(1500);
    expect(await runScheduledJob(deps, 'periodo', body, { notWithinMs: 4000 })).toBe('skipped');
    expect(await otherCanLock('periodo')).toBe(true);
    // A period later it runs again; without the rule it would have run both times.
    clock.advance(4000);
    expect(await runScheduledJob(deps, 'periodo', body, { notWithinMs: 4000 })).toBe('ok');
    expect(await runScheduledJob(deps, 'periodo', body)).toBe('ok');
    expect(runs).toBe(3);
    expect(await jobRun('periodo')).toMatchObject({ runs: 3 });
  });

  it('skips the run, without running the body, while another connection holds the job’s lock', async () => {
    await otherClient.query(`select pg_advisory_lock(hashtext('ticketero:job'), hashtext($1))`, ['ocupado']);
    let ran = false;
    const outcome = await runScheduledJob(deps, 'ocupado', async () => {
      ran = true;
    });
    expect(outcome).toBe('skipped');
    expect(ran).toBe(false);
    expect(await jobRun('ocupado')).toBeUndefined();
    expect(await app.db.query(`select 1 from audit_log where event_type = 'SCHEDULER_ERROR'`)).toHaveLength(0);

    // Another job is not blocked by it.
    expect(await runScheduledJob(deps, 'libre', async () => undefined)).toBe('ok');

    await otherClient.query(`select pg_advisory_unlock(hashtext('ticketero:job'), hashtext($1))`, ['ocupado']);
    expect(await runScheduledJob(deps, 'ocupado', async () => {
      ran = true;
    })).toBe('ok');
    expect(ran).toBe(true);
    expect(await jobRun('ocupado')).toMatchObject({ last_status: 'OK', runs: 1, failures: 0 });
  });

  it('runs the daily maintenance under the runner', async () => {
    await completedTicket(advisor(CARMEN), ago(0.05), 14);
    const outcome = await runScheduledJob(deps, 'maintenance-daily', () => maintenance.runDaily());
    expect(outcome).toBe('ok');
    expect(await jobRun('maintenance-daily')).toMatchObject({ last_status: 'OK', runs: 1, failures: 0 });
    expect(await figuresOf(CARMEN)).toEqual({ total_tickets_served_today: 1, average_service_time_minutes: '14.00' });
  });
});
