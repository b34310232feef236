import { createHash, randomInt } from 'node:crypto';
import type { Db, Queryable } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import { maskRut } from '../../domain/rut.js';
import { DomainError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { RESOLVED_CHAT_ID } from '../notifications/chat.sql.js';
import type { AssignmentService } from '../queue/assignment.service.js';
import type { AdvisorStatus } from './advisor.entity.js';

export type ServiceOutcome = 'COMPLETADO' | 'NO_ATENDIDO';

export interface CurrentTicket {
  id: number;
  numero: string;
  queueType: QueueType;
  maskedNationalId: string;
  assignedAt: string;
  minutesWaited: number;
  minutesInService: number;
}

export interface AdvisorView {
  id: number;
  name: string;
  email: string;
  status: AdvisorStatus;
  moduleNumber: number;
  branchOffice: string;
  queueTypes: QueueType[];
  assignedTicketsCount: number;
  workloadMinutes: number;
  averageServiceTimeMinutes: number;
  totalTicketsServedToday: number;
  lastAssignedAt: string | null;
  telegramLinked: boolean;
  currentTicket: CurrentTicket | null;
}

interface AdvisorRow {
  id: string;
  name: string;
  email: string;
  status: AdvisorStatus;
  module_number: number;
  branch_office: string;
  queue_types: QueueType[];
  assigned_tickets_count: number;
  workload_minutes: number;
  average_service_time_minutes: string | null;
  total_tickets_served_today: number;
  last_assigned_at: string | null;
  telegram_user_id: string | null;
  ticket_id: string | null;
  ticket_numero: string | null;
  ticket_queue_type: QueueType | null;
  ticket_national_id: string | null;
  ticket_created_at: string | null;
  ticket_assigned_at: string | null;
}

const LINK_CODE_TTL_MS = 15 * 60_000;
const utc = (value: string): Date => new Date(`${value}Z`);
const minutesBetween = (from: Date, to: Date): number => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 60_000));
export const hashLinkCode = (code: string): string => createHash('sha256').update(code.trim().toUpperCase()).digest('hex');

const ADVISOR_SELECT = `select a.id, a.name, a.email, a.status, a.module_number, a.branch_office, a.queue_types,
    a.assigned_tickets_count, a.workload_minutes, a.average_service_time_minutes, a.total_tickets_served_today,
    a.last_assigned_at, a.telegram_user_id,
    t.id as ticket_id, t.numero as ticket_numero, t.queue_type as ticket_queue_type,
    t.national_id as ticket_national_id, t.created_at as ticket_created_at, t.assigned_at as ticket_assigned_at
  from advisor a
  left join ticket t on t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'`;

/**
 * What advisors do, whichever door they use (the bot's /panel or the supervisor API):
 * change status, finish the customer in front of them, link their Telegram account.
 */
