import { defineEntity, p } from '@mikro-orm/core';
import { createdAtColumn } from '../../db/columns.js';
import { Ticket } from '../tickets/ticket.entity.js';

/**
 * "Avísame cuando falten N minutos" (SPEC §13): the lead a customer asked for, and when the
 * queue job decided the "near" notice is due (it arms TOTEM_PROXIMO_TURNO).
 */
export const TicketComeBack = defineEntity({
  name: 'TicketComeBack',
  tableName: 'ticket_come_back',
  properties: {
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').primary().deleteRule('cascade').updateRule('no action'),
    leadMinutes: p.integer(),
    notifiedAt: p.datetime().columnType('timestamp').nullable(),
    createdAt: createdAtColumn(),
  },
  checks: [{ name: 'ticket_come_back_lead_minutes_check', expression: 'lead_minutes >= 1 and lead_minutes <= 120' }],
});
