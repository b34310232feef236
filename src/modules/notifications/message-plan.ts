import type { TicketStatus } from '../../domain/ticket-status.js';
import type { Plantilla } from './mensaje.entity.js';

export interface PlannedMessage {
  plantilla: Plantilla;
  fechaProgramada: Date;
}

/**
 * One step of a reachable ticket's plan: its message, when it is due (at the ticket's creation, or
 * at the creation plus the current estimate), and — when set — only for a ticket created in that status.
 * Data, so the take-ticket statement can plan the messages in SQL once the status is known there.
 */
export interface TicketMessageStep {
  /** Order in which the messages are written (and go out). */
  n: number;
  plantilla: Plantilla;
  due: 'NOW' | 'ESTIMATE';
  status: TicketStatus | null;
}

/**
 * The three messages a reachable ticket gets, in the order they must go out: "created" is due
 * now; "near" and "your turn" are planned at the current estimate and sent only when their
 * event happens (the queue job keeps the estimate up to date). A ticket that starts near the front
 * is PROXIMO from the start: its "near" message is due now.
 */
export function ticketMessageSteps(): readonly TicketMessageStep[] {
  return STEPS;
}

const STEPS: readonly TicketMessageStep[] = [
  { n: 1, plantilla: 'TOTEM_TICKET_CREADO', due: 'NOW', status: null },
  { n: 2, plantilla: 'TOTEM_PROXIMO_TURNO', due: 'NOW', status: 'PROXIMO' },
  { n: 3, plantilla: 'TOTEM_PROXIMO_TURNO', due: 'ESTIMATE', status: 'EN_ESPERA' },
  { n: 4, plantilla: 'TOTEM_ES_TU_TURNO', due: 'ESTIMATE', status: null },
];

/** The steps of ticketMessageSteps for a ticket created now in its status, with their times. */
export function planTicketMessages(createdAt: Date, estimatedWaitMinutes: number, proximoAlready: boolean): PlannedMessage[] {
  const status: TicketStatus = proximoAlready ? 'PROXIMO' : 'EN_ESPERA';
  const atEstimate = new Date(createdAt.getTime() + estimatedWaitMinutes * 60_000);
  return STEPS.filter((s) => s.status === null || s.status === status).map((s) => ({
    plantilla: s.plantilla,
    fechaProgramada: s.due === 'NOW' ? createdAt : atEstimate,
  }));
}
