import { describe, expect, it } from 'vitest';
import { configForWorker, configInWorker, loadConfig } from '../../src/config.js';
import { generateKeyEnv } from '../../src/modules/privacy/keys.js';
import { ADMIN_KEY, KIOSK_KEY } from '../support/keys.js';

/** Settings a worker used to get only through a hand-copied subset of Config (or not at all). */
const ENV = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://app@db.internal/ticketero',
  KIOSK_API_KEY: KIOSK_KEY,
  ADMIN_API_KEY: ADMIN_KEY,
  TELEGRAM_BOT_TOKEN: '123456:ABC-def',
  TELEGRAM_PAID_BROADCAST: 'true',
  TELEGRAM_RETRY_DELAYS_S: '5,10',
  RECALL_MAX: '5',
  PAUSE_REASONS: 'Colación,Reunión',
  PREFERENTIAL_EVERY: '4',
  CHAT_TICKETS_PER_HOUR: '9',
  KIOSK_OPENS_EARLY_MINUTES: '30',
  WAIT_ESTIMATOR: 'formula',
  SLA_MINUTES: '20',
  TZ_BRANCH: 'America/Punta_Arenas',
  ...generateKeyEnv('worker-config'),
};

describe("a job worker's config", () => {
  it('crosses the thread boundary as plain data and is read back by loadConfig into the same Config, keys aside', () => {
    const config = loadConfig(ENV);
    // What workerData does to it: the structured clone algorithm.
    const inWorker = configInWorker(structuredClone(configForWorker(config)));
    const { personalData, ...rest } = config;
    expect(inWorker).toEqual({ ...rest, personalData: { ...personalData, dataKeys: undefined, blindIndexKey: undefined } });
    expect(inWorker.floor).toEqual({ ...config.floor, recallMax: 5, preferentialEvery: 4, pauseReasons: ['Colación', 'Reunión'] });
  });

  it('carries no personal-data key (they travel apart, as the app runs with them)', () => {
    const data = configForWorker(loadConfig(ENV));
    expect(Object.keys(data.variables)).not.toContain('DATA_ENCRYPTION_KEYS');
    expect(Object.keys(data.variables)).not.toContain('BLIND_INDEX_KEY');
    expect(JSON.stringify(data)).not.toContain(ENV.BLIND_INDEX_KEY);
  });

  it('refuses a Config not made by loadConfig, and data that is not variables', () => {
    const config = loadConfig(ENV);
    expect(() => configForWorker({ ...config, proximoThreshold: 9 })).toThrow(/loadConfig/);
    expect(() => configInWorker({ variables: { RECALL_MAX: 5 } })).toThrow(/variables/);
    expect(() => configInWorker(null)).toThrow(/variables/);
  });

  it('validates in the worker the same way: a bad value is the same ConfigError', () => {
    expect(() => configInWorker({ variables: { RECALL_MAX: '0' } })).toThrow(/RECALL_MAX debe ser al menos 1/);
  });
});
