/**
 * The Telegram chat that reaches a ticket's customer (SPEC §5): the chat registered with the
 * ticket's RUT, else the chat that shared the ticket's phone, else the chat that opened the
 * ticket's deep link. `t` is the ticket alias.
 */
export const RESOLVED_CHAT_ID = `coalesce(
  (select c.chat_id from telegram_customer c where c.national_id = t.national_id limit 1),
  (select c.chat_id from telegram_customer c where t.telefono is not null and c.phone = t.telefono
     order by c.updated_at desc limit 1),
  (select l.chat_id from ticket_telegram_link l where l.ticket_id = t.id)
)`;

/**
 * A message whose event has happened: created; PROXIMO or later; assigned. The floor's messages
 * (recall, transfer, survey, closing) are planned when their event happens. `m` message, `t` ticket.
 */
export const ARMED = `(m.plantilla not in ('TOTEM_PROXIMO_TURNO', 'TOTEM_ES_TU_TURNO')
  or (m.plantilla = 'TOTEM_PROXIMO_TURNO' and t.status in ('PROXIMO', 'ATENDIENDO'))
  or (m.plantilla = 'TOTEM_ES_TU_TURNO' and t.status = 'ATENDIENDO'))`;
