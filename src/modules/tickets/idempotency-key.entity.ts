import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { Ticket } from './ticket.entity.js';

/** An `Idempotency-Key` seen on `POST /api/tickets` (SPEC §19): its ticket and the answer given, for 24 h. */
export const TicketIdempotencyKey = defineEntity({
  name: 'TicketIdempotencyKey',
  tableName: 'ticket_idempotency_key',
  properties: {
    keyHash: p.string().length(64).primary(),
    requestHash: p.string().length(64),
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').nullable().deleteRule('cascade').updateRule('no action'),
    response: p.json<Record<string, unknown>>().columnType('jsonb').nullable(),
    createdAt: createdAtColumn().index('idx_ticket_idempotency_key_created_at'),
  },
});
