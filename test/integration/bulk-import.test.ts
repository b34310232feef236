/**
 * SPEC §17: the bulk import of branches and staff — `POST /api/admin/import` (multipart) and
 * `npm run import` — on a generated 1,000-branch file with bad lines: the dry run names every bad
 * line and field and writes nothing, a real run with bad lines writes nothing (all or nothing), a
 * clean run creates everything with its audit, a second run changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestApp, TEST_PERSONAL_DATA_KEYS, type TestApp } from '../support/app.js';
import { readyAccount, type SignedIn } from '../support/accounts.js';
import { branchesCsv, staffCsv } from '../support/org-files.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let app: TestApp;
let admin: SignedIn;
let dir: string;

interface Report {
  dryRun: boolean;
  aplicada: boolean;
  sucursales: { crear: number; actualizar: number; desactivar: number; sinCambios: number; detalle: Record<string, string[]> };
  personal: { crear: number; actualizar: number; desactivar: number; sinCambios: number; detalle: Record<string, string[]> };
  errores: { archivo: string; linea: number | null; campo: string | null; mensaje: string }[];
  error?: string;
}

/** The import as the supervisor's page would send it: multipart, the ADMIN's session and this origin. */
async function importFiles(files: { branches?: string; staff?: string }, query = '', person: SignedIn = admin): Promise<{ status: number; body: Report }> {
  const form = new FormData();
  if (files.branches !== undefined) form.append('branches', new Blob([files.branches], { type: 'text/csv' }), 'sucursales.csv');
  if (files.staff !== undefined) form.append('staff', new Blob([files.staff], { type: 'text/csv' }), 'personal.csv');
  const response = await fetch(`${app.url}/api/admin/import${query}`, { method: 'POST', body: form, headers: { cookie: person.cookie, origin: app.url } });
  return { status: response.status, body: (await response.json()) as Report };
}

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, NODE_ENV: 'test', DATABASE_URL: app.db.url, LOG_LEVEL: 'silent', ...TEST_PERSONAL_DATA_KEYS };
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'src/modules/import/import-cli.ts', ...args], { cwd: root, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const count = async (sql: string, params: unknown[] = []): Promise<number> => Number(((await app.db.query(sql, params)) as { n: string }[])[0]!.n);
/** Everything an import may touch, to compare before and after a run that must change nothing. */
async function picture(): Promise<string> {
  const branches = await app.db.query('select * from branch order by id');
  const advisors = await app.db.query('select * from advisor order by id');
  const audit = await count('select count(*) as n from audit_log');
  const periods = await count('select count(*) as n from advisor_status_period');
  return JSON.stringify({ branches, advisors, audit, periods });
}

// 1,000 branches and 2 advisors in each; bad lines put among them (line numbers: header is 1).
const goodBranches = branchesCsv(1000);
const goodStaff = staffCsv(1000, 2);
function withBadLines(csv: string, bad: Record<number, string>): string {
  const lines = csv.trimEnd().split('\n');
  for (const [at, line] of Object.entries(bad).sort((a, b) => Number(a[0]) - Number(b[0]))) lines.splice(Number(at) - 1, 0, line);
  return `${lines.join('\n')}\n`;
}
const badBranches = withBadLines(goodBranches, {
  5: 'suc 1,Sucursal Mala,,,,,,,,CAJA',
  300: 'SUC-9001,Sucursal Zona,Metropolitana,Ñuñoa,,-33.45,-70.6,America/Santiagoo,L-V 09:00-14:00,CAJA',
  600: 'SUC-9002,Sucursal Horas,,,,,,,"L-V 14:00-09:00",CAJA',
  700: 'SUC-9003,Sucursal Colas,,,,,,,,CAJA|VIP',
  800: 'SUC-0010,Sucursal Repetida,,,,,,,,CAJA',
  900: 'SUC-9004,Sucursal Lejos,,,,-95,-70.6,,,CAJA',
});
const badStaff = withBadLines(goodStaff, {
  3: 'sin-arroba,Persona Mala,SUC-0001,3,CAJA,ASESOR',
  10: 'nueva.1@banco.cl,Persona Uno,SUC-7777,3,CAJA,ASESOR',
  20: 'nueva.2@banco.cl,Persona Dos,SUC-0001,0,CAJA,ASESOR',
  // SUC-0001 offers CAJA|PERSONAL_BANKER only (the generator's pattern)
  30: 'nueva.3@banco.cl,Persona Tres,SUC-0001,4,GERENCIA,ASESOR',
  40: 'asesor.1.1@banco.cl,Persona Repetida,SUC-0002,9,CAJA,ASESOR',
  50: 'nueva.4@banco.cl,Persona Cuatro,SUC-0002,1,CAJA,ASESOR',
  60: 'nueva.5@banco.cl,Persona Cinco,SUC-0002,5,CAJA,SUPERVISOR',
});

beforeAll(async () => {
  app = await startTestApp();
  admin = await readyAccount(app, { role: 'ADMIN' });
  dir = await mkdtemp(path.join(tmpdir(), 'ticketero-import-'));
}, 120_000);
afterAll(async () => {
  await app?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('bulk import through HTTP (SPEC §17)', () => {
  it('dry run of 1,000 branches and 2,000 people with bad lines: every bad line and field named, nothing written', async () => {
    const before = await picture();
    const { status, body } = await importFiles({ branches: badBranches, staff: badStaff }, '?dryRun=true');
    expect(status).toBe(200);
    expect(body.dryRun).toBe(true);
    expect(body.aplicada).toBe(false);
    expect(body.errores.map((e) => [e.archivo, e.linea, e.campo])).toEqual([
      ['sucursales', 5, 'code'],
      ['sucursales', 300, 'timezone'],
      ['sucursales', 600, 'hours'],
      ['sucursales', 700, 'queues'],
      ['sucursales', 800, 'code'],
      ['sucursales', 900, 'latitude'],
      ['personal', 3, 'email'],
      ['personal', 10, 'branch_code'],
      ['personal', 20, 'module_number'],
      ['personal', 30, 'queues'],
      ['personal', 40, 'email'],
      ['personal', 50, 'module_number'],
      ['personal', 60, 'role'],
    ]);
    expect(body.errores.find((e) => e.linea === 800)!.mensaje).toMatch(/repetido.*línea 12/);
    expect(body.errores.find((e) => e.linea === 600)!.mensaje).toMatch(/cerrar después de abrir/);
    expect(body.errores.find((e) => e.archivo === 'personal' && e.linea === 30)!.mensaje).toMatch(/no ofrece GERENCIA/);
    expect(body.sucursales).toMatchObject({ crear: 1000, actualizar: 0, desactivar: 0 });
    expect(body.personal).toMatchObject({ crear: 2000, actualizar: 0, desactivar: 0 });
    expect(await picture()).toBe(before);
  });

  it('a real run with bad lines writes nothing (422 with the same report)', async () => {
    const before = await picture();
    const { status, body } = await importFiles({ branches: badBranches, staff: badStaff });
    expect(status).toBe(422);
    expect(body.error).toBe('IMPORTACION_CON_ERRORES');
    expect(body.errores).toHaveLength(13);
    expect(await picture()).toBe(before);
  });

  it('the clean files import in one run with their audit; a second run changes nothing', async () => {
    const auditBefore = await count('select count(*) as n from audit_log');
    const first = await importFiles({ branches: goodBranches, staff: goodStaff });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ aplicada: true, errores: [], sucursales: { crear: 1000 }, personal: { crear: 2000 } });
    expect(await count(`select count(*) as n from branch where code like 'SUC-%'`)).toBe(1000);
    expect(await count(`select count(*) as n from advisor where email like 'asesor.%' and active and status = 'OFFLINE'`)).toBe(2000);
    expect(await count(`select count(*) as n from advisor_status_period p join advisor a on a.id = p.advisor_id where a.email like 'asesor.%' and p.ended_at is null and p.status = 'OFFLINE'`)).toBe(2000);
    // One audit row per branch and per advisor, and the import itself, all naming the ADMIN.
    expect(await count('select count(*) as n from audit_log')).toBe(auditBefore + 1000 + 2000 + 1);
    expect(await count(`select count(*) as n from audit_log where event_type = 'IMPORTACION_APLICADA' and actor = $1`, [`staff:${admin.id}`])).toBe(1);
    expect(await count(`select count(*) as n from audit_log where event_type = 'SUCURSAL_CREADA' and actor = $1`, [`staff:${admin.id}`])).toBe(1000);

    // The branch as the admin API shows it: hours from text, zone, queues; its advisors.
    const branch = (await (await admin.request('/api/admin/branches/SUC-0004')).json()) as Record<string, unknown>;
    expect(branch).toMatchObject({
      name: 'Sucursal Viña del Mar 4',
      comuna: 'Viña del Mar',
      address: "Av. Libertador B. O'Higgins 104",
      timezone: 'Pacific/Easter',
      hoursText: 'L-V 09:00-13:00,15:00-17:00; S 10:00-13:00',
      queues: [{ queueType: 'CAJA' }, { queueType: 'PERSONAL_BANKER' }],
      active: true,
      advisors: 2,
    });

    const before = await picture();
    const second = await importFiles({ branches: goodBranches, staff: goodStaff });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({
      aplicada: false,
      errores: [],
      sucursales: { crear: 0, actualizar: 0, desactivar: 0, sinCambios: 1000 },
      personal: { crear: 0, actualizar: 0, desactivar: 0, sinCambios: 2000 },
    });
    expect(await picture()).toBe(before);
  }, 60_000);

  it('updates only what changed, keeps per-queue averages, deactivates the missing only when asked; ";" files too', async () => {
    // An average set through the API survives a file that lists the same queue.
    await admin.request('/api/admin/branches/SUC-0002', { method: 'PATCH', body: JSON.stringify({ queues: [{ queueType: 'CAJA', averageServiceMinutes: 7 }, { queueType: 'PERSONAL_BANKER' }, { queueType: 'EMPRESAS' }] }) });
    const branches = branchesCsv(3, { separator: ';' }).replace(/L-V 09:00-14:00/, 'L-V 08:30-14:00');
    const changedBranches = branches.replace('SUC-0002;Sucursal Maipú 2', 'SUC-0002;Sucursal Maipú Centro');
    const staff = 'email;name;branch_code;module_number;queues;role\nasesor.2.1@banco.cl;Asesora Muñoz 2-1;SUC-0002;7;CAJA;ASESOR\n';
    const dry = await importFiles({ branches: changedBranches, staff }, '?dryRun=true&deactivateMissing=true');
    expect(dry.status).toBe(200);
    expect(dry.body.errores).toEqual([]);
    expect(dry.body.sucursales).toMatchObject({ crear: 0, actualizar: 2, sinCambios: 1, detalle: { actualizar: ['SUC-0002', 'SUC-0003'] } });
    // Every other active branch (the other 997 and the migration's) would be deactivated.
    expect(dry.body.sucursales.desactivar).toBe((await count('select count(*) as n from branch where active')) - 3);
    // 2,000 imported + the migration's advisors: all but the one in the file would go.
    expect(dry.body.personal.actualizar).toBe(1);
    expect(dry.body.personal.detalle.actualizar).toEqual(['asesor.2.1@banco.cl']);
    expect(dry.body.personal.desactivar).toBe((await count('select count(*) as n from advisor where active')) - 1);

    const real = await importFiles({ branches: changedBranches, staff: 'email;name;branch_code;module_number;queues;role\nasesor.2.1@banco.cl;Asesora Muñoz 2-1;SUC-0002;7;CAJA;ASESOR\nasesor.2.2@banco.cl;Asesora Muñoz 2-2;SUC-0002;2;CAJA|PERSONAL_BANKER;ASESOR\n' });
    expect(real.status).toBe(200);
    expect(real.body).toMatchObject({ aplicada: true, sucursales: { actualizar: 2, desactivar: 0 }, personal: { actualizar: 1, desactivar: 0 } });
    const suc2 = (await (await admin.request('/api/admin/branches/SUC-0002')).json()) as Record<string, unknown>;
    expect(suc2).toMatchObject({ name: 'Sucursal Maipú Centro', queues: [{ queueType: 'CAJA', averageServiceMinutes: 7 }, { queueType: 'PERSONAL_BANKER' }, { queueType: 'EMPRESAS' }] });
    // The rename carried the advisors (the cascade), and the audit has old and new state.
    expect(await count(`select count(*) as n from advisor where branch_office = 'Sucursal Maipú Centro'`)).toBe(2);
    const [audit] = (await app.db.query(`select old_state, new_state from audit_log where event_type = 'ASESOR_MODIFICADO' order by id desc limit 1`)) as { old_state: unknown; new_state: unknown }[];
    expect(audit).toEqual({ old_state: { moduleNumber: 1 }, new_state: { moduleNumber: 7 } });
  }, 60_000);

  it('is for ADMIN only; the import body may exceed the 16 KB of the others but not 10 MB; not JSON', async () => {
    const supervisor = await readyAccount(app, { role: 'SUPERVISOR', branches: ['Sucursal Centro'] });
    expect((await importFiles({ branches: goodBranches }, '?dryRun=true', supervisor)).status).toBe(403);
    expect(goodBranches.length).toBeGreaterThan(16 * 1024);
    const json = await fetch(`${app.url}/api/admin/import`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    const huge = await fetch(`${app.url}/api/admin/import?dryRun=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'multipart/form-data; boundary=x' },
      body: 'x'.repeat(11 * 1024 * 1024),
    });
    expect(huge.status).toBe(413);
  });
});

describe('npm run import (SPEC §17)', () => {
  it('dry run names the bad lines (exit 1); a real run applies with a progress bar; a second changes nothing', async () => {
    const branchesFile = path.join(dir, 'sucursales.csv');
    const staffFile = path.join(dir, 'personal.csv');
    await writeFile(branchesFile, withBadLines(branchesCsv(50, { offset: 2000 }), { 7: 'SUC-2003,Otro Nombre,,,,,,Mars/Olympus,,CAJA' }));
    await writeFile(staffFile, staffCsv(50, 3, { offset: 2000 }));
    const bad = await cli(['--branches', branchesFile, '--staff', staffFile, '--dry-run']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('Simulación (--dry-run)');
    expect(bad.stdout).toContain('sucursales línea 7 [code]: Código repetido');
    expect(bad.stdout).toContain('sucursales línea 7 [timezone]');

    await writeFile(branchesFile, branchesCsv(50, { offset: 2000 }));
    const dry = await cli(['--branches', branchesFile, '--staff', staffFile, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Sucursales: 50 a crear, 0 a actualizar, 0 a desactivar');
    expect(dry.stdout).toContain('Personal: 150 a crear');
    expect(await count(`select count(*) as n from branch where code like 'SUC-2%'`)).toBe(0);

    const real = await cli(['--branches', branchesFile, '--staff', staffFile]);
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('Importación aplicada.');
    expect(real.stderr).toMatch(/Importando \[.*\] 100% \| 200\/200 cambios/);
    expect(await count(`select count(*) as n from branch where code like 'SUC-2%'`)).toBe(50);
    expect(await count(`select count(*) as n from audit_log where event_type = 'IMPORTACION_APLICADA' and actor = 'SYSTEM'`)).toBe(1);

    const before = await picture();
    const again = await cli(['--branches', branchesFile, '--staff', staffFile]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('Sucursales: 0 a crear, 0 a actualizar, 0 a desactivar, 50 sin cambios');
    expect(again.stdout).toContain('Personal: 0 a crear, 0 a actualizar, 0 a desactivar, 150 sin cambios');
    expect(await picture()).toBe(before);
  }, 120_000);
});
