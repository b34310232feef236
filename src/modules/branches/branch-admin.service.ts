import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import type { BranchHours, BranchQueue } from '../../domain/branch-hours.js';
import { formatHoursText } from '../../domain/hours-text.js';
import { DomainError, ValidationError } from '../../errors.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import type { BranchZones } from './branch-zones.js';
import { branchPatchSchema, newBranchSchema, parseWith } from './branch.validation.js';

/** A branch as the admin API shows it (SPEC §17). */
export interface BranchView {
  id: number;
  code: string;
  name: string;
  region: string | null;
  comuna: string | null;
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  timezone: string;
  /** Per ISO weekday its periods; null: no hours set (open all day, the day ends at closingTime). */
  hours: BranchHours | null;
  /** The same hours as text: `L-V 09:00-14:00; S 10:00-13:00`. */
  hoursText: string;
  closingTime: string;
  closedDates: string[];
  queues: BranchQueue[];
  active: boolean;
  /** Active advisors working there. */
  advisors: number;
  createdAt: string;
  updatedAt: string;
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
  closing_time: string;
  closed_dates: string[];
  queues: BranchQueue[];
  active: boolean;
  advisors: number;
  created_at: string;
  updated_at: string;
}

const SELECT = `select b.id, b.code, b.name, b.region, b.comuna, b.address, b.latitude, b.longitude, b.timezone, b.hours,
    b.closing_time, b.closed_dates, b.queues, b.active, b.created_at, b.updated_at,
    (select count(*)::int from advisor a where a.branch_office = b.name and a.active) as advisors
  from branch b`;

const utcIso = (value: string): string => new Date(`${value}Z`).toISOString();

function toView(row: BranchRow): BranchView {
  return {
    id: Number(row.id),
    code: row.code,
    name: row.name,
    region: row.region,
    comuna: row.comuna,
    address: row.address,
    latitude: row.latitude,
    longitude: row.longitude,
    timezone: row.timezone,
    hours: row.hours,
    hoursText: formatHoursText(row.hours),
    closingTime: row.closing_time,
    closedDates: row.closed_dates,
    queues: row.queues,
    active: row.active,
    advisors: row.advisors,
    createdAt: utcIso(row.created_at),
    updatedAt: utcIso(row.updated_at),
  };
}

/** The audit's picture of a branch: what a person set, without counts or timestamps. */
export function branchState(view: BranchView): Record<string, unknown> {
  const { id: _id, advisors: _advisors, createdAt: _c, updatedAt: _u, hoursText: _t, ...state } = view;
  return state;
}

/** A unique violation or a refused zone as the API's codes (the database settles races). */
export function branchWriteError(error: unknown): DomainError | null {
  const e = error as { code?: string; constraint?: string } | null;
  if (e?.code === '23505' && e.constraint === 'branch_code_unique') return new DomainError('CODIGO_EN_USO', 'Ya existe una sucursal con ese código');
  if (e?.code === '23505' && e.constraint === 'branch_name_unique') return new DomainError('NOMBRE_EN_USO', 'Ya existe una sucursal con ese nombre');
  if (e?.code === '23514' && e.constraint === 'branch_timezone_check') {
    return new ValidationError({ timezone: 'La base de datos no conoce esa zona horaria' });
  }
  return null;
}

function branchNotFound(code: string): DomainError {
  return new DomainError('SUCURSAL_NO_ENCONTRADA', `No existe la sucursal ${code.slice(0, 40)}`);
}

/**
 * Branches as data (SPEC §17): create, edit, deactivate — each change in one transaction with its
 * audit row (old and new state, the actor). A rename is cascaded by the database to every row that
 * names the branch (trigger branch_rename_cascade), so history stays consistent.
 */
