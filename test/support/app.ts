import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { startApp, type RunningApp } from '../../src/main.js';
import { createEmptyDatabase, type TestDatabase } from './database.js';

import { ADMIN_KEY, KIOSK_KEY } from './keys.js';

export { ADMIN_KEY, KIOSK_KEY };
/**
 * SPEC §14 keys of this test file's apps: generated per test process and passed explicitly, as
 * production would (every test file has its own database, so no file reads another's data).
 */
export const TEST_PERSONAL_DATA_KEYS = generateKeyEnv('test');

export interface TestApp extends RunningApp {
  db: TestDatabase;
  /** fetch against the app, with the kiosk key unless headers say otherwise. */
  request(path: string, init?: RequestInit): Promise<Response>;
  postTicket(body: unknown): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * The real app (the same composition root as `npm start`) on a fresh database and a free
 * loopback port. Extra environment variables override the test defaults.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { clock?: Clock; db?: TestDatabase; jobs?: boolean; workersDir?: string; logger?: Logger; firstRun?: { dir: string } } = {},
): Promise<TestApp> {
  const db = options.db ?? (await createEmptyDatabase());
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    HOST: '127.0.0.1',
    PORT: '0',
    KIOSK_API_KEY: KIOSK_KEY,
    ADMIN_API_KEY: ADMIN_KEY,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...TEST_PERSONAL_DATA_KEYS,
    ...env,
  });
  const logger = options.logger ?? createLogger(config.logLevel);
  // The Bree jobs stay off unless a test asks for them: most tests drive the queue themselves.
  const app = await startApp(config, {
    logger,
    jobs: options.jobs ?? false,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.workersDir ? { workersDir: options.workersDir } : {}),
    ...(options.firstRun ? { firstRun: options.firstRun } : {}),
  });

  const request = (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${KIOSK_KEY}`);
    return fetch(`${app.url}${path}`, { ...init, headers });
  };

  return {
    ...app,
    db,
    request,
    async postTicket(body: unknown) {
      const response = await request('/api/tickets', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async close() {
      await app.stop();
      if (!options.db) await db.drop();
    },
  };
}

/** Polls until the check passes (or fails after `timeoutMs`): for effects that follow a response. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/**
 * Until each named job has finished a run (its job_run row): the jobs' worker threads each load the
 * app's whole service graph (createServices) before their first run, which takes seconds on a busy machine.
 */
export async function jobsRunning(app: Pick<TestApp, 'db'>, names: readonly string[], timeoutMs = 40_000): Promise<void> {
  await eventually(async () => {
    const rows = await app.db.query<{ name: string }>(`select name from job_run where name = any($1) and last_finished_at is not null`, [names]);
    if (rows.length < names.length) throw new Error(`trabajos sin terminar su primera ejecución: ${names.filter((n) => !rows.some((r) => r.name === n)).join(', ')}`);
  }, timeoutMs, 100);
}
