import { FakeTelegram } from './fake-telegram.js';
import { jobsRunning, startTestApp, type TestApp } from './app.js';
import type { TestDatabase } from './database.js';
import type { Logger } from '../../src/logger.js';

export interface TelegramTestApp {
  app: TestApp;
  fake: FakeTelegram;
  close(): Promise<void>;
}

/**
 * The real app with its bot pointed at a fake Bot API on loopback, and its jobs (the dispatcher)
 * running, so updates and replies travel over real HTTP through grammY and the runner.
 */
export async function startTelegramTestApp(
  env: Record<string, string> = {},
  options: { logger?: Logger; db?: TestDatabase } = {},
): Promise<TelegramTestApp> {
  const fake = await FakeTelegram.start();
  const app = await startTestApp(
    {
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      BOT_MODE: 'polling',
      QUEUE_RECALC_INTERVAL_MS: '300',
      ...env,
    },
    { jobs: true, ...options },
  );
  // The bot connects in the background; wait until it polls.
  await fake.waitUntil(() => fake.calls.some((call) => call.method === 'getUpdates'), { timeoutMs: 10_000 });
  // And the jobs that send and plan messages are up.
  await jobsRunning(app, ['dispatcher', 'queue']);
  return {
    app,
    fake,
    async close() {
      await app.close();
      await fake.stop();
    },
  };
}