export class BranchAdminService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      zones: BranchZones;
      defaults: { timeZone: string; closingTime: string };
    },
  ) {}

  async list(filter: { q?: string; active?: boolean; names?: readonly string[] } = {}): Promise<BranchView[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.q?.trim()) {
      // Accent- and case-insensitive ("nunoa" finds "Ñuñoa"), over code, name, comuna and region.
      where.push(`${fold(`b.code || ' ' || b.name || ' ' || coalesce(b.comuna, '') || ' ' || coalesce(b.region, '')`)} like '%' || ${fold('?')} || '%'`);
      params.push(filter.q.trim().slice(0, 100).replace(/[%_\\]/g, ''));
    }
    if (filter.active !== undefined) {
      where.push('b.active = ?');
      params.push(filter.active);
    }
    if (filter.names) {
      where.push('b.name = any(?::text[])');
      params.push(filter.names);
    }
    const rows = await this.deps.db.execute<BranchRow[]>(`${SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by b.name`, params);
    return rows.map(toView);
  }

  async get(code: string): Promise<BranchView> {
    return toView(await this.row(this.deps.db, code));
  }

  /** The branch's name for a code (what the `branch_office` columns hold), or null. */
  async nameOf(code: string): Promise<string | null> {
    const [row] = await this.deps.db.execute<{ name: string }[]>('select name from branch where code = ?', [code]);
    return row?.name ?? null;
  }

  async create(body: unknown, origin: Origin): Promise<BranchView> {
    const input = parseWith(newBranchSchema, body);
    const now = this.deps.clock.now();
    try {
      const view = await this.deps.db.transactional(async (tx) => {
        const [row] = await tx.execute<{ id: string }[]>(
          `insert into branch (code, name, region, comuna, address, latitude, longitude, timezone, hours, closing_time, closed_dates, queues, active, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?::jsonb, coalesce(?::jsonb, ${DEFAULT_QUEUES}), true, ?, ?) returning id`,
          [
            input.code,
            input.name,
            input.region ?? null,
            input.comuna ?? null,
            input.address ?? null,
            input.latitude ?? null,
            input.longitude ?? null,
            input.timezone ?? this.deps.defaults.timeZone,
            input.hours ? JSON.stringify(input.hours) : null,
            input.closingTime ?? this.deps.defaults.closingTime,
            JSON.stringify(input.closedDates ?? []),
            input.queues ? JSON.stringify(input.queues) : null,
            now,
            now,
          ],
        );
        const created = toView(await this.row(tx, input.code));
        await recordAudit(tx, { entityType: 'SUCURSAL', entityId: row!.id, eventType: 'SUCURSAL_CREADA', origin, newState: branchState(created), at: now });
        return created;
      });
      this.deps.zones.invalidate();
      return view;
    } catch (error) {
      throw branchWriteError(error) ?? error;
    }
  }

  /**
   * Changes what the body names. `active: false` is refused while the branch has active tickets
   * (409 SUCURSAL_CON_TICKETS): the branch row is locked FOR UPDATE first, which a ticket's insert
   * (its FOR KEY SHARE check on the branch) waits for, so no ticket slips in between.
   */
  async update(code: string, body: unknown, origin: Origin): Promise<BranchView> {
    const patch = parseWith(branchPatchSchema, body);
    const now = this.deps.clock.now();
    try {
      const view = await this.deps.db.transactional(async (tx) => {
        const [locked] = await tx.execute<{ id: string }[]>('select id from branch where code = ? for update', [code]);
        if (!locked) throw branchNotFound(code);
        const before = toView(await this.row(tx, code));
        if (patch.active === false && before.active) {
          const [busy] = await tx.execute<{ n: number }[]>(
            `select count(*)::int as n from ticket where branch_office = ? and status in ${ACTIVE}`,
            [before.name],
          );
          if (busy && busy.n > 0) {
            throw new DomainError('SUCURSAL_CON_TICKETS', `La sucursal tiene ${busy.n} ticket(s) activos: se desactiva cuando no quede ninguno`, {
              ticketsActivos: busy.n,
            });
          }
        }
        const sets: string[] = [];
        const params: unknown[] = [];
        const set = (column: string, value: unknown, cast = ''): void => {
          sets.push(`${column} = ?${cast}`);
          params.push(value);
        };
        if (patch.code !== undefined) set('code', patch.code);
        if (patch.name !== undefined) set('name', patch.name);
        if (patch.region !== undefined) set('region', patch.region);
        if (patch.comuna !== undefined) set('comuna', patch.comuna);
        if (patch.address !== undefined) set('address', patch.address);
        if (patch.latitude !== undefined) set('latitude', patch.latitude);
        if (patch.longitude !== undefined) set('longitude', patch.longitude);
        if (patch.timezone !== undefined) set('timezone', patch.timezone);
        if (patch.hours !== undefined) set('hours', patch.hours === null ? null : JSON.stringify(patch.hours), '::jsonb');
        if (patch.closingTime !== undefined) set('closing_time', patch.closingTime);
        if (patch.closedDates !== undefined) set('closed_dates', JSON.stringify(patch.closedDates), '::jsonb');
        if (patch.queues !== undefined) set('queues', JSON.stringify(patch.queues), '::jsonb');
        if (patch.active !== undefined) set('active', patch.active);
        set('updated_at', now);
        await tx.execute(`update branch set ${sets.join(', ')} where id = ?`, [...params, locked.id]);
        const after = toView(await this.row(tx, patch.code ?? code));
        const oldState = branchState(before);
        const newState = branchState(after);
        const changed = Object.keys(newState).filter((k) => JSON.stringify(oldState[k]) !== JSON.stringify(newState[k]));
        if (changed.length) {
          await recordAudit(tx, {
            entityType: 'SUCURSAL',
            entityId: locked.id,
            eventType: 'SUCURSAL_MODIFICADA',
            origin,
            oldState: Object.fromEntries(changed.map((k) => [k, oldState[k]])),
            newState: Object.fromEntries(changed.map((k) => [k, newState[k]])),
            additionalData: { code: after.code, ...(patch.name !== undefined && before.name !== after.name ? { renombrada: true } : {}) },
            at: now,
          });
        }
        return after;
      });
      this.deps.zones.invalidate();
      return view;
    } catch (error) {
      throw branchWriteError(error) ?? error;
    }
  }

  private async row(db: Queryable, code: string): Promise<BranchRow> {
    const [row] = await db.execute<BranchRow[]>(`${SELECT} where b.code = ?`, [code]);
    if (!row) throw branchNotFound(code);
    return row;
  }
}

/** The queues of a branch created without them: every queue type (the migration's default). */
const DEFAULT_QUEUES = `'[{"queueType": "CAJA"}, {"queueType": "PERSONAL_BANKER"}, {"queueType": "EMPRESAS"}, {"queueType": "GERENCIA"}]'::jsonb`;

/** Lower case without accents, in SQL: `Ñuñoa` → `nunoa`. */
const fold = (sql: string): string => `translate(lower(${sql}), 'áéíóúüñàèìòùâêîôûÁÉÍÓÚÜÑ', 'aeiouunaeiouaeiouaeiouun')`;
