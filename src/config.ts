import { z } from 'zod';
import { parseBlindIndexKey, parseDataKeys, type DataKey } from './modules/privacy/keys.js';
import { hasControlCharacters } from './errors.js';

const emptyAsUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

const integer = (name: string, fallback: number, min: number, max: number) =>
  z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ error: `${name} debe ser un número entero` })
      .int(`${name} debe ser un número entero`)
      .min(min, `${name} debe ser al menos ${min}`)
      .max(max, `${name} debe ser a lo más ${max}`)
      .default(fallback),
  );

const flag = (name: string, fallback: boolean) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0'], { error: `${name} debe ser true o false` })
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1'),
  );

const optionalText = z.preprocess(emptyAsUndefined, z.string().optional());

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** An https URL, or http on loopback (a local setup, the tests' in-process provider). */
const publicUrl = (name: string, { issuer = false }: { issuer?: boolean } = {}) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .url({ error: `${name} debe ser una URL https://` })
      .refine((url) => /^https:\/\//.test(url) || /^http:\/\/(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d+)?(\/|$)/.test(url), {
        error: `${name} debe ser una URL https:// (http solo en loopback)`,
      })
      // An issuer is compared exactly with what the provider says it is: kept as written.
      .transform((url) => (issuer ? url : url.replace(/\/+$/, '')))
      .optional(),
  );

const claimName = (name: string, fallback: string) =>
  z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[A-Za-z0-9_.:/-]{1,100}$/, `${name} debe ser el nombre de un claim (letras, dígitos, _ . : / -)`)
      .default(fallback),
  );

/** SPEC §18: what a value of the role claim makes of a person on first sign-in. */
export interface OidcRoleGrant {
  role: 'ADMIN' | 'SUPERVISOR' | 'ASESOR' | 'AUDITOR';
  /** SUPERVISOR: the branches (their names) granted. */
  branches: string[];
}
export type OidcRoleMap = Record<string, OidcRoleGrant>;

/**
 * `{"<claim value>": {"role": "SUPERVISOR", "branches": ["Sucursal Centro"]}, …}`: the problem in
 * words, or the map.
 */
export function parseRoleMap(text: string): OidcRoleMap | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return 'debe ser un objeto JSON {"valor del claim": {"role": "...", "branches": [...]}}';
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'debe ser un objeto JSON {"valor del claim": {"role": "...", "branches": [...]}}';
  const map: OidcRoleMap = {};
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 500) return 'admite hasta 500 valores';
  for (const [value, grant] of entries) {
    if (!value || value.length > 200) return 'cada valor del claim tiene de 1 a 200 caracteres';
    if (typeof grant !== 'object' || grant === null || Array.isArray(grant)) return `"${value.slice(0, 40)}" debe ser {"role": "...", "branches": [...]}`;
    const { role, branches } = grant as Record<string, unknown>;
    if (role !== 'ADMIN' && role !== 'SUPERVISOR' && role !== 'ASESOR' && role !== 'AUDITOR') {
      return `"${value.slice(0, 40)}": role debe ser ADMIN, SUPERVISOR, ASESOR o AUDITOR`;
    }
    const list = branches === undefined ? [] : branches;
    if (!Array.isArray(list) || !list.every((b) => typeof b === 'string' && b.trim() !== '' && b.length <= 100)) {
      return `"${value.slice(0, 40)}": branches debe ser una lista de nombres de sucursal`;
    }
    if (role === 'SUPERVISOR' && list.length === 0) return `"${value.slice(0, 40)}": un SUPERVISOR necesita al menos una sucursal (branches)`;
    map[value] = { role, branches: role === 'SUPERVISOR' ? [...new Set(list.map((b: string) => b.trim()))] : [] };
  }
  return map;
}

