import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/sql.js';
import type { BranchQueue } from '../../domain/branch-hours.js';
import { QUEUE_TYPES, QUEUES, type QueueType } from '../../domain/queue-types.js';
import { DomainError, ValidationError } from '../../errors.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { BRANCH_CODE, parseWith } from '../branches/branch.validation.js';
import { lockAdvisor, moveAdvisorState } from './advisor-lock.js';
import type { AdvisorService, AdvisorView } from './advisor.service.js';

export const MODULE_MIN = 1;
export const MODULE_MAX = 99;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .max(100, 'admite hasta 100 caracteres')
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'debe ser un email válido');

const fields = {
  name: z.string().trim().min(2, 'debe tener al menos 2 caracteres').max(100, 'admite hasta 100 caracteres'),
  email,
  branch: z.string().trim().regex(BRANCH_CODE, 'debe ser el código de una sucursal (A-Z, 0-9 y -)'),
  moduleNumber: z
    .number({ message: 'debe ser un número' })
    .int('debe ser un entero')
    .min(MODULE_MIN, `debe estar entre ${MODULE_MIN} y ${MODULE_MAX}`)
    .max(MODULE_MAX, `debe estar entre ${MODULE_MIN} y ${MODULE_MAX}`),
  queueTypes: z
    .array(z.enum(QUEUE_TYPES, { message: `debe ser uno de: ${QUEUE_TYPES.join(', ')}` }))
    .min(1, 'indica al menos una cola')
    .refine((qs) => new Set(qs).size === qs.length, 'una cola aparece dos veces')
    .transform((qs) => [...qs].sort((a, b) => QUEUE_TYPES.indexOf(a) - QUEUE_TYPES.indexOf(b))),
};

