import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { access, open, rename, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import pg from 'pg';
import { migrationsList } from '../../migrations/index.js';
import { openOrm } from '../db/orm.js';

/**
 * Ticketero's own backup format, for when no pg_dump matching the server is at hand (the embedded
 * server ships none): gzip'd JSON lines — a header (format, server version, the schema's migration
 * history), then per table its name and rows as JSON, then a trailer with the row counts and the
 * SHA-256 of every line before it. All tables are read in one REPEATABLE READ transaction: one
 * consistent snapshot.
 */
export const BACKUP_FORMAT = 'ticketero-backup/1';
const MIGRATIONS_TABLE = 'mikro_orm_migrations';
const BATCH = 500;

export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

interface Header {
  format: string;
  createdAt: string;
  serverVersion: string;
  migrations: string[];
  tables: string[];
}
type Line = { header: Header } | { table: string } | { row: Record<string, unknown> } | { trailer: { rows: Record<string, number>; sha256: string } };

/** Kept by triggers from other tables (migration 20261205140000): rebuilt, never restored. */
const DERIVED_TABLES = ['ticket_waiting_count'];

/**
 * Ordinary and partitioned tables of the public schema (not partitions), parents before children:
 * foreign keys, and the triggers that act as one towards `branch` (SPEC §17, migration 20261205110000).
 */
async function tablesInLoadOrder(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string; deps: string[] | null }>(
    `select c.relname as name,
       (select array_agg(distinct d.name) from (
          select r.relname::text as name from pg_constraint k join pg_class r on r.oid = k.confrelid
          where k.conrelid = c.oid and k.contype = 'f' and k.confrelid <> c.oid
          union
          select 'branch' from pg_trigger t join pg_proc p on p.oid = t.tgfoid
          where t.tgrelid = c.oid and p.proname = 'branch_name_must_exist') d) as deps
     from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
     order by c.relname`,
  );
  const pending = new Map(rows.map((r) => [r.name, new Set(r.deps ?? [])]));
  const ordered: string[] = [];
  while (pending.size > 0) {
    const ready = [...pending].filter(([, deps]) => [...deps].every((d) => !pending.has(d))).map(([name]) => name);
    if (ready.length === 0) throw new BackupError('las claves foráneas forman un ciclo: no se puede ordenar la carga');
    for (const name of ready) {
      ordered.push(name);
      pending.delete(name);
    }
  }
  return ordered;
}

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

export interface BackupSummary {
  file: string;
  migrations: string[];
  rows: Record<string, number>;
}

