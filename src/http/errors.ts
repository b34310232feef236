import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { scrubPath } from '../domain/privacy.js';

/** The one place where domain errors become HTTP answers. No stack trace ever leaves the server. */
export function errorResponse(error: unknown, c: Context, logger: Logger): Response {
  if (error instanceof ValidationError) {
    return c.json({ error: error.code, mensaje: error.message, campos: error.campos }, 400);
  }
  if (error instanceof DomainError) {
    return c.json({ error: error.code, mensaje: error.message, ...error.details }, error.status as ContentfulStatusCode);
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    const code = status === 401 ? 'NO_AUTORIZADO' : status === 413 ? 'CUERPO_DEMASIADO_GRANDE' : 'SOLICITUD_INVALIDA';
    return c.json({ error: code, mensaje: error.message || 'Solicitud inválida' }, status);
  }
  if (databaseUnavailable(error)) {
    // PostgreSQL is down or restarting: nothing was stored, the client may try again shortly.
    logger.warn({ method: c.req.method, path: scrubPath(c.req.path), code: (error as { code?: string }).code }, 'la base de datos no responde');
    c.header('Retry-After', '5');
    return c.json({ error: 'SERVICIO_NO_DISPONIBLE', mensaje: 'La base de datos no responde; intenta nuevamente en unos segundos' }, 503);
  }
  logger.error({ err: error, method: c.req.method, path: scrubPath(c.req.path) }, 'error no controlado en una solicitud HTTP');
  return c.json({ error: 'ERROR_INTERNO', mensaje: 'Ocurrió un error inesperado; intenta nuevamente' }, 500);
}

/** Connection refused or lost, server shutting down or starting (SQLSTATE classes 08 and 57P). */
function databaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') {
    return error instanceof Error && /Connection terminated|connection timeout/i.test(error.message);
  }
  return ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT'].includes(code) || code.startsWith('08') || code.startsWith('57P');
}
