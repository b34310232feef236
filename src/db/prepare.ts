import type { Logger } from '../logger.js';
import type { PersonalDataCipher } from '../modules/privacy/cipher.js';
import { verifyKeys } from '../modules/privacy/key-register.js';
import { encryptPlaintextRows } from '../modules/privacy/plaintext-migration.js';
import { openOrm } from './orm.js';
import { createDb } from './sql.js';

/** The privacy migration after which the app's data step runs (it needs the keys; migrations have none). */
export const DATA_STEP_AFTER = 'Migration20261130120000_personal_data_encrypted';

/**
 * Brings a database to what this version of the app needs — at start (MIGRATE_ON_START) and in
 * `npm run migrate`: the migrations up to the encrypted columns, a check of the keys against the
 * data, the data step that encrypts any plaintext rows, then the remaining migrations. Without
 * `migrate` it only checks the keys. Returns the migrations applied.
 */
export async function prepareDatabase(options: {
  url: string;
  logger: Logger;
  cipher: PersonalDataCipher;
  migrate: boolean;
}): Promise<string[]> {
  const { url, logger, cipher } = options;
  const applied: string[] = [];
  const orm = options.migrate ? await openOrm({ url, logger, poolMax: 2 }) : null;
  const db = createDb({ url, max: 2, logger, applicationName: 'ticketero-migrate' });
  try {
    if (orm) {
      const migrator = orm.getMigrator();
      const executed = new Set((await migrator.getExecutedMigrations()).map((m) => m.name));
      if (!executed.has(DATA_STEP_AFTER)) applied.push(...(await migrator.up({ to: DATA_STEP_AFTER })).map((m) => m.name));
    }
    await verifyKeys(db, cipher);
    if (orm) {
      await encryptPlaintextRows(db, cipher, logger);
      applied.push(...(await orm.getMigrator().up()).map((m) => m.name));
    }
    return applied;
  } finally {
    await db.close();
    await orm?.close(true);
  }
}