const schema = z
  .object({
    NODE_ENV: z.preprocess(emptyAsUndefined, z.enum(['development', 'production', 'test']).default('production')),
    PORT: integer('PORT', 3000, 0, 65535),
    HOST: z.preprocess(emptyAsUndefined, z.string().default('0.0.0.0')),
    TRUST_PROXY: flag('TRUST_PROXY', false),
    DATABASE_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL debe ser una URL postgresql://')
        .optional(),
    ),
    DATABASE_POOL_MAX: integer('DATABASE_POOL_MAX', 20, 1, 500),
    DATA_DIR: z.preprocess(emptyAsUndefined, z.string().default('./data')),
    MIGRATE_ON_START: flag('MIGRATE_ON_START', true),
    TELEGRAM_BOT_TOKEN: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\d+:[\w-]+$/, 'TELEGRAM_BOT_TOKEN no parece un token de bot (123456:ABC-...)')
        .optional(),
    ),
    TELEGRAM_API_ROOT: z.preprocess(
      emptyAsUndefined,
      z.url({ error: 'TELEGRAM_API_ROOT debe ser una URL' }).default('https://api.telegram.org'),
    ),
    BOT_MODE: z.preprocess(
      emptyAsUndefined,
      z.enum(['polling', 'webhook'], { error: 'BOT_MODE debe ser polling o webhook' }).default('polling'),
    ),
    TELEGRAM_WEBHOOK_SECRET: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,256}$/, 'TELEGRAM_WEBHOOK_SECRET admite solo A-Z, a-z, 0-9, _ y - (1 a 256)')
        .optional(),
    ),
    TELEGRAM_WEBHOOK_URL: z.preprocess(
      emptyAsUndefined,
      z
        .url({ error: 'TELEGRAM_WEBHOOK_URL debe ser una URL https://' })
        // Telegram only calls https; plain http is accepted for a local test setup on loopback.
        .refine((url) => /^https:\/\//.test(url) || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(url), {
          error: 'TELEGRAM_WEBHOOK_URL debe ser una URL https://',
        })
        .optional(),
    ),
    KIOSK_API_KEY: optionalText,
    ADMIN_API_KEY: optionalText,
    ADMIN_TELEGRAM_IDS: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'ADMIN_TELEGRAM_IDS debe ser una lista de ids numéricos separados por coma')
        .optional()
        .transform((v) => (v ? v.split(',').map((id) => Number(id.trim())) : [])),
    ),
    BRANCH_OFFICE: z.preprocess(emptyAsUndefined, z.string().max(100).default('Sucursal Centro')),
    TZ_BRANCH: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .refine(isTimeZone, 'TZ_BRANCH debe ser una zona horaria IANA (ej: America/Santiago)')
        .default('America/Santiago'),
    ),
    PROXIMO_THRESHOLD: integer('PROXIMO_THRESHOLD', 3, 1, 100),
    // SPEC §13: the wait-time estimator; `formula` keeps the seed's position × average ÷ advisors.
    WAIT_ESTIMATOR: z.preprocess(
      emptyAsUndefined,
      z.enum(['replay', 'formula'], { error: 'WAIT_ESTIMATOR debe ser replay o formula' }).default('replay'),
    ),
    QUEUE_RECALC_INTERVAL_MS: integer('QUEUE_RECALC_INTERVAL_MS', 5000, 100, 3_600_000),
    TELEGRAM_MAX_MSGS_PER_SEC: integer('TELEGRAM_MAX_MSGS_PER_SEC', 25, 1, 1000),
    // The service floor (SPEC §12)
    RECALL_MAX: integer('RECALL_MAX', 3, 1, 20),
    RECALL_MIN_INTERVAL_S: integer('RECALL_MIN_INTERVAL_S', 30, 0, 3600),
    NO_SHOW_MIN_CALLS: integer('NO_SHOW_MIN_CALLS', 2, 1, 20),
    NO_SHOW_AUTO_MINUTES: integer('NO_SHOW_AUTO_MINUTES', 0, 0, 600),
    PAUSE_REASONS: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .default('Colación,Reunión,Trámite interno,Capacitación,Otro')
        .transform((v) => [...new Set(v.split(',').map((r) => r.trim()).filter((r) => r !== ''))])
        .refine((list) => list.length > 0 && list.length <= 20, 'PAUSE_REASONS debe listar de 1 a 20 motivos separados por coma')
        .refine((list) => list.every((r) => r.length <= 40 && !hasControlCharacters(r)), 'PAUSE_REASONS: cada motivo admite hasta 40 caracteres'),
    ),
    PAUSE_ALERT_MINUTES: integer('PAUSE_ALERT_MINUTES', 30, 1, 1440),
    PREFERENTIAL_EVERY: integer('PREFERENTIAL_EVERY', 2, 1, 100),
    SLA_MINUTES: integer('SLA_MINUTES', 15, 1, 120),
    REPORTS_REFRESH_SECONDS: integer('REPORTS_REFRESH_SECONDS', 300, 10, 86400),
    BRANCH_CLOSING_TIME: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'BRANCH_CLOSING_TIME debe ser una hora HH:MM (ej: 19:00)')
        .default('19:00'),
    ),
    // SPEC §17: tickets are taken from this many minutes before a branch opens.
    KIOSK_OPENS_EARLY_MINUTES: integer('KIOSK_OPENS_EARLY_MINUTES', 15, 0, 240),
    // SPEC §19: the longest a kiosk's answer waits for its printer (connect, status, send).
    PRINTER_TIMEOUT_MS: integer('PRINTER_TIMEOUT_MS', 2000, 100, 10_000),
    LOG_LEVEL: z.preprocess(
      emptyAsUndefined,
      z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          error: 'LOG_LEVEL debe ser fatal, error, warn, info, debug, trace o silent',
        })
        .default('info'),
    ),
    // Personal data (SPEC §14): checked in personalDataProblems, which names the variable.
    DATA_ENCRYPTION_KEYS: optionalText,
    BLIND_INDEX_KEY: optionalText,
    ROTATE_BATCH_SIZE: integer('ROTATE_BATCH_SIZE', 500, 1, 10_000),
    // Operations (SPEC §15)
    METRICS_API_KEY: optionalText,
    METRICS_ENABLED: flag('METRICS_ENABLED', true),
    TELEGRAM_RETRY_DELAYS_S: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'TELEGRAM_RETRY_DELAYS_S debe ser una lista de segundos separados por coma (ej: 30,60,120)')
        .default('30,60,120')
        .transform((v) => v.split(',').map((s) => Number(s.trim())))
        .refine((delays) => delays.length <= 20 && delays.every((d) => d >= 1 && d <= 86_400), {
          error: 'TELEGRAM_RETRY_DELAYS_S: entre 1 y 20 esperas, cada una de 1 a 86400 segundos',
        }),
    ),
    // National scale (SPEC §16)
    DATABASE_DIRECT_URL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'DATABASE_DIRECT_URL debe ser una URL postgresql://')
        .optional(),
    ),
    SCREEN_SWEEP_SECONDS: integer('SCREEN_SWEEP_SECONDS', 30, 1, 3600),
    // SPEC §22: live streams (screens and desks) per instance, in total and per client IP
    SCREEN_STREAMS_MAX: integer('SCREEN_STREAMS_MAX', 5000, 1, 1_000_000),
    SCREEN_STREAMS_PER_IP: integer('SCREEN_STREAMS_PER_IP', 20, 1, 1_000_000),
    TELEGRAM_PAID_BROADCAST: flag('TELEGRAM_PAID_BROADCAST', false),
    // SPEC §17: waiting-room screens open only with a SCREEN device's token
    SCREENS_REQUIRE_TOKEN: flag('SCREENS_REQUIRE_TOKEN', false),
    // Accounts and sign-in (SPEC §18)
    INITIAL_ADMIN_EMAIL: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^[^\s@]{1,64}@[^\s@]{1,189}$/, 'INITIAL_ADMIN_EMAIL debe ser un email (ej: admin@banco.cl)')
        .default('admin@localhost'),
    ),
    LOGIN_ATTEMPTS_PER_IP: integer('LOGIN_ATTEMPTS_PER_IP', 50, 5, 100_000),
    // Who a chat is (SPEC §22)
    MAX_RUTS_PER_CHAT: integer('MAX_RUTS_PER_CHAT', 3, 1, 100),
    CHAT_TICKETS_PER_HOUR: integer('CHAT_TICKETS_PER_HOUR', 5, 1, 1000),
    // The app's own public address (links the bot sends; OpenID Connect's redirect URI)
    PUBLIC_URL: publicUrl('PUBLIC_URL'),
    // Staff single sign-on (SPEC §18): the bank's identity provider, OpenID Connect
    OIDC_ISSUER: publicUrl('OIDC_ISSUER', { issuer: true }),
    OIDC_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().max(255, 'OIDC_CLIENT_ID admite hasta 255 caracteres').optional()),
    OIDC_CLIENT_SECRET: optionalText,
    OIDC_ROLE_CLAIM: claimName('OIDC_ROLE_CLAIM', 'roles'),
    OIDC_ROLE_MAP: z.preprocess(emptyAsUndefined, z.string().optional().transform((v, ctx) => {
      if (v === undefined) return {} as OidcRoleMap;
      const parsed = parseRoleMap(v);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: `OIDC_ROLE_MAP: ${parsed}` });
        return z.NEVER;
      }
      return parsed;
    })),
    OIDC_AUTO_PROVISION: flag('OIDC_AUTO_PROVISION', false),
    // The customer's verified RUT (SPEC §22): ClaveÚnica or the bank's customer login, OpenID Connect
    CUSTOMER_OIDC_ISSUER: publicUrl('CUSTOMER_OIDC_ISSUER', { issuer: true }),
    CUSTOMER_OIDC_CLIENT_ID: z.preprocess(emptyAsUndefined, z.string().max(255, 'CUSTOMER_OIDC_CLIENT_ID admite hasta 255 caracteres').optional()),
    CUSTOMER_OIDC_CLIENT_SECRET: optionalText,
    CUSTOMER_OIDC_RUT_CLAIM: claimName('CUSTOMER_OIDC_RUT_CLAIM', 'rut'),
    // The scopes asked of the customer's provider (ClaveÚnica gives the RUN with `run`).
    CUSTOMER_OIDC_SCOPE: z.preprocess(
      emptyAsUndefined,
      z
        .string()
        .regex(/^openid( [A-Za-z0-9_.:/-]{1,100}){0,10}$/, 'CUSTOMER_OIDC_SCOPE debe empezar con openid y separar los scopes con un espacio (ej: openid run name)')
        .default('openid profile'),
    ),
  });

