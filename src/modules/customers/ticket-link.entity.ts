import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { Ticket } from '../tickets/ticket.entity.js';

/** The chat that opened a ticket's deep link (the QR the kiosk prints): the last way to reach it. */
export const TicketTelegramLink = defineEntity({
  name: 'TicketTelegramLink',
  tableName: 'ticket_telegram_link',
  properties: {
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').primary().deleteRule('cascade').updateRule('no action'),
    chatId: p.bigint('number').index('idx_ticket_telegram_link_chat'),
    createdAt: createdAtColumn(),
  },
});

/** The "Mi turno" message the bot keeps editing in a chat as the line moves. */
export const TelegramStatusMessage = defineEntity({
  name: 'TelegramStatusMessage',
  tableName: 'telegram_status_message',
  properties: {
    chatId: p.bigint('number').primary().autoincrement(false),
    messageId: p.bigint('number'),
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').deleteRule('cascade').updateRule('no action').index('idx_telegram_status_message_ticket'),
    lastText: p.text(),
    updatedAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
    /** The text the job wants shown, until the dispatcher's edit succeeds (then it is last_text). */
    pendingText: p.text().nullable(),
    /** A 429, 5xx or network error: the edit waits until then (the message is kept). */
    nextAttemptAt: p.datetime().columnType('timestamp').nullable(),
    esperas: p.integer().default(0),
  },
  indexes: [{ name: 'idx_telegram_status_message_due', expression: 'create index "idx_telegram_status_message_due" on "telegram_status_message" ("next_attempt_at") where pending_text is not null' }],
});

/** Where @grammyjs/conversations keeps a chat's conversation between updates (any instance may get the next one). */
export const BotConversation = defineEntity({
  name: 'BotConversation',
  tableName: 'bot_conversation',
  properties: {
    key: p.string().length(100).primary(),
    state: p.json<Record<string, unknown>>().columnType('jsonb'),
    updatedAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
  },
});
