// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded server) and exits.
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './database.js';
import { openPersonalData } from '../modules/privacy/key-source.js';
import { prepareDatabase } from './prepare.js';

async function run(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    // The privacy data step between the migrations needs the keys (SPEC §14): the same as the app's.
    const { cipher } = await openPersonalData(config, logger);
    const applied = await prepareDatabase({ url: database.url, logger, cipher, migrate: true });
    logger.info(
      { database: database.description, applied },
      applied.length ? `${applied.length} migraciones aplicadas` : 'esquema al día: sin migraciones pendientes',
    );
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
});
