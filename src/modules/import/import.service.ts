import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import type { BranchHours, BranchQueue } from '../../domain/branch-hours.js';
import { normalizeHours, parseHoursText } from '../../domain/hours-text.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { DomainError } from '../../errors.js';
import { AUDIT_COLUMNS, recordAudit, type Origin } from '../audit/audit.service.js';
import type { BranchZones } from '../branches/branch-zones.js';
import { BRANCH_CODE, isTimeZone, normalizeQueues } from '../branches/branch.validation.js';
import { advisorWriteError, MODULE_MAX, MODULE_MIN } from '../advisors/staff.service.js';
import { branchWriteError } from '../branches/branch-admin.service.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import { parseImportCsv, type CsvRecord, type ImportProblem } from './import-csv.js';

export const BRANCH_COLUMNS = ['code', 'name', 'region', 'comuna', 'address', 'latitude', 'longitude', 'timezone', 'hours', 'queues'] as const;
export const STAFF_COLUMNS = ['email', 'name', 'branch_code', 'module_number', 'queues', 'role'] as const;
/** The roles a staff line may name: a person of the floor (their sign-in account is made apart, SPEC §18). */
export const IMPORT_ROLES = ['ASESOR'] as const;

export interface ImportRequest {
  /** The branches file's text (UTF-8), or absent. */
  branches?: string;
  staff?: string;
  dryRun: boolean;
  /** Deactivate the branches (and advisors) of the database that the given file(s) do not list. */
  deactivateMissing: boolean;
  origin: Origin;
  /** Called while it works (the CLI's progress bar). */
  onProgress?: (progress: { etapa: string; hechos: number; total: number }) => void;
}

export interface ImportCounts {
  crear: number;
  actualizar: number;
  desactivar: number;
  sinCambios: number;
}

export interface ImportReport {
  dryRun: boolean;
  /** True when a real run wrote its changes (false: a dry run, errors, or nothing to change). */
  aplicada: boolean;
  sucursales: ImportCounts & { detalle: { crear: string[]; actualizar: string[]; desactivar: string[] } };
  personal: ImportCounts & { detalle: { crear: string[]; actualizar: string[]; desactivar: string[] } };
  errores: ImportProblem[];
  ms: number;
}

interface BranchDesired {
  line: number;
  code: string;
  name: string;
  region: string | null;
  comuna: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  /** null: the existing one (or TZ_BRANCH for a new branch). */
  timezone: string | null;
  hours: BranchHours | null;
  /** null: the existing ones (or all four for a new branch). */
  queueTypes: QueueType[] | null;
}

interface StaffDesired {
  line: number;
  email: string;
  name: string;
  branchCode: string;
  moduleNumber: number;
  queueTypes: QueueType[];
}

interface BranchRow {
  id: string;
  code: string;
  name: string;
  region: string | null;
  comuna: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  hours: BranchHours | null;
  queues: BranchQueue[];
  active: boolean;
  active_tickets: number;
}

interface AdvisorRow {
  id: string;
  email: string;
  name: string;
  branch_office: string;
  module_number: number;
  queue_types: QueueType[];
  active: boolean;
  status: string;
  serving: boolean;
}

const text = (max: number, label: string) => z.string().max(max, `${label}: admite hasta ${max} caracteres`);
const optional = (value: string | undefined): string | null => (value === undefined || value.trim() === '' ? null : value.trim());

