// `npm run backup [-- FILE]` and `npm run restore -- FILE [--force]` (SPEC §15): the app's database,
// DATABASE_URL or the embedded server in DATA_DIR (reached while the app runs, started for the
// occasion otherwise).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { APP_DATABASE, describeUrl, openDatabase } from '../db/database.js';
import { embeddedLayout } from '../db/embedded.js';
import { readPrivateFile } from '../db/private-files.js';
import { createLogger, type Logger } from '../logger.js';
import { BackupError, createBackup, holdsData, restoreBackup } from './backup.js';

const run = promisify(execFile);

/** The embedded server already running for this DATA_DIR (the app is up): its URL, read from its pid file. */
async function runningEmbedded(config: Config, logger: Logger): Promise<string | null> {
  const layout = await embeddedLayout(config.dataDir, logger, { create: false });
  if (!layout) return null;
  const pidFile = path.join(layout.clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return null;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  try {
    process.kill(Number(lines[0]), 0);
  } catch {
    return null;
  }
  const password = (await readPrivateFile(path.join(layout.dir, '.pg-password')))?.trim();
  if (!password) return null;
  return `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${Number(lines[3])}/${APP_DATABASE}`;
}

async function withDatabaseUrl<T>(config: Config, logger: Logger, work: (url: string) => Promise<T>): Promise<T> {
  const running = config.databaseUrl ? null : await runningEmbedded(config, logger);
  if (config.databaseUrl || running) return work(config.databaseUrl ?? running!);
  const database = await openDatabase(config, logger);
  try {
    return await work(database.url);
  } finally {
    await database.stop();
  }
}

/** A pg_dump whose major version is the server's (pg_dump refuses newer servers), or null. */
async function matchingPgDump(url: string): Promise<boolean> {
  try {
    const { stdout } = await run('pg_dump', ['--version']);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v").finally(() => client.end());
    return Number(/(\d+)\./.exec(stdout)?.[1]) === Math.floor(Number(rows[0]!.v) / 10000);
  } catch {
    return false;
  }
}

async function isPgDumpFile(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    const { buffer } = await handle.read(Buffer.alloc(5), 0, 5, 0).finally(() => handle.close());
    return buffer.toString('latin1') === 'PGDMP';
  } catch {
    return false;
  }
}

function usage(): never {
  throw new BackupError('Uso: npm run backup [-- ARCHIVO] [--format=ticketero]  |  npm run restore -- ARCHIVO [--force]');
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const force = rest.includes('--force');
  // --format=ticketero: our own format even when a matching pg_dump is at hand.
  const ownFormat = rest.includes('--format=ticketero');
  const file = rest.find((a) => !a.startsWith('--'));
  // Only the database: a backup is ciphertext, whoever keeps backups need not hold the keys (SPEC §15).
  const config = loadConfig(process.env, { serving: false, personalDataKeys: false });
  const logger = createLogger(config.logLevel);

  if (command === 'backup') {
    await withDatabaseUrl(config, logger, async (url) => {
      const pgDump = !ownFormat && (await matchingPgDump(url));
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
      const target = path.resolve(file ?? `ticketero-${stamp}.${pgDump ? 'dump' : 'ndjson.gz'}`);
      if (pgDump) {
        await run('pg_dump', ['--format=custom', '--serializable-deferrable', `--file=${target}`, `--dbname=${url}`]).catch((error: unknown) => {
          throw new BackupError(`pg_dump falló: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`);
        });
        logger.info({ file: target, database: describeUrl(url), format: 'pg_dump custom' }, `respaldo escrito en ${target}`);
        return;
      }
      const summary = await createBackup(url, target);
      logger.info(
        { file: target, database: describeUrl(url), migration: summary.migrations.at(-1), rows: summary.rows },
        `respaldo escrito en ${target}`,
      );
    });
  } else if (command === 'restore') {
    if (!file) usage();
    const source = path.resolve(file);
    await withDatabaseUrl(config, logger, async (url) => {
      if (await isPgDumpFile(source)) {
        // A file pg_restore cannot even list is refused before anything is touched.
        await run('pg_restore', ['--list', source]).catch((error: unknown) => {
          throw new BackupError(`El respaldo ${source} está dañado: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`);
        });
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          if (!force && (await holdsData(client))) {
            throw new BackupError('La base de datos de destino no está vacía (tiene tickets o clientes): use --force para reemplazarla');
          }
          await client.query('drop schema if exists public cascade; create schema public');
        } finally {
          await client.end();
        }
        await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${url}`, source]).catch((error: unknown) => {
          throw new BackupError(`pg_restore falló: ${(error as { stderr?: string }).stderr?.trim() ?? String(error)}`);
        });
        logger.info({ file: source, database: describeUrl(url) }, 'respaldo restaurado (pg_restore)');
        return;
      }
      const summary = await restoreBackup(url, source, { force });
      logger.info(
        { file: source, database: describeUrl(url), migration: summary.migrations.at(-1), rows: summary.rows },
        'respaldo restaurado',
      );
    });
  } else {
    usage();
  }
}

main().catch((error: unknown) => {
  // Clear, one line, no stack: what went wrong and, where it helps, what to do.
  console.error(error instanceof BackupError || error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
});

