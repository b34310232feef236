import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describeUrl, ensureDatabase, withDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { migrate, openOrm } from '../../src/db/orm.js';
import type { Logger } from '../../src/logger.js';
import { ensureBranches } from './branches.js';

/** A PostgreSQL server the bench may create and drop databases on. */
export interface PgServer {
  /** Connection string to its `postgres` database. */
  url: string;
  description: string;
  stop(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise a real embedded PostgreSQL 16 in a temporary folder, with
 * the durable settings a production server has (`ephemeral: false`: fsync on).
 */
export async function startPgServer(logger: Logger): Promise<PgServer> {
  const given = process.env.DATABASE_URL;
  if (given) return { url: given, description: describeUrl(given), stop: async () => {} };

  const dir = await mkdtemp(path.join(tmpdir(), 'ticketero-bench-'));
  // As root the cluster runs as `postgres`, who must be able to enter the folder.
  await chmod(dir, 0o755);
  try {
    const server = await startEmbeddedPostgres({ dir, logger, ephemeral: false });
    return {
      url: server.url,
      description: `embedded PostgreSQL ${describeUrl(server.url)} (fsync on)`,
      async stop() {
        try {
          await server.stop();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A brand-new database on the server, named so it cannot collide with anyone else's. */
export async function createDatabase(server: PgServer, label: string): Promise<BenchDatabase> {
  const name = `ticketero_bench_${label}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  return {
    name,
    url: withDatabase(server.url, name),
    async drop() {
      const client = new pg.Client({ connectionString: withDatabase(server.url, 'postgres') });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Applies the app's migrations (schema and seed advisors) the way `npm run migrate` does. */
export async function migrateDatabase(url: string): Promise<void> {
  const orm = await openOrm({ url, poolMax: 2 });
  try {
    await migrate(orm);
  } finally {
    await orm.close(true);
  }
}

/** One short-lived client for setup statements. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Makes `count` branches exist: the seed branch, plus copies of its advisors (same modules and
 * queues) in "Sucursal Bench 2", "Sucursal Bench 3", …. Returns the branch names.
 */
export async function prepareBranches(url: string, count: number): Promise<string[]> {
  return withClient(url, async (client) => {
    const seed = await client.query<{ branch_office: string }>(
      `select branch_office from advisor group by branch_office order by count(*) desc, branch_office limit 1`,
    );
    const seedBranch = seed.rows[0]?.branch_office;
    if (!seedBranch) throw new Error('The database has no advisors: were the migrations applied?');
    const branches = [seedBranch];
    for (let i = 2; i <= count; i++) {
      const branch = `Sucursal Bench ${i}`;
      await ensureBranches(client, [branch], 'America/Santiago');
      await client.query(
        `insert into advisor (name, email, status, module_number, queue_types, branch_office)
         select name, split_part(email, '@', 1) || '.bench' || $2::text || '@' || split_part(email, '@', 2),
                status, module_number, queue_types, $1
         from advisor where branch_office = $3
         on conflict (email) do nothing`,
        [branch, i, seedBranch],
      );
      branches.push(branch);
    }
    return branches;
  });
}

/**
 * Empties the queues (tickets, their messages, audit rows, daily counters) so every run starts
 * alike. CASCADE: whatever else hangs off a ticket (e.g. its Telegram links) goes with it.
 */
export async function resetTickets(url: string): Promise<void> {
  await withClient(url, async (client) => {
    // The waiting counts (kept by a trigger that TRUNCATE does not fire) go with the tickets.
    await client.query('truncate ticket, mensaje, audit_log, ticket_daily_counter, ticket_waiting_count cascade');
    await client.query('vacuum analyze ticket, mensaje, audit_log, ticket_daily_counter, ticket_waiting_count');
  });
}

/** resetTickets while an app's jobs run: TRUNCATE may lose a deadlock to a queue job tick; then again. */
export async function resetTicketsBesideJobs(url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await resetTickets(url);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || attempt >= 5) throw error;
    }
  }
}

export interface WrittenRows {
  tickets: number;
  mensajes: number;
  audits: number;
}

/** What a run left in the database: to check that the app and the baseline did the same work. */
export async function countWritten(url: string): Promise<WrittenRows> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<WrittenRows>(
      `select (select count(*)::int from ticket) as tickets,
              (select count(*)::int from mensaje) as mensajes,
              (select count(*)::int from audit_log where event_type = 'TICKET_CREADO') as audits`,
    );
    return rows[0]!;
  });
}
