import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';
import { between, oneOf } from '../../db/checks.js';
import type { QueueType } from '../../domain/queue-types.js';

export const ADVISOR_STATUSES = ['AVAILABLE', 'BUSY', 'OFFLINE'] as const;
export type AdvisorStatus = (typeof ADVISOR_STATUSES)[number];

export const Advisor = defineEntity({
  name: 'Advisor',
  tableName: 'advisor',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    name: p.string().length(100),
    email: p.string().length(100).unique('advisor_email_unique'),
    status: p.string().length(20).$type<AdvisorStatus, string>().index('idx_advisor_status'),
    moduleNumber: p.integer().index('idx_advisor_module'),
    assignedTicketsCount: p.integer().default(0),
    workloadMinutes: p.integer().default(0).index('idx_advisor_workload'),
    averageServiceTimeMinutes: p.decimal('number').precision(5).scale(2).nullable().default(0),
    totalTicketsServedToday: p.integer().default(0),
    lastAssignedAt: p.datetime().columnType('timestamp').nullable().index('idx_advisor_last_assigned'),
    queueTypes: p.json<QueueType[]>().columnType('json'),
    // Added to the seed: which branch the advisor works in, and their Telegram account.
    branchOffice: p.string().length(100).default('Sucursal Centro'),
    telegramUserId: p.bigint('number').nullable().unique('advisor_telegram_user_id_unique'),
    /** The reason of the advisor's pause (current, or asked for while serving: taken when the customer leaves). */
    pauseReason: p.string().length(100).nullable(),
    /** SPEC §17: a deactivated advisor keeps their history, is OFFLINE and is never assigned again. */
    active: p.boolean().default(true),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  }),
  checks: [
    { name: 'advisor_status_check', expression: oneOf('status', ADVISOR_STATUSES) },
    // A real branch has more than the seed's five modules (SPEC §17).
    { name: 'advisor_module_number_check', expression: between('module_number', 1, 99) },
    { name: 'advisor_active_offline_check', expression: `active = true or status = 'OFFLINE'` },
  ],
  uniques: [
    // SPEC §17: an email is unique without regard to case (409 EMAIL_EN_USO) …
    { name: 'uq_advisor_email_lower', expression: `create unique index "uq_advisor_email_lower" on "advisor" (lower(email))` },
    // … and a module number among the active advisors of a branch (409 MODULO_OCUPADO).
    {
      name: 'uq_advisor_active_module',
      expression: `create unique index "uq_advisor_active_module" on "advisor" ("branch_office", "module_number") where active`,
    },
  ],
});
