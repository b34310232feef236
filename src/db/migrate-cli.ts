// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded server) and exits.
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { openDatabase } from './database.js';
import { migrate, openOrm } from './orm.js';

async function run(): Promise<void> {
  const config = loadConfig(process.env, { serving: false });
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const orm = await openOrm({ url: database.url, logger, poolMax: 2 });
    try {
      const applied = await migrate(orm);
      logger.info(
        { database: database.description, applied },
        applied.length ? `${applied.length} migraciones aplicadas` : 'esquema al día: sin migraciones pendientes',
      );
    } finally {
      await orm.close(true);
    }
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exitCode = 1;
});
