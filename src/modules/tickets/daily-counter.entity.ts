import { defineEntity } from '@mikro-orm/core';
import { oneOf } from '../../db/checks.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';

/** The last number handed out per branch, branch day and queue: one row lock serialises numbering. */
export const TicketDailyCounter = defineEntity({
  name: 'TicketDailyCounter',
  tableName: 'ticket_daily_counter',
  properties: (p) => ({
    branchOffice: p.string().length(100).primary(),
    serviceDate: p.date().primary(),
    queueType: p.string().length(20).$type<QueueType, string>().primary(),
    lastNumber: p.integer().default(0),
    updatedAt: p.datetime().columnType('timestamp').defaultRaw('current_timestamp'),
  }),
  primaryKeys: ['branchOffice', 'serviceDate', 'queueType'],
  checks: [{ name: 'ticket_daily_counter_queue_type_check', expression: oneOf('queue_type', QUEUE_TYPES) }],
});
