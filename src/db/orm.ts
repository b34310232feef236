import './pg-defaults.js';
import { MikroORM, PostgreSqlDriver, type Options } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from '../logger.js';
import { migrationsList } from '../../migrations/index.js';
import { entities } from './entities.js';

export interface OrmSettings {
  url: string;
  logger?: Logger;
  poolMax?: number;
}

export function ormOptions({ url, logger, poolMax = 20 }: OrmSettings): Options {
  return {
    driver: PostgreSqlDriver,
    clientUrl: url,
    entities,
    extensions: [Migrator],
    // Columns are `timestamp` (as the seed has them) holding UTC; make every session agree.
    forceUtcTimezone: true,
    driverOptions: { connection: { options: '-c TimeZone=UTC' } },
    pool: { min: 0, max: poolMax },
    allowGlobalContext: false,
    debug: false,
    logger: logger ? (message: string) => logger.debug({ orm: message }, 'mikro-orm') : undefined,
    migrations: {
      migrationsList,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      silent: true,
      snapshot: false,
    },
  };
}

export async function openOrm(settings: OrmSettings): Promise<MikroORM> {
  return MikroORM.init(ormOptions(settings));
}

/** Applies pending migrations; a second run applies nothing. Returns the names applied. */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