/** Every variable the app reads (the .env.example lists them all). */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** SPEC §22: the least length of KIOSK_API_KEY and ADMIN_API_KEY, when set. */
export const MIN_API_KEY_LENGTH = 32;

/** Rules between variables, read from the raw environment so they are reported with every other problem. */
function crossFieldProblems(env: Record<string, string | undefined>, { personalDataKeys }: { personalDataKeys: boolean }): string[] {
  const value = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];
  if ((value('BOT_MODE') ?? 'polling') === 'webhook' && value('TELEGRAM_BOT_TOKEN') && !value('TELEGRAM_WEBHOOK_SECRET')) {
    problems.push('TELEGRAM_WEBHOOK_SECRET es obligatorio con BOT_MODE=webhook');
  }
  // SPEC §18, §22: an identity provider needs its client; the customer's link needs the app's address.
  for (const prefix of ['OIDC', 'CUSTOMER_OIDC']) {
    if (!value(`${prefix}_ISSUER`)) continue;
    if (!value(`${prefix}_CLIENT_ID`)) problems.push(`${prefix}_CLIENT_ID es obligatorio con ${prefix}_ISSUER`);
    if (!value(`${prefix}_CLIENT_SECRET`)) problems.push(`${prefix}_CLIENT_SECRET es obligatorio con ${prefix}_ISSUER`);
  }
  if (value('CUSTOMER_OIDC_ISSUER') && !value('PUBLIC_URL')) {
    problems.push('PUBLIC_URL es obligatorio con CUSTOMER_OIDC_ISSUER (el bot envía un enlace a esa dirección)');
  }
  if (['true', '1'].includes(value('OIDC_AUTO_PROVISION') ?? '') && !value('OIDC_ROLE_MAP')) {
    problems.push('OIDC_ROLE_MAP es obligatorio con OIDC_AUTO_PROVISION=true (sin él nadie recibe un rol)');
  }
  // SPEC §18: KIOSK_API_KEY is no longer required; the first run makes a kiosk credential.
  // SPEC §22: a key that is set is long enough not to be guessed, and the kiosk's is not the admin's.
  for (const name of ['KIOSK_API_KEY', 'ADMIN_API_KEY'] as const) {
    const key = value(name);
    if (key !== undefined && key.length < MIN_API_KEY_LENGTH) {
      problems.push(`${name} debe tener al menos ${MIN_API_KEY_LENGTH} caracteres (tiene ${key.length}); genera una con: openssl rand -hex 24`);
    }
  }
  const kiosk = value('KIOSK_API_KEY');
  if (kiosk !== undefined && kiosk === value('ADMIN_API_KEY')) {
    problems.push('KIOSK_API_KEY y ADMIN_API_KEY deben ser distintas (la del tótem no puede abrir la administración)');
  }
  // Backup and restore copy ciphertext: they never read the personal-data keys (SPEC §15).
  if (personalDataKeys) problems.push(...personalDataProblems(env));
  return problems;
}

