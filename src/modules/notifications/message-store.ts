import type { Queryable } from '../../db/sql.js';
import { CHAT_OWNS_TICKET } from '../customers/ownership.sql.js';
import { ACTIVE } from '../tickets/queue.sql.js';
import { ARMED, RESOLVED_CHAT_ID } from './chat.sql.js';
import type { Plantilla } from './mensaje.entity.js';
import type { PlannedMessage } from './message-plan.js';

/*
 * The writes of `mensaje` that the doors and modules ask for (SPEC §5, §16), each inside the
 * caller's transaction: plan a ticket's messages, make them due, close them when the ticket ends.
 * The dispatcher records its own sending (dispatcher.ts) and the retention purge deletes sent rows
 * (maintenance); the set-based statements of the queue job and of ticket creation keep their
 * message rows in their one statement.
 */

type TicketIds = string | number | readonly (string | number)[];
const idArray = (ids: TicketIds): readonly (string | number)[] => (Array.isArray(ids) ? ids : [ids as string | number]);

/** A message of a reachable ticket (one planned with messages), due at `due`. */
export async function planMessage(
  tx: Queryable,
  ticketId: string | number,
  plantilla: Plantilla,
  due: Date,
  now: Date,
  datos: Record<string, string | number> | null = null,
): Promise<void> {
  await tx.execute(
    `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at, datos)
     values (?, ?, 'PENDIENTE', ?, ?, ?::json)`,
    [ticketId, plantilla, due, now, datos === null ? null : JSON.stringify(datos)],
  );
}

/** A ticket's messages as message-plan.ts plans them, in their order. */
export async function planMessages(tx: Queryable, ticketId: string | number, plan: readonly PlannedMessage[], now: Date): Promise<void> {
  for (const m of plan) await planMessage(tx, ticketId, m.plantilla, m.fechaProgramada, now);
}

/** The tickets' pending messages of these templates are due at `at` (their event has happened). */
export async function makeMessagesDue(tx: Queryable, ticketIds: TicketIds, plantillas: readonly Plantilla[], at: Date): Promise<void> {
  await tx.execute(
    `update mensaje set fecha_programada = ?
     where ticket_id = any(?::bigint[]) and estado_envio = 'PENDIENTE' and plantilla = any(?::text[])`,
    [at, idArray(ticketIds), plantillas],
  );
}

/**
 * The tickets' unsent messages will never go out (the ticket ended, moved, or closed with the day):
 * FALLIDO, each row saying why. With `noChatFirst` (the floor's outcomes), a ticket no chat owns
 * says that instead: its messages were waiting for a chat, not for the event. A cancellation and
 * the day's close name their own cause.
 */
export async function closePendingMessages(
  tx: Queryable,
  ticketIds: TicketIds,
  why: string,
  options: { noChatFirst?: boolean } = {},
): Promise<void> {
  const ids = idArray(ticketIds);
  if (ids.length === 0) return;
  await tx.execute(
    options.noChatFirst
      ? `update mensaje m set estado_envio = 'FALLIDO',
           error_message = case when ${RESOLVED_CHAT_ID} is null then 'sin chat de Telegram vinculado' else ? end
         from ticket t where t.id = m.ticket_id and m.ticket_id = any(?::bigint[]) and m.estado_envio = 'PENDIENTE'`
      : `update mensaje set estado_envio = 'FALLIDO', error_message = ?
         where ticket_id = any(?::bigint[]) and estado_envio = 'PENDIENTE'`,
    [why, ids],
  );
}

/**
 * "The branch closed for today" to the closed tickets' customers: only tickets planned with messages
 * (their "Ticket Creado" exists) that a chat owns, once per ticket.
 */
export async function planClosingNotices(tx: Queryable, ticketIds: readonly (string | number)[], now: Date): Promise<void> {
  if (ticketIds.length === 0) return;
  await tx.execute(
    `insert into mensaje (ticket_id, plantilla, estado_envio, fecha_programada, created_at)
     select t.id, 'TOTEM_CIERRE_DIA', 'PENDIENTE', ?, ? from ticket t
     where t.id = any(?::bigint[]) and exists (select 1 from mensaje m where m.ticket_id = t.id and m.plantilla = 'TOTEM_TICKET_CREADO')
       and not exists (select 1 from mensaje m where m.ticket_id = t.id and m.plantilla = 'TOTEM_CIERRE_DIA')
       and ${RESOLVED_CHAT_ID} is not null`,
    [now, now, ticketIds],
  );
}

/**
 * A chat can now be reached: the pending messages of the active tickets it owns that were parked
 * waiting for a chat (planned later than now by the dispatcher) and whose event has happened are due now.
 */
export async function releaseChatMessages(db: Queryable, chatId: number, now: Date): Promise<void> {
  await db.execute(
    `update mensaje m set fecha_programada = ?
     from ticket t, telegram_customer c
     where c.chat_id = ? and t.id = m.ticket_id and m.estado_envio = 'PENDIENTE' and m.fecha_programada > ?
       and t.status in ${ACTIVE} and ${ARMED} and ${CHAT_OWNS_TICKET}`,
    [now, chatId, now],
  );
}
