import type { Db } from '../../db/sql.js';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { AuditPartitions } from '../audit/audit-partitions.js';
import { PURGE_IDEMPOTENCY_KEYS_SQL } from '../tickets/idempotency.js';
import { PURGE_LINK_TOKENS_SQL } from '../ticket-links/ticket-link.service.js';
import { RollupService } from '../reports/rollup.service.js';

const BATCH = 5000;
const FINISHED = `('COMPLETADO', 'CANCELADO', 'NO_ATENDIDO')`;
/** The indexes the seed reindexes weekly: both grow at the end and bloat with deletes. */
const REINDEXED = ['idx_ticket_created_at', 'idx_audit_created_at'] as const;

/** The steps of the daily run, in order, as an observer hears them (e.g. to time them). */
export type DailyStep = 'advisor-figures' | 'old-tickets' | 'sent-messages' | 'counters-and-codes' | 'audit-archive' | 'report-rollups';
export type StepObserver = (step: DailyStep, ms: number, rows: number) => void;

export interface DailySummary extends Record<string, unknown> {
  advisorsRefreshed: number;
  ticketsDeleted: number;
  messagesDeleted: number;
  auditArchived: number;
  rollupsDeleted: number;
}

/**
 * The housekeeping of SPEC §8. Every step is idempotent and safe to run at any hour: advisor
 * figures are recomputed from today's tickets (so a run at midnight resets them, and a run at
 * noon after a restart corrects them instead of wiping them), and deletes and the archive move
 * rows in bounded batches, each batch one statement.
 */
export class MaintenanceService {
  constructor(
    private readonly deps: { db: Db; clock: Clock; logger: Logger; onStep?: StepObserver },
  ) {}

  private get db(): Db {
    return this.deps.db;
  }

  async runDaily(): Promise<DailySummary> {
    const advisorsRefreshed = await this.step('advisor-figures', () => this.refreshAdvisorFigures());
    const { tickets, messages } = await this.purgeOldRecords();
    const auditArchived = await this.step('audit-archive', () => this.archiveAudit());
    // SPEC §20: the report rollups are kept three years (they outlive the tickets).
    const rollupsDeleted = await this.step('report-rollups', () =>
      new RollupService({ ...this.deps, slaMinutes: 0 }).purgeOld(),
    );
    const summary = { advisorsRefreshed, ticketsDeleted: tickets, messagesDeleted: messages, auditArchived, rollupsDeleted };
    this.deps.logger.info(summary, 'mantenimiento diario terminado');
    return summary;
  }

  /** served-today and average service time, from the tickets completed since each advisor's branch's midnight. */
  async refreshAdvisorFigures(): Promise<number> {
    const now = this.deps.clock.now();
    const [row] = await this.db.execute<{ count: number }[]>(
      `with figures as (
         select a.id, count(t.id)::int as served, coalesce(round(avg(t.actual_service_time_minutes), 2), 0) as average
         from advisor a
         left join branch_days(?::timestamp) d on d.branch_office = a.branch_office
         left join ticket t on t.assigned_advisor_id = a.id and t.status = 'COMPLETADO'
           and t.completed_at >= d.day_start
         group by a.id
       ),
       changed as (
         update advisor a set total_tickets_served_today = f.served, average_service_time_minutes = f.average,
           updated_at = ?
         from figures f
         where f.id = a.id and (a.total_tickets_served_today <> f.served
           or a.average_service_time_minutes is distinct from f.average)
         returning 1
       )
       select count(*)::int as count from changed`,
      [now, now],
    );
    return row?.count ?? 0;
  }

  private async step(step: DailyStep, work: () => Promise<number>): Promise<number> {
    const started = performance.now();
    const rows = await work();
    this.deps.onStep?.(step, performance.now() - started, rows);
    return rows;
  }

  /** Finished tickets after 90 days (their messages go with them), sent messages after 30. */
  async purgeOldRecords(): Promise<{ tickets: number; messages: number }> {
    const now = this.deps.clock.now();
    const tickets = await this.step('old-tickets', () =>
      this.inBatches(
        `with gone as (
           delete from ticket where id in (
             select id from ticket where status in ${FINISHED}
               and coalesce(completed_at, updated_at) < ?::timestamp - interval '90 days'
             limit ${BATCH})
           returning 1)
         select count(*)::int as count from gone`,
        [now],
      ),
    );
    const messages = await this.step('sent-messages', () =>
      this.inBatches(
        `with gone as (
           delete from mensaje where id in (
             select id from mensaje where estado_envio = 'ENVIADO' and fecha_envio < ?::timestamp - interval '30 days'
             limit ${BATCH})
           returning 1)
         select count(*)::int as count from gone`,
        [now],
      ),
    );
    await this.step('counters-and-codes', async () => {
      const counters = await this.db.execute<{ count: number }[]>(
        `with gone as (delete from ticket_daily_counter where service_date < (?::timestamp - interval '7 days')::date returning 1)
         select count(*)::int as count from gone`,
        [now],
      );
      const codes = await this.db.execute<{ count: number }[]>(
        `with gone as (delete from advisor_link_code where expires_at < ?::timestamp - interval '1 day' returning 1)
         select count(*)::int as count from gone`,
        [now],
      );
      // SPEC §19: an Idempotency-Key is honoured for 24 h, then forgotten.
      const keys = await this.db.execute<{ count: number }[]>(PURGE_IDEMPOTENCY_KEYS_SQL, [now]);
      // SPEC §19: the tótem's link tokens, a day after their branch day ended.
      const links = await this.db.execute<{ count: number }[]>(PURGE_LINK_TOKENS_SQL, [now]);
      return (counters[0]?.count ?? 0) + (codes[0]?.count ?? 0) + (keys[0]?.count ?? 0) + (links[0]?.count ?? 0);
    });
    return { tickets, messages };
  }

  /**
   * Audit rows older than a year move to audit_log_archive, ids kept: whole monthly partitions
   * (see AuditPartitions); months ahead are created on the same run.
   */
  async archiveAudit(): Promise<number> {
    const partitions = new AuditPartitions(this.deps);
    await partitions.ensureAhead();
    return (await partitions.archiveOlderThanAYear()).rows;
  }

  async runWeekly(): Promise<Record<string, unknown>> {
    const em = this.db;
    // A REINDEX CONCURRENTLY that died half-way leaves an invalid "_ccnew" index behind.
    const leftovers = await em.execute<{ name: string }[]>(
      `select c.relname as name from pg_index i join pg_class c on c.oid = i.indexrelid
       where not i.indisvalid and c.relname like any (array['idx_ticket_created_at_ccnew%', 'idx_audit_created_at_ccnew%'])`,
    );
    for (const { name } of leftovers) await em.execute(`drop index concurrently if exists "${name}"`);
    // Not in a transaction: REINDEX CONCURRENTLY refuses to run inside one.
    for (const index of REINDEXED) await em.execute(`reindex index concurrently ${index}`);
    await em.execute('analyze ticket');
    await em.execute('analyze mensaje');
    await em.execute('analyze audit_log');
    const summary = { reindexed: [...REINDEXED], droppedLeftovers: leftovers.length };
    this.deps.logger.info(summary, 'mantenimiento semanal terminado');
    return summary;
  }

  private async inBatches(sql: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const [row] = await this.db.execute<{ count: number }[]>(sql, params);
      const count = row?.count ?? 0;
      total += count;
      if (count < BATCH) return total;
    }
  }
}