/** SPEC §14: keys well-formed when given; required with an external database in production. */
function personalDataProblems(env: Record<string, string | undefined>): string[] {
  const value = (name: string): string | undefined => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const problems: string[] = [];
  const dataKeys = value('DATA_ENCRYPTION_KEYS');
  const blindKey = value('BLIND_INDEX_KEY');
  if (dataKeys) {
    const parsed = parseDataKeys(dataKeys);
    if (!parsed.ok) problems.push(...parsed.problems);
  }
  if (blindKey) {
    const parsed = parseBlindIndexKey(blindKey);
    if (!parsed.ok) problems.push(...parsed.problems);
  }
  if (value('DATABASE_URL') && (value('NODE_ENV') ?? 'production') === 'production') {
    const why = 'con DATABASE_URL en producción (solo con la base embebida se generan claves)';
    if (!dataKeys) problems.push(`DATA_ENCRYPTION_KEYS es obligatorio ${why}`);
    if (!blindKey) problems.push(`BLIND_INDEX_KEY es obligatorio ${why}`);
  }
  return problems;
}

type Env = z.infer<typeof schema>;

export interface Config {
  nodeEnv: Env['NODE_ENV'];
  port: number;
  host: string;
  /** Behind a load balancer: take the client IP from X-Forwarded-For. */
  trustProxy: boolean;
  databaseUrl: string | undefined;
  /** Connections this instance may open to PostgreSQL (the jobs' workers add a few each). */
  databasePoolMax: number;
  dataDir: string;
  migrateOnStart: boolean;
  telegram: {
    token: string | undefined;
    apiRoot: string;
    mode: Env['BOT_MODE'];
    webhookSecret: string | undefined;
    /** Public https URL of POST /telegram/webhook: when set, the app registers it with Telegram at start. */
    webhookUrl: string | undefined;
    maxMessagesPerSecond: number;
    adminIds: number[];
  };
  kioskApiKey: string | undefined;
  adminApiKey: string | undefined;
  branchOffice: string;
  /** The time zone of a branch created without one (and of the branches the migration made). */
  branchTimeZone: string;
  /** SPEC §17: a ticket is accepted from this many minutes before the branch opens. */
  kioskOpensEarlyMinutes: number;
  /** SPEC §19: connect + DLE EOT status + send to a tótem's printer, all within this. */
  printerTimeoutMs: number;
  proximoThreshold: number;
  waitEstimator: 'replay' | 'formula';
  queueRecalcIntervalMs: number;
  logLevel: Env['LOG_LEVEL'];
  /** SPEC §14 keys as given; a missing one is generated into the data folder (never in production with DATABASE_URL). */
  personalData: {
    dataKeys: DataKey[] | undefined;
    blindIndexKey: Buffer | undefined;
    /** `npm run rotate-keys`: rows per transaction. */
    rotateBatchSize: number;
  };
  /** Operations (SPEC §15). */
  metrics: {
    /** Off only to measure what the metrics cost (the bench); /metrics then answers 404. */
    enabled: boolean;
    apiKey: string | undefined;
  };
  /** Waits between a failed send and the next attempt; one more failure after the last is final. */
  telegramRetryDelaysSeconds: number[];
  floor: FloorSettings;
  // National scale (SPEC §16)
  /** A direct connection (not through PgBouncer) for what needs a session: LISTEN. Defaults to DATABASE_URL. */
  databaseDirectUrl: string | undefined;
  /** Screens' safety sweep: this often, one statement per instance finds the branches whose screens missed a change. */
  screenSweepSeconds: number;
  /** SPEC §22: live streams (SSE) one instance holds, in total and per client IP (screens and desks counted apart); beyond: 503. */
  streams: { total: number; perIp: number };
  /** `allow_paid_broadcast` on every send, and the rate cap lifted to Telegram's paid limit (1000/s). */
  telegramPaidBroadcast: boolean;
  /** SPEC §17: `/pantalla` and its stream only for a SCREEN device's token (or a signed-in person of the branch). */
  screensRequireToken: boolean;
  /** SPEC §18: accounts and sign-in. */
  accounts: {
    /** The first run's ADMIN. */
    initialAdminEmail: string;
    /** Sign-in attempts one client IP may make in 15 minutes. */
    loginAttemptsPerIp: number;
  };
  /** Who a chat is (SPEC §22). */
  chats: ChatLimits;
  /** The app's public base URL (no trailing slash), when set: links the bot sends, redirect URIs. */
  publicUrl: string | undefined;
  /** SPEC §18: staff single sign-on through the bank's identity provider; null when OIDC_ISSUER is unset. */
  staffOidc: (OidcClientSettings & { roleClaim: string; roleMap: OidcRoleMap; autoProvision: boolean }) | null;
  /** SPEC §22: "Verificar mi RUT" through the customer's identity provider; null when CUSTOMER_OIDC_ISSUER is unset. */
  customerOidc: (OidcClientSettings & { rutClaim: string; scope: string }) | null;
  /** Reports (SPEC §20). */
  reports: ReportSettings;
}

