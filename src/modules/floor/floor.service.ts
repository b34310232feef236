import type { Clock } from '../../clock.js';
import type { FloorSettings } from '../../config.js';
import type { Db, Queryable } from '../../db/sql.js';
import { estimateWaitMinutes, isProximo } from '../../domain/estimate.js';
import { END_OF_DAY_REASON } from '../../domain/floor.js';
import { QUEUES, type QueueType } from '../../domain/queue-types.js';
import { DomainError, ValidationError } from '../../errors.js';
import type { EventBus } from '../../events.js';
import type { AdvisorStatus } from '../advisors/advisor.entity.js';
import type { AdvisorService, AdvisorView } from '../advisors/advisor.service.js';
import { lockAdvisor, moveAdvisorState, type LockedAdvisor } from '../advisors/advisor-lock.js';
import { AUDIT_COLUMNS, recordAudit, type Origin } from '../audit/audit.service.js';
import { closePendingMessages, planClosingNotices, planMessage } from '../notifications/message-store.js';
import { ADVISORS_ONLINE_COUNT, WAITING } from '../tickets/queue.sql.js';
import { positionOfTicketSql } from '../tickets/call-order.sql.js';
import {
  ASSIGN_LOCK_SQL,
  callTicket,
  idleState,
  lockServingTicket,
  releaseAdvisor,
  serviceMinutes,
  SERVING_COLUMNS,
  utc,
  type ServingTicket,
} from './floor-steps.js';

export type ServiceOutcome = 'COMPLETADO' | 'NO_ATENDIDO';

export interface TransferCommand {
  queueType: QueueType | null;
  advisorId: number | null;
  keepPlace: boolean;
  reason: string | null;
}

export interface EndOfDayResult extends Record<string, unknown> {
  /** Waiting tickets closed because the branch closed (today) or their day is over. */
  waitingClosed: number;
  /** Tickets of an earlier day still at a desk, closed and their advisors freed. */
  servingClosed: number;
}

const SYSTEM: Origin = { actor: 'SYSTEM' };

/**
 * The service floor (SPEC §12): everything an advisor (or a supervisor for them) does with the
 * customer in front of them, and what the jobs do when nobody acts. Every door — /panel, the admin
 * API, the supervisor page, the jobs — calls these; each is one transaction with its audit rows.
 * Locks are always taken advisor first, then ticket (and the branch's assignment lock before both
 * when a ticket is called), so two doors acting at once wait for each other instead of deadlocking.
 */
