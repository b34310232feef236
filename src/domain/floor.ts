/** The service floor's vocabulary (SPEC §12): preferential attention, advisor floor states, visit outcomes. */
export const ATENCION_PREFERENTE = ['TERCERA_EDAD', 'EMBARAZO', 'DISCAPACIDAD', 'NINO_EN_BRAZOS'] as const;
export type AtencionPreferente = (typeof ATENCION_PREFERENTE)[number];

export function isAtencionPreferente(value: unknown): value is AtencionPreferente {
  return typeof value === 'string' && (ATENCION_PREFERENTE as readonly string[]).includes(value);
}

export const ATENCION_PREFERENTE_LABEL: Record<AtencionPreferente, string> = {
  TERCERA_EDAD: 'Tercera edad',
  EMBARAZO: 'Embarazo',
  DISCAPACIDAD: 'Discapacidad',
  NINO_EN_BRAZOS: 'Niño en brazos',
};

/**
 * What an advisor is doing, finer than advisor.status (BUSY is both "with a customer" and "on a
 * pause"): every period of one of these is kept in advisor_status_period.
 */
export const FLOOR_STATES = ['AVAILABLE', 'CALLING', 'SERVING', 'PAUSED', 'OFFLINE'] as const;
export type FloorState = (typeof FLOOR_STATES)[number];

export const FLOOR_STATE_LABEL: Record<FloorState, string> = {
  AVAILABLE: 'Disponible',
  CALLING: 'Llamando',
  SERVING: 'Atendiendo',
  PAUSED: 'En pausa',
  OFFLINE: 'Desconectado',
};

/** How one visit of a ticket to an advisor ended. */
export const VISIT_OUTCOMES = ['COMPLETADO', 'NO_ATENDIDO', 'TRANSFERIDO', 'CANCELADO'] as const;
export type VisitOutcome = (typeof VISIT_OUTCOMES)[number];

/** The reason written on tickets closed when the branch's day ends. */
export const END_OF_DAY_REASON = 'cierre del día';
