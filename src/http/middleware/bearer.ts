import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Compares in constant time: hashing first makes the lengths equal, so nothing leaks through timing. */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

export interface BearerOptions {
  /** The key; undefined means the door is open (development) or closed (see `openWhenUnset`). */
  key: string | undefined;
  openWhenUnset: boolean;
  realm: string;
}

export function requireBearer({ key, openWhenUnset, realm }: BearerOptions): MiddlewareHandler {
  return async (c, next) => {
    if (key === undefined) {
      if (openWhenUnset) return next();
      return c.json({ error: 'SERVICIO_NO_DISPONIBLE', mensaje: `La API ${realm} no tiene clave configurada` }, 503);
    }
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !safeEqual(match[1]!.trim(), key)) {
      c.header('WWW-Authenticate', `Bearer realm="${realm}"`);
      return c.json({ error: 'NO_AUTORIZADO', mensaje: 'Falta la clave de acceso o no es válida' }, 401);
    }
    return next();
  };
}
