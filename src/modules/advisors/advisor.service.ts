import { createHash, randomInt } from 'node:crypto';
import type { Db } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import { FLOOR_STATE_LABEL, type AtencionPreferente, type FloorState } from '../../domain/floor.js';
import type { QueueType } from '../../domain/queue-types.js';
import { DomainError } from '../../errors.js';
import { advisorNotFound, lockAdvisor } from './advisor-lock.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';
import type { AdvisorStatus } from './advisor.entity.js';

export interface CurrentTicket {
  id: number;
  numero: string;
  queueType: QueueType;
  maskedNationalId: string;
  assignedAt: string;
  minutesWaited: number;
  minutesInService: number;
  /** "Llamando" until the advisor confirms arrival (Llegó), then "Atendiendo". */
  stage: 'LLAMANDO' | 'ATENDIENDO';
  serviceStartedAt: string | null;
  lastCalledAt: string | null;
  /** Calls so far in this visit (1 = the first call). */
  recallCount: number;
  atencionPreferente: AtencionPreferente | null;
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
  /** Llamando / Atendiendo / En pausa / Disponible / Desconectado (SPEC §12). */
  floorState: FloorState;
  floorLabel: string;
  /** The pause's reason (or the one asked for while serving). */
  pauseReason: string | null;
  /** Minutes in the current floor state. */
  minutesInState: number;
  /** SPEC §17: a deactivated advisor keeps their history and is never assigned again. */
  active: boolean;
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
  ticket_national_id_enc: string | null;
  ticket_created_at: string | null;
  ticket_assigned_at: string | null;
  ticket_service_started_at: string | null;
  ticket_last_called_at: string | null;
  ticket_recall_count: number | null;
  ticket_atencion_preferente: AtencionPreferente | null;
  pause_reason: string | null;
  state_since: string | null;
  active: boolean;
}

const LINK_CODE_TTL_MS = 15 * 60_000;
const utc = (value: string): Date => new Date(`${value}Z`);
const minutesBetween = (from: Date, to: Date): number => Math.max(0, Math.floor((to.getTime() - from.getTime()) / 60_000));
export const hashLinkCode = (code: string): string => createHash('sha256').update(code.trim().toUpperCase()).digest('hex');

const ADVISOR_SELECT = `select a.id, a.name, a.email, a.status, a.module_number, a.branch_office, a.queue_types,
    a.assigned_tickets_count, a.workload_minutes, a.average_service_time_minutes, a.total_tickets_served_today,
    a.last_assigned_at, a.telegram_user_id,
    t.id as ticket_id, t.numero as ticket_numero, t.queue_type as ticket_queue_type,
    t.national_id_enc as ticket_national_id_enc, t.created_at as ticket_created_at, t.assigned_at as ticket_assigned_at,
    t.service_started_at as ticket_service_started_at, t.last_called_at as ticket_last_called_at,
    t.recall_count as ticket_recall_count, t.atencion_preferente as ticket_atencion_preferente, a.pause_reason, a.active,
    (select p.started_at from advisor_status_period p where p.advisor_id = a.id and p.ended_at is null) as state_since
  from advisor a
  left join ticket t on t.assigned_advisor_id = a.id and t.status = 'ATENDIENDO'`;

/** `/vincular` with a code that is unknown, used or expired: the advisor's mistake (not an outage). */
export class InvalidLinkCode extends DomainError {
  constructor() {
    super('VALIDACION_FALLIDA', 'El código no es válido o ya expiró');
    this.name = 'InvalidLinkCode';
  }
}

/**
 * Who the advisors are and what they are doing (read models), and linking their Telegram accounts.
 * What they do with customers is the service floor's (FloorService).
 */
export class AdvisorService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; personalData: PersonalDataCipher },
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  /** The advisors (of a branch), active ones only unless asked (SPEC §17: a deactivated advisor is kept for history). */
  async list(branchOffice?: string, options: { includeInactive?: boolean } = {}): Promise<AdvisorView[]> {
    const where = [...(branchOffice ? ['a.branch_office = ?'] : []), ...(options.includeInactive ? [] : ['a.active'])];
    const rows = await this.db.execute<AdvisorRow[]>(
      `${ADVISOR_SELECT} ${where.length ? `where ${where.join(' and ')}` : ''} order by a.branch_office, a.active desc, a.module_number, a.id`,
      branchOffice ? [branchOffice] : [],
    );
    return rows.map((row) => this.toView(row));
  }

  /** The branch an advisor works in (SPEC §18's authorization), or null when there is no such advisor. */
  async branchOf(advisorId: number): Promise<string | null> {
    const [row] = await this.db.execute<{ branch_office: string }[]>('select branch_office from advisor where id = ?', [advisorId]);
    return row?.branch_office ?? null;
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

  /** A one-time code (8 characters, 15 minutes) the advisor sends to the bot as `/vincular <code>`. */
  async createLinkCode(advisorId: number): Promise<{ code: string; expiresAt: string }> {
    const now = this.deps.clock.now();
    const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    const code = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]).join('');
    const expiresAt = new Date(now.getTime() + LINK_CODE_TTL_MS);
    await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      if (!advisor.active) throw new DomainError('TRANSICION_INVALIDA', 'El asesor está desactivado: no se vincula a Telegram');
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
        throw new InvalidLinkCode();
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
            maskedNationalId: this.deps.personalData.maskedRut(row.ticket_national_id_enc),
            assignedAt: utc(row.ticket_assigned_at).toISOString(),
            minutesWaited: minutesBetween(utc(row.ticket_created_at), utc(row.ticket_assigned_at)),
            minutesInService: minutesBetween(utc(row.ticket_service_started_at ?? row.ticket_assigned_at), now),
            stage: row.ticket_service_started_at ? ('ATENDIENDO' as const) : ('LLAMANDO' as const),
            serviceStartedAt: row.ticket_service_started_at ? utc(row.ticket_service_started_at).toISOString() : null,
            lastCalledAt: row.ticket_last_called_at ? utc(row.ticket_last_called_at).toISOString() : null,
            recallCount: row.ticket_recall_count ?? 0,
            atencionPreferente: row.ticket_atencion_preferente,
          }
        : null;
    const floorState: FloorState = ticket
      ? ticket.stage === 'ATENDIENDO'
        ? 'SERVING'
        : 'CALLING'
      : row.status === 'AVAILABLE'
        ? 'AVAILABLE'
        : row.status === 'OFFLINE'
          ? 'OFFLINE'
          : 'PAUSED';
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
      floorState,
      floorLabel: FLOOR_STATE_LABEL[floorState],
      pauseReason: row.pause_reason,
      minutesInState: row.state_since ? minutesBetween(utc(row.state_since), now) : 0,
      active: row.active,
    };
  }
}
