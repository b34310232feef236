import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { Ticket } from '../tickets/ticket.entity.js';

/** The tótem's way into the bot for one ticket (SPEC §19): the QR's token and the short code, hashed. */
export const TicketLinkToken = defineEntity({
  name: 'TicketLinkToken',
  tableName: 'ticket_link_token',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').deleteRule('cascade').updateRule('no action').index('idx_ticket_link_token_ticket'),
    tokenHash: p.string().length(64).unique('ticket_link_token_token_hash_unique'),
    shortCodeHash: p.string().length(64).unique('ticket_link_token_short_code_hash_unique'),
    expiresAt: p.datetime().columnType('timestamp').index('idx_ticket_link_token_expires_at'),
    usedAt: p.datetime().columnType('timestamp').nullable(),
    usedByChatId: p.bigint('number').nullable(),
    createdAt: createdAtColumn(),
  },
});
