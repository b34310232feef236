import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { systemClock, type Clock } from './clock.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { prepareDatabase } from './db/prepare.js';
import { createDb, type Db } from './db/sql.js';
import { EventBus } from './events.js';
import { createApp } from './http/app.js';
import { ScreenHub } from './http/screen-hub.js';
import { listenForChanges, type ChangeListener } from './db/change-listener.js';
import { SCREEN_CHANNEL } from './modules/screen/screen.service.js';
import { createLogger, type Logger } from './logger.js';
import { createTelegramBot, type TelegramBot } from './bot/index.js';
import { createScheduler, type Scheduler } from './jobs/scheduler.js';
import { recordAudit } from './modules/audit/audit.service.js';
import { createServices, type Services } from './services.js';
import { ensureBranch } from './modules/branches/default-branch.js';
import type { PersonalDataCipher } from './modules/privacy/cipher.js';
import { openPersonalData } from './modules/privacy/key-source.js';
import { AppMetrics } from './metrics/metrics.js';
import { credentialsText, runFirstStart, type FirstRunCredentials } from './modules/accounts/first-run.js';
import { Api } from 'grammy';

export interface RunningApp {
  config: Config;
  logger: Logger;
  /** SQL through the pool: what every service uses. */
  sql: Db;
  database: Pick<Database, 'description' | 'embeddedDataDir'>;
  events: EventBus;
  services: Services;
  /** Encryption and blind indexes of RUTs and phones (SPEC §14), with the keys this app runs with. */
  personalData: PersonalDataCipher;
  /** The waiting-room screens' hub (its counters are read by tests and the bench). */
  screenHub: ScreenHub;
  /** This instance's LISTEN session for the screens' change notifications. */
  screenChanges: Pick<ChangeListener, 'backendPid'>;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:3000 */
  url: string;
  /** SPEC §18: the first ADMIN (and kiosk credential) made by this start, or null. */
  firstRun: FirstRunCredentials | null;
  /** Every route the HTTP app answers (method and Hono pattern): what the route × role test walks. */
  routes: ReadonlyArray<{ method: string; path: string }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  clock?: Clock;
  /** Run the Bree jobs (default true). Tests that drive the queue by hand turn them off. */
  jobs?: boolean;
  /** Folder of the job workers (default: next to the scheduler, compiled or TypeScript). */
  workersDir?: string;
  /**
   * SPEC §18's first run (the first ADMIN and a kiosk credential when the database has no account):
   * by default only on the embedded database; tests pass the folder for the credentials file.
   */
  firstRun?: { dir: string } | false;
}

/**
 * The composition root: config → database → services → HTTP → (bot, jobs).
 * `stop()` undoes it in reverse; a failure half-way stops what had started.
 */
