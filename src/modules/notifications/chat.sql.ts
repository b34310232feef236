import { OWNER_CHAT_ID } from '../customers/ownership.sql.js';

/**
 * The Telegram chat that reaches a ticket's customer (SPEC §5, §22): the chat that owns it — took
 * it, opened its deep link, or shared its phone as a verified contact. A typed RUT routes nothing.
 * `t` is the ticket alias.
 */
export const RESOLVED_CHAT_ID = OWNER_CHAT_ID;

/**
 * A message whose event has happened: created; PROXIMO or later; assigned. For a customer who asked
 * "avísame" (SPEC §13) the near notice is time-based only: armed when the queue job decided their
 * lead was reached (or when they are called), never by the position rule — third in line can still
 * be an hour away. The floor's messages (recall, transfer, survey, closing) are planned when their
 * event happens. `m` message, `t` ticket.
 */
export const ARMED = `(m.plantilla not in ('TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO')
  or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status = 'ATENDIENDO')
  or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status = 'PROXIMO'
        and not exists (select 1 from ticket_come_back cb where cb.ticket_id = t.id))
  or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and exists (select 1 from ticket_come_back cb
        where cb.ticket_id = t.id and cb.notified_at is not null))
  or (m.plantilla = 'TOTEM_ES_TU_TURNO' and t.status = 'ATENDIENDO'))`;
