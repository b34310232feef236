import type { Db } from '../../db/sql.js';
import type pg from 'pg';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../logger.js';
import { recordAudit } from '../audit/audit.service.js';

export type JobOutcome = 'ok' | 'failed' | 'skipped';

export interface Locks {
  tryLock(job: string): Promise<boolean>;
  unlock(job: string): Promise<void>;
}

/**
 * Transaction-scoped advisory locks on one dedicated connection: a lock is held by a transaction
 * kept open while the job runs (and, for a leader, for as long as it lives), so it also holds
 * through PgBouncer in transaction mode, which pins the connection to one server session for the
 * transaction (SPEC §16: no session state). If the process dies, the transaction and its locks go.
 * The transaction takes no snapshot while idle, so it holds back no vacuum.
 */
export class JobLocks implements Locks {
  private readonly held = new Set<string>();

  constructor(private readonly client: pg.Client) {}

  async tryLock(job: string): Promise<boolean> {
    if (this.held.has(job)) return true;
    if (this.held.size === 0) await this.client.query('begin');
    const { rows } = await this.client.query<{ locked: boolean }>(
      `select pg_try_advisory_xact_lock(hashtext('ticketero:job'), hashtext($1)) as locked`,
      [job],
    );
    const locked = rows[0]?.locked === true;
    if (locked) this.held.add(job);
    else if (this.held.size === 0) await this.client.query('rollback');
    return locked;
  }

  /** A transaction's advisory locks end together: the last release commits. */
  async unlock(job: string): Promise<void> {
    if (!this.held.delete(job)) return;
    if (this.held.size === 0) await this.client.query('commit');
  }
}

export interface JobRunnerDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  locks: Locks;
}

/**
 * For a job that one instance runs for as long as it lives (the dispatcher): the lock, once won,
 * is kept between runs; other instances keep trying and take over when that one goes away.
 */
export function leaderLocks(base: Locks): Locks {
  const held = new Set<string>();
  return {
    async tryLock(job) {
      if (held.has(job)) return true;
      if (!(await base.tryLock(job))) return false;
      held.add(job);
      return true;
    },
    async unlock() {},
  };
}

/** Whether the job's last run (any instance) started less than `ms` before `now`. */
async function startedWithin(db: Db, name: string, now: Date, ms: number): Promise<boolean> {
  const [row] = await db.execute<{ started: string | null }[]>(`select last_started_at as started from job_run where name = ?`, [name]);
  if (!row?.started) return false;
  const elapsed = now.getTime() - new Date(`${row.started}Z`).getTime();
  return elapsed >= 0 && elapsed < ms;
}

/**
 * Runs one scheduled job the way every job must run (SPEC §8): one instance at a time (an
 * advisory lock), the run recorded in `job_run`, and a failure logged and audited as
 * SCHEDULER_ERROR without stopping the next run. `notWithinMs`: skip when any instance started it
 * that recently (a periodic job's once-a-period rule).
 */
export async function runScheduledJob(
  deps: JobRunnerDeps,
  name: string,
  body: () => Promise<Record<string, unknown> | void>,
  options: { notWithinMs?: number } = {},
): Promise<JobOutcome> {
  const { db, clock, logger, locks } = deps;
  if (!(await locks.tryLock(name))) {
    logger.debug({ job: name }, 'otra instancia está ejecutando el trabajo; se omite esta vez');
    return 'skipped';
  }
  const em = db;
  const t0 = performance.now();
  try {
    // A periodic job runs once a period across all instances: each instance's timer keeps its own
    // phase, so without this three instances would run it three times a period, one after another.
    if (options.notWithinMs !== undefined && (await startedWithin(db, name, clock.now(), options.notWithinMs))) {
      logger.debug({ job: name }, 'otra instancia ejecutó el trabajo en este periodo; se omite esta vez');
      return 'skipped';
    }
    await em.execute(
      `insert into job_run (name, last_started_at, runs) values (?, ?, 1)
       on conflict (name) do update set last_started_at = excluded.last_started_at, runs = job_run.runs + 1`,
      [name, clock.now()],
    );
    const summary = (await body()) ?? {};
    const ms = Math.round(performance.now() - t0);
    await em.execute(
      `update job_run set last_finished_at = ?, last_succeeded_at = ?, last_status = 'OK', last_error = null,
         last_duration_ms = ? where name = ?`,
      [clock.now(), clock.now(), ms, name],
    );
    logger.debug({ job: name, ms, ...summary }, 'trabajo programado terminado');
    return 'ok';
  } catch (error) {
    const ms = Math.round(performance.now() - t0);
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 2000);
    logger.error({ job: name, ms, err: error }, 'falló un trabajo programado; se reintentará en la próxima ejecución');
    await em
      .transactional(async (tx) => {
        await tx.execute(
          `update job_run set last_finished_at = ?, last_status = 'FAILED', last_error = ?, last_duration_ms = ?,
             failures = failures + 1 where name = ?`,
          [clock.now(), message, ms, name],
        );
        await recordAudit(tx, {
          entityType: 'SISTEMA',
          entityId: name,
          eventType: 'SCHEDULER_ERROR',
          origin: { actor: 'SYSTEM' },
          additionalData: { job: name, error: message },
          at: clock.now(),
        });
      })
      .catch((auditError: unknown) => logger.error({ job: name, err: auditError }, 'no se pudo auditar el error'));
    return 'failed';
  } finally {
    await locks
      .unlock(name)
      .catch((error: unknown) => logger.warn({ job: name, err: error }, 'no se pudo liberar el lock del trabajo'));
  }
}