export class AdvisorService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; events: EventBus; assignment: AssignmentService },
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  async list(branchOffice?: string): Promise<AdvisorView[]> {
    const rows = await this.db.execute<AdvisorRow[]>(
      `${ADVISOR_SELECT} ${branchOffice ? 'where a.branch_office = ?' : ''} order by a.branch_office, a.module_number, a.id`,
      branchOffice ? [branchOffice] : [],
    );
    return rows.map((row) => this.toView(row));
  }

  async get(advisorId: number): Promise<AdvisorView> {
    const [row] = await this.db.execute<AdvisorRow[]>(`${ADVISOR_SELECT} where a.id = ?`, [advisorId]);
    if (!row) throw advisorNotFound(advisorId);
    return this.toView(row);
  }

  async findByTelegramUser(telegramUserId: number): Promise<AdvisorView | null> {
    const [row] = await this.db.execute<AdvisorRow[]>(`${ADVISOR_SELECT} where a.telegram_user_id = ?`, [
      telegramUserId,
    ]);
    return row ? this.toView(row) : null;
  }

  /** The advisor's Telegram account, if linked: where "new customer" notices go. */
  async telegramUserIdOf(advisorId: number): Promise<number | null> {
    const [row] = await this.db.execute<{ telegram_user_id: string | null }[]>(
      `select telegram_user_id from advisor where id = ?`,
      [advisorId],
    );
    return row?.telegram_user_id ? Number(row.telegram_user_id) : null;
  }

  /** AVAILABLE, BUSY (a pause) or OFFLINE, with a reason for the audit trail. */
  async setStatus(advisorId: number, status: AdvisorStatus, reason: string | null, origin: Origin): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    const changed = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      if (advisor.status === status) return null;
      const [serving] = await tx.execute<{ numero: string }[]>(
        `select numero from ticket where assigned_advisor_id = ? and status = 'ATENDIENDO'`,
        [advisorId],
      );
      if (serving && status !== 'BUSY') {
        throw new DomainError(
          'TRANSICION_INVALIDA',
          `Primero completa o marca como no presentado el ticket ${serving.numero}`,
          { ticketEnAtencion: serving.numero },
        );
      }
      await tx.execute(`update advisor set status = ?, updated_at = ? where id = ?`, [status, now, advisorId]);
      await recordAudit(tx, {
        entityType: 'ADVISOR',
        entityId: advisorId,
        eventType: 'ADVISOR_STATUS_CHANGED',
        origin,
        oldState: { status: advisor.status },
        newState: { status },
        additionalData: reason ? { reason } : null,
        at: now,
      });
      return advisor;
    });
    if (changed && status === 'AVAILABLE') {
      this.deps.events.emit('advisor.available', { advisorId, branchOffice: changed.branch_office });
      await this.deps.assignment.assignAvailable(changed.branch_office);
    }
    return this.get(advisorId);
  }

  /**
   * Ends the service of the advisor's current customer (COMPLETADO, or NO_ATENDIDO when they did
   * not show up), frees the advisor and gives them the next customer.
   */
  async finishCurrent(advisorId: number, outcome: ServiceOutcome, origin: Origin): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    const finished = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const [ticket] = await tx.execute<{ id: string; numero: string; queue_type: QueueType; assigned_at: string }[]>(
        `select id, numero, queue_type, assigned_at from ticket
         where assigned_advisor_id = ? and status = 'ATENDIENDO' for update`,
        [advisorId],
      );
      if (!ticket) {
        throw new DomainError('TRANSICION_INVALIDA', `${advisor.name} no tiene un ticket en atención`);
      }
      const serviceMinutes = minutesBetween(utc(ticket.assigned_at), now);
      const completed = outcome === 'COMPLETADO';
      await tx.execute(
        `update ticket set status = ?, completed_at = ?, actual_service_time_minutes = ?, updated_at = ? where id = ?`,
        [outcome, now, completed ? serviceMinutes : null, now, ticket.id],
      );

      const count = Math.max(0, advisor.assigned_tickets_count - 1);
      const served = advisor.total_tickets_served_today + (completed ? 1 : 0);
      const previousAverage = Number(advisor.average_service_time_minutes ?? 0);
      const average = completed
        ? Math.round(((previousAverage * advisor.total_tickets_served_today + serviceMinutes) / served) * 100) / 100
        : previousAverage;
      await tx.execute(
        `update advisor set status = 'AVAILABLE', assigned_tickets_count = ?, workload_minutes = ?,
           total_tickets_served_today = ?, average_service_time_minutes = ?, updated_at = ? where id = ?`,
        [count, count * QUEUES[ticket.queue_type].averageMinutes, served, average, now, advisorId],
      );
      // The ticket has ended: what was not sent will never be, and the row says why.
      await tx.execute(
        `update mensaje m set estado_envio = 'FALLIDO',
           error_message = case when ${RESOLVED_CHAT_ID} is null then 'sin chat de Telegram vinculado'
                                else 'ticket finalizado antes del envío' end
         from ticket t where t.id = m.ticket_id and m.ticket_id = ? and m.estado_envio = 'PENDIENTE'`,
        [ticket.id],
      );
      const details = { numero: ticket.numero, queueType: ticket.queue_type };
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: completed ? 'TICKET_COMPLETADO' : 'TICKET_NO_ATENDIDO',
        origin,
        oldState: { status: 'ATENDIENDO' },
        newState: { status: outcome, actualServiceTimeMinutes: completed ? serviceMinutes : null },
        additionalData: { ...details, advisorId },
        at: now,
      });
      await recordAudit(tx, {
        entityType: 'ADVISOR',
        entityId: advisorId,
        eventType: 'ADVISOR_FREED',
        origin,
        oldState: { status: advisor.status, assignedTicketsCount: advisor.assigned_tickets_count },
        newState: { status: 'AVAILABLE', assignedTicketsCount: count, totalTicketsServedToday: served },
        additionalData: details,
        at: now,
      });
      return { branchOffice: advisor.branch_office, ticketId: Number(ticket.id), queueType: ticket.queue_type };
    });
    this.deps.events.emit('ticket.finished', {
      ticketId: finished.ticketId,
      branchOffice: finished.branchOffice,
      advisorId,
      queueType: finished.queueType,
      outcome,
    });
    this.deps.events.emit('advisor.available', { advisorId, branchOffice: finished.branchOffice });
    await this.deps.assignment.assignAvailable(finished.branchOffice);
    return this.get(advisorId);
  }

  /** A one-time code (8 characters, 15 minutes) the advisor sends to the bot as `/vincular <code>`. */
  async createLinkCode(advisorId: number): Promise<{ code: string; expiresAt: string }> {
    const now = this.deps.clock.now();
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const code = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
    const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
    await this.db.transactional(async (tx) => {
      await lockAdvisor(tx, advisorId);
      // A new code replaces any earlier unused one.
      await tx.execute(`delete from advisor_link_code where advisor_id = ? and used_at is null`, [advisorId]);
      await tx.execute(
        `insert into advisor_link_code (advisor_id, code_hash, expires_at, created_at) values (?, ?, ?, ?)`,
        [advisorId, hashLinkCode(code), expiresAt, now],
      );
    });
    return { code, expiresAt: expiresAt.toISOString() };
  }

  /** Spends a link code: the Telegram user becomes that advisor. */
  async linkTelegram(code: string, telegramUserId: number): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    const advisorId = await this.db.transactional(async (tx) => {
      const [row] = await tx.execute<{ id: string; advisor_id: string; expires_at: string; used_at: string | null }[]>(
        `select id, advisor_id, expires_at, used_at from advisor_link_code where code_hash = ? for update`,
        [hashLinkCode(code)],
      );
      if (!row || row.used_at !== null || utc(row.expires_at) <= now) {
        throw new DomainError('VALIDACION_FALLIDA', 'El código no es válido o ya expiró');
      }
      await tx.execute(`update advisor_link_code set used_at = ?, used_by_telegram_user_id = ? where id = ?`, [
        now,
        telegramUserId,
        row.id,
      ]);
      // One Telegram account, one advisor: a re-link moves it.
      await tx.execute(`update advisor set telegram_user_id = null where telegram_user_id = ? and id <> ?`, [
        telegramUserId,
        row.advisor_id,
      ]);
      await tx.execute(`update advisor set telegram_user_id = ?, updated_at = ? where id = ?`, [
        telegramUserId,
        now,
        row.advisor_id,
      ]);
      return Number(row.advisor_id);
    });
    return this.get(advisorId);
  }

  private toView(row: AdvisorRow): AdvisorView {
    const now = this.deps.clock.now();
    const ticket =
      row.ticket_id && row.ticket_assigned_at && row.ticket_created_at
        ? {
            id: Number(row.ticket_id),
            numero: row.ticket_numero!,
            queueType: row.ticket_queue_type!,
            maskedNationalId: maskRut(row.ticket_national_id!),
            assignedAt: utc(row.ticket_assigned_at).toISOString(),
            minutesWaited: minutesBetween(utc(row.ticket_created_at), utc(row.ticket_assigned_at)),
            minutesInService: minutesBetween(utc(row.ticket_assigned_at), now),
          }
        : null;
    return {
      id: Number(row.id),
      name: row.name,
      email: row.email,
      status: row.status,
      moduleNumber: row.module_number,
      branchOffice: row.branch_office,
      queueTypes: row.queue_types,
      assignedTicketsCount: row.assigned_tickets_count,
      workloadMinutes: row.workload_minutes,
      averageServiceTimeMinutes: Number(row.average_service_time_minutes ?? 0),
      totalTicketsServedToday: row.total_tickets_served_today,
      lastAssignedAt: row.last_assigned_at ? utc(row.last_assigned_at).toISOString() : null,
      telegramLinked: row.telegram_user_id !== null,
      currentTicket: ticket,
    };
  }
}

interface LockedAdvisor {
  id: string;
  name: string;
  status: AdvisorStatus;
  branch_office: string;
  assigned_tickets_count: number;
  total_tickets_served_today: number;
  average_service_time_minutes: string | null;
}

async function lockAdvisor(tx: Queryable, advisorId: number): Promise<LockedAdvisor> {
  const [advisor] = await tx.execute<LockedAdvisor[]>(
    `select id, name, status, branch_office, assigned_tickets_count, total_tickets_served_today,
            average_service_time_minutes
     from advisor where id = ? for update`,
    [advisorId],
  );
  if (!advisor) throw advisorNotFound(advisorId);
  return advisor;
}

function advisorNotFound(advisorId: number): DomainError {
  return new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
}
