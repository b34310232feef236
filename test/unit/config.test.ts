import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ADMIN_KEY, KIOSK_KEY } from '../support/keys.js';

/** The smallest valid production environment. */
const BASE = { KIOSK_API_KEY: KIOSK_KEY };

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults', () => {
  it('uses the SPEC defaults when only the kiosk key is given', () => {
    const config = loadConfig(BASE);
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 3000,
      databaseUrl: undefined,
      migrateOnStart: true,
      kioskApiKey: KIOSK_KEY,
      adminApiKey: undefined,
      branchOffice: 'Sucursal Centro',
      branchTimeZone: 'America/Santiago',
      proximoThreshold: 3,
      queueRecalcIntervalMs: 5000,
      logLevel: 'info',
    });
    expect(config.telegram).toMatchObject({
      token: undefined,
      apiRoot: 'https://api.telegram.org',
      mode: 'polling',
      webhookSecret: undefined,
      maxMessagesPerSecond: 25,
      adminIds: [],
    });
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ ...BASE, PORT: '', BOT_MODE: '', TZ_BRANCH: '', PROXIMO_THRESHOLD: '', LOG_LEVEL: '' });
    expect(config).toMatchObject({ port: 3000, branchTimeZone: 'America/Santiago', proximoThreshold: 3, logLevel: 'info' });
    expect(config.telegram.mode).toBe('polling');
  });

  it('reads the values it is given', () => {
    const config = loadConfig({
      ...BASE,
      PORT: '8080',
      DATABASE_URL: 'postgresql://app@db:5432/ticketero',
      TELEGRAM_BOT_TOKEN: '123456:ABC-def_ghi',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9999/',
      BOT_MODE: 'webhook',
      TELEGRAM_WEBHOOK_SECRET: 's3cr3t_-',
      BRANCH_OFFICE: 'Sucursal Norte',
      TZ_BRANCH: 'America/Punta_Arenas',
      PROXIMO_THRESHOLD: '5',
      QUEUE_RECALC_INTERVAL_MS: '1000',
      TELEGRAM_MAX_MSGS_PER_SEC: '10',
      ADMIN_TELEGRAM_IDS: '111, 222',
      LOG_LEVEL: 'debug',
      MIGRATE_ON_START: 'false',
      DATA_ENCRYPTION_KEYS: `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`,
      BLIND_INDEX_KEY: Buffer.alloc(32, 9).toString('base64'),
    });
    expect(config.personalData.dataKeys?.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(config.personalData.blindIndexKey?.equals(Buffer.alloc(32, 9))).toBe(true);
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgresql://app@db:5432/ticketero',
      branchOffice: 'Sucursal Norte',
      branchTimeZone: 'America/Punta_Arenas',
      proximoThreshold: 5,
      queueRecalcIntervalMs: 1000,
      logLevel: 'debug',
      migrateOnStart: false,
    });
    expect(config.telegram).toMatchObject({
      token: '123456:ABC-def_ghi',
      apiRoot: 'http://127.0.0.1:9999',
      mode: 'webhook',
      webhookSecret: 's3cr3t_-',
      maxMessagesPerSecond: 10,
      adminIds: [111, 222],
    });
  });

  it('lets development run the kiosk API without a key', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).kioskApiKey).toBeUndefined();
  });

  it('does not require a webhook secret in polling mode or without a token', () => {
    expect(() => loadConfig({ ...BASE, TELEGRAM_BOT_TOKEN: '123456:ABC' })).not.toThrow();
    expect(() => loadConfig({ ...BASE, BOT_MODE: 'webhook' })).not.toThrow();
  });
});

