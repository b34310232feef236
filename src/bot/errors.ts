import { DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { texts } from './texts.js';

/** The one place where domain errors become bot replies (the HTTP twin is src/http/errors.ts). */
export function replyForError(error: unknown, logger: Logger): string {
  if (error instanceof ValidationError) return `❗ ${Object.values(error.campos)[0] ?? error.message}`;
  if (error instanceof DomainError) {
    switch (error.code) {
      case 'TICKET_ACTIVO_EXISTENTE':
        return texts.activeTicket(String(error.details.ticketActivo ?? ''));
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
