import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import { DomainError, ValidationError, fieldErrors, type FieldErrors } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import type { Principal } from '../accounts/principal.js';
import { DEVICE_KINDS, type DeviceKind } from './device-kinds.js';

/** ESC/POS printers listen on raw TCP 9100 unless told otherwise (SPEC §19). */
export const DEFAULT_PRINTER_PORT = 9100;
/** `last_seen_at` is written at most this often per device: a tótem's every request stays a read. */
export const LAST_SEEN_EVERY_MS = 60_000;
export const DEVICE_TOKEN_PREFIX: Record<DeviceKind, string> = { KIOSK: 'tk_kiosk_', SCREEN: 'tk_screen_' };

const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');
/** A device token: its prefix and 32 random bytes in base64url (43 characters). */
const DEVICE_TOKEN = /^tk_(kiosk|screen)_[A-Za-z0-9_-]{43}$/;

/** Where a KIOSK device's tickets are printed (SPEC §19). A stable shape: the printing module builds on it. */
export interface DevicePrinter {
  deviceId: number;
  host: string;
  port: number;
}

export interface DeviceView {
  id: number;
  kind: DeviceKind;
  name: string;
  /** The branch's code and name (the name is what tickets and advisors hold). */
  branch: string;
  branchName: string;
  tokenPrefix: string;
  printer: { host: string; port: number } | null;
  createdBy: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
  active: boolean;
}

/** Who a device token belongs to: what the HTTP layer turns into the request's principal. */
export interface AuthenticatedDevice {
  id: number;
  kind: DeviceKind;
  name: string;
  branchCode: string;
  branchName: string;
}

interface DeviceRow {
  id: string;
  kind: DeviceKind;
  name: string;
  branch_code: string;
  branch_name: string;
  token_prefix: string;
  printer_host: string | null;
  printer_port: number | null;
  created_by: string | null;
  created_at: string;
  last_seen_at: string | null;
  revoked_at: string | null;
}

const SELECT_DEVICE = `select d.id, d.kind, d.name, b.code as branch_code, b.name as branch_name, d.token_prefix, d.printer_host,
  d.printer_port, d.created_by, d.created_at, d.last_seen_at, d.revoked_at
  from device d join branch b on b.id = d.branch_id`;

const utcIso = (value: string | null): string | null => (value == null ? null : new Date(`${value}Z`).toISOString());

function view(row: DeviceRow): DeviceView {
  return {
    id: Number(row.id),
    kind: row.kind,
    name: row.name,
    branch: row.branch_code,
    branchName: row.branch_name,
    tokenPrefix: row.token_prefix,
    printer: row.printer_host === null ? null : { host: row.printer_host, port: row.printer_port ?? DEFAULT_PRINTER_PORT },
    createdBy: row.created_by,
    createdAt: utcIso(row.created_at)!,
    lastSeenAt: utcIso(row.last_seen_at),
    revokedAt: utcIso(row.revoked_at),
    active: row.revoked_at === null,
  };
}

function stateOf(device: DeviceView): Record<string, string | number | boolean | null> {
  return {
    kind: device.kind,
    name: device.name,
    branch: device.branch,
    printerHost: device.printer?.host ?? null,
    printerPort: device.printer?.port ?? null,
    active: device.active,
  };
}

/**
 * A branch's devices (SPEC §17): tótems (KIOSK) and waiting-room screens (SCREEN), each with its
 * own token — shown once at creation, only its SHA-256 kept — revocable at once on every instance:
 * nothing is cached, every request looks its token's hash up (one indexed read; see docs/devices.md
 * for its cost). Every change is one transaction with its audit row naming who did it.
 */
export class DeviceService {
  constructor(private readonly deps: { db: Db; clock: Clock; logger?: Logger }) {}

  private get now(): Date {
    return this.deps.clock.now();
  }

  /** Creates a device of the branch (by code); the token is in this answer and nowhere else, ever. */
  async create(branchCode: string, input: unknown, by: Origin): Promise<{ device: DeviceView; token: string }> {
    const command = parseNewDevice(input);
    return this.deps.db.transactional(async (tx) => {
      const branchId = await branchIdOf(tx, branchCode);
      return this.insert(tx, branchId, command, by);
    });
  }