export const newAdvisorSchema = z.strictObject(fields);
export const advisorPatchSchema = z
  .strictObject({
    name: fields.name.optional(),
    email: fields.email.optional(),
    branch: fields.branch.optional(),
    moduleNumber: fields.moduleNumber.optional(),
    queueTypes: fields.queueTypes.optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'indica al menos un campo a cambiar');

export type NewAdvisor = z.infer<typeof newAdvisorSchema>;
export type AdvisorPatch = z.infer<typeof advisorPatchSchema>;

/** Who may act on which branch: a SUPERVISOR only on theirs (the route table checks the advisor's own). */
export type BranchGuard = (branchName: string) => void;

/** A unique violation as the API's code: the indexes settle concurrent requests. */
export function advisorWriteError(error: unknown): DomainError | null {
  const e = error as { code?: string; constraint?: string } | null;
  if (e?.code !== '23505') return null;
  if (e.constraint === 'uq_advisor_email_lower' || e.constraint === 'advisor_email_unique') {
    return new DomainError('EMAIL_EN_USO', 'Ya existe un asesor con ese email');
  }
  if (e.constraint === 'uq_advisor_active_module') {
    return new DomainError('MODULO_OCUPADO', 'Ese módulo ya lo ocupa otro asesor activo de la sucursal');
  }
  return null;
}

interface BranchRef {
  name: string;
  code: string;
  active: boolean;
  queues: BranchQueue[];
}

const stateOf = (a: AdvisorView): Record<string, unknown> => ({
  name: a.name,
  email: a.email,
  branchOffice: a.branchOffice,
  moduleNumber: a.moduleNumber,
  queueTypes: a.queueTypes,
  active: a.active,
  status: a.status,
  telegramLinked: a.telegramLinked,
});

/**
 * Staff as data (SPEC §17): create, edit, deactivate and reactivate advisors, each change in one
 * transaction with its audit row. The database holds the rules a race could break: one email
 * without regard to case (uq_advisor_email_lower), one active advisor per module of a branch
 * (uq_advisor_active_module), an inactive advisor always OFFLINE (advisor_active_offline_check).
 */
export class StaffService {
  constructor(private readonly deps: { db: Db; clock: Clock; advisors: AdvisorService }) {}

  async create(body: unknown, origin: Origin, guard: BranchGuard = () => {}): Promise<AdvisorView> {
    const input = parseWith(newAdvisorSchema, body);
    const now = this.deps.clock.now();
    try {
      const id = await this.deps.db.transactional(async (tx) => {
        const branch = await branchByCode(tx, input.branch);
        guard(branch.name);
        if (!branch.active) throw new ValidationError({ branch: 'La sucursal está desactivada' });
        assertOffered(branch, input.queueTypes);
        const [row] = await tx.execute<{ id: string }[]>(
          `insert into advisor (name, email, status, module_number, queue_types, branch_office, active, created_at, updated_at)
           values (?, ?, 'OFFLINE', ?, ?::json, ?, true, ?, ?) returning id`,
          [input.name, input.email, input.moduleNumber, JSON.stringify(input.queueTypes), branch.name, now, now],
        );
        const created = Number(row!.id);
        await moveAdvisorState(tx, created, 'OFFLINE', null, now);
        await recordAudit(tx, {
          entityType: 'ADVISOR',
          entityId: created,
          eventType: 'ASESOR_CREADO',
          origin,
          newState: { name: input.name, email: input.email, branchOffice: branch.name, moduleNumber: input.moduleNumber, queueTypes: input.queueTypes, active: true },
          at: now,
        });
        return created;
      });
      return this.deps.advisors.get(id);
    } catch (error) {
      throw advisorWriteError(error) ?? error;
    }
  }

  /** Any of name, email, branch, module and queues; a branch move only while not serving (409 ASESOR_ATENDIENDO). */
  async update(advisorId: number, body: unknown, origin: Origin, guard: BranchGuard = () => {}): Promise<AdvisorView> {
    const patch = parseWith(advisorPatchSchema, body);
    const now = this.deps.clock.now();
    try {
      await this.deps.db.transactional(async (tx) => {
        const advisor = await lockAdvisor(tx, advisorId);
        const before = await this.deps.advisors.get(advisorId);
        const branch = patch.branch !== undefined ? await branchByCode(tx, patch.branch) : await branchByName(tx, advisor.branch_office);
        const moves = branch.name !== advisor.branch_office;
        if (moves) {
          guard(branch.name);
          if (!branch.active) throw new ValidationError({ branch: 'La sucursal está desactivada' });
          await assertNotServing(tx, advisorId, 'cambiarlo de sucursal');
          // A ticket transferred to this advisor by name waits for them no more: it goes back to its line.
          await tx.execute(
            `update ticket set reserved_advisor_id = null, updated_at = ? where reserved_advisor_id = ? and status in ('EN_ESPERA', 'PROXIMO')`,
            [now, advisorId],
          );
        }
        const queueTypes = patch.queueTypes ?? advisor.queue_types;
        if (patch.queueTypes !== undefined || moves) assertOffered(branch, queueTypes);
        await tx.execute(
          `update advisor set name = ?, email = ?, branch_office = ?, module_number = ?, queue_types = ?::json, updated_at = ? where id = ?`,
          [
            patch.name ?? advisor.name,
            patch.email ?? advisor.email,
            branch.name,
            patch.moduleNumber ?? advisor.module_number,
            JSON.stringify(queueTypes),
            now,
            advisorId,
          ],
        );
        const after = { ...stateOf(before), name: patch.name ?? advisor.name, email: patch.email ?? advisor.email, branchOffice: branch.name, moduleNumber: patch.moduleNumber ?? advisor.module_number, queueTypes };
        await this.audit(tx, advisorId, 'ASESOR_MODIFICADO', origin, stateOf(before), after, now);
      });
      return this.deps.advisors.get(advisorId);
    } catch (error) {
      throw advisorWriteError(error) ?? error;
    }
  }

  /**
   * Deactivates (SPEC §17): history kept, OFFLINE for good (never assigned: only AVAILABLE advisors
   * are), the Telegram link and unused link codes removed, tickets reserved for them back to their
   * line. Refused while serving a customer. A second call changes nothing.
   */
  async deactivate(advisorId: number, origin: Origin): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    await this.deps.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      if (!advisor.active) return;
      await assertNotServing(tx, advisorId, 'desactivarlo');
      const before = await this.deps.advisors.get(advisorId);
      await tx.execute(
        `update advisor set active = false, status = 'OFFLINE', pause_reason = null, telegram_user_id = null, updated_at = ? where id = ?`,
        [now, advisorId],
      );
      if (advisor.status !== 'OFFLINE') await moveAdvisorState(tx, advisorId, 'OFFLINE', null, now);
      await tx.execute(`delete from advisor_link_code where advisor_id = ? and used_at is null`, [advisorId]);
      await tx.execute(
        `update ticket set reserved_advisor_id = null, updated_at = ? where reserved_advisor_id = ? and status in ('EN_ESPERA', 'PROXIMO')`,
        [now, advisorId],
      );
      await this.audit(tx, advisorId, 'ASESOR_DESACTIVADO', origin, stateOf(before), { ...stateOf(before), active: false, status: 'OFFLINE', telegramLinked: false }, now);
    });
    return this.deps.advisors.get(advisorId);
  }

  /** Back to work (OFFLINE until they connect); 409 MODULO_OCUPADO when their module was taken meanwhile. */
  async reactivate(advisorId: number, origin: Origin): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    try {
      await this.deps.db.transactional(async (tx) => {
        const advisor = await lockAdvisor(tx, advisorId);
        if (advisor.active) return;
        const branch = await branchByName(tx, advisor.branch_office);
        if (!branch.active) throw new ValidationError({ branch: 'La sucursal del asesor está desactivada: muévelo a otra primero' });
        const before = await this.deps.advisors.get(advisorId);
        await tx.execute(`update advisor set active = true, updated_at = ? where id = ?`, [now, advisorId]);
        await this.audit(tx, advisorId, 'ASESOR_REACTIVADO', origin, stateOf(before), { ...stateOf(before), active: true }, now);
      });
      return this.deps.advisors.get(advisorId);
    } catch (error) {
      throw advisorWriteError(error) ?? error;
    }
  }

  private async audit(
    tx: Queryable,
    advisorId: number,
    eventType: 'ASESOR_MODIFICADO' | 'ASESOR_DESACTIVADO' | 'ASESOR_REACTIVADO',
    origin: Origin,
    before: Record<string, unknown>,
    after: Record<string, unknown>,
    at: Date,
  ): Promise<void> {
    const changed = Object.keys(after).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    if (!changed.length) return;
    await recordAudit(tx, {
      entityType: 'ADVISOR',
      entityId: advisorId,
      eventType,
      origin,
      oldState: Object.fromEntries(changed.map((k) => [k, before[k]])),
      newState: Object.fromEntries(changed.map((k) => [k, after[k]])),
      at,
    });
  }
}

