// SPEC §22 (issue 16, finding 4): as root the embedded cluster goes to a folder under the temp
// directory; another local user must not be able to create it first, nor plant the password or
// the personal-data keys the app then uses.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { FALLBACK_POINTER, rememberedFallback, startEmbeddedPostgres } from '../../src/db/embedded.js';
import { createLogger } from '../../src/logger.js';
import { startApp } from '../../src/main.js';
import { PersonalDataCipher } from '../../src/modules/privacy/cipher.js';
import { KEY_FILE_NAME, resolvePersonalDataKeys } from '../../src/modules/privacy/key-source.js';
import { generateKeyEnv, parseBlindIndexKey, parseDataKeys } from '../../src/modules/privacy/keys.js';

const run = promisify(execFile);
const asRoot = userInfo().uid === 0;
const logger = createLogger('silent');

/** What another local user does: runs a shell command as `nobody`. */
async function asNobody(script: string): Promise<void> {
  await run('runuser', ['-u', 'nobody', '--', 'sh', '-c', script]);
}

async function uidOf(name: string): Promise<number> {
  return Number((await run('id', ['-u', name])).stdout.trim());
}

/** The name the fallback folder had until now: anyone could compute it from DATA_DIR. */
function predictableName(dataDir: string): string {
  return path.join(tmpdir(), `ticketero-data-${Buffer.from(path.resolve(dataDir)).toString('base64url').slice(-24)}`);
}