  /** The same, inside the caller's transaction, for a branch by name (the first run's tótem). */
  async createInTransaction(
    tx: Queryable,
    branchName: string,
    command: NewDevice,
    by: Origin,
  ): Promise<{ device: DeviceView; token: string }> {
    const [branch] = await tx.execute<Array<{ id: string }>>('select id from branch where name = ?', [branchName]);
    if (!branch) throw new DomainError('SUCURSAL_NO_ENCONTRADA', `No existe la sucursal "${branchName}"`);
    return this.insert(tx, Number(branch.id), command, by);
  }

  private async insert(tx: Queryable, branchId: number, command: NewDevice, by: Origin): Promise<{ device: DeviceView; token: string }> {
    const prefix = DEVICE_TOKEN_PREFIX[command.kind];
    const token = `${prefix}${randomBytes(32).toString('base64url')}`;
    const [row] = await tx.execute<Array<{ id: string }>>(
      `insert into device (kind, branch_id, name, token_hash, token_prefix, created_by, created_at, printer_host, printer_port)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?) returning id`,
      [
        command.kind,
        branchId,
        command.name,
        sha256(token),
        token.slice(0, prefix.length + 4),
        by.actor.slice(0, 100),
        this.now,
        command.printer?.host ?? null,
        command.printer?.port ?? null,
      ],
    );
    const device = (await this.read(tx, Number(row!.id)))!;
    await recordAudit(tx, {
      entityType: 'DISPOSITIVO',
      entityId: device.id,
      eventType: 'DISPOSITIVO_CREADO',
      origin: by,
      newState: stateOf(device),
      at: this.now,
    });
    return { device, token };
  }

  /** A branch's devices (by code), the revoked ones too (last), newest first within each. */
  async list(branchCode: string): Promise<DeviceView[]> {
    const branchId = await branchIdOf(this.deps.db, branchCode);
    const rows = await this.deps.db.execute<DeviceRow[]>(
      `${SELECT_DEVICE} where d.branch_id = ? order by d.revoked_at is not null, d.id desc`,
      [branchId],
    );
    return rows.map(view);
  }

  async get(id: number): Promise<DeviceView> {
    const device = await this.read(this.deps.db, id);
    if (!device) throw new DomainError('NO_ENCONTRADO', 'No existe ese dispositivo');
    return device;
  }

  private async read(db: Queryable, id: number, lock = false): Promise<DeviceView | null> {
    const [row] = await db.execute<DeviceRow[]>(`${SELECT_DEVICE} where d.id = ?${lock ? ' for update of d' : ''}`, [id]);
    return row ? view(row) : null;
  }

  /** The name and the printer (SPEC §19: `{printer: {host, port} | null}`); a revoked device changes no more. */
  async update(id: number, input: unknown, by: Origin): Promise<DeviceView> {
    const command = parseDeviceChange(input);
    return this.deps.db.transactional(async (tx) => {
      const before = await this.read(tx, id, true);
      if (!before) throw new DomainError('NO_ENCONTRADO', 'No existe ese dispositivo');
      if (!before.active) throw new DomainError('TRANSICION_INVALIDA', 'El dispositivo está revocado: crea uno nuevo');
      if (command.printer && before.kind !== 'KIOSK') throw new ValidationError({ printer: 'Solo un tótem (KIOSK) tiene impresora' });
      const printer = command.printer === undefined ? before.printer : command.printer;
      await tx.execute(`update device set name = ?, printer_host = ?, printer_port = ? where id = ?`, [
        command.name ?? before.name,
        printer?.host ?? null,
        printer?.port ?? null,
        id,
      ]);
      const after = (await this.read(tx, id))!;
      await recordAudit(tx, {
        entityType: 'DISPOSITIVO',
        entityId: id,
        eventType: 'DISPOSITIVO_MODIFICADO',
        origin: by,
        oldState: stateOf(before),
        newState: stateOf(after),
        at: this.now,
      });
      return after;
    });
  }