/** Reports (SPEC §20). */
export interface ReportSettings {
  /** A customer called within this many minutes of taking the number is within the service level. */
  slaMinutes: number;
  /** How often the job brings today's rollups up to date. */
  refreshSeconds: number;
}

/** An OpenID Connect client at one identity provider. */
export interface OidcClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** What one Telegram chat may do (SPEC §22). */
export interface ChatLimits {
  /** Different RUTs one chat may register in 30 days. */
  maxRutsPerChat: number;
  /** Tickets one chat may take in an hour. */
  ticketsPerHour: number;
}

/** The service floor's rules (SPEC §12). */
export interface FloorSettings {
  recallMax: number;
  recallMinIntervalSeconds: number;
  noShowMinCalls: number;
  /** 0 = off. */
  noShowAutoMinutes: number;
  pauseReasons: string[];
  pauseAlertMinutes: number;
  preferentialEvery: number;
  /** HH:MM: the closing time of a branch created without hours (and of those the migration made). */
  closingTime: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuración inválida:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; a bad value names its variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  // `serving` is accepted for the tools that pass it; since SPEC §18 no key is required to serve.
  { personalDataKeys = true }: { serving?: boolean; personalDataKeys?: boolean } = {},
): Config {
  const effective = env;
  const parsed = schema.safeParse(effective);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => {
          const variable = issue.path.join('.');
          return issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
        })),
    ...crossFieldProblems(effective, { personalDataKeys }),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const config = fromVariables(parsed.data, personalDataKeys);
  // What a worker thread reads again (see configForWorker): the variables, without the keys, which travel apart.
  const variables: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && !KEY_VARIABLES.has(name)) variables[name] = value;
  }
  sources.set(config, variables);
  return config;
}

