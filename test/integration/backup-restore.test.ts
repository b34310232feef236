import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackup, restoreBackup } from '../../src/ops/backup.js';
import { ADMIN_KEY, startTestApp, type TestApp } from '../support/app.js';
import { sealedRut } from '../support/personal-data.js';
import { createEmptyDatabase, type TestDatabase } from '../support/database.js';
import { rut } from '../support/ruts.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let app: TestApp;
let dir: string;
let file: string;

/** What must come back identical: every column of the tables a bank cares about, in id order. */
const SNAPSHOT = {
  ticket: 'select * from ticket order by id',
  mensaje: 'select * from mensaje order by id',
  audit_log: 'select * from audit_log order by id',
  advisor: 'select * from advisor order by id',
  telegram_customer: 'select * from telegram_customer order by chat_id',
  migrations: 'select name from mikro_orm_migrations order by id',
};
async function snapshot(db: TestDatabase): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const [name, sql] of Object.entries(SNAPSHOT)) out[name] = await db.query(sql);
  return out;
}

/**
 * The CLI as an operator runs it, against a given DATABASE_URL; `onlyDatabase`: with nothing else
 * in the environment (no NODE_ENV, so production; no personal-data keys), just PATH and HOME.
 */
async function cli(args: string[], databaseUrl: string, { onlyDatabase = false } = {}): Promise<{ code: number; output: string }> {
  const env = onlyDatabase
    ? { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl }
    : { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'info' };
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'src/ops/backup-cli.ts', ...args], { cwd: root, env });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ticketero-backup-'));
  file = path.join(dir, 'respaldo.ndjson.gz');
  app = await startTestApp();
  // A day's worth of everything: customers in Telegram, tickets in every state, messages, audit.
  await app.db.query(`insert into telegram_customer (chat_id, national_id_enc, national_id_bidx) values (5550001, $1, $2)`, [...sealedRut(app, rut(4401))]);
  for (let i = 0; i < 8; i++) {
    const { status } = await app.postTicket({ nationalId: rut(4401 + i), queueType: i % 2 ? 'CAJA' : 'EMPRESAS', telefono: '+56912345678' });
    expect(status).toBe(201);
  }
  const [busy] = await app.db.query<{ assigned_advisor_id: string }>(`select assigned_advisor_id from ticket where status = 'ATENDIENDO' limit 1`);
  await fetch(`${app.url}/api/admin/advisors/${busy!.assigned_advisor_id}/complete-ticket`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('backup and restore', () => {
  it('round-trips tickets, messages, audit, advisors and customers into an empty database', async () => {
    const before = await snapshot(app.db);
    expect(before.ticket!.length).toBe(8);
    const summary = await createBackup(app.db.url, file);
    expect(summary.rows.ticket).toBe(8);

    const target = await createEmptyDatabase();
    try {
      await restoreBackup(target.url, file);
      expect(await snapshot(target)).toEqual(before);
      // Sequences continue after the restored ids: a new ticket gets a fresh id.
      const [next] = await target.query<{ id: string }>(
        `insert into audit_log (entity_type, entity_id, event_type, actor, created_at) values ('SISTEMA', 'x', 'SISTEMA_INICIADO', 'SYSTEM', now()) returning id`,
      );
      expect(Number(next!.id)).toBeGreaterThan(Math.max(...before.audit_log!.map((r) => Number((r as { id: string }).id))));
    } finally {
      await target.drop();
    }
  });

  it('refuses a database that holds tickets unless told (--force), and then replaces it', async () => {
    const target = await createEmptyDatabase();
    try {
      await restoreBackup(target.url, file);
      await expect(restoreBackup(target.url, file)).rejects.toThrow(/no está vacía.*--force/);
      await target.query(`delete from mensaje where id = (select min(id) from mensaje)`);
      await restoreBackup(target.url, file, { force: true });
      expect(await snapshot(target)).toEqual(await snapshot(app.db));
    } finally {
      await target.drop();
    }
  });

  it('through the CLI: backup to a file, restore; a missing or corrupt file says so and changes nothing', async () => {
    const cliFile = path.join(dir, 'cli.ndjson.gz');
    const made = await cli(['backup', cliFile, '--format=ticketero'], app.db.url);
    expect(made.code, made.output).toBe(0);
    expect(made.output).toMatch(/respaldo escrito en/);

    const target = await createEmptyDatabase();
    try {
      const missing = await cli(['restore', path.join(dir, 'no-existe.ndjson.gz')], target.url);
      expect(missing.code).toBe(1);
      expect(missing.output).toMatch(/No existe el archivo de respaldo/);

      // One row altered inside a valid gzip: the checksum catches it.
      const text = gunzipSync(await readFile(cliFile)).toString('utf8').replace('"CAJA"', '"GERENCIA"');
      const corrupt = path.join(dir, 'alterado.ndjson.gz');
      await writeFile(corrupt, gzipSync(text));
      const altered = await cli(['restore', corrupt], target.url);
      expect(altered.code).toBe(1);
      expect(altered.output).toMatch(/está dañado: la suma de verificación no coincide/);
      // Truncated: not even a whole gzip.
      const cut = path.join(dir, 'cortado.ndjson.gz');
      await writeFile(cut, (await readFile(cliFile)).subarray(0, 200));
      const truncated = await cli(['restore', cut], target.url);
      expect(truncated.code).toBe(1);
      expect(truncated.output).toMatch(/está dañado|incompleto/);
      // Nothing was touched: the target is still empty (no tables at all).
      expect(await target.query(`select tablename from pg_tables where schemaname = 'public'`)).toEqual([]);

      const restored = await cli(['restore', cliFile], target.url);
      expect(restored.code, restored.output).toBe(0);
      expect(await snapshot(target)).toEqual(await snapshot(app.db));
    } finally {
      await target.drop();
    }
  }, 120_000); // five CLI processes, each starting Node with tsx: 30 s was not enough at a load average of 17

  it('needs only DATABASE_URL, never the personal-data keys (SPEC §15): backup and restore round-trip in production', async () => {
    const keyless = path.join(dir, 'sin-claves.ndjson.gz');
    const made = await cli(['backup', keyless], app.db.url, { onlyDatabase: true });
    expect(made.code, made.output).toBe(0);
    expect(made.output).not.toMatch(/DATA_ENCRYPTION_KEYS|BLIND_INDEX_KEY/);

    const target = await createEmptyDatabase();
    try {
      const restored = await cli(['restore', keyless], target.url, { onlyDatabase: true });
      expect(restored.code, restored.output).toBe(0);
      // The ciphertext and blind indexes come back byte for byte: the app with its keys reads them.
      expect(await snapshot(target)).toEqual(await snapshot(app.db));
    } finally {
      await target.drop();
    }
  }, 60_000); // two CLI processes

  it('a backup to a place it cannot write fails with a clear message', async () => {
    const result = await cli(['backup', '/proc/no-se-puede/respaldo.ndjson.gz'], app.db.url);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/No se puede escribir el respaldo en \/proc\/no-se-puede\/respaldo\.ndjson\.gz: ENOENT/);
  });
});