  /**
   * Revokes the device's token: the very next request with it, on any instance, is refused (nothing
   * caches a device). Revoking twice keeps the first moment and writes no second audit row.
   */
  async revoke(id: number, by: Origin): Promise<DeviceView> {
    return this.deps.db.transactional(async (tx) => {
      const before = await this.read(tx, id, true);
      if (!before) throw new DomainError('NO_ENCONTRADO', 'No existe ese dispositivo');
      if (!before.active) return before;
      await tx.execute('update device set revoked_at = ? where id = ?', [this.now, id]);
      const after = (await this.read(tx, id))!;
      await recordAudit(tx, {
        entityType: 'DISPOSITIVO',
        entityId: id,
        eventType: 'DISPOSITIVO_REVOCADO',
        origin: by,
        oldState: stateOf(before),
        newState: stateOf(after),
        at: this.now,
      });
      return after;
    });
  }

  /**
   * A device token's device, or null (malformed, unknown or revoked). One indexed read per request;
   * `last_seen_at` is written only when it is a minute old, so a busy tótem does not write per request.
   */
  async authenticate(token: string): Promise<AuthenticatedDevice | null> {
    if (!DEVICE_TOKEN.test(token)) return null;
    const [row] = await this.deps.db.execute<
      Array<{ id: string; kind: DeviceKind; name: string; branch_code: string; branch_name: string; stale: boolean }>
    >(
      `select d.id, d.kind, d.name, b.code as branch_code, b.name as branch_name,
              (d.last_seen_at is null or d.last_seen_at < ?::timestamp) as stale
         from device d join branch b on b.id = d.branch_id
        where d.token_hash = ? and d.revoked_at is null`,
      [new Date(this.now.getTime() - LAST_SEEN_EVERY_MS), sha256(token)],
    );
    if (!row) return null;
    const id = Number(row.id);
    if (row.stale) {
      // Best effort: a failed touch must not refuse the request it rides on.
      await this.deps.db
        .execute('update device set last_seen_at = ? where id = ? and (last_seen_at is null or last_seen_at < ?::timestamp)', [
          this.now,
          id,
          new Date(this.now.getTime() - LAST_SEEN_EVERY_MS),
        ])
        .catch((error: unknown) => this.deps.logger?.warn({ err: error, device: id }, 'no se pudo anotar last_seen_at del dispositivo'));
    }
    return { id, kind: row.kind, name: row.name, branchCode: row.branch_code, branchName: row.branch_name };
  }

  /** The branch (its name) of a device, or null when there is no such device: for the route table's scope. */
  async branchOf(id: number): Promise<string | null> {
    const [row] = await this.deps.db.execute<Array<{ name: string }>>(
      'select b.name from device d join branch b on b.id = d.branch_id where d.id = ?',
      [id],
    );
    return row?.name ?? null;
  }

  /** A branch's name by its code, or null: for the route table's scope. */
  async branchNameByCode(code: string): Promise<string | null> {
    const normalized = code.trim().toUpperCase();
    if (!/^[A-Z0-9-]{2,20}$/.test(normalized)) return null;
    const [row] = await this.deps.db.execute<Array<{ name: string }>>('select name from branch where code = ?', [normalized]);
    return row?.name ?? null;
  }

  /** Where the tickets this device takes are printed, or null (no printer, revoked, or no such device). */
  async devicePrinter(deviceId: number): Promise<DevicePrinter | null> {
    return devicePrinter(this.deps.db, deviceId);
  }
}

/**
 * SPEC §19: the printer of an active KIOSK device, or null. The printing module calls this for the
 * device that took a ticket (`ticket.device_id`, or the request's principal `device:<id>`); keep its
 * shape `{deviceId, host, port}`.
 */
export async function devicePrinter(db: Queryable, deviceId: number): Promise<DevicePrinter | null> {
  const [row] = await db.execute<Array<{ printer_host: string; printer_port: number | null }>>(
    `select printer_host, printer_port from device
      where id = ? and kind = 'KIOSK' and revoked_at is null and printer_host is not null`,
    [deviceId],
  );
  return row ? { deviceId, host: row.printer_host, port: row.printer_port ?? DEFAULT_PRINTER_PORT } : null;
}

/** A device's principal: its actor is `device:<id>`, its only branch its own (SPEC §17, §18). */
export function devicePrincipal(device: AuthenticatedDevice): Principal {
  return {
    kind: 'device',
    id: device.id,
    actor: `device:${device.id}`,
    role: device.kind,
    branches: [device.branchName],
    advisorId: null,
    email: null,
    name: device.name,
    sessionId: null,
    totpVerified: false,
    mustChangePassword: false,
    mustEnrolTotp: false,
    mustVerifyTotp: false,
  };
}

