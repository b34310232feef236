// `npm run rollup -- --date YYYY-MM-DD [--branch CODE] [--force]`: recomputes one service day's
// report rollups (SPEC §20) from its tickets, on DATABASE_URL or the embedded server. Idempotent.
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../config.js';
import { openDatabase } from '../../db/database.js';
import { prepareDatabase } from '../../db/prepare.js';
import { createDb } from '../../db/sql.js';
import { systemClock } from '../../clock.js';
import { createLogger } from '../../logger.js';
import { openPersonalData } from '../privacy/key-source.js';
import { RollupRefusedError, RollupService } from './rollup.service.js';

const USAGE = 'Uso: npm run rollup -- --date AAAA-MM-DD [--branch CÓDIGO] [--force]';

async function run(): Promise<void> {
  let values: { date?: string; branch?: string; force?: boolean };
  try {
    ({ values } = parseArgs({
      options: { date: { type: 'string' }, branch: { type: 'string' }, force: { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const date = values.date ?? '';
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
    console.error(`--date: se espera una fecha AAAA-MM-DD\n${USAGE}`);
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
      let branchIds: number[] | undefined;
      if (values.branch !== undefined) {
        const [branch] = await db.execute<{ id: string }[]>('select id from branch where code = ?', [values.branch.trim().toUpperCase()]);
        if (!branch) {
          console.error(`--branch: no existe la sucursal ${values.branch}`);
          process.exitCode = 2;
          return;
        }
        branchIds = [Number(branch.id)];
      }
      const rollups = new RollupService({ db, clock: systemClock, logger, slaMinutes: config.reports.slaMinutes });
      const result = await rollups.recomputeDay(date, branchIds, { force: values.force === true });
      logger.info(result, 'rollup del día recalculado');
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } finally {
      await db.close();
    }
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof RollupRefusedError) console.error(error.message);
  else console.error(error);
  process.exitCode = 1;
});
