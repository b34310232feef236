import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { DomainError } from '../../src/errors.js';
import { rut } from '../support/ruts.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { seedBranch } from '../support/branch.js';

const clock = new ManualClock(new Date('2026-06-02T13:00:00Z'));
const SUPERVISOR = { actor: 'supervisor@banco.com' };
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

async function branchWithOneAdvisor(queues: ('CAJA' | 'PERSONAL_BANKER' | 'EMPRESAS' | 'GERENCIA')[] = ['CAJA']) {
  const branch = `Sucursal Acciones ${++b}`;
  const { Asesor } = await seedBranch(app.db, branch, [{ name: 'Asesor', module: 2, queues }]);
  return { branch, advisorId: Asesor! };
}
const take = async (branchOffice: string, queueType = 'CAJA') =>
  (await app.postTicket({ nationalId: rut(5000 + ++n), queueType, branchOffice })).body as { identificador: string };
const advisorRow = async (id: number) =>
  (
    await app.db.query<Record<string, unknown>>(
      `select status, assigned_tickets_count, workload_minutes, total_tickets_served_today,
              average_service_time_minutes::float as average from advisor where id = $1`,
      [id],
    )
  )[0]!;

describe('completing a service', () => {
  it('computes service minutes, served-today and the running average, then frees the advisor', async () => {
    const { branch, advisorId } = await branchWithOneAdvisor();
    const first = await take(branch);
    await app.services.assignment.assignAvailable(branch);
    clock.advance(7 * 60_000 + 30_000); // 7 min 30 s → 7 whole minutes
    await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR);
    const [t] = await app.db.query<Record<string, unknown>>(
      `select status, actual_service_time_minutes, completed_at from ticket where codigo_referencia = $1`,
      [first.identificador],
    );
    expect(t).toMatchObject({ status: 'COMPLETADO', actual_service_time_minutes: 7, completed_at: clock.now() });
    expect(await advisorRow(advisorId)).toMatchObject({
      status: 'AVAILABLE',
      assigned_tickets_count: 0,
      workload_minutes: 0,
      total_tickets_served_today: 1,
      average: 7,
    });

    await take(branch);
    await app.services.assignment.assignAvailable(branch);
    clock.advance(4 * 60_000);
    await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR);
    expect(await advisorRow(advisorId)).toMatchObject({ total_tickets_served_today: 2, average: 5.5 });
    const events = await app.db.query<{ event_type: string; actor: string }>(
      `select event_type, actor from audit_log where event_type in ('TICKET_COMPLETADO', 'ADVISOR_FREED')
         and (entity_id = $1 or additional_data->>'advisorId' = $1) order by id`,
      [String(advisorId)],
    );
    expect(events.map((e) => e.event_type)).toEqual(['TICKET_COMPLETADO', 'ADVISOR_FREED', 'TICKET_COMPLETADO', 'ADVISOR_FREED']);
    expect(events.every((e) => e.actor === 'supervisor@banco.com')).toBe(true);
  });

  it('pulls the next waiting ticket as soon as the advisor is free', async () => {
    const { branch, advisorId } = await branchWithOneAdvisor();
    await take(branch);
    await app.services.assignment.assignAvailable(branch);
    const next = await take(branch);
    const view = await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR);
    expect(view.status).toBe('BUSY');
    const [t] = await app.db.query<{ status: string }>(`select status from ticket where codigo_referencia = $1`, [
      next.identificador,
    ]);
    expect(t!.status).toBe('ATENDIENDO');
  });

  it('marks a no-show as NO_ATENDIDO without counting it as served', async () => {
    const { branch, advisorId } = await branchWithOneAdvisor(['GERENCIA']);
    const ticket = await take(branch, 'GERENCIA');
    await app.services.assignment.assignAvailable(branch);
    clock.advance(3 * 60_000);
    await app.services.floor.recall(advisorId, SUPERVISOR); // NO_SHOW_MIN_CALLS = 2 calls before a no-show
    await app.services.floor.finishCurrent(advisorId, 'NO_ATENDIDO', SUPERVISOR);
    const [t] = await app.db.query<Record<string, unknown>>(
      `select status, actual_service_time_minutes from ticket where codigo_referencia = $1`,
      [ticket.identificador],
    );
    expect(t).toMatchObject({ status: 'NO_ATENDIDO', actual_service_time_minutes: null });
    expect(await advisorRow(advisorId)).toMatchObject({ status: 'AVAILABLE', assigned_tickets_count: 0, total_tickets_served_today: 0 });
    const [audit] = await app.db.query(`select actor from audit_log where event_type = 'TICKET_NO_ATENDIDO' and entity_id = (
      select id::text from ticket where codigo_referencia = $1)`, [ticket.identificador]);
    expect(audit).toBeDefined();
  });

  it('closes the finished ticket’s messages that no chat can receive, saying why', async () => {
    const { branch, advisorId } = await branchWithOneAdvisor();
    const response = await app.postTicket({ nationalId: rut(9100), telefono: '+56955554444', queueType: 'CAJA', branchOffice: branch });
    await app.services.assignment.assignAvailable(branch);
    await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR);
    const rows = await app.db.query<{ estado_envio: string; error_message: string }>(
      `select estado_envio, error_message from mensaje m join ticket t on t.id = m.ticket_id where t.codigo_referencia = $1`,
      [response.body.identificador],
    );
    // The three of the ticket, and the rating survey planned after it (it waits for a chat too).
    expect(rows).toHaveLength(4);
    expect(rows.slice(0, 3).every((r) => r.estado_envio === 'FALLIDO' && r.error_message === 'sin chat de Telegram vinculado')).toBe(true);
  });
});

describe('illegal transitions are clear errors', () => {
  const code = async (work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      if (error instanceof DomainError) return error.code;
      throw error;
    }
    return 'OK';
  };

  it('refuses to complete when the advisor has no ticket', async () => {
    const { advisorId } = await branchWithOneAdvisor();
    expect(await code(() => app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR))).toBe('TRANSICION_INVALIDA');
  });

  it('refuses OFFLINE or AVAILABLE while serving, but allows a pause (BUSY)', async () => {
    const { branch, advisorId } = await branchWithOneAdvisor();
    await take(branch);
    await app.services.assignment.assignAvailable(branch);
    expect(await code(() => app.services.floor.setStatus(advisorId, 'OFFLINE', 'fin de turno', SUPERVISOR))).toBe(
      'TRANSICION_INVALIDA',
    );
    expect(await code(() => app.services.floor.setStatus(advisorId, 'BUSY', 'Colación', SUPERVISOR))).toBe('OK');
    await app.services.floor.finishCurrent(advisorId, 'COMPLETADO', SUPERVISOR);
    expect(await code(() => app.services.floor.setStatus(advisorId, 'OFFLINE', 'fin de turno', SUPERVISOR))).toBe('OK');
    const [audit] = await app.db.query<{ additional_data: { reason: string } }>(
      `select additional_data from audit_log where event_type = 'ADVISOR_STATUS_CHANGED' and entity_id = $1 order by id desc limit 1`,
      [String(advisorId)],
    );
    expect(audit!.additional_data.reason).toBe('fin de turno');
  });

  it('answers an unknown advisor with ASESOR_NO_ENCONTRADO', async () => {
    expect(await code(() => app.services.floor.setStatus(999_999, 'AVAILABLE', null, SUPERVISOR))).toBe('ASESOR_NO_ENCONTRADO');
    expect(await code(() => app.services.floor.finishCurrent(999_999, 'COMPLETADO', SUPERVISOR))).toBe('ASESOR_NO_ENCONTRADO');
  });
});
