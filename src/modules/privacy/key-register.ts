import type { Queryable } from '../../db/sql.js';
import { isUnreadableData, type PersonalDataCipher } from './cipher.js';

/** The text each encryption key's row holds, encrypted under that key. */
const CHECK_TEXT = 'ticketero:verificacion-de-clave';
/** The blind-index key's row id (encryption key ids cannot contain `#`). */
const BLIND_INDEX_ROW = '#indice-ciego';

export class KeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMismatchError';
  }
}

/**
 * Checks the configured keys against the ones this database's data was written with, and
 * registers the current ones: a key the data needs that is missing, or a key with a known id but
 * other bytes, stops the app here with a message naming the variable — not later with unreadable
 * rows or, worse, lookups that silently find nobody.
 */
export async function verifyKeys(db: Queryable, cipher: PersonalDataCipher): Promise<void> {
  const rows = await db.execute<{ key_id: string; purpose: string; check_value: string }[]>(
    `select key_id, purpose, check_value from personal_data_key order by created_at, key_id`,
  );
  for (const row of rows) {
    if (row.purpose === 'INDICE_CIEGO') {
      if (row.check_value !== cipher.blindIndexFingerprint()) {
        throw new KeyMismatchError(
          'BLIND_INDEX_KEY no es la clave con que se crearon los índices ciegos de esta base de datos ' +
            '(con otra clave nadie sería encontrado por su RUT o teléfono)',
        );
      }
      continue;
    }
    if (!cipher.hasKey(row.key_id)) {
      throw new KeyMismatchError(
        `DATA_ENCRYPTION_KEYS no incluye la clave "${row.key_id}", con la que hay datos cifrados en esta base de datos`,
      );
    }
    let readable: boolean;
    try {
      readable = cipher.decrypt('rut', row.check_value) === CHECK_TEXT;
    } catch (error) {
      if (!isUnreadableData(error)) throw error;
      readable = false;
    }
    if (!readable) {
      throw new KeyMismatchError(
        `DATA_ENCRYPTION_KEYS: la clave "${row.key_id}" no es la que cifró los datos de esta base de datos`,
      );
    }
  }
  await db.execute(
    `insert into personal_data_key (key_id, purpose, check_value) values (?, 'INDICE_CIEGO', ?), (?, 'CIFRADO', ?)
     on conflict (key_id) do nothing`,
    [BLIND_INDEX_ROW, cipher.blindIndexFingerprint(), cipher.currentKeyId, cipher.encrypt('rut', CHECK_TEXT)],
  );
}

/** After a complete rotation no data is under the other keys: they may leave DATA_ENCRYPTION_KEYS. */
export async function forgetRetiredKeys(db: Queryable, cipher: PersonalDataCipher): Promise<string[]> {
  const rows = await db.execute<{ key_id: string }[]>(
    `delete from personal_data_key where purpose = 'CIFRADO' and key_id <> ? returning key_id`,
    [cipher.currentKeyId],
  );
  return rows.map((r) => r.key_id);
}