export async function startApp(config: Config, options: StartOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const stack: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    while (stack.length > 0) {
      const step = stack.pop()!;
      await step().catch((error: unknown) => logger.error({ err: error }, 'error al detener un componente'));
    }
  };

  try {
    const database = await openDatabase(config, logger);
    stack.push(() => database.stop());

    // SPEC §14: the keys (given, or generated into the embedded server's data folder).
    const { keys: personalDataKeys, cipher: personalData } = await openPersonalData(config, logger);

    // MikroORM owns the schema: it applies the migrations (with the privacy data step in between,
    // and a check of the keys against the data), then the app talks SQL through the pool.
    const applied = await prepareDatabase({ url: database.url, logger, cipher: personalData, migrate: config.migrateOnStart });
    if (config.migrateOnStart) {
      logger.info({ applied }, applied.length ? 'migraciones aplicadas' : 'esquema al día: sin migraciones pendientes');
    }

    const db = createDb({ url: database.url, max: config.databasePoolMax, logger });
    stack.push(() => db.close());
    // The kiosk's default branch exists (SPEC §17), with the default zone and closing time when new.
    await ensureBranch(db, { name: config.branchOffice, timeZone: config.branchTimeZone, closingTime: config.floor.closingTime });

    const events = new EventBus();
    let telegram: TelegramBot | null = null;
    const links = {
      // The tótem's QR (its single-use token); without a bot (or before it connects) there is no link.
      start: (payload: string): string | null => {
        const username = telegram?.username();
        return username ? `https://t.me/${username}?start=${payload}` : null;
      },
    };
    const services = createServices({ db, clock, events, config, links, personalData, logger });
    if (config.telegram.token) telegram = createTelegramBot({ services, config, logger, db });
    const { assignment } = services;

    // A new customer is offered to free advisors at once, when anyone in the branch was free (a
    // busy branch, the usual case, costs no query); the queue job sweeps up the rest, including an
    // advisor freed between the numbering and the commit whose own pass ran before it.
    const offEvents = events.on('ticket.created', ({ branchOffice, advisorFree }) => {
      if (!advisorFree) return;
      assignment.requestAssignment(branchOffice, (error) =>
        logger.error({ err: error, branchOffice }, 'la asignación inmediata falló'),
      );
    });
    stack.push(async () => {
      offEvents();
      // A pass still running must not meet a closed pool.
      await assignment.settled();
    });

    // Waiting-room screens follow the database's change notifications (every instance's changes),
    // on one direct LISTEN connection per instance; a slow sweep is only a safety net.
    const screenHub = new ScreenHub({ screens: services.screen, logger, sweepMs: config.screenSweepSeconds * 1000 });
    stack.push(async () => screenHub.stop());
    const screenChanges = listenForChanges({
      url: config.databaseDirectUrl ?? database.url,
      channel: SCREEN_CHANNEL,
      logger,
      onNotify: (branch) => screenHub.changed(branch),
      onListening: () => screenHub.changedAll(),
    });
    stack.push(() => screenChanges.stop());
    await screenChanges.ready;

    // Prometheus metrics: counters follow the domain events; gauges are read at scrape time.
    const metrics = config.metrics.enabled
      ? new AppMetrics({
          events,
          db,
          poolStats: () => db.poolStats(),
          screens: () => ({ connected: screenHub.clientCount, snapshots: screenHub.snapshotsTaken, sweeps: screenHub.sweepsRun }),
        })
      : null;
    if (metrics) stack.push(async () => metrics.stop());
    const loopback = /^(127\.|::1$|localhost$)/.test(config.host);
    if (metrics && !config.metrics.apiKey && !loopback) {
      logger.warn({ host: config.host }, 'METRICS_API_KEY no está definida y la app no escucha en loopback: /metrics responde 403');
    }
    // The day ends (SPEC §12): at every start, tickets of an earlier day still active are closed
    // (and, past closing time, today's still waiting); the floor job repeats it every half minute.
    const endOfDay = await services.floor.endOfDay();
    if (endOfDay.waitingClosed || endOfDay.servingClosed) logger.info(endOfDay, 'turnos de días anteriores cerrados al iniciar');

    // SPEC §18: a database without accounts gets its first ADMIN (and, with no KIOSK_API_KEY, a kiosk device).
    const firstRunDir =
      options.firstRun === false
        ? null
        : (options.firstRun?.dir ?? (database.embeddedDataDir ? config.dataDir : null));
    const firstRun = firstRunDir
      ? await runFirstStart({
          accounts: services.accounts,
          devices: services.devices,
          email: config.accounts.initialAdminEmail,
          kioskBranch: config.kioskApiKey ? null : config.branchOffice,
          dir: firstRunDir,
          logger,
        })
      : null;
    if (config.adminApiKey) {
      logger.warn('ADMIN_API_KEY está definida: funciona como llave de emergencia con rol ADMIN (auditada como "apikey"); las personas deben ingresar con su cuenta en /ingresar');
    }

    const checkDatabase = async (): Promise<boolean> => {
      await db.execute('select 1');
      return true;
    };

    const http = createApp({
      logger,
      services,
      checkDatabase,
      adminApiKey: config.adminApiKey,
      defaultBranch: config.branchOffice,
      kioskApiKey: config.kioskApiKey,
      kioskOpenWithoutKey: config.nodeEnv === 'development',
      trustProxy: config.trustProxy,
      telegramWebhook: telegram?.webhook ?? null,
      screenHub,
      now: () => clock.now(),
      events,
      pauseReasons: config.floor.pauseReasons,
      metrics: metrics ? { metrics, apiKey: config.metrics.apiKey, loopbackOnly: loopback } : null,
      streamLimits: config.streams,
      publicUrl: config.publicUrl,
      screensRequireToken: config.screensRequireToken,
      notifyChat: chatNotifier(config),
    });
    const server = await listen(http.fetch, config);
    stack.push(() => closeServer(server));
    const { port } = server.address() as AddressInfo;
    const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;

    let scheduler: Scheduler | null = null;
    if (options.jobs ?? true) {
      const jobs = createScheduler({
        config,
        databaseUrl: database.url,
        logger,
        events,
        personalDataKeys,
        ...(options.workersDir ? { workersDir: options.workersDir } : {}),
        ...(metrics ? { onMetric: (metric: Parameters<AppMetrics['fromWorker']>[0]) => metrics.fromWorker(metric) } : {}),
      });
      await jobs.start();
      stack.push(() => jobs.stop());
      scheduler = jobs;
    }

    if (telegram) {
      const bot = telegram;
      // Every event that may make a message due wakes the dispatcher at once (the sweep catches the rest).
      const wake = () => scheduler?.wake('dispatcher');
      const offs = [
        events.on('ticket.created', wake),
        events.on('messages.due', wake),
        events.on('chat.linked', wake),
        events.on('ticket.assigned', (assignment) => {
          wake();
          bot
            .notifyAssignment(assignment)
            .catch((error: unknown) => logger.warn({ err: error }, 'no se pudo avisar al asesor por Telegram'));
        }),
        events.on('ticket.recalled', wake),
        events.on('advisor.customer-left', ({ advisorId, numero }) => {
          wake();
          bot
            .notifyCustomerLeft(advisorId, numero)
            .catch((error: unknown) => logger.warn({ err: error }, 'no se pudo avisar al asesor por Telegram'));
        }),
      ];
      stack.push(async () => offs.forEach((off) => off()));
      await bot.start();
      stack.push(() => bot.stop());
    } else {
      logger.warn('TELEGRAM_BOT_TOKEN no está definido: Telegram desactivado, los mensajes quedan PENDIENTE');
    }

    await db.transactional((tx) =>
      recordAudit(tx, {
        entityType: 'SISTEMA',
        entityId: 'ticketero',
        eventType: 'SISTEMA_INICIADO',
        origin: { actor: 'SYSTEM' },
        newState: { port, database: database.description, telegram: config.telegram.token ? config.telegram.mode : 'off' },
        at: clock.now(),
      }),
    );
    const telegramState = config.telegram.token ? `activo (${config.telegram.mode})` : 'desactivado';
    logger.info(
      { url, port, database: database.description, telegram: telegramState },
      `Ticketero escuchando en ${url} · base de datos: ${database.description} · Telegram: ${telegramState}`,
    );

    const { description, embeddedDataDir } = database;
    return {
      config,
      logger,
      sql: db,
      database: { description, embeddedDataDir },
      events,
      services,
      personalData,
      screenHub,
      screenChanges,
      url,
      firstRun,
      routes: http.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, path: r.path })),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SPEC §22: a message to one chat from an HTTP route (the RUT verified), through the Bot API; null without a bot. */
