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
  logger.error({ err: error, method: c.req.method, path: scrubPath(c.req.path) }, 'error no controlado en una solicitud HTTP');
  return c.json({ error: 'ERROR_INTERNO', mensaje: 'Ocurrió un error inesperado; intenta nuevamente' }, 500);
}
