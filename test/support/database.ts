import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { withDatabase } from '../../src/db/database.js';
import { migrate, openOrm } from '../../src/db/orm.js';

export interface TestDatabase {
  url: string;
  name: string;
  /** A plain pg client on the test database, for asserting what is stored. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(inject('adminDatabaseUrl'), 'postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A brand-new, empty database for one test file: nothing left over from other runs. */
export async function createEmptyDatabase(): Promise<TestDatabase> {
  const name = `ticketero_test_${randomBytes(6).toString('hex')}`;
  await admin((client) => client.query(`create database "${name}"`));
  const url = withDatabase(inject('adminDatabaseUrl'), name);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: '-c TimeZone=UTC' });
  // `drop … with (force)` may reach a connection the pool is still closing: the pool re-emits that
  // server error, and an unheard 'error' event would crash the test worker.
  pool.on('error', () => {});
  return {
    url,
    name,
    async query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
      return (await pool.query<T>(sql, params)).rows;
    },
    async drop() {
      await pool.end();
      await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/** A fresh database with every migration applied (schema and seed advisors). */
export async function createMigratedDatabase(): Promise<TestDatabase> {
  const db = await createEmptyDatabase();
  const orm = await openOrm({ url: db.url, poolMax: 2 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
  return db;
}
