import { defineEntity, p } from '@mikro-orm/core';
import { Ticket } from './ticket.entity.js';

/** The customer ticked "use my phone" at the tótem (SPEC §19): when, for the ticket it came with. */
export const TicketPhoneConsent = defineEntity({
  name: 'TicketPhoneConsent',
  tableName: 'ticket_phone_consent',
  properties: {
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').primary().deleteRule('cascade').updateRule('no action'),
    consentedAt: p.datetime().columnType('timestamp'),
  },
});
