// scratch (not committed): per-ticket cost at national scale
import { loadConfig } from '../src/config.js';
import { generateKeyEnv } from '../src/modules/privacy/keys.js';
import { createLogger } from '../src/logger.js';
import { QUEUE_TYPES } from '../src/domain/queue-types.js';
import { startApp } from '../src/main.js';
import { createDatabase, migrateDatabase, startPgServer, withClient } from './support/postgres.js';
import { ADVISOR_QUEUES, insertWaitingTickets } from './support/scale.js';
import { rutBlock } from './support/workload.js';
import { kioskTicket, postTicket } from './support/telegram.js';

const server = await startPgServer(createLogger('error'));
const db = await createDatabase(server, 'prof');
await migrateDatabase(db.url);
const branches = Array.from({ length: 1000 }, (_, i) => `Sucursal Nacional ${String(i + 1).padStart(4, '0')}`);
await withClient(db.url, async (client) => {
  await client.query(
    `insert into advisor (name, email, status, module_number, queue_types, branch_office)
     select 'Asesor ' || k || ' ' || b.name, 'asesor' || k || '.n' || b.ix || '@bench.banco.com', 'BUSY', k, ($2::text[])[k]::json, b.name
     from unnest($1::text[]) with ordinality as b(name, ix) cross join generate_series(1, 5) k`,
    [branches, ADVISOR_QUEUES],
  );
  await insertWaitingTickets(client, { branches, queueTypes: QUEUE_TYPES, count: 20000, timeZone: 'America/Santiago', firstRut: rutBlock(0) });
  await client.query('vacuum analyze');
});
const config = loadConfig({ ...generateKeyEnv('bench'), NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', KIOSK_API_KEY: 'x'.repeat(20), DATABASE_URL: db.url, MIGRATE_ON_START: 'false' });
const app = await startApp(config, { logger: createLogger('silent'), jobs: false });
const est = app.services.estimator;
const sdb = (app.services.queue as unknown as { deps: { db: Parameters<typeof est.newArrivalEstimates>[0] } }).deps.db;
for (const round of [0, 1]) {
  let a = performance.now();
  for (let i = 0; i < 200; i++) await est.newArrivalEstimates(sdb, branches[i]!, 'CAJA');
  console.log(`round ${round}: newArrivalEstimates x200 over 200 branches`, ((performance.now() - a) / 200).toFixed(2), 'ms each');
  a = performance.now();
  for (let i = 0; i < 200; i++) await app.services.screen.snapshot(branches[500 + i]!);
  console.log(`round ${round}: screen snapshot x200`, ((performance.now() - a) / 200).toFixed(2), 'ms each');
  a = performance.now();
  const first = rutBlock(5 + round);
  for (let i = 0; i < 200; i++) {
    const r = await postTicket(app.url, 'x'.repeat(20), kioskTicket(i, first, branches, false));
    if (r.status !== 201) console.log(r);
  }
  console.log(`round ${round}: POST /api/tickets x200 sequential`, ((performance.now() - a) / 200).toFixed(2), 'ms each');
}
await app.stop(); await db.drop(); await server.stop();
