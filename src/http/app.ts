import type { Context } from 'hono';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import type { EventBus } from '../events.js';
import { errorResponse } from './errors.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { openApiRouter } from './schemas/openapi-router.js';
import { healthRoutes } from './routes/health.js';
import { Assets } from './assets.js';
import type { ScreenHub } from './screen-hub.js';
import { adminRoutes } from './routes/admin.js';
import { staffPlanRoutes } from './routes/staff-plan.js';
import { screenRoutes } from './routes/screens.js';
import { supervisorWebRoutes } from './routes/supervisor-web.js';
import { kioskRoutes } from './routes/kiosk.js';
import { totemApiRoutes, totemPageRoutes } from './routes/totem.js';
import { scrubPath } from '../domain/privacy.js';
import { personasRoutes } from './routes/personas.js';
import { httpMetrics, metricsRoutes, type MetricsHttpOptions } from './routes/metrics.js';
import { identify } from './middleware/principal.js';
import { sameOriginOnly } from './middleware/csrf.js';
import { authorize } from './authz/authorize.js';
import { authRoutes, signInPage } from './routes/auth.js';
import { rutVerificationRoutes } from './routes/rut-verification.js';
import { accountRoutes } from './routes/accounts.js';
import { deskRoutes } from './routes/desk.js';
import { deviceRoutes } from './routes/devices.js';
import { organisationRoutes } from './routes/organisation.js';
import { reportRoutes } from './routes/reports.js';
import { importRoutes, MAX_IMPORT_BODY_BYTES } from './routes/import.js';
import { StreamLimiter, type StreamLimits } from './sse.js';

export const MAX_BODY_BYTES = 16 * 1024;
/** SPEC §22: Telegram's updates may be far bigger than a kiosk's body; the webhook alone accepts up to 1 MB. */
export const MAX_TELEGRAM_UPDATE_BYTES = 1024 * 1024;

export interface HttpDeps {
  logger: Logger;
  services: Services;
  adminApiKey: string | undefined;
  defaultBranch: string;
  checkDatabase: () => Promise<boolean>;
  kioskApiKey: string | undefined;
  /** Development only: the kiosk API answers without a key. */
  kioskOpenWithoutKey: boolean;
  trustProxy: boolean;
  /** grammY's webhook handler (webhook mode only); it checks the secret token itself. */
  telegramWebhook?: ((c: Context) => Promise<Response>) | null;
  screenHub: ScreenHub;
  now: () => Date;
  /** The advisor's web desk (SPEC §18) follows the domain events. */
  events: EventBus;
  pauseReasons: readonly string[];
  /** Prometheus metrics (SPEC §15); null when METRICS_ENABLED=false. */
  metrics?: MetricsHttpOptions | null;
  /** SPEC §22: the live streams (screens and desks) this instance holds, in total and per client IP. */
  streamLimits: StreamLimits;
  /** PUBLIC_URL: the base of the OpenID Connect redirect URIs (else each request's own origin). */
  publicUrl?: string | undefined;
  /** SPEC §17: SCREENS_REQUIRE_TOKEN. */
  screensRequireToken?: boolean;
  /** SPEC §22: tells a chat that its RUT was verified (or verified elsewhere); null without a bot. */
  notifyChat?: ((chatId: number, html: string) => Promise<void>) | null;
}

