import type { Db } from '../../db/sql.js';
import { normalisePhone } from '../../domain/phone.js';
import { maskPersonalData } from '../../domain/privacy.js';
import { parseRut } from '../../domain/rut.js';
import type { Logger } from '../../logger.js';
import type { PersonalDataCipher, PersonalDataKind } from './cipher.js';
import { PROTECTED_COLUMNS } from './protected-columns.js';

const BATCH = 500;

/** The value as the app would have stored it, so its blind index meets the app's lookups. */
function normalised(kind: PersonalDataKind, value: string): string {
  if (kind === 'rut') {
    const rut = parseRut(value);
    return rut.ok ? rut.rut : value.trim();
  }
  return normalisePhone(value) ?? value.trim();
}

async function hasColumn(db: Db, table: string, column: string): Promise<boolean> {
  const rows = await db.execute<unknown[]>(
    `select 1 from information_schema.columns where table_schema = current_schema() and table_name = ? and column_name = ?`,
    [table, column],
  );
  return rows.length > 0;
}

/**
 * The one-time data step between the two privacy migrations (SPEC §14 "existing plaintext rows
 * are encrypted by a migration"): every RUT and phone still in clear is encrypted and indexed,
 * and its clear column nulled, in batches of 500 rows — each batch its own short transaction on
 * rows it could lock (SKIP LOCKED), so the kiosk and the bot keep working while it runs, and a
 * run cut short simply continues next time. TICKET_CREADO audit rows, which carried the RUT,
 * get it masked. Once migration 2 has dropped the clear columns this finds nothing to do.
 */
export async function encryptPlaintextRows(db: Db, cipher: PersonalDataCipher, logger: Logger): Promise<number> {
  let total = 0;
  for (const table of ['ticket', 'telegram_customer'] as const) {
    const columns = PROTECTED_COLUMNS.filter((c) => c.table === table);
    if (!(await hasColumn(db, table, columns[0]!.plaintext))) continue;
    for (;;) {
      const moved = await db.transactional(async (tx) => {
        const rows = await tx.execute<Record<string, string | null>[]>(
          `select id, ${columns.map((c) => c.plaintext).join(', ')} from ${table}
           where ${columns.map((c) => `${c.plaintext} is not null`).join(' or ')}
           order by id limit ${BATCH} for update skip locked`,
        );
        if (rows.length === 0) return 0;
        const sets = columns.flatMap((c) => [
          `${c.enc} = coalesce(v.${c.enc}, ${table}.${c.enc})`,
          `${c.bidx} = coalesce(v.${c.bidx}, ${table}.${c.bidx})`,
          `${c.plaintext} = null`,
        ]);
        const params: unknown[] = [rows.map((r) => r.id)];
        const unnest: string[] = ['?::bigint[]'];
        const names: string[] = ['id'];
        for (const c of columns) {
          const values = rows.map((r) => (r[c.plaintext] == null ? null : normalised(c.kind, r[c.plaintext]!)));
          params.push(values.map((v) => cipher.encryptNullable(c.kind, v)), values.map((v) => cipher.blindIndexNullable(c.kind, v)));
          unnest.push('?::text[]', '?::bytea[]');
          names.push(c.enc, c.bidx);
        }
        await tx.execute(
          `update ${table} set ${sets.join(', ')}
           from unnest(${unnest.join(', ')}) as v(${names.join(', ')}) where ${table}.id = v.id`,
          params,
        );
        return rows.length;
      });
      if (moved === 0) break;
      total += moved;
    }
  }
  if (total > 0 || (await hasColumn(db, 'ticket', 'national_id'))) {
    const audited = (await maskAuditRows(db, 'audit_log')) + (await maskAuditRows(db, 'audit_log_archive'));
    if (total > 0 || audited > 0) {
      logger.info({ filas: total, auditoria: audited }, 'RUT y teléfonos existentes cifrados; auditoría enmascarada');
    }
  }
  return total;
}

/** TICKET_CREADO rows written before SPEC §14 carried the RUT in clear: mask it (and any phone) in place. */
async function maskAuditRows(db: Db, table: 'audit_log' | 'audit_log_archive'): Promise<number> {
  let after = 0;
  let total = 0;
  for (;;) {
    const rows = await db.execute<{ id: string; old_state: unknown; new_state: unknown; additional_data: unknown }[]>(
      `select id, old_state, new_state, additional_data from ${table}
       where event_type = 'TICKET_CREADO' and id > ? and new_state->>'nationalId' not like '%*%'
       order by id limit 1000`,
      [after],
    );
    if (rows.length === 0) return total;
    after = Number(rows.at(-1)!.id);
    const json = (value: unknown): string | null => (value == null ? null : JSON.stringify(maskPersonalData(value)));
    await db.execute(
      `update ${table} set old_state = v.o::json, new_state = v.n::json, additional_data = v.a::json
       from unnest(?::bigint[], ?::text[], ?::text[], ?::text[]) as v(id, o, n, a) where ${table}.id = v.id`,
      [rows.map((r) => r.id), rows.map((r) => json(r.old_state)), rows.map((r) => json(r.new_state)), rows.map((r) => json(r.additional_data))],
    );
    total += rows.length;
  }
}
