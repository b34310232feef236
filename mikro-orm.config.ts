// Configuration for the MikroORM CLI (creating migrations, checking the schema):
//   node --import tsx node_modules/@mikro-orm/cli/cli.js migration:create
// The app itself builds its options in src/db/orm.ts and runs the migrations listed
// in migrations/index.ts; add each new migration there.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './src/db/entities.js';

const root = path.dirname(fileURLToPath(import.meta.url)).replace(/[/\\]dist$/, '');

export default defineConfig({
  driver: PostgreSqlDriver,
  clientUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/ticketero',
  entities,
  extensions: [Migrator],
  forceUtcTimezone: true,
  driverOptions: { connection: { options: '-c TimeZone=UTC' } },
  migrations: {
    path: path.join(root, 'dist/migrations'),
    pathTs: path.join(root, 'migrations'),
    glob: '!(*.d|index).{js,ts}',
    emit: 'ts',
    snapshot: false,
    tableName: 'mikro_orm_migrations',
  },
});
