// `npm run create-admin -- EMAIL`: an ADMIN account with a one-time password (changed at first
// sign-in), on DATABASE_URL or the embedded server. For external databases, where the first run
// makes no account by itself (SPEC §18).
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { prepareDatabase } from '../../db/prepare.js';
import { createDb } from '../../db/sql.js';
import { systemClock } from '../../clock.js';
import { createLogger } from '../../logger.js';
import { openPersonalData } from '../privacy/key-source.js';
import { AccountService } from './account.service.js';

async function run(): Promise<void> {
  const email = process.argv[2];
  if (!email) {
    console.error('Uso: npm run create-admin -- EMAIL');
    process.exitCode = 2;
    return;
  }
  const config = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const database = await openDatabase(config, logger);
  try {
    const { cipher } = await openPersonalData(config, logger);
    await prepareDatabase({ url: database.url, logger, cipher, migrate: true });
    const db = createDb({ url: database.url, max: 2, logger });
    try {
      const accounts = new AccountService({ db, clock: systemClock, cipher, logger, settings: { loginAttemptsPerIp: config.accounts.loginAttemptsPerIp, totpIssuer: 'Ticketero' } });
      const { account, initialPassword } = await accounts.createAdmin(email);
      process.stdout.write(
        `\nCuenta ADMIN creada (se muestra una sola vez):\n  email: ${account.email}\n  clave: ${initialPassword}\n` +
          '  Ingresa en /ingresar: se pide una clave nueva y activar TOTP.\n\n',
      );
    } finally {
      await db.close();
    }
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    console.error(`${(error as { code: string }).code}: ${error.message}`);
  } else console.error(error);
  process.exitCode = 1;
});
