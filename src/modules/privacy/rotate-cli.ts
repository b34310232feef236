// `npm run rotate-keys`: re-encrypts every RUT and phone under the first key of DATA_ENCRYPTION_KEYS.
// Online (the app may keep running), batched, resumable: run it again after an interruption.
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { prepareDatabase } from '../../db/prepare.js';
import { createDb } from '../../db/sql.js';
import { createLogger } from '../../logger.js';
import { openPersonalData } from './key-source.js';
import { rotateKeys } from './rotation.js';

async function run(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const { cipher } = await openPersonalData(config, logger);
    // The keys are checked against the data (and the new first key registered) before anything is written.
    await prepareDatabase({ url: database.url, logger, cipher, migrate: false });
    const db = createDb({ url: database.url, max: 2, logger, applicationName: 'ticketero-rotate-keys' });
    try {
      const result = await rotateKeys(db, cipher, logger, { batchSize: config.personalData.rotateBatchSize });
      if (result.remaining > 0) process.exitCode = 2;
    } finally {
      await db.close();
    }
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