/** Writes a consistent snapshot of every table to `file` (written aside, then renamed into place). */
export async function createBackup(url: string, file: string): Promise<BackupSummary> {
  const partial = `${file}.partial`;
  // Fail before reading anything when the place cannot be written.
  try {
    await (await open(partial, 'w', 0o600)).close();
  } catch (error) {
    throw new BackupError(`No se puede escribir el respaldo en ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  const gzip = createGzip();
  const out = createWriteStream(partial, { mode: 0o600 });
  const done = finished(gzip.pipe(out));
  const hash = createHash('sha256');
  const write = async (line: Line): Promise<void> => {
    const text = `${JSON.stringify(line)}\n`;
    if (!('trailer' in line)) hash.update(text);
    if (!gzip.write(text)) await new Promise((resolve) => gzip.once('drain', resolve));
  };
  try {
    await client.query('begin isolation level repeatable read read only');
    const tables = await tablesInLoadOrder(client);
    if (!tables.includes(MIGRATIONS_TABLE)) throw new BackupError('la base de datos no tiene el esquema de Ticketero (sin migraciones)');
    const { rows: migrationRows } = await client.query<{ name: string }>(`select name from ${MIGRATIONS_TABLE} order by id`);
    const { rows: version } = await client.query<{ server_version: string }>('show server_version');
    const migrations = migrationRows.map((m) => m.name);
    // Derived tables are not kept: a restore's tickets rebuild them as they are inserted (their triggers).
    const data = tables.filter((t) => t !== MIGRATIONS_TABLE && !DERIVED_TABLES.includes(t));
    await write({
      header: { format: BACKUP_FORMAT, createdAt: new Date().toISOString(), serverVersion: version[0]!.server_version, migrations, tables: data },
    });
    const counts: Record<string, number> = {};
    for (const table of data) {
      await write({ table });
      counts[table] = 0;
      // A cursor-less walk by ctid pages would be faster; row_to_json in batches keeps memory flat and types exact.
      const cursor = `c_${counts[table]}_${table.replace(/\W/g, '_')}`;
      await client.query(`declare ${cursor} no scroll cursor for select row_to_json(t) as r from ${quote(table)} t`);
      for (;;) {
        const { rows } = await client.query<{ r: Record<string, unknown> }>(`fetch ${BATCH} from ${cursor}`);
        for (const { r } of rows) await write({ row: r });
        counts[table] += rows.length;
        if (rows.length < BATCH) break;
      }
      await client.query(`close ${cursor}`);
    }
    await client.query('commit');
    await write({ trailer: { rows: counts, sha256: hash.digest('hex') } });
    gzip.end();
    await done;
    await rename(partial, file);
    return { file, migrations, rows: counts };
  } catch (error) {
    gzip.destroy();
    await unlink(partial).catch(() => {});
    if (error instanceof BackupError) throw error;
    throw new BackupError(`El respaldo falló: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

async function* readLines(file: string): AsyncGenerator<string> {
  const input = createReadStream(file).pipe(createGunzip());
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) if (line) yield line;
}

/** Reads the whole file once and checks it: format, every line parses, row counts and checksum. */
export async function verifyBackup(file: string): Promise<Header & { rows: Record<string, number> }> {
  try {
    await access(file);
  } catch {
    throw new BackupError(`No existe el archivo de respaldo ${file}`);
  }
  const hash = createHash('sha256');
  let header: Header | undefined;
  let trailer: { rows: Record<string, number>; sha256: string } | undefined;
  const counts: Record<string, number> = {};
  let table: string | undefined;
  try {
    for await (const text of readLines(file)) {
      if (trailer) throw new Error('hay datos después del cierre');
      const line = JSON.parse(text) as Line;
      if ('trailer' in line) {
        trailer = line.trailer;
        continue;
      }
      hash.update(`${text}\n`);
      if ('header' in line) header = line.header;
      else if ('table' in line) counts[(table = line.table)] = 0;
      else if (table !== undefined) counts[table]! += 1;
    }
  } catch (error) {
    throw new BackupError(`El respaldo ${file} está dañado: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!header || header.format !== BACKUP_FORMAT) throw new BackupError(`${file} no es un respaldo de Ticketero (${BACKUP_FORMAT})`);
  if (!trailer) throw new BackupError(`El respaldo ${file} está incompleto (falta el cierre)`);
  if (trailer.sha256 !== hash.digest('hex') || JSON.stringify(trailer.rows) !== JSON.stringify(counts)) {
    throw new BackupError(`El respaldo ${file} está dañado: la suma de verificación no coincide`);
  }
  return { ...header, rows: counts };
}

/** Ticketero's tables holding what a restore would overwrite (an app start alone leaves them empty). */
export async function holdsData(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query<{ t: string }>(
    `select c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'public' and c.relname in ('ticket', 'mensaje', 'telegram_customer')`,
  );
  for (const { t } of rows) {
    const { rowCount } = await client.query(`select 1 from ${quote(t)} limit 1`);
    if (rowCount) return true;
  }
  return false;
}

export interface RestoreOptions {
  /** Replace a database that already holds tickets (everything in it is lost). */
  force?: boolean;
}

/**
 * Restores a backup into an empty database: the schema is rebuilt by this code's migrations up to
 * the backup's version, then every table is loaded in one transaction and the sequences are moved
 * past the restored ids. The file is checked whole before the database is touched.
 */
export async function restoreBackup(url: string, file: string, options: RestoreOptions = {}): Promise<BackupSummary> {
  const backup = await verifyBackup(file);
  const known = migrationsList.map((m) => m.name);
  const unknown = backup.migrations.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new BackupError(`El respaldo viene de una versión más nueva de Ticketero (migraciones desconocidas: ${unknown.join(', ')})`);
  }
  if (backup.migrations.some((name, i) => known[i] !== name)) {
    throw new BackupError('El historial de migraciones del respaldo no coincide con el de esta versión');
  }

  const client = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    if (!options.force && (await holdsData(client))) {
      throw new BackupError('La base de datos de destino no está vacía (tiene tickets o clientes): use --force para reemplazarla');
    }
    await client.query('drop schema if exists public cascade; create schema public');
  } finally {
    await client.end();
  }

  const orm = await openOrm({ url, poolMax: 2 });
  try {
    const last = backup.migrations.at(-1);
    if (last) await orm.getMigrator().up({ to: last });
  } finally {
    await orm.close(true);
  }

  const loader = new pg.Client({ connectionString: url, options: '-c TimeZone=UTC' });
  await loader.connect();
  try {
    await loader.query('begin');
    // What the migrations seeded (advisors) gives way to what the backup holds.
    await loader.query(`truncate ${backup.tables.map(quote).join(', ')} restart identity cascade`);
    let table: string | undefined;
    let batch: Record<string, unknown>[] = [];
    const flush = async (): Promise<void> => {
      if (!table || batch.length === 0) return;
      await loader.query(`insert into ${quote(table)} select * from json_populate_recordset(null::${quote(table)}, $1::json)`, [
        JSON.stringify(batch),
      ]);
      batch = [];
    };
    for await (const text of readLines(file)) {
      const line = JSON.parse(text) as Line;
      if ('table' in line) {
        await flush();
        table = line.table;
      } else if ('row' in line) {
        batch.push(line.row);
        if (batch.length >= BATCH) await flush();
      }
    }
    await flush();
    // Sequences (serial and identity columns) continue after the restored ids.
    const { rows: sequences } = await loader.query<{ tbl: string; col: string; seq: string }>(
      `select c.table_name as tbl, c.column_name as col, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) as seq
       from information_schema.columns c
       where c.table_schema = 'public' and pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) is not null`,
    );
    for (const { tbl, col, seq } of sequences) {
      await loader.query(`select setval($1, coalesce((select max(${quote(col)}) from ${quote(tbl)}), 0) + 1, false)`, [seq]);
    }
    await loader.query('commit');
  } catch (error) {
    await loader.query('rollback').catch(() => {});
    throw new BackupError(`La restauración falló: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await loader.end();
  }
  return { file, migrations: backup.migrations, rows: backup.rows };
}
