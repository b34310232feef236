import { defineEntity } from '@mikro-orm/core';
import { between, oneOf } from '../../db/checks.js';
import { createdAtColumn } from '../../db/columns.js';
import { FLOOR_STATES, VISIT_OUTCOMES, type FloorState, type VisitOutcome } from '../../domain/floor.js';
import { QUEUE_TYPES, type QueueType } from '../../domain/queue-types.js';
import { Advisor } from '../advisors/advisor.entity.js';
import { Ticket } from '../tickets/ticket.entity.js';

/** Every period an advisor spent in one floor state (with the pause's reason), open while `ended_at` is null. */
export const AdvisorStatusPeriod = defineEntity({
  name: 'AdvisorStatusPeriod',
  tableName: 'advisor_status_period',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    advisor: p.manyToOne(Advisor).fieldName('advisor_id').deleteRule('cascade').updateRule('no action').index(false),
    status: p.string().length(20).$type<FloorState, string>(),
    reason: p.string().length(100).nullable(),
    startedAt: p.datetime().columnType('timestamp'),
    endedAt: p.datetime().columnType('timestamp').nullable(),
  }),
  checks: [{ name: 'advisor_status_period_status_check', expression: oneOf('status', FLOOR_STATES) }],
  indexes: [{ name: 'idx_advisor_status_period_advisor', properties: ['advisor', 'startedAt'] }],
  uniques: [
    {
      // One open period per advisor, whatever the code does.
      name: 'uq_advisor_status_period_open',
      expression: `create unique index "uq_advisor_status_period_open" on "advisor_status_period" ("advisor_id") where ended_at is null`,
    },
  ],
});

/**
 * Normal calls made in a queue since its last preferential call: the preferential interleaving's
 * memory, settled under the branch's assignment lock.
 */
export const QueueCallState = defineEntity({
  name: 'QueueCallState',
  tableName: 'queue_call_state',
  properties: (p) => ({
    branchOffice: p.string().length(100).primary(),
    queueType: p.string().length(20).$type<QueueType, string>().primary(),
    normalCalls: p.integer().default(0),
    updatedAt: createdAtColumn(),
  }),
  checks: [{ name: 'queue_call_state_queue_type_check', expression: oneOf('queue_type', QUEUE_TYPES) }],
});

/** One stay of a ticket with one advisor: a transferred ticket has one per queue that served it. */
export const TicketVisit = defineEntity({
  name: 'TicketVisit',
  tableName: 'ticket_visit',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    ticket: p.manyToOne(Ticket).fieldName('ticket_id').deleteRule('cascade').updateRule('no action').index('idx_ticket_visit_ticket'),
    branchOffice: p.string().length(100),
    queueType: p.string().length(20).$type<QueueType, string>(),
    advisor: p.manyToOne(Advisor).fieldName('advisor_id').deleteRule('no action').updateRule('no action').index(false),
    calledAt: p.datetime().columnType('timestamp'),
    serviceStartedAt: p.datetime().columnType('timestamp').nullable(),
    endedAt: p.datetime().columnType('timestamp').nullable(),
    outcome: p.string().length(20).$type<VisitOutcome, string>().nullable(),
    serviceMinutes: p.integer().nullable(),
    outOfOrder: p.boolean().default(false),
  }),
  checks: [
    { name: 'ticket_visit_outcome_check', expression: oneOf('outcome', VISIT_OUTCOMES) },
    { name: 'ticket_visit_queue_type_check', expression: oneOf('queue_type', QUEUE_TYPES) },
    { name: 'ticket_visit_service_minutes_check', expression: between('service_minutes', 0, 100000) },
  ],
  indexes: [
    { name: 'idx_ticket_visit_advisor', properties: ['advisor', 'calledAt'] },
    { name: 'idx_ticket_visit_branch', properties: ['branchOffice', 'calledAt'] },
  ],
  uniques: [
    {
      name: 'uq_ticket_visit_open',
      expression: `create unique index "uq_ticket_visit_open" on "ticket_visit" ("ticket_id") where ended_at is null`,
    },
  ],
});
