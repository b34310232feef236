import type { Plantilla } from './mensaje.entity.js';

export interface PlannedMessage {
  plantilla: Plantilla;
  fechaProgramada: Date;
}

/**
 * The three messages a reachable ticket gets, in the order they must go out: "created" is due
 * now; "near" and "your turn" are planned at the current estimate and sent only when their
 * event happens (the queue job keeps the estimate up to date).
 */
export function planTicketMessages(createdAt: Date, estimatedWaitMinutes: number, proximoAlready: boolean): PlannedMessage[] {
  const atEstimate = new Date(createdAt.getTime() + estimatedWaitMinutes * 60_000);
  return [
    { plantilla: 'TOTEM_TICKET_CREADO', fechaProgramada: createdAt },
    // A ticket that starts near the front is PROXIMO from the start: its "near" message is due now.
    { plantilla: 'TOTEM_PROXIMO_TURNO', fechaProgramada: proximoAlready ? createdAt : atEstimate },
    { plantilla: 'TOTEM_ES_TU_TURNO', fechaProgramada: atEstimate },
  ];
}