/** SPEC §14 keys: a worker gets the keys the app runs with (given or generated) through keysForWorker. */
const KEY_VARIABLES = new Set(['DATA_ENCRYPTION_KEYS', 'BLIND_INDEX_KEY']);

/** Each Config's variables, for configForWorker. */
const sources = new WeakMap<Config, Readonly<Record<string, string>>>();

/** A Config as plain data, for a worker thread's workerData: the variables it was read from. */
export interface WorkerConfig {
  variables: Record<string, string>;
}

/**
 * The config for a job's worker thread: the same variables, so the worker reads them with the same
 * schema and rules (configInWorker) and cannot drift from the app. Only a Config from loadConfig has them.
 */
export function configForWorker(config: Config): WorkerConfig {
  const variables = sources.get(config);
  if (!variables) throw new Error('configForWorker: la configuración no viene de loadConfig');
  return { variables: { ...variables } };
}

/** In a worker thread: the app's config, validated again by loadConfig (the keys come apart, see keysFromWorker). */
export function configInWorker(data: unknown): Config {
  const variables = typeof data === 'object' && data !== null ? (data as { variables?: unknown }).variables : undefined;
  if (typeof variables !== 'object' || variables === null || !Object.values(variables).every((v) => typeof v === 'string')) {
    throw new Error('configInWorker: se esperaba { variables: Record<string, string> }');
  }
  return loadConfig(variables as Record<string, string>, { personalDataKeys: false });
}