export function createApp(deps: HttpDeps): OpenAPIHono {
  const { logger } = deps;
  // The root router collects the routes' schemas: /openapi.json is generated from them.
  const app = openApiRouter();
  if (deps.metrics) app.use('*', httpMetrics(deps.metrics.metrics));

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const ms = Math.round((performance.now() - started) * 10) / 10;
    const level = c.res.status >= 500 ? 'error' : c.req.path === '/api/health' ? 'debug' : 'info';
    logger[level]({ method: c.req.method, path: scrubPath(c.req.path), status: c.res.status, ms }, 'http');
  });

  const tooLarge = (limit: number) => (c: Context) => {
    // The rest of the oversized body is never read: close the connection rather than reuse it.
    c.header('Connection', 'close');
    return c.json({ error: 'CUERPO_DEMASIADO_GRANDE', mensaje: `El cuerpo no puede superar ${limit} bytes` }, 413);
  };
  const defaultLimit = bodyLimit({ maxSize: MAX_BODY_BYTES, onError: tooLarge(MAX_BODY_BYTES) });
  // SPEC §17: the bulk import's files are bigger than any JSON body; only that route gets more.
  const importLimit = bodyLimit({ maxSize: MAX_IMPORT_BODY_BYTES, onError: tooLarge(MAX_IMPORT_BODY_BYTES) });
  const webhookLimit = bodyLimit({ maxSize: MAX_TELEGRAM_UPDATE_BYTES, onError: tooLarge(MAX_TELEGRAM_UPDATE_BYTES) });
  const limitFor = (c: Context) =>
    c.req.method !== 'POST'
      ? defaultLimit
      : c.req.path === '/api/admin/import'
        ? importLimit
        : c.req.path === '/telegram/webhook' && deps.telegramWebhook
          ? webhookLimit
          : defaultLimit;
  app.use('*', (c, next) => limitFor(c)(c, next));

  // SPEC §18: who the request acts for, that a browser's session request comes from this origin,
  // and whether the route table lets them: once, here, before any route.
  const { services } = deps;
  const streams = new StreamLimiter(deps.streamLimits);
  app.use('*', identify({ accounts: services.accounts, devices: services.devices, adminApiKey: deps.adminApiKey, kioskApiKey: deps.kioskApiKey, trustProxy: deps.trustProxy }));
  app.use('*', sameOriginOnly(logger, deps.trustProxy));
  app.use(
    '*',
    authorize({
      defaultBranch: deps.defaultBranch,
      advisorBranch: (id) => services.advisors.branchOf(id),
      personBranches: (rut) => services.personas.branchesOf(rut),
      branchByCode: (code) => services.devices.branchNameByCode(code),
      deviceBranch: (id) => services.devices.branchOf(id),
      kioskOpenWithoutKey: deps.kioskOpenWithoutKey,
      logger,
    }),
  );

  app.route('/api/health', healthRoutes(deps.checkDatabase));
  // Built on first request, once every route below is registered.
  let document: ReturnType<typeof buildOpenApiDocument> | null = null;
  app.get('/openapi.json', (c) => c.json((document ??= buildOpenApiDocument(app))));
  if (deps.metrics) app.route('/metrics', metricsRoutes(deps.metrics));

  app.route('/api/auth', authRoutes({ accounts: services.accounts, trustProxy: deps.trustProxy, sso: services.staffSso, publicUrl: deps.publicUrl, logger }));
  app.route(
    '/verificar-rut',
    rutVerificationRoutes({ verification: services.rutVerification, publicUrl: deps.publicUrl, trustProxy: deps.trustProxy, notifyChat: deps.notifyChat ?? null, logger }),
  );
  app.route('/api/tickets', kioskRoutes({ tickets: deps.services.tickets, totem: deps.services.totem, trustProxy: deps.trustProxy }));
  // SPEC §14: the holder's rights (export, erasure).
  app.route('/api/admin/personas', personasRoutes({ personas: deps.services.personas, trustProxy: deps.trustProxy }));
  app.route('/api/totem', totemApiRoutes({ supervision: deps.services.supervision, defaultBranch: deps.defaultBranch, now: deps.now }));
  app.route(
    '/api/admin',
    accountRoutes({ accounts: services.accounts, trustProxy: deps.trustProxy, advisorBranch: (id) => services.advisors.branchOf(id) }),
  );
  app.route(
    '/api/admin',
    adminRoutes({
      advisors: deps.services.advisors,
      floor: deps.services.floor,
      supervision: deps.services.supervision,
      defaultBranch: deps.defaultBranch,
      trustProxy: deps.trustProxy,
    }),
  );
  app.route('/api/admin', deviceRoutes({ devices: services.devices, trustProxy: deps.trustProxy }));
  app.route('/api/admin', organisationRoutes({ branches: services.branches, staff: services.staff, trustProxy: deps.trustProxy }));
  app.route('/api/admin', importRoutes({ imports: services.imports, trustProxy: deps.trustProxy }));
  app.route('/api/admin', reportRoutes({ reports: services.reports }));
  app.route('/api/admin', staffPlanRoutes({ staffPlan: deps.services.staffPlan, trustProxy: deps.trustProxy }));

  // The pages: the waiting-room screen and the supervisor's dashboard, with their assets.
  const assets = new Assets();
  app.get('/static/:name', (c) => assets.serve(c, c.req.param('name')));
  app.get('/ingresar', signInPage(assets));
  app.route('/totem', totemPageRoutes({ assets }));
  app.route(
    '/escritorio',
    deskRoutes({
      advisors: services.advisors,
      floor: services.floor,
      supervision: services.supervision,
      events: deps.events,
      assets,
      pauseReasons: deps.pauseReasons,
      trustProxy: deps.trustProxy,
      streams,
    }),
  );
  app.route(
    '/pantalla',
    screenRoutes({
      hub: deps.screenHub,
      assets,
      supervision: deps.services.supervision,
      defaultBranch: deps.defaultBranch,
      streams,
      trustProxy: deps.trustProxy,
      logger,
      devices: services.devices,
      requireToken: deps.screensRequireToken ?? false,
    }),
  );
  app.route(
    '/supervisor',
    supervisorWebRoutes({ assets }),
  );

  if (deps.telegramWebhook) {
    const handle = deps.telegramWebhook;
    app.post('/telegram/webhook', (c) => handle(c));
  }

  app.notFound((c) => c.json({ error: 'NO_ENCONTRADO', mensaje: `No existe ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => errorResponse(error, c, logger));
  return app;
}
