/**
 * SPEC §17: branches and staff managed without SQL, through the admin API, with the uniqueness
 * rules and error codes, every change audited with old and new state and the actor; SPEC §18: a
 * SUPERVISOR manages the staff of their own branches only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { readyAccount, type SignedIn } from '../support/accounts.js';
import { rut } from '../support/ruts.js';

let app: TestApp;
let admin: SignedIn;

const json = (body: unknown, method = 'POST'): RequestInit => ({ method, body: JSON.stringify(body) });
async function call(person: SignedIn, path: string, init?: RequestInit): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await person.request(path, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const providencia = {
  code: 'PROVIDENCIA',
  name: 'Sucursal Providencia',
  region: 'Metropolitana',
  comuna: 'Providencia',
  address: 'Av. Providencia 1234',
  latitude: -33.4263,
  longitude: -70.6147,
  timezone: 'America/Santiago',
  hours: 'L-V 09:00-13:00,15:00-17:00; S 10:00-13:00',
  closedDates: ['2026-12-25', '2026-09-18'],
  queues: [{ queueType: 'PERSONAL_BANKER', averageServiceMinutes: 12 }, { queueType: 'CAJA' }],
};

beforeAll(async () => {
  app = await startTestApp();
  admin = await readyAccount(app, { role: 'ADMIN' });
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('branches (SPEC §17)', () => {
  it('creates a branch with hours as text, closed dates and queues; reads it back and lists it', async () => {
    const created = await call(admin, '/api/admin/branches', json(providencia));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      code: 'PROVIDENCIA',
      name: 'Sucursal Providencia',
      timezone: 'America/Santiago',
      hours: {
        '1': [{ opens: '09:00', closes: '13:00' }, { opens: '15:00', closes: '17:00' }],
        '5': [{ opens: '09:00', closes: '13:00' }, { opens: '15:00', closes: '17:00' }],
        '6': [{ opens: '10:00', closes: '13:00' }],
      },
      hoursText: 'L-V 09:00-13:00,15:00-17:00; S 10:00-13:00',
      closedDates: ['2026-09-18', '2026-12-25'],
      // In the product's order, absent averages left out.
      queues: [{ queueType: 'CAJA' }, { queueType: 'PERSONAL_BANKER', averageServiceMinutes: 12 }],
      active: true,
      advisors: 0,
    });
    expect((created.body.hours as Record<string, unknown>)['7']).toBeUndefined();
    const read = await call(admin, '/api/admin/branches/PROVIDENCIA');
    expect(read.body).toEqual(created.body);

    const easter = await call(admin, '/api/admin/branches', json({ code: 'HANGA-ROA', name: 'Sucursal Ñuñoa Rapa Nui', comuna: 'Isla de Pascua', timezone: 'Pacific/Easter' }));
    expect(easter.status).toBe(201);
    // Without hours or queues: open all day, every queue (the migration's branches behave so too).
    expect(easter.body).toMatchObject({ hours: null, queues: [{ queueType: 'CAJA' }, { queueType: 'PERSONAL_BANKER' }, { queueType: 'EMPRESAS' }, { queueType: 'GERENCIA' }] });

    const search = async (q: string) =>
      ((await call(admin, `/api/admin/branches?q=${encodeURIComponent(q)}`)).body.branches as Array<{ code: string }>).map((b) => b.code);
    expect(await search('providencia')).toEqual(['PROVIDENCIA']);
    expect(await search('nunoa')).toEqual(['HANGA-ROA']);
    expect(await search('PASCUA')).toEqual(['HANGA-ROA']);
    const all = (await call(admin, '/api/admin/branches')).body;
    expect((all.branches as Array<{ code: string }>).map((b) => b.code)).toEqual(expect.arrayContaining(['PROVIDENCIA', 'HANGA-ROA', 'SUCURSAL-CENTRO']));
  });

  it('refuses bad fields by name (400) and a taken code or name (409)', async () => {
    const bad = await call(admin, '/api/admin/branches', json({
      code: 'providencia norte',
      name: 'X',
      timezone: 'Mars/Olympus_Mons',
      hours: 'L-V 09:00-14:00; V 15:00-16:00',
      closedDates: ['2026-02-30'],
      queues: [{ queueType: 'CAJA' }, { queueType: 'CAJA' }],
      latitude: 123,
      color: 'azul',
    }));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('VALIDACION_FALLIDA');
    expect(Object.keys(bad.body.campos as object).sort()).toEqual(
      ['(raíz)', 'closedDates.0', 'code', 'hours', 'latitude', 'name', 'queues', 'timezone'].sort(),
    );
    expect((bad.body.campos as Record<string, string>).hours).toMatch(/V aparece dos veces/);

    const overlap = await call(admin, '/api/admin/branches', json({ code: 'OVERLAP', name: 'Sucursal Traslapada', hours: { '1': [{ opens: '09:00', closes: '14:00' }, { opens: '13:00', closes: '15:00' }] } }));
    expect(overlap.status).toBe(400);
    expect(overlap.body.campos).toEqual({ hours: 'los horarios del día L se traslapan' });

    expect((await call(admin, '/api/admin/branches', json({ code: 'PROVIDENCIA', name: 'Otra' }))).body.error).toBe('CODIGO_EN_USO');
    const sameName = await call(admin, '/api/admin/branches', json({ code: 'PROV-2', name: 'Sucursal Providencia' }));
    expect(sameName).toMatchObject({ status: 409, body: { error: 'NOMBRE_EN_USO' } });
    expect((await call(admin, '/api/admin/branches/NO-EXISTE')).status).toBe(404);
    expect((await call(admin, '/api/admin/branches/PROVIDENCIA', json({}, 'PATCH'))).status).toBe(400);
  });

  it('audits every change with the actor, old and new state', async () => {
    const changed = await call(admin, '/api/admin/branches/PROVIDENCIA', json({ hours: { '1': [{ opens: '08:30', closes: '14:00' }] }, region: 'RM' }, 'PATCH'));
    expect(changed.status).toBe(200);
    expect(changed.body.hoursText).toBe('L 08:30-14:00');
    const rows = await app.db.query<{ event_type: string; actor: string; old_state: Record<string, unknown> | null; new_state: Record<string, unknown> }>(
      `select event_type, actor, old_state, new_state from audit_log where entity_type = 'SUCURSAL' and entity_id = $1 order by id`,
      [String(changed.body.id)],
    );
    expect(rows.map((r) => [r.event_type, r.actor])).toEqual([
      ['SUCURSAL_CREADA', `staff:${admin.id}`],
      ['SUCURSAL_MODIFICADA', `staff:${admin.id}`],
    ]);
    expect(rows[0]!.new_state).toMatchObject({ code: 'PROVIDENCIA', timezone: 'America/Santiago' });
    expect(rows[1]!.old_state).toEqual({ region: 'Metropolitana', hours: expect.objectContaining({ '6': [{ opens: '10:00', closes: '13:00' }] }) });
    expect(rows[1]!.new_state).toEqual({ region: 'RM', hours: { '1': [{ opens: '08:30', closes: '14:00' }] } });
  });

  it('renames a branch: its advisors, tickets and a supervisor’s grant follow the new name', async () => {
    expect((await call(admin, '/api/admin/branches', json({ code: 'LA-FLORIDA', name: 'Sucursal La Florida' }))).status).toBe(201);
    const advisor = await call(admin, '/api/admin/advisors', json({ name: 'Rosa Tapia', email: 'rosa.tapia@banco.cl', branch: 'LA-FLORIDA', moduleNumber: 1, queueTypes: ['CAJA'] }));
    expect(advisor.status).toBe(201);
    const ticket = await app.postTicket({ nationalId: rut(700), queueType: 'CAJA', branchOffice: 'Sucursal La Florida' });
    expect(ticket.status).toBe(201);
    const supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal La Florida'] });

    const renamed = await call(admin, '/api/admin/branches/LA-FLORIDA', json({ name: 'Sucursal Florida Centro', code: 'FLORIDA-CENTRO' }, 'PATCH'));
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ code: 'FLORIDA-CENTRO', name: 'Sucursal Florida Centro', advisors: 1 });
    const [row] = await app.db.query<{ advisor: string; ticket: string }>(
      `select (select branch_office from advisor where id = $1) as advisor,
              (select branch_office from ticket where codigo_referencia = $2) as ticket`,
      [advisor.body.id, ticket.body.identificador],
    );
    expect(row).toEqual({ advisor: 'Sucursal Florida Centro', ticket: 'Sucursal Florida Centro' });
    const seen = await call(supervisor, '/api/admin/branches');
    expect((seen.body.branches as Array<{ code: string }>).map((b) => b.code)).toEqual(['FLORIDA-CENTRO']);
    expect((await call(supervisor, '/api/admin/dashboard?branchOffice=Sucursal%20Florida%20Centro')).status).toBe(200);
  });

  it('refuses to deactivate a branch with active tickets (409 SUCURSAL_CON_TICKETS), then deactivates it when none are left', async () => {
    expect((await call(admin, '/api/admin/branches', json({ code: 'MAIPU', name: 'Sucursal Maipú' }))).status).toBe(201);
    const ticket = await app.postTicket({ nationalId: rut(701), queueType: 'CAJA', branchOffice: 'Sucursal Maipú' });
    expect(ticket.status).toBe(201);
    const refused = await call(admin, '/api/admin/branches/MAIPU', json({ active: false }, 'PATCH'));
    expect(refused).toMatchObject({ status: 409, body: { error: 'SUCURSAL_CON_TICKETS', ticketsActivos: 1 } });
    const cancel = await app.request(`/api/tickets/${String(ticket.body.identificador)}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    const done = await call(admin, '/api/admin/branches/MAIPU', json({ active: false }, 'PATCH'));
    expect(done).toMatchObject({ status: 200, body: { active: false } });
    // A deactivated branch takes no tickets and gets no staff.
    expect((await app.postTicket({ nationalId: rut(702), queueType: 'CAJA', branchOffice: 'Sucursal Maipú' })).status).toBeGreaterThanOrEqual(400);
    const hire = await call(admin, '/api/admin/advisors', json({ name: 'Pedro Soto', email: 'pedro.soto@banco.cl', branch: 'MAIPU', moduleNumber: 1, queueTypes: ['CAJA'] }));
    expect(hire).toMatchObject({ status: 400, body: { campos: { branch: 'La sucursal está desactivada' } } });
    expect((await call(admin, '/api/admin/branches?active=false')).body.branches).toEqual([expect.objectContaining({ code: 'MAIPU' })]);
  });
});

describe('staff (SPEC §17)', () => {
  let staffId: number;

  it('creates an advisor (201, OFFLINE until they connect) with a module beyond the seed’s five', async () => {
    const created = await call(admin, '/api/admin/advisors', json({ name: 'Javiera Muñoz', email: 'Javiera.Munoz@Banco.cl', branch: 'PROVIDENCIA', moduleNumber: 12, queueTypes: ['PERSONAL_BANKER', 'CAJA'] }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Javiera Muñoz', email: 'javiera.munoz@banco.cl', branchOffice: 'Sucursal Providencia', moduleNumber: 12, queueTypes: ['CAJA', 'PERSONAL_BANKER'], status: 'OFFLINE', active: true });
    staffId = Number(created.body.id);
    const [audit] = await app.db.query<{ actor: string; new_state: Record<string, unknown> }>(
      `select actor, new_state from audit_log where entity_type = 'ADVISOR' and entity_id = $1 and event_type = 'ASESOR_CREADO'`,
      [String(staffId)],
    );
    expect(audit).toEqual({ actor: `staff:${admin.id}`, new_state: expect.objectContaining({ email: 'javiera.munoz@banco.cl', moduleNumber: 12 }) });
  });

  it('refuses a taken email without regard to case, a taken module, a queue the branch does not offer, bad fields', async () => {
    const base = { name: 'Otra Persona', email: 'otra@banco.cl', branch: 'PROVIDENCIA', moduleNumber: 13, queueTypes: ['CAJA'] };
    expect((await call(admin, '/api/admin/advisors', json({ ...base, email: 'JAVIERA.munoz@banco.cl' }))).body.error).toBe('EMAIL_EN_USO');
    expect((await call(admin, '/api/admin/advisors', json({ ...base, email: 'Maria.Gonzalez@banco.com' }))).body.error).toBe('EMAIL_EN_USO');
    expect(await call(admin, '/api/admin/advisors', json({ ...base, moduleNumber: 12 }))).toMatchObject({ status: 409, body: { error: 'MODULO_OCUPADO' } });
    const queue = await call(admin, '/api/admin/advisors', json({ ...base, queueTypes: ['CAJA', 'GERENCIA'] }));
    expect(queue).toMatchObject({ status: 409, body: { error: 'COLA_NO_DISPONIBLE', campos: { queueTypes: 'no las ofrece la sucursal: GERENCIA' } } });
    const bad = await call(admin, '/api/admin/advisors', json({ name: '', email: 'no-es-email', branch: 'x', moduleNumber: 100, queueTypes: [] }));
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.campos as object).sort()).toEqual(['branch', 'email', 'moduleNumber', 'name', 'queueTypes']);
    expect((await call(admin, '/api/admin/advisors', json({ ...base, branch: 'NO-EXISTE' }))).body.error).toBe('SUCURSAL_NO_ENCONTRADA');
    // The same module in another branch is fine.
    expect((await call(admin, '/api/admin/advisors', json({ ...base, branch: 'HANGA-ROA', moduleNumber: 12 }))).status).toBe(201);
  });

  it('settles two simultaneous hires for one module in the database: one 201, one 409 MODULO_OCUPADO', async () => {
    const hire = (n: number) =>
      call(admin, '/api/admin/advisors', json({ name: `Carrera ${n}`, email: `carrera.${n}@banco.cl`, branch: 'PROVIDENCIA', moduleNumber: 20, queueTypes: ['CAJA'] }));
    const results = await Promise.all([hire(1), hire(2), hire(3)]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(results.filter((r) => r.status === 409).map((r) => r.body.error)).toEqual(['MODULO_OCUPADO', 'MODULO_OCUPADO']);
  });

  it('moves an advisor to another branch only while not serving (409 ASESOR_ATENDIENDO)', async () => {
    // Open all day from now on (hours: null), so the test takes tickets whatever the hour.
    expect((await call(admin, '/api/admin/branches/PROVIDENCIA', json({ hours: null }, 'PATCH'))).body.hours).toBeNull();
    expect((await call(admin, `/api/admin/advisors/${staffId}/status`, json({ status: 'AVAILABLE' }, 'PUT'))).status).toBe(200);
    await app.db.query(`update advisor set status = 'OFFLINE' where branch_office = 'Sucursal Providencia' and id <> $1`, [staffId]);
    const ticket = await app.postTicket({ nationalId: rut(710), queueType: 'CAJA', branchOffice: 'Sucursal Providencia' });
    expect(ticket.status).toBe(201);
    await app.services.assignment.assignAvailable('Sucursal Providencia');
    const [served] = await app.db.query<{ assigned_advisor_id: string }>(`select assigned_advisor_id from ticket where codigo_referencia = $1`, [ticket.body.identificador]);
    expect(Number(served!.assigned_advisor_id)).toBe(staffId);
    const refused = await call(admin, `/api/admin/advisors/${staffId}`, json({ branch: 'HANGA-ROA', moduleNumber: 30 }, 'PATCH'));
    expect(refused).toMatchObject({ status: 409, body: { error: 'ASESOR_ATENDIENDO' } });
    expect((await call(admin, `/api/admin/advisors/${staffId}`, json({ name: 'Javiera Muñoz Rojas' }, 'PATCH'))).body.name).toBe('Javiera Muñoz Rojas');
    expect((await call(admin, `/api/admin/advisors/${staffId}/complete-ticket`, { method: 'PUT' })).status).toBe(200);
    const moved = await call(admin, `/api/admin/advisors/${staffId}`, json({ branch: 'HANGA-ROA', moduleNumber: 30 }, 'PATCH'));
    expect(moved).toMatchObject({ status: 200, body: { branchOffice: 'Sucursal Ñuñoa Rapa Nui', moduleNumber: 30 } });
    const [audit] = await app.db.query<{ old_state: Record<string, unknown>; new_state: Record<string, unknown> }>(
      `select old_state, new_state from audit_log where entity_id = $1 and event_type = 'ASESOR_MODIFICADO' order by id desc limit 1`,
      [String(staffId)],
    );
    expect(audit).toEqual({
      old_state: { branchOffice: 'Sucursal Providencia', moduleNumber: 12 },
      new_state: { branchOffice: 'Sucursal Ñuñoa Rapa Nui', moduleNumber: 30 },
    });
  });

  it('deactivates (history kept, OFFLINE, Telegram unlinked, never assigned, module freed) and reactivates', async () => {
    await app.db.query(`update advisor set telegram_user_id = 777000111 where id = $1`, [staffId]);
    const gone = await call(admin, `/api/admin/advisors/${staffId}`, { method: 'DELETE' });
    expect(gone).toMatchObject({ status: 200, body: { active: false, status: 'OFFLINE', telegramLinked: false } });
    expect((await call(admin, `/api/admin/advisors/${staffId}`, { method: 'DELETE' })).status).toBe(200); // again: nothing changes
    expect(
      (await app.db.query(`select 1 from audit_log where entity_id = $1 and event_type = 'ASESOR_DESACTIVADO'`, [String(staffId)])).length,
    ).toBe(1);
    // Their served ticket stays theirs.
    expect((await app.db.query(`select 1 from ticket where assigned_advisor_id = $1`, [staffId])).length).toBe(1);
    const status = await call(admin, `/api/admin/advisors/${staffId}/status`, json({ status: 'AVAILABLE' }, 'PUT'));
    expect(status).toMatchObject({ status: 409, body: { error: 'TRANSICION_INVALIDA' } });
    const listed = (await call(admin, '/api/admin/advisors?branchOffice=Sucursal%20%C3%91u%C3%B1oa%20Rapa%20Nui')).body.advisors as Array<{ id: number }>;
    expect(listed.map((a) => a.id)).not.toContain(staffId);
    const withInactive = (await call(admin, '/api/admin/advisors?branchOffice=Sucursal%20%C3%91u%C3%B1oa%20Rapa%20Nui&includeInactive=true')).body.advisors as Array<{ id: number }>;
    expect(withInactive.map((a) => a.id)).toContain(staffId);

    // Module 30 is free again: someone takes it; then reactivating the first is refused until it is free.
    const other = await call(admin, '/api/admin/advisors', json({ name: 'Tomás Vera', email: 'tomas.vera@banco.cl', branch: 'HANGA-ROA', moduleNumber: 30, queueTypes: ['CAJA'] }));
    expect(other.status).toBe(201);
    expect(await call(admin, `/api/admin/advisors/${staffId}/reactivate`, { method: 'POST' })).toMatchObject({ status: 409, body: { error: 'MODULO_OCUPADO' } });
    expect((await call(admin, `/api/admin/advisors/${staffId}`, json({ moduleNumber: 31 }, 'PATCH'))).status).toBe(200);
    const back = await call(admin, `/api/admin/advisors/${staffId}/reactivate`, { method: 'POST' });
    expect(back).toMatchObject({ status: 200, body: { active: true, status: 'OFFLINE', moduleNumber: 31 } });
  });

  it('a deactivated advisor is never assigned', async () => {
    const hired = await call(admin, '/api/admin/advisors', json({ name: 'Solo Caja', email: 'solo.caja@banco.cl', branch: 'PROVIDENCIA', moduleNumber: 40, queueTypes: ['CAJA'] }));
    const id = Number(hired.body.id);
    await app.db.query(`update advisor set status = 'OFFLINE' where branch_office = 'Sucursal Providencia'`);
    expect((await call(admin, `/api/admin/advisors/${id}/status`, json({ status: 'AVAILABLE' }, 'PUT'))).status).toBe(200);
    expect((await call(admin, `/api/admin/advisors/${id}`, { method: 'DELETE' })).status).toBe(200);
    const ticket = await app.postTicket({ nationalId: rut(720), queueType: 'CAJA', branchOffice: 'Sucursal Providencia' });
    expect(ticket.status).toBe(201);
    await app.services.assignment.assignAvailable('Sucursal Providencia');
    const [row] = await app.db.query<{ status: string; assigned_advisor_id: string | null }>(
      `select status, assigned_advisor_id from ticket where codigo_referencia = $1`,
      [ticket.body.identificador],
    );
    expect(row).toEqual({ status: expect.stringMatching(/^(EN_ESPERA|PROXIMO)$/), assigned_advisor_id: null });
    // Even forced in the database, an inactive advisor cannot be made AVAILABLE.
    await expect(app.db.query(`update advisor set status = 'AVAILABLE' where id = $1`, [id])).rejects.toMatchObject({ code: '23514' });
  });

  it('lets a SUPERVISOR manage the staff of their branch only', async () => {
    const supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Providencia'] });
    const own = await call(supervisor, '/api/admin/advisors', json({ name: 'Nueva Cajera', email: 'nueva.cajera@banco.cl', branch: 'PROVIDENCIA', moduleNumber: 41, queueTypes: ['CAJA'] }));
    expect(own.status).toBe(201);
    const elsewhere = await call(supervisor, '/api/admin/advisors', json({ name: 'Otro', email: 'otro.lugar@banco.cl', branch: 'HANGA-ROA', moduleNumber: 41, queueTypes: ['CAJA'] }));
    expect(elsewhere).toMatchObject({ status: 403, body: { error: 'SUCURSAL_NO_AUTORIZADA' } });
    const move = await call(supervisor, `/api/admin/advisors/${String(own.body.id)}`, json({ branch: 'HANGA-ROA' }, 'PATCH'));
    expect(move).toMatchObject({ status: 403, body: { error: 'SUCURSAL_NO_AUTORIZADA' } });
    expect((await call(supervisor, `/api/admin/advisors/${staffId}`, { method: 'DELETE' })).body.error).toBe('SUCURSAL_NO_AUTORIZADA');
    expect((await call(supervisor, '/api/admin/branches', json({ code: 'NUEVA', name: 'Nueva' }))).body.error).toBe('ROL_NO_AUTORIZADO');
    expect((await call(supervisor, '/api/admin/branches/PROVIDENCIA', json({ active: false }, 'PATCH'))).body.error).toBe('ROL_NO_AUTORIZADO');
    expect((await call(supervisor, '/api/admin/branches/HANGA-ROA')).body.error).toBe('SUCURSAL_NO_AUTORIZADA');
    expect((await call(supervisor, '/api/admin/branches')).body.branches).toEqual([expect.objectContaining({ code: 'PROVIDENCIA' })]);
  });
});
