/**
 * `npm run bench:ab -- <other checkout>`: the kiosk path of this tree against another commit's,
 * interleaved in one process so that both see the same machine. On a shared machine whose load
 * swings by ±40 % from one minute to the next, two `npm run bench` runs cannot compare two
 * versions; turns of a second, alternated, can.
 *
 * Both apps (this tree's and the other checkout's `src/main.ts`, e.g. made with
 * `git archive <commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`) run on
 * their own database of one PostgreSQL, with the jobs off and every advisor offline (so the
 * measure is the kiosk's transaction, not assignment). Each turn, 16 loops post tickets to one
 * app for AB_TURN_MS (default 1000); AB_ROUNDS (default 40) rounds, the order swapped every round.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../src/config.js';
import { QUEUE_TYPES } from '../src/domain/queue-types.js';
import { createLogger } from '../src/logger.js';
import type { RunningApp } from '../src/main.js';
import { startApp } from '../src/main.js';
import { generateKeyEnv } from '../src/modules/privacy/keys.js';
import { createDatabase, startPgServer } from './support/postgres.js';
import { rutFor } from './support/workload.js';
import { benchKey } from './support/keys.js';

type Start = (config: unknown, options: { logger: unknown; jobs: boolean }) => Promise<RunningApp>;

const LOOPS = 16;
const otherDir = process.argv[2];
if (!otherDir) {
  console.error('uso: npm run bench:ab -- <carpeta con otra versión de Ticketero>');
  process.exit(2);
}
const rounds = Number(process.env.AB_ROUNDS ?? 40);
const turnMs = Number(process.env.AB_TURN_MS ?? 1000);

const other = (await import(pathToFileURL(path.resolve(otherDir, 'src/main.ts')).href)) as { startApp: Start };
const otherConfig = (await import(pathToFileURL(path.resolve(otherDir, 'src/config.ts')).href)) as {
  loadConfig: (env: Record<string, string>) => unknown;
};

const logger = createLogger('silent');
const server = await startPgServer(logger);
const databases = [await createDatabase(server, 'ab_other'), await createDatabase(server, 'ab_this')];
const env = (url: string): Record<string, string> => ({
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: '0',
  LOG_LEVEL: 'silent',
  KIOSK_API_KEY: benchKey('kiosk'),
  DATABASE_URL: url,
  DATABASE_POOL_MAX: String(LOOPS),
  ...generateKeyEnv('ab'),
});
const apps = {
  other: await other.startApp(otherConfig.loadConfig(env(databases[0]!.url)), { logger, jobs: false }),
  this: await startApp(loadConfig(env(databases[1]!.url)), { logger, jobs: false }),
};
for (const app of Object.values(apps)) await app.sql.execute(`update advisor set status = 'OFFLINE'`);

let n = 0;
async function turn(app: RunningApp, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let created = 0;
  await Promise.all(
    Array.from({ length: LOOPS }, async () => {
      while (Date.now() < end) {
        const i = ++n;
        const response = await fetch(`${app.url}/api/tickets`, {
          method: 'POST',
          headers: { authorization: 'Bearer ab', 'content-type': 'application/json' },
          body: JSON.stringify({
            nationalId: rutFor(20_000_000 + i),
            queueType: QUEUE_TYPES[i % QUEUE_TYPES.length],
            ...(i % 2 ? { telefono: `+569${String(i).padStart(8, '0')}` } : {}),
          }),
        });
        await response.text();
        if (response.status === 201) created++;
      }
    }),
  );
  return created;
}

try {
  await turn(apps.other, 2000);
  await turn(apps.this, 2000);
  const totals = { other: 0, this: 0 };
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? (['other', 'this'] as const) : (['this', 'other'] as const);
    for (const who of order) totals[who] += await turn(apps[who], turnMs);
  }
  const seconds = (rounds * turnMs) / 1000;
  console.log(
    `kiosk tickets/s, ${rounds} alternated turns of ${turnMs} ms, ${LOOPS} loops each: ` +
      `other ${(totals.other / seconds).toFixed(1)}/s, this ${(totals.this / seconds).toFixed(1)}/s, ` +
      `this/other ${((totals.this / totals.other) * 100).toFixed(1)} % (target >= 90 %)`,
  );
} finally {
  await apps.this.stop();
  await apps.other.stop();
  for (const database of databases) await database.drop();
  await server.stop();
}