/** Does this bearer look like a device's token (its prefix)? Integration tokens of role KIOSK share `tk_kiosk_`. */
export function looksLikeDeviceToken(token: string): boolean {
  return DEVICE_TOKEN.test(token);
}

async function branchIdOf(db: Queryable, code: string): Promise<number> {
  const normalized = code.trim().toUpperCase();
  const [row] = /^[A-Z0-9-]{2,20}$/.test(normalized)
    ? await db.execute<Array<{ id: string }>>('select id from branch where code = ?', [normalized])
    : [];
  if (!row) throw new DomainError('SUCURSAL_NO_ENCONTRADA', `No existe la sucursal con código "${code}"`);
  return Number(row.id);
}

// --- validation -----------------------------------------------------------------------------

export interface NewDevice {
  kind: DeviceKind;
  name: string;
  printer: { host: string; port: number } | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
/** A host name or an IPv4/IPv6 address; nothing with spaces, schemes or paths. */
const HOST = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^\[?[0-9A-Fa-f:.]{2,45}\]?$/;

function onlyKeys(input: Record<string, unknown>, allowed: readonly string[], campos: FieldErrors): void {
  for (const key of Object.keys(input)) if (!allowed.includes(key)) campos[key] = 'Campo desconocido';
}

function parseName(value: unknown, campos: FieldErrors): string | undefined {
  const name = typeof value === 'string' ? value.trim() : '';
  if (!name || name.length > 100) {
    campos.name = 'El nombre es obligatorio (hasta 100 caracteres)';
    return undefined;
  }
  return name;
}

/** `{host, port?}` (port 9100 when omitted) or null (no printer). */
function parsePrinter(value: unknown, campos: FieldErrors): { host: string; port: number } | null | undefined {
  if (value === null) return null;
  if (!isObject(value)) {
    campos.printer = 'Debe ser {host, port} o null';
    return undefined;
  }
  const host = typeof value.host === 'string' ? value.host.trim() : '';
  if (!HOST.test(host)) campos['printer.host'] = 'Debe ser un nombre de host o una dirección IP';
  const port = value.port === undefined || value.port === null ? DEFAULT_PRINTER_PORT : value.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) campos['printer.port'] = 'Debe ser un entero de 1 a 65535';
  for (const key of Object.keys(value)) if (key !== 'host' && key !== 'port') campos[`printer.${key}`] = 'Campo desconocido';
  return { host: host.replace(/^\[|\]$/g, ''), port: port as number };
}

export function parseNewDevice(input: unknown): NewDevice {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['kind', 'name', 'printer'], campos);
  const kind = input.kind;
  if (typeof kind !== 'string' || !(DEVICE_KINDS as readonly string[]).includes(kind)) campos.kind = `Debe ser uno de: ${DEVICE_KINDS.join(', ')}`;
  const name = parseName(input.name, campos);
  const printer = input.printer === undefined ? null : parsePrinter(input.printer, campos);
  if (printer && kind === 'SCREEN') campos.printer = 'Solo un tótem (KIOSK) tiene impresora';
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return { kind: kind as DeviceKind, name: name!, printer: printer ?? null };
}

export function parseDeviceChange(input: unknown): { name?: string; printer?: { host: string; port: number } | null } {
  if (!isObject(input)) throw new ValidationError({ cuerpo: 'Se esperaba un objeto JSON' });
  const campos = fieldErrors();
  onlyKeys(input, ['name', 'printer'], campos);
  const change: { name?: string; printer?: { host: string; port: number } | null } = {};
  if (input.name !== undefined) {
    const name = parseName(input.name, campos);
    if (name !== undefined) change.name = name;
  }
  if (input.printer !== undefined) {
    const printer = parsePrinter(input.printer, campos);
    if (printer !== undefined) change.printer = printer;
  }
  if (!('name' in input) && !('printer' in input)) campos.cuerpo = 'Indica name o printer';
  if (Object.keys(campos).length) throw new ValidationError(campos);
  return change;
}
