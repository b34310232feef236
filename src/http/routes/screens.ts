import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { mayTouchBranch } from '../../modules/accounts/principal.js';
import type { DeviceService } from '../../modules/devices/device.service.js';
import { plainLoopback } from '../middleware/principal.js';
import { DomainError } from '../../errors.js';
import type { SupervisionService } from '../../modules/supervision/supervision.service.js';
import { parseBranchOffice } from '../../modules/tickets/ticket.validation.js';
import type { Assets } from '../assets.js';
import type { ScreenHub } from '../screen-hub.js';
import { clientIp } from '../middleware/request-context.js';
import { SseOutbox, socketDestroyer, tooManyStreams, type OutboxOptions, type StreamLimiter } from '../sse.js';
import type { Logger } from '../../logger.js';

/** How long the list of branches a screen may show is reused (a new branch is found by then). */
const BRANCH_LIST_TTL_MS = 5000;

/** The waiting-room screen (no key, read-only, no personal data) and its live stream. */
export function screenRoutes(deps: {
  hub: ScreenHub;
  assets: Assets;
  supervision: SupervisionService;
  defaultBranch: string;
  /** SPEC §22: the live streams' caps, shared with the desks. */
  streams: StreamLimiter;
  trustProxy: boolean;
  logger: Logger;
  /** Each stream's bounded queue (tests make it small). */
  outbox?: Pick<OutboxOptions, 'maxQueued' | 'writeTimeoutMs'>;
  /** SPEC §17: SCREENS_REQUIRE_TOKEN — only a SCREEN device of the branch (or a signed-in person of it). */
  requireToken?: boolean;
  devices?: DeviceService;
}): Hono {
  const app = new Hono();
  const cookieName = (c: Context): { name: string; host: boolean } =>
    plainLoopback(c, deps.trustProxy) ? { name: SCREEN_COOKIE, host: false } : { name: SCREEN_COOKIE, host: true };
  const screenCookie = (c: Context): string | undefined => {
    const { name, host } = cookieName(c);
    return host ? getCookie(c, name, 'host') : getCookie(c, name);
  };

  /**
   * With SCREENS_REQUIRE_TOKEN: the branch this request may show — a SCREEN device's own (its token
   * as Bearer or in the screen's cookie, read afresh each time: a revoked one is refused at once), or
   * one a signed-in person may see. Null: nobody. A device naming another branch: 403.
   */
  const allowedBranch = async (c: Context, named: string | null | undefined): Promise<string | null> => {
    const principal = c.get('principal');
    if (principal?.kind === 'device') {
      if (principal.role !== 'SCREEN') return null;
      const own = principal.branches === 'ALL' ? null : principal.branches[0]!;
      if (named && own && named !== own) throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'Esta pantalla muestra solo su propia sucursal');
      return own;
    }
    if (principal && (principal.kind === 'staff' || principal.kind === 'apikey' || principal.kind === 'token') && principal.role !== 'KIOSK') {
      const branch = named ?? deps.defaultBranch;
      if (!mayTouchBranch(principal, branch)) throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'No tienes acceso a esa sucursal');
      return branch;
    }
    const token = screenCookie(c);
    if (!token || !deps.devices) return null;
    const device = await deps.devices.authenticate(token);
    if (!device || device.kind !== 'SCREEN') return null;
    if (named && named !== device.branchName) throw new DomainError('SUCURSAL_NO_AUTORIZADA', 'Esta pantalla muestra solo su propia sucursal');
    return device.branchName;
  };
  // Only real branches: a stream per invented name would cost a query a second each. The list is
  // read once for every screen that connects within a few seconds (a deploy reconnects them all at once).
  let known: { at: number; branches: Promise<string[]> } | null = null;
  const knownBranches = (fresh = false): Promise<string[]> => {
    const now = Date.now();
    if (fresh || !known || now - known.at > BRANCH_LIST_TTL_MS) {
      const read = deps.supervision.branches();
      known = { at: now, branches: read };
      read.catch(() => (known = null));
    }
    return known.branches;
  };
  const branchOf = async (value: string | undefined): Promise<string> => {
    const branch = parseBranchOffice(value) ?? deps.defaultBranch;
    // A name not in the list read a moment ago is looked up afresh (a branch just created).
    if (!(await knownBranches()).includes(branch) && !(await knownBranches(true)).includes(branch)) {
      throw new DomainError('NO_ENCONTRADO', `No existe la sucursal "${branch}"`);
    }
    return branch;
  };

  app.get('/', async (c) => {
    // A screen is set up once with its device's token in the address: it goes into an HttpOnly
    // cookie and out of the address (and of the browser's history).
    const token = c.req.query('token');
    if (token !== undefined) {
      const device = deps.devices ? await deps.devices.authenticate(token) : null;
      if (!device || device.kind !== 'SCREEN') return c.html(SCREEN_REFUSED, 401);
      const { name, host } = cookieName(c);
      setCookie(c, name, token, { httpOnly: true, sameSite: 'Lax', path: '/', maxAge: 400 * 24 * 3600, ...(host ? { prefix: 'host', secure: true } : {}) });
      return c.redirect(`/pantalla?branch=${encodeURIComponent(device.branchName)}`, 303);
    }
    if (deps.requireToken) {
      const branch = await allowedBranch(c, parseBranchOffice(c.req.query('branch')));
      if (!branch) return c.html(SCREEN_REFUSED, 401);
      if (!c.req.query('branch')) return c.redirect(`/pantalla?branch=${encodeURIComponent(branch)}`, 303);
    }
    await branchOf(c.req.query('branch'));
    return deps.assets.serve(c, 'pantalla.html');
  });

  app.get('/stream', async (c) => {
    let named = c.req.query('branch');
    if (deps.requireToken) {
      const allowed = await allowedBranch(c, parseBranchOffice(named));
      if (!allowed) throw new DomainError('NO_AUTORIZADO', 'Esta pantalla necesita el token de un dispositivo SCREEN de la sucursal');
      named = allowed;
    }
    const branch = await branchOf(named);
    // SPEC §22: a place among the capped streams first (per client IP and in total), or 503.
    const release = deps.streams.acquire(`pantalla:${clientIp(c, deps.trustProxy) ?? '?'}`);
    if (!release) return tooManyStreams(c, deps.streams);
    const destroy = socketDestroyer(c);
    return streamSSE(c, async (stream) => {
      let leave: (() => void) | null = null;
      try {
        let id = 0;
        const outbox = new SseOutbox(stream, {
          ...deps.outbox,
          destroy,
          onDrop: (why) => deps.logger.info({ branch, why }, 'pantalla desconectada: no leía sus eventos'),
        });
        stream.onAbort(release);
        leave = await deps.hub.join(branch, {
          send: (event, data) => void outbox.send({ event, data: JSON.stringify(data), id: String(++id), retry: 1000 }),
        });
        stream.onAbort(leave);
        // Comments keep proxies from closing an idle stream; the loop ends when the screen goes away,
        // falls behind (dropped by its outbox) or the server shuts down (the screen then reconnects).
        let idle = 0;
        while (!outbox.closed && !deps.hub.stopped) {
          await stream.sleep(1000);
          if (++idle % 15 === 0) outbox.comment('ping');
        }
      } catch (error) {
        deps.logger.warn({ err: error, branch }, 'no se pudo mantener la transmisión de una pantalla');
      } finally {
        leave?.();
        release();
      }
    });
  });

  return app;
}

/** The screen's cookie (`__Host-` behind https): a SCREEN device's token, set by `/pantalla?token=`. */
export const SCREEN_COOKIE = 'ticketero_pantalla';

const SCREEN_REFUSED = `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Pantalla</title>
<link rel="stylesheet" href="/static/styles.css"></head><body><main class="login">
<h1>Pantalla sin autorizar</h1>
<p>Esta pantalla necesita el token de un dispositivo de tipo pantalla (SCREEN) de la sucursal, o fue revocado.
Ábrela una vez con <code>/pantalla?token=…</code> (el token lo entrega la pestaña Dispositivos de la página del supervisor).</p>
</main></body></html>`;
