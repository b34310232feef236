import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../config.js';
import { withDatabase } from '../db/database.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../db/embedded.js';
import { migrate, openOrm } from '../db/orm.js';
import { createDb } from '../db/sql.js';
import { createLogger } from '../logger.js';
import { runScenario, type Progress } from './engine.js';
import { buildDetails, buildReport, goals } from './report.js';
import type { Scenario } from './scenario.js';

/** Runs a (validated) scenario on a fresh database and computes the report and its breakdowns. */
export async function simulate(scenario: Scenario, options: { serverUrl?: string; onProgress?: (p: Progress) => void } = {}) {
  const records = await withFreshDatabase(options.serverUrl, async (url) => {
    const config = loadConfig({ ...process.env, DATABASE_URL: url, NODE_ENV: 'development', LOG_LEVEL: 'silent' });
    const db = createDb({ url, max: 4 });
    try {
      return await runScenario(scenario, { db, config, onProgress: options.onProgress });
    } finally {
      await db.close();
    }
  });
  const report = buildReport(records);
  return { records, report, details: { ...buildDetails(records), goals: goals(report) } };
}

/**
 * A fresh, migrated database for one run, dropped afterwards: on DATABASE_URL's server when
 * set, otherwise on a throwaway embedded PostgreSQL whose folder is removed.
 */
export async function withFreshDatabase<T>(given: string | undefined, work: (url: string) => Promise<T>): Promise<T> {
  const logger = createLogger('silent');
  let server: EmbeddedServer | null = null;
  let dir: string | null = null;
  const name = `ticketero_sim_${randomBytes(5).toString('hex')}`;
  let serverUrl = given;
  try {
    if (!serverUrl) {
      dir = await mkdtemp(path.join(tmpdir(), 'ticketero-sim-'));
      server = await startEmbeddedPostgres({ dir, logger, ephemeral: true });
      serverUrl = server.url;
    }
    const admin = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    await admin.end();
    const url = withDatabase(serverUrl, name);
    try {
      const orm = await openOrm({ url, poolMax: 2 });
      try {
        await migrate(orm);
      } finally {
        await orm.close(true);
      }
      return await work(url);
    } finally {
      const drop = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
      await drop.connect();
      await drop.query(`drop database if exists "${name}" with (force)`);
      await drop.end();
    }
  } finally {
    if (server) await server.stop();
    if (server?.fallbackDir) await rm(server.fallbackDir, { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