function chatNotifier(config: Config): ((chatId: number, html: string) => Promise<void>) | null {
  if (!config.telegram.token) return null;
  const api = new Api(config.telegram.token, { apiRoot: config.telegram.apiRoot, timeoutSeconds: 10 });
  return async (chatId, html) => {
    await api.sendMessage(chatId, html, { parse_mode: 'HTML' });
  };
}

function listen(fetch: (request: Request) => Response | Promise<Response>, config: Config): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.port, hostname: config.host }, () => resolve(server));
    server.once('error', reject);
  });
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, 3000);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  let app: RunningApp;
  try {
    app = await startApp(config, { logger });
  } catch (error) {
    logger.fatal({ err: error }, 'Ticketero no pudo iniciar');
    process.exitCode = 1;
    return;
  }
  // SPEC §18: the first run's credentials, printed once (they are also in the file, mode 0600).
  if (app.firstRun) process.stdout.write(`\n${credentialsText(app.firstRun, app.url)}\n`);
  // In a terminal, one line a person can read among the JSON logs.
  if (process.stdout.isTTY) {
    const telegram = config.telegram.token ? `activo (${config.telegram.mode})` : 'desactivado';
    process.stdout.write(`\nTicketero escuchando en ${app.url} · base de datos: ${app.database.description} · Telegram: ${telegram}\n\n`);
  }
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'deteniendo Ticketero');
    app
      .stop()
      .then(() => logger.info('Ticketero detenido'))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'error al detener');
        process.exitCode = 1;
      });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
