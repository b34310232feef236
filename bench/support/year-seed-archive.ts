import type pg from 'pg';
import { fixed } from './format.js';
import type { AuditMonth } from './year-load.js';

/**
 * The "before" of the yearly archive: what seed-schema.md's maintenance does on an
 * unpartitioned audit_log —
 *   INSERT INTO audit_log_archive SELECT * FROM audit_log WHERE created_at < …;
 *   DELETE FROM audit_log WHERE created_at < …;
 * — on a plain copy with the seed's indexes. A documented subset, not the whole 36 M rows (a
 * second copy of those would double the disk and the load): the month tonight's archive moves
 * plus the month after it, and the cut at the end of the first, so both sides move the same rows.
 */
const TABLE = 'bench_seed_audit_log';
const ARCHIVE = 'bench_seed_audit_log_archive';
const COLUMNS = `id, entity_type, entity_id, event_type, actor, old_state, new_state, additional_data, ip_address, user_agent, created_at`;

export interface SeedArchive {
  rows: number;
  cut: Date;
}

export async function prepareSeedArchive(
  pool: pg.Pool,
  archived: AuditMonth,
  next: AuditMonth,
  log: (message: string) => void,
): Promise<SeedArchive> {
  const started = performance.now();
  await pool.query(`create table ${TABLE} (like audit_log including defaults)`);
  const copied = await pool.query(
    `insert into ${TABLE} select ${COLUMNS} from "${archived.name}" union all select ${COLUMNS} from "${next.name}"`,
  );
  await pool.query(`alter table ${TABLE} add constraint ${TABLE}_pkey primary key (id)`);
  await pool.query(`create index ${TABLE}_entity on ${TABLE} (entity_type, entity_id)`);
  await pool.query(`create index ${TABLE}_event_type on ${TABLE} (event_type)`);
  await pool.query(`create index ${TABLE}_created_at on ${TABLE} (created_at desc)`);
  await pool.query(`create index ${TABLE}_actor on ${TABLE} (actor)`);
  await pool.query(`create table ${ARCHIVE} (like audit_log_archive including all)`);
  await pool.query(`vacuum (analyze) ${TABLE}`);
  const rows = copied.rowCount ?? 0;
  log(`  "before" baseline: unpartitioned copy of ${archived.name} + ${next.name}, ${rows} rows, built in ${fixed((performance.now() - started) / 1000, 1)} s`);
  return { rows, cut: archived.end };
}

/** The seed's two statements in one transaction, then the VACUUM the DELETE leaves owing; the copy is dropped after. */
export async function measureSeedArchive(
  pool: pg.Pool,
  seed: SeedArchive,
  log: (message: string) => void,
): Promise<{ archiveMs: number; vacuumMs: number; moved: number }> {
  const client = await pool.connect();
  try {
    const started = performance.now();
    await client.query('begin');
    const moved = await client.query(`insert into ${ARCHIVE} select ${COLUMNS} from ${TABLE} where created_at < $1`, [seed.cut]);
    await client.query(`delete from ${TABLE} where created_at < $1`, [seed.cut]);
    await client.query('commit');
    const archiveMs = performance.now() - started;
    const vacuumStarted = performance.now();
    await client.query(`vacuum ${TABLE}`);
    const vacuumMs = performance.now() - vacuumStarted;
    log(`  "before" baseline: ${moved.rowCount ?? 0} rows archived row by row in ${fixed(archiveMs / 1000, 1)} s, vacuum ${fixed(vacuumMs / 1000, 1)} s`);
    return { archiveMs, vacuumMs, moved: moved.rowCount ?? 0 };
  } finally {
    client.release();
    await pool.query(`drop table if exists ${TABLE}, ${ARCHIVE}`);
  }
}
