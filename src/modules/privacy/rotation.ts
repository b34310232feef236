import type { Db } from '../../db/sql.js';
import type { Logger } from '../../logger.js';
import type { PersonalDataCipher } from './cipher.js';
import { forgetRetiredKeys } from './key-register.js';
import { PROTECTED_COLUMNS, type ProtectedColumn } from './protected-columns.js';

export interface RotationOptions {
  batchSize?: number;
  /** Called after each committed batch; a test uses it to kill the run half-way. */
  afterBatch?: (done: number) => Promise<void> | void;
  /** Rounds over rows that were locked by someone else (SKIP LOCKED) before giving up. */
  maxRounds?: number;
}

export interface RotationResult {
  reencrypted: number;
  /** Values still under another key (rows locked throughout): run again. */
  remaining: number;
  retiredKeys: string[];
}

/**
 * `npm run rotate-keys` (SPEC §14): every encrypted RUT and phone re-encrypted under the first key
 * of DATA_ENCRYPTION_KEYS, online. Batches walk each table by id (keyset), lock only rows nobody
 * else holds (FOR UPDATE SKIP LOCKED) and commit on their own, with a compare-and-set on the old
 * value. A value is always readable — under its old key until its batch commits, under the new one
 * after — so a run killed at any point loses nothing, and the next run picks up what is left
 * (rows already under the new key are not selected again). The blind indexes do not change.
 */
export async function rotateKeys(db: Db, cipher: PersonalDataCipher, logger: Logger, options: RotationOptions = {}): Promise<RotationResult> {
  const batchSize = options.batchSize ?? 500;
  // Compared with left(), not LIKE: `_` in a key id is a LIKE wildcard.
  const prefix = `v1:${cipher.currentKeyId}:`;
  let reencrypted = 0;
  let remaining = 0;
  for (let round = 0; round < (options.maxRounds ?? 5); round++) {
    for (const column of PROTECTED_COLUMNS) {
      let after = 0;
      for (;;) {
        const batch = await rotateBatch(db, cipher, column, prefix, after, batchSize);
        if (batch.lastId === null) break;
        after = batch.lastId;
        reencrypted += batch.updated;
        if (batch.updated > 0) await options.afterBatch?.(reencrypted);
      }
    }
    remaining = await countRemaining(db, prefix);
    if (remaining === 0) break;
    logger.info({ remaining }, 'valores bloqueados por otra transacción; nueva vuelta');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const retiredKeys = remaining === 0 ? await forgetRetiredKeys(db, cipher) : [];
  logger.info({ reencrypted, remaining, clave: cipher.currentKeyId, retiradas: retiredKeys }, 'rotación de claves terminada');
  return { reencrypted, remaining, retiredKeys };
}

async function rotateBatch(
  db: Db,
  cipher: PersonalDataCipher,
  column: ProtectedColumn,
  prefix: string,
  after: number,
  batchSize: number,
): Promise<{ lastId: number | null; updated: number }> {
  const { table, enc, kind } = column;
  return db.transactional(async (tx) => {
    const rows = await tx.execute<{ id: string; value: string }[]>(
      `select id, ${enc} as value from ${table}
       where id > ? and ${enc} is not null and left(${enc}, ${prefix.length}) <> ?
       order by id limit ${batchSize} for update skip locked`,
      [after, prefix],
    );
    if (rows.length === 0) return { lastId: null, updated: 0 };
    const values = rows.map((r) => cipher.reencrypt(kind, r.value));
    const updated = await tx.execute<{ id: string }[]>(
      `update ${table} set ${enc} = v.fresh
       from unnest(?::bigint[], ?::text[], ?::text[]) as v(id, old, fresh)
       where ${table}.id = v.id and ${table}.${enc} = v.old
       returning ${table}.id`,
      [rows.map((r) => r.id), rows.map((r) => r.value), values],
    );
    return { lastId: Number(rows.at(-1)!.id), updated: updated.length };
  });
}

async function countRemaining(db: Db, prefix: string): Promise<number> {
  let total = 0;
  for (const { table, enc } of PROTECTED_COLUMNS) {
    const [row] = await db.execute<{ n: number }[]>(
      `select count(*)::int as n from ${table} where ${enc} is not null and left(${enc}, ${prefix.length}) <> ?`,
      [prefix],
    );
    total += row!.n;
  }
  return total;
}
