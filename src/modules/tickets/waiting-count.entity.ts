import { defineEntity } from '@mikro-orm/core';
import type { QueueType } from '../../domain/queue-types.js';

/**
 * How many wait (EN_ESPERA or PROXIMO) per branch and queue, kept by a trigger on `ticket`
 * (migration 20261205140000): what a newcomer's promise and a screen read instead of counting the line.
 */
export const TicketWaitingCount = defineEntity({
  name: 'TicketWaitingCount',
  tableName: 'ticket_waiting_count',
  properties: (p) => ({
    branchOffice: p.string().length(100).primary(),
    queueType: p.string().length(20).$type<QueueType, string>().primary(),
    waiting: p.integer().default(0),
  }),
  primaryKeys: ['branchOffice', 'queueType'],
  checks: [{ name: 'ticket_waiting_count_waiting_check', expression: 'waiting >= 0' }],
});
