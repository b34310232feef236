import { createHmac } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ValidationError } from '../../errors.js';
import { ADVISOR_STATUSES, type AdvisorStatus } from '../../modules/advisors/advisor.entity.js';
import type { FloorService } from '../../modules/floor/floor.service.js';
import { parseCallOutOfOrder, parseTransfer } from '../../modules/floor/floor.validation.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import { safeEqual } from '../middleware/bearer.js';
import { readJsonBody } from '../middleware/json-body.js';
import { originOf } from '../middleware/request-context.js';

const COOKIE = 'tk_supervisor';
const SESSION_HOURS = 8;

export interface SupervisorWebDeps {
  adminApiKey: string | undefined;
  supervision: SupervisionService;
  floor: FloorService;
  assets: Assets;
  defaultBranch: string;
  trustProxy: boolean;
  now: () => Date;
}

/** A session is `<expiry>.<HMAC of it under a key derived from ADMIN_API_KEY>`: rotating the key ends every session. */
function signature(expires: number, adminKey: string): string {
  return createHmac('sha256', `ticketero-supervisor:${adminKey}`).update(String(expires)).digest('base64url');
}

function validSession(token: string | undefined, adminKey: string | undefined, now: Date): boolean {
  if (!token || !adminKey) return false;
  const [expires, mac] = token.split('.');
  const at = Number(expires);
  if (!Number.isSafeInteger(at) || at <= now.getTime() || !mac) return false;
  return safeEqual(mac, signature(at, adminKey));
}

/**
 * The supervisor's live dashboard (SPEC RF-007): signs in with ADMIN_API_KEY, kept in an
 * HttpOnly, SameSite=Strict cookie; the page reads the dashboard every 5 s and can set an
 * advisor's status. Writes also require a custom header, which a cross-site form cannot send.
 */
export function supervisorWebRoutes(deps: SupervisorWebDeps): Hono {
  const app = new Hono();
  const loggedIn = (c: Context) => validSession(getCookie(c, COOKIE), deps.adminApiKey, deps.now());
  const loginPage = (c: Context, status: 200 | 401 | 503, message: string) => {
    const page = deps.assets.serve(c, 'supervisor-login.html');
    return page.text().then((html) =>
      c.html(html.replace('<!--mensaje-->', message ? `<p class="error" role="alert">${message}</p>` : ''), status),
    );
  };

  app.get('/', (c) => (loggedIn(c) ? deps.assets.serve(c, 'supervisor.html') : loginPage(c, 200, '')));

  app.post('/login', async (c) => {
    if (!deps.adminApiKey) return loginPage(c, 503, 'El panel no está habilitado: falta ADMIN_API_KEY.');
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const key = typeof form.key === 'string' ? form.key : '';
    if (!key || !safeEqual(key, deps.adminApiKey)) return loginPage(c, 401, 'Clave incorrecta.');
    const expires = deps.now().getTime() + SESSION_HOURS * 3_600_000;
    setCookie(c, COOKIE, `${expires}.${signature(expires, deps.adminApiKey)}`, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/supervisor',
      maxAge: SESSION_HOURS * 3600,
      secure: new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https',
    });
    return c.redirect('/supervisor', 303);
  });

  app.post('/logout', (c) => {
    deleteCookie(c, COOKIE, { path: '/supervisor' });
    return c.redirect('/supervisor', 303);
  });

  const requireSession: MiddlewareHandler = async (c, next) => {
    if (!loggedIn(c)) return c.json({ error: 'NO_AUTORIZADO', mensaje: 'Inicia sesión de nuevo' }, 401);
    return next();
  };
  app.use('/api/*', requireSession);

  app.get('/api/dashboard', async (c) => {
    const branch = parseBranchOffice(c.req.query('branch')) ?? deps.defaultBranch;
    const [dashboard, history, branches] = await Promise.all([
      deps.supervision.dashboard(branch),
      deps.supervision.waitingOverDay(branch),
      deps.supervision.branches(),
    ]);
    const rate = (part: number, whole: number) => (whole ? Math.round((part / whole) * 1000) / 1000 : null);
    const queues = dashboard.queues.map((q) => ({
      ...q,
      noShowRateToday: rate(q.noShowToday, q.calledToday),
      cancellationRateToday: rate(q.cancelledToday, q.createdToday),
    }));
    return c.json({ ...dashboard, queues, history, branches });
  });

  app.put('/api/advisors/:id/status', async (c) => {
    if (c.req.header('x-requested-with') !== 'ticketero') {
      return c.json({ error: 'PROHIBIDO', mensaje: 'Solicitud no permitida' }, 403);
    }
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError({ id: 'El id del asesor debe ser un entero positivo' });
    const body = await readJsonBody(c);
    const status = (body as { status?: unknown }).status;
    const reason = (body as { reason?: unknown }).reason;
    if (typeof status !== 'string' || !(ADVISOR_STATUSES as readonly string[]).includes(status)) {
      throw new ValidationError({ status: `El estado debe ser uno de: ${ADVISOR_STATUSES.join(', ')}` });
    }
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 500)) {
      throw new ValidationError({ reason: 'El motivo debe ser texto de hasta 500 caracteres' });
    }
    const advisor = await deps.floor.setStatus(
      id,
      status as AdvisorStatus,
      typeof reason === 'string' && reason.trim() ? reason.trim() : null,
      originOf(c, 'ADMIN', deps.trustProxy),
    );
    return c.json(advisor);
  });

  // The service floor's actions for an advisor (SPEC §12), from the page's buttons.
  app.post('/api/advisors/:id/:action', async (c) => {
    if (c.req.header('x-requested-with') !== 'ticketero') {
      return c.json({ error: 'PROHIBIDO', mensaje: 'Solicitud no permitida' }, 403);
    }
    const id = Number(c.req.param('id'));
    if (!Number.isSafeInteger(id) || id < 1) throw new ValidationError({ id: 'El id del asesor debe ser un entero positivo' });
    const origin = originOf(c, 'ADMIN', deps.trustProxy);
    switch (c.req.param('action')) {
      case 'arrived':
        return c.json(await deps.floor.arrived(id, origin));
      case 'recall':
        return c.json(await deps.floor.recall(id, origin));
      case 'complete':
        return c.json(await deps.floor.finishCurrent(id, 'COMPLETADO', origin));
      case 'no-show':
        return c.json(await deps.floor.finishCurrent(id, 'NO_ATENDIDO', origin));
      case 'transfer':
        return c.json(await deps.floor.transfer(id, parseTransfer(await readJsonBody(c)), origin));
      case 'call': {
        const { numero, reason } = parseCallOutOfOrder(await readJsonBody(c));
        return c.json(await deps.floor.callOutOfOrder(id, numero, reason, origin));
      }
      default:
        return c.json({ error: 'NO_ENCONTRADO', mensaje: 'Acción desconocida' }, 404);
    }
  });

  return app;
}
