import './pg-defaults.js';
import pg from 'pg';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres } from './embedded.js';

export interface Database {
  url: string;
  /** Where the data lives, safe to log (no password). */
  description: string;
  /** The embedded cluster's folder, or null when DATABASE_URL points elsewhere. */
  embeddedDataDir: string | null;
  stop(): Promise<void>;
}

export const APP_DATABASE = 'ticketero';

export function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `postgresql://${parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''}${parsed.host}${parsed.pathname}`;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** Creates the database if the server does not have it yet. */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, 'postgres') });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await client.query(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await client.end();
  }
}

/** DATABASE_URL when given; otherwise a real PostgreSQL 16 embedded in the app, its data in DATA_DIR. */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  if (config.databaseUrl) {
    return { url: config.databaseUrl, description: describeUrl(config.databaseUrl), embeddedDataDir: null, stop: async () => {} };
  }
  logger.info({ dataDir: config.dataDir }, 'DATABASE_URL no está definida: iniciando PostgreSQL embebido');
  const server = await startEmbeddedPostgres({ dir: config.dataDir, logger });
  try {
    await ensureDatabase(server.url, APP_DATABASE);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = withDatabase(server.url, APP_DATABASE);
  return {
    url,
    description: `PostgreSQL embebido ${describeUrl(url)} (datos en ${server.dataDir})`,
    embeddedDataDir: server.dataDir,
    stop: () => server.stop(),
  };
}
