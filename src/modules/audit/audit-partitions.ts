import type { Clock } from '../../clock.js';
import type { Db } from '../../db/sql.js';
import type { Logger } from '../../logger.js';

/** Monthly partitions kept ready beyond the current month, so inserts never wait for one. */
export const AUDIT_MONTHS_AHEAD = 3;
/** The first partition: the table as it was before partitioning (migration 20261130130100). */
export const LEGACY_PARTITION = 'audit_log_legacy';
export const DEFAULT_PARTITION = 'audit_log_default';
const COLUMNS = `id, entity_type, entity_id, event_type, actor, old_state, new_state, additional_data,
  ip_address, user_agent, created_at`;
const ROW_BATCH = 5000;

interface Partition {
  name: string;
  /** Lower bound (ms, UTC); -Infinity for MINVALUE. */
  from: number;
  /** Upper bound (ms, UTC, exclusive); null for the DEFAULT partition. */
  to: number | null;
}

const monthStart = (year: number, month: number): Date => new Date(Date.UTC(year, month, 1));
const partitionName = (start: Date): string =>
  `audit_log_y${start.getUTCFullYear()}m${String(start.getUTCMonth() + 1).padStart(2, '0')}`;
/** created_at holds UTC without a zone: bounds are written the same way. */
const sqlTimestamp = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '');
const parseBound = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);

/**
 * audit_log by month (SPEC §16): partitions created ahead, and the yearly archive done by moving
 * whole partitions — detached from audit_log, copied into audit_log_archive, dropped — instead of
 * deleting rows one by one. A month moves once all of it is older than a year; the first (legacy)
 * partition and the default one, which are not months, still move row by row.
 */
export class AuditPartitions {
  constructor(private readonly deps: { db: Db; clock: Clock; logger: Logger }) {}

  async list(): Promise<Partition[]> {
    const rows = await this.deps.db.execute<{ name: string; bound: string }[]>(
      `select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
       from pg_inherits i join pg_class c on c.oid = i.inhrelid
       where i.inhparent = 'audit_log'::regclass order by c.relname`,
    );
    return rows.map(({ name, bound }) => {
      if (/^DEFAULT$/i.test(bound)) return { name, from: Number.NEGATIVE_INFINITY, to: null };
      const from = /FROM \(MINVALUE\)/i.test(bound) ? Number.NEGATIVE_INFINITY : parseBound(/FROM \('([^']+)'\)/i.exec(bound)![1]!);
      return { name, from, to: parseBound(/TO \('([^']+)'\)/i.exec(bound)![1]!) };
    });
  }

  /** This month and AUDIT_MONTHS_AHEAD more, each unless a partition already covers part of it. */
  async ensureAhead(): Promise<string[]> {
    const now = this.deps.clock.now();
    const existing = await this.list();
    const created: string[] = [];
    for (let i = 0; i <= AUDIT_MONTHS_AHEAD; i++) {
      const start = monthStart(now.getUTCFullYear(), now.getUTCMonth() + i);
      const end = monthStart(start.getUTCFullYear(), start.getUTCMonth() + 1);
      const overlaps = existing.some((p) => p.to !== null && p.from < end.getTime() && start.getTime() < p.to);
      if (overlaps) continue;
      const name = partitionName(start);
      await this.deps.db.transactional(async (tx) => {
        // Rows that fell into the default partition for this month move into the new one with it.
        await tx.execute(`create temporary table audit_log_moving on commit drop as
          with moved as (delete from ${DEFAULT_PARTITION} where created_at >= ? and created_at < ? returning ${COLUMNS})
          select * from moved`, [start, end]);
        await tx.execute(
          `create table "${name}" partition of audit_log for values from ('${sqlTimestamp(start)}') to ('${sqlTimestamp(end)}')`,
        );
        await tx.execute(`insert into audit_log (${COLUMNS}) select ${COLUMNS} from audit_log_moving`);
      });
      created.push(name);
    }
    if (created.length > 0) this.deps.logger.info({ created }, 'particiones de auditoría creadas');
    return created;
  }

  /** The yearly archive: whole months older than a year, then old rows of the legacy and default partitions. */
  async archiveOlderThanAYear(): Promise<{ partitions: string[]; rows: number }> {
    const now = this.deps.clock.now();
    const yearAgo = new Date(now);
    yearAgo.setUTCFullYear(yearAgo.getUTCFullYear() - 1);
    const partitions: string[] = [];
    let rows = 0;
    for (const partition of await this.list()) {
      if (partition.to === null || partition.to > yearAgo.getTime()) continue;
      // A short lock on audit_log for the catalogue change; the copy then runs on a table nobody writes.
      await this.deps.db.execute(`alter table audit_log detach partition "${partition.name}"`);
      partitions.push(partition.name);
    }
    // Detached months (now, or by a run that stopped half-way) move in one transaction each.
    const detached = await this.deps.db.execute<{ name: string }[]>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = current_schema() and c.relkind = 'r' and not c.relispartition
         and (c.relname like 'audit\\_log\\_y%' or c.relname = '${LEGACY_PARTITION}') order by c.relname`,
    );
    for (const { name } of detached) {
      rows += await this.deps.db.transactional(async (tx) => {
        const [moved] = await tx.execute<{ count: number }[]>(
          `with copied as (insert into audit_log_archive (${COLUMNS}) select ${COLUMNS} from "${name}"
             on conflict (id) do nothing returning 1)
           select count(*)::int as count from copied`,
        );
        await tx.execute(`drop table "${name}"`);
        return moved?.count ?? 0;
      });
      if (!partitions.includes(name)) partitions.push(name);
    }
    for (const table of [LEGACY_PARTITION, DEFAULT_PARTITION]) rows += await this.archiveRowsOf(table, yearAgo);
    if (partitions.length > 0) this.deps.logger.info({ partitions, rows }, 'particiones de auditoría archivadas');
    return { partitions, rows };
  }

  /** Row by row, in batches: only for the partitions that are not a month. */
  private async archiveRowsOf(table: string, before: Date): Promise<number> {
    const [exists] = await this.deps.db.execute<{ found: boolean }[]>(
      `select exists (select 1 from pg_inherits where inhrelid = to_regclass(?)) as found`,
      [table],
    );
    if (!exists?.found) return 0;
    let total = 0;
    for (;;) {
      const [row] = await this.deps.db.execute<{ count: number }[]>(
        `with moved as (
           delete from "${table}" where (id, created_at) in (
             select id, created_at from "${table}" where created_at < ? order by id limit ${ROW_BATCH})
           returning ${COLUMNS}),
         archived as (
           insert into audit_log_archive (${COLUMNS}) select ${COLUMNS} from moved on conflict (id) do nothing returning 1)
         select count(*)::int as count from moved`,
        [before],
      );
      total += row?.count ?? 0;
      if ((row?.count ?? 0) < ROW_BATCH) return total;
    }
  }
}
