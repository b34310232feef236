import './pg-defaults.js';
import pg from 'pg';
import type { Logger } from '../logger.js';

export type Row = Record<string, unknown>;

/** Something SQL can be sent to: the pool, or one open transaction. */
export interface Queryable {
  /** Runs one statement with `?` placeholders; resolves to its rows. */
  execute<T = Row[]>(sql: string, params?: readonly unknown[]): Promise<T>;
}

export interface Db extends Queryable {
  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  transactional<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
  /** The pool's clients right now (for the metrics). */
  poolStats(): { total: number; idle: number; waiting: number };
}

// Timestamps come back as text (the columns hold UTC without a zone), bigints and numerics as
// text (no silent precision loss): the services convert them where they read them.
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === 1114 || oid === 1184 || oid === 1082) return (value: string) => value;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

const numbered = new Map<string, string>();
/** `?` placeholders (readable in the services) to PostgreSQL's `$1, $2, …`, once per statement text. */
export function toNumbered(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    numbered.set(sql, text);
  }
  return text;
}

async function run<T>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] = []): Promise<T> {
  const result = await client.query({ text: toNumbered(sql), values: params as unknown[], types });
  return result.rows as T;
}

export interface DbOptions {
  url: string;
  max?: number;
  logger?: Logger;
  applicationName?: string;
}

/**
 * The domain's way to PostgreSQL: plain SQL through node-pg's pool. MikroORM defines the schema
 * (entities) and applies the migrations; the services work set-based and with explicit locks,
 * and the hot paths cannot afford an ORM round of bookkeeping per statement.
 */
export function createDb({ url, max = 20, logger, applicationName = 'ticketero' }: DbOptions): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    // JIT compilation is for long analytic queries: on the queue job's statement over every waiting
    // ticket of a national database it spent 1.6 s compiling a 0.2 s plan (PostgreSQL with LLVM).
    options: '-c TimeZone=UTC -c jit=off',
    application_name: applicationName,
    idleTimeoutMillis: 30_000,
  });
  // An idle connection dropped by the server must not crash the process.
  pool.on('error', (error) => logger?.warn({ err: error }, 'conexión inactiva a PostgreSQL perdida'));

  return {
    execute: (sql, params) => run(pool, sql, params),
    async transactional(work) {
      const client = await pool.connect();
      // A connection the server drops mid-transaction (a restart) fails the running query, which is
      // handled below, and also emits 'error': unheard, that would crash the process (or job worker).
      const dropped = (error: Error): void => logger?.warn({ err: error }, 'PostgreSQL cortó una conexión en uso');
      client.on('error', dropped);
      let broken = false;
      try {
        await client.query('begin');
        const result = await work({ execute: (sql, params) => run(client, sql, params) });
        await client.query('commit');
        return result;
      } catch (error) {
        await client.query('rollback').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        client.off('error', dropped);
        // A connection that cannot even roll back is discarded, not handed to the next caller.
        client.release(broken ? new Error('conexión rota') : undefined);
      }
    },
    close: () => pool.end(),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}
