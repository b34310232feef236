import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { scrubPath } from '../../domain/privacy.js';
import { bearerOf, sessionTokenOf } from './principal.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for what a browser sends with its session cookie (SPEC §18), the one check for
 * every route: a state-changing request must come from this origin (`Origin`, else
 * `Sec-Fetch-Site`, else — with a session — the pages' own `X-Requested-With: ticketero`). JSON-only bodies
 * (readJsonBody answers 415 otherwise) keep plain cross-site forms out as well. Bearer calls carry
 * no ambient credential and are not checked.
 */
export function sameOriginOnly(logger: Logger, trustProxy: boolean): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE.has(c.req.method) || bearerOf(c) !== null) return next();
    const hasSession = sessionTokenOf(c, trustProxy) !== undefined;
    if (!hasSession && c.req.path !== '/api/auth/login') return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const own = new URL(c.req.url).host;
    // Behind a proxy the browser's origin is https://<host>; the host is what must match.
    let sameOrigin: boolean;
    if (origin && origin !== 'null') {
      try {
        sameOrigin = new URL(origin).host === own;
      } catch {
        sameOrigin = false;
      }
    } else if (origin === 'null') {
      sameOrigin = false;
    } else if (site !== undefined) {
      sameOrigin = site === 'same-origin' || site === 'none';
    } else {
      // Neither header (a browser always sends one of them on a write): with a session, only the
      // app's own pages, which send X-Requested-With: ticketero — a cross-site form cannot set it.
      sameOrigin = !hasSession || c.req.header('x-requested-with') === 'ticketero';
    }
    if (!sameOrigin) {
      logger.warn({ method: c.req.method, path: scrubPath(c.req.path), origin: origin ?? null, secFetchSite: site ?? null }, 'solicitud de otro origen rechazada (CSRF)');
      throw new DomainError('ORIGEN_NO_PERMITIDO', 'Solicitud rechazada: viene de otro sitio');
    }
    return next();
  };
}
