export const TICKET_STATUSES = [
  'EN_ESPERA',
  'PROXIMO',
  'ATENDIENDO',
  'COMPLETADO',
  'CANCELADO',
  'NO_ATENDIDO',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

/** Statuses that hold a customer's place: at most one such ticket per RUT. */
export const ACTIVE_STATUSES = ['EN_ESPERA', 'PROXIMO', 'ATENDIENDO'] as const satisfies readonly TicketStatus[];
/** Statuses that count for positions in line. */
export const WAITING_STATUSES = ['EN_ESPERA', 'PROXIMO'] as const satisfies readonly TicketStatus[];
export const FINAL_STATUSES = ['COMPLETADO', 'CANCELADO', 'NO_ATENDIDO'] as const satisfies readonly TicketStatus[];

export function isActive(status: TicketStatus): boolean {
  return (ACTIVE_STATUSES as readonly TicketStatus[]).includes(status);
}
