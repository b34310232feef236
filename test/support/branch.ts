import type { QueueType } from '../../src/domain/queue-types.js';
import type { AdvisorStatus } from '../../src/modules/advisors/advisor.entity.js';
import { toNumbered } from '../../src/db/sql.js';
import { ensureBranch } from '../../src/modules/branches/default-branch.js';
import type { TestDatabase } from './database.js';

export interface AdvisorSeed {
  name: string;
  module: number;
  queues: QueueType[];
  status?: AdvisorStatus;
  workload?: number;
  lastAssignedAt?: Date | null;
}

/** A branch of its own with the advisors a test needs; returns their ids by name. */
export async function seedBranch(db: TestDatabase, branch: string, advisors: AdvisorSeed[]): Promise<Record<string, number>> {
  // The app's own rule, so two names sharing a code's first 20 letters get codes of their own.
  await ensureBranch(
    { execute: async <T>(sql: string, params: readonly unknown[] = []) => (await db.query(toNumbered(sql), [...params])) as T },
    { name: branch, timeZone: 'America/Santiago', closingTime: '19:00' },
  );
  const ids: Record<string, number> = {};
  for (const a of advisors) {
    const email = `${a.name.toLowerCase().replace(/\W+/g, '.')}.${branch.toLowerCase().replace(/\W+/g, '-')}@banco.com`;
    const [row] = await db.query<{ id: string }>(
      `insert into advisor (name, email, status, module_number, queue_types, branch_office, workload_minutes, last_assigned_at)
       values ($1, $2, $3, $4, $5::json, $6, $7, $8) returning id`,
      [a.name, email, a.status ?? 'AVAILABLE', a.module, JSON.stringify(a.queues), branch, a.workload ?? 0, a.lastAssignedAt ?? null],
    );
    ids[a.name] = Number(row!.id);
  }
  return ids;
}
