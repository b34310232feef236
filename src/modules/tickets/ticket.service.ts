import { randomUUID } from 'node:crypto';
import type { Db, Queryable } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import { estimateWaitMinutes, isProximo } from '../../domain/estimate.js';
import { localWeekdayAndTime } from '../../domain/branch-hours.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import type { TicketStatus } from '../../domain/ticket-status.js';
import { branchClosedError, DomainError, queueNotOfferedError, ValidationError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import { recordAudit, type Origin } from '../audit/audit.service.js';
import { closePendingMessages, makeMessagesDue } from '../notifications/message-store.js';
import type { AtencionPreferente } from '../../domain/floor.js';
import { positionOfTicketSql } from './call-order.sql.js';
import { ACTIVE } from './queue.sql.js';
import { CHAT_OWNS_TICKET } from '../customers/ownership.sql.js';
import {
  TAKE_TICKET_SQL,
  takeTicketParams,
  type TakeTicketRow,
  TICKET_CONTEXT_SQL,
  ticketContextParams,
  type TicketContextRow,
} from './ticket.sql.js';
import type { TakeTicketCommand } from './ticket.validation.js';
import type { PersonalDataCipher } from '../privacy/cipher.js';
import { sealTicketPersonalData } from '../privacy/sealed.js';
import type { WaitEstimator } from '../estimates/wait-estimator.js';
import { claimKey, idempotencyClaim, replayKey, settleKey, type IdempotencyClaim } from './idempotency.js';

export interface TicketSettings {
  defaultBranch: string;
  /** SPEC §17: tickets are accepted from this many minutes before the branch opens. */
  opensEarlyMinutes: number;
  proximoThreshold: number;
  preferentialEvery: number;
  /** Tickets one Telegram chat may take in an hour (SPEC §22, CHAT_TICKETS_PER_HOUR). */
  chatTicketsPerHour: number;
}

/** One try at cancelling: done, or refused because the ticket was called meanwhile (then a walkout may be tried). */
type CancelOutcome = { kind: 'cancelled'; ticket: TicketView } | { kind: 'called-meanwhile'; refusal: DomainError };

export interface DeepLinks {
  /**
   * `https://t.me/<bot>?start=<payload>` for a payload (the tótem's single-use `k_` tokens, SPEC §19),
   * or null while Telegram is off. There is no reusable per-ticket link: whoever holds a ticket's
   * reference must not be able to claim it in a chat (SPEC §22).
   */
  start(payload: string): string | null;
}

export interface TicketServiceDeps {
  db: Db;
  clock: Clock;
  events: EventBus;
  settings: TicketSettings;
  links: DeepLinks;
  personalData: PersonalDataCipher;
  /** The wait-time estimator (SPEC §13); without it, the seed's formula. */
  estimator?: WaitEstimator;
  /** A called customer who cancels walks out: the floor (FloorService.walkOut) frees their advisor. */
  floor: { walkOut(codigoReferencia: string, advisorId: number, origin: Origin): Promise<boolean> };
}

/** What the kiosk (and the bot) is told about a ticket. */
export interface TicketView {
  identificador: string;
  numero: string;
  positionInQueue: number;
  estimatedWaitMinutes: number;
  queueType: QueueType;
  status: TicketStatus;
  branchOffice: string;
  telegramLink: string | null;
  moduleNumber: number | null;
  advisorName: string | null;
  createdAt: string;
  assignedAt: string | null;
  completedAt: string | null;
  /** When the advisor confirmed arrival (Llegó): until then an ATENDIENDO ticket is being called. */
  serviceStartedAt: string | null;
  /** Calls in the current visit to a desk. */
  recallCount: number;
  atencionPreferente: AtencionPreferente | null;
}

interface TicketRow {
  id: string;
  codigo_referencia: string;
  numero: string;
  queue_type: QueueType;
  status: TicketStatus;
  branch_office: string;
  assigned_module_number: number | null;
  advisor_name: string | null;
  created_at: string;
  assigned_at: string | null;
  completed_at: string | null;
  service_started_at: string | null;
  recall_count: number;
  atencion_preferente: AtencionPreferente | null;
  reserved_advisor_id: string | null;
  online: number;
  estimated_wait_minutes: number;
}

/** A ticket as `POST /api/tickets` answers it; `replayed` when an `Idempotency-Key` gave back an earlier one. */
export type TakenTicket = TicketView & { replayed: boolean };

/** The client's `Idempotency-Key` and the credential it came with (keys are scoped to it). */
export interface IdempotencyRequest {
  credential: string;
  key: string;
}

/** Thrown inside the transaction when another request already holds the key: caught to replay it. */
class KeyAlreadyUsed extends Error {}

/** One active ticket per RUT, and per chat (SPEC §22). */
const ACTIVE_TICKET_INDEXES = ['uq_ticket_active_national_id_bidx', 'uq_ticket_active_chat'];

/** Timestamps come back from `timestamp` columns as UTC text without a zone. */
const utcIso = (value: string | null): string | null => (value == null ? null : new Date(`${value}Z`).toISOString());

export class TicketService {
  constructor(private readonly deps: TicketServiceDeps) {}

  private get db(): Db {
    return this.deps.db;
  }

  /**
   * Gives the customer the next number of their queue: number, position, estimate, the three
   * notifications when the customer can be reached in Telegram, and the audit row — one transaction.
   */
  async takeTicket(
    command: TakeTicketCommand,
    origin: Origin,
    idempotency?: IdempotencyRequest,
    taker: { chatId?: number; deviceId?: number } = {},
  ): Promise<TakenTicket> {
    const chatId = taker.chatId ?? null;
    const deviceId = taker.deviceId ?? null;
    const { clock, settings } = this.deps;
    const branchOffice = command.branchOffice ?? settings.defaultBranch;
    const now = clock.now();
    const codigo = randomUUID();
    // SPEC §14: stored encrypted, found (and kept unique while active) by its blind index.
    const personal = sealTicketPersonalData(this.deps.personalData, command.nationalId, command.telefono);
    const claim: IdempotencyClaim | null = idempotency
      ? idempotencyClaim(idempotency.credential, idempotency.key, command, {
          nationalId: personal.nationalIdBidx,
          telefono: personal.telefonoBidx,
        })
      : null;
    // The promise, read before the numbering lock so the lock stays short; the queue job refines it.
    const promised = this.deps.estimator
      ? (await this.deps.estimator.newArrivalEstimates(this.db, branchOffice, command.queueType))[command.queueType]
      : null;

    let created: {
      id: number;
      numero: string;
      position: number;
      estimate: number;
      status: TicketStatus;
      createdAt: Date;
      advisorFree: boolean;
    };
    try {
      created = await this.db.transactional(async (tx) => {
        // First: a repeated tap waits here, not in the branch's queue.
        if (claim && !(await claimKey(tx, claim, now))) throw new KeyAlreadyUsed();
        // SPEC §22: a chat holds one active ticket, whatever RUTs it used, and takes a few per hour.
        if (chatId !== null) await this.checkChatMayTake(tx, chatId, now);
        // The rules, read BEFORE the numbering lock so that the lock is held only for the one
        // statement that numbers and writes the ticket (issue 21). A refused request takes no number.
        const [context] = await tx.execute<TicketContextRow[]>(
          TICKET_CONTEXT_SQL,
          ticketContextParams(personal.nationalIdBidx, branchOffice, command.queueType, now, settings.opensEarlyMinutes),
        );
        if (!context!.branch_known) throw new ValidationError({ branchOffice: `La sucursal "${branchOffice}" no existe` });
        // The RUT's active ticket belongs to someone else when a chat asks (its own was refused above):
        // a typed RUT must not learn that person's number (SPEC §22). Another request for the RUT
        // committing after this read is refused by the unique index (caught below).
        if (context!.active_numero) throw activeTicketError(chatId === null ? context!.active_numero : '');
        if (!context!.branch_active) {
          throw new ValidationError({ branchOffice: `La sucursal "${branchOffice}" no está activa` });
        }
        if (context!.opens_at !== null) throw await this.closedError(tx, branchOffice, context!.opens_at);
        if (!context!.offers_queue) throw queueNotOfferedError(branchOffice, QUEUES[command.queueType].label);
        const advisorFree = context!.advisor_free;
        // A chat that takes it, a phone a chat may verify, or a RUT given in the bot (SPEC §5, §22).
        const reachable = chatId !== null || command.telefono !== null || context!.registered;

        // The number (under the counter row's lock, the branch's own service day), the place, the
        // estimate, the status, the ticket, its messages, the consent and the audit row: one statement.
        const [taken] = await tx.execute<TakeTicketRow[]>(
          TAKE_TICKET_SQL,
          takeTicketParams({
            codigo,
            personal,
            branchOffice,
            queueType: command.queueType,
            // The counter keeps it from going behind the queue's last ticket: arrival order follows the numbers.
            now: clock.now(),
            promised,
            online: context!.online,
            proximoThreshold: settings.proximoThreshold,
            reachable,
            phoneConsent: Boolean(command.consentimientoTelefono && command.telefono),
            chatId,
            deviceId,
            origin,
            atencionPreferente: command.atencionPreferente ?? null,
          }),
        );
        // The branch went away between the two statements.
        if (!taken) throw new ValidationError({ branchOffice: `La sucursal "${branchOffice}" no existe` });
        const { numero, position, estimate, status } = taken;
        const createdAt = new Date(Number(taken.created_ms));
        const ticketId = taken.id;
        if (command.atencionPreferente) {
          // A preferential customer does not go to the back: their place follows the real call order.
          const [row] = await tx.execute<{ pos: number }[]>(positionOfTicketSql(settings.preferentialEvery), [ticketId, ticketId]);
          const pos = row?.pos ?? position;
          if (pos !== position) {
            // The same replay as everyone's promise, at this place (read on the pool, never on this
            // transaction: the estimator may go on reading after it ends).
            const est = this.deps.estimator
              ? await this.deps.estimator.promiseForPlace(this.db, branchOffice, command.queueType, pos)
              : estimateWaitMinutes(pos, command.queueType, context!.online);
            const st: TicketStatus = isProximo(pos, settings.proximoThreshold) ? 'PROXIMO' : 'EN_ESPERA';
            await tx.execute(`update ticket set position_in_queue = ?, estimated_wait_minutes = ?, status = ? where id = ?`, [
              pos,
              est,
              st,
              ticketId,
            ]);
            if (st === 'PROXIMO' && status !== 'PROXIMO') {
              await makeMessagesDue(tx, ticketId, ['TOTEM_PROXIMO_TURNO'], createdAt);
            }
            const result = { id: Number(ticketId), numero, position: pos, estimate: est, status: st, createdAt, advisorFree };
            if (claim) await settleKey(tx, claim, result.id, this.createdView(codigo, branchOffice, command, result));
            return result;
          }
        }
        const result = { id: Number(ticketId), numero, position, estimate, status, createdAt, advisorFree };
        if (claim) await settleKey(tx, claim, result.id, this.createdView(codigo, branchOffice, command, result));
        return result;
      });
    } catch (error) {
      if (error instanceof KeyAlreadyUsed && claim) {
        const { response } = await replayKey(this.db, claim);
        return { ...(response as unknown as TicketView), telegramLink: null, replayed: true };
      }
      if (isActiveTicketViolation(error)) {
        // Another request for the same RUT (or chat) won the race; the database refused this one.
        const numero = chatId === null ? await this.activeNumeroFor(command.nationalId) : null;
        throw activeTicketError(numero ?? '');
      }
      throw error;
    }

    this.deps.events.emit('ticket.created', {
      ticketId: created.id,
      branchOffice,
      queueType: command.queueType,
      advisorFree: created.advisorFree,
    });
    return { ...this.createdView(codigo, branchOffice, command, created), telegramLink: null, replayed: false };
  }

  /** What a new ticket looks like to its client, without the deep link (kept out of the stored replay). */
  private createdView(
    codigo: string,
    branchOffice: string,
    command: TakeTicketCommand,
    created: { numero: string; position: number; estimate: number; status: TicketStatus; createdAt: Date },
  ): TicketView {
    return {
      identificador: codigo,
      numero: created.numero,
      positionInQueue: created.position,
      estimatedWaitMinutes: created.estimate,
      queueType: command.queueType,
      status: created.status,
      branchOffice,
      telegramLink: null,
      moduleNumber: null,
      advisorName: null,
      createdAt: created.createdAt.toISOString(),
      assignedAt: null,
      completedAt: null,
      serviceStartedAt: null,
      recallCount: 0,
      atencionPreferente: command.atencionPreferente ?? null,
    };
  }

  /** SUCURSAL_CERRADA with when the branch opens, in its own time (SPEC §17). */
  private async closedError(tx: Queryable, branchOffice: string, opensAt: string): Promise<DomainError> {
    if (opensAt === 'infinity') return branchClosedError(branchOffice, null);
    const [branch] = await tx.execute<{ timezone: string }[]>(`select timezone from branch where name = ?`, [branchOffice]);
    const instant = new Date(`${opensAt}Z`);
    return branchClosedError(branchOffice, { ...localWeekdayAndTime(instant, branch!.timezone), iso: instant.toISOString() });
  }

  async getByCodigo(codigoReferencia: string): Promise<TicketView> {
    const row = await this.findOne('t.codigo_referencia = ?', [codigoReferencia]);
    if (!row) throw notFound();
    return this.toView(row);
  }

  /** Position and estimate of today's ticket with that number in a branch. */
  async getByNumero(numero: string, branchOffice: string | null): Promise<TicketView> {
    const { clock, settings } = this.deps;
    const branch = branchOffice ?? settings.defaultBranch;
    const row = await this.findOne('t.branch_office = ? and t.service_date = branch_service_date(?, ?::timestamp) and t.numero = ?', [
      branch,
      branch,
      clock.now(),
      numero,
    ]);
    if (!row) throw notFound();
    return this.toView(row);
  }

  /** The customer gives up their place; none of the ticket's unsent messages will go out. */
  async cancel(codigoReferencia: string, origin: Origin): Promise<TicketView> {
    const first = await this.cancelOnce(codigoReferencia, origin);
    if (first.kind === 'cancelled') return first.ticket;
    // Called while this request was on its way: tried once more, now as a walkout.
    const second = await this.cancelOnce(codigoReferencia, origin);
    if (second.kind === 'cancelled') return second.ticket;
    throw second.refusal;
  }

  /**
   * Called but not yet at the desk: a walkout, which frees the advisor (SPEC §12); waiting: a
   * cancellation. `called-meanwhile` when the ticket was called between the two looks.
   */
  private async cancelOnce(codigoReferencia: string, origin: Origin): Promise<CancelOutcome> {
    const [called] = await this.db.execute<{ assigned_advisor_id: string }[]>(
      `select assigned_advisor_id from ticket where codigo_referencia = ? and status = 'ATENDIENDO' and service_started_at is null`,
      [codigoReferencia],
    );
    if (called && (await this.deps.floor.walkOut(codigoReferencia, Number(called.assigned_advisor_id), origin))) {
      return { kind: 'cancelled', ticket: await this.getByCodigo(codigoReferencia) };
    }
    return this.cancelWaiting(codigoReferencia, origin);
  }

  private async cancelWaiting(codigoReferencia: string, origin: Origin): Promise<CancelOutcome> {
    const now = this.deps.clock.now();
    const cancelled = await this.db.transactional(async (em) => {
      const [ticket] = await em.execute<
        {
          id: string;
          status: TicketStatus;
          numero: string;
          branch_office: string;
          queue_type: QueueType;
          service_started_at: string | null;
        }[]
      >(
        `select id, status, numero, branch_office, queue_type, service_started_at from ticket where codigo_referencia = ? for update`,
        [codigoReferencia],
      );
      if (!ticket) throw notFound();
      if (ticket.status !== 'EN_ESPERA' && ticket.status !== 'PROXIMO') {
        const refusal = new DomainError(
          'TICKET_NO_CANCELABLE',
          ticket.status === 'ATENDIENDO'
            ? `El ticket ${ticket.numero} ya está siendo atendido`
            : `El ticket ${ticket.numero} ya finalizó (${ticket.status})`,
          { status: ticket.status, ...(ticket.status === 'ATENDIENDO' ? { llegoAlModulo: ticket.service_started_at !== null } : {}) },
        );
        // Called but not at the desk yet: still the customer's to give up, as a walkout.
        if (ticket.status === 'ATENDIENDO' && ticket.service_started_at === null) return { kind: 'called-meanwhile' as const, refusal };
        throw refusal;
      }
      await em.execute(
        `update ticket set status = 'CANCELADO', completed_at = ?, updated_at = ?, position_in_queue = 0,
           estimated_wait_minutes = 0 where id = ?`,
        [now, now, ticket.id],
      );
      await closePendingMessages(em, ticket.id, 'ticket cancelado');
      await recordAudit(em, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_CANCELADO',
        origin,
        oldState: { status: ticket.status },
        newState: { status: 'CANCELADO' },
        additionalData: { numero: ticket.numero },
        at: now,
      });
      return { kind: 'cancelled' as const, ticket };
    });
    if (cancelled.kind === 'called-meanwhile') return cancelled;
    this.deps.events.emit('ticket.cancelled', {
      ticketId: Number(cancelled.ticket.id),
      branchOffice: cancelled.ticket.branch_office,
      queueType: cancelled.ticket.queue_type,
    });
    return { kind: 'cancelled', ticket: await this.getByCodigo(codigoReferencia) };
  }

  async idOf(codigoReferencia: string): Promise<number> {
    const [row] = await this.db.execute<{ id: string }[]>(`select id from ticket where codigo_referencia = ?`, [
      codigoReferencia,
    ]);
    if (!row) throw notFound();
    return Number(row.id);
  }

  /** A ticket this chat may act on: one it owns (SPEC §22), never one of a RUT it merely typed. */
  async findOwnedBy(chatId: number, ticketId: number): Promise<TicketView | null> {
    const [row] = await this.db.execute<{ codigo_referencia: string }[]>(
      `select t.codigo_referencia from ticket t join telegram_customer c on c.chat_id = ?
       where t.id = ? and ${CHAT_OWNS_TICKET}`,
      [chatId, ticketId],
    );
    return row ? this.getByCodigo(row.codigo_referencia) : null;
  }

  /**
   * SPEC §22: the chat owns no active ticket and took fewer than CHAT_TICKETS_PER_HOUR in the last
   * hour. The chat's row is locked so two takes of one chat (two instances) are counted in turn;
   * the unique index uq_ticket_active_chat settles the rest.
   */
  private async checkChatMayTake(tx: Queryable, chatId: number, now: Date): Promise<void> {
    await tx.execute(`select 1 from telegram_customer where chat_id = ? for update`, [chatId]);
    const [row] = await tx.execute<{ recent: number; owned_active: string | null }[]>(
      `select (select count(*)::int from ticket where chat_id = ? and created_at > ?) as recent,
              (select t.numero from ticket t join telegram_customer c on c.chat_id = ?
                where t.status in ${ACTIVE} and ${CHAT_OWNS_TICKET} order by t.id desc limit 1) as owned_active`,
      [chatId, new Date(now.getTime() - 3_600_000), chatId],
    );
    if (row!.owned_active) throw activeTicketError(row!.owned_active);
    if (row!.recent >= this.deps.settings.chatTicketsPerHour) {
      throw new DomainError('LIMITE_TICKETS_CHAT', 'Sacaste muchos números en la última hora; inténtalo más tarde', {
        porHora: this.deps.settings.chatTicketsPerHour,
      });
    }
  }

  /** The number of the RUT's active ticket, if any. */
  async activeNumeroFor(nationalId: string): Promise<string | null> {
    const [row] = await this.db.execute<{ numero: string }[]>(
      `select numero from ticket where national_id_bidx = ? and status in ${ACTIVE} limit 1`,
      [this.deps.personalData.blindIndex('rut', nationalId)],
    );
    return row?.numero ?? null;
  }

  private async findOne(where: string, params: unknown[]): Promise<TicketRow | undefined> {
    const [row] = await this.db.execute<TicketRow[]>(
      `select t.id, t.codigo_referencia, t.numero, t.queue_type, t.status, t.branch_office,
              t.assigned_module_number, a.name as advisor_name, t.created_at, t.estimated_wait_minutes, t.assigned_at, t.completed_at,
              t.service_started_at, t.recall_count, t.atencion_preferente, t.reserved_advisor_id,
              (select count(*)::int from advisor o where o.branch_office = t.branch_office
                 and o.status <> 'OFFLINE' and o.queue_types::jsonb @> to_jsonb(t.queue_type::text)) as online
       from ticket t left join advisor a on a.id = t.assigned_advisor_id
       where ${where}
       order by t.id desc limit 1`,
      params,
    );
    return row;
  }

  /** Position computed live, in the order tickets will really be called (SPEC §12). */
  private async toView(row: TicketRow): Promise<TicketView> {
    let position = 0;
    if (row.status === 'EN_ESPERA' || row.status === 'PROXIMO') {
      const sql = positionOfTicketSql(this.deps.settings.preferentialEvery, row.reserved_advisor_id !== null);
      const [live] = await this.db.execute<{ pos: number }[]>(sql, [
        row.id,
        row.id,
      ]);
      position = live?.pos ?? 0;
    }
    return {
      identificador: row.codigo_referencia,
      numero: row.numero,
      positionInQueue: position,
      // With the estimator, the figure is the queue job's (kept up to date every few seconds).
      estimatedWaitMinutes:
        position === 0
          ? 0
          : this.deps.estimator
            ? row.estimated_wait_minutes
            : estimateWaitMinutes(position, row.queue_type, row.reserved_advisor_id ? 1 : row.online),
      queueType: row.queue_type,
      status: row.status,
      branchOffice: row.branch_office,
      // Only a kiosk's answer carries a link (its single-use token): a lookup hands out none.
      telegramLink: null,
      moduleNumber: row.assigned_module_number,
      advisorName: row.advisor_name,
      createdAt: utcIso(row.created_at)!,
      assignedAt: utcIso(row.assigned_at),
      completedAt: utcIso(row.completed_at),
      serviceStartedAt: utcIso(row.service_started_at),
      recallCount: row.recall_count,
      atencionPreferente: row.atencion_preferente,
    };
  }
}

function activeTicketError(numero: string): DomainError {
  return new DomainError('TICKET_ACTIVO_EXISTENTE', `Ya tienes un ticket activo: ${numero}`, {
    ticketActivo: numero,
  });
}

function notFound(): DomainError {
  return new DomainError('TICKET_NO_ENCONTRADO', 'No existe un ticket con ese identificador');
}

function isActiveTicketViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { code?: string }).code === '23505' &&
    ACTIVE_TICKET_INDEXES.includes((error as { constraint?: string }).constraint ?? '')
  );
}