async function branchByCode(tx: Queryable, code: string): Promise<BranchRef> {
  const [row] = await tx.execute<BranchRef[]>('select name, code, active, queues from branch where code = ?', [code]);
  if (!row) throw new DomainError('SUCURSAL_NO_ENCONTRADA', `No existe la sucursal ${code}`);
  return row;
}

async function branchByName(tx: Queryable, name: string): Promise<BranchRef> {
  const [row] = await tx.execute<BranchRef[]>('select name, code, active, queues from branch where name = ?', [name]);
  if (!row) throw new DomainError('SUCURSAL_NO_ENCONTRADA', `No existe la sucursal ${name}`);
  return row;
}

/** SPEC §17: an advisor serves only queues their branch offers (409 COLA_NO_DISPONIBLE, naming them). */
function assertOffered(branch: BranchRef, queueTypes: readonly QueueType[]): void {
  const offered = new Set(branch.queues.map((q) => q.queueType));
  const missing = queueTypes.filter((q) => !offered.has(q));
  if (missing.length) {
    throw new DomainError(
      'COLA_NO_DISPONIBLE',
      `La sucursal ${branch.name} no atiende ${missing.map((q) => QUEUES[q].label).join(', ')}`,
      { campos: { queueTypes: `no las ofrece la sucursal: ${missing.join(', ')}` } },
    );
  }
}

async function assertNotServing(tx: Queryable, advisorId: number, what: string): Promise<void> {
  const [serving] = await tx.execute<{ numero: string }[]>(
    `select numero from ticket where assigned_advisor_id = ? and status = 'ATENDIENDO'`,
    [advisorId],
  );
  if (serving) {
    throw new DomainError('ASESOR_ATENDIENDO', `El asesor está atendiendo el ${serving.numero}: termina esa atención antes de ${what}`, {
      ticketEnAtencion: serving.numero,
    });
  }
}
