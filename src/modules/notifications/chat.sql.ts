/**
 * The Telegram chat that reaches a ticket's customer (SPEC §5): the chat registered with the
 * ticket's RUT, else the chat that shared the ticket's phone, else the chat that opened the
 * ticket's deep link. `t` is the ticket alias. RUT and phone meet by their blind indexes (SPEC §14).
 */
export const RESOLVED_CHAT_ID = `coalesce(
  (select c.chat_id from telegram_customer c where c.national_id_bidx = t.national_id_bidx limit 1),
  (select c.chat_id from telegram_customer c where t.telefono_bidx is not null and c.phone_bidx = t.telefono_bidx
     order by c.updated_at desc limit 1),
  (select l.chat_id from ticket_telegram_link l where l.ticket_id = t.id)
)`;

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