export class FloorService {
  constructor(
    private readonly deps: {
      db: Db;
      clock: Clock;
      events: EventBus;
      /** AssignmentService: a freed advisor or a moved ticket may let the branch call the next customer. */
      assignment: { assignAvailable(branchOffice: string): Promise<unknown> };
      advisors: AdvisorService;
      settings: FloorSettings;
      proximoThreshold: number;
    },
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  get pauseReasons(): readonly string[] {
    return this.deps.settings.pauseReasons;
  }

  /** AVAILABLE, BUSY (a pause, with one of PAUSE_REASONS) or OFFLINE. A pause asked for while serving starts when the customer leaves. */
  async setStatus(advisorId: number, status: AdvisorStatus, reason: string | null, origin: Origin): Promise<AdvisorView> {
    if (status === 'BUSY' && (reason === null || !this.deps.settings.pauseReasons.includes(reason))) {
      throw new ValidationError({ reason: `Indica el motivo de la pausa: ${this.deps.settings.pauseReasons.join(', ')}` });
    }
    const now = this.deps.clock.now();
    const changed = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      if (!advisor.active && status !== 'OFFLINE') {
        throw new DomainError('TRANSICION_INVALIDA', 'El asesor está desactivado: un administrador debe reactivarlo primero');
      }
      const [serving] = await tx.execute<{ numero: string }[]>(
        `select numero from ticket where assigned_advisor_id = ? and status = 'ATENDIENDO'`,
        [advisorId],
      );
      const pauseReason = status === 'BUSY' ? reason : null;
      if (serving) {
        if (status !== 'BUSY') {
          throw new DomainError(
            'TRANSICION_INVALIDA',
            `Primero completa o marca como no presentado el ticket ${serving.numero}`,
            { ticketEnAtencion: serving.numero },
          );
        }
        if (advisor.pause_reason === pauseReason) return null;
      } else if (advisor.status === status && advisor.pause_reason === pauseReason) {
        return null;
      }
      await tx.execute(`update advisor set status = ?, pause_reason = ?, updated_at = ? where id = ?`, [
        status,
        pauseReason,
        now,
        advisorId,
      ]);
      if (!serving) await moveAdvisorState(tx, advisorId, idleState(status), pauseReason, now);
      await recordAudit(tx, {
        entityType: 'ADVISOR',
        entityId: advisorId,
        eventType: 'ADVISOR_STATUS_CHANGED',
        origin,
        oldState: { status: advisor.status },
        newState: { status },
        additionalData: reason || serving ? { ...(reason ? { reason } : {}), ...(serving ? { pauseAfterTicket: serving.numero } : {}) } : null,
        at: now,
      });
      return advisor;
    });
    if (changed && status === 'AVAILABLE') {
      this.deps.events.emit('advisor.available', { advisorId, branchOffice: changed.branch_office });
      await this.deps.assignment.assignAvailable(changed.branch_office);
    }
    return this.deps.advisors.get(advisorId);
  }

  /** Llegó: the called customer is at the desk; the service starts now. */
  async arrived(advisorId: number, origin: Origin, expectedTicketId?: number): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const ticket = await lockServingTicket(tx, advisor, expectedTicketId);
      if (ticket.service_started_at) {
        throw new DomainError('TRANSICION_INVALIDA', `Ya confirmaste la llegada de ${ticket.numero}`);
      }
      await tx.execute(
        `with t as (update ticket set service_started_at = ?, updated_at = ? where id = ? returning id)
         update ticket_visit set service_started_at = ? where ticket_id = ? and ended_at is null`,
        [now, now, ticket.id, now, ticket.id],
      );
      await moveAdvisorState(tx, advisorId, 'SERVING', null, now);
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_ATENCION_INICIADA',
        origin,
        oldState: { status: 'ATENDIENDO', serviceStartedAt: null },
        newState: { status: 'ATENDIENDO', serviceStartedAt: now.toISOString() },
        additionalData: { numero: ticket.numero, advisorId, minutesSinceFirstCall: serviceMinutes(ticket, now) },
        at: now,
      });
    });
    return this.deps.advisors.get(advisorId);
  }

  /** Volver a llamar: before arrival, at most RECALL_MAX calls in all, RECALL_MIN_INTERVAL_S apart. */
  async recall(advisorId: number, origin: Origin, expectedTicketId?: number): Promise<AdvisorView> {
    const { recallMax, recallMinIntervalSeconds } = this.deps.settings;
    const now = this.deps.clock.now();
    const recalled = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const ticket = await lockServingTicket(tx, advisor, expectedTicketId);
      if (ticket.service_started_at) {
        throw new DomainError('TRANSICION_INVALIDA', `${ticket.numero} ya llegó al módulo: no hace falta volver a llamarlo`);
      }
      if (ticket.recall_count >= recallMax) {
        throw new DomainError(
          'LLAMADOS_AGOTADOS',
          `Ya llamaste a ${ticket.numero} ${ticket.recall_count} veces (máximo ${recallMax}); puedes marcarlo como no presentado`,
          { llamados: ticket.recall_count, maximo: recallMax },
        );
      }
      const since = (now.getTime() - utc(ticket.last_called_at ?? ticket.assigned_at).getTime()) / 1000;
      if (since < recallMinIntervalSeconds) {
        const wait = Math.ceil(recallMinIntervalSeconds - since);
        throw new DomainError('RELLAMADO_MUY_PRONTO', `Espera ${wait} s antes de volver a llamar a ${ticket.numero}`, {
          reintentarEnSegundos: wait,
        });
      }
      const callNumber = ticket.recall_count + 1;
      await tx.execute(`update ticket set recall_count = ?, last_called_at = ?, updated_at = ? where id = ?`, [
        callNumber,
        now,
        now,
        ticket.id,
      ]);
      if (ticket.reachable) {
        await planMessage(tx, ticket.id, 'TOTEM_RELLAMADO', now, now, { n: callNumber, max: recallMax });
      }
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_RELLAMADO',
        origin,
        oldState: { recallCount: ticket.recall_count },
        newState: { recallCount: callNumber },
        additionalData: { numero: ticket.numero, advisorId, moduleNumber: advisor.module_number },
        at: now,
      });
      return { ticket, callNumber, branchOffice: advisor.branch_office };
    });
    const ticketId = Number(recalled.ticket.id);
    this.deps.events.emit('ticket.recalled', {
      ticketId,
      branchOffice: recalled.branchOffice,
      numero: recalled.ticket.numero,
      callNumber: recalled.callNumber,
    });
    this.deps.events.emit('messages.due', { ticketId });
    return this.deps.advisors.get(advisorId);
  }

  /**
   * Ends the service of the advisor's current customer: COMPLETADO (and the rating survey goes
   * out), or NO_ATENDIDO once they were called NO_SHOW_MIN_CALLS times without arriving.
   */
  async finishCurrent(
    advisorId: number,
    outcome: ServiceOutcome,
    origin: Origin,
    expectedTicketId?: number,
  ): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    const finished = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const ticket = await lockServingTicket(tx, advisor, expectedTicketId);
      if (outcome === 'NO_ATENDIDO') this.checkNoShowAllowed(ticket);
      return this.finishTicket(tx, advisor, ticket, outcome, origin, now);
    });
    await this.afterRelease(finished);
    return this.deps.advisors.get(advisorId);
  }

  private checkNoShowAllowed(ticket: ServingTicket): void {
    if (ticket.service_started_at) {
      throw new DomainError('TRANSICION_INVALIDA', `${ticket.numero} llegó al módulo: complétalo en vez de marcarlo como no presentado`);
    }
    const min = this.deps.settings.noShowMinCalls;
    if (ticket.recall_count < min) {
      throw new DomainError(
        'TRANSICION_INVALIDA',
        `Llama a ${ticket.numero} al menos ${min} veces antes de marcarlo como no presentado (van ${ticket.recall_count})`,
        { llamados: ticket.recall_count, minimo: min },
      );
    }
  }

  private async finishTicket(
    tx: Queryable,
    advisor: LockedAdvisor,
    ticket: ServingTicket,
    outcome: ServiceOutcome,
    origin: Origin,
    now: Date,
    endReason: string | null = null,
  ): Promise<Released> {
    const completed = outcome === 'COMPLETADO';
    const minutes = serviceMinutes(ticket, now);
    await tx.execute(
      `update ticket set status = ?, completed_at = ?, actual_service_time_minutes = ?, end_reason = ?, updated_at = ? where id = ?`,
      [outcome, now, completed ? minutes : null, endReason, now, ticket.id],
    );
    // The ticket has ended: what was not sent will never be, and the row says why.
    await closePendingMessages(tx, ticket.id, endReason ?? 'ticket finalizado antes del envío', { noChatFirst: true });
    // "¿Cómo te atendimos?": last, once, to customers who could be reached.
    if (completed && ticket.reachable) await planMessage(tx, ticket.id, 'TOTEM_ENCUESTA', now, now);
    await recordAudit(tx, {
      entityType: 'TICKET',
      entityId: ticket.id,
      eventType: completed ? 'TICKET_COMPLETADO' : 'TICKET_NO_ATENDIDO',
      origin,
      oldState: { status: 'ATENDIENDO' },
      newState: { status: outcome, actualServiceTimeMinutes: completed ? minutes : null },
      additionalData: {
        numero: ticket.numero,
        queueType: ticket.queue_type,
        advisorId: Number(advisor.id),
        llamados: ticket.recall_count,
        ...(endReason ? { reason: endReason } : {}),
      },
      at: now,
    });
    const status = await releaseAdvisor(tx, {
      advisor,
      ticket,
      outcome,
      completedMinutes: completed ? minutes : null,
      now,
      origin,
    });
    return {
      advisorId: Number(advisor.id),
      branchOffice: advisor.branch_office,
      ticketId: Number(ticket.id),
      status,
      queueType: ticket.queue_type,
      outcome,
    };
  }

  private async afterRelease(released: Released): Promise<void> {
    const { advisorId, branchOffice, ticketId, status, queueType, outcome } = released;
    this.deps.events.emit('ticket.finished', { ticketId, branchOffice, advisorId, queueType, outcome });
    this.deps.events.emit('messages.due', { ticketId });
    if (status === 'AVAILABLE') {
      this.deps.events.emit('advisor.available', { advisorId, branchOffice });
      await this.deps.assignment.assignAvailable(branchOffice);
    }
  }

  /**
   * Transferir: the customer goes back to waiting — in another queue (same number) or for one
   * named advisor — by their original arrival (keepPlace) or at the back; the advisor is free.
   */
  async transfer(advisorId: number, command: TransferCommand, origin: Origin, expectedTicketId?: number): Promise<AdvisorView> {
    if (command.queueType === null && command.advisorId === null) {
      throw new ValidationError({ queueType: 'Indica la fila (queueType) o el asesor (advisorId) de destino' });
    }
    const now = this.deps.clock.now();
    const released = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const ticket = await lockServingTicket(tx, advisor, expectedTicketId);
      const target = await this.transferTarget(tx, advisor, ticket, command);

      await tx.execute(
        `update ticket set status = 'EN_ESPERA', queue_type = ?, reserved_advisor_id = ?, assigned_advisor_id = null,
           assigned_module_number = null, service_started_at = null, recall_count = 0,
           queued_at = case when ? then created_at else ? end, updated_at = ?
         where id = ?`,
        [target.queueType, target.advisorId, command.keepPlace, now, now, ticket.id],
      );
      const status = await releaseAdvisor(tx, { advisor, ticket, outcome: 'TRANSFERIDO', completedMinutes: null, now, origin });

      // Its place in the new line, by the real call order; "near" at once when it is near.
      const [row] = await tx.execute<{ pos: number }[]>(positionOfTicketSql(this.deps.settings.preferentialEvery, target.advisorId !== null), [
        ticket.id,
        ticket.id,
      ]);
      const position = row?.pos ?? 1;
      const [online] = await tx.execute<{ online: number }[]>(`select ${ADVISORS_ONLINE_COUNT} as online`, [
        advisor.branch_office,
        target.queueType,
      ]);
      const estimate = estimateWaitMinutes(position, target.queueType, target.advisorId ? 1 : (online?.online ?? 0));
      const proximo = isProximo(position, this.deps.proximoThreshold);
      await tx.execute(`update ticket set status = ?, position_in_queue = ?, estimated_wait_minutes = ? where id = ?`, [
        proximo ? 'PROXIMO' : 'EN_ESPERA',
        position,
        estimate,
        ticket.id,
      ]);
      // The messages of the earlier queue are over; the new queue's go out like a new ticket's.
      await closePendingMessages(tx, ticket.id, 'ticket transferido', { noChatFirst: true });
      if (ticket.reachable) {
        const atEstimate = new Date(now.getTime() + estimate * 60_000);
        await planMessage(tx, ticket.id, 'TOTEM_TRANSFERIDO', now, now, { fila: target.label });
        await planMessage(tx, ticket.id, 'TOTEM_PROXIMO_TURNO', proximo ? now : atEstimate, now);
        await planMessage(tx, ticket.id, 'TOTEM_ES_TU_TURNO', atEstimate, now);
      }
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_TRANSFERIDO',
        origin,
        oldState: { status: 'ATENDIENDO', queueType: ticket.queue_type, advisorId },
        newState: {
          status: proximo ? 'PROXIMO' : 'EN_ESPERA',
          queueType: target.queueType,
          reservedAdvisorId: target.advisorId,
          positionInQueue: position,
        },
        additionalData: { numero: ticket.numero, keepPlace: command.keepPlace, ...(command.reason ? { reason: command.reason } : {}) },
        at: now,
      });
      return { advisorId, branchOffice: advisor.branch_office, ticketId: Number(ticket.id), status };
    });
    await this.afterRelease(released);
    return this.deps.advisors.get(advisorId);
  }

  private async transferTarget(
    tx: Queryable,
    advisor: LockedAdvisor,
    ticket: ServingTicket,
    command: TransferCommand,
  ): Promise<{ queueType: QueueType; advisorId: number | null; label: string }> {
    const queueType = command.queueType ?? ticket.queue_type;
    if (command.advisorId !== null) {
      const [other] = await tx.execute<{ id: string; name: string; branch_office: string }[]>(
        `select id, name, branch_office from advisor where id = ?`,
        [command.advisorId],
      );
      if (!other) throw new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${command.advisorId}`);
      if (other.branch_office !== advisor.branch_office || Number(other.id) === Number(advisor.id)) {
        throw new DomainError('COLA_NO_DISPONIBLE', `No se puede derivar a ${other.name}: debe ser otro asesor de la misma sucursal`);
      }
      return { queueType, advisorId: Number(other.id), label: `${QUEUES[queueType].label} con ${other.name}` };
    }
    if (queueType === ticket.queue_type) {
      throw new DomainError('COLA_NO_DISPONIBLE', `${ticket.numero} ya está en la fila ${QUEUES[queueType].label}`);
    }
    const [served] = await tx.execute<{ served: boolean }[]>(
      `select exists (select 1 from advisor where branch_office = ? and queue_types::jsonb @> to_jsonb(?::text)) as served`,
      [advisor.branch_office, queueType],
    );
    if (!served?.served) {
      throw new DomainError('COLA_NO_DISPONIBLE', `La sucursal ${advisor.branch_office} no atiende la fila ${QUEUES[queueType].label}`);
    }
    return { queueType, advisorId: null, label: QUEUES[queueType].label };
  }

  /** Llamar otro número: a named waiting ticket of a queue the advisor serves, from a pause or while free. */
  async callOutOfOrder(advisorId: number, numero: string, reason: string, origin: Origin): Promise<AdvisorView> {
    const now = this.deps.clock.now();
    const assignment = await this.db.transactional(async (tx) => {
      const [branch] = await tx.execute<{ branch_office: string }[]>(`select branch_office from advisor where id = ?`, [advisorId]);
      if (!branch) throw new DomainError('ASESOR_NO_ENCONTRADO', `No existe el asesor ${advisorId}`);
      // The same lock as automatic assignment: two calls of one ticket are settled one after the other.
      await tx.execute(ASSIGN_LOCK_SQL, [branch.branch_office]);
      const advisor = await lockAdvisor(tx, advisorId);
      if (advisor.status === 'OFFLINE') {
        throw new DomainError('TRANSICION_INVALIDA', `${advisor.name} está desconectado: conéctate antes de llamar`);
      }
      const [serving] = await tx.execute<{ numero: string }[]>(
        `select numero from ticket where assigned_advisor_id = ? and status = 'ATENDIENDO'`,
        [advisorId],
      );
      if (serving) {
        throw new DomainError('TRANSICION_INVALIDA', `Primero termina con ${serving.numero}`, { ticketEnAtencion: serving.numero });
      }
      const [ticket] = await tx.execute<
        { id: string; numero: string; queue_type: QueueType; status: string; position_in_queue: number; reserved_advisor_id: string | null }[]
      >(
        `select id, numero, queue_type, status, position_in_queue, reserved_advisor_id from ticket
         where branch_office = ? and service_date = branch_service_date(?, ?::timestamp) and numero = ? for update`,
        [advisor.branch_office, advisor.branch_office, now, numero],
      );
      if (!ticket) throw new DomainError('TICKET_NO_ENCONTRADO', `No hay un turno ${numero} hoy en ${advisor.branch_office}`);
      if (ticket.status !== 'EN_ESPERA' && ticket.status !== 'PROXIMO') {
        throw new DomainError('TICKET_NO_DISPONIBLE', `El turno ${numero} ya no está esperando (${ticket.status})`, {
          status: ticket.status,
        });
      }
      if (ticket.reserved_advisor_id !== null && Number(ticket.reserved_advisor_id) !== advisorId) {
        throw new DomainError('TICKET_NO_DISPONIBLE', `El turno ${numero} espera a otro asesor, al que fue derivado`);
      }
      if (!advisor.queue_types.includes(ticket.queue_type) && Number(ticket.reserved_advisor_id) !== advisorId) {
        throw new DomainError('TICKET_NO_DISPONIBLE', `${advisor.name} no atiende la fila ${QUEUES[ticket.queue_type].label}`);
      }
      await callTicket(tx, { ticket, advisor, branchOffice: advisor.branch_office, now, origin, outOfOrder: { reason } });
      return {
        ticketId: Number(ticket.id),
        numero: ticket.numero,
        queueType: ticket.queue_type,
        branchOffice: advisor.branch_office,
        advisorId,
        advisorName: advisor.name,
        moduleNumber: advisor.module_number,
      };
    });
    this.deps.events.emit('ticket.assigned', assignment);
    return this.deps.advisors.get(advisorId);
  }

  /** The customer's 1–5 answer to "¿Cómo te atendimos?", kept once per completed ticket. */
  async rate(ticketId: number, score: number, origin: Origin): Promise<{ numero: string; rating: number }> {
    if (!Number.isInteger(score) || score < 1 || score > 5) throw new ValidationError({ rating: 'La nota va de 1 a 5' });
    const now = this.deps.clock.now();
    return this.db.transactional(async (tx) => {
      const [ticket] = await tx.execute<{ id: string; numero: string; status: string; rating: number | null }[]>(
        `select id, numero, status, rating from ticket where id = ? for update`,
        [ticketId],
      );
      if (!ticket) throw new DomainError('TICKET_NO_ENCONTRADO', 'No existe un ticket con ese identificador');
      if (ticket.status !== 'COMPLETADO') throw new DomainError('TRANSICION_INVALIDA', `El turno ${ticket.numero} no fue atendido`);
      if (ticket.rating !== null) {
        throw new DomainError('EVALUACION_REGISTRADA', `Ya registramos tu evaluación de ${ticket.numero}`, { rating: ticket.rating });
      }
      await tx.execute(`update ticket set rating = ?, rated_at = ?, updated_at = ? where id = ?`, [score, now, now, ticket.id]);
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_EVALUADO',
        origin,
        newState: { rating: score },
        additionalData: { numero: ticket.numero },
        at: now,
      });
      return { numero: ticket.numero, rating: score };
    });
  }

  /**
   * A called customer who cancels (bot or kiosk) walked out: CANCELADO, the advisor freed and told.
   * Called by TicketService.cancel with the advisor's id it read; locks advisor, then ticket.
   */
  async walkOut(codigoReferencia: string, advisorId: number, origin: Origin): Promise<boolean> {
    const now = this.deps.clock.now();
    const released = await this.db.transactional(async (tx) => {
      const advisor = await lockAdvisor(tx, advisorId);
      const [ticket] = await tx.execute<ServingTicket[]>(
        `select ${SERVING_COLUMNS} from ticket t where t.codigo_referencia = ? and t.assigned_advisor_id = ? and t.status = 'ATENDIENDO' for update`,
        [codigoReferencia, advisorId],
      );
      // It changed meanwhile (finished, or already at the desk): the caller answers as usual.
      if (!ticket || ticket.service_started_at) return null;
      await tx.execute(
        `update ticket set status = 'CANCELADO', completed_at = ?, updated_at = ?, position_in_queue = 0, estimated_wait_minutes = 0
         where id = ?`,
        [now, now, ticket.id],
      );
      await closePendingMessages(tx, ticket.id, 'ticket cancelado');
      await recordAudit(tx, {
        entityType: 'TICKET',
        entityId: ticket.id,
        eventType: 'TICKET_CANCELADO',
        origin,
        oldState: { status: 'ATENDIENDO' },
        newState: { status: 'CANCELADO' },
        additionalData: { numero: ticket.numero, advisorId, walkout: true },
        at: now,
      });
      const status = await releaseAdvisor(tx, { advisor, ticket, outcome: 'CANCELADO', completedMinutes: null, now, origin });
      return {
        advisorId,
        branchOffice: advisor.branch_office,
        ticketId: Number(ticket.id),
        status,
        numero: ticket.numero,
        queueType: ticket.queue_type,
      };
    });
    if (!released) return false;
    this.deps.events.emit('ticket.cancelled', {
      ticketId: released.ticketId,
      branchOffice: released.branchOffice,
      queueType: released.queueType,
    });
    this.deps.events.emit('advisor.customer-left', { advisorId, branchOffice: released.branchOffice, numero: released.numero });
    await this.afterRelease(released);
    return true;
  }

  /** NO_SHOW_AUTO_MINUTES: called customers not at the desk this long after their last allowed call. */
  async autoNoShow(): Promise<number> {
    const minutes = this.deps.settings.noShowAutoMinutes;
    if (minutes <= 0) return 0;
    const now = this.deps.clock.now();
    const due = await this.db.execute<{ advisor_id: string }[]>(
      `select assigned_advisor_id as advisor_id from ticket
       where status = 'ATENDIENDO' and service_started_at is null and recall_count >= ?
         and last_called_at <= ?::timestamp - make_interval(mins => ?)`,
      [this.deps.settings.recallMax, now, minutes],
    );
    let closed = 0;
    for (const { advisor_id } of due) {
      const released = await this.db.transactional(async (tx) => {
        const advisor = await lockAdvisor(tx, Number(advisor_id));
        const [ticket] = await tx.execute<ServingTicket[]>(
          `select ${SERVING_COLUMNS} from ticket t where t.assigned_advisor_id = ? and t.status = 'ATENDIENDO' and t.service_started_at is null
             and t.recall_count >= ? and t.last_called_at <= ?::timestamp - make_interval(mins => ?) for update`,
          [advisor_id, this.deps.settings.recallMax, now, minutes],
        );
        return ticket ? this.finishTicket(tx, advisor, ticket, 'NO_ATENDIDO', SYSTEM, now) : null;
      });
      if (released) {
        closed++;
        await this.afterRelease(released);
      }
    }
    return closed;
  }

  /**
   * The day ends (SPEC §12), each branch in its own time (SPEC §17: branch_days gives its service
   * day and its closing instant for that weekday). Tickets of an earlier service day still active
   * are closed whatever the hour (at start and at the change of day), their advisors freed; once a
   * branch's closing time has passed, its tickets of today still waiting from before it are closed.
   * Closed tickets become NO_ATENDIDO (`cierre del día`), their unsent messages closed and their
   * customers told; the RUT is free again. Idempotent: the jobs run it every half minute and at start.
   */
  async endOfDay(): Promise<EndOfDayResult> {
    const now = this.deps.clock.now();
    const waitingClosed = await this.closeWaiting(now);

    // Earlier days' customers still at a desk: closed one by one, each freeing its advisor.
    const stale = await this.db.execute<{ advisor_id: string }[]>(
      `select t.assigned_advisor_id as advisor_id from ticket t join branch_days(?::timestamp) d on d.branch_office = t.branch_office
       where t.status = 'ATENDIENDO' and t.service_date < d.service_date`,
      [now],
    );
    let servingClosed = 0;
    for (const { advisor_id } of stale) {
      const released = await this.db.transactional(async (tx) => {
        const advisor = await lockAdvisor(tx, Number(advisor_id));
        const [ticket] = await tx.execute<ServingTicket[]>(
          `select ${SERVING_COLUMNS} from ticket t where t.assigned_advisor_id = ? and t.status = 'ATENDIENDO'
             and t.service_date < branch_service_date(t.branch_office, ?::timestamp) for update of t`,
          [advisor_id, now],
        );
        if (!ticket) return null;
        const result = await this.finishTicket(tx, advisor, ticket, 'NO_ATENDIDO', SYSTEM, now, END_OF_DAY_REASON);
        await planClosingNotices(tx, [ticket.id], now);
        return result;
      });
      if (released) {
        servingClosed++;
        await this.afterRelease(released);
      }
    }
    return { waitingClosed, servingClosed };
  }

  /** Set-based: every waiting ticket of an earlier day of its branch, or of today from before the branch's closing. */
  private async closeWaiting(now: Date): Promise<number> {
    // One transaction: the closing notice is written with the close, and an instance running the
    // same sweep at the same moment finds the rows no longer waiting (its update re-checks them).
    const row = await this.db.transactional(async (tx) => {
      const [closedRow] = await tx.execute<{ closed: number; ids: string[] | null }[]>(
        `with closed as (
           update ticket t set status = 'NO_ATENDIDO', completed_at = ?, end_reason = ?, position_in_queue = 0,
             estimated_wait_minutes = 0, reserved_advisor_id = null, updated_at = ?
           from branch_days(?::timestamp) d
           where d.branch_office = t.branch_office and t.status in ${WAITING}
             and (t.service_date < d.service_date
               or (d.day_end <= ?::timestamp and t.service_date = d.service_date and t.created_at < d.day_end))
           returning t.id, t.numero, t.queue_type, t.branch_office, t.status),
         audit as (
           insert into audit_log (${AUDIT_COLUMNS})
           select 'TICKET', c.id::text, 'TICKET_NO_ATENDIDO', 'SYSTEM', null,
                  json_build_object('status', 'NO_ATENDIDO'),
                  json_build_object('numero', c.numero, 'queueType', c.queue_type, 'branchOffice', c.branch_office, 'reason', ?::text),
                  null, null, ?
           from closed c
           returning 1)
         select (select count(*) from closed)::int as closed, (select array_agg(id) from closed) as ids`,
        [now, END_OF_DAY_REASON, now, now, now, END_OF_DAY_REASON, now],
      );
      if (closedRow?.ids?.length) {
        await closePendingMessages(tx, closedRow.ids, END_OF_DAY_REASON);
        await planClosingNotices(tx, closedRow.ids, now);
      }
      return closedRow;
    });
    const ids = row?.ids ?? [];
    for (const id of ids) this.deps.events.emit('messages.due', { ticketId: Number(id) });
    return row?.closed ?? 0;
  }
}

interface Released {
  advisorId: number;
  branchOffice: string;
  ticketId: number;
  status: AdvisorStatus;
  /** For the metrics (SPEC §15). */
  queueType?: QueueType;
  outcome?: ServiceOutcome;
}