describe('loadConfig rejects a bad value, naming the variable', () => {
  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '30.5' }],
    ['BOT_MODE', { BOT_MODE: 'x' }],
    ['TZ_BRANCH', { TZ_BRANCH: 'Mars/Base' }],
    ['PROXIMO_THRESHOLD', { PROXIMO_THRESHOLD: '0' }],
    ['PROXIMO_THRESHOLD', { PROXIMO_THRESHOLD: 'tres' }],
    ['QUEUE_RECALC_INTERVAL_MS', { QUEUE_RECALC_INTERVAL_MS: '-5' }],
    ['TELEGRAM_MAX_MSGS_PER_SEC', { TELEGRAM_MAX_MSGS_PER_SEC: '0' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/db' }],
    ['TELEGRAM_BOT_TOKEN', { TELEGRAM_BOT_TOKEN: 'not-a-token' }],
    ['TELEGRAM_API_ROOT', { TELEGRAM_API_ROOT: 'not a url' }],
    ['ADMIN_TELEGRAM_IDS', { ADMIN_TELEGRAM_IDS: '12,abc' }],
    ['MIGRATE_ON_START', { MIGRATE_ON_START: 'maybe' }],
    ['NODE_ENV', { NODE_ENV: 'staging' }],
  ] as const)('%s: %j', (variable, bad) => {
    const error = configError({ ...BASE, ...bad });
    expect(error.message).toContain(variable);
    expect(error.problems.some((p) => p.includes(variable))).toBe(true);
  });

  it('requires TELEGRAM_WEBHOOK_SECRET in webhook mode with a token', () => {
    const error = configError({ ...BASE, BOT_MODE: 'webhook', TELEGRAM_BOT_TOKEN: '123456:ABC' });
    expect(error.message).toContain('TELEGRAM_WEBHOOK_SECRET');
  });

  it('starts with nothing set: KIOSK_API_KEY is optional since accounts and kiosk credentials (SPEC §18)', () => {
    for (const NODE_ENV of [undefined, 'production', 'test']) {
      const config = loadConfig(NODE_ENV ? { NODE_ENV } : {});
      expect(config.kioskApiKey).toBeUndefined();
      expect(config.accounts.initialAdminEmail).toBe('admin@localhost');
    }
  });

  it('lower-cases INITIAL_ADMIN_EMAIL and refuses one that is not an email', () => {
    expect(loadConfig({ INITIAL_ADMIN_EMAIL: ' Jefa@Banco.CL ' }).accounts.initialAdminEmail).toBe('jefa@banco.cl');
    expect(configError({ INITIAL_ADMIN_EMAIL: 'no-es-email' }).message).toContain('INITIAL_ADMIN_EMAIL');
  });

  it('reports every bad variable at once', () => {
    const error = configError({ ...BASE, PORT: 'abc', BOT_MODE: 'x', TZ_BRANCH: 'Mars/Base' });
    for (const variable of ['PORT', 'BOT_MODE', 'TZ_BRANCH']) expect(error.message).toContain(variable);
    expect(error.problems).toHaveLength(3);
    expect(error.name).toBe('ConfigError');
  });

  it('wants KIOSK_API_KEY and ADMIN_API_KEY, when set, of 32 characters or more and different, every problem at once (SPEC §22)', () => {
    const short = 'a'.repeat(31);
    const error = configError({ KIOSK_API_KEY: 'kiosk-test-key', ADMIN_API_KEY: short, PORT: 'abc' });
    expect(error.problems).toHaveLength(3);
    expect(error.message).toContain('KIOSK_API_KEY debe tener al menos 32 caracteres (tiene 14)');
    expect(error.message).toContain('ADMIN_API_KEY debe tener al menos 32 caracteres (tiene 31)');
    expect(error.message).toContain('PORT');
    // The message names the variable, never the key.
    expect(error.message).not.toContain('kiosk-test-key');
    expect(error.message).not.toContain(short);

    const same = 'x'.repeat(40);
    const equal = configError({ KIOSK_API_KEY: same, ADMIN_API_KEY: same });
    expect(equal.problems).toEqual(['KIOSK_API_KEY y ADMIN_API_KEY deben ser distintas (la del tótem no puede abrir la administración)']);
    expect(equal.message).not.toContain(same);

    expect(loadConfig({ KIOSK_API_KEY: KIOSK_KEY, ADMIN_API_KEY: ADMIN_KEY })).toMatchObject({ kioskApiKey: KIOSK_KEY, adminApiKey: ADMIN_KEY });
    expect(loadConfig({ ADMIN_API_KEY: 'b'.repeat(32) }).adminApiKey).toBe('b'.repeat(32));
    expect(KIOSK_KEY.length).toBeGreaterThanOrEqual(32);
    expect(ADMIN_KEY).not.toBe(KIOSK_KEY);
  });

  it('does not echo a secret it rejects', () => {
    const error = configError({ ...BASE, BOT_MODE: 'webhook', TELEGRAM_BOT_TOKEN: '123456:ABC', TELEGRAM_WEBHOOK_SECRET: 'bad secret!' });
    expect(error.message).toContain('TELEGRAM_WEBHOOK_SECRET');
    expect(error.message).not.toContain('bad secret!');
  });
});

describe('loadConfig: national scale settings (SPEC §16)', () => {
  it('defaults to no direct URL (DATABASE_URL is used), a 30 s screen sweep and no paid broadcast', () => {
    expect(loadConfig(BASE)).toMatchObject({ databaseDirectUrl: undefined, screenSweepSeconds: 30, telegramPaidBroadcast: false });
  });

  it('reads them', () => {
    const config = loadConfig({
      ...BASE,
      DATABASE_DIRECT_URL: 'postgresql://app@db:5432/ticketero',
      SCREEN_SWEEP_SECONDS: '120',
      TELEGRAM_PAID_BROADCAST: 'true',
    });
    expect(config).toMatchObject({
      databaseDirectUrl: 'postgresql://app@db:5432/ticketero',
      screenSweepSeconds: 120,
      telegramPaidBroadcast: true,
    });
  });

  it.each([
    ['DATABASE_DIRECT_URL', { DATABASE_DIRECT_URL: 'http://db' }],
    ['SCREEN_SWEEP_SECONDS', { SCREEN_SWEEP_SECONDS: '0' }],
    ['TELEGRAM_PAID_BROADCAST', { TELEGRAM_PAID_BROADCAST: 'sí' }],
  ] as const)('rejects a bad %s', (variable, bad) => {
    expect(configError({ ...BASE, ...bad }).message).toContain(variable);
  });
});