/** Canonical JSON (keys sorted) so equal states compare equal whatever the key order of jsonb. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function parseQueues(value: string, field: string, problems: ImportProblem[], archivo: ImportProblem['archivo'], line: number): QueueType[] | null {
  const items = value.split('|').map((q) => q.trim().toUpperCase()).filter(Boolean);
  const bad = items.filter((q) => !(QUEUE_TYPES as readonly string[]).includes(q));
  if (bad.length) {
    problems.push({ archivo, linea: line, campo: field, mensaje: `Cola desconocida ${bad.map((b) => `"${b.slice(0, 30)}"`).join(', ')}: deben ser ${QUEUE_TYPES.join('|')}` });
    return null;
  }
  if (new Set(items).size !== items.length) {
    problems.push({ archivo, linea: line, campo: field, mensaje: 'Una cola aparece dos veces' });
    return null;
  }
  return [...(items as QueueType[])].sort((a, b) => QUEUE_TYPES.indexOf(a) - QUEUE_TYPES.indexOf(b));
}

function parseNumber(value: string | undefined, min: number, max: number): number | null | 'bad' {
  const v = optional(value);
  if (v === null) return null;
  const n = Number(v.replace(',', '.'));
  if (!/^-?\d+(?:[.,]\d+)?$/.test(v) || !Number.isFinite(n) || n < min || n > max) return 'bad';
  return n;
}

/** Every branch line checked field by field: each bad field is one problem (line and field named). */
export function readBranchLines(records: readonly CsvRecord[]): { desired: BranchDesired[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const desired: BranchDesired[] = [];
  const codes = new Map<string, number>();
  const names = new Map<string, number>();
  for (const { line, values } of records) {
    const bad = (campo: string, mensaje: string): void => void problems.push({ archivo: 'sucursales', linea: line, campo, mensaje });
    const before = problems.length;
    const code = (values.code ?? '').trim().toUpperCase();
    if (!BRANCH_CODE.test(code)) bad('code', 'Debe tener de 2 a 20 caracteres: A-Z, 0-9 y -');
    else if (codes.has(code)) bad('code', `Código repetido: ya está en la línea ${codes.get(code)}`);
    const name = (values.name ?? '').trim();
    if (name.length < 2 || name.length > 100) bad('name', 'Debe tener de 2 a 100 caracteres');
    else if (names.has(name.toLowerCase())) bad('name', `Nombre repetido: ya está en la línea ${names.get(name.toLowerCase())}`);
    for (const [field, max] of [['region', 100], ['comuna', 100], ['address', 200]] as const) {
      if (!text(max, field).safeParse(values[field] ?? '').success) bad(field, `Admite hasta ${max} caracteres`);
    }
    const latitude = parseNumber(values.latitude, -90, 90);
    if (latitude === 'bad') bad('latitude', 'Debe ser un número entre -90 y 90');
    const longitude = parseNumber(values.longitude, -180, 180);
    if (longitude === 'bad') bad('longitude', 'Debe ser un número entre -180 y 180');
    const timezone = optional(values.timezone);
    if (timezone !== null && !isTimeZone(timezone)) bad('timezone', 'Debe ser una zona horaria IANA, p. ej. America/Santiago');
    const hoursText = optional(values.hours);
    let hours: BranchHours | null = null;
    if (hoursText !== null) {
      const parsed = parseHoursText(hoursText);
      if (parsed.ok) hours = parsed.hours;
      else bad('hours', parsed.error);
    }
    const queuesText = optional(values.queues);
    const queueTypes = queuesText === null ? null : parseQueues(queuesText, 'queues', problems, 'sucursales', line);
    if (queuesText !== null && queueTypes && queueTypes.length === 0) bad('queues', 'La sucursal debe ofrecer al menos una cola');
    if (BRANCH_CODE.test(code) && !codes.has(code)) codes.set(code, line);
    if (name.length >= 2 && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), line);
    if (problems.length > before) continue;
    desired.push({
      line,
      code,
      name,
      region: optional(values.region),
      comuna: optional(values.comuna),
      address: optional(values.address),
      latitude: latitude as number | null,
      longitude: longitude as number | null,
      timezone,
      hours,
      queueTypes,
    });
  }
  return { desired, problems };
}

