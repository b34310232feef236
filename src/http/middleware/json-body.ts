import type { Context } from 'hono';
import { DomainError, ValidationError } from '../../errors.js';

/** Reads a JSON body; a wrong content type or malformed JSON is the client's error, never a 500. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/([\w.+-]*\+)?json\b/i.test(type)) {
    throw new DomainError('TIPO_CONTENIDO_NO_SOPORTADO', 'El cuerpo debe enviarse como application/json');
  }
  const text = await c.req.text();
  if (text.trim() === '') throw new ValidationError({ cuerpo: 'El cuerpo está vacío; se esperaba un objeto JSON' });
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError({ cuerpo: 'El cuerpo no es JSON válido' });
  }
}