async function cleanUp(dataDir: string, ...more: string[]): Promise<void> {
  const fallback = await rememberedFallback(dataDir).catch(() => null);
  for (const dir of [fallback, ...more, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
}

describe.skipIf(!asRoot)('the embedded server fallback folder, as root', () => {
  it('does not use a folder planted by another user under the predictable name; a restart finds its own folder again', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ticketero-fallback-')); // 0700: out of the postgres user's reach
    const planted = predictableName(dataDir);
    const plantedKeys = { ...generateKeyEnv('k20261206') };
    // The other user gets there first, with a password and keys of its own, readable by it.
    await asNobody(
      `umask 022 && mkdir -m 0777 '${planted}' && printf 'conocida\\n' > '${planted}/.pg-password' && ` +
        `printf '%s' '${JSON.stringify(plantedKeys)}' > '${planted}/${KEY_FILE_NAME}'`,
    );
    expect((await stat(planted)).uid).toBe(await uidOf('nobody'));
    const config = loadConfig({ NODE_ENV: 'development', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    try {
      const app = await startApp(config, { logger, firstRun: false });
      let clusterDir: string;
      let stored: string;
      try {
        clusterDir = app.database.embeddedDataDir!;
        const fallback = path.dirname(clusterDir);
        expect(fallback).not.toBe(planted);
        expect(clusterDir.startsWith(`${planted}${path.sep}`)).toBe(false);
        // A fresh folder: mkdtemp's random name, 0700, owned by the server's account, which holds only the cluster.
        expect(path.basename(fallback)).toMatch(/^ticketero-datos-[A-Za-z0-9]{6}$/);
        const info = await lstat(fallback);
        expect(info.isDirectory()).toBe(true);
        expect(info.mode & 0o777).toBe(0o700);
        expect(info.uid).toBe(await uidOf('postgres'));
        // Remembered in a 0600 pointer inside DATA_DIR (only root can enter it), beside the password and the keys.
        const pointer = path.join(dataDir, FALLBACK_POINTER);
        expect((await stat(pointer)).mode & 0o777).toBe(0o600);
        expect((await readFile(pointer, 'utf8')).trim()).toBe(fallback);
        expect((await stat(path.join(dataDir, '.pg-password'))).mode & 0o777).toBe(0o600);
        expect((await stat(path.join(dataDir, KEY_FILE_NAME))).mode & 0o777).toBe(0o600);
        expect((await stat(dataDir)).mode & 0o777).toBe(0o700);

        // RUTs are not encrypted under the planted key: its holder cannot read them.
        stored = app.personalData.encrypt('rut', '12345678-5');
        const dataKeys = parseDataKeys(plantedKeys.DATA_ENCRYPTION_KEYS);
        const blindIndexKey = parseBlindIndexKey(plantedKeys.BLIND_INDEX_KEY);
        if (!dataKeys.ok || !blindIndexKey.ok) throw new Error('planted keys');
        const theirs = new PersonalDataCipher({ dataKeys: dataKeys.value, blindIndexKey: blindIndexKey.value });
        expect(() => theirs.decrypt('rut', stored)).toThrow();
        await app.sql.execute('create table recuerdo (v text)');
        await app.sql.execute(`insert into recuerdo values ('${stored}')`);
      } finally {
        await app.stop();
      }

      // A second start finds ITS data again (same cluster, same keys).
      const again = await startApp(config, { logger, firstRun: false });
      try {
        expect(again.database.embeddedDataDir).toBe(clusterDir);
        const [row] = await again.sql.execute<{ v: string }[]>('select v from recuerdo');
        expect(again.personalData.decrypt('rut', row!.v)).toBe('12345678-5');
      } finally {
        await again.stop();
      }
    } finally {
      await cleanUp(dataDir, planted);
    }
  }, 120_000);

  it('refuses a remembered folder that another user re-created (the temp directory was cleaned), naming it', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ticketero-fallback-'));
    const taken = path.join(tmpdir(), `ticketero-datos-planted${process.pid}`);
    try {
      await writeFile(path.join(dataDir, FALLBACK_POINTER), `${taken}\n`, { mode: 0o600 });
      await asNobody(`mkdir -m 0700 '${taken}'`);
      await expect(startEmbeddedPostgres({ dir: dataDir, logger })).rejects.toThrow(
        new RegExp(`La carpeta ${taken} es de otro usuario`),
      );
      expect(existsSync(path.join(taken, 'pg'))).toBe(false);
    } finally {
      await rm(taken, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a .pg-password owned by another user or readable by others, naming the file', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'ticketero-fallback-'));
    const file = path.join(dataDir, '.pg-password');
    try {
      await writeFile(file, 'conocida\n', { mode: 0o600 });
      await chown(file, await uidOf('nobody'), 0);
      await expect(startEmbeddedPostgres({ dir: dataDir, logger })).rejects.toThrow(`El archivo ${file} es de otro usuario`);
      await chown(file, 0, 0);
      await chmod(file, 0o644);
      await expect(startEmbeddedPostgres({ dir: dataDir, logger })).rejects.toThrow(
        `El archivo ${file} lo pueden leer o escribir otros usuarios (permisos 644)`,
      );
    } finally {
      await cleanUp(dataDir);
    }
  });
});

describe('the personal-data key file', () => {
  const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'silent' });

  it.skipIf(!asRoot)('is refused when another user owns it, naming the file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ticketero-keys-'));
    const file = path.join(dir, KEY_FILE_NAME);
    try {
      await writeFile(file, JSON.stringify(generateKeyEnv('k20261206')), { mode: 0o600 });
      await chown(file, await uidOf('nobody'), 0);
      await expect(resolvePersonalDataKeys(config, dir, logger)).rejects.toThrow(`El archivo ${file} es de otro usuario`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is refused when group or others can read it, or when it is a symbolic link', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ticketero-keys-'));
    const file = path.join(dir, KEY_FILE_NAME);
    try {
      await mkdir(path.join(dir, 'otra'));
      await writeFile(path.join(dir, 'otra', 'claves.json'), JSON.stringify(generateKeyEnv('k20261206')), { mode: 0o600 });
      await symlink(path.join(dir, 'otra', 'claves.json'), file);
      await expect(resolvePersonalDataKeys(config, dir, logger)).rejects.toThrow(`${file} no es un archivo común`);
      await rm(file);
      await writeFile(file, JSON.stringify(generateKeyEnv('k20261206')), { mode: 0o640 });
      await chmod(file, 0o640);
      await expect(resolvePersonalDataKeys(config, dir, logger)).rejects.toThrow(`chmod 600 ${file}`);
      // Closed again, it is used.
      await chmod(file, 0o600);
      await expect(resolvePersonalDataKeys(config, dir, logger)).resolves.toHaveProperty('blindIndexKey');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
