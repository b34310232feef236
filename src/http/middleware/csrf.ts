import type { MiddlewareHandler } from 'hono';
import { DomainError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import { scrubPath } from '../../domain/privacy.js';
import { bearerOf, sessionTokenOf } from './principal.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF protection for what a browser sends with its session cookie (SPEC §18): a state-changing
 * request must come from this origin (`Origin`, else `Sec-Fetch-Site`). JSON-only bodies
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
    } else {
      sameOrigin = site === undefined || site === 'same-origin' || site === 'none';
    }
    if (!sameOrigin) {
      logger.warn({ method: c.req.method, path: scrubPath(c.req.path), origin: origin ?? null, secFetchSite: site ?? null }, 'solicitud de otro origen rechazada (CSRF)');
      throw new DomainError('ORIGEN_NO_PERMITIDO', 'Solicitud rechazada: viene de otro sitio');
    }
    return next();
  };
}
