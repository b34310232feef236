import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { fieldErrors, ValidationError, type FieldErrors } from '../../errors.js';
import { readJsonBody } from '../middleware/json-body.js';

/**
 * The doors' requests are zod schemas registered with their routes (@hono/zod-openapi): the same
 * schemas validate a request and generate its part of /openapi.json, so the two cannot drift.
 * A request that fails them is the usual 400 VALIDACION_FALLIDA (src/http/errors.ts), each
 * problem named by its field, in Spanish (the schemas carry their own messages).
 */

/** Each field's first problem; an unknown field is 'Campo no permitido'; the body as a whole is `cuerpo`. */
export function camposOf(error: z.ZodError): FieldErrors {
  const campos = fieldErrors();
  const put = (field: string, message: string) => {
    const key = (field || 'cuerpo').slice(0, 50);
    if (!(key in campos)) campos[key] = message;
  };
  for (const issue of error.issues) {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) put(at ? `${at}.${key}` : key, 'Campo no permitido');
    } else if (issue.code === 'invalid_type' && issue.path.length === 0) {
      put('', 'Se esperaba un objeto JSON');
    } else {
      put(at, issue.message);
    }
  }
  return campos;
}

/** A router whose routes' zod schemas validate requests and document them. */
export function openApiRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw new ValidationError(camposOf(result.error));
    },
  });
}

/**
 * Before a route's body schema: JSON only (415 TIPO_CONTENIDO_NO_SOPORTADO otherwise), not empty,
 * well-formed (400 naming `cuerpo`). `optional`: a request without a body passes (its schema's defaults apply).
 */
export function jsonBody(options: { optional?: boolean } = {}): MiddlewareHandler {
  return async (c, next) => {
    const hasBody = Number(c.req.header('content-length') ?? '0') > 0 || c.req.header('transfer-encoding') !== undefined;
    if (options.optional && !hasBody) {
      // An optional body may be absent even when the client says `Content-Type: application/json` (as
      // before the schemas): the validator then reads `{}`, and the schema's defaults apply.
      // (Hono keeps the body's promise in bodyCache, though its type says the value.)
      (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve('{}');
      return next();
    }
    await readJsonBody(c);
    return next();
  };
}

/** The answer of every refusal (src/http/errors.ts). */
export const ErrorSchema = z
  .object({
    error: z.string().openapi({ description: 'Código estable, p. ej. VALIDACION_FALLIDA, TICKET_ACTIVO_EXISTENTE' }),
    mensaje: z.string(),
    campos: z.record(z.string(), z.string()).optional().openapi({ description: 'Cada campo con su problema (VALIDACION_FALLIDA)' }),
  })
  .openapi('Error');

export const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorSchema } },
});

/** A JSON answer with its schema. */
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A value checked by a schema outside a route's validators (a body read by hand): the same 400. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(camposOf(result.error));
  return result.data;
}
