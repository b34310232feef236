import { DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { texts } from './texts.js';

/** The one place where domain errors become bot replies (the HTTP twin is src/http/errors.ts). */
export function replyForError(error: unknown, logger: Logger): string {
  if (error instanceof ValidationError) return `❗ ${Object.values(error.campos)[0] ?? error.message}`;
  if (error instanceof DomainError) {
    switch (error.code) {
      case 'TICKET_ACTIVO_EXISTENTE':
        // No number: the active ticket of a RUT this chat does not own is someone else's (SPEC §22).
        return error.details.ticketActivo ? texts.activeTicket(String(error.details.ticketActivo)) : texts.rutHasActiveTicket;
      case 'LIMITE_TICKETS_CHAT':
        return texts.chatTicketLimit(Number(error.details.porHora ?? 0));
      case 'TICKET_NO_CANCELABLE':
        return texts.cancelTooLate;
      case 'DATO_CIFRADO_ILEGIBLE':
        return texts.personalDataUnreadable;
      default:
        return `❗ ${error.message}`;
    }
  }
  logger.error({ err: error }, 'error no controlado en el bot');
  return texts.genericError;
}