export function readStaffLines(records: readonly CsvRecord[]): { desired: StaffDesired[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const desired: StaffDesired[] = [];
  const emails = new Map<string, number>();
  for (const { line, values } of records) {
    const bad = (campo: string, mensaje: string): void => void problems.push({ archivo: 'personal', linea: line, campo, mensaje });
    const before = problems.length;
    const email = (values.email ?? '').trim().toLowerCase();
    if (email.length > 100 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) bad('email', 'Debe ser un email válido (hasta 100 caracteres)');
    else if (emails.has(email)) bad('email', `Email repetido: ya está en la línea ${emails.get(email)}`);
    const name = (values.name ?? '').trim();
    if (name.length < 2 || name.length > 100) bad('name', 'Debe tener de 2 a 100 caracteres');
    const branchCode = (values.branch_code ?? '').trim().toUpperCase();
    if (!BRANCH_CODE.test(branchCode)) bad('branch_code', 'Debe ser el código de una sucursal (A-Z, 0-9 y -)');
    const moduleText = (values.module_number ?? '').trim();
    const moduleNumber = Number(moduleText);
    if (!/^\d{1,2}$/.test(moduleText) || moduleNumber < MODULE_MIN || moduleNumber > MODULE_MAX) {
      bad('module_number', `Debe ser un entero entre ${MODULE_MIN} y ${MODULE_MAX}`);
    }
    const queuesText = optional(values.queues);
    const queueTypes = queuesText === null ? null : parseQueues(queuesText, 'queues', problems, 'personal', line);
    if (queuesText === null) bad('queues', `Indica al menos una cola (${QUEUE_TYPES.join('|')})`);
    const role = (optional(values.role) ?? 'ASESOR').toUpperCase();
    if (!(IMPORT_ROLES as readonly string[]).includes(role)) {
      bad('role', 'Debe ser ASESOR (o vacío): las cuentas de supervisor se crean en /api/admin/accounts');
    }
    if (email && !emails.has(email)) emails.set(email, line);
    if (problems.length > before || !queueTypes) continue;
    desired.push({ line, email, name, branchCode, moduleNumber, queueTypes });
  }
  return { desired, problems };
}

const emptyCounts = () => ({ crear: 0, actualizar: 0, desactivar: 0, sinCambios: 0, detalle: { crear: [] as string[], actualizar: [] as string[], desactivar: [] as string[] } });

/** Rows per statement of the apply step (jsonb_to_recordset), and the progress bar's step. */
const CHUNK = 500;

/**
 * The bulk import (SPEC §17): branches and staff from CSV. Every line is checked first (each bad
 * field named with its line); a dry run reports what would be created, updated and deactivated and
 * writes nothing; a real run with no bad line applies everything in one transaction (all or
 * nothing), set-based, with an audit row per changed branch and advisor (old and new state) plus one
 * IMPORTACION_APLICADA. The file is the truth for the columns it has: a second run finds everything
 * equal and changes nothing.
 */
export class ImportService {
  constructor(private readonly deps: { db: Db; clock: Clock; zones: BranchZones; defaults: { timeZone: string; closingTime: string } }) {}

  async run(request: ImportRequest): Promise<ImportReport> {
    const started = performance.now();
    const progress = request.onProgress ?? (() => {});
    const problems: ImportProblem[] = [];
    if (request.branches === undefined && request.staff === undefined) {
      throw new DomainError('VALIDACION_FALLIDA', 'Indica al menos un archivo: sucursales (branches) o personal (staff)', {
        campos: { archivos: 'Falta branches o staff' },
      });
    }
    let branchLines: BranchDesired[] | null = null;
    if (request.branches !== undefined) {
      const csv = parseImportCsv(request.branches, 'sucursales', BRANCH_COLUMNS);
      if (!csv.ok) problems.push(csv.problem);
      else {
        const read = readBranchLines(csv.records);
        problems.push(...read.problems);
        branchLines = read.desired;
      }
    }
    let staffLines: StaffDesired[] | null = null;
    if (request.staff !== undefined) {
      const csv = parseImportCsv(request.staff, 'personal', STAFF_COLUMNS);
      if (!csv.ok) problems.push(csv.problem);
      else {
        const read = readStaffLines(csv.records);
        problems.push(...read.problems);
        staffLines = read.desired;
      }
    }
    progress({ etapa: 'leído', hechos: 0, total: 1 });

    const report: ImportReport = { dryRun: request.dryRun, aplicada: false, sucursales: emptyCounts(), personal: emptyCounts(), errores: problems, ms: 0 };
    const outcome = await this.deps.db.transactional(async (tx) => {
      // One import at a time; branch rows locked, so no ticket is taken in a branch being deactivated meanwhile.
      if (!request.dryRun) await tx.execute(`select pg_advisory_xact_lock(hashtext('ticketero:import'))`);
      const branches = await tx.execute<BranchRow[]>(
        `select b.id, b.code, b.name, b.region, b.comuna, b.address, b.latitude, b.longitude, b.timezone, b.hours, b.queues, b.active,
           (select count(*)::int from ticket t where t.branch_office = b.name and t.status in ${ACTIVE}) as active_tickets
         from branch b order by b.id ${request.dryRun ? '' : 'for update of b'}`,
      );
      const advisors =
        request.staff !== undefined
          ? await tx.execute<AdvisorRow[]>(
              `select a.id, lower(a.email) as email, a.name, a.branch_office, a.module_number, a.queue_types, a.active, a.status,
                 exists (select 1 from ticket t where t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO') as serving
               from advisor a order by a.id ${request.dryRun ? '' : 'for update of a'}`,
            )
          : [];
      const plan = this.plan(request, branches, advisors, branchLines, staffLines, problems, report);
      progress({ etapa: 'validado', hechos: 0, total: plan.total });
      if (problems.length || request.dryRun || plan.total === 0) {
        progress({ etapa: request.dryRun ? 'simulado' : 'sin cambios', hechos: plan.total, total: plan.total });
        return false;
      }
      try {
        await this.apply(tx, plan, request.origin, (hechos) => progress({ etapa: 'aplicando', hechos, total: plan.total }));
      } catch (error) {
        // What only the database saw (two rows trading a module or a name within one file): all rolled back.
        throw branchWriteError(error) ?? advisorWriteError(error) ?? error;
      }
      return true;
    });
    if (outcome) this.deps.zones.invalidate();
    report.aplicada = outcome;
    report.ms = Math.round(performance.now() - started);
    return report;
  }

  private plan(
    request: ImportRequest,
    branches: BranchRow[],
    advisors: AdvisorRow[],
    branchLines: BranchDesired[] | null,
    staffLines: StaffDesired[] | null,
    problems: ImportProblem[],
    report: ImportReport,
  ): Plan {
    const plan: Plan = { branchCreates: [], branchUpdates: [], branchDeactivations: [], staffCreates: [], staffUpdates: [], staffDeactivations: [], total: 0 };
    const byCode = new Map(branches.map((b) => [b.code, b]));
    // The branches as they will be: code → {name, active, queues}.
    const final = new Map(branches.map((b) => [b.code, { name: b.name, active: b.active, queues: b.queues.map((q) => q.queueType) }]));

    if (branchLines) {
      const listed = new Set(branchLines.map((b) => b.code));
      for (const line of branchLines) {
        const existing = byCode.get(line.code);
        const queues: BranchQueue[] = line.queueTypes
          ? normalizeQueues(
              line.queueTypes.map((queueType) => {
                // The file has no averages: an existing queue keeps its own.
                const kept = existing?.queues.find((q) => q.queueType === queueType)?.averageServiceMinutes;
                return kept === undefined ? { queueType } : { queueType, averageServiceMinutes: kept };
              }),
            )
          : existing
            ? normalizeQueues(existing.queues)
            : QUEUE_TYPES.map((queueType) => ({ queueType }));
        const state: BranchState = {
          code: line.code,
          name: line.name,
          region: line.region,
          comuna: line.comuna,
          address: line.address,
          latitude: line.latitude,
          longitude: line.longitude,
          timezone: line.timezone ?? existing?.timezone ?? this.deps.defaults.timeZone,
          hours: line.hours,
          queues,
          active: true,
        };
        final.set(line.code, { name: line.name, active: true, queues: queues.map((q) => q.queueType) });
        if (!existing) {
          plan.branchCreates.push(state);
          continue;
        }
        const before = branchStateOf(existing);
        const changed = (Object.keys(state) as (keyof BranchState)[]).filter((k) => canonical(before[k]) !== canonical(state[k]));
        if (changed.length) plan.branchUpdates.push({ id: existing.id, before, after: state, changed });
        else report.sucursales.sinCambios++;
      }
      if (request.deactivateMissing) {
        for (const b of branches) {
          if (listed.has(b.code) || !b.active) continue;
          if (b.active_tickets > 0) {
            problems.push({ archivo: 'sucursales', linea: null, campo: 'code', mensaje: `${b.code} no está en el archivo y tiene ${b.active_tickets} ticket(s) activos: no se puede desactivar` });
            continue;
          }
          plan.branchDeactivations.push({ id: b.id, code: b.code, before: branchStateOf(b) });
          final.set(b.code, { ...final.get(b.code)!, active: false });
        }
      }
      // A name must stay unique across the branches as they will be.
      const owner = new Map<string, string>();
      for (const [code, b] of final) {
        const key = b.name;
        const other = owner.get(key);
        if (other !== undefined) {
          const line = branchLines.find((l) => l.code === code || l.code === other);
          problems.push({ archivo: 'sucursales', linea: line?.line ?? null, campo: 'name', mensaje: `El nombre "${b.name}" ya lo tiene la sucursal ${line?.code === code ? other : code}` });
        } else owner.set(key, code);
      }
    }

    // What a branch name of today will be after this import (a rename carries its rows along).
    const codeByName = new Map(branches.map((b) => [b.name, b.code]));
    const finalName = (name: string): string => final.get(codeByName.get(name) ?? '')?.name ?? name;
    if (staffLines) {
      const byEmail = new Map(advisors.map((a) => [a.email, a]));
      const listed = new Set(staffLines.map((s) => s.email));
      // Active advisors per (branch, module) as they will be: the file's, plus the others kept.
      const modules = new Map<string, { email: string; line: number | null }>();
      const keep = (branchName: string, moduleNumber: number, email: string, line: number | null): boolean => {
        const key = `${branchName}\u0000${moduleNumber}`;
        const other = modules.get(key);
        if (other && line !== null) {
          problems.push({
            archivo: 'personal',
            linea: line,
            campo: 'module_number',
            mensaje: `El módulo ${moduleNumber} ya lo ocupa ${other.line !== null ? `la línea ${other.line}` : `${other.email} (activo, no está en el archivo)`}`,
          });
          return false;
        }
        if (!other) modules.set(key, { email, line });
        return true;
      };
      const deactivating = new Set<string>();
      if (request.deactivateMissing) {
        for (const a of advisors) {
          if (!a.active || listed.has(a.email)) continue;
          if (a.serving) {
            problems.push({ archivo: 'personal', linea: null, campo: 'email', mensaje: `${a.email} no está en el archivo y está atendiendo: no se puede desactivar` });
            continue;
          }
          deactivating.add(a.email);
          plan.staffDeactivations.push({ id: a.id, email: a.email, before: advisorStateOf(a), wasOffline: a.status === 'OFFLINE' });
        }
      }
      for (const a of advisors) {
        if (a.active && !listed.has(a.email) && !deactivating.has(a.email)) keep(finalName(a.branch_office), a.module_number, a.email, null);
      }
      for (const line of staffLines) {
        const branch = final.get(line.branchCode);
        if (!branch) {
          problems.push({ archivo: 'personal', linea: line.line, campo: 'branch_code', mensaje: `No existe la sucursal ${line.branchCode} (ni en la base ni en el archivo de sucursales)` });
          continue;
        }
        if (!branch.active) {
          problems.push({ archivo: 'personal', linea: line.line, campo: 'branch_code', mensaje: `La sucursal ${line.branchCode} está desactivada` });
          continue;
        }
        const missing = line.queueTypes.filter((q) => !branch.queues.includes(q));
        if (missing.length) {
          problems.push({ archivo: 'personal', linea: line.line, campo: 'queues', mensaje: `La sucursal ${line.branchCode} no ofrece ${missing.join(', ')}` });
          continue;
        }
        if (!keep(branch.name, line.moduleNumber, line.email, line.line)) continue;
        const existing = byEmail.get(line.email);
        const state: AdvisorState = { name: line.name, email: line.email, branchOffice: branch.name, moduleNumber: line.moduleNumber, queueTypes: line.queueTypes, active: true };
        if (!existing) {
          plan.staffCreates.push(state);
          continue;
        }
        const before = advisorStateOf(existing);
        // A branch renamed by this import: the advisor's row follows it (the rename's cascade).
        const comparable = { ...before, branchOffice: finalName(existing.branch_office) };
        const changed = (Object.keys(state) as (keyof AdvisorState)[]).filter((k) => canonical(comparable[k]) !== canonical(state[k]));
        if (!changed.length) {
          report.personal.sinCambios++;
          continue;
        }
        const moves = comparable.branchOffice !== state.branchOffice;
        if (moves && existing.serving) {
          problems.push({ archivo: 'personal', linea: line.line, campo: 'branch_code', mensaje: `${line.email} está atendiendo: no se puede cambiar de sucursal ahora` });
          continue;
        }
        plan.staffUpdates.push({ id: existing.id, before, after: state, changed, moves });
      }
    }

    report.sucursales.crear = plan.branchCreates.length;
    report.sucursales.actualizar = plan.branchUpdates.length;
    report.sucursales.desactivar = plan.branchDeactivations.length;
    report.sucursales.detalle = {
      crear: plan.branchCreates.map((b) => b.code),
      actualizar: plan.branchUpdates.map((b) => b.after.code),
      desactivar: plan.branchDeactivations.map((b) => b.code),
    };
    report.personal.crear = plan.staffCreates.length;
    report.personal.actualizar = plan.staffUpdates.length;
    report.personal.desactivar = plan.staffDeactivations.length;
    report.personal.detalle = {
      crear: plan.staffCreates.map((s) => s.email),
      actualizar: plan.staffUpdates.map((s) => s.after.email),
      desactivar: plan.staffDeactivations.map((s) => s.email),
    };
    problems.sort((a, b) => (a.archivo === b.archivo ? (a.linea ?? 0) - (b.linea ?? 0) : a.archivo === 'sucursales' ? -1 : 1));
    plan.total =
      plan.branchCreates.length + plan.branchUpdates.length + plan.branchDeactivations.length + plan.staffCreates.length + plan.staffUpdates.length + plan.staffDeactivations.length;
    return plan;
  }

  private async apply(tx: Queryable, plan: Plan, origin: Origin, progress: (done: number) => void): Promise<void> {
    const now = this.deps.clock.now();
    let done = 0;
    const step = (n: number): void => {
      done += n;
      progress(done);
    };
    const audits: AuditRow[] = [];

    for (const chunk of chunks(plan.branchCreates)) {
      const rows = await tx.execute<{ id: string; code: string }[]>(
        `insert into branch (code, name, region, comuna, address, latitude, longitude, timezone, hours, closing_time, closed_dates, queues, active, created_at, updated_at)
         select x.code, x.name, x.region, x.comuna, x.address, x.latitude, x.longitude, x.timezone, x.hours, ?, '[]'::jsonb, x.queues, true, ?, ?
         from jsonb_to_recordset(?::jsonb) as x(code text, name text, region text, comuna text, address text, latitude float8, longitude float8,
           timezone text, hours jsonb, queues jsonb)
         returning id, code`,
        [this.deps.defaults.closingTime, now, now, JSON.stringify(chunk)],
      );
      const ids = new Map(rows.map((r) => [r.code, r.id]));
      for (const b of chunk) audits.push({ entity_type: 'SUCURSAL', entity_id: ids.get(b.code)!, event_type: 'SUCURSAL_CREADA', old_state: null, new_state: { ...b, closingTime: this.deps.defaults.closingTime, closedDates: [] } });
      step(chunk.length);
    }
    for (const chunk of chunks(plan.branchUpdates)) {
      await tx.execute(
        `update branch b set code = x.code, name = x.name, region = x.region, comuna = x.comuna, address = x.address, latitude = x.latitude,
           longitude = x.longitude, timezone = x.timezone, hours = x.hours, queues = x.queues, active = true, updated_at = ?
         from jsonb_to_recordset(?::jsonb) as x(id bigint, code text, name text, region text, comuna text, address text, latitude float8,
           longitude float8, timezone text, hours jsonb, queues jsonb)
         where b.id = x.id`,
        [now, JSON.stringify(chunk.map((u) => ({ id: u.id, ...u.after })))],
      );
      for (const u of chunk) {
        audits.push({
          entity_type: 'SUCURSAL',
          entity_id: u.id,
          event_type: 'SUCURSAL_MODIFICADA',
          old_state: pick(u.before, u.changed),
          new_state: pick(u.after, u.changed),
          additional_data: { code: u.after.code, importacion: true },
        });
      }
      step(chunk.length);
    }
    for (const chunk of chunks(plan.branchDeactivations)) {
      await tx.execute(`update branch set active = false, updated_at = ? where id = any(?::bigint[])`, [now, chunk.map((d) => d.id)]);
      for (const d of chunk) {
        audits.push({ entity_type: 'SUCURSAL', entity_id: d.id, event_type: 'SUCURSAL_MODIFICADA', old_state: { active: true }, new_state: { active: false }, additional_data: { code: d.code, importacion: true } });
      }
      step(chunk.length);
    }
    // Advisors leave before others take their modules.
    for (const chunk of chunks(plan.staffDeactivations)) {
      const ids = chunk.map((d) => d.id);
      await tx.execute(
        `update advisor set active = false, status = 'OFFLINE', pause_reason = null, telegram_user_id = null, updated_at = ? where id = any(?::bigint[])`,
        [now, ids],
      );
      const moving = chunk.filter((d) => !d.wasOffline).map((d) => d.id);
      if (moving.length) {
        await tx.execute(`update advisor_status_period set ended_at = ? where advisor_id = any(?::bigint[]) and ended_at is null`, [now, moving]);
        await tx.execute(
          `insert into advisor_status_period (advisor_id, status, reason, started_at) select unnest(?::bigint[]), 'OFFLINE', null, ?`,
          [moving, now],
        );
      }
      await tx.execute(`delete from advisor_link_code where advisor_id = any(?::bigint[]) and used_at is null`, [ids]);
      await tx.execute(
        `update ticket set reserved_advisor_id = null, updated_at = ? where reserved_advisor_id = any(?::bigint[]) and status in ('EN_ESPERA', 'PROXIMO')`,
        [now, ids],
      );
      for (const d of chunk) {
        audits.push({ entity_type: 'ADVISOR', entity_id: d.id, event_type: 'ASESOR_DESACTIVADO', old_state: { active: true, status: d.before.status }, new_state: { active: false, status: 'OFFLINE' }, additional_data: { importacion: true } });
      }
      step(chunk.length);
    }
    for (const chunk of chunks(plan.staffUpdates)) {
      await tx.execute(
        `update advisor a set name = x.name, email = x.email, branch_office = x.branch_office, module_number = x.module_number,
           queue_types = x.queue_types::json, active = true, updated_at = ?
         from jsonb_to_recordset(?::jsonb) as x(id bigint, name text, email text, branch_office text, module_number int, queue_types jsonb)
         where a.id = x.id`,
        [
          now,
          JSON.stringify(
            chunk.map((u) => ({ id: u.id, name: u.after.name, email: u.after.email, branch_office: u.after.branchOffice, module_number: u.after.moduleNumber, queue_types: u.after.queueTypes })),
          ),
        ],
      );
      const moved = chunk.filter((u) => u.moves).map((u) => u.id);
      if (moved.length) {
        // As a move through the API: tickets transferred to them by name go back to their line.
        await tx.execute(
          `update ticket set reserved_advisor_id = null, updated_at = ? where reserved_advisor_id = any(?::bigint[]) and status in ('EN_ESPERA', 'PROXIMO')`,
          [now, moved],
        );
      }
      for (const u of chunk) {
        const reactivated = u.changed.includes('active');
        audits.push({
          entity_type: 'ADVISOR',
          entity_id: u.id,
          event_type: reactivated ? 'ASESOR_REACTIVADO' : 'ASESOR_MODIFICADO',
          old_state: pick(u.before, u.changed),
          new_state: pick(u.after, u.changed),
          additional_data: { importacion: true },
        });
      }
      step(chunk.length);
    }
    for (const chunk of chunks(plan.staffCreates)) {
      const rows = await tx.execute<{ id: string; email: string }[]>(
        `insert into advisor (name, email, status, module_number, queue_types, branch_office, active, created_at, updated_at)
         select x.name, x.email, 'OFFLINE', x.module_number, x.queue_types::json, x.branch_office, true, ?, ?
         from jsonb_to_recordset(?::jsonb) as x(name text, email text, module_number int, queue_types jsonb, branch_office text)
         returning id, email`,
        [
          now,
          now,
          JSON.stringify(chunk.map((s) => ({ name: s.name, email: s.email, module_number: s.moduleNumber, queue_types: s.queueTypes, branch_office: s.branchOffice }))),
        ],
      );
      await tx.execute(`insert into advisor_status_period (advisor_id, status, reason, started_at) select unnest(?::bigint[]), 'OFFLINE', null, ?`, [
        rows.map((r) => r.id),
        now,
      ]);
      const ids = new Map(rows.map((r) => [r.email, r.id]));
      for (const s of chunk) audits.push({ entity_type: 'ADVISOR', entity_id: ids.get(s.email)!, event_type: 'ASESOR_CREADO', old_state: null, new_state: { ...s }, additional_data: { importacion: true } });
      step(chunk.length);
    }

    const extra = { ...(origin.email ? { email: origin.email } : {}) };
    for (const chunk of chunks(audits, 2000)) {
      await tx.execute(
        `insert into audit_log (${AUDIT_COLUMNS})
         select x.entity_type, x.entity_id, x.event_type, ?, x.old_state::json, x.new_state::json, x.additional_data::json, ?, ?, ?
         from jsonb_to_recordset(?::jsonb) as x(entity_type text, entity_id text, event_type text, old_state jsonb, new_state jsonb, additional_data jsonb)`,
        [
          origin.actor.slice(0, 100),
          origin.ipAddress?.slice(0, 45) ?? null,
          origin.userAgent?.slice(0, 500) ?? null,
          now,
          JSON.stringify(chunk.map((a) => ({ ...a, additional_data: { ...(a.additional_data ?? {}), ...extra } }))),
        ],
      );
    }
    await recordAudit(tx, {
      entityType: 'IMPORTACION',
      entityId: now.toISOString(),
      eventType: 'IMPORTACION_APLICADA',
      origin,
      newState: {
        sucursales: { crear: plan.branchCreates.length, actualizar: plan.branchUpdates.length, desactivar: plan.branchDeactivations.length },
        personal: { crear: plan.staffCreates.length, actualizar: plan.staffUpdates.length, desactivar: plan.staffDeactivations.length },
      },
      at: now,
    });
  }
}

interface BranchState {
  code: string;
  name: string;
  region: string | null;
  comuna: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  hours: BranchHours | null;
  queues: BranchQueue[];
  active: boolean;
}

interface AdvisorState {
  name: string;
  email: string;
  branchOffice: string;
  moduleNumber: number;
  queueTypes: QueueType[];
  active: boolean;
}

interface AuditRow {
  entity_type: 'SUCURSAL' | 'ADVISOR';
  entity_id: string;
  event_type: 'SUCURSAL_CREADA' | 'SUCURSAL_MODIFICADA' | 'ASESOR_CREADO' | 'ASESOR_MODIFICADO' | 'ASESOR_DESACTIVADO' | 'ASESOR_REACTIVADO';
  old_state: Record<string, unknown> | null;
  new_state: Record<string, unknown> | null;
  additional_data?: Record<string, unknown>;
}

interface Plan {
  branchCreates: BranchState[];
  branchUpdates: { id: string; before: BranchState; after: BranchState; changed: (keyof BranchState)[] }[];
  branchDeactivations: { id: string; code: string; before: BranchState }[];
  staffCreates: AdvisorState[];
  staffUpdates: { id: string; before: AdvisorState; after: AdvisorState; changed: (keyof AdvisorState)[]; moves: boolean }[];
  staffDeactivations: { id: string; email: string; before: AdvisorState & { status?: string }; wasOffline: boolean }[];
  total: number;
}

function branchStateOf(b: BranchRow): BranchState {
  return {
    code: b.code,
    name: b.name,
    region: b.region,
    comuna: b.comuna,
    address: b.address,
    latitude: b.latitude,
    longitude: b.longitude,
    timezone: b.timezone,
    hours: b.hours ? normalizeHours(b.hours) : null,
    queues: normalizeQueues(b.queues),
    active: b.active,
  };
}

function advisorStateOf(a: AdvisorRow): AdvisorState & { status: string } {
  const queueTypes = [...a.queue_types].sort((x, y) => QUEUE_TYPES.indexOf(x) - QUEUE_TYPES.indexOf(y));
  return { name: a.name, email: a.email, branchOffice: a.branch_office, moduleNumber: a.module_number, queueTypes, active: a.active, status: a.status };
}

function pick<T extends object>(state: T, keys: readonly (keyof T)[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, state[k]]));
}

function* chunks<T>(items: readonly T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