function fromVariables(e: Env, personalDataKeys: boolean): Config {
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    trustProxy: e.TRUST_PROXY,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.DATA_DIR,
    migrateOnStart: e.MIGRATE_ON_START,
    telegram: {
      token: e.TELEGRAM_BOT_TOKEN,
      apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      mode: e.BOT_MODE,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      maxMessagesPerSecond: e.TELEGRAM_MAX_MSGS_PER_SEC,
      adminIds: e.ADMIN_TELEGRAM_IDS,
    },
    kioskApiKey: e.KIOSK_API_KEY,
    adminApiKey: e.ADMIN_API_KEY,
    branchOffice: e.BRANCH_OFFICE,
    branchTimeZone: e.TZ_BRANCH,
    kioskOpensEarlyMinutes: e.KIOSK_OPENS_EARLY_MINUTES,
    printerTimeoutMs: e.PRINTER_TIMEOUT_MS,
    proximoThreshold: e.PROXIMO_THRESHOLD,
    waitEstimator: e.WAIT_ESTIMATOR,
    queueRecalcIntervalMs: e.QUEUE_RECALC_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
    personalData: {
      dataKeys: personalDataKeys && e.DATA_ENCRYPTION_KEYS ? (parseDataKeys(e.DATA_ENCRYPTION_KEYS.trim()) as { value: DataKey[] }).value : undefined,
      blindIndexKey: personalDataKeys && e.BLIND_INDEX_KEY ? (parseBlindIndexKey(e.BLIND_INDEX_KEY) as { value: Buffer }).value : undefined,
      rotateBatchSize: e.ROTATE_BATCH_SIZE,
    },
    metrics: { enabled: e.METRICS_ENABLED, apiKey: e.METRICS_API_KEY },
    telegramRetryDelaysSeconds: e.TELEGRAM_RETRY_DELAYS_S,
    floor: {
      recallMax: e.RECALL_MAX,
      recallMinIntervalSeconds: e.RECALL_MIN_INTERVAL_S,
      noShowMinCalls: e.NO_SHOW_MIN_CALLS,
      noShowAutoMinutes: e.NO_SHOW_AUTO_MINUTES,
      pauseReasons: e.PAUSE_REASONS,
      pauseAlertMinutes: e.PAUSE_ALERT_MINUTES,
      preferentialEvery: e.PREFERENTIAL_EVERY,
      closingTime: e.BRANCH_CLOSING_TIME,
    },
    databaseDirectUrl: e.DATABASE_DIRECT_URL,
    screenSweepSeconds: e.SCREEN_SWEEP_SECONDS,
    streams: { total: e.SCREEN_STREAMS_MAX, perIp: e.SCREEN_STREAMS_PER_IP },
    telegramPaidBroadcast: e.TELEGRAM_PAID_BROADCAST,
    screensRequireToken: e.SCREENS_REQUIRE_TOKEN,
    accounts: { initialAdminEmail: e.INITIAL_ADMIN_EMAIL, loginAttemptsPerIp: e.LOGIN_ATTEMPTS_PER_IP },
    chats: { maxRutsPerChat: e.MAX_RUTS_PER_CHAT, ticketsPerHour: e.CHAT_TICKETS_PER_HOUR },
    reports: { slaMinutes: e.SLA_MINUTES, refreshSeconds: e.REPORTS_REFRESH_SECONDS },
    publicUrl: e.PUBLIC_URL,
    staffOidc: e.OIDC_ISSUER
      ? {
          issuer: e.OIDC_ISSUER,
          clientId: e.OIDC_CLIENT_ID!,
          clientSecret: e.OIDC_CLIENT_SECRET!,
          roleClaim: e.OIDC_ROLE_CLAIM,
          roleMap: e.OIDC_ROLE_MAP,
          autoProvision: e.OIDC_AUTO_PROVISION,
        }
      : null,
    customerOidc: e.CUSTOMER_OIDC_ISSUER
      ? { issuer: e.CUSTOMER_OIDC_ISSUER, clientId: e.CUSTOMER_OIDC_CLIENT_ID!, clientSecret: e.CUSTOMER_OIDC_CLIENT_SECRET!, rutClaim: e.CUSTOMER_OIDC_RUT_CLAIM, scope: e.CUSTOMER_OIDC_SCOPE }
      : null,
  };
}
