import { defineEntity } from '@mikro-orm/core';
import { createdAtColumn, updatedAtColumn } from '../../db/columns.js';
import type { BranchHours, BranchQueue } from '../../domain/branch-hours.js';

/**
 * A branch (SPEC §17). `name` is what the seed's `branch_office` columns hold: they refer to it
 * (triggers acting as a foreign key ON UPDATE CASCADE, see Migration20261205110000_branches).
 */
export const Branch = defineEntity({
  name: 'Branch',
  tableName: 'branch',
  properties: (p) => ({
    id: p.bigint('number').primary().autoincrement(),
    code: p.string().length(20).unique('branch_code_unique'),
    name: p.string().length(100).unique('branch_name_unique'),
    region: p.string().length(100).nullable(),
    comuna: p.string().length(100).nullable(),
    address: p.string().length(200).nullable(),
    latitude: p.double().nullable(),
    longitude: p.double().nullable(),
    /** IANA, checked against PostgreSQL's own zone list (trigger branch_timezone_check). */
    timezone: p.text(),
    /** Per ISO weekday ("1" Monday … "7" Sunday) its periods; null: no hours set (open all day). */
    hours: p.json<BranchHours>().columnType('jsonb').nullable(),
    /** HH:MM: the day's end of a branch without hours. */
    closingTime: p.string().length(5).default('19:00'),
    closedDates: p.json<string[]>().columnType('jsonb').defaultRaw(`'[]'`),
    queues: p
      .json<BranchQueue[]>()
      .columnType('jsonb')
      .defaultRaw(`'[{"queueType": "CAJA"}, {"queueType": "PERSONAL_BANKER"}, {"queueType": "EMPRESAS"}, {"queueType": "GERENCIA"}]'`),
    active: p.boolean().default(true),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  }),
  indexes: [
    // The bot's finder: name or comuna without accents or case (Migration20261206150000_branch_finder).
    {
      name: 'idx_branch_search',
      expression: `create index "idx_branch_search" on "branch" using gin (ticketero_fold(name || ' ' || coalesce(comuna, '')) gin_trgm_ops)`,
    },
  ],
  checks: [
    { name: 'branch_code_check', expression: `code ~ '^[A-Z0-9-]{2,20}$'` },
    { name: 'branch_closing_time_check', expression: `closing_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'` },
  ],
});
