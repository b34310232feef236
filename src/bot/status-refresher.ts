import type { Api } from 'grammy';
import { GrammyError } from 'grammy';
import type { Db } from '../db/sql.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { texts } from './texts.js';

const FINISHED = new Set(['COMPLETADO', 'CANCELADO', 'NO_ATENDIDO']);

/**
 * Keeps each chat's "Mi turno" message current: every period, edits those whose text changed
 * (so at most one edit per message per period), and forgets a message once its ticket ended.
 * One instance at a time does it (a transaction-scoped advisory lock).
 */
export async function refreshStatusMessages(deps: { api: Api; db: Db; services: Services; logger: Logger }): Promise<number> {
  const { api, db, services, logger } = deps;
  return db.transactional(async (tx) => {
    const [lock] = await tx.execute<{ locked: boolean }[]>(
      `select pg_try_advisory_xact_lock(hashtext('ticketero:job'), hashtext('status-messages')) as locked`,
    );
    if (!lock?.locked) return 0;
    let edited = 0;
    for (const status of await services.customers.statusMessages()) {
      const ticket = await services.tickets.getByCodigo(status.codigo);
      const text = texts.status(ticket);
      if (text !== status.lastText) {
        try {
          await api.editMessageText(status.chatId, status.messageId, text, { parse_mode: 'HTML' });
          edited++;
        } catch (error) {
          if (!(error instanceof GrammyError && /not modified/i.test(error.description))) {
            logger.debug({ err: error, chatId: status.chatId }, 'no se pudo actualizar "Mi turno"; se deja de seguir');
            await services.customers.forgetStatusMessage(status.chatId);
            continue;
          }
        }
        await services.customers.updateStatusText(status.chatId, text);
      }
      if (FINISHED.has(ticket.status)) await services.customers.forgetStatusMessage(status.chatId);
    }
    return edited;
  });
}
