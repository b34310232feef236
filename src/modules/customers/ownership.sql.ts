/*
 * Who a chat is (SPEC §22), written once. A RUT typed in the bot is a claim, not a proof: it links
 * nothing. A chat owns a ticket only through one of these anchors:
 *   1. it took the ticket in the bot (`ticket.chat_id`);
 *   2. it opened the ticket's deep link (`ticket_telegram_link`): whoever holds the printed or
 *      on-screen ticket;
 *   3. its own verified phone (a Telegram contact whose `user_id` is the sender, SPEC §6) equals the
 *      phone given with the ticket;
 *   4. the customer's identity provider vouched for the ticket's RUT in this chat
 *      (`telegram_verified_rut`, OpenID Connect).
 * Every door reads ownership from here: the dispatcher's routing, "Mi turno", cancel, the rating
 * and come-back buttons, /misdatos and /borrar.
 */

/**
 * The chats that own ticket `t`: `c` is the chat's `telegram_customer` row. Used as
 * `from ticket t join telegram_customer c on c.chat_id = ? where ${CHAT_OWNS_TICKET}`.
 */
export const CHAT_OWNS_TICKET = `(t.chat_id = c.chat_id
  or exists (select 1 from ticket_telegram_link l where l.ticket_id = t.id and l.chat_id = c.chat_id)
  or (t.telefono_bidx is not null and t.telefono_bidx = c.phone_bidx)
  or exists (select 1 from telegram_verified_rut v where v.chat_id = c.chat_id and v.national_id_bidx = t.national_id_bidx))`;

/**
 * The one chat a ticket's messages go to (SPEC §5), the same anchors in order: the chat that took
 * it, else the chat that opened its deep link, else the chat whose verified phone is the ticket's,
 * else the chat that verified the ticket's RUT.
 * `t` is the ticket alias. Null while no chat owns the ticket.
 */
export const OWNER_CHAT_ID = `coalesce(
  t.chat_id,
  (select l.chat_id from ticket_telegram_link l where l.ticket_id = t.id),
  (select c.chat_id from telegram_customer c where t.telefono_bidx is not null and c.phone_bidx = t.telefono_bidx
     order by c.updated_at desc limit 1),
  (select v.chat_id from telegram_verified_rut v where v.national_id_bidx = t.national_id_bidx
     order by v.verified_at desc limit 1)
)`;
